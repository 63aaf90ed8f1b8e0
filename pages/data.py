import dash

from auth.account import current_account
from components.data_page import data_page
from context import settings
from data.dashboard_access import CREATOR_ROLES

dash.register_page(__name__, path="/data", name="Data", title="Data · Pulseboard", order=3)


def layout(**_query):
    account = current_account()
    # Only hides the upload; every upload and import callback checks the role again.
    can_upload = account is not None and account.active and account.role in CREATOR_ROLES
    return data_page(can_upload, settings().upload_max_mb, is_admin=can_upload and account.is_admin)
