import dash

from auth.account import current_account
from components.admin import admin_page
from components.states import forbidden, page_header

dash.register_page(__name__, path="/admin", name="Admin", title="Admin · Pulseboard", order=20)


def layout(**_query):
    account = current_account()
    if account is None or not account.is_admin:
        return [page_header("Admin"), forbidden()]
    return admin_page()
