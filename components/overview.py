"""The Overview page's pieces: filter bar, refresh controls, KPI cards, graph cards, heavy panels."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.exports import export_menu, export_receiver

RATES = [("Every 2 s", 2_000), ("Every 5 s", 5_000), ("Every 30 s", 30_000),
         ("Every minute", 60_000), ("Off", 0)]
DEFAULT_RATE = 5_000
HEAVY_REFRESH_MS = 120_000
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _multi(component_id: str, label: str, options: list[str], value: tuple[str, ...]):
    return dbc.Col(dcc.Dropdown(id=component_id, options=options, value=list(value), multi=True,
                                placeholder=f"All {label}", clearable=True), md=2)


def filter_bar(filters: dict, options: dict[str, list[str]], periods: dict[str, str],
               today: str) -> html.Div:
    custom = filters["period"] == "custom"
    return html.Div(
        dbc.Row(
            [
                dbc.Col(dbc.Select(id=ids.OV_PERIOD, value=filters["period"],
                                   options=[{"label": v, "value": k} for k, v in periods.items()]), md=2),
                dbc.Col(dcc.DatePickerRange(id=ids.OV_DATES, start_date=filters.get("start"),
                                            end_date=filters.get("end"), display_format="YYYY-MM-DD",
                                            minimum_nights=0, clearable=False,
                                            max_date_allowed=today, initial_visible_month=today),
                        md="auto", id=ids.OV_DATES_WRAP, style={} if custom else {"display": "none"}),
                _multi(ids.OV_REGION, "regions", options["region"], filters["region"]),
                _multi(ids.OV_CATEGORY, "categories", options["category"], filters["category"]),
                _multi(ids.OV_SEGMENT, "segments", options["segment"], filters["segment"]),
                dbc.Col(refresh_controls(), className="ms-auto", md="auto"),
            ],
            className="g-2 align-items-center",
        ),
        className="pb-card pb-filter-bar mb-3",
    )


def refresh_controls() -> html.Div:
    return html.Div(
        [
            html.Span(dbc.Select(id=ids.OV_RATE, value=str(DEFAULT_RATE), size="sm",
                                 style={"width": "9rem"},
                                 options=[{"label": label, "value": str(ms)} for label, ms in RATES]),
                      title="How often live numbers refresh"),
            dbc.Button([html.I(className="bi bi-pause-fill me-1"), "Pause"], id=ids.OV_PAUSE,
                       size="sm", color="secondary", outline=True, n_clicks=0),
            html.Span(id=ids.OV_UPDATED, className="small text-body-secondary text-nowrap"),
            html.Span(id=ids.OV_STALE),
        ],
        className="d-flex align-items-center gap-2",
    )


def kpi_card(name: str, label: str) -> dbc.Col:
    return dbc.Col(
        html.Div(
            [
                html.Div(label, className="pb-kpi-label"),
                html.Div("…", id=ids.kpi_value(name), className="pb-kpi-value"),
                html.Div("", id=ids.kpi_delta(name), className="pb-kpi-delta"),
                dcc.Graph(id=ids.kpi_spark(name), className="pb-kpi-spark",
                          config={"displayModeBar": False, "staticPlot": False},
                          style={"height": "44px"}),
            ],
            className="pb-kpi", **{"data-kpi": name},
        ),
        xs=12, sm=6, lg=4, xl=2,
    )


def graph_card(title: str, subtitle: str, graph_id: str, height: int = 260, extra=None,
               export: str | None = None) -> html.Div:
    """A chart card; `export` names the chart for its export menu (see `exports.overview`)."""
    return html.Div(
        [
            html.Div([html.H2(title, className="pb-card-title mb-0"),
                      html.Div([html.Span(subtitle, className="small text-body-secondary"),
                                export_menu("overview", export) if export else None],
                               className="d-flex align-items-center gap-1")],
                     className="d-flex justify-content-between align-items-baseline mb-2"),
            extra,
            dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"}),
        ],
        className="pb-card h-100", **({"data-export": export} if export else {}),
    )


def _number(field: str, label: str, formatter: str | None = None) -> dict:
    """A right-aligned numeric column that sorts largest first, as a top-10 list should."""
    column = {"field": field, "headerName": label, "type": "rightAligned", "flex": 1,
              "minWidth": 110, "sortingOrder": ["desc", "asc", None]}
    if formatter:
        column["valueFormatter"] = {"function": formatter}
    return column


def top_table(component_id: str, label: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=component_id,
        columnDefs=[
            {"field": "name", "headerName": label, "flex": 2, "minWidth": 170},
            {**_number("revenue", "Revenue", "d3.format('$,.2f')(params.value)"), "sort": "desc",
             "minWidth": 130},
            _number("orders", "Orders"),
            _number("units", "Units"),
            _number("margin_pct", "Margin",
                    "params.value == null ? '—' : d3.format('.1%')(params.value)"),
        ],
        rowData=None,  # AG Grid shows "Loading…" until the background job answers
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight", "animateRows": False,
                         "localeText": {"noRowsToShow": "No sales in this period"}},
        className="ag-theme-quartz pb-grid",
        style={"width": "100%"},
    )


def heavy_panels() -> html.Div:
    status = html.Div(
        [
            dbc.Progress(id=ids.OV_PROGRESS, value=0, label="", striped=True, animated=True,
                         style={"width": "14rem", "height": "1.1rem"}, className="me-2"),
            dbc.Button([html.I(className="bi bi-x-circle me-1"), "Cancel"], id=ids.OV_CANCEL,
                       size="sm", color="secondary", outline=True, disabled=True),
            html.Span(id=ids.OV_HEAVY_STATUS, className="small text-body-secondary ms-2"),
        ],
        className="d-flex align-items-center",
    )
    return html.Div(
        [
            html.Div([html.H2("Plan and leaders", className="pb-section-title mb-0"), status],
                     className="d-flex justify-content-between align-items-center mb-2"),
            dbc.Row(
                [
                    dbc.Col(graph_card("Forecast versus actual", "by month · > 20 % off plan in red",
                                       ids.OV_FORECAST, 300,
                                       html.Div(id=ids.OV_FORECAST_NOTE, className="small"),
                                       export="forecast"), lg=12),
                    dbc.Col(html.Div([html.H2("Top 10 customers", className="pb-card-title"),
                                      top_table(ids.OV_TOP_CUSTOMERS, "Customer")],
                                     className="pb-card h-100"), lg=6),
                    dbc.Col(html.Div([html.H2("Top 10 products", className="pb-card-title"),
                                      top_table(ids.OV_TOP_PRODUCTS, "Product")],
                                     className="pb-card h-100"), lg=6),
                ],
                className="g-3",
            ),
            dcc.Interval(id=ids.OV_HEAVY_INTERVAL, interval=HEAVY_REFRESH_MS),
        ],
        className="mt-4",
    )


def overview_body(filters: dict, options: dict, periods: dict, kpis: list[tuple[str, str]],
                  today: str) -> list:
    return [
        dcc.Store(id=ids.OV_FILTERS, data=filters),
        dcc.Store(id=ids.OV_STATE),
        dcc.Store(id=ids.OV_TICK_DATA),
        dcc.Store(id=ids.OV_META),
        dcc.Store(id=ids.OV_RELOAD, data=0),
        dcc.Store(id=ids.OV_TICK),
        dcc.Store(id=ids.OV_TICK_BUSY, data=False),
        dcc.Interval(id=ids.OV_INTERVAL, interval=DEFAULT_RATE),
        filter_bar(filters, options, periods, today),
        dbc.Row([kpi_card(name, label) for name, label in kpis], className="g-3 mb-3"),
        dbc.Row(
            [
                dbc.Col(graph_card("Revenue per minute", "last hour, live", ids.OV_STREAM,
                                   export="stream"), lg=8),
                dbc.Col(graph_card("Category mix", "share of revenue", ids.OV_MIX, export="mix"), lg=4),
                dbc.Col(graph_card("Revenue by region", "over the period", ids.OV_REGIONS,
                                   export="regions"), lg=12),
            ],
            className="g-3",
        ),
        heavy_panels(),
        export_receiver("overview"),
    ]
