"""The Schedules tab of `/reports`: the user's report schedules (an admin's: everyone's), what
each does next, and its run history. Times are shown in the browser's timezone."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.reports import size_text
from components.schedule_dialog import schedule_dialog
from components.states import delete_modal
from delivery.recurrence import Recurrence, next_after, to_local, zone_of
from exports.routes import download_url

RUN_BADGES = {
    "pending": ("Waiting", "info"),
    "rendering": ("Making the files", "info"),
    "sending": ("Sending", "info"),
    "sent": ("Sent", "success"),
    "failed": ("Failed", "danger"),
    "skipped": ("Skipped", "secondary"),
}
IN_FLIGHT = ("pending", "rendering", "sending")
TRIGGERS = {"schedule": "On schedule", "manual": "Send now", "catchup": "Catch-up"}


def local_text(instant: dt.datetime | None, zone_name: str) -> str:
    """A naive UTC instant as the user reads it: "Mon 23 Nov 2026, 08:00 CET"."""
    if instant is None:
        return "—"
    local = instant.replace(tzinfo=dt.UTC).astimezone(zone_of(zone_name))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def next_runs_list(recurrence: Recurrence, now: dt.datetime, browser_zone: str, count: int = 3) -> html.Div:
    """The next `count` runs after `now`, in the schedule's timezone (and the browser's, when
    it differs)."""
    runs, instant = [], now
    for _ in range(count):
        instant = next_after(recurrence, instant)
        runs.append(instant)
    zone = zone_of(recurrence.timezone)
    items = []
    for run in runs:
        local = to_local(run, zone)
        text = local_text(run, recurrence.timezone)
        mine = local_text(run, browser_zone)
        if browser_zone != recurrence.timezone and to_local(run, zone_of(browser_zone)) != local:
            text = f"{text} ({mine} your time)"
        items.append(html.Li(text))
    return html.Div([html.Div("Next runs", className="fw-semibold"), html.Ul(items, className="mb-0")],
                    id="sc-next-runs")


def schedules_panel(admin: bool = False) -> html.Div:
    """The tab's content: the list (drawn by callbacks/schedules.py), the run history and the
    delete confirmation, and the dialog that Edit reopens. `admin` shows the switch to everyone's."""
    return html.Div(
        [
            dbc.Switch(id=ids.SC_EVERYONE, label="Everyone's schedules", value=False, className="mb-2",
                       style={} if admin else {"display": "none"}),
            html.Div(id=ids.SC_LIST_MESSAGE, role="status", className="small mb-2"),
            dcc.Store(id=ids.SC_LIST_REFRESH, data=0),
            dcc.Interval(id=ids.SC_POLL, interval=1500, disabled=True),
            dcc.Loading(html.Div(id=ids.SC_LIST, className="pb-card"), delay_show=300, type="dot"),
            delete_modal("Delete this schedule?", ids.SC_DELETE_MODAL, ids.SC_DELETE_BODY,
                         ids.SC_DELETE_CANCEL, ids.SC_DELETE_CONFIRM),
            dcc.Store(id=ids.SC_DELETE_TARGET),
            dbc.Modal(
                [dbc.ModalHeader(dbc.ModalTitle("Run history")), dbc.ModalBody(id=ids.SC_HISTORY_BODY)],
                id=ids.SC_HISTORY_MODAL, is_open=False, size="xl", scrollable=True,
            ),
            dcc.Store(id=ids.SC_HISTORY_TARGET),
            schedule_dialog(None),
        ]
    )


def run_badge(status: str | None) -> dbc.Badge | str:
    if status is None:
        return html.Span("Not run yet", className="small text-body-secondary")
    label, colour = RUN_BADGES.get(status, (status, "secondary"))
    return dbc.Badge(label, color=colour, className="pb-run-status")


def _button(icon: str, label: str, kind: str, schedule_id: int, **kwargs) -> dbc.Button:
    return dbc.Button([html.I(className=f"bi {icon} me-1"), label],
                      id={"type": kind, "schedule": schedule_id}, size="sm", color="secondary", outline=True,
                      n_clicks=0, className="me-1 mb-1", **kwargs)


def _actions(schedule) -> html.Div:
    pause = ("bi-play-fill", "Resume") if schedule.paused else ("bi-pause-fill", "Pause")
    return html.Div([
        _button("bi-pencil", "Edit", ids.SC_EDIT, schedule.id),
        _button(*pause, ids.SC_PAUSE, schedule.id),
        # Disabled while a run of it is going (and at once on a click, in the browser:
        # callbacks/schedules.py), so a double click does not reach the server twice.
        _button("bi-send", "Send now", ids.SC_SEND, schedule.id, disabled=schedule.last_status in IN_FLIGHT,
                title="A run is in progress" if schedule.last_status in IN_FLIGHT else None),
        _button("bi-clock-history", "History", ids.SC_HISTORY, schedule.id),
        _button("bi-trash", "Delete", ids.SC_DELETE, schedule.id),
    ], className="pb-schedule-actions")


def _row(schedule, zone_name: str, show_owner: bool) -> html.Tr:
    formats = " + ".join({"pdf": "PDF", "xlsx": "Excel"}.get(fmt, fmt) for fmt in schedule.formats)
    when = (html.Span("Paused", className="badge text-bg-warning") if schedule.paused
            else local_text(schedule.next_run_at, zone_name))
    return html.Tr(
        [
            html.Td([html.Div(html.A(schedule.dashboard_title, href=f"/dashboards/{schedule.dashboard_id}"),
                              className="fw-semibold"),
                     html.Div(f"{schedule.subject} · {formats}", className="small text-body-secondary")]),
            html.Td(schedule.description, className="small"),
            html.Td(html.Ul([html.Li(name) for name in schedule.recipient_names],
                            className="pb-schedule-recipients small")),
            html.Td(when, className="text-nowrap pb-next-run"),
            html.Td(run_badge(schedule.last_status)),
            *([html.Td(schedule.owner_name)] if show_owner else []),
            html.Td(_actions(schedule)),
        ],
        **{"data-schedule-row": schedule.id},
    )


def schedules_table(schedules: list, zone_name: str, show_owner: bool) -> html.Div:
    """The list: dashboard and subject, recurrence, recipients, next run, last run, actions."""
    if not schedules:
        return html.Div(
            [html.I(className="bi bi-calendar-event pb-empty-icon"),
             html.H2("No scheduled reports yet", className="pb-empty-title"),
             html.P("Open a dashboard and choose “Schedule report” to email it on a schedule.",
                    className="pb-empty-text")],
            className="pb-empty", id="sc-empty")
    head = ["Report", "When", "Recipients", f"Next run ({zone_name})", "Last run",
            *(["Owner"] if show_owner else []), ""]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(name) for name in head])),
         html.Tbody([_row(schedule, zone_name, show_owner) for schedule in schedules])],
        hover=True, responsive=True, className="mb-0 pb-schedules-table", id="sc-table")


def _files(run) -> list:
    return [html.A([html.I(className="bi bi-download me-1"),
                    f"{item.get('name', 'file')} ({size_text(item.get('size'))})"],
                   href=download_url(item["job"]), className="d-block small", **{"data-job": item["job"]})
            for item in run.files if isinstance(item, dict) and item.get("job")]


def history_table(title: str, runs: list, zone_name: str) -> html.Div:
    """A schedule's runs, newest first: planned, started, finished, status, error, recipients, files."""
    if not runs:
        return html.Div([html.P(title, className="fw-semibold"),
                         html.P("This schedule has not run yet.", className="text-body-secondary",
                                id="sc-no-runs")])
    head = ["Planned", "Started", "Finished", "Status", "Recipients", "Files"]
    rows = [
        html.Tr([
            html.Td([html.Div(local_text(run.planned_at, zone_name)),
                     html.Div(TRIGGERS.get(run.trigger, run.trigger), className="small text-body-secondary")],
                    className="text-nowrap"),
            html.Td(local_text(run.started_at, zone_name), className="text-nowrap"),
            html.Td(local_text(run.finished_at, zone_name), className="text-nowrap"),
            html.Td([run_badge(run.status),
                     html.Div(run.error, className="small text-danger pb-run-error") if run.error else None]),
            html.Td(html.Ul([html.Li(f"{address}: {state}") for address, state in run.recipients.items()],
                            className="pb-schedule-recipients small")),
            html.Td(_files(run) or "—"),
        ], **{"data-run-row": run.id})
        for run in runs
    ]
    return html.Div([
        html.P([title, html.Span(f" · times in {zone_name}", className="text-body-secondary")],
               className="fw-semibold"),
        dbc.Table([html.Thead(html.Tr([html.Th(name) for name in head])), html.Tbody(rows)],
                  hover=True, responsive=True, size="sm", className="mb-0", id="sc-runs"),
    ])
