"""The bell in the navbar: the unread count, and a popover of the latest notifications."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.gallery import relative_time

POLL_SECONDS = 60  # how often an open page asks for the unread count (one COUNT query)
KIND_ICONS = {"fired": "bi-exclamation-triangle-fill text-danger",
              "cleared": "bi-check-circle-fill text-success",
              "error": "bi-x-octagon-fill text-warning",
              "report": "bi-envelope-exclamation text-warning"}


def bell() -> html.Div:
    """The bell button with its badge, the popover it opens, the poll and the count it knows."""
    return html.Div(
        [
            html.Button(
                [html.I(className="bi bi-bell"),
                 html.Span("", id=ids.NT_BADGE, className="pb-bell-badge d-none")],
                id=ids.NT_BELL, className="btn btn-link nav-link pb-bell", n_clicks=0, type="button",
                title="Notifications", **{"aria-label": "Notifications"},
            ),
            dbc.Popover(
                [
                    dbc.PopoverHeader(html.Div(
                        [html.Span("Notifications", className="fw-semibold"),
                         dbc.Button("Mark all read", id=ids.NT_MARK_ALL, color="link", size="sm",
                                    className="p-0 pb-bell-mark", n_clicks=0)],
                        className="d-flex justify-content-between align-items-center gap-3")),
                    dbc.PopoverBody(html.Div(empty_list(), id=ids.NT_LIST), className="p-0"),
                ],
                id=ids.NT_POPOVER, target=ids.NT_BELL, trigger="legacy", placement="bottom-end",
                is_open=False, class_name="pb-bell-popover", hide_arrow=True,
            ),
            dcc.Store(id=ids.NT_COUNT, data=None),
            dcc.Interval(id=ids.NT_INTERVAL, interval=POLL_SECONDS * 1000),
        ],
        className="nav-item pb-bell-wrap",
    )


def badge_text(count: int) -> str:
    return "99+" if count > 99 else str(count)


def badge_class(count: int) -> str:
    """The badge shows only while something is unread."""
    return "pb-bell-badge" + ("" if count else " d-none")


def safe_link(link: str | None) -> str | None:
    """Only links inside the app are followed: a path, never a scheme or another host."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link


def empty_list() -> html.Div:
    return html.Div([html.I(className="bi bi-bell-slash me-2"), "No notifications yet."],
                    className="pb-bell-empty text-body-secondary small", id="nt-empty")


def notification_list(records: list, unread_ids: set[int], now: dt.datetime) -> html.Div | list:
    """The latest notifications, newest first; those in `unread_ids` marked as new."""
    if not records:
        return empty_list()
    items = []
    for record in records:
        unread = record.id in unread_ids
        text = [html.Div([html.I(className=f"bi {KIND_ICONS.get(record.kind, 'bi-bell')} me-2"),
                          html.Span(record.title, className="pb-bell-title")], className="d-flex"),
                html.Div(record.body, className="pb-bell-body small") if record.body else None,
                html.Div(relative_time(record.created_at, now),
                         className="pb-bell-time small text-body-secondary")]
        link = safe_link(record.link)
        content = dcc.Link(text, href=link, className="pb-bell-link") if link else html.Div(text)
        items.append(html.Li(content, className="pb-bell-item" + (" pb-bell-unread" if unread else ""),
                             **{"data-notification": record.id}))
    return html.Ul(items, className="pb-bell-list list-unstyled mb-0")
