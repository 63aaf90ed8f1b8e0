"""The chart as the user sees it: zoom, pan and hidden legend entries from the browser, applied
to the export's figure, and anything else the browser could send ignored."""

from __future__ import annotations

import plotly.graph_objects as go
from hypothesis import given
from hypothesis import strategies as st

from exports.collect import apply_view, view_layout


def figure() -> go.Figure:
    return go.Figure(
        [go.Scatter(x=[1, 2, 3], y=[4, 5, 6], name="EMEA"), go.Scatter(x=[1, 2, 3], y=[6, 5, 4], name="APAC")]
    )


def test_a_zoomed_chart_exports_with_the_zoomed_axis_range_in_its_figure_json():
    zoomed = apply_view(
        figure(),
        {
            "relayout": {
                "xaxis.range[0]": "2026-11-01 00:00",
                "xaxis.range[1]": "2026-11-07",
                "yaxis.range": [10, 250.5],
            }
        },
    )
    layout = zoomed.to_plotly_json()["layout"]
    assert layout["xaxis"]["range"] == ["2026-11-01 00:00", "2026-11-07"]
    assert layout["yaxis"]["range"] == [10.0, 250.5]
    assert layout["xaxis"]["autorange"] is False


def test_legend_entries_the_user_hid_stay_hidden_and_pie_slices_too():
    shown = apply_view(figure(), {"hidden": ["APAC"]})
    assert [trace.visible for trace in shown.data] == [None, "legendonly"]
    pie = apply_view(
        go.Figure(go.Pie(labels=["Bikes", "Clothing"], values=[1, 2])), {"hiddenlabels": ["Bikes"]}
    )
    assert pie.layout.hiddenlabels == ("Bikes",)


def test_the_original_figure_is_never_changed():
    original = figure()
    apply_view(original, {"relayout": {"xaxis.range": [1, 2]}, "hidden": ["EMEA"]})
    assert original.layout.xaxis.range is None and original.data[0].visible is None


def test_forged_keys_and_values_are_ignored():
    update = view_layout(
        {
            "title.text": "pwned",
            "xaxis.range[0]": "<script>",
            "images": [{"source": "x"}],
            "yaxis.range": [1, {"a": 1}],
            "xaxis.type": "log",
            "yaxis2.range[0]": 3,
        }
    )
    assert update == {}


@given(
    st.dictionaries(
        st.text(max_size=30),
        st.one_of(
            st.none(),
            st.booleans(),
            st.floats(),
            st.text(max_size=50),
            st.lists(st.floats(allow_nan=False), max_size=3),
        ),
        max_size=8,
    )
)
def test_any_relayout_yields_only_axis_ranges(relayout):
    for axis, settings in view_layout(relayout).items():
        assert axis.startswith(("xaxis", "yaxis"))
        assert set(settings) <= {"range", "autorange"}
        if "range" in settings:
            assert len(settings["range"]) == 2 and None not in settings["range"]
