"""Evaluating alerts over the real demo rows with a pinned clock, mail going to a real SMTP server:
they fire once, stay quiet while true, clear, fire again; each condition agrees with pandas over
the same rows; snoozes, lost access and two schedulers at once; an address refused for good or
for now; an edited condition starting afresh."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
import threading

import pandas as pd
import pytest
from sqlalchemy import select

from app import create_app
from context import EXTENSION
from data.alerts import AlertForm, create_alert, snooze_alert, update_alert
from data.dashboard_spec import parse_document
from data.dashboards import save_dashboard, set_share
from data.db import Database
from data.delivery_models import Alert, AlertEvent, Notification
from data.migrate import upgrade
from data.models import OrderLine, User
from data.seed import seed_demo
from delivery import alert_checks, alerts, mailer
from delivery.alerts import evaluate_alert, evaluate_due
from tests.conftest import DEMO_END, PEOPLE, SECRET, close_app, free_port, seed_users
from tests.helpers import account_of, shared_board
from tests.smtp import _Keep

DAY = dt.timedelta(days=1)
DOCUMENT = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "yesterday", "type": "kpi", "title": "Revenue yesterday", "dataset": "sales",
         "measures": ["revenue"], "time_range": {"relative": "yesterday"}},
        {"id": "today", "type": "kpi", "title": "Revenue today", "dataset": "sales", "measures": ["revenue"],
         "time_range": {"relative": "today"}},
        {"id": "top", "type": "table", "title": "Top products", "dataset": "sales",
         "measures": ["revenue", "units"], "dimensions": ["product"],
         "time_range": {"relative": "last_7_days"}},
    ],
    "layout": [
        {"i": "yesterday", "x": 0, "y": 0, "w": 3, "h": 3},
        {"i": "today", "x": 3, "y": 0, "w": 3, "h": 3},
        {"i": "top", "x": 0, "y": 3, "w": 12, "h": 4},
    ],
}


@pytest.fixture
def services(mail_app):
    return mail_app.server.extensions[EXTENSION]


@pytest.fixture
def database(services):
    return services.database


@pytest.fixture
def clock(mail_app, services):
    """The `clock` fixture's twin for `mail_app`: pins its clock, returns a setter."""
    moment = {"now": DEMO_END + dt.timedelta(minutes=5)}
    mail_app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: moment["now"])

    def move_to(when: dt.datetime) -> None:
        moment["now"] = when

    return move_to


@pytest.fixture
def evaluate(mail_app, clock):
    """Move the clock to `when` and run what the scheduler's tick runs."""

    def run(when: dt.datetime) -> int:
        clock(when)
        with mail_app.server.app_context():
            return evaluate_due(when)

    return run


@pytest.fixture
def board(database):
    """Owned by the analyst; the editor may edit, the viewer view, the stranger nothing."""
    return shared_board(database, DOCUMENT)


@pytest.fixture
def lines(database) -> pd.DataFrame:
    with database.engine.connect() as connection:
        return pd.read_sql("SELECT * FROM order_lines", connection, parse_dates=["order_date"])


def daily(lines: pd.DataFrame, column: str = "revenue") -> pd.Series:
    """The column's sum by calendar day, NaN on days without a row (a KPI shows no value then)."""
    sums = lines.groupby(lines.order_date.dt.floor("D"))[column].sum()
    return sums.reindex(pd.date_range(sums.index.min(), sums.index.max(), freq="D"))


def _alert(database, board, person: str = "analyst", **values) -> int:
    form = {"dashboard_id": board.id, "widget_id": "yesterday", "measure": "revenue", "name": "Revenue watch",
            "every_minutes": 24 * 60, "recipient_users": [account_of(database, "viewer").id]}
    form.update(values)
    when = values.pop("created", None) or DEMO_END
    form.pop("created", None)
    with database.session() as session:
        return create_alert(session, account_of(database, person), AlertForm.from_browser(form), when)


def _events(database, alert_id: int) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id)
                                    .order_by(AlertEvent.evaluated_at)))


def _emailed(database, alert_id: int) -> list[bool]:
    with database.session() as session:
        return list(session.scalars(select(AlertEvent.emailed).where(AlertEvent.alert_id == alert_id)
                                    .order_by(AlertEvent.evaluated_at)))


def _state(database, alert_id: int) -> Alert:
    with database.session() as session:
        return session.get(Alert, alert_id)


def _notifications(database, person: str) -> list[Notification]:
    user_id = account_of(database, person).id
    with database.session() as session:
        return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                    .order_by(Notification.id)))


def _window(values: pd.Series, pattern: list[bool]) -> tuple[pd.Timestamp, float]:
    """The latest run of consecutive days whose values a threshold splits as `pattern` says
    (True: above it), and that threshold."""
    for end in range(len(values), len(pattern) - 1, -1):
        chunk = values.iloc[end - len(pattern):end]
        if chunk.isna().any():
            continue
        high = [value for value, up in zip(chunk, pattern, strict=True) if up]
        low = [value for value, up in zip(chunk, pattern, strict=True) if not up]
        if min(high) > max(low) + 20:
            return chunk.index[0], (min(high) + max(low)) / 2
    raise AssertionError("the demo data has no such run of days")


def test_an_alert_fires_once_stays_quiet_while_true_clears_and_fires_again(database, board, lines, evaluate,
                                                                             smtp_server):
    pattern = [True, True, True, False, True]
    first, threshold = _window(daily(lines), pattern)
    start = first.to_pydatetime() + DAY + dt.timedelta(minutes=30)  # "yesterday" is then `first`
    alert_id = _alert(database, board, condition="above", threshold=round(threshold, 2), created=start)
    states, events = [], []
    for offset in range(len(pattern)):
        assert evaluate(start + offset * DAY) == 1
        states.append(_state(database, alert_id).state)
        events.append(_events(database, alert_id))
    assert states == ["firing", "firing", "firing", "ok", "firing"]
    assert events[-1] == ["fired", "cleared", "fired"]
    assert events[1] == events[2] == ["fired"]  # no repeats while it stays true
    expected = daily(lines)[first + (len(pattern) - 1) * DAY]
    assert _state(database, alert_id).last_value == pytest.approx(expected)
    received = smtp_server.wait_for(3)
    assert [message.subject for message in received] == ["Alert: Revenue watch", "Cleared: Revenue watch",
                                                         "Alert: Revenue watch"]
    assert all(message.recipients == [PEOPLE["viewer"][0]] for message in received)
    assert "Revenue above" in received[0].body() and "/dashboards/" in received[0].body()
    assert "No longer Revenue above" in received[1].body("html")
    for person in ("analyst", "viewer"):  # the owner and the recipient users hear in the app
        assert [note.kind for note in _notifications(database, person)] == ["fired", "cleared", "fired"]
    assert _notifications(database, "editor") == []
    assert _emailed(database, alert_id) == [True, True, True]


def test_new_rows_make_an_alert_fire_at_the_next_evaluation(database, board, evaluate, smtp_server, lines):
    now = DEMO_END + dt.timedelta(minutes=5)
    today = lines[lines.order_date >= DEMO_END.replace(hour=0, minute=0)].revenue.sum()
    alert_id = _alert(database, board, widget_id="today", condition="above", threshold=round(today + 5000),
                      every_minutes=15, created=now)
    assert evaluate(now) == 1 and _state(database, alert_id).state == "ok"
    assert _state(database, alert_id).last_value == pytest.approx(today)
    with database.session() as session:
        model = session.scalars(select(OrderLine).order_by(OrderLine.id.desc())).first()
        columns = {column.name: getattr(model, column.name) for column in OrderLine.__table__.columns}
        session.add(OrderLine(**{**columns, "id": None, "order_date": now, "revenue": 6000.0}))
    assert evaluate(now + dt.timedelta(minutes=10)) == 0  # not due yet
    assert evaluate(now + dt.timedelta(minutes=15)) == 1
    assert _state(database, alert_id).state == "firing"
    assert _state(database, alert_id).last_value == pytest.approx(today + 6000)
    assert smtp_server.wait_for(1)[0].subject == "Alert: Revenue watch"


def test_below_compares_the_kpi_value_with_the_threshold(database, board, lines, evaluate):
    pattern = [False, True]
    first, threshold = _window(daily(lines), pattern)
    start = first.to_pydatetime() + DAY + dt.timedelta(minutes=30)
    alert_id = _alert(database, board, condition="below", threshold=round(threshold, 2), created=start)
    evaluate(start)
    assert _state(database, alert_id).state == "firing"
    evaluate(start + DAY)
    assert _state(database, alert_id).state == "ok"
    assert _events(database, alert_id) == ["fired", "cleared"]


def test_a_change_condition_compares_with_the_previous_period_as_pandas_does(database, board, lines,
                                                                            evaluate):
    values = daily(lines)
    days = values.index[-40:-1]  # "yesterday" is each of these days in turn
    start = days[0].to_pydatetime() + DAY + dt.timedelta(minutes=30)
    alert_id = _alert(database, board, condition="change", threshold=60, created=start)
    expected, states, told = [], [], []
    for offset, day in enumerate(days):
        value, previous = values[day], values[day - DAY]
        met = not (pd.isna(value) or pd.isna(previous) or previous == 0) and abs(value / previous - 1) > 0.6
        expected.append("firing" if met else "ok")
        if expected[-1] != (expected[-2] if offset else "ok"):
            told.append("fired" if met else "cleared")
        evaluate(start + offset * DAY)
        states.append(_state(database, alert_id).state)
    assert states == expected and {"firing", "ok"} <= set(states)
    assert _events(database, alert_id) == told


def test_a_band_compares_the_last_complete_period_with_the_mean_and_deviation_of_those_before(
        database, board, lines, evaluate):
    values = daily(lines).fillna(0)  # a day without rows adds up to 0 for a sum
    days = values.index[-30:-1]
    start = days[0].to_pydatetime() + dt.timedelta(hours=12)
    alert_id = _alert(database, board, condition="band", sigmas=1.2, periods=7, grain="day", created=start)
    expected, states = [], []
    for offset, day in enumerate(days):
        history = values[day - 7 * DAY: day - DAY].tolist()
        mean, spread = statistics.fmean(history), statistics.pstdev(history)
        expected.append("firing" if abs(values[day] - mean) > 1.2 * spread else "ok")
        evaluate(start + (offset + 1) * DAY)  # the next day, when `day` is the last complete one
        row = _state(database, alert_id)
        states.append(row.state)
        assert row.last_value == pytest.approx(values[day])
    assert states == expected and {"firing", "ok"} <= set(states)


def test_an_alert_on_a_charts_measure_watches_its_total_over_the_charts_range(database, board, lines,
                                                                             evaluate):
    now = DEMO_END + dt.timedelta(minutes=5)
    units = lines[lines.order_date >= (now - 6 * DAY).replace(hour=0, minute=0)].quantity.sum()
    alert_id = _alert(database, board, widget_id="top", measure="units", condition="above",
                      threshold=units - 1, created=now)
    evaluate(now)
    assert _state(database, alert_id).state == "firing"
    assert _state(database, alert_id).last_value == pytest.approx(units)


def test_a_snoozed_alert_tracks_its_state_but_tells_nobody_until_the_snooze_ends(database, board, evaluate,
                                                                               smtp_server):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, widget_id="top", condition="above", threshold=-1e9, created=start)
    with database.session() as session:
        snooze_alert(session, account_of(database, "analyst"), alert_id, start + 2 * DAY, start)
    evaluate(start)
    evaluate(start + DAY)
    assert _state(database, alert_id).state == "firing"
    assert _events(database, alert_id) == [] and smtp_server.messages == []
    assert _notifications(database, "analyst") == []
    evaluate(start + 2 * DAY)  # the snooze has ended and it still fires: told once
    evaluate(start + 3 * DAY)
    assert _events(database, alert_id) == ["fired"]
    assert len(smtp_server.wait_for(1)) == 1
    assert [note.kind for note in _notifications(database, "viewer")] == ["fired"]


def test_an_owner_who_lost_access_gets_an_error_once_and_nothing_is_sent(database, board, evaluate,
                                                                         smtp_server):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, person="editor", widget_id="top", condition="above", threshold=-1e9,
                      created=start)
    evaluate(start)
    assert len(smtp_server.wait_for(1)) == 1
    owner = account_of(database, "analyst")
    with database.session() as session:
        set_share(session, owner, board.id, PEOPLE["editor"][0], None)
    evaluate(start + DAY)
    evaluate(start + 2 * DAY)
    row = _state(database, alert_id)
    assert row.state == "error" and "can no longer view this dashboard" in row.last_error
    assert _events(database, alert_id) == ["fired", "error"]
    assert [note.kind for note in _notifications(database, "editor")] == ["fired", "error"]
    assert [note.kind for note in _notifications(database, "viewer")] == ["fired"]  # no data to others
    assert len(smtp_server.messages) == 1
    with database.session() as session:  # access back and still true: they were told already
        set_share(session, owner, board.id, PEOPLE["editor"][0], "edit")
    evaluate(start + 3 * DAY)
    assert _state(database, alert_id).state == "firing" and _events(database, alert_id) == ["fired", "error"]


def test_a_widget_removed_from_the_dashboard_puts_the_alert_in_error(database, board, evaluate):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, widget_id="top", measure="units", condition="above", threshold=1,
                      created=start)
    document = {**DOCUMENT, "widgets": DOCUMENT["widgets"][:2], "layout": DOCUMENT["layout"][:2]}
    with database.session() as session:
        save_dashboard(session, account_of(database, "analyst"), board.id, parse_document(document), 1)
    evaluate(start)
    row = _state(database, alert_id)
    assert row.state == "error" and "removed from the dashboard" in row.last_error


def test_an_email_that_failed_is_sent_at_the_next_evaluation(mail_app, services, database, board, evaluate,
                                                             smtp_server):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, condition="above", threshold=-1e9, every_minutes=15, created=start)
    working = mail_app.server.extensions[EXTENSION]
    broken = dataclasses.replace(working.settings, smtp_port=free_port())  # nothing listens there
    mail_app.server.extensions[EXTENSION] = dataclasses.replace(working, settings=broken)
    evaluate(start)
    assert _emailed(database, alert_id) == [False]
    mail_app.server.extensions[EXTENSION] = working
    evaluate(start + dt.timedelta(minutes=15))
    evaluate(start + dt.timedelta(minutes=30))
    assert [message.subject for message in smtp_server.wait_for(1)] == ["Alert: Revenue watch"]
    assert len(smtp_server.messages) == 1 and _events(database, alert_id) == ["fired"]
    assert _emailed(database, alert_id) == [True]


class _Refusing(_Keep):
    """The test server's handler, refusing the addresses of `refused` with their reply."""

    def __init__(self, server, refused: dict[str, str]):
        super().__init__(server)
        self.refused = refused

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _recipients(database, alert_id: int) -> list[dict]:
    with database.session() as session:
        return [json.loads(text) for text in session.scalars(
            select(AlertEvent.recipients).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id))]


def _people(*names: str) -> list[str]:
    return [PEOPLE[name][0] for name in names]


def test_an_address_refused_for_good_fails_alone_and_the_others_get_one_email(database, board, evaluate,
                                                                               smtp_server):
    viewer, editor, admin = _people("viewer", "editor", "admin")
    smtp_server._controller.handler = _Refusing(smtp_server, {editor: "550 5.1.1 No such mailbox"})
    users = [account_of(database, name).id for name in ("viewer", "editor", "admin")]
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, condition="above", threshold=-1e9, every_minutes=15, created=start,
                      recipient_users=users)
    for step in range(3):
        evaluate(start + step * dt.timedelta(minutes=15))
    assert len(smtp_server.messages) == 2
    assert [len(smtp_server.to(address)) for address in (viewer, editor, admin)] == [1, 0, 1]
    assert _recipients(database, alert_id) == [{viewer: "sent", editor: "failed", admin: "sent"}]
    assert _emailed(database, alert_id) == [True] and _events(database, alert_id) == ["fired"]


def test_a_transient_refusal_retries_only_the_pending_addresses_at_the_next_evaluation(database, board,
                                                                                       evaluate, smtp_server):
    viewer, editor, admin = _people("viewer", "editor", "admin")
    refused = {editor: "450 4.2.1 Mailbox busy, try later"}
    smtp_server._controller.handler = _Refusing(smtp_server, refused)
    users = [account_of(database, name).id for name in ("viewer", "editor", "admin")]
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, condition="above", threshold=-1e9, every_minutes=15, created=start,
                      recipient_users=users)
    evaluate(start)
    assert _recipients(database, alert_id) == [{viewer: "sent", editor: "pending", admin: "pending"}]
    assert _emailed(database, alert_id) == [False]
    refused.clear()  # the mailbox is free again
    evaluate(start + dt.timedelta(minutes=15))
    evaluate(start + dt.timedelta(minutes=30))
    assert [len(smtp_server.to(address)) for address in (viewer, editor, admin)] == [1, 1, 1]
    assert _recipients(database, alert_id) == [{viewer: "sent", editor: "sent", admin: "sent"}]
    assert _emailed(database, alert_id) == [True]


def test_an_event_another_evaluation_is_sending_is_not_sent_twice(mail_app, services, database, board,
                                                                  evaluate, smtp_server, monkeypatch):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, condition="above", threshold=-1e9, every_minutes=15, created=start)
    working = mail_app.server.extensions[EXTENSION]
    broken = dataclasses.replace(working.settings, smtp_port=free_port())  # nothing listens there
    mail_app.server.extensions[EXTENSION] = dataclasses.replace(working, settings=broken)
    evaluate(start)  # recorded, not emailed
    mail_app.server.extensions[EXTENSION] = working
    arrived, release, real_send = threading.Event(), threading.Event(), mailer.send

    def held_send(config, message) -> None:  # the first sender is held just before it sends
        if threading.current_thread() is first:
            arrived.set()
            release.wait(timeout=60)
        real_send(config, message)

    monkeypatch.setattr(mailer, "send", held_send)

    def send() -> None:
        with mail_app.server.app_context():
            alerts._send_pending(alert_id, start)

    first = threading.Thread(target=send)
    first.start()
    try:
        assert arrived.wait(timeout=60)
        send()  # a second evaluation meanwhile: the event is claimed, so it leaves it alone
        assert smtp_server.messages == []
    finally:
        release.set()
        first.join(timeout=60)
    assert len(smtp_server.wait_for(1)) == 1 and _emailed(database, alert_id) == [True]
    send()
    assert len(smtp_server.messages) == 1


def test_editing_the_condition_forgets_what_the_old_one_told(mail_app, database, board, evaluate, smtp_server,
                                                             lines):
    now = DEMO_END + dt.timedelta(minutes=5)
    today = lines[lines.order_date >= DEMO_END.replace(hour=0, minute=0)].revenue.sum()
    values = {"dashboard_id": board.id, "widget_id": "today", "measure": "revenue", "name": "Revenue watch",
              "condition": "above", "every_minutes": 15,
              "recipient_users": [account_of(database, "viewer").id]}
    with database.session() as session:
        alert_id = create_alert(session, account_of(database, "analyst"), AlertForm.from_browser(
            {**values, "threshold": round(today - 1000)}), now)
    assert evaluate(now) == 1 and _state(database, alert_id).state == "firing"
    with database.session() as session:  # "above 100" becomes "above 200" while the value is 150
        update_alert(session, account_of(database, "analyst"), alert_id,
                     AlertForm.from_browser({**values, "threshold": round(today + 1000)}),
                     now + dt.timedelta(minutes=1))
    assert evaluate(now + dt.timedelta(minutes=1)) == 1
    assert _state(database, alert_id).state == "ok"
    assert _events(database, alert_id) == ["fired", "reset"]  # no "cleared", no new "fired"
    with database.session() as session:  # then the value passes the new threshold
        model = session.scalars(select(OrderLine).order_by(OrderLine.id.desc())).first()
        columns = {column.name: getattr(model, column.name) for column in OrderLine.__table__.columns}
        session.add(OrderLine(**{**columns, "id": None, "order_date": now, "revenue": 2000.0}))
    assert evaluate(now + dt.timedelta(minutes=16)) == 1
    assert evaluate(now + dt.timedelta(minutes=31)) == 1
    assert _state(database, alert_id).state == "firing"
    assert _events(database, alert_id) == ["fired", "reset", "fired"]
    assert [message.subject for message in smtp_server.wait_for(2)] == ["Alert: Revenue watch"] * 2
    assert len(smtp_server.messages) == 2


def test_a_recipient_typed_in_another_case_than_their_account_still_gets_the_email(mail_app, database, board,
                                                                                   evaluate, smtp_server):
    with database.session() as session:  # an account whose address was stored in capitals
        session.get(User, account_of(database, "editor").id).email = "Edith.E@Example.com"
    start = DEMO_END + dt.timedelta(minutes=5)
    with mail_app.server.app_context():  # external addresses are not allowed: it must be known as a user's
        _alert(database, board, condition="above", threshold=-1e9, created=start, recipient_users=[],
               recipient_emails="EDITH.e@example.COM")
    evaluate(start)
    [message] = smtp_server.wait_for(1)
    assert message.recipients == ["edith.e@example.com"]


def test_evaluating_by_hand_records_at_that_instant_and_keeps_the_schedule(mail_app, database, board, clock):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, widget_id="top", condition="above", threshold=-1e9,
                      created=start + dt.timedelta(hours=1))
    with mail_app.server.app_context():
        assert evaluate_alert(alert_id, start) == "firing"
        assert evaluate_alert(alert_id, start) == "firing"  # still true: nothing new to tell
    with database.session() as session:
        assert session.scalars(select(AlertEvent.evaluated_at).where(AlertEvent.alert_id == alert_id)).all() \
            == [start]
    assert _state(database, alert_id).next_evaluation_at == start + dt.timedelta(hours=1)


def _race(apps: list, start: dt.datetime, monkeypatch) -> list[int]:
    """Each app's scheduler evaluates what is due at `start` on a thread of its own. Both read
    the alert as due and evaluate it before either records: a barrier holds each one after its
    evaluation. Returns what each `evaluate_due` recorded."""
    barrier, counts = threading.Barrier(len(apps)), []

    def evaluated_together(*args):
        outcome = alert_checks.check(*args)
        barrier.wait(timeout=60)
        return outcome

    monkeypatch.setattr(alerts, "check", evaluated_together)

    def tick(app) -> None:
        with app.server.app_context():
            counts.append(evaluate_due(start))

    threads = [threading.Thread(target=tick, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return counts


def _second_app(url: str, folder, smtp_server):
    return create_app({"env": "test", "instance_path": folder, "database_url": url, "secret_key": SECRET,
                       "demo_feed": False, "scheduler": "off", **smtp_server.settings()})


def test_two_app_instances_evaluating_the_same_slot_record_and_email_once(mail_app, database, board,
                                                                         smtp_server, tmp_path, monkeypatch):
    start = DEMO_END + dt.timedelta(minutes=5)
    alert_id = _alert(database, board, condition="above", threshold=-1e9, created=start)
    other = _second_app(database.url, tmp_path / "other", smtp_server)
    try:
        counts = _race([mail_app, other], start, monkeypatch)
    finally:
        close_app(other)
    assert sorted(counts) == [0, 1]
    assert _events(database, alert_id) == ["fired"]
    assert len(smtp_server.wait_for(1)) == 1 and len(smtp_server.messages) == 1
    assert len(_notifications(database, "viewer")) == 1
    assert _state(database, alert_id).next_evaluation_at == start + DAY


def test_two_app_instances_on_postgresql_record_and_email_once(postgres_url, smtp_server, tmp_path,
                                                              monkeypatch):
    upgrade(postgres_url)
    setup = Database(postgres_url)
    try:
        seed_demo(setup.engine, rows=500, end=DEMO_END)
        seed_users(setup)
        board = shared_board(setup, DOCUMENT)
        start = DEMO_END + dt.timedelta(minutes=5)
        alert_id = _alert(setup, board, widget_id="top", condition="above", threshold=-1e9, created=start)
        apps = [_second_app(postgres_url, tmp_path / name, smtp_server) for name in ("one", "two")]
        try:
            counts = _race(apps, start, monkeypatch)
        finally:
            for app in apps:
                close_app(app)
        assert sorted(counts) == [0, 1]
        assert _events(setup, alert_id) == ["fired"]
        assert len(smtp_server.wait_for(1)) == 1 and len(smtp_server.messages) == 1
        assert len(_notifications(setup, "viewer")) == 1
    finally:
        setup.dispose()
