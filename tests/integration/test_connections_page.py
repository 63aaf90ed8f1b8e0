"""/data/connections callbacks called as plain functions, as each role, on real databases: admins
test, save, list and delete connections and make datasets from them; everyone else is refused;
and no output sent to the browser, or logged, holds a password."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import func, select

from callbacks.connections import (
    create_dataset,
    delete_connection,
    describe_source,
    load_relations,
    render_connections,
    save_connection,
    try_connection,
)
from components import ids
from context import EXTENSION
from data.dataset_store import get_dataset_info
from data.models import DatasetRecord, SourceConnection
from pages.connections import layout
from tests.conftest import service_url
from tests.helpers import account_of, find_component, text_of
from tests.integration.test_connections import _create_orders

PASSWORD = "Page-Secret-42"


def _sqlite_orders(app) -> str:
    """An orders table in a SQLite file of the allowed folder; returns the URL an admin types."""
    folder = app.server.extensions[EXTENSION].settings.allowed_sqlite_folder
    folder.mkdir(parents=True, exist_ok=True)
    _create_orders(f"sqlite:///{folder / 'shop.db'}", "orders", "orders_by_region")
    return "sqlite:///shop.db"


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _saved_id(database, name: str) -> int:
    with database.session() as session:
        return session.scalar(select(SourceConnection.id).where(SourceConnection.name == name))


def _as_sent(*outputs) -> str:
    """The outputs as Dash would serialise them for the browser."""
    return json.dumps(outputs, cls=PlotlyJSONEncoder)


@pytest.mark.parametrize("role", ["analyst", "viewer", None])
def test_the_page_is_for_admins_only(acting_as, role):
    with acting_as(role):
        page = layout()
    assert find_component(page, "pb-forbidden") is not None and find_component(page, ids.CN_URL) is None


def test_an_admin_sees_the_forms_and_the_allowed_folder(acting_as, app):
    with acting_as("admin"):
        page = layout()
    assert find_component(page, ids.CN_URL).type == "password"
    folder = app.server.extensions[EXTENSION].settings.allowed_sqlite_folder
    assert f"must be in {folder}" in text_of(page)


def test_an_admin_tests_saves_lists_and_deletes_a_connection(acting_as, app, database, fire):
    url = _sqlite_orders(app)
    with acting_as("admin"):
        tried = try_connection(1, url)
        message, refresh, name_value, url_value, test_result, source = save_connection(1, "Shop", url, 4)
        table, options = render_connections(refresh)
    assert "Connected: SQLite 3." in text_of(tried)
    assert "Saved the connection 'Shop'" in text_of(message)
    assert (refresh, name_value, url_value, test_result) == (5, "", "", None)
    connection_id = _saved_id(database, "Shop")
    assert source == str(connection_id)
    assert options == [{"label": "Shop (SQLite)", "value": str(connection_id)}]
    assert "Shop" in text_of(table) and "shop.db" in text_of(table)
    with acting_as("admin"):
        fire({"type": ids.CN_DELETE, "connection": connection_id}, "n_clicks", 1)
        deleted, refreshed = delete_connection([1], 5)
    assert "Deleted the connection 'Shop'" in text_of(deleted) and refreshed == 6
    assert _count(database, SourceConnection) == 0


def test_a_bad_url_or_name_is_explained_and_nothing_saved(acting_as, app, database):
    url = _sqlite_orders(app)
    with acting_as("admin"):
        missing = try_connection(1, "sqlite:///missing.db")
        outside = save_connection(1, "Elsewhere", "sqlite:////etc/hostname", 0)
        other = save_connection(1, "Oracle", "oracle://scott:tiger@db/orcl", 0)
        nameless = save_connection(1, "", url, 0)
    assert "There is no database file" in text_of(missing)
    assert "must be inside" in text_of(outside[0]) and "Supported databases" in text_of(other[0])
    assert "Give the connection a name" in text_of(nameless[0])
    assert "tiger" not in _as_sent(other)
    assert _count(database, SourceConnection) == 0


def test_an_admin_makes_datasets_from_a_table_and_from_a_select(acting_as, app, database, fire):
    url = _sqlite_orders(app)
    with acting_as("admin"):
        save_connection(1, "Shop", url, 0)
        connection_id = str(_saved_id(database, "Shop"))
        relations, _value, problem = load_relations(connection_id)
        assert problem is None
        orders = next(option["value"] for option in relations if option["label"] == "main.orders")
        fire(ids.CN_RELATION, "value", orders)
        columns, time_choices, time_column = describe_source(orders, None, connection_id, None)
        created, refresh = create_dataset(1, connection_id, "table", orders, None, time_column, "shop_orders",
                                          "Shop orders", 0)
        fire(ids.CN_RUN, "n_clicks", 1)
        sql = "SELECT region, amount FROM orders"
        rows, select_times, _ = describe_source(orders, 1, connection_id, sql)
        from_select, _ = create_dataset(1, connection_id, "sql", orders, sql, "", "shop_amounts", "Amounts",
                                        refresh)
        table, _options = render_connections(refresh + 1)
    assert "main.orders_by_region (view)" in [option["label"] for option in relations]
    assert "ordered_at · datetime" in text_of(columns) and time_column == "day"
    assert [choice["value"] for choice in time_choices] == ["", "day", "ordered_at"]
    assert "Created the dataset shop_orders (3 rows)" in text_of(created) and refresh == 1
    assert "3 rows" in text_of(rows) and "EMEA" in text_of(rows) and select_times == [
        {"label": "No time column", "value": ""}]
    assert "Created the dataset shop_amounts" in text_of(from_select)
    assert "shop_amounts" in text_of(table) and "shop_orders" in text_of(table)
    with database.session() as session:
        info = get_dataset_info(session, account_of(database, "admin"), "shop_orders")
    assert (info.source, info.definition.time_column) == ("table", "day")


def test_an_unsafe_select_is_refused_in_the_preview_and_on_create(acting_as, app, database, fire):
    url = _sqlite_orders(app)
    with acting_as("admin"):
        save_connection(1, "Shop", url, 0)
        connection_id = str(_saved_id(database, "Shop"))
        fire(ids.CN_RUN, "n_clicks", 1)
        preview, _, _ = describe_source(None, 1, connection_id, "SELECT load_extension('/tmp/evil.so')")
        created, refresh = create_dataset(1, connection_id, "sql", None, "DELETE FROM orders", "", "evil",
                                          "Evil", 0)
    assert "load_extension() is not allowed" in text_of(preview)
    assert "Only SELECT queries" in text_of(created) and refresh is not None
    assert _count(database, DatasetRecord) == 0


@pytest.mark.parametrize("role", ["analyst", "viewer", None])
def test_every_callback_refuses_anyone_but_an_admin(acting_as, app, database, fire, role):
    url = _sqlite_orders(app)
    with acting_as("admin"):
        save_connection(1, "Shop", url, 0)
    connection_id = _saved_id(database, "Shop")
    relation = json.dumps(["main", "orders"])
    with acting_as(role):
        fire({"type": ids.CN_DELETE, "connection": connection_id}, "n_clicks", 1)
        outputs = [render_connections(0)[0], try_connection(1, url), save_connection(1, "Mine", url, 0)[0],
                   delete_connection([1], 0)[0], load_relations(str(connection_id))[2],
                   create_dataset(1, str(connection_id), "table", relation, None, "", "mine", "Mine", 0)[0]]
        fire(ids.CN_RELATION, "value", relation)
        outputs.append(describe_source(relation, None, str(connection_id), None)[0])
    for output in outputs:
        assert "permission" in text_of(output) or "Sign in" in text_of(output), text_of(output)
    assert "shop.db" not in _as_sent(outputs)
    assert _count(database, SourceConnection) == 1 and _count(database, DatasetRecord) == 0


@pytest.mark.postgres
def test_no_output_for_the_browser_and_no_log_line_holds_the_password(acting_as, database, postgres_url, fire,
                                                                     caplog):
    caplog.set_level(logging.DEBUG)
    _create_orders(postgres_url, "orders_page", "orders_page_view")
    typed = sa.make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)
    with acting_as("admin"):
        sent = [try_connection(1, typed), save_connection(1, "Warehouse", typed, 0)]
        connection_id = str(_saved_id(database, "Warehouse"))
        sent += [render_connections(1), load_relations(connection_id)]
        relation = next(option["value"] for option in sent[-1][0] if "orders_page" in option["label"]
                        and "view" not in option["label"])
        fire(ids.CN_RELATION, "value", relation)
        sent.append(describe_source(relation, None, connection_id, None))
        fire(ids.CN_RUN, "n_clicks", 1)
        sent.append(describe_source(relation, 1, connection_id, "SELECT current_user AS who"))
        sent.append(create_dataset(1, connection_id, "table", relation, None, "day", "pg_orders", "Orders",
                                   1))
        sent.append(save_connection(1, "Warehouse", typed, 2))  # refused: the name is taken
    assert "Connected: PostgreSQL" in text_of(sent[0])
    assert "Created the dataset pg_orders" in text_of(sent[-2][0])
    assert "already a connection" in text_of(sent[-1][0])
    shown = _as_sent(*sent) + caplog.text
    assert PASSWORD not in shown and "postgres:***@" in shown


def test_a_refused_password_is_reported_without_it(acting_as, caplog):
    caplog.set_level(logging.DEBUG)
    typed = sa.make_url(service_url("TEST_MYSQL_URL", "MySQL or MariaDB")).set(password=PASSWORD)
    with acting_as("admin"):
        tried = try_connection(1, typed.render_as_string(hide_password=False))
        saved = save_connection(1, "Wrong", typed.render_as_string(hide_password=False), 0)
    assert "Access denied" in text_of(tried) and "Access denied" in text_of(saved[0])
    assert PASSWORD not in _as_sent(tried, saved) + caplog.text
