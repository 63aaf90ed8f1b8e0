"""The builder's edits, as pure functions on a `DashboardSpec`: each returns a new valid document
(or raises `SpecError`) and leaves the one it was given alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.dashboard_edit import (
    DEFAULT_SIZES,
    add_widget,
    free_spot,
    move_widgets,
    remove_widget,
    replace_widget,
    retitle,
    set_compact,
    set_filters,
)
from data.dashboard_spec import (
    GRID_COLUMNS,
    MAX_GRID_ROWS,
    WIDGET_TYPES,
    DashboardSpec,
    LayoutItem,
    SpecError,
    WidgetSpec,
    dump_document,
    parse_document,
)

DOCUMENT = {
    "title": "Sales pulse",
    "filters": {"region": ["EMEA"]},
    "widgets": [
        {"id": "revenue", "type": "line", "dataset": "sales", "measures": ["revenue"], "time_grain": "day"},
        {"id": "plan", "type": "bar", "dataset": "forecast", "measures": ["forecast_revenue"],
         "dimensions": ["region"]},
        {"id": "notes", "type": "text", "options": {"markdown": "Hello"}},
    ],
    "layout": [{"i": "revenue", "x": 0, "y": 0, "w": 6, "h": 4},
               {"i": "plan", "x": 6, "y": 0, "w": 6, "h": 4},
               {"i": "notes", "x": 0, "y": 4, "w": 4, "h": 3}],
}


@pytest.fixture
def spec() -> DashboardSpec:
    return parse_document(DOCUMENT)


def overlapping(items: list[LayoutItem]) -> list[tuple[str, str]]:
    return [(a.i, b.i) for n, a in enumerate(items) for b in items[n + 1:]
            if a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h]


def assert_valid(spec: DashboardSpec) -> None:
    """Valid on the way out as on the way in, with every widget placed once and nothing overlapping."""
    assert parse_document(dump_document(spec)) == spec
    assert sorted(item.i for item in spec.layout) == sorted(widget.id for widget in spec.widgets)
    assert not overlapping(spec.layout)
    assert all(item.x >= 0 and item.x + item.w <= GRID_COLUMNS for item in spec.layout)


@pytest.mark.parametrize("kind", WIDGET_TYPES)
def test_adding_each_widget_type_gives_a_valid_document_with_it_in_a_free_spot(spec, kind):
    new, widget = add_widget(spec, kind)
    assert_valid(new)
    assert widget.type == kind and new.widget(widget.id) == widget
    assert widget.id not in {w.id for w in spec.widgets}
    assert new.widgets[:-1] == spec.widgets and new.layout[:-1] == spec.layout
    place = new.layout[-1]
    assert place.i == widget.id and (place.w, place.h) == DEFAULT_SIZES[kind]
    assert new.filters == spec.filters and new.title == spec.title


def test_a_new_widget_goes_into_the_first_gap_from_the_top_left(spec):
    new, _ = add_widget(spec, "kpi")  # 3 x 3: fits beside the notes, under the line chart
    assert (new.layout[-1].x, new.layout[-1].y) == (4, 4)
    first, table = add_widget(parse_document({"title": "Empty"}), "table")
    assert first.layout == [LayoutItem(i=table.id, x=0, y=0, w=6, h=5)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(WIDGET_TYPES), min_size=1, max_size=15))
def test_adding_widget_after_widget_never_overlaps(kinds):
    spec = parse_document({"title": "Growing"})
    for kind in kinds:
        spec, widget = add_widget(spec, kind)
        assert spec.widget(widget.id).type == kind
    assert_valid(spec)
    assert [widget.type for widget in spec.widgets] == kinds


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.integers(0, 30), st.integers(1, 12), st.integers(1, 8)),
                max_size=8), st.integers(1, GRID_COLUMNS), st.integers(1, 10))
def test_free_spot_is_inside_the_grid_and_overlaps_nothing(boxes, width, height):
    layout = []
    for n, (x, y, w, h) in enumerate(boxes):
        item = LayoutItem(i=f"b{n}", x=min(x, GRID_COLUMNS - w), y=y, w=w, h=h)
        if not overlapping([*layout, item]):
            layout.append(item)
    x, y = free_spot(layout, width, height)
    assert x >= 0 and x + width <= GRID_COLUMNS and y >= 0
    assert not overlapping([*layout, LayoutItem(i="new", x=x, y=y, w=width, h=height)])


def test_adding_an_unknown_widget_type_is_refused(spec):
    with pytest.raises(SpecError, match="There is no widget type called 'gauge'"):
        add_widget(spec, "gauge")


def test_removing_a_widget_deletes_it_and_its_place_and_keeps_the_rest(spec):
    new = remove_widget(spec, "plan")
    assert_valid(new)
    assert [w.id for w in new.widgets] == ["revenue", "notes"]
    assert [item.i for item in new.layout] == ["revenue", "notes"]
    assert new.widget("revenue") == spec.widget("revenue") and new.layout[1] == spec.layout[2]
    assert remove_widget(spec, "ghost") == spec
    assert remove_widget(remove_widget(new, "revenue"), "notes").widgets == []


def test_replacing_a_widget_changes_only_that_widget(spec):
    changed = spec.widget("plan").model_copy(update={"title": "Plan by category", "dimensions": ["category"]})
    new = replace_widget(spec, changed)
    assert_valid(new)
    assert new.widget("plan") == changed
    assert new.widgets[0] == spec.widgets[0] and new.widgets[2] == spec.widgets[2]
    assert new.layout == spec.layout and new.filters == spec.filters


def test_replacing_refuses_a_widget_that_is_not_there_or_does_not_fit_its_dataset(spec):
    with pytest.raises(SpecError, match="There is no widget 'ghost' on this dashboard"):
        replace_widget(spec, WidgetSpec(id="ghost", type="text"))
    # model_copy skips validation: the document check on the way out still catches a bad field
    foreign = spec.widget("plan").model_copy(update={"dimensions": ["country"]})
    with pytest.raises(SpecError, match="Forecast has no dimension called 'country'"):
        replace_widget(spec, foreign)


def test_moving_widgets_applies_positions_by_id_and_leaves_the_others(spec):
    new = move_widgets(spec, {"notes": (8, 4, 4, 2), "ghost": (0, 0, 1, 1)})
    assert_valid(new)
    assert new.layout[2] == LayoutItem(i="notes", x=8, y=4, w=4, h=2)
    assert new.layout[:2] == spec.layout[:2] and new.widgets == spec.widgets


@pytest.mark.parametrize(("position", "clamped"), [
    ((-3, -2, 4, 3), (0, 0, 4, 3)),
    ((3, 1999, 4, 60), (3, 1940, 4, 60)),  # the tallest a widget may be, ending on the last row
    ((11, 7, 6, 3), (6, 7, 6, 3)),  # pulled back left so that it ends at column 12
    ((0, 7, 20, 3), (0, 7, 12, 3)),
    ((5, 7, 0, 0), (5, 7, 1, 1)),
    ((12, 7, 1, 1), (11, 7, 1, 1)),
    ((2.7, 7.2, 3.9, 1.5), (2, 7, 3, 1)),
])
def test_moving_clamps_positions_that_fall_off_the_grid(spec, position, clamped):
    alone = remove_widget(remove_widget(spec, "revenue"), "plan")
    new = move_widgets(alone, {"notes": position})
    assert_valid(new)
    (item,) = new.layout
    assert (item.x, item.y, item.w, item.h) == clamped


@pytest.mark.parametrize("position", [(0, MAX_GRID_ROWS + 500, 4, 3), (0, 7, 4, 100)])
def test_moving_clamps_positions_below_the_grid_or_too_tall(spec, position):
    item = move_widgets(spec, {"notes": position}).layout[2]
    assert item.y < MAX_GRID_ROWS and item.h <= 60


def test_moving_a_widget_onto_another_is_refused(spec):
    with pytest.raises(SpecError, match="widgets 'revenue' and 'notes' overlap"):
        move_widgets(spec, {"notes": (2, 2, 4, 3)})


@pytest.mark.parametrize("compact", [False, True])
def test_set_compact_switches_vertical_compaction_and_nothing_else(spec, compact):
    new = set_compact(spec, compact)
    assert new.compact is compact
    assert new.model_copy(update={"compact": spec.compact}) == spec
    assert set_compact(spec, 0).compact is False and set_compact(spec, "yes").compact is True


def test_retitle_changes_the_title(spec):
    new = retitle(spec, "Weekly pulse ✨")
    assert new.title == "Weekly pulse ✨" and new.widgets == spec.widgets and new.layout == spec.layout


@pytest.mark.parametrize(("title", "message"), [
    ("", "title: String should have at least 1 character"),
    ("   ", "title: the title cannot be blank"),
    ("two\nlines", "title: must be one line of text, without control characters"),
    ("x" * 201, "title: String should have at most 200 characters"),
])
def test_retitle_refuses_a_blank_or_malformed_title(spec, title, message):
    with pytest.raises(SpecError) as caught:
        retitle(spec, title)
    assert message in caught.value.problems


def test_set_filters_replaces_the_dashboard_filters(spec):
    new = set_filters(spec, {"time_range": {"relative": "last_7_days"}, "category": ["Bikes"]})
    assert new.filters.dimensions() == {"category": ["Bikes"]}
    assert new.filters.time_range.relative == "last_7_days"
    with pytest.raises(SpecError, match="'Not a name' is not a dimension name"):
        set_filters(spec, {"Not a name": ["x"]})


def test_edits_leave_the_original_document_unchanged(spec):
    before = spec.to_json()
    add_widget(spec, "pie")
    remove_widget(spec, "plan")
    move_widgets(spec, {"notes": (8, 4, 4, 2)})
    retitle(spec, "Other")
    set_compact(spec, False)
    assert spec.to_json() == before == parse_document(DOCUMENT).to_json()
