"""The /data page through its real callbacks on a real database: the list each role sees, uploads
checked on the server, a preview turned into a dataset, append and replace, sharing and
deleting, and forged names, files and tickets refused with a clear message."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import os
import time

import openpyxl
import pytest
import sqlalchemy as sa
from dash import no_update

from auth.tickets import issue
from callbacks.data_list import change_share, confirm_delete, open_delete, open_share, render_list
from callbacks.data_upload import TICKET, cancel, choose_sheet, receive_upload, run_import, start
from components import ids
from context import EXTENSION
from data import users as user_commands
from data.catalog import reading_as
from data.dashboard_spec import parse_document
from data.dashboards import create_dashboard, delete_dashboard
from data.dataset_store import get_dataset_info, share_dataset
from data.models import DatasetRecord, DatasetShare
from pages.data import layout as data_layout
from tests.conftest import PEOPLE, SECRET
from tests.helpers import account_of, find_component, nodes, settings_of, text_of

ORDERS = (b"Order date,Region,Units,Revenue,Code\n"
          b"2026-01-05,EMEA,3,120.50,007\n"
          b"2026-01-06,APAC,1,40.00,012\n"
          b"2026-02-01,EMEA,2,80.25,100\n")
MORE_ORDERS = (b"Order date,Region,Units,Revenue,Code\n"
               b"2026-03-01,AMER,5,500.00,200\n"
               b"2026-03-02,EMEA,1,10.00,201\n")
RECEIVED = ("upload_id", "panel_hidden", "summary", "sheet_options", "sheet", "sheet_hidden", "columns",
            "rows", "time_options", "time_column", "name", "title", "targets", "message", "contents",
            "status")


def data_url(content: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def receive(content: bytes, file_name: str = "orders.csv", previous=None) -> dict:
    return dict(zip(RECEIVED, receive_upload(data_url(content), file_name, previous), strict=True))


def uploads(app) -> list[str]:
    folder = app.server.extensions[EXTENSION].settings.uploads_path
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def choices(received: dict, **changes) -> dict:
    """What the browser sends to Import for this preview: its proposals, with `changes`."""
    names = [node.value for node in nodes(received["columns"])
             if isinstance(getattr(node, "id", None), dict) and node.id["type"] == ids.DATA_COL_NAME]
    kinds = [node.value for node in nodes(received["columns"])
             if isinstance(getattr(node, "id", None), dict) and node.id["type"] == ids.DATA_COL_KIND]
    # nodes() walks depth first from the end; the browser sends them in the table's order
    names, kinds = names[::-1], kinds[::-1]
    values = {"upload_id": received["upload_id"], "names": names, "kinds": kinds,
              "includes": [True] * len(names), "time_column": received["time_column"], "mode": "new",
              "target": None, "name": received["name"], "title": received["title"]}
    values.update(changes)
    return values


def start_import(values: dict):
    return start(1, values["upload_id"], values["names"], values["kinds"], values["includes"],
                 values["time_column"], values["mode"], values["target"], values["name"], values["title"])


def run(request) -> tuple[tuple, list]:
    """Run the import job here, with its progress reports."""
    reports = []
    return run_import(reports.append, request), reports


def table_rows(database, table: str) -> int:
    with database.engine.connect() as connection:
        return connection.scalar(sa.text(f'SELECT count(*) FROM "{table}"'))


def has_table(database, table: str) -> bool:
    return sa.inspect(database.engine).has_table(table)


def import_new(acting_as, content: bytes = ORDERS, name: str = "orders", title: str = "Orders",
               role: str = "analyst", **changes):
    with acting_as(role):
        received = receive(content)
        request, status, _ = start_import(choices(received, name=name, title=title, **changes))
        assert request is not no_update, text_of(status)
        return run(request)[0]


@pytest.fixture
def orders(acting_as, database):
    """The analyst's dataset "orders", imported through the page."""
    status, *_ = import_new(acting_as)
    assert "Imported 3 rows into Orders" in text_of(status)
    return "orders"


# -- the list ---------------------------------------------------------------------------------

def _listed(acting_as, role: str) -> dict[str, object]:
    with acting_as(role):
        tree = render_list(None)
    return {node.to_plotly_json()["props"]["data-dataset"]: node for node in nodes(tree)
            if "data-dataset" in node.to_plotly_json()["props"]}


def test_each_role_sees_the_built_ins_and_what_it_may_read_and_only_creators_may_upload(
        acting_as, orders, database):
    analyst_rows = _listed(acting_as, "analyst")
    assert set(analyst_rows) == {"sales", "forecast", "orders"}
    row = text_of(analyst_rows["orders"])
    assert all(text in row for text in ("Orders", "Upload", "3", "just now", "Alan Analyst"))
    assert "Built-in demo" in text_of(analyst_rows["sales"]) and "5,000" in text_of(analyst_rows["sales"])
    assert find_component(analyst_rows["orders"], {"type": ids.DATA_SHARE, "d": "orders"}) is not None
    link = next(node for node in nodes(analyst_rows["orders"]) if getattr(node, "href", None))
    assert link.href == "/data/orders"

    assert set(_listed(acting_as, "viewer")) == {"sales", "forecast"}
    assert set(_listed(acting_as, "stranger")) == {"sales", "forecast"}
    with database.session() as session:
        share_dataset(session, account_of(database, "analyst"), "orders", PEOPLE["viewer"][0])
    viewer_rows = _listed(acting_as, "viewer")
    assert set(viewer_rows) == {"sales", "forecast", "orders"}
    assert find_component(viewer_rows["orders"], {"type": ids.DATA_SHARE, "d": "orders"}) is None
    admin_rows = _listed(acting_as, "admin")
    assert find_component(admin_rows["orders"], {"type": ids.DATA_DELETE, "d": "orders"}) is not None

    with acting_as("viewer"):
        assert find_component(data_layout(), ids.DATA_UPLOAD) is None
    with acting_as("analyst"):
        upload = find_component(data_layout(), ids.DATA_UPLOAD)
        assert upload is not None and upload.max_size == 100 * 1_000_000
        assert find_component(data_layout(), "data-connections-link") is None
    with acting_as("admin"):  # only admins connect databases
        assert find_component(data_layout(), "data-connections-link").href == "/data/connections"


# -- upload and preview -----------------------------------------------------------------------

def test_an_oversize_upload_is_refused_on_the_server_and_nothing_is_stored(app, acting_as):
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, upload_max_mb=1))
    big = ORDERS + b"2026-02-01,EMEA,2,80.25,100\n" * 45_000  # about 1.2 MB
    with acting_as("analyst"):
        received = receive(big)
    assert "The file is 1.3 MB; uploads are limited to 1 MB." in text_of(received["message"])
    assert received["upload_id"] is None and received["panel_hidden"] is True
    assert uploads(app) == []


def test_a_bad_file_shows_its_message_and_nothing_is_written(app, acting_as, database):
    ragged = b"region,units,n\nEMEA,3,1\nAPAC,2\n"
    with acting_as("analyst"):
        received = receive(ragged, "ragged.csv")
        assert ("Row 3 has 2 fields but the header has 3: column 3 (\"n\") and any after it are missing."
                in text_of(received["message"]))
        assert received["upload_id"] is None and uploads(app) == []
        for content, name, message in [(b"", "empty.csv", "The file is empty."),
                                       (ORDERS, "orders.pdf", "Upload a CSV file"),
                                       (b"PK\x03\x04 not a workbook", "book.xlsx", "not imported")]:
            assert message in text_of(receive(content, name)["message"])
    assert uploads(app) == []
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DatasetRecord)) == 0


def test_a_workbook_previews_its_first_sheet_and_another_when_picked(app, acting_as, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Note"])
    workbook.active.append(["hello"])
    sheet = workbook.create_sheet("Orders")
    sheet.append(["Order date", "Units"])
    sheet.append([dt.date(2026, 1, 5), 3])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    with acting_as("analyst"):
        received = receive(path.read_bytes(), "book.xlsx")
        assert received["message"] is None, text_of(received["message"])
        assert received["sheet_options"] == [{"label": "Notes", "value": "Notes"},
                                             {"label": "Orders", "value": "Orders"}]
        assert (received["sheet"], received["sheet_hidden"]) == ("Notes", False)
        assert choices(received)["names"] == ["Note"]
        picked = choose_sheet("Orders", received["upload_id"])
        summary, *_, columns, _rows, _options, time_column, message = picked
        assert "Excel workbook, sheet Orders" in summary and message is None and time_column == "0"
        values = choices({**received, "columns": columns, "time_column": time_column})
        assert values["names"] == ["Order date", "Units"] and values["kinds"] == ["date", "integer"]
        request, _, _ = start_import({**values, "name": "book", "title": "Book"})
        (status, *_), _ = run(request)
    assert "Imported 1 rows into Book" in text_of(status)


def test_a_viewer_cannot_upload_even_by_calling_the_callback(app, acting_as):
    with acting_as("viewer"):
        received = receive(ORDERS)
    assert "Only admins and analysts can add datasets." in text_of(received["message"])
    assert uploads(app) == []


def test_a_preview_becomes_a_new_dataset_with_the_columns_and_types_chosen(app, acting_as, database):
    with acting_as("analyst"):
        received = receive(ORDERS, "Orders 2026.csv")
        assert received["panel_hidden"] is False and received["name"] == "orders_2026"
        assert received["title"] == "Orders 2026"
        assert "Orders 2026.csv · CSV, UTF-8, comma-separated · 3 rows" in received["summary"]
        assert received["time_column"] == "0"  # "Order date", proposed
        values = choices(received)
        assert values["names"] == ["Order date", "Region", "Units", "Revenue", "Code"]
        assert values["kinds"] == ["date", "text", "integer", "decimal", "text"]  # 007 keeps its zeros
        assert len(uploads(app)) == 2  # the file and its record

        values["names"][3] = "Revenue (€)"
        values["kinds"][2] = "decimal"
        values["includes"][4] = False
        request, status, _ = start_import({**values, "name": "orders", "title": "Orders"})
        assert status == "Starting…" and set(request) == {"key", "ticket"}
        (status, progress, refresh, hidden, upload_id), reports = run(request)

    assert "Imported 3 rows into Orders" in text_of(status)
    assert (progress, hidden, upload_id) == (100, True, None) and refresh == request["key"]
    assert reports[0] == (0, "Importing: 0 of about 3 rows") and reports[-1][0] == 95
    assert uploads(app) == []  # the file is removed once imported
    assert table_rows(database, "upload_orders") == 3
    with database.session() as session:
        info = get_dataset_info(session, account_of(database, "analyst"), "orders")
    assert info.definition.column_types() == {"order_date": "date", "region": "text", "units": "decimal",
                                              "revenue": "decimal"}
    assert info.definition.time_column == "order_date" and info.row_count == 3 and info.revision == 1


def test_a_bad_value_stops_the_import_naming_the_row_and_keeps_the_file_to_try_again(
        app, acting_as, database):
    with acting_as("analyst"):
        received = receive(ORDERS)
        values = choices(received)
        values["kinds"][1] = "integer"  # Region is text
        request, _, _ = start_import(values)
        (status, *_), _ = run(request)
        assert ('Row 2, column "Region": "EMEA" is not a whole number.' in text_of(status))
        assert not has_table(database, "upload_orders") and len(uploads(app)) == 2
        values["kinds"][1] = "text"
        request, _, _ = start_import(values)
        (status, *_), _ = run(request)
    assert "Imported 3 rows" in text_of(status) and uploads(app) == []


def test_import_settings_the_server_cannot_accept_are_refused_before_the_job(acting_as, orders):
    with acting_as("analyst"):
        received = receive(ORDERS)
        cases = [
            ({"name": "orders"}, "There is already a dataset called 'orders'."),
            ({"name": "sales"}, "There is already a dataset called 'sales'."),
            ({"name": "Bad Name"}, "A dataset's name is lower-case letters"),
            ({"title": "  "}, "Give the dataset a title"),
            ({"names": ["Order date", "", "Units", "Revenue", "Code"]}, 'Give the column "Region" a name'),
            ({"names": ["a", "A", "Units", "Revenue", "Code"]}, 'two columns are named "A"'),
            ({"kinds": ["date", "money", "integer", "decimal", "text"]}, "The import settings are not valid"),
            ({"names": ["Order date"]}, "do not match the file's columns"),
            ({"time_column": "1"}, 'the time column "Region" is not a date or datetime column'),
            ({"includes": [False, True, True, True, True]}, 'The time column "Order date" is left out'),
            ({"mode": "drop"}, "Choose how to import the file"),
            ({"mode": "append", "target": None}, "Choose the dataset to append the file to."),
        ]
        for changes, message in cases:
            request, status, _ = start_import(choices(received, **{"name": "fresh", **changes}))
            assert request is no_update and message in text_of(status), (changes, text_of(status))


# -- append and replace -----------------------------------------------------------------------

def _revision(database, name: str) -> tuple[int, int]:
    with database.session() as session:
        record = session.scalar(sa.select(DatasetRecord).where(DatasetRecord.name == name))
        return record.row_count, record.revision


def test_append_adds_rows_and_replace_swaps_them_each_with_a_new_revision(app, acting_as, database, orders):
    with acting_as("analyst"):
        received = receive(MORE_ORDERS, "march.csv")
        assert received["targets"] == [{"label": "Orders (orders)", "value": "orders"}]
        values = choices(received, mode="append", target="orders")
        request, status, _ = start_import(values)  # these codes have no leading zeros: integers
        assert request is no_update
        assert '"Code" is text in the dataset but integer in this file' in text_of(status)
        values["kinds"][4] = "text"
        request, _, _ = start_import(values)
        (status, *_), _ = run(request)
    assert "Appended 2 rows into Orders" in text_of(status)
    assert table_rows(database, "upload_orders") == 5 and _revision(database, "orders") == (5, 2)

    with acting_as("analyst"):
        received = receive(MORE_ORDERS, "march.csv")
        values = choices(received, mode="replace", target="orders")
        values["kinds"][4] = "text"
        request, _, _ = start_import(values)
        (status, *_), _ = run(request)
    assert "Imported 2 rows into Orders" in text_of(status)
    assert table_rows(database, "upload_orders") == 2 and _revision(database, "orders") == (2, 3)
    assert uploads(app) == []


def test_a_file_with_other_columns_is_refused_for_append_and_nothing_is_written(
        app, acting_as, database, orders):
    other = b"Order date,Region,Units,Revenue,Code,Channel\n2026-03-01,AMER,5,500.00,0200,web\n"
    with acting_as("analyst"):
        received = receive(other, "other.csv")
        request, status, _ = start_import(choices(received, mode="append", target="orders"))
        assert request is no_update
        assert ("This file's columns do not match those of Orders: \"Channel\" is not a column of the "
                "dataset." in text_of(status))
        retyped = choices(receive(MORE_ORDERS), mode="replace", target="orders")
        retyped["kinds"][2:] = ["decimal", "decimal", "text"]
        _, status, _ = start_import(retyped)
        assert '"Units" is integer in the dataset but decimal in this file' in text_of(status)

        # The job checks again: a ticket signed for a plan that does not fit is refused too.
        account = account_of(database, "analyst")
        forced = issue(SECRET, TICKET, account, key="k1", upload=received["upload_id"], mode="append",
                       name="orders", title="Orders",
                       plan={"columns": [{"source": name, "name": name, "type": {"kind": "text"}}
                                         for name in ("Order date", "Region", "Units", "Revenue", "Code",
                                                      "Channel")]})
        (status, *_), _ = run({"key": "k1", "ticket": forced})
    assert "This file's columns do not match those of Orders" in text_of(status)
    assert table_rows(database, "upload_orders") == 3 and _revision(database, "orders") == (3, 1)


def test_a_cancelled_import_writes_nothing(app, acting_as, database):
    with acting_as("analyst"):
        received = receive(ORDERS)
        request, _, _ = start_import(choices(received))
        assert cancel(1, request) == ("Cancelling…", True, no_update)
        (status, progress, *_), _ = run(request)
    assert status == "Cancelled: nothing was imported." and progress == 0
    assert not has_table(database, "upload_orders") and len(uploads(app)) == 2


# -- forged inputs ----------------------------------------------------------------------------

def test_forged_names_files_and_tickets_are_refused_with_a_clear_message(app, acting_as, database):
    import_new(acting_as, name="admins", title="Admin's", role="admin")
    with acting_as("admin"):
        admins_upload = receive(ORDERS)["upload_id"]
    with acting_as("analyst"):
        received = receive(ORDERS)
        for target in ("admins", "no_such_thing"):  # exists but not theirs, or does not exist: one message
            request, status, _ = start_import(choices(received, mode="replace", target=target))
            assert request is no_update
            assert (f"You can append to or replace only a dataset you own (admins: any); '{target}'"
                    in text_of(status))
        for upload_id in ("../../pulseboard.db", admins_upload, None, {"path": "/etc/passwd"}):
            request, status, _ = start_import(choices(received, upload_id=upload_id))
            assert request is no_update and "This upload is no longer available" in text_of(status)
        assert len(uploads(app)) == 4  # the admin's upload is still there, untouched

        request, _, _ = start_import(choices(received, name="mine", title="Mine"))
        forged = {**request, "ticket": request["ticket"][:-3] + "abc"}
        (status, *_), _ = run(forged)
        assert "This request could not be verified" in text_of(status)
        # A ticket naming someone else's upload (a signed ticket cannot be altered, but check anyway).
        other = issue(SECRET, TICKET, account_of(database, "analyst"), key="k2", upload=admins_upload,
                      mode="new", name="stolen", title="Stolen", plan={})
        (status, *_), _ = run({"key": "k2", "ticket": other})
        assert "This upload is no longer available" in text_of(status)
        with acting_as("editor"):  # another analyst cannot cancel it
            assert cancel(1, request) == (no_update, no_update, no_update)

    with database.session() as session:  # demoted between Import and the job: refused in the job
        user_commands.set_role(session, account_of(database, "analyst").id, "viewer")
    with acting_as(None):  # the job has no signed-in user, only its ticket
        (status, *_), _ = run(request)
    assert "Only admins and analysts can add datasets." in text_of(status)
    assert not has_table(database, "upload_mine") and not has_table(database, "upload_stolen")


# -- sharing and deleting ---------------------------------------------------------------------

def test_owners_share_and_unshare_and_others_cannot(acting_as, fire, database, orders):
    viewer_email = PEOPLE["viewer"][0]
    with acting_as("analyst"):
        fire({"type": ids.DATA_SHARE, "d": "orders"}, "n_clicks", 1)
        is_open, title, people, target, _, message = open_share([1])
        assert (is_open, title, target, message) == (True, "Share Orders", "orders", None)
        assert "Not shared with anyone yet." in text_of(people)
        fire(ids.DATA_SHARE_ADD, "n_clicks", 1)
        people, message, email = change_share(1, None, [], viewer_email, "orders")
        assert viewer_email in text_of(people) and f"Shared with {viewer_email}." in text_of(message)
        assert email == ""
        _, message, _ = change_share(2, None, [], "nobody@example.com", "orders")
        assert "There is no user with the email 'nobody@example.com'." in text_of(message)
        _, message, _ = change_share(3, None, [], PEOPLE["analyst"][0], "orders")
        assert "owns this dataset already" in text_of(message)
    assert "orders" in _listed(acting_as, "viewer")

    with acting_as("viewer"):  # a reader cannot open the dialog, nor share by forging the target
        fire({"type": ids.DATA_SHARE, "d": "orders"}, "n_clicks", 1)
        assert "No access to dataset 'orders'" in text_of(open_share([1])[-1])
        fire(ids.DATA_SHARE_ADD, "n_clicks", 1)
        _, message, _ = change_share(1, None, [], PEOPLE["stranger"][0], "orders")
        assert "No access to dataset 'orders'" in text_of(message)

    with acting_as("analyst"):
        fire({"type": ids.DATA_UNSHARE, "email": viewer_email}, "n_clicks", 1)
        people, message, _ = change_share(None, None, [1], None, "orders")
        assert f"No longer shared with {viewer_email}." in text_of(message)
        assert "Not shared with anyone yet." in text_of(people)
    assert "orders" not in _listed(acting_as, "viewer")


def test_a_dataset_used_by_a_dashboard_is_not_deleted_and_an_unused_one_is_deleted_whole(
        acting_as, fire, database, orders, app):
    analyst = account_of(database, "analyst")
    with database.session() as session:
        share_dataset(session, analyst, "orders", PEOPLE["viewer"][0])
    document = {"title": "Orders pulse", "widgets": [{"id": "w1", "type": "kpi", "title": "Units",
                                                      "dataset": "orders", "measures": ["units"]}],
                "layout": [{"i": "w1", "x": 0, "y": 0, "w": 3, "h": 3}]}
    with reading_as(database, analyst, settings_of(app)), database.session() as session:
        board = create_dashboard(session, analyst, parse_document(document))
    editor = account_of(database, "editor")  # another analyst, whose dashboard the owner cannot open
    with database.session() as session:
        share_dataset(session, analyst, "orders", PEOPLE["editor"][0])
    with reading_as(database, editor, settings_of(app)), database.session() as session:
        theirs = create_dashboard(session, editor, parse_document({**document, "title": "Edith's"}))

    with acting_as("viewer"):  # may read it, may not delete it
        fire({"type": ids.DATA_DELETE, "d": "orders"}, "n_clicks", 1)
        assert "No access to dataset 'orders'" in text_of(open_delete([1])[-1])
        fire(ids.DATA_DELETE_CONFIRM, "n_clicks", 1)
        assert "No access to dataset 'orders'" in text_of(confirm_delete(1, None, "orders")[2])
    with acting_as("analyst"):
        fire({"type": ids.DATA_DELETE, "d": "orders"}, "n_clicks", 1)
        is_open, body, target, confirm_disabled, _ = open_delete([1])
        assert (is_open, target, confirm_disabled) == (True, "orders", True)
        assert ("Orders cannot be deleted: it is used by “Orders pulse” and 1 dashboard by Edith Editor "
                "that you cannot open." in text_of(body))
        fire(ids.DATA_DELETE_CONFIRM, "n_clicks", 1)  # forced past the disabled button
        _, _, message, _ = confirm_delete(1, None, "orders")
        assert "Orders is used by “Orders pulse” and 1 dashboard by Edith Editor" in text_of(message)
    with acting_as("admin"):  # admins may open every dashboard: both are named
        fire({"type": ids.DATA_DELETE, "d": "orders"}, "n_clicks", 1)
        assert "used by “Edith's” and “Orders pulse”." in text_of(open_delete([1])[1])
    assert has_table(database, "upload_orders")

    with database.session() as session:
        delete_dashboard(session, analyst, board.id)
        delete_dashboard(session, editor, theirs.id)
    with acting_as("analyst"):
        fire({"type": ids.DATA_DELETE, "d": "orders"}, "n_clicks", 1)
        is_open, body, target, confirm_disabled, _ = open_delete([1])
        assert confirm_disabled is False and "This deletes Orders and its 3 rows." in text_of(body)
        fire(ids.DATA_DELETE_CONFIRM, "n_clicks", 1)
        is_open, target, message, _refresh = confirm_delete(1, None, "orders")
    assert (is_open, target) == (False, None) and "Deleted Orders." in text_of(message)
    assert not has_table(database, "upload_orders")
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DatasetRecord)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(DatasetShare)) == 0
    assert set(_listed(acting_as, "analyst")) == {"sales", "forecast"}


def test_uploads_older_than_a_day_are_pruned_when_someone_uploads(app, acting_as):
    with acting_as("analyst"):
        old = receive(ORDERS)["upload_id"]
    folder = app.server.extensions[EXTENSION].settings.uploads_path
    two_days_ago = time.time() - 2 * 86_400
    for path in folder.glob(f"{old}.*"):
        os.utime(path, (two_days_ago, two_days_ago))
    with acting_as("editor"):
        fresh = receive(ORDERS)["upload_id"]
    assert uploads(app) == sorted([f"{fresh}.csv", f"{fresh}.json"])
    with acting_as("analyst"):
        request, status, _ = start_import(choices({"upload_id": old, "columns": [], "time_column": "",
                                                   "name": "old", "title": "Old"}))
    assert request is no_update and "uploads are kept for a day" in text_of(status)
