"""What set a callback off: pattern-matching buttons fire when they appear as well as when they are
clicked, and only a click should act."""

from __future__ import annotations

from dash import ctx


def clicked_pattern() -> dict | None:
    """The pattern id of the button that was clicked, or None when buttons merely appeared."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        return None
    return trigger
