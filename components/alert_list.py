"""The Alerts tab of `/reports`."""

from __future__ import annotations

from dash import html

from components import ids


def alerts_panel() -> html.Div:
    return html.Div(id=ids.AL_PANEL)
