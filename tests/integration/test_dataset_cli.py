"""`flask datasets import-csv` and `flask datasets list`: a file becomes a dataset its owner can
query, and a bad file or name gets a message and leaves nothing behind."""

from __future__ import annotations

import sqlalchemy as sa

from data.dataset_store import get_dataset_info
from data.query import QuerySpec, run_query
from tests.conftest import PEOPLE
from tests.helpers import account_of
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
