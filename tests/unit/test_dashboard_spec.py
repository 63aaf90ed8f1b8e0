"""The dashboard document: every valid document survives a JSON round trip unchanged, and anything
else (random JSON, text or bytes, or a valid document with one thing wrong) is refused with a
`SpecError` that says why, never with any other exception. Also: the published JSON Schema and the
example in docs/dashboards.md match the model."""

from __future__ import annotations

import copy
import itertools
import json
import pathlib
import re
import string
import sys

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.dashboard_spec import (
    GRID_COLUMNS,
    MAX_DOCUMENT_BYTES,
    MAX_WIDGETS,
    NUMBER_FORMATS,
    RELATIVE_RANGES,
    WIDGET_TYPES,
    DashboardFilters,
    DashboardSpec,
    FilterSpec,
    LayoutItem,
    MeasureRef,
    SortSpec,
    SpecError,
    TimeRange,
    WidgetOptions,
    WidgetSpec,
    dump_document,
    json_schema,
    parse_document,
)
from data.datasets import AGGREGATIONS, BUILT_IN
from data.query import GRAINS, OPERATORS

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "dashboard-schema.json"
GUIDE = ROOT / "docs" / "dashboards.md"
DATASETS = [BUILT_IN["sales"], BUILT_IN["forecast"]]
DATA_TYPES = tuple(kind for kind in WIDGET_TYPES if kind != "text")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- valid documents ----------------------------------------------------------------------------

plain_text = st.characters(exclude_categories=("Cc", "Cs"))  # any character but a control one
any_text = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
dashboard_titles = st.text(plain_text, min_size=1, max_size=200).filter(str.strip)
scalars = st.one_of(st.text(max_size=12), st.integers(), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False))
widget_ids = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
time_ranges = st.one_of(
    st.sampled_from(sorted(RELATIVE_RANGES)).map(lambda key: {"relative": key}),
    st.lists(st.dates(), min_size=2, max_size=2).map(sorted).map(
        lambda days: {"start": days[0].isoformat(), "end": days[1].isoformat()}),
)
options = st.fixed_dictionaries({}, optional={
    "stacked": st.booleans(), "orientation": st.sampled_from(["vertical", "horizontal"]),
    "donut": st.booleans(), "show_legend": st.booleans(),
    "x_label": st.text(max_size=120), "y_label": st.text(max_size=120),
    "colors": st.lists(st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True), max_size=24),
    "number_format": st.sampled_from(NUMBER_FORMATS), "markdown": st.text(max_size=300),
})
refresh_seconds = st.just(0) | st.integers(5, 86_400)
dimension_names = st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True).filter(lambda n: n != "time_range")
dashboard_filters = st.builds(
    lambda time_range, dimensions: {**time_range, **dimensions},
    st.fixed_dictionaries({}, optional={"time_range": time_ranges}),
    st.dictionaries(st.sampled_from(sorted({d for ds in DATASETS for d in ds.dimensions})) | dimension_names,
                    st.lists(scalars, max_size=5), max_size=3),
)

# Per type: (fewest, most) measures, (fewest, most) dimensions, and whether a time grain is needed.
SHAPES = {
    "kpi": ((1, 1), (0, 0), "forbidden"),
    "line": ((1, 4), (0, 1), "required"),
    "area": ((1, 4), (0, 1), "required"),
    "bar": ((1, 4), (0, 1), "optional"),  # bars need a dimension or a time grain: see below
    "pie": ((1, 1), (1, 1), "forbidden"),
    "scatter": ((2, 2), (0, 3), "optional"),
    "heatmap": ((1, 1), (1, 2), "optional"),  # two axes: two dimensions, or one and a time grain
    "table": ((1, 4), (0, 3), "optional"),
}
assert set(SHAPES) == set(DATA_TYPES)


def measure_key(ref: str | dict) -> str:
    """The name a measure is shown and sorted under: `revenue` or `revenue__avg`."""
    return ref if isinstance(ref, str) else f"{ref['name']}__{ref['aggregation']}"


def measure_refs(dataset) -> st.SearchStrategy:
    """Measures the dataset declares, plain or re-aggregated (as an object or `name__agg`)."""
    again = [(m.name, agg) for m in dataset.measures.values() for agg in m.aggregations]
    return st.one_of(
        st.sampled_from(sorted(dataset.measures)),
        st.sampled_from(again).map(lambda pair: {"name": pair[0], "aggregation": pair[1]}),
        st.sampled_from(again).map(lambda pair: f"{pair[0]}__{pair[1]}"),
    )


def widget_filters(dataset) -> st.SearchStrategy:
    field = st.sampled_from(sorted(dataset.dimensions))
    listed = st.fixed_dictionaries({"field": field, "value": st.lists(scalars, max_size=5)},
                                   optional={"op": st.sampled_from(["in", "not_in"])})
    single = st.fixed_dictionaries({"field": field, "op": st.sampled_from(OPERATORS[2:])},
                                   optional={"value": scalars})
    return st.lists(listed | single, max_size=3)


@st.composite
def data_widgets(draw, widget_id: str, kind: str) -> dict:
    dataset = draw(st.sampled_from(DATASETS))
    (fewest, most), (fewest_dims, most_dims), grain_rule = SHAPES[kind]
    measures = draw(st.lists(measure_refs(dataset), min_size=fewest, max_size=most, unique_by=measure_key))
    dimensions = draw(st.lists(st.sampled_from(sorted(dataset.dimensions)), unique=True, min_size=fewest_dims,
                               max_size=min(most_dims, len(dataset.dimensions))))
    if kind == "heatmap":
        grain_rule = "required" if len(dimensions) == 1 else "forbidden"
    if kind == "bar" and not dimensions:
        grain_rule = "required"
    grain = draw({"required": st.sampled_from(GRAINS), "forbidden": st.none(),
                  "optional": st.none() | st.sampled_from(GRAINS)}[grain_rule])
    widget = {"id": widget_id, "type": kind, "dataset": dataset.name, "measures": measures}
    if dimensions:
        widget["dimensions"] = dimensions
    if grain:
        widget["time_grain"] = grain
    shown = [measure_key(ref) for ref in measures] + dimensions + (["bucket"] if grain else [])
    widget.update(draw(st.fixed_dictionaries({}, optional={
        "title": st.text(plain_text, max_size=200), "time_range": time_ranges,
        "filters": widget_filters(dataset), "limit": st.integers(1, 10_000),
        "sort": st.fixed_dictionaries({"field": st.sampled_from(shown)},
                                      optional={"descending": st.booleans()}),
        "refresh_seconds": refresh_seconds, "options": options,
    })))
    return widget


def text_widgets(widget_id: str) -> st.SearchStrategy:
    return st.fixed_dictionaries({"id": st.just(widget_id), "type": st.just("text")}, optional={
        "title": st.text(plain_text, max_size=200), "refresh_seconds": refresh_seconds, "options": options})


@st.composite
def layouts(draw, ids: list[str]) -> list[dict]:
    """Bands of one to three widgets side by side, each band below the last: no overlaps."""
    items, top, waiting = [], 0, list(ids)
    while waiting:
        count = draw(st.integers(1, min(3, len(waiting))))
        cuts = draw(st.lists(st.integers(1, GRID_COLUMNS - 1), min_size=count - 1, max_size=count - 1,
                             unique=True))
        band = 0
        for (left, right), widget_id in zip(itertools.pairwise([0, *sorted(cuts), GRID_COLUMNS]), waiting,
                                            strict=False):
            width = draw(st.integers(1, right - left))
            height = draw(st.integers(1, 60))
            items.append({"i": widget_id, "x": draw(st.integers(left, right - width)), "y": top,
                          "w": width, "h": height})
            band = max(band, height)
        waiting = waiting[count:]
        top += band + draw(st.integers(0, 3))
    return draw(st.permutations(items))


@st.composite
def valid_documents(draw, min_widgets: int = 0, max_widgets: int = 6,
                    kinds: tuple[str, ...] = WIDGET_TYPES) -> dict:
    ids = draw(st.lists(widget_ids, min_size=min_widgets, max_size=max_widgets, unique=True))
    widgets = []
    for widget_id in ids:
        kind = draw(st.sampled_from(kinds))
        widgets.append(draw(text_widgets(widget_id) if kind == "text" else data_widgets(widget_id, kind)))
    document = {"title": draw(dashboard_titles), "widgets": widgets, "layout": draw(layouts(ids))}
    document.update(draw(st.fixed_dictionaries({}, optional={
        "schema_version": st.just(1), "description": st.text(max_size=300), "compact": st.booleans(),
        "filters": dashboard_filters})))
    return document


def assert_kept(written, loaded, where: str = "document") -> None:
    """Everything the document says is in the loaded one, with the same value and JSON type."""
    if isinstance(written, dict):
        assert isinstance(loaded, dict), where
        for key, value in written.items():
            assert key in loaded, f"{where}.{key} was dropped"
            assert_kept(value, loaded[key], f"{where}.{key}")
    elif isinstance(written, list):
        assert isinstance(loaded, list) and len(loaded) == len(written), where
        for index, (first, second) in enumerate(zip(written, loaded, strict=True)):
            assert_kept(first, second, f"{where}[{index}]")
    else:
        assert type(loaded) is type(written) and loaded == written, f"{where}: {written!r} became {loaded!r}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents())
def test_every_valid_document_survives_a_json_round_trip_unchanged(document):
    spec = parse_document(json.dumps(document))
    assert parse_document(document) == spec
    text = dump_document(spec)
    assert parse_document(text) == spec
    assert json.loads(text) == spec.to_json()
    assert_kept(document, spec.to_json())
    assert parse_document(spec.to_json()).to_json() == spec.to_json()


# -- anything else is refused cleanly ----------------------------------------------------------

def refused_or_accepted(document) -> DashboardSpec | None:
    """Parse `document`; a refusal must be a `SpecError` with readable problems, and an
    accepted document must survive its own round trip."""
    try:
        spec = parse_document(document)
    except SpecError as error:
        assert error.problems, "a refusal without a reason"
        assert all(isinstance(problem, str) and problem.strip() for problem in error.problems)
        return None
    assert parse_document(dump_document(spec)) == spec
    return spec


def refused(document) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_document(document)
    problems = caught.value.problems
    assert problems and all(isinstance(problem, str) and problem.strip() for problem in problems)
    return problems


MODELS = (DashboardSpec, WidgetSpec, LayoutItem, TimeRange, FilterSpec, MeasureRef, SortSpec, WidgetOptions,
          DashboardFilters)
FIELD_NAMES = sorted({name for model in MODELS for name in model.model_fields})
words = st.sampled_from(FIELD_NAMES + list(WIDGET_TYPES) + list(RELATIVE_RANGES) + list(GRAINS)
                        + ["sales", "forecast", "revenue", "region", "2024-01-01"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text | words,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(words | any_text, children,
                                                                      max_size=6),
    max_leaves=40,
)


@FAST
@given(json_values)
def test_any_json_value_is_refused_with_reasons_or_accepted_never_crashes(value):
    refused_or_accepted(json.dumps(value))  # NaN and infinities come out as NaN/Infinity text
    if isinstance(value, dict):
        refused_or_accepted(value)
    else:
        refused(value)


@FAST
@given(st.dictionaries(words, json_values, max_size=8),
       st.lists(st.dictionaries(words, json_values), max_size=3))
def test_documents_with_the_right_keys_and_wrong_values_are_refused_cleanly(document, widgets):
    document.setdefault("widgets", widgets)
    refused_or_accepted(document)
    refused_or_accepted(json.dumps(document))


@FAST
@given(st.text(st.characters(exclude_categories=())) | st.binary())
def test_arbitrary_text_and_bytes_are_refused_with_reasons(data):
    refused_or_accepted(data)


def _objects(node):
    """Every JSON object in a document, outermost first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _a_widget(document, draw) -> dict:
    return draw(st.sampled_from(document["widgets"]))


def unknown_widget_type(document, draw):
    _a_widget(document, draw)["type"] = draw(st.text(max_size=12).filter(lambda t: t not in WIDGET_TYPES))


def unknown_key(document, draw):
    dashboard_filters = document.setdefault("filters", {})
    holder = draw(st.sampled_from(list(_objects(document))))
    if holder is dashboard_filters:  # its extra keys are dimension names, so a key that is not one
        holder[draw(st.sampled_from(["Region", "1st", "sub-category", "région", ""]))] = ["x"]
    else:
        holder["unknown_" + draw(st.text(string.ascii_lowercase, max_size=8))] = draw(json_values)


def layout_id_pointing_nowhere(document, draw):
    taken = {widget["id"] for widget in document["widgets"]}
    draw(st.sampled_from(document["layout"]))["i"] = draw(widget_ids.filter(lambda i: i not in taken))


def overlapping_items(document, draw):
    first, second = draw(st.permutations(document["layout"]))[:2]
    second.update(x=first["x"], y=first["y"])


def past_the_right_edge(document, draw):
    x = draw(st.integers(1, GRID_COLUMNS - 1))
    width = draw(st.integers(GRID_COLUMNS - x + 1, GRID_COLUMNS))
    draw(st.sampled_from(document["layout"])).update(x=x, w=width)


def too_many_widgets(document, draw):
    document["widgets"] = [{"id": f"t{n}", "type": "text"} for n in range(MAX_WIDGETS + 1)]
    document["layout"] = [{"i": f"t{n}", "x": 0, "y": n, "w": 1, "h": 1} for n in range(MAX_WIDGETS + 1)]


def over_one_megabyte(document, draw):
    how = draw(st.sampled_from(["padding", "markdown", "bytes"]))
    if how == "markdown":
        _a_widget(document, draw)["options"] = {"markdown": "x" * MAX_DOCUMENT_BYTES}
        return document
    text = json.dumps(document) + " " * MAX_DOCUMENT_BYTES
    return text.encode() if how == "bytes" else text


def not_a_number(document, draw):
    widget = _a_widget(document, draw)
    number = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
    place = draw(st.sampled_from(["filter", "layout", "dashboard filter"]))
    if place == "filter":
        widget.setdefault("filters", []).append({"field": "region", "op": "eq", "value": number})
    elif place == "layout":
        draw(st.sampled_from(document["layout"]))["h"] = number
    else:
        document.setdefault("filters", {})["region"] = [number]
    return json.dumps(document) if draw(st.booleans()) else document


def duplicate_ids(document, draw):
    first, second = document["widgets"][:2]
    for item in document["layout"]:
        if item["i"] == second["id"]:
            item["i"] = first["id"]
    second["id"] = first["id"]


def unknown_dataset(document, draw):
    name = draw(st.text(max_size=10).filter(lambda text: text not in BUILT_IN))
    _a_widget(document, draw)["dataset"] = name


def unknown_measure(document, draw):
    widget = _a_widget(document, draw)
    widget["measures"][0] = draw(st.sampled_from(
        ["profit", {"name": "profit", "aggregation": "sum"}, "revenue__sum_"]))


def unknown_dimension(document, draw):
    widget = _a_widget(document, draw)
    if widget.get("dimensions") and draw(st.booleans()):
        widget["dimensions"][0] = "colour"
    else:
        widget.setdefault("filters", []).append({"field": "colour", "value": ["red"]})


def disallowed_aggregation(document, draw):
    widget = _a_widget(document, draw)
    measures = BUILT_IN[widget["dataset"]].measures.values()
    name, aggregation = draw(st.sampled_from([(m.name, agg) for m in measures for agg in AGGREGATIONS
                                              if agg not in m.aggregations]))
    widget["measures"][0] = draw(st.sampled_from([{"name": name, "aggregation": aggregation},
                                                  f"{name}__{aggregation}"]))


def unsupported_schema_version(document, draw):
    document["schema_version"] = draw(st.sampled_from([2, 0, -1, True, False, 1.0, "1", None, [1], {"v": 1}]))


MUTATIONS = [unknown_widget_type, unknown_key, layout_id_pointing_nowhere, overlapping_items,
             past_the_right_edge, too_many_widgets, over_one_megabyte, not_a_number, duplicate_ids,
             unknown_dataset, unknown_measure, unknown_dimension, disallowed_aggregation,
             unsupported_schema_version]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda mutation: mutation.__name__)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=valid_documents(min_widgets=2, max_widgets=4, kinds=DATA_TYPES), data=st.data())
def test_a_valid_document_with_one_thing_wrong_is_refused_with_reasons(mutation, document, data):
    broken = mutation(document, data.draw)
    refused(document if broken is None else broken)


# -- each refusal, and what it says ------------------------------------------------------------

BASE = {
    "schema_version": 1,
    "title": "Sales pulse",
    "filters": {"time_range": {"relative": "last_30_days"}, "region": ["EMEA"]},
    "widgets": [
        {"id": "revenue", "type": "line", "dataset": "sales", "measures": ["revenue"], "time_grain": "day"},
        {"id": "plan", "type": "bar", "dataset": "forecast", "measures": ["forecast_revenue"],
         "dimensions": ["region"]},
    ],
    "layout": [{"i": "revenue", "x": 0, "y": 0, "w": 6, "h": 4},
               {"i": "plan", "x": 6, "y": 0, "w": 6, "h": 4}],
}


def changed(change) -> dict | str:
    """A copy of BASE after `change(document)`; `change` may return a replacement (text)."""
    document = copy.deepcopy(BASE)
    replacement = change(document)
    return document if replacement is None else replacement


def test_the_base_document_is_valid():
    assert parse_document(BASE).widget("plan").dimensions == ["region"]


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param(lambda d: d["widgets"][0].update(type="gauge"),
                 ["widgets[0].type", "'kpi'", "'text'"], id="unknown widget type"),
    pytest.param(lambda d: d.update(owner="ada@example.com"),
                 ["owner: Extra inputs are not permitted"], id="unknown top-level key"),
    pytest.param(lambda d: d["widgets"][0].update(colour="red"),
                 ["widgets[0].colour: Extra inputs are not permitted"], id="unknown widget key"),
    pytest.param(lambda d: d["widgets"][1].update(options={"colour": "red"}),
                 ["widgets[1].options.colour: Extra inputs are not permitted"], id="unknown option"),
    pytest.param(lambda d: d["layout"][0].update(z=1),
                 ["layout[0].z: Extra inputs are not permitted"], id="unknown layout key"),
    pytest.param(lambda d: d["filters"]["time_range"].update(tz="UTC"),
                 ["filters.time_range.tz: Extra inputs are not permitted"], id="unknown time range key"),
    pytest.param(lambda d: d["filters"].update(Region=["EMEA"]),
                 ["'Region' is not a dimension name"], id="dashboard filter that is no dimension name"),
    pytest.param(lambda d: d["layout"][1].update(i="ghost"),
                 ["the layout places 'ghost', which is not a widget",
                  "widget 'plan' has no place in the layout"],
                 id="layout id pointing nowhere"),
    pytest.param(lambda d: d["layout"][1].update(x=3),
                 ["widgets 'revenue' and 'plan' overlap"], id="overlapping items"),
    pytest.param(lambda d: d["layout"][1].update(x=8),
                 ["widget 'plan' reaches past column 12"], id="x + w past 12"),
    pytest.param(lambda d: d["layout"][1].update(x=12),
                 ["layout[1].x", "less than 12"], id="x off the grid"),
    pytest.param(lambda d: d.update(widgets=[{"id": f"t{n}", "type": "text"} for n in range(201)]),
                 ["at most 200 widgets", "has 201"], id="201 widgets"),
    pytest.param(lambda d: json.dumps(d) + " " * MAX_DOCUMENT_BYTES,
                 ["larger than 1 MB"], id="over 1 MB of text"),
    pytest.param(lambda d: d["widgets"][0].update(options={"markdown": "x" * MAX_DOCUMENT_BYTES}),
                 ["larger than 1 MB"], id="over 1 MB once parsed"),
    pytest.param(lambda d: json.dumps(d).replace('"EMEA"', "NaN"),
                 ["not valid JSON", "NaN is not a JSON number"], id="NaN in the text"),
    pytest.param(lambda d: json.dumps(d).replace('"EMEA"', "-Infinity"),
                 ["not valid JSON", "Infinity is not a JSON number"], id="Infinity in the text"),
    pytest.param(lambda d: d["layout"][0].update(h=float("nan")),
                 ["layout[0].h", "finite number"], id="NaN in a parsed document"),
    pytest.param(lambda d: json.dumps(d).replace('"EMEA"', "1e999"),
                 ["filters.region[0]", "finite number"], id="a number too large for a float"),
    pytest.param(lambda d: (d["widgets"][1].update(id="revenue"), d["layout"][1].update(i="revenue"))[0],
                 ["widget id 'revenue' is used more than once", "the layout places 'revenue' more than once"],
                 id="duplicate ids"),
    pytest.param(lambda d: d["widgets"][0].update(dataset="salez"),
                 ["widget 'revenue'", "No access to dataset 'salez'"], id="unknown dataset"),
    pytest.param(lambda d: d["widgets"][0].update(measures=["profit"]),
                 ["widget 'revenue'", "Sales has no measure called 'profit'"], id="unknown measure"),
    pytest.param(lambda d: d["widgets"][1].update(dimensions=["country"]),
                 ["widget 'plan'", "Forecast has no dimension called 'country'"],
                 id="dimension of another dataset"),
    pytest.param(lambda d: d["widgets"][0].update(filters=[{"field": "colour", "value": ["red"]}]),
                 ["Sales has no dimension called 'colour'"], id="filter on an unknown field"),
    pytest.param(lambda d: d["widgets"][0].update(measures=[{"name": "revenue", "aggregation": "count"}]),
                 ["Revenue cannot be aggregated by count", "allowed: sum, avg, min, max"],
                 id="aggregation the measure does not allow"),
    pytest.param(lambda d: d["widgets"][0].update(measures=[{"name": "orders", "aggregation": "avg"}]),
                 ["Orders cannot be aggregated by avg", "allowed: none"],
                 id="measure with no other aggregation"),
    pytest.param(lambda d: d["widgets"][0].update(measures=[{"name": "revenue", "aggregation": "median"}]),
                 ["widgets[0].measures[0].aggregation", "'count_distinct'"],
                 id="aggregation that does not exist"),
    pytest.param(lambda d: d.update(schema_version=2),
                 ["schema_version 2 is not supported", "reads version 1"], id="schema_version 2"),
    pytest.param(lambda d: d.update(schema_version=True),
                 ["schema_version must be the integer 1"], id="schema_version true"),
    pytest.param(lambda d: d.update(schema_version=1.0),
                 ["schema_version must be the integer 1"], id="schema_version 1.0"),
    pytest.param(lambda d: d.update(schema_version="1"),
                 ["schema_version '1' is not supported"], id="schema_version as text"),
    pytest.param(lambda d: "[1, 2]", ["A dashboard document is a JSON object"], id="not an object"),
    pytest.param(lambda d: "{'title': 'single quotes'}", ["This is not valid JSON"], id="not JSON"),
    pytest.param(lambda d: b"\xff\xfe\x00", ["not valid Unicode (UTF-8)"], id="bytes that are no text"),
    pytest.param(lambda d: "[" * 100_000, ["not valid JSON", "recursion"], id="nested too deeply"),
    pytest.param(lambda d: d.pop("title") and None, ["title: Field required"], id="no title"),
    pytest.param(lambda d: d.update(title="   "), ["title: the title cannot be blank"], id="blank title"),
    pytest.param(lambda d: d.update(title="two\nlines"),
                 ["title: must be one line of text, without control characters"], id="title with a newline"),
    pytest.param(lambda d: d["widgets"][0].update(options={"colors": ["red"]}),
                 ["widgets[0].options.colors[0]: must be a colour written like #4f46e5"],
                 id="colour by name"),
    pytest.param(lambda d: (d["widgets"][0].update(id="a b"), d["layout"][0].update(i="a b"))[0],
                 ["widgets[0].id: must be 1 to 40 letters, digits, '-' or '_'"], id="id with a space"),
    pytest.param(lambda d: d["widgets"][0].update(refresh_seconds=2),
                 ["refresh at most every 5 seconds (0 turns refreshing off)"], id="refresh too often"),
    pytest.param(lambda d: d["widgets"][0].update(time_range={"relative": "today", "start": "2026-01-01"}),
                 ["either relative or absolute, not both"], id="relative and absolute range"),
    pytest.param(lambda d: d["widgets"][0].update(time_range={"start": "2026-01-01"}),
                 ["needs both a start and an end date"], id="range without an end"),
    pytest.param(lambda d: d["widgets"][0].update(time_range={"start": "2026-02-01", "end": "2026-01-01"}),
                 ["the time range starts after it ends"], id="range backwards"),
    pytest.param(lambda d: d["widgets"][0].update(time_range={"relative": "last_week"}),
                 ["widgets[0].time_range.relative", "'last_7_days'"], id="unknown relative range"),
    pytest.param(lambda d: d["widgets"][0].update(filters=[{"field": "region", "op": "eq", "value": ["a"]}]),
                 ["operator 'eq' needs one value"], id="eq with a list"),
    pytest.param(lambda d: d["widgets"][0].update(filters=[{"field": "region", "value": "EMEA"}]),
                 ["operator 'in' needs a list of values"], id="in without a list"),
    pytest.param(lambda d: d["widgets"][0].update(sort={"field": "orders"}),
                 ["cannot sort by 'orders', which it does not show"], id="sort by something not shown"),
    pytest.param(lambda d: d["layout"].pop() and None, ["widget 'plan' has no place in the layout"],
                 id="widget without a place"),
])
def test_each_kind_of_broken_document_is_refused_with_a_message_that_says_why(change, expected):
    problems = refused(changed(change))
    message = "; ".join(problems)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize(("change", "expected"), [
    ({"type": "text"}, "(text) shows markdown only: it takes no dataset, measures, dimensions"),
    ({"type": "kpi", "dimensions": [], "time_grain": "day"},
     "(kpi) shows one number: it takes no dimensions or time grain"),
    ({"measures": ["revenue", "revenue"]}, "lists the same measure or dimension twice"),
    ({"dataset": None}, "(bar) needs a dataset"),
    ({"measures": []}, "(bar) needs at least one measure"),
    ({"type": "kpi"}, "(kpi) shows one number: it takes no dimensions"),
    ({"type": "kpi", "measures": ["forecast_revenue", "actual_revenue"]}, "(kpi) shows exactly one measure"),
    ({"type": "pie", "measures": ["forecast_revenue", "actual_revenue"]}, "(pie) shows exactly one measure"),
    ({"type": "pie", "time_grain": "month"}, "(pie) needs one dimension to slice by, and no time grain"),
    ({"type": "pie", "dimensions": []}, "(pie) needs one dimension to slice by, and no time grain"),
    ({"type": "scatter"}, "(scatter) needs two measures, one for each axis"),
    ({"type": "heatmap"}, "(heatmap) needs two axes: two dimensions, or one dimension and a time grain"),
    ({"type": "heatmap", "dimensions": ["region", "category"], "time_grain": "month"},
     "(heatmap) needs two axes"),
    ({"type": "line"}, "(line) needs a time grain"),
    ({"type": "area", "time_grain": "month", "dimensions": ["region", "category"]},
     "(area) groups by at most one dimension"),
    ({"dimensions": []}, "(bar) needs a dimension or a time grain for its bars"),
    ({"dimensions": ["region", "category"]}, "(bar) groups by at most one dimension"),
])
def test_a_widget_without_the_shape_its_type_needs_is_refused(change, expected):
    problems = refused(changed(lambda d: d["widgets"][1].update(change)))
    assert any(problem.startswith("widgets[1]: widget 'plan'") and expected in problem
               for problem in problems), problems


def test_stored_documents_load_without_the_dataset_check_but_saves_always_check():
    document = changed(lambda d: d["widgets"][0].update(measures=["renamed_measure"]))
    assert parse_document(document, check_fields=False).widget("revenue").measures == ["renamed_measure"]
    assert "no measure called 'renamed_measure'" in "; ".join(refused(document))


def test_a_dashboard_may_hold_exactly_200_widgets():
    document = {"title": "Full", "widgets": [{"id": f"t{n}", "type": "text"} for n in range(MAX_WIDGETS)],
                "layout": [{"i": f"t{n}", "x": 0, "y": n, "w": 1, "h": 1} for n in range(MAX_WIDGETS)]}
    assert len(parse_document(json.dumps(document)).widgets) == MAX_WIDGETS


@pytest.mark.parametrize("document", [
    '{"title": "\\ud800"}',  # plain ASCII JSON text, with an escape Python decodes to a lone surrogate
    '{"title": "Sales", "filters": {"region": ["\\udc00"]}}',
    '{"title": "\ud800"}',
    b'{"title": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8, which json.loads lets through
    {"title": "Sales", "description": "\udfff"},
], ids=["escaped in JSON text", "escaped in a filter value", "in a str", "in bytes", "in a parsed document"])
def test_a_lone_surrogate_is_refused_as_text_that_cannot_be_stored(document):
    assert refused(document) == ["The document contains text that is not valid Unicode (UTF-8)."]


def _deeper(frames: int, call):
    """`call()` from `frames` calls further down the stack, as a callback runs inside a request."""
    return call() if frames == 0 else _deeper(frames - 1, call)


def test_a_deeply_nested_parsed_document_is_refused_even_deep_in_the_stack():
    nested: list = []
    for _ in range(sys.getrecursionlimit() - 60):  # as deep as json.loads accepts near the top of a stack
        nested = [nested]
    document = {"title": "Deep", "filters": {"region": nested}}
    with pytest.raises(SpecError):
        _deeper(100, lambda: parse_document(document))


# -- the published schema and the guide --------------------------------------------------------

def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def test_the_published_json_schema_matches_the_model():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/dashboard-schema.json is out of date with data/dashboard_spec.py; "
        "regenerate it with: .venv/bin/python scripts/write_dashboard_schema.py")


def guide_example() -> dict:
    found = re.search(r"```json\n(.*?)\n```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    assert found, "docs/dashboards.md has no ```json example"
    return json.loads(found.group(1))


def test_the_example_in_the_guide_is_a_valid_document():
    spec = parse_document(json.dumps(guide_example()))
    assert {widget.type for widget in spec.widgets} == set(WIDGET_TYPES), "show every widget type"


def test_valid_documents_validate_against_the_published_schema():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for document in (BASE, guide_example(), {"title": "Empty"}):
        validator.validate(document)
    assert not validator.is_valid(changed(lambda d: d["widgets"][0].update(type="gauge")))
    assert not validator.is_valid(changed(lambda d: d.update(owner="someone")))
