"""What the alert dialog says about a widget's measure: its current value, computed through the
one widget path (`pipeline.widget_view`, as `delivery/alert_checks.py` reads it to evaluate the
alert), never with SQL of its own. Not a callback module."""

from __future__ import annotations

from dash import html

from charts.formatting import format_value
from components.widgets import TYPE_LABELS
from data.alert_form import number_text, shown
from data.dashboard_spec import DashboardSpec, WidgetSpec, measure_name
from data.datasets import UnknownField, get_dataset
from pipeline import WidgetView, widget_view

MEASURE_GONE = "no longer on the widget"


def widget_label(widget: WidgetSpec) -> str:
    """A widget as people know it: its title, or its kind."""
    return widget.title or TYPE_LABELS.get(widget.type, widget.type)


def as_kpi(widget: WidgetSpec, measure: str) -> WidgetSpec:
    """A KPI card of one of the widget's measures over the widget's own range and filters: what
    an alert on that measure watches. Raises `KeyError` if the widget does not show it."""
    ref = next((ref for ref in widget.measures if measure_name(ref) == measure), None)
    if ref is None:
        raise KeyError(measure)
    if widget.type == "kpi":
        return widget
    return WidgetSpec(id=widget.id, type="kpi", title=widget.title, dataset=widget.dataset, measures=[ref],
                      filters=widget.filters, time_range=widget.time_range)


def current_value(dashboard: DashboardSpec, widget: WidgetSpec, measure: str) -> WidgetView:
    """The measure now, under the saved dashboard's filters (those the alert is evaluated with,
    not the ones changed on screen); raises `KeyError` if the widget does not show it."""
    return widget_view(as_kpi(widget, measure), dashboard, [])


def current_value_text(dashboard: DashboardSpec, widget: WidgetSpec, measure: str) -> list | str:
    """"Now: $7.21M over the last 30 days (a threshold compares with 7,213,456.12)"."""
    try:
        view = current_value(dashboard, widget, measure)
        declared = get_dataset(widget.dataset).measure(measure)
    except KeyError:
        return f"This measure is {MEASURE_GONE}."
    except UnknownField as error:
        return str(error)
    if view.error or view.data is None:
        return view.error or "The current value could not be computed."
    value = view.data.value
    period = view.data.range.label.lower()
    if value is None:
        return f"No value yet over {period}."
    shown_value = format_value(value, declared.format, declared.currency)
    compared = number_text(round(shown(declared, value), 4)) + ("%" if declared.format == "percent" else "")
    exact = "" if compared == shown_value else f" (a threshold compares with {compared})"
    return ["Now: ", html.Strong(shown_value, className="pb-alert-value"), f" over {period}{exact}"]
