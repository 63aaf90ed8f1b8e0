"""The alert dialog: open it from a widget's menu (a new alert) or from the Alerts tab (an edit),
show the chosen measure's current value, and save through `data.alerts`.

The browser names a dashboard, a widget, a measure and an alert; none of them is trusted. The
dashboard is loaded as the signed-in user (view access), the widget and measure must be on it,
an alert is read through `get_alert` (owner or admin), and `data.alerts` checks everything again
as it saves. A refusal changes nothing and says no more than "not found".
"""

from __future__ import annotations

import dataclasses

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, html, no_update

from auth.account import current_account
from callbacks.alert_values import MEASURE_GONE, current_value_text, widget_label
from callbacks.dashboard_access import dashboard_for
from components import ids
from components.alert_dialog import DEFAULTS, condition_fields
from context import database, now, settings
from data import users as user_commands
from data.alerts import AlertForm, AlertNotFound, create_alert, get_alert, measure_options, update_alert
from data.dashboards import DashboardError

MAY_ALERT = ("analyst", "admin")
GONE = "This dashboard or widget is not available to you any more."
DIALOG_OUTPUTS = [
    Output(ids.AL_MODAL, "is_open"), Output(ids.AL_TITLE, "children"), Output(ids.AL_WIDGET, "children"),
    Output(ids.AL_CONTEXT, "data"), Output(ids.AL_NAME, "value"), Output(ids.AL_MEASURE, "options"),
    Output(ids.AL_MEASURE, "value"), Output(ids.AL_CONDITION, "value"), Output(ids.AL_THRESHOLD, "value"),
    Output(ids.AL_SIGMAS, "value"), Output(ids.AL_PERIODS, "value"), Output(ids.AL_GRAIN, "value"),
    Output(ids.AL_EVERY, "value"), Output(ids.AL_USERS, "options"), Output(ids.AL_USERS, "value"),
    Output(ids.AL_EMAILS, "value"), Output(ids.AL_EMAILS_WRAP, "style"), Output(ids.AL_MESSAGE, "children"),
]


@dataclasses.dataclass(frozen=True)
class Filled:
    """What the dialog shows as it opens."""

    title: str
    where: str
    context: dict
    name: str
    measures: list[dict]
    measure: str | None
    condition: str = DEFAULTS["condition"]
    threshold: float | None = None
    sigmas: float = DEFAULTS["sigmas"]
    periods: int = DEFAULTS["periods"]
    grain: str = DEFAULTS["grain"]
    every: int = DEFAULTS["every"]
    users: tuple[int, ...] = ()
    emails: str = ""


def _closed(message=no_update) -> tuple:
    return (no_update,) * (len(DIALOG_OUTPUTS) - 1) + (message,)


def _people() -> list[dict]:
    """Active people to notify, by name."""
    with database().session() as session:
        return [{"label": f"{user.display_name} <{user.email}>", "value": user.id}
                for user in user_commands.list_users(session) if user.active]


def _new_alert(target, widget_id) -> Filled | None:
    """A fresh alert on a widget of the page's dashboard, if the user may view it."""
    record = dashboard_for({"id": (target or {}).get("dashboard")}) if isinstance(target, dict) else None
    if record is None or not isinstance(widget_id, str):
        return None
    try:
        widget = record.spec.widget(widget_id)
    except KeyError:
        return None
    measures = measure_options(widget)
    if not measures:
        return None
    title = widget_label(widget)
    return Filled("Create alert", f"Watching {title} on {record.spec.title}",
                  {"dashboard": record.id, "widget": widget.id, "alert": None},
                  f"{title}: {measures[0]['label']}" if measures[0]["label"] != title else title,
                  measures, measures[0]["value"], users=(current_account().id,))


def _existing_alert(alert_id) -> Filled | None:
    """An alert of the user's (or, for an admin, anyone's), as saved."""
    try:
        with database().session() as session:
            alert = get_alert(session, current_account(), alert_id)
    except AlertNotFound:
        return None
    record = dashboard_for({"id": alert.dashboard_id})
    measures = []
    where = "Its dashboard is not available to you."
    if record is not None:
        try:
            widget = record.spec.widget(alert.widget_id)
            measures = measure_options(widget)
            where = f"Watching {widget_label(widget)} on {record.spec.title}"
        except KeyError:
            where = "Its widget was removed from the dashboard."
    if alert.measure not in [choice["value"] for choice in measures]:
        measures.append({"label": f"{alert.measure_label} ({MEASURE_GONE})", "value": alert.measure})
    return Filled("Edit alert", where, {"dashboard": alert.dashboard_id, "widget": alert.widget_id,
                                        "alert": alert.id},
                  alert.name, measures, alert.measure, alert.condition, alert.threshold,
                  alert.sigmas if alert.sigmas is not None else DEFAULTS["sigmas"],
                  alert.periods if alert.periods is not None else DEFAULTS["periods"], alert.grain,
                  alert.every_minutes, tuple(alert.recipient_users), "\n".join(alert.recipient_emails))


@dash.callback(
    *DIALOG_OUTPUTS,
    Input({"type": ids.AL_OPEN, "w": ALL}, "n_clicks"),
    Input({"type": ids.AL_EDIT, "alert": ALL}, "n_clicks"),
    Input(ids.AL_CANCEL, "n_clicks"),
    State(ids.AL_TARGET, "data"),
    prevent_initial_call=True,
)
def open_dialog(_create, _edit, _cancel, target):
    """Fill the dialog for the widget or alert clicked and open it; Cancel closes it."""
    fired = dash.ctx.triggered_id
    if fired == ids.AL_CANCEL:
        return (False, *_closed()[1:])
    if not isinstance(fired, dict) or not dash.ctx.triggered[0]["value"]:  # a redrawn menu fires too
        return _closed()
    account = current_account()
    if account is None or account.role not in MAY_ALERT:
        return _closed()
    filled = _new_alert(target, fired.get("w")) if fired.get("type") == ids.AL_OPEN else \
        _existing_alert(fired.get("alert"))
    if filled is None:
        return _closed()
    emails_style = {} if settings().allow_external_recipients or filled.emails else {"display": "none"}
    return (True, filled.title, filled.where, filled.context, filled.name, filled.measures, filled.measure,
            filled.condition, filled.threshold, filled.sigmas, filled.periods, filled.grain, filled.every,
            _people(), list(filled.users), filled.emails, emails_style, None)


@dash.callback(
    Output(ids.AL_THRESHOLD_WRAP, "style"), Output(ids.AL_THRESHOLD_LABEL, "children"),
    Output(ids.AL_BAND_WRAP, "style"), Output(ids.AL_GRAIN_WRAP, "style"),
    Input(ids.AL_CONDITION, "value"),
)
def show_condition_fields(condition):
    """Each condition shows only the fields it uses."""
    return condition_fields(condition)


@dash.callback(
    Output(ids.AL_CURRENT, "children"),
    Input(ids.AL_MEASURE, "value"),
    State(ids.AL_CONTEXT, "data"),
    prevent_initial_call=True,
)
def show_current_value(measure, context):
    """The measure's value now, as the widget computes it, to pick a sensible threshold."""
    if current_account() is None or not isinstance(context, dict) or not isinstance(measure, str):
        return None
    record = dashboard_for({"id": context.get("dashboard")})
    if record is None:
        return GONE
    try:
        widget = record.spec.widget(context.get("widget"))
    except (KeyError, TypeError):
        return GONE
    return current_value_text(record.spec, widget, measure)


def _message(text: str) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), text], color="danger",
                     className="mb-0 mt-2 small")


@dash.callback(
    Output(ids.AL_MODAL, "is_open", allow_duplicate=True),
    Output(ids.AL_MESSAGE, "children", allow_duplicate=True),
    Output(ids.AL_SAVED, "data"),
    Output(ids.AL_TOAST, "is_open"),
    Output(ids.AL_TOAST, "children"),
    Input(ids.AL_SAVE, "n_clicks"),
    State(ids.AL_CONTEXT, "data"), State(ids.AL_NAME, "value"), State(ids.AL_MEASURE, "value"),
    State(ids.AL_CONDITION, "value"), State(ids.AL_THRESHOLD, "value"), State(ids.AL_SIGMAS, "value"),
    State(ids.AL_PERIODS, "value"), State(ids.AL_GRAIN, "value"), State(ids.AL_EVERY, "value"),
    State(ids.AL_USERS, "value"), State(ids.AL_EMAILS, "value"), State(ids.AL_SAVED, "data"),
    prevent_initial_call=True,
)
def save(clicks, context, name, measure, condition, threshold, sigmas, periods, grain, every, users, emails,
         saved):
    """Validate on the server and create or update the alert; say what is wrong, keeping the form."""
    account = current_account()
    if not clicks or account is None:
        return no_update, no_update, no_update, no_update, no_update
    if account.role not in MAY_ALERT:
        refused = _message("Only analysts and admins can make alerts.")
        return no_update, refused, no_update, no_update, no_update
    context = context if isinstance(context, dict) else {}
    fields = {"dashboard_id": context.get("dashboard"), "widget_id": context.get("widget"), "name": name,
              "measure": measure, "condition": condition, "threshold": threshold, "sigmas": sigmas,
              "periods": periods, "grain": grain, "every_minutes": every,
              "recipient_users": users or [], "recipient_emails": emails if isinstance(emails, str) else ""}
    try:
        form = AlertForm.from_browser(fields)
        with database().session() as session:
            if context.get("alert") is None:
                create_alert(session, account, form, now())
                note = f"Alert “{form.name}” created. Find it under Reports → Alerts."
            else:
                update_alert(session, account, context.get("alert"), form, now())
                note = f"Alert “{form.name}” saved."
    except AlertNotFound as error:
        return no_update, _message(str(error)), no_update, no_update, no_update
    except (ValueError, DashboardError) as error:  # AlertError is a ValueError; all safe to show
        return no_update, _message(str(error)), no_update, no_update, no_update
    return False, None, (saved or 0) + 1, True, note
