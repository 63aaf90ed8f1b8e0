"""The Overview's charts as `ExportItem`s: drawn by the same `charts.overview` functions from the
same `data.overview` answers the page shows, under the filters in the user's URL."""

from __future__ import annotations

import datetime as dt

from charts.overview import colour_map, forecast_figure, mix_figure, region_figure, stream_figure
from data.overview import load_overview
from data.overview_filters import OverviewFilters
from data.overview_panels import forecast_vs_actual
from data.periods import resolve_period
from exports.collect import apply_view
from exports.document import Column, ExportItem, Table

CHARTS = {
    "stream": "Revenue per minute",
    "regions": "Revenue by region",
    "mix": "Category mix",
    "forecast": "Forecast versus actual",
}
KINDS = {"stream": "bar", "regions": "line", "mix": "pie", "forecast": "bar"}  # for native Excel charts


def _times(values: list[str]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(value) for value in values]


def _filter_lines(filters: OverviewFilters, period_label: str) -> tuple[str, ...]:
    lines = [f"Period: {period_label}"]
    for name in ("region", "category", "segment"):
        values = getattr(filters, name)
        if values:
            lines.append(f"{name.capitalize()} is {', '.join(values)}")
    return tuple(lines)


def overview_item(
    key: str,
    engine,
    cache,
    filters: OverviewFilters,
    options: dict[str, list[str]],
    theme: str,
    now: dt.datetime,
    view: dict | None = None,
) -> ExportItem:
    """One Overview chart (`key` in `CHARTS`) with its data table, as the user sees it."""
    if key not in CHARTS:
        raise ValueError(f"no Overview chart called {key!r}")
    period = resolve_period(filters.period, now, filters.start, filters.end)
    lines = _filter_lines(filters, period.label)
    money = "currency"
    if key == "forecast":
        plan = forecast_vs_actual(engine, cache, filters, period, now)
        figure = forecast_figure(plan["months"], plan["actual"], plan["forecast"], theme)
        table = Table(
            (
                Column("month", "Month", "date"),
                Column("actual", "Actual", "number", money),
                Column("forecast", "Forecast", "number", money),
                Column("variance", "Variance", "number", "percent"),
            ),
            list(
                zip(_times(plan["months"]), plan["actual"], plan["forecast"], plan["variance"], strict=True)
            ),
        )
    else:
        data = load_overview(engine, cache, filters, now)
        if key == "stream":
            figure = stream_figure(data["stream"]["x"], data["stream"]["y"], theme)
            table = Table(
                (Column("minute", "Minute", "datetime"), Column("revenue", "Revenue", "number", money)),
                list(zip(_times(data["stream"]["x"]), data["stream"]["y"], strict=True)),
            )
        elif key == "regions":
            traces = data["regions"]["traces"]
            figure = region_figure(data["regions"]["x"], traces, theme, colour_map(options["region"]))
            columns = (
                Column("bucket", "Time", "datetime"),
                *(Column(name, name, "number", money) for name in traces),
            )
            table = Table(columns, list(zip(_times(data["regions"]["x"]), *traces.values(), strict=True)))
        else:
            figure = mix_figure(data["mix"], theme, colour_map(options["category"]))
            table = Table(
                (Column("category", "Category"), Column("revenue", "Revenue", "number", money)),
                list(data["mix"].items()),
            )
    return ExportItem(
        key,
        CHARTS[key],
        KINDS[key],
        figure=apply_view(figure, view),
        table=table,
        filters=lines,
        time_range=period.label,
        as_of=now,
        donut=key == "mix",
    )
