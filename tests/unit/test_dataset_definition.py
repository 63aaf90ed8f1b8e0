"""A user's dataset definition: what it refuses, with messages that say what to change."""

from __future__ import annotations

import pytest

from data.dataset_definition import DefinitionError, parse_definition

COLUMNS = [{"name": "Order Date", "type": "date"}, {"name": "Region", "type": "text"},
           {"name": "Revenue", "type": "decimal"}, {"name": "Profit", "type": "decimal"},
           {"name": "Order ID", "type": "text"}, {"name": "Shipped", "type": "datetime"}]
GOOD = {
    "columns": COLUMNS,
    "time_column": "Order Date",
    "dimensions": [{"name": "region", "label": "Region", "column": "Region"}],
    "measures": [
        {"name": "revenue", "label": "Revenue", "column": "Revenue", "aggregation": "sum",
         "format": "currency", "currency": "EUR"},
        {"name": "profit", "label": "Profit", "column": "Profit", "aggregation": "sum", "format": "currency"},
        {"name": "orders", "label": "Orders", "column": "Order ID", "aggregation": "count_distinct",
         "format": "integer"},
        {"name": "margin_pct", "label": "Gross margin %", "numerator": "profit", "denominator": "revenue",
         "format": "percent"},
        {"name": "last_shipped", "label": "Last shipped", "column": "Shipped", "aggregation": "max"},
    ],
}


def changed(**parts) -> dict:
    return {**GOOD, **parts}


def test_a_good_definition_becomes_a_semantic_dataset_with_its_allowlist():
    definition = parse_definition(GOOD)
    dataset = definition.semantic("shop", "Shop", definition.table("upload_shop"))
    assert set(dataset.measures) == {"revenue", "profit", "orders", "margin_pct", "last_shipped"}
    assert dataset.measure("margin_pct").is_ratio
    assert dataset.measure("revenue__avg").aggregation == "avg"  # numbers may be re-aggregated
    assert dataset.measure("revenue").currency == "EUR"
    assert dataset.dimension("region").column == "Region"
    assert dataset.column("Order Date").name == "Order Date"


@pytest.mark.parametrize(("raw", "message"), [
    (changed(time_column="Region"), "time column 'Region' must be a date or datetime"),
    (changed(dimensions=[{"name": "region", "label": "Region", "column": "Country"}]),
     "dimension 'region': there is no column 'Country'"),
    (changed(measures=[{"name": "r", "label": "R", "column": "Region", "aggregation": "sum"}]),
     "sum needs a number column, and 'Region' holds text"),
    (changed(measures=[{"name": "r", "label": "R", "column": "Region", "aggregation": "max"}]),
     "max needs a number or date column"),
    (changed(measures=[{"name": "m", "label": "M", "numerator": "revenue", "denominator": "cost"}]),
     "'revenue' is not a measure of a column"),
    (changed(measures=[{"name": "m", "label": "M", "numerator": "revenue"}]),
     "a ratio needs both a numerator and a denominator"),
    (changed(measures=[{"name": "m", "label": "M", "column": "Revenue", "numerator": "a",
                        "denominator": "b"}]), "not both"),
    (changed(measures=[{"name": "region", "label": "R", "column": "Revenue"}]), "used twice or reserved"),
    (changed(measures=[{"name": "bucket", "label": "B", "column": "Revenue"}]), "used twice or reserved"),
    (changed(measures=[{"name": "a__b", "label": "B", "column": "Revenue"}]), "used twice or reserved"),
    (changed(measures=[{"name": "Revenue; DROP", "label": "R", "column": "Revenue"}]), "measures.0.name"),
    (changed(columns=[*COLUMNS, {"name": "region", "type": "text"}]), "column 'region' is listed twice"),
    (changed(columns=[{"name": 'a"b', "type": "text"}]), "columns.0.name"),
    (changed(measures=[]), "measures"),
    (changed(owner="mallory"), "owner: Extra inputs are not permitted"),
    (changed(columns=[{"name": f"c{n}", "type": "text"} for n in range(501)]), "columns"),
])
def test_a_bad_definition_is_refused_with_what_to_change(raw, message):
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw)
    assert message in str(caught.value)


def test_a_dataset_without_a_time_column_is_kept_but_cannot_draw_yet():
    definition = parse_definition(changed(time_column=None))
    with pytest.raises(DefinitionError, match="has no time column yet"):
        definition.semantic("shop", "Shop", definition.table("upload_shop"))
