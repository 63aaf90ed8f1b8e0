"""Light and dark looks for figures, matching the Bootstrap theme of the page around them."""

from __future__ import annotations

import plotly.graph_objects as go

PALETTE = ["#4f46e5", "#0d9488", "#f59e0b", "#e11d48", "#0ea5e9", "#8b5cf6", "#84cc16", "#64748b"]
GOOD, BAD, NEUTRAL = "#16a34a", "#dc2626", "#64748b"


def _template(grid: str) -> go.layout.Template:
    """The little of plotly's white and dark templates our figures use. The full templates are
    about 10 KB of JSON per figure, and copying one into each figure took a third of the time
    a dashboard's figures took to build (measured); every colour that matters is set below."""
    axis = {"automargin": True, "ticks": "", "linecolor": grid, "zerolinecolor": grid,
            "title": {"standoff": 15}}
    return go.layout.Template(layout={"xaxis": axis, "yaxis": axis, "hovermode": "closest",
                                      "hoverlabel": {"align": "left"}, "title": {"x": 0.05}})


LIGHT_GRID, DARK_GRID = "rgba(15,23,42,0.08)", "rgba(148,163,184,0.18)"
TEMPLATES = {"light": _template(LIGHT_GRID), "dark": _template(DARK_GRID)}


def theme_name(value) -> str:
    """"dark" or "light" from whatever arrived (a store, a cookie); anything else is light."""
    return "dark" if value == "dark" else "light"


def base_layout(theme: str) -> dict:
    """Layout settings every figure starts from: transparent, themed text and grid."""
    dark = theme == "dark"
    ink, grid = ("#e2e8f0", DARK_GRID) if dark else ("#334155", LIGHT_GRID)
    return {
        "template": TEMPLATES["dark" if dark else "light"],
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                 "color": ink, "size": 12},
        "colorway": PALETTE,
        "margin": {"l": 48, "r": 16, "t": 8, "b": 36},
        "xaxis": {"gridcolor": grid, "zeroline": False},
        "yaxis": {"gridcolor": grid, "zeroline": False},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hoverlabel": {"namelength": -1},
    }


def themed(figure: go.Figure, theme: str) -> go.Figure:
    """Apply the theme's layout to `figure` (a new figure each call, so nothing is shared)."""
    figure.update_layout(**base_layout(theme))
    return figure
