"""Evaluating alerts: every due, unpaused alert once per slot, as its owner, telling people only
when its state changes.

State: `ok`, `firing` or `error`. An `AlertEvent` is what people were told: "fired" when the
condition became true, "cleared" when it stopped being true, "error" when the alert could not
be evaluated (told to the owner only, without data). It is told once: while the condition stays
true nothing more is sent. A snoozed alert keeps its state up to date but tells nobody; when the
snooze ends, people hear of the state only if it differs from what they were last told (a
condition that fired and cleared during the snooze sends nothing).

Exactly once, with several schedulers: each evaluation belongs to a slot, the instant it was due
(`next_evaluation_at`; `now` for an evaluation asked for by hand). Recording it first moves
`next_evaluation_at` on with a compare-and-set on the slot, in the transaction that writes the
event, so of two schedulers evaluating one slot exactly one records and notifies; the event's
unique (alert, slot) key backs that up. Email goes after the commit, one recipient at a time,
each recorded in the event's `recipients` ({address: pending | sent | failed}): an address the
mail server refuses for good is marked failed and the others still get theirs; a transient
failure stops there and the next evaluation sends to the pending ones only (same Message-ID per
recipient), unless the alert is snoozed or in error, when nothing with data is sent. Whoever
sends an event first claims it with a conditional UPDATE (`sending_until`), so two evaluations
never send it twice. Editing an alert's condition records a "reset" event: what people were told
before it no longer counts, so the new condition fires (or stays quiet) on its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.account import Account
from context import database, settings
from data.delivery_models import Alert, AlertEvent
from data.models import Dashboard, User
from data.notifications import notify
from data.recipients import recipient_addresses
from delivery import emails, mailer
from delivery.alert_checks import Outcome, check

log = logging.getLogger(__name__)
KINDS = ("fired", "cleared", "error")
SENDING_LEASE = dt.timedelta(minutes=10)  # an evaluation that died mid-send lets go after this
TITLES = {"fired": "Alert: {name}", "cleared": "Cleared: {name}", "error": "Alert needs attention: {name}"}


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    """The alert as read before evaluating, detached from any session."""

    alert: Alert
    owner: Account | None
    slot: dt.datetime
    scheduled: bool  # the slot is `next_evaluation_at` (False: evaluated by hand, off the schedule)


def evaluate_due(now: dt.datetime) -> int:
    """Evaluate every unpaused alert due at `now`, once each; how many this call recorded (an
    alert another scheduler recorded first is not counted). One alert's failure is logged and
    does not stop the others."""
    with database().session() as session:
        due = list(session.scalars(select(Alert.id).where(
            Alert.paused.is_(False), Alert.next_evaluation_at.is_not(None), Alert.next_evaluation_at <= now)
            .order_by(Alert.next_evaluation_at, Alert.id)))
    recorded = 0
    for alert_id in due:
        try:
            recorded += _evaluate(alert_id, now) is not None
        except Exception:
            log.exception("alert %s could not be evaluated", alert_id)
    return recorded


def evaluate_alert(alert_id: int, now: dt.datetime) -> str:
    """Evaluate one alert now (its due slot if it is due, else an extra slot at `now`); its state
    afterwards. Raises `LookupError` for an alert that does not exist."""
    state = _evaluate(alert_id, now)
    if state is None:
        with database().session() as session:
            state = session.scalar(select(Alert.state).where(Alert.id == alert_id))
        if state is None:
            raise LookupError(f"There is no alert {alert_id}.")
    return state


def _snapshot(alert_id: int, now: dt.datetime) -> _Snapshot | None:
    with database().session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.paused:
            return None
        owner = session.get(User, alert.owner_id)
        session.expunge(alert)
    scheduled = alert.next_evaluation_at is not None and alert.next_evaluation_at <= now
    return _Snapshot(alert, Account.from_user(owner) if owner is not None else None,
                     alert.next_evaluation_at if scheduled else now, scheduled)


def next_slot(slot: dt.datetime, every_minutes: int, now: dt.datetime) -> dt.datetime:
    """The first slot after `now` on the alert's grid (slots missed while down are skipped)."""
    step = dt.timedelta(minutes=max(1, every_minutes))
    return slot + ((now - slot) // step + 1) * step if now >= slot else slot + step


def _evaluate(alert_id: int, now: dt.datetime) -> str | None:
    """Evaluate and record one slot; the new state, or None when nothing was recorded (paused,
    gone, or another scheduler recorded this slot first)."""
    snap = _snapshot(alert_id, now)
    if snap is None:
        return None
    outcome = check(snap.alert, snap.owner, now)
    try:
        recorded = _record(snap, outcome, now)
    except IntegrityError:
        return None  # the (alert, slot) event exists: another scheduler told it
    if recorded is None:
        return None
    state, silenced = recorded
    if outcome.error is None and not silenced:
        _send_pending(alert_id, now)
    return state


def _last_kind(session: Session, alert_id: int, kinds: tuple[str, ...]) -> str | None:
    """The kind of the alert's latest event among `kinds` since its last reset (what people were
    last told about its current condition); None when nothing was. Latest is the last recorded:
    one alert's events are recorded one at a time (the slot's compare-and-set)."""
    query = select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id,
                                          AlertEvent.kind.in_((*kinds, "reset")))
    kind = session.scalar(query.order_by(AlertEvent.id.desc()).limit(1))
    return None if kind == "reset" else kind


def _record(snap: _Snapshot, outcome: Outcome, now: dt.datetime) -> tuple[str, bool] | None:
    """In one transaction: claim the slot, update the state, and record and notify what changed.
    None when the slot was claimed by someone else."""
    old = snap.alert
    with database().session() as session:
        moved = next_slot(snap.slot, old.every_minutes, now) if snap.scheduled else old.next_evaluation_at
        claim = update(Alert).where(Alert.id == old.id, Alert.paused.is_(False))
        claim = claim.where(Alert.next_evaluation_at == old.next_evaluation_at) if old.next_evaluation_at \
            else claim.where(Alert.next_evaluation_at.is_(None))
        result = session.execute(claim.values(next_evaluation_at=moved, last_evaluated_at=now)
                                 .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        alert = session.get(Alert, old.id, populate_existing=True)
        silenced = alert.snoozed_until is not None and now < alert.snoozed_until
        tell = None
        if outcome.error is not None:
            entered = alert.state != "error" or _last_kind(session, alert.id, KINDS) != "error"
            tell = "error" if entered and not silenced else None
            alert.state, alert.last_error = "error", outcome.error[:1000]
        else:
            want = "fired" if outcome.met else "cleared"
            told = _last_kind(session, alert.id, ("fired", "cleared")) or "cleared"
            tell = want if not silenced and want != told else None
            alert.state, alert.last_error = ("firing" if outcome.met else "ok"), None
            alert.last_value = outcome.value
        if tell is not None:
            _tell(session, alert, tell, outcome, snap.slot, now)
        return alert.state, silenced


def summary(alert: Alert, kind: str, outcome: Outcome) -> str:
    """The words of a notification and an email: what happened, the value and its context."""
    if kind == "error":
        return f"{outcome.error} Fix it or delete the alert."
    detail = f" ({outcome.detail})" if outcome.detail else ""
    if kind == "fired":
        return f"{outcome.condition_text}: the value is now {outcome.value_text}{detail}."
    return f"No longer {outcome.condition_text}: the value is now {outcome.value_text}{detail}."


def _tell(session: Session, alert: Alert, kind: str, outcome: Outcome, slot: dt.datetime,
          now: dt.datetime) -> None:
    """Record the event and the in-app notifications (the owner, and the recipient users unless
    it is an error, which only the owner hears of). Emails go after the commit."""
    text = summary(alert, kind, outcome)
    addresses = [] if kind == "error" else _addresses(session, alert)
    session.add(AlertEvent(alert_id=alert.id, evaluated_at=slot, kind=kind, value=outcome.value,
                           message=text[:1000], emailed=not addresses,
                           recipients=json.dumps(dict.fromkeys(addresses, "pending")), created_at=now))
    session.flush()  # the unique (alert, slot) key: IntegrityError if someone else recorded it
    recipients = json.loads(alert.recipients or "{}")
    users = [alert.owner_id] + ([] if kind == "error" else recipients.get("users", []))
    active = set(session.scalars(select(User.id).where(User.id.in_(users), User.active.is_(True))))
    title = TITLES[kind].format(name=alert.name)
    for user_id in dict.fromkeys(users):
        if user_id in active:
            notify(session, user_id, kind, title, text, f"/dashboards/{alert.dashboard_id}", now)


def _addresses(session: Session, alert: Alert) -> list[str]:
    """Where an alert's emails go (data/recipients.py); an alert naming nobody goes to its owner."""
    named = json.loads(alert.recipients or "{}")
    stored = alert.recipients if named.get("users") or named.get("emails") else json.dumps(
        {"users": [alert.owner_id]})
    return recipient_addresses(session, stored)


def _send_pending(alert_id: int, now: dt.datetime) -> None:
    """Email the alert's events not emailed yet, oldest first, each to its pending recipients;
    a transient failure (or an event someone else is sending) leaves the rest for the next
    evaluation. Only the scheduler that recorded the slot gets here."""
    config = settings()
    if not mailer.mail_configured(config):
        return
    with database().session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return
        events = list(session.scalars(select(AlertEvent.id).where(
            AlertEvent.alert_id == alert_id, AlertEvent.emailed.is_(False), AlertEvent.kind.in_(KINDS[:2]))
            .order_by(AlertEvent.evaluated_at, AlertEvent.id)))
        title = _dashboard_title(session, alert)
        session.expunge(alert)
    for event_id in events:
        if not _send_event(config, alert, title, event_id, now):
            return


def _claim(event_id: int, now: dt.datetime) -> AlertEvent | None:
    """Take the sending of one event (a conditional UPDATE: of two evaluations, one gets it);
    the event, detached, or None when it is sent or someone else is sending it."""
    with database().session() as session:
        result = session.execute(
            update(AlertEvent).where(AlertEvent.id == event_id, AlertEvent.emailed.is_(False), or_(
                AlertEvent.sending_until.is_(None), AlertEvent.sending_until <= now))
            .values(sending_until=now + SENDING_LEASE).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return None
        event = session.get(AlertEvent, event_id, populate_existing=True)
        session.expunge(event)
        return event


def _save(event_id: int, recipients: dict[str, str], done: bool) -> None:
    """Record where the event's email went; `done` also lets go of the claim."""
    values: dict = {"recipients": json.dumps(recipients)}
    if done:
        values.update(sending_until=None, emailed="pending" not in recipients.values())
    with database().session() as session:
        session.execute(update(AlertEvent).where(AlertEvent.id == event_id).values(**values)
                        .execution_options(synchronize_session=False))


def _send_event(config, alert: Alert, title: str, event_id: int, now: dt.datetime) -> bool:
    """Send one claimed event to its pending recipients; False to stop (a transient failure, or
    the event is someone else's to send)."""
    event = _claim(event_id, now)
    if event is None:
        return False
    recipients: dict[str, str] = json.loads(event.recipients or "{}")
    for address, status in recipients.items():
        if status != "pending":
            continue
        try:
            message = emails.alert_message(
                config, recipient=address, alert_name=alert.name, kind=event.kind, summary=event.message,
                dashboard_title=title, dashboard_id=alert.dashboard_id,
                message_id=emails.message_id(f"alert-event-{event.id}", address))
            mailer.send(config, message)
        except ValueError as error:  # not one address: it never will be
            log.warning("alert %s: %s", alert.id, error)
            recipients[address] = "failed"
        except mailer.MailError as error:
            if error.transient:
                log.warning("alert %s: the email of event %s to %s was not sent (%s); retrying next time",
                            alert.id, event.id, address, error)
                _save(event.id, recipients, done=True)
                return False
            log.warning("alert %s: %s refused the email of event %s (%s)", alert.id, address, event.id, error)
            recipients[address] = "failed"
        else:
            recipients[address] = "sent"
        _save(event.id, recipients, done=False)
    _save(event.id, recipients, done=True)
    return True


def _dashboard_title(session: Session, alert: Alert) -> str:
    return session.scalar(select(Dashboard.title).where(Dashboard.id == alert.dashboard_id)) or ""
