"""Sharing a dashboard (named people and the public link) and downloading it as JSON.

`share_button()`, `share_modal()` and `download_json_button()` go on a page that also has the
`ids.DB_REF` store; callbacks.sharing reads the dashboard id from there and re-checks it.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

# Pattern-matching ids of each share row: {"type": ..., "u": <user id>}

PERMISSION_OPTIONS = [{"label": "Can view", "value": "view"}, {"label": "Can edit", "value": "edit"}]


def share_button() -> dbc.Button:
    return dbc.Button([html.I(className="bi bi-share me-1"), "Share"], id=ids.SHARE_OPEN,
                      color="secondary", outline=True)


def share_modal() -> dbc.Modal:
    """The share dialog; its body is drawn by callbacks.sharing each time it opens."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle([html.I(className="bi bi-share me-2"), "Share dashboard"])),
            dbc.ModalBody([html.Div(id=ids.SHARE_MESSAGE), dcc.Loading(html.Div(id=ids.SHARE_BODY),
                                                                   delay_show=300)]),
            dcc.Store(id=ids.SHARE_REFRESH, data=0),
        ],
        id=ids.SHARE_MODAL, is_open=False, size="lg",
    )


def download_json_button() -> html.Span:
    """The "Download JSON" button with its `dcc.Download` and an error toast, placed together."""
    return html.Span(
        [
            dbc.Button([html.I(className="bi bi-filetype-json me-1"), "Download JSON"],
                       id=ids.DB_DOWNLOAD_JSON, color="secondary", outline=True),
            dcc.Download(id=ids.DB_DOWNLOAD),
            dbc.Toast(id=ids.DB_DOWNLOAD_ERROR, header="Download failed", icon="danger", is_open=False,
                      dismissable=True, duration=8000, className="pb-share-toast"),
        ],
        className="pb-download-json",
    )


def _share_rows(shares: list) -> html.Div:
    if not shares:
        return html.P("Not shared with anyone yet: only its owner and admins can open it in Pulseboard.",
                      className="text-body-secondary", id="share-none")
    rows = [
        html.Tr([
            html.Td([html.Div(share.display_name, className="fw-semibold"),
                     html.Div(share.email, className="small text-body-secondary")]),
            html.Td(dbc.Select(id={"type": ids.SHARE_PERMISSION, "u": share.user_id},
                               options=PERMISSION_OPTIONS, value=share.permission, size="sm",
                               className="pb-share-permission")),
            html.Td(dbc.Button([html.I(className="bi bi-x-lg"),
                                html.Span(f"Stop sharing with {share.email}", className="visually-hidden")],
                               id={"type": ids.SHARE_REMOVE, "u": share.user_id}, size="sm", color="danger",
                               outline=True, title="Stop sharing"),
                    className="text-end"),
        ], **{"data-email": share.email})
        for share in shares
    ]
    return html.Div(dbc.Table(html.Tbody(rows), className="pb-table align-middle mb-0"),
                    className="pb-table-wrap", id="share-list")


def _add_form() -> html.Div:
    return html.Div([
        dbc.Label("Email of the person to share with", html_for=ids.SHARE_EMAIL, className="visually-hidden"),
        dbc.InputGroup([
            dbc.Input(id=ids.SHARE_EMAIL, type="email", placeholder="name@company.com", autoComplete="off"),
            dbc.Select(id=ids.SHARE_NEW_PERMISSION, options=PERMISSION_OPTIONS, value="view",
                       className="pb-share-permission"),
            dbc.Button([html.I(className="bi bi-person-plus me-1"), "Share"], id=ids.SHARE_ADD,
                       color="primary"),
        ]),
    ])


def _public_section(public_url: str | None) -> html.Div:
    if public_url is None:
        details = html.P("Off: only signed-in people it is shared with can see this dashboard.",
                         className="small text-body-secondary mb-0")
    else:
        details = html.Div([
            dbc.Label("Public link", html_for=ids.SHARE_PUBLIC_URL, className="visually-hidden"),
            dbc.InputGroup([
                dbc.Input(id=ids.SHARE_PUBLIC_URL, value=public_url, readonly=True),
                dbc.InputGroupText(dcc.Clipboard(target_id=ids.SHARE_PUBLIC_URL, title="Copy link",
                                                 className="pb-share-copy")),
                dbc.Button(html.I(className="bi bi-box-arrow-up-right"), href=public_url,
                           target="_blank", rel="noopener noreferrer", external_link=True,
                           color="secondary", outline=True,
                           title="Open the public page"),
            ]),
            html.P("Anyone with this link can view the dashboard read-only, without signing in. "
                   "Turning the link off revokes it: the old link stops working for good, and "
                   "turning it on again makes a new one.",
                   className="small text-body-secondary mt-2 mb-0"),
        ])
    return html.Div([
        dbc.Switch(id=ids.SHARE_PUBLIC_SWITCH, value=public_url is not None,
                   label="Public link: anyone with the link can view"),
        details,
    ], id="share-public")


def share_body(shares: list, public_url: str | None, owner_name: str) -> list:
    """The dialog's controls for someone who manages the dashboard."""
    return [
        html.H3("People", className="pb-card-title mb-2"),
        html.P(f"Owner: {owner_name}. People you add can view it, or edit it if they are analysts "
               "or admins (viewers only ever view).", className="small text-body-secondary"),
        _add_form(),
        html.Div(_share_rows(shares), className="mt-3"),
        html.Hr(),
        html.H3("Public link", className="pb-card-title mb-2"),
        _public_section(public_url),
    ]
