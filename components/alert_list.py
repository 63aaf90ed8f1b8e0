"""The Alerts tab of `/reports`: the user's alerts (an admin's: everyone's), their state, and what
can be done to each (snooze, pause, edit, delete)."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.alert_dialog import alert_dialog
from components.states import delete_modal

STATE_BADGES = {"ok": ("OK", "success"), "firing": ("Firing", "danger"), "error": ("Error", "warning")}
SNOOZES = {"1h": ("1 hour", dt.timedelta(hours=1)), "1d": ("1 day", dt.timedelta(days=1)),
           "1w": ("1 week", dt.timedelta(weeks=1))}


def alerts_panel() -> html.Div:
    """The tab's content: the list (drawn by callbacks/alert_list.py), the delete confirmation
    and the alert dialog, which Edit reopens."""
    return html.Div(
        [
            html.Div(id=ids.AL_LIST_MESSAGE, role="status", className="small mb-2"),
            dcc.Store(id=ids.AL_LIST_REFRESH, data=0),
            dcc.Loading(html.Div(id=ids.AL_LIST, className="pb-card"), delay_show=300, type="dot"),
            delete_modal("Delete this alert?", ids.AL_DELETE_MODAL, ids.AL_DELETE_BODY,
                         ids.AL_DELETE_CANCEL, ids.AL_DELETE_CONFIRM),
            dcc.Store(id=ids.AL_DELETE_TARGET),
            alert_dialog(None),
        ],
        id=ids.AL_PANEL,
    )


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "not yet"


def _what(alert, show_owner: bool) -> html.Div:
    where = html.A(f"{alert.dashboard_title} · {alert.widget_title}",
                   href=f"/dashboards/{alert.dashboard_id}")
    return html.Div([
        html.Div(alert.name, className="fw-semibold pb-alert-name"),
        html.Div(where, className="small"),
        html.Div(f"By {alert.owner_name}", className="small text-body-secondary") if show_owner else None,
    ])


def _state(alert, now: dt.datetime) -> html.Div:
    label, colour = STATE_BADGES.get(alert.state, (alert.state, "secondary"))
    snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
    return html.Div([
        html.Div([dbc.Badge(label, color=colour, className="pb-alert-state"),
                  dbc.Badge("Paused", color="secondary", className="ms-1") if alert.paused else None]),
        html.Div(alert.last_error, className="small text-body-secondary pb-alert-reason")
        if alert.state == "error" and alert.last_error else None,
        html.Div(f"Snoozed until {_when(alert.snoozed_until)}", className="small pb-alert-snoozed")
        if snoozed else None,
    ])


def _value(alert) -> html.Div:
    return html.Div([html.Div(alert.value_text), html.Div(_when(alert.last_evaluated_at),
                                                          className="small text-body-secondary")])


def _actions(alert, now: dt.datetime) -> html.Div:
    key = alert.id
    snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
    snooze = dbc.DropdownMenu(
        [dbc.DropdownMenuItem(f"For {label}", id={"type": ids.AL_SNOOZE, "alert": key, "for": code},
                              n_clicks=0, className="pb-alert-snooze-item")
         for code, (label, _length) in SNOOZES.items()],
        label=[html.I(className="bi bi-bell-slash me-1"), "Snooze"], size="sm", color="secondary",
        class_name="d-inline-block pb-alert-snooze", toggle_class_name="btn-outline-secondary",
        align_end=True,
    )
    button = {"size": "sm", "color": "secondary", "outline": True, "n_clicks": 0, "className": "ms-1"}
    return html.Div([
        dbc.Button([html.I(className="bi bi-bell me-1"), "Unsnooze"],
                   id={"type": ids.AL_UNSNOOZE, "alert": key}, **{**button, "className": ""})
        if snoozed else snooze,
        dbc.Button([html.I(className=f"bi {'bi-play' if alert.paused else 'bi-pause'} me-1"),
                    "Resume" if alert.paused else "Pause"],
                   id={"type": ids.AL_PAUSE, "alert": key}, **button),
        dbc.Button(html.I(className="bi bi-pencil"), id={"type": ids.AL_EDIT, "alert": key},
                   title="Edit this alert", **button),
        dbc.Button(html.I(className="bi bi-trash"), id={"type": ids.AL_DELETE, "alert": key},
                   title="Delete this alert", **button),
    ], className="text-nowrap")


def alert_table(alerts: list, show_owner: bool, now: dt.datetime) -> html.Div:
    """One row per alert. Each item has the record's fields plus `widget_title`, `condition_text`
    and `value_text`, made by the callback."""
    if not alerts:
        return html.Div(
            [html.I(className="bi bi-bell pb-empty-icon"),
             html.H2("No alerts yet", className="pb-empty-title"),
             html.P("Open a dashboard and choose Create alert in a chart's or KPI card's menu.",
                    className="pb-empty-text")],
            className="pb-empty", id="al-empty")
    head = ["Alert", "Condition", "State", "Last value", ""]
    rows = [
        html.Tr([html.Td(_what(alert, show_owner)), html.Td(alert.condition_text, className="small"),
                 html.Td(_state(alert, now)), html.Td(_value(alert)), html.Td(_actions(alert, now))],
                **{"data-alert-row": alert.id})
        for alert in alerts
    ]
    return dbc.Table([html.Thead(html.Tr([html.Th(name) for name in head])), html.Tbody(rows)],
                     hover=True, responsive=True, className="mb-0 pb-alerts-table", id="al-table")
