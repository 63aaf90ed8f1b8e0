"""Page headers and the non-data states a page can show: coming soon, forbidden, not found."""

from __future__ import annotations

from dash import html


def page_header(title: str, subtitle: str = "", actions=None) -> html.Div:
    return html.Div(
        [html.Div([html.H1(title, className="pb-page-title"),
                   html.P(subtitle, className="pb-page-subtitle") if subtitle else None]),
         html.Div(actions, className="pb-page-actions") if actions else None],
        className="pb-page-header",
    )


def coming_soon(icon: str, title: str, text: str, upcoming: list[str]) -> html.Div:
    """A deliberate 'what will be here' panel for a page a later release fills."""
    return html.Div(
        [html.I(className=f"bi {icon} pb-empty-icon"),
         html.H2(title, className="pb-empty-title"),
         html.P(text, className="pb-empty-text"),
         html.Ul([html.Li(item) for item in upcoming], className="pb-empty-list")],
        className="pb-empty",
    )


def forbidden(message: str = "This page is for administrators.") -> html.Div:
    return html.Div(
        [html.I(className="bi bi-shield-lock pb-empty-icon"),
         html.H2("You don't have access", className="pb-empty-title"),
         html.P(message, className="pb-empty-text")],
        className="pb-empty", id="pb-forbidden",
    )
