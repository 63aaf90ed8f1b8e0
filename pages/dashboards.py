import dash

from auth.account import current_account
from components.gallery import gallery_page
from data.dashboard_access import CREATOR_ROLES

dash.register_page(__name__, path="/dashboards", name="Dashboards",
                   title="Dashboards · Pulseboard", order=1)


def layout(tab: str = "mine", **_query):
    account = current_account()
    # Only hides the buttons; the create, import and duplicate callbacks check the role again.
    can_create = account is not None and account.role in CREATOR_ROLES
    return gallery_page(can_create, tab)
