"""The bell: the unread count on every page load and on a light poll, and the popover of the
latest notifications, which are marked read as it opens (or all of them with "Mark all read").

Every callback reads the user from the session, never from the browser: a person only ever
counts, sees and marks their own notifications.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, no_update

from auth.account import current_account
from components import ids
from components.notifications import badge_class, badge_text, notification_list
from context import database, now
from data.notifications import mark_read, recent, unread_count

NOTHING = (no_update, no_update, no_update)


@dash.callback(
    Output(ids.NT_BADGE, "children"),
    Output(ids.NT_BADGE, "className"),
    Output(ids.NT_COUNT, "data"),
    Input(ids.URL, "pathname"),
    Input(ids.NT_INTERVAL, "n_intervals"),
    State(ids.NT_COUNT, "data"),
)
def refresh_count(_pathname, _ticks, known):
    """One COUNT query; nothing goes back to the browser while the count stays the same."""
    account = current_account()
    if account is None:
        return NOTHING
    with database().session() as session:
        count = unread_count(session, account.id)
    if count == known:
        return NOTHING
    return badge_text(count), badge_class(count), count


@dash.callback(
    Output(ids.NT_LIST, "children"),
    Output(ids.NT_BADGE, "children", allow_duplicate=True),
    Output(ids.NT_BADGE, "className", allow_duplicate=True),
    Output(ids.NT_COUNT, "data", allow_duplicate=True),
    Input(ids.NT_POPOVER, "is_open"),
    Input(ids.NT_MARK_ALL, "n_clicks"),
    prevent_initial_call=True,
)
def open_or_mark_read(is_open, _clicks):
    """Opening the popover lists the latest notifications, the unread ones marked as new, and
    marks those read; "Mark all read" marks every one read, listed or not."""
    account = current_account()
    if account is None:
        return no_update, *NOTHING
    everything = dash.ctx.triggered_id == ids.NT_MARK_ALL
    if not everything and not is_open:
        return no_update, *NOTHING
    moment = now()
    with database().session() as session:
        records = recent(session, account.id)
        unread = {record.id for record in records if record.read_at is None}
        if everything:
            mark_read(session, account.id, None, moment)
        elif unread:
            mark_read(session, account.id, sorted(unread), moment)
        count = unread_count(session, account.id)
    shown_unread = set() if everything else unread
    return notification_list(records, shown_unread, moment), badge_text(count), badge_class(count), count
