"""The dashboard document: `DashboardSpec` with its `WidgetSpec`s and `LayoutItem`s.

One pydantic model, validated on every load and every save. Anything it cannot vouch for (an
unknown widget type or field, a layout item that points nowhere, overlapping or out-of-bounds
layout, a document over 1 MB or 200 widgets) is refused with a message a person can act on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from data.datasets import NoDatasetAccess, UnknownField, get_dataset
from data.query import GRAINS, OPERATORS

SCHEMA_VERSION = 1
GRID_COLUMNS = 12
MAX_GRID_ROWS = 2000
MAX_WIDGET_HEIGHT = 60
MAX_WIDGETS = 200
MAX_DOCUMENT_BYTES = 1_000_000
WIDGET_TYPES = ("kpi", "line", "area", "bar", "pie", "scatter", "heatmap", "table", "text")
RELATIVE_RANGES = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "last_365_days": "Last 365 days",
    "month_to_date": "Month to date",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "all_time": "All time",
}
NUMBER_FORMATS = ("auto", "currency", "percent", "integer", "decimal")
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"  # one line, no control characters (PostgreSQL refuses NUL)
WIDGET_ID = r"^[A-Za-z0-9_-]{1,40}$"

Scalar = str | int | float | bool
Grain = Literal["minute", "hour", "day", "week", "month", "quarter", "year"]
assert set(Grain.__args__) == set(GRAINS)  # one list of grains, checked where both are seen
Operator = Literal["in", "not_in", "eq", "ne", "gt", "gte", "lt", "lte"]
assert set(Operator.__args__) == set(OPERATORS)
RelativeRange = Literal[tuple(RELATIVE_RANGES)]  # type: ignore[valid-type]


class SpecError(ValueError):
    """A document that cannot be accepted; `problems` lists each reason, ready to show."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TimeRange(_Strict):
    """Either a range relative to now, or absolute dates (`start` and `end` both included)."""

    relative: RelativeRange | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> TimeRange:
        absolute = self.start is not None or self.end is not None
        if self.relative is not None and absolute:
            raise ValueError("a time range is either relative or absolute, not both")
        if self.relative is None and (self.start is None or self.end is None):
            raise ValueError("an absolute time range needs both a start and an end date")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("the time range starts after it ends")
        return self

    @property
    def label(self) -> str:
        """How people read it: "Last 30 days", or "2026-01-01 to 2026-03-31"."""
        if self.relative is not None:
            return RELATIVE_RANGES[self.relative]
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


class FilterSpec(_Strict):
    field: Annotated[str, Field(max_length=64)]
    op: Operator = "in"
    value: Scalar | Annotated[list[Scalar], Field(max_length=1000)] | None = None

    @model_validator(mode="after")
    def _list_for_in(self) -> FilterSpec:
        if (self.op in ("in", "not_in")) != isinstance(self.value, list):
            raise ValueError(f"operator '{self.op}' needs "
                             + ("a list of values" if self.op in ("in", "not_in") else "one value"))
        return self


class MeasureRef(_Strict):
    """A measure with its aggregation changed to another one the dataset allows."""

    name: Annotated[str, Field(max_length=64)]
    aggregation: Literal["sum", "avg", "count", "count_distinct", "min", "max"]


class SortSpec(_Strict):
    field: Annotated[str, Field(max_length=64)]
    descending: bool = True


class WidgetOptions(_Strict):
    """How a widget looks; every field has a default, so `{}` is a valid set of options."""

    stacked: bool = False
    orientation: Literal["vertical", "horizontal"] = "vertical"
    donut: bool = False
    show_legend: bool = True
    x_label: Annotated[str, Field(max_length=120)] | None = None
    y_label: Annotated[str, Field(max_length=120)] | None = None
    colors: Annotated[list[Annotated[str, Field(pattern=HEX_COLOUR)]], Field(max_length=24)] = []
    number_format: Literal["auto", "currency", "percent", "integer", "decimal"] = "auto"
    markdown: Annotated[str, Field(max_length=20_000)] = ""


class WidgetSpec(_Strict):
    id: Annotated[str, Field(pattern=WIDGET_ID)]
    type: Literal["kpi", "line", "area", "bar", "pie", "scatter", "heatmap", "table", "text"]
    title: Annotated[str, Field(max_length=200, pattern=PLAIN_TEXT)] = ""
    dataset: Annotated[str, Field(max_length=64)] | None = None
    measures: Annotated[list[str | MeasureRef], Field(max_length=10)] = []
    dimensions: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=3)] = []
    time_grain: Grain | None = None
    time_range: TimeRange | None = None
    filters: Annotated[list[FilterSpec], Field(max_length=20)] = []
    sort: SortSpec | None = None
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None
    refresh_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0
    options: WidgetOptions = WidgetOptions()

    @field_validator("refresh_seconds")
    @classmethod
    def _refresh_floor(cls, value: int) -> int:
        if 0 < value < 5:
            raise ValueError("refresh at most every 5 seconds (0 turns refreshing off)")
        return value

    @model_validator(mode="after")
    def _shape_fits_type(self) -> WidgetSpec:
        for problem in widget_shape_problems(self):
            raise ValueError(problem)
        return self


class LayoutItem(_Strict):
    """A widget's place on the 12-column grid, in grid units."""

    i: Annotated[str, Field(pattern=WIDGET_ID)]
    x: Annotated[int, Field(ge=0, lt=GRID_COLUMNS)]
    y: Annotated[int, Field(ge=0, lt=MAX_GRID_ROWS)]
    w: Annotated[int, Field(ge=1, le=GRID_COLUMNS)]
    h: Annotated[int, Field(ge=1, le=MAX_WIDGET_HEIGHT)]

    @model_validator(mode="after")
    def _inside_grid(self) -> LayoutItem:
        if self.x + self.w > GRID_COLUMNS:
            raise ValueError(f"widget {self.i!r} reaches past column {GRID_COLUMNS}")
        if self.y + self.h > MAX_GRID_ROWS:
            raise ValueError(f"widget {self.i!r} reaches past row {MAX_GRID_ROWS}")
        return self


class DashboardFilters(BaseModel):
    """Dashboard-wide filters: an optional time range, and dimension name -> allowed values."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, Annotated[list[Scalar], Field(max_length=1000)]] = Field(init=False)

    time_range: TimeRange | None = None

    @model_validator(mode="after")
    def _dimension_names(self) -> DashboardFilters:
        for name in self.__pydantic_extra__ or {}:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
                raise ValueError(f"{name!r} is not a dimension name")
        return self

    def dimensions(self) -> dict[str, list[Scalar]]:
        return dict(self.__pydantic_extra__ or {})


class DashboardSpec(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    title: Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT)]
    description: Annotated[str, Field(max_length=2000)] = ""
    compact: bool = True
    filters: DashboardFilters = DashboardFilters()
    widgets: Annotated[list[WidgetSpec], Field(max_length=MAX_WIDGETS)] = []
    layout: Annotated[list[LayoutItem], Field(max_length=MAX_WIDGETS)] = []

    @field_validator("schema_version", mode="before")
    @classmethod
    def _exact_version(cls, value: Any) -> Any:
        if type(value) is not int:  # True and 1.0 equal 1 in Python, but are not a version
            raise ValueError(f"schema_version must be the integer {SCHEMA_VERSION}")
        return value

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the title cannot be blank")
        return value

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> DashboardSpec:
        # Stored documents are loaded without the dataset check, so a renamed measure breaks
        # one widget (which says why) rather than the whole dashboard; saves always check.
        check_fields = (info.context or {}).get("check_fields", True)
        problems = layout_problems(self) + (field_problems(self) if check_fields else [])
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def widget(self, widget_id: str) -> WidgetSpec:
        for widget in self.widgets:
            if widget.id == widget_id:
                return widget
        raise KeyError(widget_id)

    def to_json(self) -> dict[str, Any]:
        """The document as plain JSON types, in the published schema's shape."""
        return self.model_dump(mode="json", exclude_none=True)


# -- rules that involve more than one field ---------------------------------------------------

def measure_name(ref: str | MeasureRef) -> str:
    """The key a measure reference is queried and shown under (`revenue`, or `revenue__avg`)."""
    return ref if isinstance(ref, str) else f"{ref.name}__{ref.aggregation}"


def widget_shape_problems(widget: WidgetSpec) -> list[str]:
    """What a widget of this type still needs (or must not have)."""
    where = f"widget {widget.id!r} ({widget.type})"
    if widget.type == "text":
        if (widget.dataset or widget.measures or widget.dimensions or widget.filters or widget.sort
                or widget.time_grain or widget.time_range or widget.limit):
            return [f"{where} shows markdown only: it takes no dataset, measures, dimensions, "
                    "filters, sort, limit or time settings"]
        return []
    names = [measure_name(ref) for ref in widget.measures]
    if len(set(names)) < len(names) or len(set(widget.dimensions)) < len(widget.dimensions):
        return [f"{where} lists the same measure or dimension twice"]
    if not widget.dataset:
        return [f"{where} needs a dataset"]
    if not widget.measures:
        return [f"{where} needs at least one measure"]
    count = len(widget.measures)
    if widget.type in ("kpi", "pie", "heatmap") and count != 1:
        return [f"{where} shows exactly one measure"]
    if widget.type == "scatter" and count != 2:
        return [f"{where} needs two measures, one for each axis"]
    if widget.type in ("line", "area") and not widget.time_grain:
        return [f"{where} needs a time grain"]
    if widget.type in ("line", "area", "bar", "pie") and len(widget.dimensions) > 1:
        return [f"{where} groups by at most one dimension"]
    if widget.type == "pie" and (len(widget.dimensions) != 1 or widget.time_grain):
        return [f"{where} needs one dimension to slice by, and no time grain"]
    if widget.type == "bar" and not (widget.dimensions or widget.time_grain):
        return [f"{where} needs a dimension or a time grain for its bars"]
    if widget.type == "heatmap" and len(widget.dimensions) + bool(widget.time_grain) != 2:
        return [f"{where} needs two axes: two dimensions, or one dimension and a time grain"]
    if widget.type == "kpi" and (widget.dimensions or widget.time_grain):
        return [f"{where} shows one number: it takes no dimensions or time grain"]
    return []


def _repeated(names: list[str]) -> list[str]:
    return sorted({name for name in names if names.count(name) > 1})


def layout_problems(spec: DashboardSpec) -> list[str]:
    ids = [widget.id for widget in spec.widgets]
    placed = [item.i for item in spec.layout]
    problems = [f"widget id {i!r} is used more than once" for i in _repeated(ids)]
    problems += [f"the layout places {i!r} more than once" for i in _repeated(placed)]
    problems += [f"the layout places {i!r}, which is not a widget" for i in placed if i not in ids]
    problems += [f"widget {i!r} has no place in the layout" for i in ids if i not in placed]
    items = spec.layout
    for index, first in enumerate(items):
        for second in items[index + 1:]:
            if (first.x < second.x + second.w and second.x < first.x + first.w
                    and first.y < second.y + second.h and second.y < first.y + first.h):
                problems.append(f"widgets {first.i!r} and {second.i!r} overlap")
    return problems


def widget_field_problems(widget: WidgetSpec, unreadable_ok: bool = False) -> list[str]:
    """The dataset, measures, aggregations, dimensions and filter fields one widget names that
    its dataset does not declare (none for text widgets). With `unreadable_ok`, a widget over a
    user's dataset that exists but that the reader may not read is left unchecked: a co-editor
    without access may save the dashboard, and that widget shows them "no access"."""
    if widget.dataset is None:
        return []
    where = f"widget {widget.id!r}"
    try:
        dataset = get_dataset(widget.dataset)
    except NoDatasetAccess as error:
        return [] if unreadable_ok and error.exists else [f"{where}: {error}"]
    except UnknownField as error:
        return [f"{where}: {error}"]
    problems, names = [], []
    for ref in widget.measures:
        name = ref if isinstance(ref, str) else ref.name
        try:
            measure = dataset.measure(name)
        except UnknownField as error:
            problems.append(f"{where}: {error}")
            continue
        if isinstance(ref, MeasureRef) and ref.aggregation not in measure.aggregations:
            allowed = ", ".join(measure.aggregations) or "none"
            problems.append(f"{where}: {measure.label} cannot be aggregated by {ref.aggregation} "
                            f"(allowed: {allowed})")
        names.append(measure_name(ref))
    for field in list(widget.dimensions) + [item.field for item in widget.filters]:
        try:
            dataset.dimension(field)
        except UnknownField as error:
            problems.append(f"{where}: {error}")
    if widget.sort is not None:
        sortable = set(names) | set(widget.dimensions) | ({"bucket"} if widget.time_grain else set())
        if widget.sort.field not in sortable:
            problems.append(f"{where}: cannot sort by {widget.sort.field!r}, which it does not show")
    return problems


def field_problems(spec: DashboardSpec) -> list[str]:
    """Every widget's fields its dataset does not declare."""
    return [problem for widget in spec.widgets
            for problem in widget_field_problems(widget, unreadable_ok=True)]


# -- loading and saving -----------------------------------------------------------------------

def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part) or part in (
                "str", "int", "float", "bool", "list[...]", "MeasureRef", "none", "is-instance"):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


PATTERN_MESSAGES = {
    PLAIN_TEXT: "must be one line of text, without control characters",
    HEX_COLOUR: "must be a colour written like #4f46e5",
    WIDGET_ID: "must be 1 to 40 letters, digits, '-' or '_'",
}


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch":
            message = PATTERN_MESSAGES.get(item.get("ctx", {}).get("pattern"), message)
        where = _location(item["loc"])
        problem = f"{where}: {message}" if where else message
        if problem not in problems:
            problems.append(problem)
    return problems[:20]


def parse_document(document: str | bytes | dict, check_fields: bool = True) -> DashboardSpec:
    """Validate a dashboard document (JSON text or already parsed); raises `SpecError`.

    `check_fields=False` skips checking datasets, measures and dimensions against the semantic
    layer: for documents already stored, whose datasets may have changed since.
    """
    try:
        document = _decoded(document)
    except UnicodeError:
        raise SpecError(["The document contains text that is not valid Unicode (UTF-8)."]) from None
    except RecursionError:
        raise SpecError(["The document is nested too deeply."]) from None
    version = document.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise SpecError([f"schema_version {repr(version)[:40]} is not supported (this Pulseboard "
                         f"reads version {SCHEMA_VERSION})."])
    widgets = document.get("widgets")
    if isinstance(widgets, list) and len(widgets) > MAX_WIDGETS:
        raise SpecError([f"A dashboard holds at most {MAX_WIDGETS} widgets; this one has {len(widgets)}."])
    try:
        return DashboardSpec.model_validate(document, context={"check_fields": check_fields})
    except ValidationError as error:
        raise SpecError(_problems(error)) from None
    except RecursionError:
        raise SpecError(["The document is nested too deeply."]) from None


def _decoded(document: str | bytes | dict) -> dict:
    """JSON text parsed (or a parsed document checked), within the size limit; raises
    `SpecError`, or `UnicodeError` for text that cannot be stored."""
    if isinstance(document, str | bytes):
        size = len(document.encode() if isinstance(document, str) else document)
        if size > MAX_DOCUMENT_BYTES:
            raise SpecError([f"The document is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB."])
        try:
            document = json.loads(document, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            if isinstance(error, UnicodeError):
                raise
            raise SpecError([f"This is not valid JSON ({error})."]) from None
    if not isinstance(document, dict):
        raise SpecError(["A dashboard document is a JSON object."])
    if len(json.dumps(document, default=str, ensure_ascii=False).encode()) > MAX_DOCUMENT_BYTES:
        raise SpecError([f"The document is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB."])
    return document


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def dump_document(spec: DashboardSpec, check_fields: bool = True) -> str:
    """The canonical JSON text of a document (validated again on the way out)."""
    text = json.dumps(spec.to_json(), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    parse_document(text, check_fields=check_fields)
    return text


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the document, as published in docs/dashboard-schema.json."""
    schema = DashboardSpec.model_json_schema()
    schema["$id"] = "https://pulseboard.dev/schemas/dashboard-v1.json"
    schema["title"] = "Pulseboard dashboard"
    return schema
