"""KPI alerts as data: the form, the rules of who may make and see them, and the records the UI
shows. `delivery/alerts.py` evaluates them.

An alert watches one measure of one widget of a dashboard. Conditions: above or below a
threshold; a change against the previous period of more than `threshold` percent (either way);
outside a band of `sigmas` standard deviations of the last `periods` periods of `grain`. For a
measure shown as a percentage the threshold is in percent as the card shows it (45 means 45%).

Rules, as for schedules: analysts and admins make alerts; the owner must be able to view the
dashboard; only the owner or an admin sees or changes one (anyone else gets `AlertNotFound`);
recipients are users of the app, plus other addresses only while `ALLOW_EXTERNAL_RECIPIENTS`
is on. Refusals raise `AlertError` (or a `DashboardError`), whose messages are safe to show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alert_form import (
    CONDITIONS,
    GRAINS,
    AlertError,
    AlertForm,
    condition_text,
    find_measure,
    measure_options,
    value_text,
)
from data.dashboard_access import Actor, as_id, require_creator
from data.dashboard_spec import WidgetSpec, parse_document
from data.dashboards import load_dashboard
from data.datasets import Measure, UnknownField, get_dataset
from data.delivery_models import Alert, AlertEvent
from data.models import Dashboard, User
from data.recipients import external_allowed

__all__ = ["CONDITIONS", "GRAINS", "AlertError", "AlertForm", "AlertNotFound", "AlertRecord", "create_alert",
           "delete_alert", "get_alert", "list_alerts", "measure_options", "set_paused", "snooze",
           "snooze_alert", "update_alert"]


class AlertNotFound(LookupError):
    """No such alert, or one the account may not see (never told apart)."""

    def __init__(self, message: str = "This alert does not exist, or it is not yours."):
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class AlertRecord:
    """An alert as the UI shows it (never the ORM row)."""

    id: int
    name: str
    owner_id: int
    owner_name: str
    dashboard_id: int
    dashboard_title: str
    widget_id: str
    widget_title: str
    measure: str
    measure_label: str
    condition: str
    threshold: float | None
    sigmas: float | None
    periods: int | None
    grain: str
    every_minutes: int
    recipient_users: list[int]
    recipient_emails: list[str]
    condition_text: str
    state: str
    last_value: float | None
    value_text: str
    last_error: str | None
    last_evaluated_at: dt.datetime | None
    next_evaluation_at: dt.datetime | None
    snoozed_until: dt.datetime | None
    paused: bool


# -- the store -------------------------------------------------------------------------------------

def _checked(session: Session, owner: Actor, form: AlertForm, allow_external: bool | None) -> dict:
    """The columns of an alert made from `form` for `owner`, once every rule holds."""
    record = load_dashboard(session, owner, form.dashboard_id, "view")
    try:
        widget = record.spec.widget(form.widget_id)
    except KeyError:
        raise AlertError("This widget is no longer on the dashboard.") from None
    try:
        measure = find_measure(widget, form.measure)
    except UnknownField as error:
        raise AlertError(str(error)) from None
    users = list(dict.fromkeys(form.recipient_users))
    found = set(session.scalars(select(User.id).where(User.id.in_(users), User.active.is_(True))))
    if len(found) < len(users):
        raise AlertError("Some of the people to notify are not active users any more.")
    emails = list(dict.fromkeys(form.recipient_emails))
    if emails and not external_allowed(allow_external):
        known = {email.lower() for email in session.scalars(select(User.email).where(User.active.is_(True)))}
        outside = [email for email in emails if email.lower() not in known]
        if outside:
            raise AlertError(f"Only people of Pulseboard can be emailed ({outside[0]} is not one); an admin "
                             "may allow other addresses with ALLOW_EXTERNAL_RECIPIENTS.")
    band, threshold = form.condition == "band", form.condition != "band"
    return {"dashboard_id": record.id, "widget_id": widget.id, "measure": form.measure,
            "name": form.name or condition_text(form, measure), "condition": form.condition,
            "threshold": form.threshold if threshold else None, "sigmas": form.sigmas if band else None,
            "periods": form.periods if band else None, "grain": form.grain,
            "every_minutes": form.every_minutes,
            "recipients": json.dumps({"users": users, "emails": emails})}


def create_alert(session: Session, account: Actor | None, form: AlertForm, now: dt.datetime,
                 allow_external: bool | None = None) -> int:
    """Make an alert owned by `account`, first evaluated at the scheduler's next tick; its id."""
    require_creator(account, "create alerts")
    row = Alert(owner_id=account.id, state="ok", paused=False, next_evaluation_at=now, created_at=now,
                updated_at=now, **_checked(session, account, form, allow_external))
    session.add(row)
    session.flush()
    return row.id


def _owned(session: Session, account: Actor | None, alert_id: object) -> Alert:
    identifier = as_id(alert_id)
    row = session.get(Alert, identifier, populate_existing=True) if identifier is not None else None
    if row is None or account is None or not account.active:
        raise AlertNotFound()
    if not (account.is_admin or row.owner_id == account.id):
        raise AlertNotFound()
    return row


def _owner(session: Session, row: Alert, account: Actor) -> Actor:
    if row.owner_id == account.id:
        return account
    from auth.account import Account

    return Account.from_user(session.get(User, row.owner_id))


WATCHED = ("widget_id", "measure", "condition", "threshold", "sigmas", "periods", "grain")


def update_alert(session: Session, account: Actor | None, alert_id: object, form: AlertForm,
                 now: dt.datetime, allow_external: bool | None = None) -> None:
    """Change an alert (its owner or an admin; it stays its owner's). A changed condition starts
    from "ok" and is evaluated at the next tick; a "reset" event marks that what people were
    told before is about the old condition (so it neither clears nor fires because of it)."""
    row = _owned(session, account, alert_id)
    require_creator(account, "change alerts")
    values = _checked(session, _owner(session, row, account), form, allow_external)
    if values["dashboard_id"] != row.dashboard_id:
        raise AlertError("An alert stays on its dashboard; make a new one for another.")
    if any(getattr(row, key) != values[key] for key in WATCHED) or row.state == "error":
        row.state, row.last_value, row.last_error = "ok", None, None
        _reset(session, row.id, now)
    for key, value in values.items():
        setattr(row, key, value)
    row.next_evaluation_at, row.updated_at = now, now
    session.flush()


def _reset(session: Session, alert_id: int, now: dt.datetime) -> None:
    """Record a reset, already emailed. Its slot is just before `now` (the next evaluation's
    slot is `now`), on the first free instant: the (alert, slot) key is unique."""
    taken = set(session.scalars(select(AlertEvent.evaluated_at).where(
        AlertEvent.alert_id == alert_id, AlertEvent.evaluated_at < now,
        AlertEvent.evaluated_at >= now - dt.timedelta(seconds=1))))
    slot = now - dt.timedelta(microseconds=1)
    while slot in taken:
        slot -= dt.timedelta(microseconds=1)
    session.add(AlertEvent(alert_id=alert_id, evaluated_at=slot, kind="reset", value=None,
                           message="The condition was changed.", emailed=True, created_at=now))


def delete_alert(session: Session, account: Actor | None, alert_id: object) -> None:
    """Delete an alert with its events (the database cascades)."""
    session.delete(_owned(session, account, alert_id))
    session.flush()


def set_paused(session: Session, account: Actor | None, alert_id: object, paused: bool,
               now: dt.datetime) -> None:
    """Pause or resume; resuming evaluates at the next tick (nothing missed is caught up)."""
    row = _owned(session, account, alert_id)
    row.paused, row.updated_at = bool(paused), now
    if not paused:
        row.next_evaluation_at = now
    session.flush()


def snooze_alert(session: Session, account: Actor | None, alert_id: object, until: dt.datetime | None,
                 now: dt.datetime) -> None:
    """Silence an alert until `until` (None: now): it is still evaluated, but tells nobody."""
    row = _owned(session, account, alert_id)
    if until is not None and until <= now:
        raise AlertError("Snooze until a time in the future.")
    row.snoozed_until, row.updated_at = until, now
    session.flush()


snooze = snooze_alert


def get_alert(session: Session, account: Actor | None, alert_id: object) -> AlertRecord:
    """One alert, for its owner or an admin."""
    return _records(session, [_owned(session, account, alert_id)])[0]


def list_alerts(session: Session, account: Actor | None, everyone: bool = False,
                dashboard_id: int | None = None) -> list[AlertRecord]:
    """The account's alerts (an admin's `everyone`: all of them), newest first; optionally of
    one dashboard only."""
    if account is None or not account.active:
        return []
    query = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc())
    if not (everyone and account.is_admin):
        query = query.where(Alert.owner_id == account.id)
    if dashboard_id is not None:
        query = query.where(Alert.dashboard_id == dashboard_id)
    return _records(session, list(session.scalars(query.limit(1000))))


def _widget_title(widget: WidgetSpec | None, measure: Measure | None, fallback: str) -> str:
    if widget is None:
        return fallback
    return widget.title or (measure.label if measure is not None else fallback)


def _records(session: Session, rows: list[Alert]) -> list[AlertRecord]:
    boards = {board.id: board for board in session.scalars(
        select(Dashboard).where(Dashboard.id.in_({row.dashboard_id for row in rows})))}
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({row.owner_id for row in rows}))).all())
    records = []
    for row in rows:
        board = boards.get(row.dashboard_id)
        widget, measure = None, None
        if board is not None:
            try:
                widget = parse_document(board.document, check_fields=False).widget(row.widget_id)
                measure = get_dataset(widget.dataset).measure(row.measure)
            except (KeyError, ValueError, UnknownField):
                pass  # the widget or measure is gone: listed by its stored names (the check says why)
        recipients = json.loads(row.recipients or "{}")
        records.append(AlertRecord(
            row.id, row.name, row.owner_id, names.get(row.owner_id, ""), row.dashboard_id,
            board.title if board is not None else "", row.widget_id,
            _widget_title(widget, measure, row.widget_id),
            row.measure, measure.label if measure is not None else row.measure, row.condition, row.threshold,
            row.sigmas, row.periods, row.grain, row.every_minutes, list(recipients.get("users", [])),
            list(recipients.get("emails", [])), condition_text(row, measure), row.state, row.last_value,
            value_text(measure, row.last_value), row.last_error, row.last_evaluated_at,
            row.next_evaluation_at, row.snoozed_until, row.paused))
    return records
