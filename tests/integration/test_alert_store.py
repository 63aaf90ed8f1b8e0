"""Alerts as data: the form's checks, who may make, see and change an alert, and the records the
UI shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from data.alerts import (
    AlertError,
    AlertForm,
    AlertNotFound,
    create_alert,
    delete_alert,
    get_alert,
    list_alerts,
    set_paused,
    snooze_alert,
    update_alert,
)
from data.dashboard_access import Forbidden, NotFound
from data.delivery_models import Alert, AlertEvent
from tests.conftest import DEMO_END, PEOPLE
from tests.helpers import account_of, shared_board

NOW = DEMO_END + dt.timedelta(minutes=5)
DOCUMENT = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"],
         "time_range": {"relative": "last_7_days"}},
        {"id": "margin", "type": "kpi", "dataset": "sales", "measures": ["margin_pct"]},
        {"id": "top", "type": "table", "title": "Top products", "dataset": "sales",
         "measures": ["revenue", "units"], "dimensions": ["product"]},
        {"id": "note", "type": "text", "options": {"markdown": "Hello"}},
    ],
    "layout": [
        {"i": "kpi", "x": 0, "y": 0, "w": 3, "h": 3},
        {"i": "margin", "x": 3, "y": 0, "w": 3, "h": 3},
        {"i": "top", "x": 0, "y": 3, "w": 12, "h": 4},
        {"i": "note", "x": 0, "y": 7, "w": 12, "h": 2},
    ],
}


@pytest.fixture
def board(database):
    """Owned by the analyst; the editor may edit, the viewer view, the stranger nothing."""
    return shared_board(database, DOCUMENT)


def _form(board, **changes) -> AlertForm:
    values = {"dashboard_id": board.id, "widget_id": "kpi", "measure": "revenue", "condition": "above",
              "threshold": 10000}
    values.update(changes)
    return AlertForm.from_browser(values)


def _create(database, person: str, form: AlertForm, allow_external: bool = False) -> int:
    with database.session() as session:
        return create_alert(session, account_of(database, person), form, NOW, allow_external)


def test_an_analyst_creates_an_alert_the_ui_can_show_in_words(database, board):
    alert_id = _create(database, "analyst", _form(board, recipient_users=[account_of(database, "viewer").id]))
    with database.session() as session:
        record = get_alert(session, account_of(database, "analyst"), alert_id)
    assert record.name == "Revenue above 10,000" and record.condition_text == "Revenue above 10,000"
    assert (record.dashboard_title, record.widget_title, record.measure_label) == ("Sales pulse", "Revenue",
                                                                                   "Revenue")
    assert record.state == "ok" and not record.paused and record.next_evaluation_at == NOW
    assert record.value_text == "—" and record.last_evaluated_at is None
    assert record.recipient_users == [account_of(database, "viewer").id]


def test_each_condition_reads_as_a_sentence(database, board):
    forms = {
        "Gross margin % below 45%": _form(board, widget_id="margin", measure="margin_pct", condition="below",
                                          threshold=45),
        "Units changes by more than 20% vs the previous period": _form(
            board, widget_id="top", measure="units", condition="change", threshold="20"),
        "Revenue outside 2.5 standard deviations of the last 14 days": _form(
            board, condition="band", sigmas="2.5", periods="14", threshold=""),
    }
    for expected, form in forms.items():
        alert_id = _create(database, "analyst", form)
        with database.session() as session:
            assert get_alert(session, account_of(database, "analyst"), alert_id).condition_text == expected


@pytest.mark.parametrize(("changes", "message"), [
    ({"threshold": ""}, "Enter the threshold"),
    ({"condition": "change", "threshold": "0"}, "above 0"),
    ({"condition": "band", "sigmas": "2", "periods": "2"}, "between 3 and 365"),
    ({"condition": "band", "sigmas": "2", "periods": "366"}, "between 3 and 365"),
    ({"condition": "band", "sigmas": "0", "periods": "7"}, "standard deviations must be above 0"),
    ({"condition": "sideways"}, "Condition:"),
    ({"every_minutes": "0"}, "Check every (minutes):"),
    ({"recipient_emails": "boss@example.com, not-an-address"}, "not an email address"),
])
def test_the_form_says_what_is_wrong_in_words(board, changes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _form(board, **changes)


@pytest.mark.parametrize("address", ["a(b)@example.com", "a:b@example.com", "x@[10.0.0.1]",
                                     "no-dot@localhost"])
def test_an_address_the_mailer_would_refuse_is_refused_by_the_alert_form(board, address):
    with pytest.raises(ValueError, match="not an email address"):
        _form(board, recipient_emails=address)


def test_alert_addresses_are_kept_lowercased_once_each(board):
    form = _form(board, recipient_emails="Boss@Example.com, boss@example.COM\nVera@Example.com")
    assert form.recipient_emails == ["boss@example.com", "vera@example.com"]


def test_the_measure_must_be_one_the_widget_shows(database, board):
    with pytest.raises(AlertError, match="does not show the measure 'units'"):
        _create(database, "analyst", _form(board, measure="units"))
    with pytest.raises(AlertError, match="text widget"):
        _create(database, "analyst", _form(board, widget_id="note", measure="revenue"))
    with pytest.raises(AlertError, match="no longer on the dashboard"):
        _create(database, "analyst", _form(board, widget_id="gone"))
    # a chart's second measure is fine
    assert _create(database, "analyst", _form(board, widget_id="top", measure="units"))


def test_only_analysts_and_admins_who_can_view_the_dashboard_create_alerts(database, board):
    with pytest.raises(Forbidden, match="Only analysts and admins"):
        _create(database, "viewer", _form(board))
    with pytest.raises(NotFound):
        _create(database, "stranger", _form(board))
    assert _create(database, "editor", _form(board))  # an analyst it is shared with
    assert _create(database, "admin", _form(board))


def test_only_the_owner_or_an_admin_sees_or_changes_an_alert(database, board):
    alert_id = _create(database, "analyst", _form(board))
    editor = account_of(database, "editor")
    with database.session() as session:
        for attempt in (lambda: get_alert(session, editor, alert_id),
                        lambda: update_alert(session, editor, alert_id, _form(board, threshold=5), NOW),
                        lambda: set_paused(session, editor, alert_id, True, NOW),
                        lambda: snooze_alert(session, editor, alert_id, NOW + dt.timedelta(hours=1), NOW),
                        lambda: delete_alert(session, editor, alert_id),
                        lambda: get_alert(session, None, alert_id),
                        lambda: get_alert(session, editor, 999_999)):
            with pytest.raises(AlertNotFound):
                attempt()
        assert list_alerts(session, editor) == []
        assert list_alerts(session, editor, everyone=True) == []  # only admins see everyone's
        admin = account_of(database, "admin")
        assert list_alerts(session, admin) == []
        assert [record.id for record in list_alerts(session, admin, everyone=True)] == [alert_id]
        assert list_alerts(session, admin, everyone=True)[0].owner_name == PEOPLE["analyst"][1]
        update_alert(session, admin, alert_id, _form(board, threshold=5), NOW)
    with database.session() as session:
        row = session.get(Alert, alert_id)
        assert row.threshold == 5 and row.owner_id == account_of(database, "analyst").id


def test_external_addresses_need_the_admin_setting_but_users_addresses_do_not(database, board):
    with pytest.raises(AlertError, match="ALLOW_EXTERNAL_RECIPIENTS"):
        _create(database, "analyst", _form(board, recipient_emails="boss@elsewhere.example"))
    assert _create(database, "analyst", _form(board, recipient_emails=PEOPLE["viewer"][0]))
    assert _create(database, "analyst", _form(board, recipient_emails="boss@elsewhere.example"),
                   allow_external=True)


def test_recipient_users_must_be_active_users(database, board):
    with pytest.raises(AlertError, match="not active users"):
        _create(database, "analyst", _form(board, recipient_users=[987_654]))


def test_changing_the_condition_starts_again_from_ok_and_evaluates_at_the_next_tick(database, board):
    alert_id = _create(database, "analyst", _form(board))
    with database.session() as session:
        row = session.get(Alert, alert_id)
        row.state, row.last_value, row.next_evaluation_at = "firing", 12_000, NOW + dt.timedelta(minutes=15)
    later = NOW + dt.timedelta(minutes=3)
    analyst = account_of(database, "analyst")
    with database.session() as session:
        update_alert(session, analyst, alert_id, _form(board, name="Quiet week", threshold=20000), later)
    with database.session() as session:
        record = get_alert(session, analyst, alert_id)
    assert (record.name, record.state, record.last_value) == ("Quiet week", "ok", None)
    assert record.next_evaluation_at == later
    with database.session() as session:  # what people were told before is about the old condition
        events = session.execute(select(AlertEvent.kind, AlertEvent.emailed, AlertEvent.evaluated_at)
                                 .where(AlertEvent.alert_id == alert_id)).all()
    assert events == [("reset", True, later - dt.timedelta(microseconds=1))]
    with database.session() as session:  # a new name only: nothing to reset
        update_alert(session, analyst, alert_id, _form(board, name="Calm week", threshold=20000), later)
    with database.session() as session:
        assert session.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id)).all() == [
            "reset"]
    with database.session() as session, pytest.raises(AlertError, match="stays on its dashboard"):
        other = shared_board(database, {**DOCUMENT, "title": "Other"})
        update_alert(session, analyst, alert_id, _form(other), later)


def test_pausing_resuming_snoozing_and_deleting(database, board):
    alert_id = _create(database, "analyst", _form(board))
    analyst = account_of(database, "analyst")
    later = NOW + dt.timedelta(hours=2)
    with database.session() as session:
        set_paused(session, analyst, alert_id, True, NOW)
        assert get_alert(session, analyst, alert_id).paused
        set_paused(session, analyst, alert_id, False, later)
        record = get_alert(session, analyst, alert_id)
        assert not record.paused and record.next_evaluation_at == later  # nothing missed is caught up
        snooze_alert(session, analyst, alert_id, later + dt.timedelta(days=1), later)
        assert get_alert(session, analyst, alert_id).snoozed_until == later + dt.timedelta(days=1)
        with pytest.raises(AlertError, match="future"):
            snooze_alert(session, analyst, alert_id, later - dt.timedelta(minutes=1), later)
        snooze_alert(session, analyst, alert_id, None, later)
        assert get_alert(session, analyst, alert_id).snoozed_until is None
        delete_alert(session, analyst, alert_id)
        with pytest.raises(AlertNotFound):
            get_alert(session, analyst, alert_id)


def test_list_alerts_of_one_dashboard(database, board):
    mine = _create(database, "analyst", _form(board))
    other = shared_board(database, {**DOCUMENT, "title": "Other"})
    _create(database, "analyst", _form(other))
    with database.session() as session:
        analyst = account_of(database, "analyst")
        assert len(list_alerts(session, analyst)) == 2
        assert [record.id for record in list_alerts(session, analyst, dashboard_id=board.id)] == [mine]
