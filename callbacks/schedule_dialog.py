"""The "Schedule report" dialog: opening it (new, from a dashboard; or Edit, from `/reports`),
the preview of the next runs, and Save.

The context store (which dashboard, which schedule) comes back from the browser, so it is never
trusted: opening re-reads the dashboard or the schedule as the signed-in user, and Save goes
through `data.schedules`, which checks who may schedule, the dashboard and the schedule's owner.
A refusal shows its message and changes nothing.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, clientside_callback, html, no_update

from auth.account import current_account
from callbacks.messages import failure
from components import ids
from components.exports import OWN_RANGE
from components.schedule_dialog import HIDDEN
from components.schedules import local_text, next_runs_list
from context import database, now, settings
from data.dashboard_access import CREATOR_ROLES, DashboardError
from data.dashboards import load_dashboard
from data.export_jobs import last_choices
from data.schedule_form import split_emails
from data.schedules import ScheduleForm, create_schedule, get_schedule, recipient_choices, update_schedule
from delivery.recurrence import Recurrence, RecurrenceError, zone_of
from exports.collect import reading_order
from exports.options import ExportOptions

FIELDS = [ids.SC_SUBJECT, ids.SC_FORMATS, ids.SC_TEMPLATE, ids.SC_PAGE_SIZE, ids.SC_ORIENTATION, ids.SC_RANGE,
          ids.SC_WIDGETS, ids.SC_USERS, ids.SC_EMAILS, ids.SC_FREQUENCY, ids.SC_WEEKDAY, ids.SC_DAY,
          ids.SC_CRON, ids.SC_TIME, ids.SC_TIMEZONE, ids.SC_MISSED]
VALUES = [Output(field, "value") for field in FIELDS]
CHOICES = [State(field, "value") for field in FIELDS]
RECURRENCE = [ids.SC_FREQUENCY, ids.SC_WEEKDAY, ids.SC_DAY, ids.SC_CRON, ids.SC_TIME, ids.SC_TIMEZONE]
DIALOG = [Output(ids.SC_MODAL, "is_open"), Output(ids.SC_CONTEXT, "data"), Output(ids.SC_TITLE, "children"),
          Output(ids.SC_DASHBOARD, "children"), Output(ids.SC_WIDGETS, "options"),
          Output(ids.SC_USERS, "options"), Output(ids.SC_EMAILS_WRAP, "style"),
          Output(ids.SC_EMAILS_NOTE, "style"), Output(ids.SC_MESSAGE, "children"), *VALUES]


def browser_zone(name) -> str:
    """The browser's timezone if it is a known IANA name, else UTC."""
    try:
        return zone_of(name).key if isinstance(name, str) else "UTC"
    except RecurrenceError:
        return "UTC"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def recurrence_data(frequency, weekday, day, cron, time_of_day, timezone) -> dict:
    """The recurrence fields as `Recurrence.parse` reads them: only those the frequency uses."""
    data = {"frequency": frequency, "timezone": timezone or "UTC"}
    if frequency != "cron":
        data["time_of_day"] = str(time_of_day or "")[:5]
    if frequency == "weekly":
        data["weekday"] = _int(weekday)
    if frequency == "monthly":
        data["day_of_month"] = _int(day)
    if frequency == "cron":
        data["cron"] = " ".join(str(cron or "").split())
    return data


def form_data(dashboard_id, widget_ids: list[str], subject, formats, template, page_size, orientation,
              range_key, widgets, users, emails, frequency, weekday, day, cron, time_of_day, timezone,
              missed) -> dict:
    """The dialog's values as `ScheduleForm.from_browser` reads them. Every widget ticked means
    all of them (widgets added later are in the report too); ids not on the dashboard drop out."""
    chosen = [widget for widget in widget_ids if widget in (widgets or [])]
    return {
        "dashboard_id": dashboard_id, "subject": subject or "", "formats": list(formats or []),
        "template": template, "page_size": page_size, "orientation": orientation,
        "widgets": None if widget_ids and len(chosen) == len(widget_ids) else chosen,
        "time_range": None if range_key in (None, "", OWN_RANGE) else {"relative": range_key},
        "recipient_users": list(users or []), "recipient_emails": split_emails(emails),
        "recurrence": recurrence_data(frequency, weekday, day, cron, time_of_day, timezone),
        "missed": missed,
    }


def _values(form: ScheduleForm, widget_ids: list[str]) -> list:
    recurrence = form.recurrence
    time_range = form.time_range
    range_key = time_range.relative if time_range is not None and time_range.relative else OWN_RANGE
    widgets = widget_ids if form.widgets is None else [w for w in form.widgets if w in widget_ids]
    return [form.subject, list(form.formats), form.template, form.page_size, form.orientation, range_key,
            widgets, list(form.recipient_users), "\n".join(form.recipient_emails), recurrence.frequency,
            str(recurrence.weekday or 0), recurrence.day_of_month or 1, recurrence.cron or "",
            recurrence.time_of_day, recurrence.timezone, form.missed]


def _new_form(session, account, record, browser_tz) -> ScheduleForm:
    """A new schedule's starting values: the user's last export choices, to the user, daily at
    08:00 in the browser's timezone."""
    last = ExportOptions.saved(last_choices(session, account))
    return ScheduleForm(dashboard_id=record.id, subject=f"{record.spec.title} report", formats=["pdf"],
                        template=last.template, page_size=last.page_size, orientation=last.orientation,
                        recipient_users=[account.id],
                        recurrence=Recurrence(frequency="daily", timezone=browser_zone(browser_tz)))


@dash.callback(
    *DIALOG,
    Input({"type": ids.SC_OPEN, "page": ALL}, "n_clicks"),
    Input({"type": ids.SC_EDIT, "schedule": ALL}, "n_clicks"),
    Input(ids.SC_CANCEL, "n_clicks"),
    State(ids.SC_TARGET, "data"),
    State(ids.SC_BROWSER_TZ, "data"),
    prevent_initial_call=True,
)
def open_dialog(_opens, _edits, _cancel, target, browser_tz):
    """Open the dialog filled in: a new schedule of this page's dashboard, or the one to edit."""
    nothing = [no_update] * len(DIALOG)
    fired = dash.ctx.triggered_id
    if fired == ids.SC_CANCEL:
        return [False, *nothing[1:]]
    if not isinstance(fired, dict) or not dash.ctx.triggered[0]["value"]:  # a redrawn button fires too
        return nothing
    account = current_account()
    if account is None or (account.role not in CREATOR_ROLES and fired.get("type") == ids.SC_OPEN):
        return nothing
    message = None
    try:
        with database().session() as session:
            if fired.get("type") == ids.SC_EDIT:
                schedule = get_schedule(session, account, fired.get("schedule"))
                form, title, context = schedule.form(), "Edit schedule", {"schedule": schedule.id}
                try:
                    record = load_dashboard(session, account, schedule.dashboard_id)
                    widgets = [(w.id, w.title or w.type.capitalize()) for w in reading_order(record.spec)]
                except DashboardError as error:
                    message, widgets = failure(str(error)), [(w, w) for w in form.widgets or []]
                heading = f"Dashboard: {schedule.dashboard_title}"
            else:
                record = load_dashboard(session, account, (target or {}).get("dashboard"))
                form, title, context = _new_form(session, account, record, browser_tz), "Schedule report", {}
                widgets = [(w.id, w.title or w.type.capitalize()) for w in reading_order(record.spec)]
                heading = f"Dashboard: {record.spec.title}"
            users = [{"label": label, "value": user_id} for user_id, label in recipient_choices(session)]
    except (DashboardError, LookupError):
        return nothing
    context["dashboard"] = form.dashboard_id
    external = settings().allow_external_recipients
    return [True, context, title, heading, [{"label": label, "value": key} for key, label in widgets], users,
            {} if external else HIDDEN, HIDDEN if external else {}, message,
            *_values(form, [key for key, _label in widgets])]


# Each frequency shows only the fields it uses.
clientside_callback(
    """function (frequency) {
        var shown = {}, hidden = {display: "none"};
        return [frequency === "weekly" ? shown : hidden, frequency === "monthly" ? shown : hidden,
                frequency === "cron" ? shown : hidden, frequency === "cron" ? hidden : shown];
    }""",
    Output(ids.SC_WEEKDAY_WRAP, "style"),
    Output(ids.SC_DAY_WRAP, "style"),
    Output(ids.SC_CRON_WRAP, "style"),
    Output(ids.SC_TIME_WRAP, "style"),
    Input(ids.SC_FREQUENCY, "value"),
)

# The browser's timezone: new schedules start in it, and times are shown in it.
clientside_callback(
    """function () {
        try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; }
        catch (error) { return "UTC"; }
    }""",
    Output(ids.SC_BROWSER_TZ, "data"),
    Input(ids.SC_TARGET, "data"),
)


@dash.callback(
    Output(ids.SC_PREVIEW, "children"),
    *[Input(field, "value") for field in RECURRENCE],
    State(ids.SC_BROWSER_TZ, "data"),
)
def preview(frequency, weekday, day, cron, time_of_day, timezone, browser_tz):
    """The next three runs as the recurrence stands, or what is wrong with it."""
    if current_account() is None:
        return no_update
    try:
        recurrence = Recurrence.parse(recurrence_data(frequency, weekday, day, cron, time_of_day, timezone))
        return next_runs_list(recurrence, now(), browser_zone(browser_tz))
    except RecurrenceError as error:
        return html.Span([html.I(className="bi bi-exclamation-triangle me-1"), str(error)],
                         className="text-danger", id="sc-preview-problem")


@dash.callback(
    Output(ids.SC_MODAL, "is_open", allow_duplicate=True),
    Output(ids.SC_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SC_SAVED, "data"),
    Output(ids.SC_TOAST, "is_open"),
    Output(ids.SC_TOAST, "children"),
    Input(ids.SC_SAVE, "n_clicks"),
    State(ids.SC_CONTEXT, "data"),
    State(ids.SC_SAVED, "data"),
    State(ids.SC_BROWSER_TZ, "data"),
    *CHOICES,
    prevent_initial_call=True,
)
def save(clicks, context, saved, browser_tz, *choices):
    """Create or change the schedule; every rule is checked again in `data.schedules`."""
    if not clicks:
        return [no_update] * 5
    account = current_account()
    context = context if isinstance(context, dict) else {}
    schedule_id = context.get("schedule")
    try:
        with database().session() as session:
            dashboard_id = context.get("dashboard")
            if schedule_id is not None:
                dashboard_id = get_schedule(session, account, schedule_id).dashboard_id
            record = load_dashboard(session, account, dashboard_id)
            widget_ids = [widget.id for widget in record.spec.widgets]
            form = ScheduleForm.from_browser(form_data(record.id, widget_ids, *choices))
            if schedule_id is None:
                schedule_id = create_schedule(session, account, form, now())
            else:
                update_schedule(session, account, schedule_id, form, now())
            schedule = get_schedule(session, account, schedule_id)
    except (ValueError, LookupError) as error:  # refusals and validation; messages are safe to show
        return no_update, failure(str(error)), no_update, no_update, no_update
    when = local_text(schedule.next_run_at, browser_zone(browser_tz)) if schedule.next_run_at else "paused"
    note = html.Span([f"“{schedule.subject}”: next run {when}. See it in ",
                      html.A("Reports › Schedules", href="/reports?tab=schedules"), "."])
    return False, None, (saved or 0) + 1, True, note
