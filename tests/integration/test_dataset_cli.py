"""`flask datasets import-csv`, `connect`, `connections` and `list`: a file, or a table or SELECT
of a connected database, becomes a dataset; a bad file, URL, query or name gets a message and
leaves nothing behind, and no output shows a password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from context import EXTENSION
from data.dataset_store import get_dataset_info
from data.models import SourceConnection
from data.query import QuerySpec, run_query
from tests.conftest import PEOPLE
from tests.helpers import account_of
from tests.integration.test_connections import _create_orders
from tests.integration.test_upload_import import messy_sales


def run(app, *args: str):
    return app.server.test_cli_runner().invoke(args=["datasets", *args])


def tables(database) -> set[str]:
    return set(sa.inspect(database.engine).get_table_names())


def test_a_csv_imported_from_the_command_line_is_a_dataset_its_owner_can_query(app, database, tmp_path):
    path = tmp_path / "Shop orders.csv"
    reference = messy_sales(path, 800)
    result = run(app, "import-csv", str(path), "--name", "shop", "--owner", PEOPLE["analyst"][0],
                 "--time-column", "Placed at")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("shop: 800 rows imported")
    with database.session() as session:
        info = get_dataset_info(session, account_of(database, "analyst"), "shop")
    assert (info.label, info.row_count, info.definition.time_column) == ("Shop orders", 800, "placed_at")
    dataset = info.definition.semantic(info.name, info.label, info.definition.table(info.relation))
    total = run_query(database.engine, QuerySpec("shop", ("revenue",)), dataset=dataset)["revenue"].iloc[0]
    assert round(total, 2) == round(reference["revenue"].sum(), 2)

    listed = run(app, "list")
    assert listed.exit_code == 0 and listed.stdout.split()[:3] == ["shop", "upload", "800"]


def test_a_bad_file_name_or_owner_gets_a_message_and_leaves_no_table(app, database, tmp_path):
    before = tables(database)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    good = tmp_path / "good.csv"
    messy_sales(good, 20)
    for args, message in (
        ([str(empty), "--name", "empty"], "empty"),
        ([str(good), "--name", "sales"], "already a dataset called 'sales'"),
        ([str(good), "--name", "Bad Name"], "lower-case letters"),
        ([str(good), "--name", "shop", "--time-column", "Region"], "Region"),
        ([str(good), "--name", "shop", "--time-column", "Nope"], "no column 'Nope'"),
    ):
        result = run(app, "import-csv", *args, "--owner", PEOPLE["analyst"][0])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    refused = run(app, "import-csv", str(good), "--name", "shop", "--owner", "nobody@example.com")
    assert refused.exit_code != 0 and "no user with the email" in refused.output
    viewer = run(app, "import-csv", str(good), "--name", "shop", "--owner", PEOPLE["viewer"][0])
    assert viewer.exit_code != 0 and "Only admins and analysts" in viewer.output
    assert tables(database) == before
    assert "No datasets of your own yet" in run(app, "list").stdout


# -- datasets connect / datasets connections -------------------------------------------------------

def _sqlite_orders(app) -> str:
    """An orders table in a SQLite file of the allowed folder; returns the file's name."""
    folder = app.server.extensions[EXTENSION].settings.allowed_sqlite_folder
    folder.mkdir(parents=True, exist_ok=True)
    _create_orders(f"sqlite:///{folder / 'shop.db'}", "orders", "orders_by_region")
    return "shop.db"


def _connection_count(database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(SourceConnection))


def test_connect_adds_a_sqlite_table_and_a_select_on_one_connection(app, database):
    file_name = _sqlite_orders(app)
    table = run(app, "connect", f"sqlite:///{file_name}", "--table", "orders", "--name", "shop_orders",
                "--owner", PEOPLE["admin"][0], "--time-column", "ordered_at")
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("shop_orders: 3 rows (table main.orders on connection 'shop.db'")
    query = run(app, "connect", f"sqlite:///{file_name}", "--sql", "SELECT region, amount FROM orders",
                "--name", "shop_amounts", "--title", "Amounts", "--owner", PEOPLE["admin"][0])
    assert query.exit_code == 0 and query.stdout.startswith("shop_amounts: 3 rows (SELECT"), query.output
    with database.session() as session:
        admin = account_of(database, "admin")
        orders = get_dataset_info(session, admin, "shop_orders")
        amounts = get_dataset_info(session, admin, "shop_amounts")
    assert (orders.source, orders.label, orders.definition.time_column) == ("table", "orders", "ordered_at")
    assert (amounts.source, amounts.label, amounts.connection_id) == ("sql", "Amounts", orders.connection_id)
    listed = run(app, "connections")
    assert listed.exit_code == 0 and len(listed.stdout.splitlines()) == 1
    assert "shop.db" in listed.stdout and "datasets: shop_amounts, shop_orders" in listed.stdout


def test_connect_refusals_get_a_message_and_leave_nothing(app, database, tmp_path):
    file_name = _sqlite_orders(app)
    outside = tmp_path / "outside.db"
    _create_orders(f"sqlite:///{outside}", "orders", "orders_by_region")
    admin = PEOPLE["admin"][0]
    for args, message in (
        ([f"sqlite:///{file_name}", "--table", "missing", "--owner", admin], "no table or view 'missing'"),
        ([f"sqlite:///{file_name}", "--sql", "DELETE FROM orders", "--owner", admin], "Only SELECT queries"),
        ([f"sqlite:///{file_name}", "--table", "orders", "--owner", PEOPLE["analyst"][0]], "not an admin"),
        ([f"sqlite:///{outside}", "--table", "orders", "--owner", admin], "must be inside"),
        ([f"sqlite:///{file_name}", "--table", "orders", "--sql", "SELECT 1", "--owner", admin],
         "either --table or --sql"),
        (["oracle://scott:tiger@db/orcl", "--table", "orders", "--owner", admin], "Supported databases"),
    ):
        result = run(app, "connect", *args, "--name", "refused")
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert _connection_count(database) == 0
    assert "No database connections yet" in run(app, "connections").stdout
    assert "No datasets of your own yet" in run(app, "list").stdout


@pytest.mark.postgres
def test_connect_adds_a_postgres_table_and_never_prints_the_password(app, database, postgres_url):
    _create_orders(postgres_url, "orders_cli", "orders_cli_view")
    schema = sa.make_url(postgres_url).query["options"].partition("=")[2]
    typed = sa.make_url(postgres_url).set(password="Cli-Secret-9").render_as_string(hide_password=False)
    result = run(app, "connect", typed, "--table", f"{schema}.orders_cli", "--name", "pg_orders",
                 "--owner", PEOPLE["admin"][0], "--connection-name", "Warehouse")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"pg_orders: 3 rows (table {schema}.orders_cli on connection 'Warehouse'")
    again = run(app, "connect", typed, "--table", "orders_cli", "--name", "pg_orders", "--owner",
                PEOPLE["admin"][0])
    assert again.exit_code != 0 and "already a dataset called 'pg_orders'" in again.output
    listed = run(app, "connections")
    assert "postgres:***@127.0.0.1" in listed.stdout and "datasets: pg_orders" in listed.stdout
    assert all("Cli-Secret" not in output for output in (result.output, again.output, listed.output))
    assert _connection_count(database) == 1
