"""The alert dialog: a condition on one widget's measure, who hears about it and how often it is
checked. It opens from a widget's menu on a dashboard ("Create alert") and from the Alerts tab of
`/reports` (Edit); the callbacks fill it in as it opens."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

CONDITIONS = {
    "above": "Goes above",
    "below": "Goes below",
    "change": "Changes vs the previous period by more than",
    "band": "Leaves its usual band",
}
GRAINS = {"hour": "Hours", "day": "Days", "week": "Weeks", "month": "Months"}
DEFAULTS = {"condition": "above", "sigmas": 2, "periods": 14, "grain": "day", "every": 15}


def alert_menu_item(widget_id: str) -> dbc.DropdownMenuItem:
    """"Create alert" in a widget card's menu."""
    return dbc.DropdownMenuItem([html.I(className="bi bi-bell me-2"), "Create alert"],
                                id={"type": ids.AL_OPEN, "w": widget_id}, n_clicks=0,
                                className="pb-alert-item")


def condition_fields(condition: str | None) -> tuple[dict, str, dict, dict]:
    """(threshold's style, its label, the band's style, the grain's style) for a condition:
    each condition shows only the fields it uses (the period's grain is the band's)."""
    shown, hidden = {}, {"display": "none"}
    if condition == "band":
        return hidden, "Threshold", shown, shown
    if condition == "change":
        return shown, "More than (%)", hidden, hidden
    return shown, "Threshold", hidden, hidden


def _field(label: str, control, wrap_id: str | None = None, width: int = 6, **kwargs) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=getattr(control, "id", None), **kwargs), control],
                   md=width, className="mb-3", **({"id": wrap_id} if wrap_id else {}))


def _form() -> list:
    threshold_style, threshold_label, band_style, grain_style = condition_fields(DEFAULTS["condition"])
    return [
        html.Div(id=ids.AL_WIDGET, className="pb-alert-widget small text-body-secondary mb-3"),
        dbc.Row([
            _field("Name", dbc.Input(id=ids.AL_NAME, maxlength=200, placeholder="Revenue drop")),
            dbc.Col([dbc.Label("Measure", html_for=ids.AL_MEASURE),
                     dbc.Select(id=ids.AL_MEASURE, options=[]),
                     html.Div(id=ids.AL_CURRENT, className="pb-alert-current small mt-1", role="status")],
                    md=6, className="mb-3"),
        ]),
        dbc.Label("Alert me when the measure"),
        dbc.RadioItems(id=ids.AL_CONDITION, value=DEFAULTS["condition"], className="mb-3",
                       options=[{"label": label, "value": key} for key, label in CONDITIONS.items()]),
        dbc.Row([
            dbc.Col([dbc.Label(threshold_label, id=ids.AL_THRESHOLD_LABEL, html_for=ids.AL_THRESHOLD),
                     dbc.Input(id=ids.AL_THRESHOLD, type="number", inputmode="decimal")],
                    md=4, className="mb-3", id=ids.AL_THRESHOLD_WRAP, style=threshold_style),
            dbc.Col(dbc.Row([
                _field("Standard deviations",
                       dbc.Input(id=ids.AL_SIGMAS, type="number", min=0.5, max=10, step=0.5,
                                 value=DEFAULTS["sigmas"])),
                _field("Over the last (periods)",
                       dbc.Input(id=ids.AL_PERIODS, type="number", min=3, max=365, step=1,
                                 value=DEFAULTS["periods"])),
            ]), md=8, id=ids.AL_BAND_WRAP, style=band_style),
            dbc.Col([dbc.Label("Period", html_for=ids.AL_GRAIN),
                     dbc.Select(id=ids.AL_GRAIN, value=DEFAULTS["grain"],
                                options=[{"label": label, "value": key} for key, label in GRAINS.items()])],
                    md=4, className="mb-3", id=ids.AL_GRAIN_WRAP, style=grain_style),
        ]),
        dbc.Row([
            dbc.Col([dbc.Label("Check every", html_for=ids.AL_EVERY),
                     dbc.InputGroup([dbc.Input(id=ids.AL_EVERY, type="number", min=1, step=1,
                                               value=DEFAULTS["every"]),
                                     dbc.InputGroupText("minutes")])], md=4, className="mb-3"),
            _field("Notify", dcc.Dropdown(id=ids.AL_USERS, multi=True, options=[], value=[],
                                          placeholder="People of Pulseboard"), width=8),
        ]),
        html.Div([dbc.Label("Also email these addresses (one a line, or separated by commas)",
                            html_for=ids.AL_EMAILS),
                  dbc.Textarea(id=ids.AL_EMAILS, rows=2, value="")],
                 id=ids.AL_EMAILS_WRAP, style={"display": "none"}, className="mb-3"),
        html.Div(id=ids.AL_MESSAGE, role="alert"),
    ]


def alert_dialog(dashboard_id: int | None = None) -> html.Div:
    """The dialog, closed and empty, with what it runs on. `dashboard_id` is the dashboard of
    the page it sits on (None on `/reports`, where it only edits alerts)."""
    modal = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Create alert", id=ids.AL_TITLE)),
            dbc.ModalBody(_form()),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=ids.AL_CANCEL, color="secondary", outline=True, n_clicks=0),
                dbc.Button([html.I(className="bi bi-bell me-1"), "Save alert"], id=ids.AL_SAVE,
                           color="primary", n_clicks=0),
            ]),
        ],
        id=ids.AL_MODAL, is_open=False, size="lg", scrollable=True,
    )
    return html.Div([
        modal,
        dcc.Store(id=ids.AL_TARGET, data={"dashboard": dashboard_id}),
        dcc.Store(id=ids.AL_CONTEXT),
        dcc.Store(id=ids.AL_SAVED, data=0),
        dbc.Toast(id=ids.AL_TOAST, header="Alert saved", icon="success", is_open=False, dismissable=True,
                  duration=6000, className="pb-alert-toast"),
    ])
