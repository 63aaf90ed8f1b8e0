"""Page headers, the confirmation before a delete, and the non-data states a page can show."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def page_header(title: str, subtitle: str = "", actions=None) -> html.Div:
    return html.Div(
        [html.Div([html.H1(title, className="pb-page-title"),
                   html.P(subtitle, className="pb-page-subtitle") if subtitle else None]),
         html.Div(actions, className="pb-page-actions") if actions else None],
        className="pb-page-header",
    )


def delete_modal(question: str, modal_id: str, body_id: str, cancel_id: str, confirm_id: str) -> dbc.Modal:
    """The "Delete …?" dialog: its body says what goes, Cancel or Delete closes it."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(question)),
            dbc.ModalBody(id=body_id),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=cancel_id, color="secondary", outline=True, n_clicks=0),
                dbc.Button([html.I(className="bi bi-trash me-1"), "Delete"], id=confirm_id, color="danger",
                           n_clicks=0),
            ]),
        ],
        id=modal_id, is_open=False,
    )


def forbidden(message: str = "This page is for administrators.") -> html.Div:
    return html.Div(
        [html.I(className="bi bi-shield-lock pb-empty-icon"),
         html.H2("You don't have access", className="pb-empty-title"),
         html.P(message, className="pb-empty-text")],
        className="pb-empty", id="pb-forbidden",
    )
