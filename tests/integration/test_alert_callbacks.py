"""The alert dialog and the Alerts tab, their callbacks called as plain functions as each person on
the real app database, forged ids from the browser included: they change nothing and reveal
nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from dash import no_update
from sqlalchemy import func, select

from callbacks.alert_dialog import open_dialog, save, show_condition_fields, show_current_value
from callbacks.alert_list import act, ask_to_delete, confirm_delete, draw_list
from callbacks.alert_values import as_kpi
from charts.formatting import format_value
from components import ids
from context import EXTENSION
from data.alert_form import number_text
from data.alerts import AlertForm, create_alert
from data.dashboards import load_dashboard
from data.datasets import get_dataset
from data.delivery_models import Alert
from pages.dashboard_view import layout as view_layout
from pipeline import widget_view
from tests.conftest import DEMO_END
from tests.helpers import account_of, nodes, shared_board, text_of

NOW = DEMO_END + dt.timedelta(minutes=5)  # where the `clock` fixture pins the app's time
BOARD = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales",
         "measures": ["revenue", "margin_pct"], "dimensions": ["region"]},
        {"id": "note", "type": "text", "title": "Notes", "options": {"markdown": "Hello"}},
    ],
    "layout": [{"i": "kpi", "x": 0, "y": 0, "w": 4, "h": 3}, {"i": "regions", "x": 4, "y": 0, "w": 8, "h": 3},
               {"i": "note", "x": 0, "y": 3, "w": 4, "h": 2}],
}
CLOSED = (no_update,) * 18
MARGIN_LABEL = get_dataset("sales").measure("margin_pct").label
NAME, MEASURES, MEASURE, CONDITION, THRESHOLD, USERS, EMAILS_STYLE = 4, 5, 6, 7, 8, 14, 16


@pytest.fixture
def board(database):
    """The analyst's dashboard, shared for editing with the editor (an analyst) and for viewing
    with the viewer; the stranger (an analyst too) cannot see it."""
    return shared_board(database, BOARD).id


def _form(board: int, **fields) -> dict:
    values = {"context": {"dashboard": board, "widget": "regions", "alert": None}, "name": "Revenue slump",
              "measure": "revenue", "condition": "below", "threshold": 1000, "sigmas": 2, "periods": 14,
              "grain": "day", "every": 15, "users": [], "emails": "", "saved": 0}
    values.update(fields)
    return values


def _save(fire, **values):
    fire(ids.AL_SAVE, "n_clicks", 1)
    return save(1, **values)


def _alert_of(database, person: str, board: int, **fields) -> int:
    data = {"dashboard_id": board, "widget_id": "regions", "measure": "revenue", "name": "Revenue slump",
            "condition": "below", "threshold": 1000.0, **fields}
    with database.session() as session:
        return create_alert(session, account_of(database, person), AlertForm(**data), NOW)


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def _row(database, alert_id: int) -> Alert | None:
    with database.session() as session:
        row = session.get(Alert, alert_id)
        if row is not None:
            session.expunge(row)
        return row


def _open_new(fire, board, widget: str, target=None):
    fire({"type": ids.AL_OPEN, "w": widget}, "n_clicks", 1)
    return open_dialog([1], [], 0, target if target is not None else {"dashboard": board})


# -- the dialog ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("person", "offered"), [
    ("analyst", {"kpi", "regions"}), ("admin", {"kpi", "regions"}), ("editor", {"kpi", "regions"}),
    ("viewer", set())])
def test_widget_menus_offer_create_alert_to_analysts_and_admins_on_widgets_with_measures(
        acting_as, board, clock, person, offered):
    with acting_as(person):
        page = view_layout(dashboard_id=str(board))
    openers = {node.id["w"] for node in nodes(page)
               if isinstance(getattr(node, "id", None), dict) and node.id.get("type") == ids.AL_OPEN}
    dialogs = [node for node in nodes(page) if getattr(node, "id", None) == ids.AL_TARGET]
    assert openers == offered
    assert [dialog.data for dialog in dialogs] == ([{"dashboard": board}] if offered else [])


def test_create_alert_opens_the_dialog_for_the_widgets_measures_as_the_dataset_labels_them(
        acting_as, board, database, clock, fire):
    with acting_as("editor"):
        filled = _open_new(fire, board, "regions")
    assert filled[0] is True and filled[1] == "Create alert"
    assert filled[2] == "Watching By region on Sales pulse"
    assert filled[3] == {"dashboard": board, "widget": "regions", "alert": None}
    assert filled[NAME] == "By region: Revenue"
    assert filled[MEASURES] == [{"label": "Revenue", "value": "revenue"},
                                {"label": MARGIN_LABEL, "value": "margin_pct"}]
    assert filled[MEASURE] == "revenue" and filled[CONDITION] == "above"
    assert filled[EMAILS_STYLE] == {"display": "none"}  # external addresses are not allowed here
    people = {option["value"]: option["label"] for option in filled[USERS - 1]}
    assert filled[USERS] == [account_of(database, "editor").id]  # the author, to begin with
    assert people[account_of(database, "viewer").id] == "Vera Viewer <vera@example.com>"


@pytest.mark.parametrize(("person", "widget", "target"), [
    ("viewer", "regions", None),        # viewers make no alerts
    ("stranger", "regions", None),      # an analyst who cannot see the dashboard
    ("analyst", "note", None),          # a text widget has no measure
    ("analyst", "nope", None),          # no such widget
    ("analyst", "regions", {"dashboard": 999_999}),
    ("analyst", "regions", {"dashboard": "1 OR 1=1"}),
    ("analyst", "regions", "junk"),
    (None, "regions", None),
])
def test_a_forged_or_refused_opening_opens_nothing(acting_as, board, clock, fire, person, widget, target):
    with acting_as(person):
        assert _open_new(fire, board, widget, target) == CLOSED


def test_a_redrawn_menu_firing_with_no_click_opens_nothing(acting_as, board, clock, fire):
    fire({"type": ids.AL_OPEN, "w": "regions"}, "n_clicks", 0)
    with acting_as("analyst"):
        assert open_dialog([0], [], 0, {"dashboard": board}) == CLOSED


def test_each_condition_shows_only_its_fields():
    hidden = {"display": "none"}
    assert show_condition_fields("above") == ({}, "Threshold", hidden, hidden)
    assert show_condition_fields("change") == ({}, "More than (%)", hidden, hidden)
    assert show_condition_fields("band") == (hidden, "Threshold", {}, {})


def test_the_current_value_of_a_charts_measure_is_what_a_kpi_card_of_it_shows(
        acting_as, board, database, clock):
    context = {"dashboard": board, "widget": "regions"}
    with database.session() as session:
        spec = load_dashboard(session, account_of(database, "analyst"), board).spec
    with acting_as("editor"):
        text = text_of(show_current_value("revenue", context))
        card = widget_view(spec.widget("kpi"), spec, []).data.value
        percent = text_of(show_current_value("margin_pct", context))
        margin = widget_view(as_kpi(spec.widget("regions"), "margin_pct"), spec, []).data.value
    assert card and text.startswith(f"Now: {format_value(card, 'currency')} over last 30 days")
    assert f"a threshold compares with {number_text(round(card, 4))}" in text
    assert f"compares with {number_text(round(margin * 100, 4))}%" in percent  # in percent, as the card shows


@pytest.mark.parametrize(("person", "context", "measure", "expected"), [
    ("stranger", {"dashboard": "BOARD", "widget": "regions"}, "revenue", "not available"),
    ("analyst", {"dashboard": 999_999, "widget": "regions"}, "revenue", "not available"),
    ("analyst", {"dashboard": "BOARD", "widget": "nope"}, "revenue", "not available"),
    ("analyst", {"dashboard": "BOARD", "widget": "regions"}, "orders", "no longer on the widget"),
])
def test_a_forged_current_value_request_reveals_nothing(acting_as, board, clock, person, context, measure,
                                                        expected):
    context = {**context, "dashboard": board if context["dashboard"] == "BOARD" else context["dashboard"]}
    with acting_as(person):
        text = text_of(show_current_value(measure, context))
    assert expected in text and "$" not in text


def test_saving_validates_on_the_server_and_keeps_the_dialog_open_with_the_reason(
        acting_as, board, database, clock, fire):
    with acting_as("analyst"):
        no_threshold = _save(fire, **_form(board, threshold=None))
        no_change = _save(fire, **_form(board, condition="change", threshold=""))
        outsider = _save(fire, **_form(board, emails="someone@elsewhere.example"))
        bad_email = _save(fire, **_form(board, emails="not-an-address"))
        few_periods = _save(fire, **_form(board, condition="band", periods=2))
    assert no_threshold[0] is no_update and "threshold" in text_of(no_threshold[1])
    assert "change" in text_of(no_change[1])
    assert "ALLOW_EXTERNAL_RECIPIENTS" in text_of(outsider[1])
    assert "not an email address" in text_of(bad_email[1])
    assert "3 and 365" in text_of(few_periods[1])
    assert _count(database) == 0


def test_saving_a_new_alert_stores_it_closes_the_dialog_and_refreshes_the_list(
        acting_as, board, database, clock, fire):
    analyst = account_of(database, "analyst")
    with acting_as("analyst"):
        closed, message, saved, toast, note = _save(fire, **_form(board, users=[analyst.id], every="30",
                                                                   threshold="1500.5"))
        listed = draw_list(0, saved)
    assert (closed, message, saved, toast) == (False, None, 1, True) and "Revenue slump" in note
    with database.session() as session:
        row = session.scalars(select(Alert)).one()
        stored = (row.owner_id, row.widget_id, row.measure, row.condition, row.threshold, row.every_minutes)
    assert stored == (analyst.id, "regions", "revenue", "below", 1500.5, 30)
    assert "Revenue slump" in text_of(listed) and "Sales pulse · By region" in text_of(listed)


@pytest.mark.parametrize(("person", "context", "measure"), [
    ("viewer", {"dashboard": "BOARD", "widget": "regions"}, "revenue"),
    ("stranger", {"dashboard": "BOARD", "widget": "regions"}, "revenue"),
    ("analyst", {"dashboard": 999_999, "widget": "regions"}, "revenue"),
    ("analyst", {"dashboard": "BOARD", "widget": "note"}, "revenue"),
    ("analyst", {"dashboard": "BOARD", "widget": "regions"}, "orders"),
    ("analyst", "junk", "revenue"),
])
def test_a_forged_save_makes_no_alert(acting_as, board, database, clock, fire, person, context, measure):
    if isinstance(context, dict):
        dashboard = board if context["dashboard"] == "BOARD" else context["dashboard"]
        context = {**context, "alert": None, "dashboard": dashboard}
    with acting_as(person):
        result = _save(fire, **_form(board, context=context, measure=measure))
    assert result[0] is no_update and text_of(result[1])
    assert "Sales pulse" not in text_of(result[1])
    assert _count(database) == 0


@pytest.fixture
def external_allowed(app):
    """The app with ALLOW_EXTERNAL_RECIPIENTS on."""
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, allow_external_recipients=True))


def test_other_addresses_are_offered_and_kept_only_when_allowed(acting_as, board, database, clock, fire,
                                                                external_allowed):
    with acting_as("analyst"):
        filled = _open_new(fire, board, "regions")
        result = _save(fire, **_form(board, emails="ops@elsewhere.example\nlead@elsewhere.example"))
    assert filled[EMAILS_STYLE] == {} and result[0] is False
    with database.session() as session:
        assert json.loads(session.scalars(select(Alert.recipients)).one())["emails"] == [
            "ops@elsewhere.example", "lead@elsewhere.example"]


def test_edit_reopens_the_dialog_as_saved_and_saving_updates_the_alert(
        acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board, condition="band", threshold=None, sigmas=2.5, periods=10,
                         grain="week", every_minutes=60, recipient_users=[account_of(database, "viewer").id])
    fire({"type": ids.AL_EDIT, "alert": alert_id}, "n_clicks", 1)
    with acting_as("analyst"):
        filled = open_dialog([], [1], 0, {"dashboard": None})
    assert filled[0] is True and filled[1] == "Edit alert"
    assert filled[3] == {"dashboard": board, "widget": "regions", "alert": alert_id}
    assert filled[CONDITION:13] == ("band", None, 2.5, 10, "week", 60)
    assert filled[USERS] == [account_of(database, "viewer").id]

    with acting_as("analyst"):
        result = _save(fire, **_form(board, context=filled[3], condition="above", threshold=5e6, name="Big"))
    assert result[0] is False and "saved" in result[4]
    row = _row(database, alert_id)
    assert (row.name, row.condition, row.threshold, row.sigmas) == ("Big", "above", 5e6, None)


def test_a_forged_alert_id_neither_opens_nor_changes_someone_elses_alert(
        acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    fire({"type": ids.AL_EDIT, "alert": alert_id}, "n_clicks", 1)
    with acting_as("editor"):  # may view the dashboard, but the alert is the analyst's
        assert open_dialog([], [1], 0, {"dashboard": None}) == CLOSED
        forged = {"dashboard": board, "widget": "regions", "alert": alert_id}
        result = _save(fire, **_form(board, context=forged, name="Hijacked", threshold=1))
    assert result[0] is no_update and "does not exist" in text_of(result[1])
    assert _row(database, alert_id).name == "Revenue slump"


def test_an_admin_may_edit_anyones_alert_which_stays_its_owners(acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    fire({"type": ids.AL_EDIT, "alert": alert_id}, "n_clicks", 1)
    with acting_as("admin"):
        filled = open_dialog([], [1], 0, {"dashboard": None})
        result = _save(fire, **_form(board, context=filled[3], threshold=42))
    assert result[0] is False
    row = _row(database, alert_id)
    assert row.threshold == 42 and row.owner_id == account_of(database, "analyst").id


# -- the Alerts tab ----------------------------------------------------------------------------------

def _row_ids(tree) -> set[int]:
    return {node.to_plotly_json()["props"]["data-alert-row"] for node in nodes(tree)
            if "data-alert-row" in node.to_plotly_json()["props"]}


def test_the_list_shows_ones_own_alerts_and_an_admin_everyones(acting_as, board, database, clock):
    mine = _alert_of(database, "analyst", board)
    theirs = _alert_of(database, "editor", board, name="Editor's", condition="above", threshold=2e6)
    with acting_as("analyst"):
        analyst_list = draw_list(0, 0)
    with acting_as("admin"):
        admin_list = draw_list(0, 0)
    with acting_as("viewer"):
        viewer_list = draw_list(0, 0)
    assert _row_ids(analyst_list) == {mine} and _row_ids(admin_list) == {mine, theirs}
    assert "By Edith Editor" in text_of(admin_list) and "By Alan" not in text_of(analyst_list)
    assert "Revenue below 1,000" in text_of(analyst_list) and "OK" in text_of(analyst_list)
    assert "No alerts yet" in text_of(viewer_list)


def test_an_error_shows_its_reason_and_a_snooze_its_end(acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    with database.session() as session:
        row = session.get(Alert, alert_id)
        row.state, row.last_error, row.last_evaluated_at = "error", "The widget was removed.", NOW
    fire({"type": ids.AL_SNOOZE, "alert": alert_id, "for": "1d"}, "n_clicks", 1)
    with acting_as("analyst"):
        refresh, message = act([1], [], [], 0)
        listed = text_of(draw_list(refresh, 0))
    assert refresh == 1 and "snoozed for 1 day" in message
    assert _row(database, alert_id).snoozed_until == NOW + dt.timedelta(days=1)
    assert "Error The widget was removed." in listed
    assert f"Snoozed until {NOW + dt.timedelta(days=1):%Y-%m-%d %H:%M} UTC" in listed
    assert "Unsnooze" in listed

    fire({"type": ids.AL_UNSNOOZE, "alert": alert_id}, "n_clicks", 1)
    with acting_as("analyst"):
        act([], [1], [], 1)
    assert _row(database, alert_id).snoozed_until is None


def test_pause_then_resume(acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    fire({"type": ids.AL_PAUSE, "alert": alert_id}, "n_clicks", 1)
    with acting_as("analyst"):
        assert "paused" in act([], [], [1], 0)[1]
        assert _row(database, alert_id).paused is True
        assert "Resume" in text_of(draw_list(1, 0))
        assert "resumed" in act([], [], [1], 1)[1]
    assert _row(database, alert_id).paused is False


@pytest.mark.parametrize("button", [
    {"type": ids.AL_SNOOZE, "for": "1w"}, {"type": ids.AL_UNSNOOZE}, {"type": ids.AL_PAUSE}])
def test_a_forged_alert_id_in_the_list_changes_nothing(acting_as, board, database, clock, fire, button):
    alert_id = _alert_of(database, "analyst", board)
    for forged in (alert_id, 999_999, "1; DROP TABLE alerts", None):
        fire({**button, "alert": forged}, "n_clicks", 1)
        with acting_as("stranger"):
            _refresh, message = act([1], [1], [1], 0)
        assert "does not exist" in message and "Revenue slump" not in message
    row = _row(database, alert_id)
    assert (row.snoozed_until, row.paused) == (None, False)


def test_an_unknown_snooze_length_does_nothing(acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    fire({"type": ids.AL_SNOOZE, "alert": alert_id, "for": "100y"}, "n_clicks", 1)
    with acting_as("analyst"):
        assert act([1], [], [], 0) == (no_update, no_update)
    assert _row(database, alert_id).snoozed_until is None


def test_delete_asks_first_then_deletes_and_a_forged_target_deletes_nothing(
        acting_as, board, database, clock, fire):
    alert_id = _alert_of(database, "analyst", board)
    fire({"type": ids.AL_DELETE, "alert": alert_id}, "n_clicks", 1)
    with acting_as("stranger"):
        assert ask_to_delete([1]) == (no_update, no_update, no_update)
    with acting_as("analyst"):
        is_open, body, target = ask_to_delete([1])
    assert is_open is True and "Revenue slump" in body and target == alert_id

    fire(ids.AL_DELETE_CONFIRM, "n_clicks", 1)
    with acting_as("stranger"):
        assert "does not exist" in confirm_delete(1, 0, alert_id, 0)[2]
    assert _row(database, alert_id) is not None
    fire(ids.AL_DELETE_CANCEL, "n_clicks", 1)
    with acting_as("analyst"):
        assert confirm_delete(1, 1, alert_id, 0) == (False, no_update, no_update)
    assert _row(database, alert_id) is not None

    fire(ids.AL_DELETE_CONFIRM, "n_clicks", 2)
    with acting_as("analyst"):
        assert confirm_delete(2, 1, alert_id, 0) == (False, 1, "Alert deleted.")
    assert _row(database, alert_id) is None
