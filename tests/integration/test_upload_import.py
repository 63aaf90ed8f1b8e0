"""Importing uploads into a real database: a SQLite file, and PostgreSQL when TEST_DATABASE_URL
is set. The numbers must equal pandas' on the same data; a failure at any row must leave the
database exactly as it was. Every file is made here, as messy as users make them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from data.db import make_engine
from data.upload_import import import_upload
from data.upload_limits import MB, UploadError
from data.upload_plan import ColumnPlan, ImportPlan, default_plan
from data.upload_preview import inspect_upload
from data.upload_types import ColumnType

NOTES = ["", "=1+2", "+SUM(A1:A9)", "-3+4", "@cmd", "line one\nline two", "plain; with a semicolon"]
REGIONS = ["EMEA", "Americas", "APAC", "Zürich"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """The app database: a SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pulseboard.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database_engine = make_engine(url)
    yield database_engine
    database_engine.dispose()


def messy_sales(path: Path, count: int, seed: int = 7) -> pd.DataFrame:
    """Write `count` order lines as a Windows-1252 CSV with semicolons, day-first dates, decimal
    commas, empty cells, blank lines and cells over two lines; return them as pandas holds them."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))
        with_seconds = index % 2 == 0
        placed = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60),
                                                  rng.randrange(60) if with_seconds else 0))
        records.append({"order_date": day, "placed_at": placed, "with_seconds": with_seconds,
                        "region": REGIONS[rng.randrange(len(REGIONS))],
                        "units": None if index % 17 == 0 else rng.randrange(-5, 500),
                        "revenue": round(rng.uniform(0, 10_000), 2), "paid": rng.random() < 0.6,
                        "note": NOTES[index % len(NOTES)]})
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    text.write("\r\n")  # a blank line before the header
    writer.writerow(["Order date", "Placed at", "Region", "Units", "Revenue", "Paid", "Note"])
    for index, record in enumerate(records):
        if index == count // 2:
            text.write("\r\n")
        placed = record["placed_at"]
        writer.writerow([record["order_date"].strftime("%d/%m/%Y"),
                         placed.isoformat() if record["with_seconds"] else placed.strftime("%Y-%m-%d %H:%M"),
                         record["region"], "" if record["units"] is None else record["units"],
                         f"{record['revenue']:.2f}".replace(".", ","), "yes" if record["paid"] else "no",
                         record["note"]])
    path.write_bytes(text.getvalue().encode("cp1252"))
    return pd.DataFrame(records)


def table_rows(engine, table_name: str) -> list[dict]:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(table))]


def table_names(engine) -> list[str]:
    return sorted(sa.inspect(engine).get_table_names())


def imported(engine, path: Path, table_name: str = "upload_sales", mode: str = "create", **options):
    plan = options.pop("plan", None) or default_plan(inspect_upload(path, path.name))
    return import_upload(engine, path, path.name, plan, table_name, mode, **options)


def test_a_messy_csv_imports_with_every_group_summing_as_pandas_does(engine, tmp_path):
    path = tmp_path / "sales.csv"
    reference = messy_sales(path, 3000)
    preview = inspect_upload(path, "sales.csv")
    assert (preview.encoding, preview.delimiter, preview.header_row) == ("cp1252", ";", 2)
    assert [column.type.describe() for column in preview.columns] == [
        "date (DD/MM/YYYY)", "datetime (YYYY-MM-DD)", "text", "integer", "decimal (decimal comma)",
        "boolean", "text"]

    result = import_upload(engine, path, "sales.csv", default_plan(preview), "upload_sales", chunk_rows=700)

    assert (result.rows, result.table_name, result.time_column) == (3000, "upload_sales", "order_date")
    table = sa.Table("upload_sales", sa.MetaData(), autoload_with=engine)
    measures = (sa.func.count(), sa.func.count(table.c.units), sa.func.sum(table.c.units),
                sa.func.sum(table.c.revenue), sa.func.sum(sa.case((table.c.paid, 1), else_=0)))
    query = sa.select(table.c.region, *measures).group_by(table.c.region).order_by(table.c.region)
    with engine.connect() as connection:
        groups = connection.execute(query).all()
    expected = reference.groupby("region").agg(rows=("region", "size"), counted=("units", "count"),
                                               units=("units", "sum"), revenue=("revenue", "sum"),
                                               paid=("paid", "sum"))
    assert [row[0] for row in groups] == list(expected.index)
    for region, rows, counted, units, revenue, paid in groups:
        want = expected.loc[region]
        assert (rows, counted, units, paid) == (want.rows, want.counted, int(want.units), want.paid)
        assert revenue == pytest.approx(want.revenue, rel=1e-12)
    stored = sorted((row["order_date"], row["placed_at"], row["note"] or "") for row in table_rows(
        engine, "upload_sales"))
    assert stored == sorted(zip(reference.order_date, reference.placed_at, reference.note, strict=True))


def test_formula_like_text_is_stored_unchanged_never_evaluated(engine, tmp_path):
    path = tmp_path / "notes.csv"
    messy_sales(path, 50)
    imported(engine, path)
    assert {row["note"] for row in table_rows(engine, "upload_sales")} == {None, *NOTES[1:]}


def test_text_that_looks_like_a_null_marker_stays_text_and_empty_cells_are_null(engine, tmp_path):
    """PostgreSQL's COPY reads its NULL marker as NULL: a cell holding exactly \\N, or "NaT", is
    still the text the file holds, while an empty cell (a missing date too) is NULL."""
    path = tmp_path / "markers.csv"
    path.write_text("day,code\n2026-01-02,\\N\n,NaT\n2026-01-04,\n", encoding="utf-8")
    imported(engine, path)
    rows = table_rows(engine, "upload_sales")
    assert [row["code"] for row in rows] == ["\\N", "NaT", None]
    assert [row["day"] is None for row in rows] == [False, True, False]


def test_a_chosen_workbook_sheet_imports_with_its_excel_dates(engine, tmp_path):
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["ignored"])
    sheet = workbook.create_sheet("Orders")
    sheet.append(["Day", "At", "Units", "Price", "Paid"])
    for day in range(1, 29):
        sheet.append([dt.datetime(2026, 2, day), dt.datetime(2026, 2, day, 9, day), day, day / 4,
                      day % 2 == 0])
    workbook.save(path)
    plan = default_plan(inspect_upload(path, "book.xlsx", sheet="Orders"))
    assert plan.sheet == "Orders"

    result = import_upload(engine, path, "book.xlsx", plan, "upload_orders", chunk_rows=10)

    assert result.rows == 28
    rows = sorted(table_rows(engine, "upload_orders"), key=lambda row: row["units"])
    assert rows[0] == {"day": dt.date(2026, 2, 1), "at": dt.datetime(2026, 2, 1, 9, 1), "units": 1,
                       "price": 0.25, "paid": False}
    assert sum(row["price"] for row in rows) == pytest.approx(sum(day / 4 for day in range(1, 29)))


def test_renamed_retyped_and_left_out_columns_are_imported_as_planned(engine, tmp_path):
    path = tmp_path / "sales.csv"
    messy_sales(path, 40)
    preview = inspect_upload(path, "sales.csv")
    changes = {"Order date": ("Day (local)", None, True), "Region": ("Région", None, True),
               "Units": ("Units", ColumnType(kind="decimal"), True), "Note": ("Note", None, False)}
    columns = []
    for column in preview.columns:
        name, column_type, include = changes.get(column.name, (column.name, None, True))
        columns.append(ColumnPlan(source=column.name, name=name, type=column_type or column.type,
                                  include=include))
    plan = ImportPlan(columns=tuple(columns), time_column="Day (local)")

    result = import_upload(engine, path, "sales.csv", plan, "upload_sales")

    assert [(column.name, column.column, column.kind) for column in result.columns] == [
        ("Day (local)", "day_local", "date"), ("Placed at", "placed_at", "datetime"),
        ("Région", "region", "text"), ("Units", "units", "decimal"), ("Revenue", "revenue", "decimal"),
        ("Paid", "paid", "boolean")]
    assert result.time_column == "day_local"
    assert set(table_rows(engine, "upload_sales")[0]) == {column.column for column in result.columns}


def test_progress_is_reported_after_each_chunk_against_the_rows_expected(engine, tmp_path):
    path = tmp_path / "sales.csv"
    messy_sales(path, 1000)
    calls = []
    imported(engine, path, progress=lambda done, expected: calls.append((done, expected)), chunk_rows=300)
    assert calls[0] == (0, 1000) and calls[-1] == (1000, 1000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) >= 4


def test_replace_swaps_in_the_new_file_and_its_columns(engine, tmp_path):
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    new.write_text("a,c\n7,2026-01-31\n", encoding="utf-8")
    imported(engine, old)
    imported(engine, new, mode="replace")
    assert table_rows(engine, "upload_sales") == [{"a": 7, "c": dt.date(2026, 1, 31)}]
    assert table_names(engine) == ["upload_sales"]


def test_append_adds_rows_to_a_table_with_the_same_columns(engine, tmp_path):
    path = tmp_path / "sales.csv"
    messy_sales(path, 100)
    imported(engine, path)
    imported(engine, path, mode="append")
    assert len(table_rows(engine, "upload_sales")) == 200


def test_append_refuses_columns_that_differ_and_says_which(engine, tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("region,units,price\nEMEA,1,2.5\n", encoding="utf-8")
    second.write_text("region,units,note\nAPAC,1.5,x\n", encoding="utf-8")
    imported(engine, first)
    with pytest.raises(UploadError) as caught:
        imported(engine, second, mode="append")
    assert str(caught.value) == ("This file's columns do not match the table's: \"units\" is integer in the "
                                 "table but decimal in this file; \"note\" is not a column of the table; the "
                                 "table's column \"price\" is not in this file.")
    assert table_rows(engine, "upload_sales") == [{"region": "EMEA", "units": 1, "price": 2.5}]


def test_create_and_append_refuse_a_table_that_is_or_is_not_there(engine, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(UploadError, match=r'^There is no table "upload_sales" to append to\.$'):
        imported(engine, path, mode="append")
    imported(engine, path)
    with pytest.raises(UploadError, match=r'^A table "upload_sales" already exists: replace it, or append'):
        imported(engine, path)
    assert table_rows(engine, "upload_sales") == [{"a": 1}]


@pytest.mark.parametrize("table_name", ["Sales", "order", "x; DROP TABLE users", "a" * 49, "_hidden"])
def test_a_table_name_that_is_not_plain_sql_is_refused(engine, tmp_path, table_name):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is not a plain lower-case SQL name"):
        imported(engine, path, table_name)
    assert table_names(engine) == []


# -- nothing is written when anything fails -----------------------------------------------------

def with_bad_value(path: Path, count: int, bad_at: int) -> ImportPlan:
    """A CSV whose `bad_at`-th data row has units "n/a", past the sample the types come from; the
    plan the preview proposes for it (units: integer)."""
    lines = ["region,units"] + [f"EMEA,{index}" for index in range(count)]
    lines[bad_at] = "EMEA,n/a"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = default_plan(inspect_upload(path, path.name))
    assert plan.columns[1].type.kind == "integer"
    return plan


def test_a_bad_value_many_chunks_in_creates_no_table(engine, tmp_path):
    path = tmp_path / "bad.csv"
    plan = with_bad_value(path, 5000, 4500)
    with pytest.raises(UploadError) as caught:
        imported(engine, path, plan=plan, chunk_rows=1000)
    assert (caught.value.row, caught.value.column) == (4501, "units")
    assert str(caught.value).startswith('Row 4501, column "units": "n/a" is not a whole number.')
    assert table_names(engine) == []


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_a_failed_replace_or_append_keeps_the_table_as_it_was(engine, tmp_path, mode):
    good = tmp_path / "good.csv"
    good.write_text("region,units\nAPAC,1\nEMEA,2\n", encoding="utf-8")
    imported(engine, good)
    path = tmp_path / "bad.csv"
    plan = with_bad_value(path, 3000, 2999)
    with pytest.raises(UploadError, match=r'^Row 3000, column "units"'):
        imported(engine, path, mode=mode, plan=plan, chunk_rows=500)
    assert table_rows(engine, "upload_sales") == [{"region": "APAC", "units": 1},
                                                  {"region": "EMEA", "units": 2}]
    assert table_names(engine) == ["upload_sales"]


def test_a_file_that_changed_since_the_preview_is_refused(engine, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    plan = default_plan(inspect_upload(path, "a.csv"))
    path.write_text("a,c\n1,2\n", encoding="utf-8")
    with pytest.raises(UploadError, match=r"^The file's columns are not the ones in the preview"):
        imported(engine, path, plan=plan)
    assert table_names(engine) == []


def zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(200):
                sheet.write(b"0" * MB)


MESSY_FILES = {
    "empty.csv": (b"", "The file is empty.", None, None),
    "header_only.csv": (b"a,b\n\n", "The file has a header (row 1) but no rows of data.", 1, None),
    "wrong_encoding.csv": (b"a,b\n1,2\n\x81\x8d,3\n", "Row 3 holds bytes that are not text", 3, None),
    "ragged.csv": (b"a,b,c\n1,2,3\n4,5\n", "Row 3 has 2 fields but the header has 3", 3, "c"),
    "duplicate_header.csv": (b"a,b,A\n1,2,3\n", 'Row 1: the header names "A" twice', 1, "A"),
    "empty_header.csv": (b"a,,c\n1,2,3\n", "Row 1, column 2: the header gives this column no name", 1,
                         "column 2"),
    "wide.csv": (",".join(f"c{i}" for i in range(501)).encode() + b"\n" + b"1," * 500 + b"1\n",
                 "The header (row 1) has 501 columns; at most 500 are supported.", 1, None),
    "bomb.xlsx": (zip_bomb, "it looks like a zip bomb and was not opened", None, None),
}


@pytest.mark.parametrize("name", sorted(MESSY_FILES))
def test_a_messy_file_is_refused_at_import_naming_row_and_column_and_nothing_is_written(engine, tmp_path,
                                                                                       name):
    content, message, row, column = MESSY_FILES[name]
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    plan = ImportPlan(columns=(ColumnPlan(source="a", name="a", type=ColumnType(kind="text")),))
    with pytest.raises(UploadError) as caught:
        import_upload(engine, path, name, plan, "upload_sales")
    assert message in str(caught.value)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert table_names(engine) == []
