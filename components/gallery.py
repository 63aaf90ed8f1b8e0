"""The dashboard gallery: tabs, search, dashboard cards, and the new-dashboard and delete dialogs."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.states import delete_modal, page_header

TABS = (("mine", "Mine"), ("shared", "Shared with me"), ("public", "Public"))
ACCESS_LABELS = {"manage": ("Owner access", "bi-person-gear"), "edit": ("Can edit", "bi-pencil"),
                 "view": ("View only", "bi-eye")}
TITLE_MAX = 200


def relative_time(moment: dt.datetime, now: dt.datetime) -> str:
    """'just now', '3 minutes ago', '5 hours ago', '2 days ago', then the date (naive UTC times)."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 45:
        return "just now"
    for size, unit, below in ((60, "minute", 60), (3600, "hour", 24), (86_400, "day", 30)):
        count = max(1, seconds // size)
        if count < below:
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return f"{moment.day} {moment:%b %Y}"


def exact_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _action_bar(can_create: bool):
    if not can_create:
        return None
    return [
        dcc.Upload(
            dbc.Button([html.I(className="bi bi-upload me-1"), "Import JSON"], color="secondary",
                       outline=True, id="gal-import-button"),
            id=ids.GAL_IMPORT, accept=".json,application/json", multiple=False,
        ),
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "New dashboard"], id=ids.GAL_NEW_OPEN,
                   color="primary"),
    ]


def _filter_bar(tab: str) -> html.Div:
    return html.Div(
        [
            dbc.Tabs([dbc.Tab(label=label, tab_id=tab_id) for tab_id, label in TABS],
                     id=ids.GAL_TABS, active_tab=tab, className="pb-gal-tabs"),
            html.Div([
                dbc.Label("Search dashboards by title", html_for=ids.GAL_SEARCH, className="visually-hidden"),
                dbc.InputGroup([
                    dbc.InputGroupText(html.I(className="bi bi-search")),
                    dbc.Input(id=ids.GAL_SEARCH, type="search", placeholder="Search by title",
                              debounce=300, maxLength=TITLE_MAX, autoComplete="off"),
                ]),
            ], className="pb-gal-search"),
        ],
        className="pb-gal-toolbar",
    )


def new_dashboard_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("New dashboard")),
            dbc.ModalBody([
                dbc.Label("Title", html_for=ids.GAL_NEW_TITLE),
                dbc.Input(id=ids.GAL_NEW_TITLE, placeholder="e.g. Sales pulse", maxLength=TITLE_MAX,
                          autoComplete="off", autoFocus=True),
                dbc.FormText("It starts empty; you add widgets in the builder."),
                html.Div(id=ids.GAL_NEW_MESSAGE, className="mt-3"),
            ]),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=ids.GAL_NEW_CANCEL, color="secondary", outline=True),
                dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Create and edit"],
                           id=ids.GAL_NEW_SUBMIT, color="primary"),
            ]),
        ],
        id=ids.GAL_NEW_MODAL, is_open=False,
    )


def delete_dialog() -> dbc.Modal:
    return delete_modal("Delete dashboard?", ids.GAL_DELETE_MODAL, ids.GAL_DELETE_BODY,
                        ids.GAL_DELETE_CANCEL, ids.GAL_DELETE_CONFIRM)


def delete_question(title: str, owner_name: str, widget_count: int) -> list:
    """The confirm dialog's text for one dashboard (the title is shown as text, never markup)."""
    return [
        html.P(["This deletes ", html.Strong(title), f" by {owner_name}, its {widget_count} "
                f"widget{'s' if widget_count != 1 else ''} and its whole version history."]),
        html.P("People it is shared with lose access, and its public link stops working. "
               "This cannot be undone.", className="text-body-secondary mb-0"),
    ]


def dashboard_card(summary, now: dt.datetime, can_create: bool) -> dbc.Col:
    """One gallery card for a `DashboardSummary`, with the actions its access allows."""
    href = f"/dashboards/{summary.id}"
    access_label, access_icon = ACCESS_LABELS.get(summary.access, ("View only", "bi-eye"))
    badges = [html.Span([html.I(className=f"bi {access_icon} me-1"), access_label],
                        className=f"badge pb-gal-access pb-gal-access-{summary.access}")]
    if summary.is_public:
        badges.insert(0, dbc.Badge([html.I(className="bi bi-globe2 me-1"), "Public"], color="info",
                                   className="pb-gal-public"))
    actions = [dbc.Button([html.I(className="bi bi-box-arrow-up-right me-1"), "Open"], href=href,
                          size="sm", color="primary", outline=True)]
    if summary.access in ("edit", "manage"):
        actions.append(dbc.Button([html.I(className="bi bi-pencil me-1"), "Edit"], href=f"{href}/edit",
                                  size="sm", color="secondary", outline=True))
    if can_create:
        actions.append(dbc.Button([html.I(className="bi bi-copy me-1"), "Duplicate"],
                                  id={"type": ids.GAL_DUPLICATE, "d": summary.id}, size="sm",
                                  color="secondary", outline=True))
    if summary.access == "manage":
        actions.append(dbc.Button([html.I(className="bi bi-trash"),
                                   html.Span(f"Delete {summary.title}", className="visually-hidden")],
                                  id={"type": ids.GAL_DELETE, "d": summary.id}, size="sm", color="danger",
                                  outline=True, className="ms-auto", title="Delete"))
    widgets = f"{summary.widget_count} widget{'s' if summary.widget_count != 1 else ''}"
    return dbc.Col(
        html.Div(
            [
                html.Div(badges, className="pb-gal-badges"),
                html.H2(dcc.Link(summary.title, href=href, className="pb-gal-title-link"),
                        className="pb-gal-title"),
                html.Div(
                    [html.Span([html.I(className="bi bi-person me-1"), summary.owner_name]),
                     html.Span([html.I(className="bi bi-clock-history me-1"), "Edited ",
                                html.Span(relative_time(summary.updated_at, now),
                                          title=exact_time(summary.updated_at))]),
                     html.Span([html.I(className="bi bi-grid-1x2 me-1"), widgets])],
                    className="pb-gal-meta",
                ),
                html.Div(actions, className="pb-gal-actions"),
            ],
            className="pb-card pb-gal-card h-100", **{"data-dashboard": str(summary.id)},
        ),
        md=6, xl=4,
    )


def gallery_cards(summaries: list, now: dt.datetime, can_create: bool) -> dbc.Row:
    return dbc.Row([dashboard_card(summary, now, can_create) for summary in summaries], className="g-3")


def empty_gallery(tab: str, search: str, can_create: bool) -> html.Div:
    """What an empty tab says, and what to do about it."""
    if search:
        icon, title = "bi-search", f"No dashboards match “{search}”"
        text = "Try another part of the title, or clear the search."
    elif tab == "shared":
        icon, title = "bi-people", "Nothing is shared with you yet"
        text = ("When a teammate shares a dashboard with you from its Share dialog, "
                "it appears here.")
    elif tab == "public":
        icon, title = "bi-globe2", "No public dashboards"
        text = ("A dashboard's owner can turn on its public link in the Share dialog; "
                "public dashboards are listed here.")
    elif can_create:
        icon, title = "bi-grid-1x2", "You have no dashboards yet"
        text = "Create one with New dashboard, or import a dashboard's JSON file."
    else:
        icon, title = "bi-grid-1x2", "You have no dashboards of your own"
        text = ("Viewers cannot create dashboards. Dashboards shared with you are under "
                "Shared with me, and public ones under Public.")
    return html.Div([html.I(className=f"bi {icon} pb-empty-icon"),
                     html.H2(title, className="pb-empty-title"),
                     html.P(text, className="pb-empty-text")],
                    className="pb-empty", id="gal-empty")


def gallery_page(can_create: bool, tab: str = "mine") -> list:
    """The whole /dashboards page; the list itself is drawn by callbacks.gallery."""
    return [
        page_header("Dashboards", "Build, share and version your own dashboards.",
                    actions=_action_bar(can_create)),
        html.Div(id=ids.GAL_MESSAGE),
        _filter_bar(tab if tab in dict(TABS) else "mine"),
        dcc.Loading(html.Div(id=ids.GAL_LIST), delay_show=300),
        dcc.Store(id=ids.GAL_REFRESH, data=0),
        dcc.Store(id=ids.GAL_DELETE_TARGET),
        new_dashboard_modal(),
        delete_dialog(),
    ]
