"""The import plan: the user's renames, types and time column, checked however they arrive, and
the SQL names the table gets, which never carry the user's text as written."""

from __future__ import annotations

import pytest

from data.upload_limits import UploadError
from data.upload_plan import ImportPlan, default_plan, parse_plan, sql_names
from data.upload_preview import inspect_upload


def plan_data(**changes) -> dict:
    data = {"columns": [
        {"source": "Day", "name": "Day", "type": {"kind": "date", "date_format": "%Y-%m-%d"}},
        {"source": "Units", "name": "Units", "type": {"kind": "integer"}},
        {"source": "Note", "name": "Note", "type": {"kind": "text"}, "include": False},
    ], "time_column": "Day"}
    data.update(changes)
    return data


def test_a_plan_from_the_browser_is_validated_into_a_plan():
    plan = parse_plan(plan_data())
    assert [column.name for column in plan.included] == ["Day", "Units"]
    assert parse_plan(plan.model_dump(mode="json")) == plan


@pytest.mark.parametrize(("change", "message"), [
    ({"time_column": "Units"}, 'the time column "Units" is not a date or datetime column'),
    ({"time_column": "Note"}, 'the time column "Note" is not an imported column'),
    ({"columns": [{"source": "a", "name": "x", "type": {"kind": "text"}},
                  {"source": "b", "name": " X ", "type": {"kind": "text"}}], "time_column": None},
     'two columns are named "X"; names must be unique'),
    ({"columns": [{"source": "a", "name": "a", "type": {"kind": "text"}, "include": False}],
      "time_column": None}, "choose at least one column to import"),
    ({"columns": [{"source": "a", "name": " ", "type": {"kind": "text"}}], "time_column": None},
     "columns.0.name: String should have at least 1 character"),
    ({"columns": [{"source": "a", "name": "a", "type": {"kind": "money"}}], "time_column": None},
     "columns.0.type.kind: Input should be 'date', 'datetime', 'integer', 'decimal', 'boolean' or 'text'"),
    ({"columns": [{"source": "a", "name": "a", "type": {"kind": "date", "date_format": "%s"}}],
      "time_column": None}, "columns.0.type: date_format must be one of"),
])
def test_a_bad_plan_is_refused_with_an_upload_error_that_says_why(change, message):
    with pytest.raises(UploadError) as caught:
        parse_plan(plan_data(**change))
    assert str(caught.value).startswith("The import settings are not valid: ")
    assert message in str(caught.value)


def test_a_plan_made_for_other_columns_is_refused():
    plan = ImportPlan.model_validate(plan_data())
    plan.check_header(("Day", "Units", "Note"))
    with pytest.raises(UploadError, match=r"^The file's columns are not the ones in the preview"):
        plan.check_header(("Day", "Units"))


def test_sql_names_are_plain_unique_and_readable():
    names = ["Order Date", "Revenue (€)", "revenue €", "2024 sales", "日付", "select", "xmin", "a" * 80,
             "Straße"]
    assert sql_names(names) == ("order_date", "revenue", "revenue_2", "c_2024_sales", "c5", "select",
                                "xmin_", "a" * 44, "strae")


def test_the_default_plan_takes_every_column_as_inferred(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("day;amount;code\n21/11/2026;1,5;007\n22/11/2026;2;010\n", encoding="utf-8")
    plan = default_plan(inspect_upload(path, "sales.csv"))
    assert [(column.name, column.type.describe()) for column in plan.columns] == [
        ("day", "date (DD/MM/YYYY)"), ("amount", "decimal (decimal comma)"), ("code", "text")]
    assert plan.time_column == "day"
