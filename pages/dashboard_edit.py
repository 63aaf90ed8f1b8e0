import dash

from auth.account import current_account
from components.builder import builder_page
from components.dashboard_page import not_found
from context import database
from data.catalog import dataset_options
from data.dashboards import DashboardError, load_dashboard
from data.widget_data import filter_fields

dash.register_page(__name__, path_template="/dashboards/<dashboard_id>/edit", name="Edit dashboard",
                   title="Edit dashboard · Pulseboard")


def layout(dashboard_id=None, **_query):
    account = current_account()
    try:
        with database().session() as session:
            record = load_dashboard(session, account, dashboard_id, need="edit")
    except DashboardError:
        return not_found()
    return builder_page(record, filter_fields(record.spec), dataset_options(database(), account))
