import dash
import flask

from auth.account import current_account
from callbacks.widgets import first_paint
from charts.theme import theme_name
from components.alert_dialog import alert_dialog
from components.dashboard_page import action_button, not_found, view_page
from components.exports import export_button, export_dialog, export_receiver
from components.schedule_dialog import schedule_button, schedule_dialog
from components.sharing import download_json_button, share_button, share_modal
from context import database
from data.dashboard_access import CREATOR_ROLES
from data.dashboards import DashboardError, load_dashboard
from data.export_jobs import last_choices
from data.widget_data import filter_fields
from exports.collect import reading_order
from exports.options import ExportOptions

dash.register_page(__name__, path_template="/dashboards/<dashboard_id>", name="Dashboard",
                   title="Dashboard · Pulseboard")


def layout(dashboard_id=None, **_query):
    account = current_account()
    try:
        with database().session() as session:
            record = load_dashboard(session, account, dashboard_id)
    except DashboardError:
        return not_found()
    # Who may schedule reports and make alerts (data/schedules.py and data/alerts.py check again).
    creator = account is not None and account.role in CREATOR_ROLES
    actions = []
    if record.allows("edit"):
        actions.append(action_button("Edit", "bi-pencil-square", href=f"/dashboards/{record.id}/edit",
                                     id="db-edit-link", color="primary", outline=False))
    if record.allows("manage"):
        actions.append(share_button())
    actions.append(export_button())
    if creator:
        actions.append(schedule_button())
    actions.append(download_json_button())
    theme = theme_name(flask.request.cookies.get("pb_theme"))
    drawn = first_paint(record, theme)
    widgets = [(w.id, w.title or w.type.capitalize()) for w in reading_order(record.spec)]
    with database().session() as session:
        last = last_choices(session, account)
    choices = ExportOptions.saved(last)
    return [*view_page(record, filter_fields(record.spec), actions, drawn, alerts=creator), share_modal(),
            export_dialog(widgets, choices), export_receiver("dashboard"),
            alert_dialog(record.id) if creator else None, schedule_dialog(record.id) if creator else None]
