"""The app shell around every page: location, theme store, navbar and the page container."""

from __future__ import annotations

import dash
from dash import dcc, html

from components import ids
from components.navbar import navbar


def app_shell(display_name: str, email: str, role: str, csrf_token: str) -> html.Div:
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.THEME_STORE, storage_type="local", data="light"),
            navbar(display_name, email, role, csrf_token),
            html.Main(dash.page_container, className="pb-page"),
        ]
    )


def anonymous_shell() -> html.Div:
    """What `/_dash-layout` would show with no user; the guard answers 401 before it is needed."""
    return html.Div([dcc.Location(id=ids.URL, refresh="callback-nav"),
                     dcc.Store(id=ids.THEME_STORE, storage_type="local", data="light"),
                     html.Main(dash.page_container, className="pb-page")])
