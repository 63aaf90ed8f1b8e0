"""The Overview's figures, built from the plain lists `data.overview` returns.

Traces hold Python lists, never numpy arrays: arrays serialise as base64 `bdata`, which a
`dash.Patch` cannot extend point by point.
"""

from __future__ import annotations

import plotly.graph_objects as go

from charts.formatting import D3_FORMATS
from charts.theme import BAD, GOOD, NEUTRAL, PALETTE, base_layout, themed

VARIANCE_ALERT = 0.20


def sparkline(x: list, y: list, kind: str, good: bool | None, theme: str) -> go.Figure:
    """A small trend line for a KPI card, coloured by whether the change is good."""
    colour = NEUTRAL if good is None else GOOD if good else BAD
    figure = go.Figure(go.Scatter(
        x=list(x), y=list(y), mode="lines", line={"color": colour, "width": 2},
        fill="tozeroy", fillcolor=_alpha(colour, 0.12),
        hovertemplate=f"%{{x|%b %d %H:%M}}<br>%{{y:{D3_FORMATS[kind]}}}<extra></extra>",
        connectgaps=False,
    ))
    layout = base_layout(theme)
    layout.update(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=44, showlegend=False,
                  xaxis={"visible": False}, yaxis={"visible": False, "rangemode": "tozero"})
    return figure.update_layout(**layout)


def _alpha(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def stream_figure(x: list, y: list, theme: str) -> go.Figure:
    """Revenue per minute over the last hour; the newest minute is still filling up."""
    figure = go.Figure(go.Bar(x=list(x), y=list(y), name="Revenue", marker={"color": PALETTE[0]},
                              hovertemplate="%{x|%H:%M}<br>%{y:$,.2f}<extra></extra>"))
    figure = themed(figure, theme)
    return figure.update_layout(height=260, yaxis={"tickformat": "$,.2s"}, bargap=0.15,
                                xaxis={"tickformat": "%H:%M"}, showlegend=False)


def colour_map(names: list[str]) -> dict[str, str]:
    """A fixed colour per name, from the full list of names, so filtering never repaints."""
    return {name: PALETTE[position % len(PALETTE)] for position, name in enumerate(sorted(names))}


def region_figure(x: list, traces: dict[str, list], theme: str,
                  colours: dict[str, str] | None = None) -> go.Figure:
    """Revenue by region over the period, one line per region."""
    colours = colours or colour_map(list(traces))
    figure = go.Figure([
        go.Scatter(x=list(x), y=list(values), name=name, mode="lines",
                   line={"color": colours.get(name)},
                   hovertemplate=f"{name}<br>%{{x|%b %d}}<br>%{{y:$,.2f}}<extra></extra>")
        for name, values in traces.items()
    ])
    figure = themed(figure, theme)
    return figure.update_layout(height=260, yaxis={"tickformat": "$,.2s"}, showlegend=True)


def mix_figure(mix: dict[str, float], theme: str, colours: dict[str, str] | None = None) -> go.Figure:
    """Category mix of revenue as a donut."""
    colours = colours or colour_map(list(mix))
    figure = go.Figure(go.Pie(labels=list(mix), values=list(mix.values()), hole=0.58, sort=False,
                              marker={"colors": [colours.get(name) for name in mix]},
                              textinfo="percent",
                              hovertemplate="%{label}<br>%{value:$,.2f} (%{percent})<extra></extra>"))
    figure = themed(figure, theme)
    return figure.update_layout(height=260, margin={"l": 8, "r": 8, "t": 8, "b": 8},
                                legend={"orientation": "v", "y": 0.5, "x": 1.02})


def forecast_figure(months: list, actual: list, forecast: list, theme: str) -> go.Figure:
    """Actual against forecast by month; months more than 20 % off plan are highlighted."""
    variance = [None if not f or a is None else (a - f) / f for a, f in zip(actual, forecast, strict=True)]
    off_plan = [v is not None and abs(v) > VARIANCE_ALERT for v in variance]
    colours = [BAD if flag else PALETTE[0] for flag in off_plan]
    figure = go.Figure([
        go.Bar(x=list(months), y=list(actual), name="Actual", marker={"color": colours},
               customdata=[[v] for v in variance],
               hovertemplate="%{x|%b %Y}<br>Actual %{y:$,.0f}<br>Variance %{customdata[0]:+.1%}"
                             "<extra></extra>"),
        go.Scatter(x=list(months), y=list(forecast), name="Forecast", mode="lines+markers",
                   line={"color": PALETTE[2], "width": 2, "dash": "dot"},
                   hovertemplate="%{x|%b %Y}<br>Forecast %{y:$,.0f}<extra></extra>"),
    ])
    figure = themed(figure, theme)
    return figure.update_layout(height=300, yaxis={"tickformat": "$,.2s"}, barmode="overlay",
                                xaxis={"tickformat": "%b %Y"})
