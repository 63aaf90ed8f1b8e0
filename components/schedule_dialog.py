"""The "Schedule report" dialog: what to send (the export dialog's choices), to whom, and when.
It opens from a dashboard's action bar and from the Schedules tab of `/reports` (Edit); the
callbacks fill it in as it opens (callbacks/schedule_dialog.py)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.dashboard_page import action_button
from components.exports import OWN_RANGE, radios
from data.dashboard_spec import RELATIVE_RANGES
from data.schedule_form import FORMATS, MISSED
from delivery.recurrence import DAY_NAMES, TIMEZONES
from exports.document import TEMPLATES

FREQUENCIES = {"daily": "Every day", "weekdays": "Weekdays (Monday to Friday)", "weekly": "Weekly",
               "monthly": "Monthly", "cron": "Cron expression (advanced)"}
RANGES = {OWN_RANGE: "The dashboard's own", **RELATIVE_RANGES}
PAGE_SIZES = {"A4": "A4", "Letter": "Letter"}
ORIENTATIONS = {"portrait": "Portrait", "landscape": "Landscape"}
HIDDEN = {"display": "none"}
EXTERNAL_NOTE = ("Reports go only to people with a Pulseboard account. An admin can allow other "
                 "addresses (ALLOW_EXTERNAL_RECIPIENTS).")


def schedule_button() -> dbc.Button:
    """"Schedule report" in a dashboard's action bar."""
    return action_button("Schedule report", "bi-calendar-event",
                         id={"type": ids.SC_OPEN, "page": "dashboard"}, n_clicks=0)


def frequency_fields(frequency: str | None) -> tuple[dict, dict, dict, dict]:
    """The styles of (weekday, day of month, cron, time of day): each frequency shows only the
    fields it uses (a cron expression carries its own time)."""
    shown = {}
    return (shown if frequency == "weekly" else HIDDEN, shown if frequency == "monthly" else HIDDEN,
            shown if frequency == "cron" else HIDDEN, HIDDEN if frequency == "cron" else shown)


def _field(label: str, control, width: int = 6, wrap_id: str | None = None, style: dict | None = None
           ) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=getattr(control, "id", None)), control], md=width,
                   className="mb-3", style=style or {}, **({"id": wrap_id} if wrap_id else {}))


def _what() -> list:
    return [
        html.H3("What", className="pb-schedule-section"),
        dbc.Label("Format", html_for=ids.SC_FORMATS),
        dbc.Checklist(id=ids.SC_FORMATS, inline=True, value=["pdf"], className="mb-2",
                      options=[{"label": label, "value": key} for key, label in FORMATS.items()]),
        dbc.Label("Template"),
        radios(ids.SC_TEMPLATE, TEMPLATES, "detailed"),
        dbc.Row([
            dbc.Col([dbc.Label("Page size"), radios(ids.SC_PAGE_SIZE, PAGE_SIZES, "A4")], md=6),
            dbc.Col([dbc.Label("Orientation"), radios(ids.SC_ORIENTATION, ORIENTATIONS, "portrait")], md=6),
        ]),
        dbc.Row(_field("Date range", dbc.Select(id=ids.SC_RANGE, value=OWN_RANGE, options=[
            {"label": label, "value": key} for key, label in RANGES.items()]))),
        dbc.Label("Widgets"),
        dbc.Checklist(id=ids.SC_WIDGETS, options=[], value=[], className="pb-export-widgets mb-3"),
    ]


def _who() -> list:
    return [
        html.H3("Who", className="pb-schedule-section"),
        dbc.Row([
            _field("Recipients", dcc.Dropdown(id=ids.SC_USERS, multi=True, options=[], value=[],
                                              placeholder="Type a name or an email"), width=12),
        ]),
        html.Div([dbc.Label("Other email addresses (one a line, or separated by commas)",
                            html_for=ids.SC_EMAILS),
                  dbc.Textarea(id=ids.SC_EMAILS, rows=2, value="")],
                 id=ids.SC_EMAILS_WRAP, style=HIDDEN, className="mb-3"),
        html.P(EXTERNAL_NOTE, id=ids.SC_EMAILS_NOTE, className="small text-body-secondary mb-3"),
        dbc.Row(_field("Subject", dbc.Input(id=ids.SC_SUBJECT, maxlength=200), width=12)),
    ]


def _when() -> list:
    weekday_style, day_style, cron_style, time_style = frequency_fields("daily")
    return [
        html.H3("When", className="pb-schedule-section"),
        dbc.Row([
            _field("Frequency", dbc.Select(id=ids.SC_FREQUENCY, value="daily", options=[
                {"label": label, "value": key} for key, label in FREQUENCIES.items()])),
            _field("On", dbc.Select(id=ids.SC_WEEKDAY, value="0", options=[
                {"label": name, "value": str(number)} for number, name in enumerate(DAY_NAMES)]),
                   wrap_id=ids.SC_WEEKDAY_WRAP, style=weekday_style),
            _field("Day of the month",
                   dbc.Input(id=ids.SC_DAY, type="number", min=1, max=31, step=1, value=1),
                   wrap_id=ids.SC_DAY_WRAP, style=day_style),
            _field("Cron expression (minute hour day month weekday)",
                   dbc.Input(id=ids.SC_CRON, placeholder="0 8 * * 1-5", maxlength=120),
                   wrap_id=ids.SC_CRON_WRAP, style=cron_style),
        ]),
        dbc.Row([
            _field("Time", dbc.Input(id=ids.SC_TIME, type="time", value="08:00"), width=4,
                   wrap_id=ids.SC_TIME_WRAP, style=time_style),
            _field("Timezone", dcc.Dropdown(id=ids.SC_TIMEZONE, options=list(TIMEZONES), value="UTC",
                                            clearable=False), width=8),
        ]),
        dbc.Label("Runs missed while Pulseboard was down"),
        radios(ids.SC_MISSED, MISSED, "latest"),
        html.Div(id=ids.SC_PREVIEW, className="pb-schedule-preview small mb-3", role="status"),
        html.Div(id=ids.SC_MESSAGE, role="alert"),
    ]


def schedule_dialog(dashboard_id: int | None = None) -> html.Div:
    """The dialog, closed and empty, with what it runs on. `dashboard_id` is the dashboard of
    the page it sits on (None on `/reports`, where it only edits schedules)."""
    modal = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Schedule report", id=ids.SC_TITLE)),
            dbc.ModalBody([html.Div(id=ids.SC_DASHBOARD, className="small text-body-secondary mb-2"),
                           *_what(), *_who(), *_when()]),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=ids.SC_CANCEL, color="secondary", outline=True, n_clicks=0),
                dbc.Button([html.I(className="bi bi-calendar-check me-1"), "Save schedule"], id=ids.SC_SAVE,
                           color="primary", n_clicks=0),
            ]),
        ],
        id=ids.SC_MODAL, is_open=False, size="lg", scrollable=True,
    )
    return html.Div([
        modal,
        dcc.Store(id=ids.SC_TARGET, data={"dashboard": dashboard_id}),
        dcc.Store(id=ids.SC_CONTEXT),
        dcc.Store(id=ids.SC_BROWSER_TZ),
        dcc.Store(id=ids.SC_SAVED, data=0),
        dbc.Toast(id=ids.SC_TOAST, header="Schedule saved", icon="success", is_open=False, dismissable=True,
                  duration=8000, className="pb-schedule-toast"),
    ])
