"""Helpers for tests that call callbacks directly: reading Dash component trees, and the account
of one of the test people."""

from __future__ import annotations

from collections.abc import Iterator

from auth.account import Account
from context import EXTENSION
from data import users as user_commands
from data.dashboard_spec import parse_document
from data.dashboards import create_dashboard, set_share
from settings import Settings
from tests.conftest import PEOPLE


def text_of(component) -> str:
    """All the text inside a Dash component tree, runs of white space made one space."""

    def words(node) -> str:
        if node is None:
            return ""
        if isinstance(node, str | int | float):
            return str(node)
        if isinstance(node, list | tuple):
            return " ".join(words(child) for child in node)
        return words(getattr(node, "children", None))

    return " ".join(words(component).split())


def nodes(tree) -> Iterator:
    """Every component in a tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
        elif node is not None and not isinstance(node, str | int | float):
            yield node
            stack.append(getattr(node, "children", None))


def find_component(tree, component_id):
    """The component with this id in a tree, or None."""
    return next((node for node in nodes(tree) if getattr(node, "id", None) == component_id), None)


def account_of(database, person: str) -> Account:
    """The signed-in account of one of the test people (a key of `PEOPLE`)."""
    with database.session() as session:
        return Account.from_user(user_commands.find_by_email(session, PEOPLE[person][0]))


# A KPI card and a bar chart of the demo sales: the dashboard of the schedule tests.
SALES_PULSE = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales", "measures": ["revenue"],
         "dimensions": ["region"]},
    ],
    "layout": [{"i": "kpi", "x": 0, "y": 0, "w": 3, "h": 3},
               {"i": "regions", "x": 3, "y": 0, "w": 9, "h": 4}],
}


def shared_board(database, document: dict):
    """A dashboard owned by the analyst, shared for editing with the editor and for viewing with
    the viewer; the stranger has no access."""
    owner = account_of(database, "analyst")
    with database.session() as session:
        record = create_dashboard(session, owner, parse_document(document))
        set_share(session, owner, record.id, PEOPLE["editor"][0], "edit")
        set_share(session, owner, record.id, PEOPLE["viewer"][0], "view")
    return record


def settings_of(app) -> Settings:
    """The settings of a test app (what its requests read datasets with)."""
    return app.server.extensions[EXTENSION].settings

