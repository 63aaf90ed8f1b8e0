"""How callbacks show the outcome of an action to the user."""

import dash_bootstrap_components as dbc


def success(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="success", dismissable=True, duration=6000, className="py-2")


def failure(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="danger", dismissable=True, className="py-2")
