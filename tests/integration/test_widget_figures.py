"""Every widget type drawn by `build_figure` from real query results: the trace kinds a person
sees, the labels, the theme, and the values a click sends back for cross-filtering."""

from __future__ import annotations

import datetime as dt

import pytest

from charts.theme import DARK_GRID
from charts.widgets import NotAFigure, build_figure, table_grid
from context import EXTENSION
from data.dashboard_edit import DEFAULT_WIDGETS
from data.dashboard_spec import WidgetSpec
from data.widget_data import WidgetData, load_widget
from tests.conftest import DEMO_END

NOW = DEMO_END + dt.timedelta(minutes=5)
TRACES = {"kpi": {"indicator", "scatter"}, "line": {"scatter"}, "area": {"scatter"}, "bar": {"bar"},
          "pie": {"pie"}, "scatter": {"scatter"}, "heatmap": {"heatmap"}, "table": {"table"}}


@pytest.fixture
def draw(app):
    services = app.server.extensions[EXTENSION]

    def _draw(kind: str, theme: str = "light", **changes):
        spec = WidgetSpec.model_validate({"id": "w", "type": kind, **DEFAULT_WIDGETS[kind], **changes})
        data = load_widget(services.database.engine, services.cache, spec, None, {}, [], NOW)
        return data, build_figure(data, theme)

    return _draw


@pytest.mark.parametrize("kind", sorted(TRACES))
def test_each_widget_type_draws_its_kind_of_chart_with_data(draw, kind):
    data, figure = draw(kind)
    assert {trace.type for trace in figure.data} == TRACES[kind]
    def points(trace) -> int:
        if trace.type == "indicator":
            return 1 if trace.value is not None else 0
        if trace.type == "table":
            return len(trace.cells.values[0])
        return len(trace.x if trace.type not in ("pie", "heatmap") else
                   trace.values if trace.type == "pie" else trace.z)

    assert all(points(trace) > 0 for trace in figure.data)
    assert not data.frame.empty or kind == "kpi"


def test_the_dark_theme_reaches_every_figure(draw):
    _, figure = draw("bar", theme="dark")
    assert figure.layout.font.color == "#e2e8f0"
    assert figure.layout.template.layout.xaxis.linecolor == DARK_GRID


def test_bars_and_slices_carry_the_value_a_click_filters_by(draw):
    data, bars = draw("bar")
    assert list(bars.data[0].customdata) == list(bars.data[0].x) == list(data.frame["region"])
    _, stacked = draw("bar", time_grain="month", dimensions=["category"], options={"stacked": True},
                      time_range={"relative": "last_90_days"})
    assert stacked.layout.barmode == "stack"
    assert all(set(trace.customdata) == {trace.name} for trace in stacked.data)
    _, pie = draw("pie")
    assert list(pie.data[0].customdata) == list(pie.data[0].labels) and pie.data[0].hole == 0.55


def test_horizontal_bars_put_categories_on_the_y_axis_largest_first(draw):
    _, figure = draw("bar", options={"orientation": "horizontal"})
    trace = figure.data[0]
    assert trace.orientation == "h" and list(trace.x) == sorted(trace.x, reverse=True)
    assert figure.layout.yaxis.autorange == "reversed"


def test_labels_colours_legend_and_number_format_follow_the_options(draw):
    _, figure = draw("line", options={"x_label": "Day", "y_label": "Takings", "colors": ["#112233"],
                                      "number_format": "integer", "show_legend": False})
    assert figure.layout.xaxis.title.text == "Day" and figure.layout.yaxis.title.text == "Takings"
    assert figure.data[0].line.color == "#112233" and figure.layout.yaxis.tickformat == ",d"
    assert figure.layout.showlegend is False


def test_a_table_is_a_grid_on_screen_and_a_figure_in_files(draw):
    data, figure = draw("table")
    columns, rows = table_grid(data)
    assert [c["headerName"] for c in columns] == ["Country", "Revenue", "Orders", "Gross margin %"]
    assert len(rows) == len(data.frame)
    assert list(figure.data[0].header.values) == [c["headerName"] for c in columns]


def test_text_widgets_are_not_figures():
    spec = WidgetSpec.model_validate({"id": "t", "type": "text", **DEFAULT_WIDGETS["text"]})
    with pytest.raises(NotAFigure):
        build_figure(WidgetData(spec, None, (), (), None, (), 0))


def test_margins_leave_room_for_the_labels_so_the_browser_need_not_redraw(draw):
    """Margins come sized from the labels (plotly's automargin would otherwise redraw each chart
    once in the browser): long product names on a horizontal bar get a wide left margin, and a
    legend gets its own row at the figure's foot, under the axis title."""
    _data, bars = draw("bar", dimensions=["product"], options={"orientation": "horizontal"})
    longest = max(len(str(name)) for name in bars.data[0].y)
    assert bars.layout.margin.l >= longest * 6
    _data, lines = draw("line", dimensions=["region"], time_grain="day")
    assert lines.layout.showlegend and lines.layout.legend.yref == "container"
    assert lines.layout.legend.y == 0 and lines.layout.legend.yanchor == "bottom"
    _data, single = draw("line", dimensions=[], time_grain="day")
    assert lines.layout.margin.b >= single.layout.margin.b + 20  # the legend's row
