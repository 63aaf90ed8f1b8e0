"""The builder page: toolbar, widget palette, the editable grid, the widget editor, version
history and the "changed by someone else" dialog."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.dashboard import edit_grid, filter_bar
from components.dashboard_page import dashboard_stores
from components.widgets import TYPE_ICONS, TYPE_LABELS
from data.dashboard_records import DashboardRecord
from data.dashboard_spec import NUMBER_FORMATS, RELATIVE_RANGES, WIDGET_TYPES
from data.query import GRAINS

REFRESH_CHOICES = [("Off", 0), ("Every 5 s", 5), ("Every 10 s", 10), ("Every 30 s", 30),
                   ("Every minute", 60), ("Every 5 minutes", 300), ("Every 15 minutes", 900),
                   ("Every hour", 3600)]
DASHBOARD_RANGE = "__dashboard__"
CUSTOM_RANGE = "__custom__"
STYLE_CHOICES = [("Stacked", "stacked"), ("Horizontal bars", "horizontal"), ("Donut", "donut"),
                 ("Legend", "legend")]


def toolbar(record: DashboardRecord) -> html.Div:
    spec = record.spec
    return html.Div(
        [
            dbc.Input(id=ids.DB_TITLE, value=spec.title, debounce=True, maxLength=200,
                      className="pb-title-input", placeholder="Dashboard title", required=True),
            html.Span(id=ids.DB_DIRTY, className="pb-dirty"),
            html.Div([
                dbc.Button(html.I(className="bi bi-arrow-counterclockwise"), id=ids.DB_UNDO_BTN,
                           title="Undo (Ctrl+Z)", size="sm", color="secondary", outline=True,
                           n_clicks=0, disabled=True),
                dbc.Button(html.I(className="bi bi-arrow-clockwise"), id=ids.DB_REDO_BTN,
                           title="Redo (Ctrl+Shift+Z)", size="sm", color="secondary", outline=True,
                           n_clicks=0, disabled=True),
                html.Span(dbc.Switch(id=ids.DB_COMPACT, label="Pack upwards", value=spec.compact,
                                     className="mb-0 ms-2"),
                          title="On: widgets float up to fill gaps. Off: place them anywhere."),
                dbc.Button([html.I(className="bi bi-clock-history me-1"), "History"],
                           id=ids.DB_HISTORY_OPEN, size="sm", color="secondary", outline=True, n_clicks=0),
                dbc.Input(id=ids.DB_SAVE_MESSAGE, placeholder="What changed? (optional)", size="sm",
                          maxLength=500, style={"width": "14rem"}),
                dbc.Button([html.I(className="bi bi-cloud-arrow-up me-1"), "Save"], id=ids.DB_SAVE,
                           size="sm", color="primary", n_clicks=0),
                dbc.Button("Done", href=f"/dashboards/{record.id}", id="db-done", size="sm",
                           color="secondary", outline=True),
            ], className="d-flex align-items-center gap-2 ms-auto flex-wrap"),
        ],
        className="pb-builder-toolbar",
    )


def palette() -> html.Div:
    return html.Div(
        [html.Div("Add a widget", className="pb-side-title")]
        + [html.Button([html.I(className=f"bi {TYPE_ICONS[kind]}"), html.Span(TYPE_LABELS[kind])],
                       id={"type": ids.PALETTE_ADD, "kind": kind}, className="pb-palette-item", n_clicks=0)
           for kind in WIDGET_TYPES],
        className="pb-palette",
    )


def _field(label: str, control, hint: str | None = None) -> html.Div:
    return html.Div([dbc.Label(label, className="pb-field-label"), control,
                     html.Div(hint, className="form-text") if hint else None], className="mb-2")


def editor(datasets: list[dict]) -> html.Div:
    """The selected widget's settings; every change redraws the widget at once. `datasets` are
    the options of the dataset picker: the ones the user may read."""
    select = {"size": "sm"}
    controls = html.Div(
        [
            html.Div("Widget", className="pb-side-title"),
            _field("Type", dbc.Select(id=ids.ED_TYPE, options=[{"label": TYPE_LABELS[k], "value": k}
                                                                for k in WIDGET_TYPES], **select)),
            _field("Title", dbc.Input(id=ids.ED_TITLE, debounce=True, maxLength=200, size="sm")),
            html.Div([
                _field("Dataset", dbc.Select(id=ids.ED_DATASET, **select, options=datasets)),
                _field("Measures", dcc.Dropdown(id=ids.ED_MEASURES, multi=True, options=[]),
                       "Each with its aggregation, as the dataset allows."),
                _field("Group by", dcc.Dropdown(id=ids.ED_DIMENSIONS, multi=True, options=[])),
                _field("Time grain", dbc.Select(id=ids.ED_GRAIN, **select, options=[
                    {"label": "None", "value": ""}] + [{"label": g.title(), "value": g} for g in GRAINS])),
                _field("Time range", dbc.Select(id=ids.ED_RANGE, **select, options=[
                    {"label": "The dashboard's", "value": DASHBOARD_RANGE}]
                    + [{"label": label, "value": key} for key, label in RELATIVE_RANGES.items()]
                    + [{"label": "Custom dates…", "value": CUSTOM_RANGE}])),
                dcc.DatePickerRange(id=ids.ED_DATES, display_format="YYYY-MM-DD", minimum_nights=0,
                                    className="mb-2 pb-ed-dates"),
                html.Div([
                    dbc.Label("Filters", className="pb-field-label"),
                    html.Div(id=ids.ED_FILTER_LIST, className="pb-chips mb-1"),
                    html.Div([
                        dcc.Dropdown(id=ids.ED_FILTER_FIELD, options=[], placeholder="Field",
                                     style={"minWidth": "7rem"}),
                        dbc.Select(id=ids.ED_FILTER_OP, value="in", size="sm", style={"width": "6rem"},
                                   options=[{"label": "is", "value": "in"},
                                            {"label": "is not", "value": "not_in"}]),
                    ], className="d-flex gap-1 mb-1"),
                    dcc.Dropdown(id=ids.ED_FILTER_VALUES, multi=True, options=[], placeholder="Values"),
                    dbc.Button("Add filter", id=ids.ED_FILTER_ADD, size="sm", color="secondary",
                               outline=True, n_clicks=0, className="mt-1"),
                ], className="mb-2"),
                html.Div([
                    _field("Sort by", dbc.Select(id=ids.ED_SORT, **select, options=[])),
                    dbc.Switch(id=ids.ED_SORT_DESC, label="Largest first", value=True),
                ]),
                _field("Limit", dbc.Input(id=ids.ED_LIMIT, type="number", min=1, max=10_000, step=1,
                                          size="sm", debounce=True),
                       "Rows for bars, slices and tables; lines per chart over time."),
                _field("Look", dbc.Checklist(id=ids.ED_STYLE, inline=True, switch=True,
                                             options=[{"label": label, "value": value}
                                                      for label, value in STYLE_CHOICES])),
                _field("X axis label", dbc.Input(id=ids.ED_XLABEL, debounce=True, size="sm", maxLength=120)),
                _field("Y axis label", dbc.Input(id=ids.ED_YLABEL, debounce=True, size="sm", maxLength=120)),
                _field("Colours", dbc.Input(id=ids.ED_COLORS, debounce=True, size="sm",
                                            placeholder="#4f46e5, #0d9488"),
                       "Hex colours, in order; empty for the theme's."),
                _field("Number format", dbc.Select(id=ids.ED_FORMAT, **select, options=[
                    {"label": value.title(), "value": value} for value in NUMBER_FORMATS])),
                _field("Refresh", dbc.Select(id=ids.ED_REFRESH, **select, options=[
                    {"label": label, "value": str(seconds)} for label, seconds in REFRESH_CHOICES])),
            ], id="ed-data-fields"),
            html.Div(_field("Text (markdown)", dbc.Textarea(id=ids.ED_MARKDOWN, debounce=True, rows=8,
                                                            maxLength=20_000),
                            "Headings, lists, emphasis and links. HTML is shown as text."),
                     id="ed-markdown-field"),
            html.Div(id=ids.ED_ERROR),
        ],
        id=ids.ED_PANEL, style={"display": "none"},
    )
    empty = html.Div([html.I(className="bi bi-hand-index me-2"),
                      "Choose a widget's ", html.I(className="bi bi-sliders"), " to edit it."],
                     id=ids.ED_EMPTY, className="pb-side-hint")
    return html.Div([empty, controls], className="pb-editor")


def history_panel() -> dbc.Offcanvas:
    return dbc.Offcanvas(html.Div(id=ids.DB_HISTORY_LIST), id=ids.DB_HISTORY, title="Version history",
                         placement="end", is_open=False, scrollable=True)


def stale_modal(record: DashboardRecord) -> dbc.Modal:
    return dbc.Modal(
        [dbc.ModalHeader(dbc.ModalTitle("Your changes were not saved")),
         dbc.ModalBody(html.Div(id=ids.DB_STALE_TEXT)),
         dbc.ModalFooter([
             dbc.Button("Reload their version", href=f"/dashboards/{record.id}/edit", external_link=True,
                        color="secondary", outline=True, id="db-reload"),
             dbc.Button("Save mine as a copy", id=ids.DB_SAVE_COPY, color="primary", n_clicks=0),
         ])],
        id=ids.DB_STALE_MODAL, is_open=False, backdrop="static",
    )


def builder_page(record: DashboardRecord, fields: list[dict], datasets: list[dict]) -> list:
    spec = record.spec
    document = spec.to_json()
    return [
        *dashboard_stores(record, "edit"),
        dcc.Store(id=ids.DB_DOC, data=document),
        dcc.Store(id=ids.DB_SAVED, data=document),
        dcc.Store(id=ids.DB_BASE, data=record.version),
        dcc.Store(id=ids.DB_UNDO, data=[]),
        dcc.Store(id=ids.DB_REDO, data=[]),
        dcc.Store(id=ids.DB_SELECTED, data=None),
        dcc.Store(id=ids.DB_DRAFT, data=None),
        dcc.Store(id=ids.DB_PALETTE_SEEN, data={}),
        dcc.Store(id={"type": ids.DB_FILTERS_MIRROR, "page": "edit"}),
        dcc.Store(id=ids.ED_FILTERS, data=[]),
        toolbar(record),
        html.Div(id=ids.DB_MESSAGE),
        html.Div(id=ids.DB_PREVIEW_BANNER),
        dbc.Row([
            dbc.Col([filter_bar(spec, fields),
                     html.Div(edit_grid(spec), className="pb-dashboard pb-builder-canvas",
                              id="pb-dashboard", **{"data-dashboard": record.id})], lg=9),
            dbc.Col(html.Div([palette(), editor(datasets)], className="pb-builder-side"), lg=3),
        ], className="g-3"),
        history_panel(),
        stale_modal(record),
    ]
