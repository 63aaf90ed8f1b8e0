"""The one path from a widget spec to what is drawn: spec -> query -> frame -> figure.

The builder's preview, the dashboard view, the public link and every export call
`widget_view`; nothing else turns a widget into a figure. Errors a person can fix (a field the
dataset no longer has, a query the builder refuses) come back as `WidgetView.error`, so one
broken widget never blanks a dashboard.
"""

from __future__ import annotations

import dataclasses
import logging

import plotly.graph_objects as go

from charts.markdown import markdown_html
from charts.widgets import build_figure, table_grid
from context import cache, database, now
from data.dashboard_spec import DashboardSpec, WidgetSpec
from data.datasets import UnknownField
from data.query import QueryError
from data.widget_data import CrossFilter, WidgetData, load_widget

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class WidgetView:
    """A widget ready to draw: a figure, AG Grid columns and rows, safe HTML of its markdown, or
    an error."""

    widget: WidgetSpec
    data: WidgetData | None = None
    figure: go.Figure | None = None
    columns: list[dict] | None = None
    rows: list[dict] | None = None
    markdown: str | None = None
    error: str | None = None


def widget_view(widget: WidgetSpec, dashboard: DashboardSpec | None, cross_filters: list[CrossFilter],
                theme: str = "light") -> WidgetView:
    """Load and draw one widget under the dashboard's filters and the active cross-filters."""
    if widget.type == "text":
        return WidgetView(widget, markdown=markdown_html(widget.options.markdown))
    filters = dashboard.filters if dashboard is not None else None
    try:
        data = load_widget(database().engine, cache(), widget,
                           filters.time_range if filters else None,
                           filters.dimensions() if filters else {}, cross_filters, now())
    except (QueryError, UnknownField) as error:
        return WidgetView(widget, error=str(error))
    except Exception:
        log.exception("widget %s could not be loaded", widget.id)
        return WidgetView(widget, error="This widget could not be loaded. The error has been logged.")
    if widget.type == "table":
        columns, rows = table_grid(data)
        return WidgetView(widget, data=data, columns=columns, rows=rows)
    return WidgetView(widget, data=data, figure=build_figure(data, theme))
