"""The Cancel button of a background job started with a signed ticket (the export dialog, the
upload import): only the user the job runs for may stop it, and the job sees a flag in the
shared cache, checked between its steps, so it stops cleanly."""

from __future__ import annotations

from dash import html, no_update

from auth.account import current_account
from auth.tickets import BadTicket, redeem
from context import cache, database, settings
from data.cache import CacheUnavailable

UNCHANGED = (no_update, no_update, no_update)


def request_cancel(request, purpose: str, cancel_key) -> tuple:
    """(button text, button disabled, status message) after a Cancel click: the flag is raised
    for the job the signed `request` names, if it runs for the signed-in user. With Redis down
    the button stays, to try again, and the status says why."""
    account = current_account()
    if not isinstance(request, dict) or account is None:
        return UNCHANGED
    try:  # the key comes from the user's own signed ticket, never from the browser alone
        with database().session() as session:
            owner, fields = redeem(settings().secret_key, purpose, request.get("ticket"), session)
    except BadTicket:
        return UNCHANGED
    if owner.id != account.id:
        return UNCHANGED
    try:
        cache().set_flag(cancel_key(fields["key"]))
    except CacheUnavailable as error:
        return no_update, no_update, html.Span(str(error), className="text-danger")
    return "Cancelling…", True, no_update
