"""What every export file is written from: a `Report` of `ExportItem`s, with no Dash and no I/O.

`exports.collect` builds these from the same `pipeline.widget_view` the screen draws, so a PDF,
a workbook, a CSV and an image all hold the figure and the aggregated rows the user saw. The
writers (`exports.pdf`, `exports.excel`, `exports.csv_files`) only read them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Literal

import plotly.graph_objects as go

ColumnKind = Literal["text", "number", "date", "datetime"]
# Number formats, as `charts.formatting` names them; None for text and dates.
NumberFormat = Literal["currency", "percent", "integer", "decimal"]
# "chart" is the one-click export of a single chart; the other three are the dialog's templates.
Template = Literal["executive", "detailed", "audit", "chart"]
TEMPLATES: dict[str, str] = {"executive": "Executive summary", "detailed": "Detailed report",
                             "audit": "Audit"}
PAGE_SIZES = ("A4", "Letter")
ORIENTATIONS = ("portrait", "landscape")


class Cancelled(Exception):
    """The user cancelled the export; whatever was half written is removed."""


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a widget's data table."""

    name: str  # the field name in the query (`revenue`, `region`, `bucket`)
    label: str  # what a person reads in the header ("Revenue", "Region", "Time")
    kind: ColumnKind = "text"
    format: NumberFormat | None = None  # for numbers: how Excel and the PDF show them
    currency: str = "USD"


@dataclasses.dataclass(frozen=True)
class Table:
    """A widget's aggregated rows: plain Python values (str, int, float, datetime, None)."""

    columns: tuple[Column, ...]
    rows: Sequence[tuple]

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def sha256(self) -> str:
        """A fingerprint of the table for audit reports: the same header and values give the
        same hash on any machine (one JSON array per line, dates in ISO 8601)."""
        digest = hashlib.sha256()
        digest.update(json.dumps([column.name for column in self.columns]).encode() + b"\n")
        for row in self.rows:
            digest.update(json.dumps(list(row), default=_iso, ensure_ascii=False).encode() + b"\n")
        return digest.hexdigest()


def _iso(value) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go in an export table")


@dataclasses.dataclass(frozen=True)
class Kpi:
    """A KPI's headline: value against the period before."""

    label: str
    value: float | None
    previous: float | None
    format: NumberFormat = "decimal"
    currency: str = "USD"
    higher_is_better: bool = True

    @property
    def delta(self) -> float | None:
        """The relative change against the previous period, or None when it is undefined."""
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclasses.dataclass(frozen=True)
class ExportItem:
    """One widget (or Overview chart) as the user sees it, ready for any file format.

    `kind` is the widget type: kpi, line, area, bar, pie, scatter, heatmap, table, text.
    `figure` is the themed figure with the user's zoom and hidden legend entries applied (None
    for tables, text and errors). `images` maps "svg"/"png" to bytes rendered from `figure`
    by the warm renderer; the collector fills it when a format needs pictures.
    """

    id: str
    title: str
    kind: str
    figure: go.Figure | None = None
    table: Table | None = None
    kpi: Kpi | None = None
    text: str | None = None  # a text widget's markdown source, printed as plain text
    error: str | None = None  # why the widget could not be drawn; writers print it in place
    filters: tuple[str, ...] = ()  # every filter in force, as a person reads it
    time_range: str | None = None  # "Last 30 days" or "2026-01-01 to 2026-03-31"
    as_of: dt.datetime | None = None  # when the data was read (naive UTC)
    data_version: int | None = None
    stacked: bool = False
    horizontal: bool = False
    donut: bool = False
    images: dict[str, bytes] = dataclasses.field(default_factory=dict)

    @property
    def has_chart(self) -> bool:
        return self.figure is not None and self.error is None


@dataclasses.dataclass(frozen=True)
class Report:
    """A whole export: a dashboard (or one chart) with the choices made in the dialog."""

    title: str
    items: tuple[ExportItem, ...]
    template: Template = "detailed"
    generated_by: str = ""
    generated_at: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC)
                                                  .replace(tzinfo=None))
    filters: tuple[str, ...] = ()  # the dashboard-level filters in force, as a person reads them
    page_size: Literal["A4", "Letter"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    theme: Literal["light", "dark"] = "light"
    source: str = ""  # "Dashboard 12, version 7" or "Overview"; printed on covers and summaries

    @property
    def kpis(self) -> list[ExportItem]:
        return [item for item in self.items if item.kpi is not None and item.error is None]
