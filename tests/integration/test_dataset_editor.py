"""The dataset page, /data/<name>, through its real callbacks on a real database: who sees the
dataset and who may edit it, saves of ratio measures and time columns that read back, drafts that
are refused with their message and save nothing (forged ones too), and previews whose numbers are
pandas' over the same rows."""

from __future__ import annotations

import csv
import datetime as dt
import random

import pandas as pd
import pytest

from callbacks.dataset_editor import (
    change_measure_rows,
    collect_draft,
    preview_sample,
    preview_source_rows,
    save_definition,
    shape_measure_row,
)
from charts.formatting import format_value
from components import ids
from data.dataset_definition import DefinitionError, parse_definition
from data.dataset_preview import draft_definition, sample_aggregation
from data.dataset_store import get_dataset_info, import_dataset, share_dataset
from data.datasets import AGGREGATIONS
from data.query import BUCKET
from data.upload_plan import default_plan
from data.upload_preview import inspect_upload
from data.upload_types import KINDS
from pages.dataset import layout
from tests.conftest import PEOPLE
from tests.helpers import account_of, find_component, nodes, text_of

ROWS = 400
REGIONS = ("North", "South", "East", "West")
NO_ACCESS = "No access to dataset {!r}: it does not exist, or it is not shared with you."


def write_orders(path) -> pd.DataFrame:
    """Order lines over fourteen months as a plain CSV; returns them as pandas holds them."""
    rng = random.Random(11)
    records = []
    for index in range(ROWS):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(425))
        records.append({"order_date": day,
                        "shipped_at": dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
                        + dt.timedelta(days=rng.randrange(3)),
                        "region": REGIONS[rng.randrange(4)], "revenue": round(rng.uniform(5, 900), 2),
                        "profit": round(rng.uniform(-40, 300), 2), "units": rng.randrange(1, 40),
                        "order_id": f"O-{index // 2:04d}"})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Order date", "Shipped at", "Region", "Revenue", "Profit", "Units", "Order ID"])
        for r in records:
            writer.writerow([r["order_date"].isoformat(), r["shipped_at"].strftime("%Y-%m-%d %H:%M"),
                             r["region"], f"{r['revenue']:.2f}", f"{r['profit']:.2f}", r["units"],
                             r["order_id"]])
    return pd.DataFrame(records)


@pytest.fixture
def shop(database, tmp_path):
    """The analyst's dataset `shop`, imported from a CSV, shared with the viewer; and its rows."""
    path = tmp_path / "orders.csv"
    reference = write_orders(path)
    plan = default_plan(inspect_upload(path, path.name))
    owner = account_of(database, "analyst")
    import_dataset(database, owner, "shop", "Shop orders", path, path.name, plan)
    with database.session() as session:
        share_dataset(session, owner, "shop", PEOPLE["viewer"][0])
    return reference


def stored(database, name: str = "shop") -> str:
    """The saved definition, as JSON."""
    with database.session() as session:
        return get_dataset_info(session, account_of(database, "admin"), name).definition.model_dump_json()


def draft_of(database, **changes) -> dict:
    """The saved definition of `shop` as an editor draft, with `changes` made to it."""
    with database.session() as session:
        definition = get_dataset_info(session, account_of(database, "admin"), "shop").definition
    draft = definition.model_dump(mode="json", include={"time_column", "dimensions", "measures"})
    return {**draft, **changes}


MARGIN = {"name": "margin_pct", "label": "Gross margin %", "numerator": "profit", "denominator": "revenue",
          "format": "percent", "higher_is_better": True}


def controls_of(draft: dict, ref: object = None) -> tuple:
    """The arguments `collect_draft` (and `save_definition`, after n_clicks) gets from the browser
    when the controls show `draft` on the page of `ref` (by default, shop's)."""
    dims = draft["dimensions"]
    measures = draft["measures"]

    def each(key, default=None):
        return [m.get(key, default) for m in measures]

    return (draft["time_column"] or "", [d["name"] for d in dims], [d["label"] for d in dims],
            [d["column"] for d in dims], each("name"), each("label"),
            ["ratio" if m.get("numerator") else "column" for m in measures], each("column"),
            each("aggregation", "sum"),
            each("numerator"), each("denominator"), each("format", "decimal"), each("currency", "USD"),
            each("higher_is_better", True), ref or {"name": "shop"})


# -- who sees what -------------------------------------------------------------------------------

def test_a_reader_it_is_shared_with_sees_it_read_only(database, shop, acting_as):
    with acting_as("viewer"):
        page = layout(name="shop")
        text = text_of(page)
        assert "Shop orders" in text and "400 rows" in text and "owner Alan Analyst" in text
        assert "Read only" in text and "You can edit" not in text
        assert find_component(page, ids.DS_SAVE) is None and find_component(page, ids.DS_TIME) is None
        columns = text_of(find_component(page, "ds-columns-table"))
        assert "order_date date time column" in columns and "revenue decimal" in columns
        assert "sum of revenue" in text_of(find_component(page, "ds-measures-table"))
        saved = find_component(page, {"type": ids.DS_DRAFT, "mode": "read"}).data
        assert saved["time_column"] == "order_date"
        assert "All rows" in text_of(preview_sample([saved], {"name": "shop"}))
        assert len(preview_source_rows({"name": "shop"}).rowData) == 100
        refused = save_definition(1, *controls_of(draft_of(database, measures=[MARGIN])))
    assert "Not saved. No access to dataset 'shop'" in text_of(refused)
    assert "margin_pct" not in stored(database)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_the_owner_and_admins_get_the_editor(database, shop, acting_as, role):
    with acting_as(role):
        page = layout(name="shop")
    assert "You can edit" in text_of(page)
    assert find_component(page, ids.DS_SAVE) is not None
    time = find_component(page, ids.DS_TIME)
    assert time.value == "order_date"
    assert [o["value"] for o in time.options] == ["", "order_date", "shipped_at"]  # dates only
    names = [find_component(page, {"type": ids.DS_M_NAME, "row": f"m{n}"}).value for n in range(4)]
    assert names == ["revenue", "profit", "units", "rows"]


@pytest.mark.parametrize("role", ["stranger", "editor", None])
def test_anyone_else_is_told_no_access_as_for_a_dataset_that_does_not_exist(database, shop, acting_as, role):
    with acting_as(role):
        page, missing = layout(name="shop"), layout(name="nothing_here")
        assert text_of(page) == text_of(missing).replace("nothing_here", "shop")
        assert NO_ACCESS.format("shop") in text_of(page)
        rows = preview_source_rows({"name": "shop"})
        sample = preview_sample([draft_of(database)], {"name": "shop"})
        refused = save_definition(1, *controls_of(draft_of(database, measures=[MARGIN])))
    assert NO_ACCESS.format("shop") in text_of(rows)
    assert NO_ACCESS.format("shop") in text_of(sample)
    assert NO_ACCESS.format("shop") in text_of(refused)
    assert "margin_pct" not in stored(database)


def test_built_in_datasets_are_shown_read_only_with_their_measures_and_dimensions(acting_as):
    with acting_as("analyst"):
        page = layout(name="sales")
    text = text_of(page)
    assert "Built in" in text and "Read only" in text
    assert find_component(page, ids.DS_SAVE) is None
    measures = text_of(find_component(page, "ds-measures-table"))
    assert "margin_pct Gross margin % gross_profit ÷ revenue Percent" in measures
    assert "orders Orders distinct count of order_id Integer" in measures
    assert "sub_category Sub-category sub_category" in text_of(find_component(page, "ds-dimensions-table"))


# -- saving ---------------------------------------------------------------------------------------

def test_a_ratio_measure_and_another_time_column_are_saved_and_read_back(database, shop, acting_as):
    draft = draft_of(database)
    draft["time_column"] = "shipped_at"
    draft["measures"].append({**MARGIN, "currency": "USD"})
    draft["measures"][0].update(format="currency", currency="EUR", label="Revenue (EUR)")
    with acting_as("analyst"):
        collected, problem = collect_draft(*controls_of(draft))
        assert problem is None and collected["measures"][-1] == MARGIN
        message = save_definition(1, *controls_of(draft))
        assert "Saved Shop orders: 5 measures and 2 dimensions" in text_of(message)
        page = layout(name="shop")
    with database.session() as session:
        definition = get_dataset_info(session, account_of(database, "viewer"), "shop").definition
    assert definition.time_column == "shipped_at"
    margin = next(m for m in definition.measures if m.name == "margin_pct")
    assert (margin.numerator, margin.denominator, margin.format, margin.column) == ("profit", "revenue",
                                                                                    "percent", None)
    revenue = definition.measures[0]
    assert (revenue.format, revenue.currency, revenue.label) == ("currency", "EUR", "Revenue (EUR)")
    assert find_component(page, ids.DS_TIME).value == "shipped_at"
    assert find_component(page, {"type": ids.DS_M_KIND, "row": "m4"}).value == "ratio"
    assert find_component(page, {"type": ids.DS_M_NUMERATOR, "row": "m4"}).value == "profit"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["measures"].append({**MARGIN, "denominator": "nothing"}),
     "Measure 'margin_pct': 'nothing' is not a measure of a column"),
    (lambda d: d["measures"].append({"name": "total", "label": "Total", "column": "region",
                                     "aggregation": "sum"}),
     "Measure 'total': sum needs a number column, and 'region' holds text"),
    (lambda d: d["measures"].append({"name": "region", "label": "Again", "column": "units"}),
     "The field name 'region' is used twice or reserved"),
    (lambda d: d["measures"][0].update(name="Gross Revenue"),
     "Measure 1, name: a field name is lower-case letters, digits and _"),
    (lambda d: d["measures"][0].update(label=""), "Measure 1, label: give it a label"),
    (lambda d: d["measures"][0].update(format="currency", currency="EURO"),
     "Measure 1, currency: a currency is a three-letter code"),
    (lambda d: d.update(time_column="region"), "The time column 'region' must be a date or datetime column"),
    (lambda d: d.update(measures=[]), "Declare at least one measure"),
    (lambda d: d["dimensions"][0].update(column=None),
     "Dimension 1, column: choose one of the dataset's columns"),
])
def test_an_invalid_definition_is_refused_with_its_message_and_nothing_is_saved(database, shop, acting_as,
                                                                                 change, message):
    before = stored(database)
    draft = draft_of(database)
    change(draft)
    with acting_as("analyst"):
        _, problem = collect_draft(*controls_of(draft))
        refused = save_definition(1, *controls_of(draft))
        sample = preview_sample([draft], {"name": "shop"})
    assert message in text_of(problem)
    assert message in text_of(refused) and "Not saved." in text_of(refused)
    assert "once the definition above is valid" in text_of(sample)
    assert stored(database) == before


# Values only a forged request sends: {position in `controls_of(...)`: {row: value}}.
TIME, DIM_COLUMN, NAME, KIND, COLUMN, AGGREGATION, NUMERATOR, DENOMINATOR = 0, 3, 4, 6, 7, 8, 9, 10


@pytest.mark.parametrize(("forged", "message"), [
    ({DIM_COLUMN: {0: "password"}}, "Dimension 'region': there is no column 'password'"),
    ({COLUMN: {0: 'revenue" FROM users --'}}, "Measure 1, column: choose one of the dataset's columns"),
    ({AGGREGATION: {0: "median"}}, "Measure 1, aggregation: Input should be 'sum', 'avg'"),
    ({NAME: {0: {"sql": "SELECT 1"}}}, "Measure 1, name: a field name is lower-case letters"),
    ({KIND: {0: "ratio"}, NUMERATOR: {0: "password"}, DENOMINATOR: {0: "profit"}},
     "Measure 'revenue': 'password' is not a measure of a column"),
    ({TIME: "region"}, "The time column 'region' must be a date or datetime column"),
    ({NAME: "revenue"}, "The editor sent something that is not a definition"),
])
def test_forged_columns_and_fields_are_refused(database, shop, acting_as, forged, message):
    before = stored(database)
    controls = list(controls_of(draft_of(database)))
    for position, values in forged.items():
        if isinstance(values, dict) and isinstance(controls[position], list):
            controls[position] = [values.get(row, value) for row, value in enumerate(controls[position])]
        else:
            controls[position] = values
    with acting_as("analyst"):
        _, problem = collect_draft(*controls)
        refused = save_definition(1, *controls)
    assert message in text_of(problem)
    assert message in text_of(refused) and "Not saved." in text_of(refused)
    assert stored(database) == before


@pytest.mark.parametrize(("draft", "message"), [
    ({"columns": [{"name": "password", "type": "text"}]}, "A draft may not declare columns"),
    ({"owner_id": 1}, "A draft may not declare owner_id"),
    ({"measures": [{"name": "x", "label": "X", "column": "revenue", "sql": "SELECT 1"}]},
     "measures.0.sql: Extra inputs are not permitted"),
])
def test_a_forged_draft_is_not_previewed(database, shop, acting_as, draft, message):
    with database.session() as session:
        saved = get_dataset_info(session, account_of(database, "viewer"), "shop").definition
    with pytest.raises(DefinitionError, match=message):
        draft_definition(saved, draft_of(database, **draft))
    with pytest.raises(DefinitionError, match="not a definition"):
        draft_definition(saved, ["not", "a", "draft"])
    with acting_as("viewer"):
        sample = preview_sample([draft_of(database, **draft)], {"name": "shop"})
    assert "once the definition above is valid" in text_of(sample)


def test_a_forged_dataset_name_reaches_only_what_the_user_may_manage(database, shop, acting_as):
    with acting_as("viewer"):  # may read shop, not change it
        collected, problem = collect_draft(*controls_of(draft_of(database)))
    assert collected is None and NO_ACCESS.format("shop") in text_of(problem)
    with acting_as("analyst"):
        refused = save_definition(1, *controls_of(draft_of(database), ref={"name": ["shop"]}))
    assert "No access to dataset" in text_of(refused)


# -- the editor's controls ------------------------------------------------------------------------

def test_a_measure_offers_only_the_aggregations_that_suit_its_column():
    types = {"region": "text", "order_date": "date", "units": "integer"}
    for column, offered in (("region", ["count", "count_distinct"]),
                            ("order_date", ["count", "count_distinct", "min", "max"]),
                            ("units", ["sum", "avg", "count", "count_distinct", "min", "max"])):
        _, _, _, options, value = shape_measure_row("column", column, "integer", "sum", types)
        assert [o["value"] for o in options] == offered
        assert value in offered
    of_column, of_ratio, currency, _, _ = shape_measure_row("ratio", None, "currency", "sum", types)
    assert of_column == {"display": "none"} and of_ratio is None and currency is None


def test_the_aggregations_offered_are_exactly_those_a_definition_accepts():
    for kind in KINDS:
        for aggregation in AGGREGATIONS:
            raw = {"columns": [{"name": "c", "type": kind}],
                   "measures": [{"name": "m", "label": "M", "column": "c", "aggregation": aggregation}]}
            try:
                parse_definition(raw)
                accepted = True
            except DefinitionError:
                accepted = False
            _, _, _, options, _ = shape_measure_row("column", "c", "decimal", aggregation, {"c": kind})
            assert accepted == (aggregation in [o["value"] for o in options]), (kind, aggregation)


def test_remove_deletes_the_row_clicked_and_add_appends_one(fire):
    row_ids = [{"type": ids.DS_M_REMOVE, "row": key} for key in ("m0", "m1", "m2")]
    fire(row_ids[1], "n_clicks", 1)
    removed = change_measure_rows(None, [None, 1, None], row_ids, {"units": "integer"})
    assert removed.to_plotly_json()["operations"] == [{"operation": "Delete", "location": [1], "params": {}}]
    fire(ids.DS_ADD_MEASURE, "n_clicks", 2)
    added = change_measure_rows(2, [None] * 3, row_ids, {"units": "integer"}).to_plotly_json()["operations"]
    assert added[0]["operation"] == "Append"
    assert {"type": ids.DS_M_NAME, "row": "new2"} in [n.id for n in nodes(added[0]["params"]["value"])
                                                        if hasattr(n, "id")]


# -- the preview ----------------------------------------------------------------------------------

def test_the_preview_rows_are_the_first_rows_of_the_source(database, shop, acting_as):
    with acting_as("viewer"):
        grid = preview_source_rows({"name": "shop"})
    assert [c["headerName"] for c in grid.columnDefs] == list(shop.columns)
    assert len(grid.rowData) == 100
    fields = [c["field"] for c in grid.columnDefs]
    first = shop.head(100)
    assert [row[fields[0]] for row in grid.rowData] == [d.isoformat() for d in first["order_date"]]
    assert [row[fields[1]] for row in grid.rowData] == [t.isoformat(sep=" ") for t in first["shipped_at"]]
    assert [row[fields[3]] for row in grid.rowData] == first["revenue"].tolist()
    assert [row[fields[6]] for row in grid.rowData] == first["order_id"].tolist()


def test_the_draft_aggregation_equals_pandas_before_it_is_saved(database, shop, acting_as):
    draft = draft_of(database, time_column="shipped_at")
    draft["measures"] += [MARGIN, {"name": "orders", "label": "Orders", "column": "order_id",
                                   "aggregation": "count_distinct", "format": "integer"},
                          {"name": "avg_units", "label": "Average units", "column": "units",
                           "aggregation": "avg"}]
    before = stored(database)
    with database.session() as session:
        saved = get_dataset_info(session, account_of(database, "analyst"), "shop").definition
    with acting_as("analyst"):
        table = preview_sample([draft], {"name": "shop"})
        sample = sample_aggregation(database, account_of(database, "analyst"), "shop",
                                    draft_definition(saved, draft))
    assert stored(database) == before  # a preview saves nothing

    frame = shop.assign(month=shop["shipped_at"].dt.to_period("M").dt.to_timestamp())
    want = frame.groupby("month").agg(revenue=("revenue", "sum"), profit=("profit", "sum"),
                                      units=("units", "sum"), rows=("order_date", "size"),
                                      orders=("order_id", "nunique"), avg_units=("units", "mean"))
    want["margin_pct"] = want["profit"] / want["revenue"]
    by_month = sample.by_month.set_index(BUCKET)
    assert list(by_month.index) == list(want.index)
    for measure in ("revenue", "profit", "units", "rows", "orders", "avg_units", "margin_pct"):
        assert by_month[measure].astype(float).tolist() == pytest.approx(want[measure].tolist(), rel=1e-9)
    total = sample.total.iloc[0]
    assert total["revenue"] == pytest.approx(shop["revenue"].sum())
    assert total["margin_pct"] == pytest.approx(shop["profit"].sum() / shop["revenue"].sum())
    assert total["orders"] == shop["order_id"].nunique() == ROWS // 2

    text = text_of(table)
    assert "Gross margin %" in text and "Average units" in text
    assert f"All rows {format_value(shop['revenue'].sum(), 'decimal')}" in text
    assert format_value(shop["profit"].sum() / shop["revenue"].sum(), "percent") in text
    last = want.index[-1]
    assert f"{last:%Y-%m} {format_value(want['revenue'].iloc[-1], 'decimal')}" in text


def test_without_a_time_column_the_preview_says_what_to_choose(database, shop, acting_as):
    with acting_as("analyst"):
        sample = preview_sample([draft_of(database, time_column=None)], {"name": "shop"})
    assert "has no time column yet" in text_of(sample)
