"""Edits the builder makes to a document, as pure functions: each takes a `DashboardSpec` and
returns a new, validated one (or raises `SpecError`), so undo is just keeping the old one."""

from __future__ import annotations

import secrets
from typing import Any

from data.dashboard_spec import (
    GRID_COLUMNS,
    MAX_GRID_ROWS,
    MAX_WIDGET_HEIGHT,
    DashboardSpec,
    LayoutItem,
    SpecError,
    WidgetSpec,
    parse_document,
    widget_field_problems,
)

DEFAULT_WIDGETS: dict[str, dict[str, Any]] = {
    "kpi": {"title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
    "line": {"title": "Revenue by day", "dataset": "sales", "measures": ["revenue"], "time_grain": "day"},
    "area": {"title": "Revenue by category", "dataset": "sales", "measures": ["revenue"],
             "dimensions": ["category"], "time_grain": "week", "options": {"stacked": True}},
    "bar": {"title": "Revenue by region", "dataset": "sales", "measures": ["revenue"],
            "dimensions": ["region"]},
    "pie": {"title": "Revenue mix by category", "dataset": "sales", "measures": ["revenue"],
            "dimensions": ["category"], "options": {"donut": True}},
    "scatter": {"title": "Revenue and margin by product", "dataset": "sales",
                "measures": ["revenue", "margin_pct"], "dimensions": ["product"]},
    "heatmap": {"title": "Revenue by region and category", "dataset": "sales", "measures": ["revenue"],
                "dimensions": ["region", "category"]},
    "table": {"title": "Top countries", "dataset": "sales", "measures": ["revenue", "orders", "margin_pct"],
              "dimensions": ["country"], "limit": 50},
    "text": {"title": "", "options": {"markdown": "### Notes\n\nWrite **markdown** here: headings, "
                                                 "lists, [links](https://example.com)."}},
}
DEFAULT_SIZES = {"kpi": (3, 3), "line": (6, 4), "area": (6, 4), "bar": (6, 4), "pie": (4, 4),
                 "scatter": (6, 4), "heatmap": (6, 4), "table": (6, 5), "text": (4, 3)}


def _rebuild(spec: DashboardSpec, **changes) -> DashboardSpec:
    # Structure only: a widget whose measure was renamed must not block fixing or removing it.
    # The editor checks the widget it changes against its dataset, and every save checks all.
    document = spec.to_json()
    document.update({key: _json(value) for key, value in changes.items()})
    return parse_document(document, check_fields=False)


def _json(value):
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value


def new_widget_id(spec: DashboardSpec) -> str:
    taken = {widget.id for widget in spec.widgets}
    while True:
        candidate = "w" + secrets.token_hex(3)
        if candidate not in taken:
            return candidate


def free_spot(layout: list[LayoutItem], width: int, height: int) -> tuple[int, int]:
    """The first place, row by row from the top left, where a `width` x `height` widget fits."""
    bottom = max((item.y + item.h for item in layout), default=0)
    for y in range(bottom + 1):
        for x in range(GRID_COLUMNS - width + 1):
            if not any(x < item.x + item.w and item.x < x + width
                       and y < item.y + item.h and item.y < y + height for item in layout):
                return x, y
    return 0, bottom


def add_widget(spec: DashboardSpec, kind: str) -> tuple[DashboardSpec, WidgetSpec]:
    """Add a widget of type `kind` with sensible settings, in the first gap it fits from the top
    left; raises `SpecError` when the grid has no room left."""
    if kind not in DEFAULT_WIDGETS:
        raise SpecError([f"There is no widget type called {kind!r}."])
    widget = WidgetSpec.model_validate({"id": new_widget_id(spec), "type": kind, **DEFAULT_WIDGETS[kind]})
    width, height = DEFAULT_SIZES[kind]
    x, y = free_spot(spec.layout, width, height)
    if y + height > MAX_GRID_ROWS:
        raise SpecError([f"The grid is full: a dashboard is at most {MAX_GRID_ROWS} rows tall."])
    place = LayoutItem(i=widget.id, x=x, y=y, w=width, h=height)
    return _rebuild(spec, widgets=[*spec.widgets, widget], layout=[*spec.layout, place]), widget


def remove_widget(spec: DashboardSpec, widget_id: str) -> DashboardSpec:
    return _rebuild(spec, widgets=[w for w in spec.widgets if w.id != widget_id],
                    layout=[item for item in spec.layout if item.i != widget_id])


def replace_widget(spec: DashboardSpec, widget: WidgetSpec) -> DashboardSpec:
    """Put `widget` in place of the widget with its id; raises `SpecError` if there is none, or
    if it names fields its dataset does not declare."""
    if widget.id not in {w.id for w in spec.widgets}:
        raise SpecError([f"There is no widget {widget.id!r} on this dashboard."])
    problems = widget_field_problems(widget)
    if problems:  # the widget being changed must fit its dataset; others are left as they are
        raise SpecError(problems)
    return _rebuild(spec, widgets=[widget if w.id == widget.id else w for w in spec.widgets])


def move_widgets(spec: DashboardSpec, positions: dict[str, tuple[int, int, int, int]]) -> DashboardSpec:
    """Apply grid positions (x, y, w, h) by widget id; widgets without one keep theirs."""
    layout = []
    for item in spec.layout:
        x, y, w, h = positions.get(item.i, (item.x, item.y, item.w, item.h))
        w = max(1, min(int(w), GRID_COLUMNS))
        h = max(1, min(int(h), MAX_WIDGET_HEIGHT))
        layout.append(LayoutItem(i=item.i, x=max(0, min(int(x), GRID_COLUMNS - w)),
                                 y=max(0, min(int(y), MAX_GRID_ROWS - h)), w=w, h=h))
    return _rebuild(spec, layout=layout)


def retitle(spec: DashboardSpec, title: str) -> DashboardSpec:
    return _rebuild(spec, title=title)


def set_compact(spec: DashboardSpec, compact: bool) -> DashboardSpec:
    return _rebuild(spec, compact=bool(compact))


def set_filters(spec: DashboardSpec, filters: dict) -> DashboardSpec:
    return _rebuild(spec, filters=filters)
