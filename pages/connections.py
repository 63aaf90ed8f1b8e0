import dash

from auth.account import current_account
from components.connections import connections_page
from components.states import forbidden, page_header
from context import settings

# An order, so that this exact path is matched before the /data/<name> template (unordered).
dash.register_page(__name__, path="/data/connections", name="Connections",
                   title="Connections · Pulseboard", order=4)


def layout(**_query):
    account = current_account()
    if account is None or not account.is_admin:
        return [page_header("Database connections"), forbidden()]
    app_settings = settings()
    return connections_page(str(app_settings.allowed_sqlite_folder), app_settings.allow_any_sqlite_path)
