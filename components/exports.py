"""Export controls: the menu on every chart card, the dashboard's Export dialog, and the parts
a page needs to receive the file."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from data.dashboard_spec import RELATIVE_RANGES
from exports.document import TEMPLATES
from exports.options import CHART_FORMATS, DASHBOARD_FORMATS, ExportOptions

FORMAT_ICONS = {
    "png": "bi-file-earmark-image",
    "svg": "bi-filetype-svg",
    "pdf": "bi-file-earmark-pdf",
    "xlsx": "bi-file-earmark-spreadsheet",
    "csv": "bi-filetype-csv",
}


TABLE_FORMATS = ("pdf", "xlsx", "csv")  # a table has no picture to give


def export_menu(page: str, chart: str, formats=tuple(CHART_FORMATS), extra: list | None = None
                ) -> dbc.DropdownMenu:
    """The per-chart menu: one click on a format downloads the chart as the user sees it.
    `extra` items (such as "Create alert") follow the formats, after a divider."""
    more = [dbc.DropdownMenuItem(divider=True), *extra] if extra else []
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(
                [html.I(className=f"bi {FORMAT_ICONS[fmt]} me-2"), label],
                id={"type": ids.X_CHART, "page": page, "chart": chart, "fmt": fmt},
                n_clicks=0,
                className=f"pb-export-item pb-export-{fmt}",
            )
            for fmt, label in CHART_FORMATS.items()
            if fmt in formats
        ] + more,
        label=html.I(className="bi bi-three-dots-vertical", title="Export or set an alert") if extra
        else html.I(className="bi bi-download", title="Export this chart"),
        caret=False,
        size="sm",
        color="link",
        align_end=True,
        toggle_class_name="pb-widget-action pb-export-toggle",
        class_name="pb-export-menu",
    )


def export_receiver(page: str) -> html.Div:
    """What a page with chart menus needs once: the request store, the download, a note that
    shows while the file is made (the first one after a restart waits for Chromium), and a toast
    for failures."""
    return html.Div(
        [
            dcc.Store(id={"type": ids.X_REQUEST, "page": page}),
            dcc.Download(id={"type": ids.X_DOWNLOAD, "page": page}),
            dbc.Toast(
                id={"type": ids.X_TOAST, "page": page},
                header="Export failed",
                icon="danger",
                is_open=False,
                dismissable=True,
                duration=10000,
                className="pb-export-toast",
            ),
            html.Div(
                [dbc.Spinner(size="sm", spinner_class_name="me-2"), "Preparing your file…"],
                id={"type": ids.X_BUSY, "page": page},
                className="pb-export-busy",
                role="status",
            ),
        ]
    )


def export_button() -> dbc.Button:
    return dbc.Button(
        [html.I(className="bi bi-file-earmark-arrow-down me-1"), "Export"],
        id=ids.XD_OPEN,
        color="secondary",
        outline=True,
        n_clicks=0,
    )


OWN_RANGE = "dashboard"  # the date range choice that keeps the dashboard's own range


def radios(component_id: str, options: dict[str, str], value: str) -> dbc.RadioItems:
    return dbc.RadioItems(
        id=component_id,
        options=[{"label": label, "value": key} for key, label in options.items()],
        value=value,
        inline=True,
        className="mb-2",
    )


def options_to_choices(options: ExportOptions, widget_ids: list[str]) -> list:
    """The controls' values for `options` (widgets no longer on the dashboard are dropped)."""
    chosen = widget_ids if options.widgets is None else [w for w in options.widgets if w in widget_ids]
    time_range = options.time_range
    range_key, start, end = OWN_RANGE, None, None
    if time_range is not None and time_range.relative in RELATIVE_RANGES:
        range_key = time_range.relative
    elif time_range is not None:
        range_key, start, end = "custom", time_range.start.isoformat(), time_range.end.isoformat()
    return [
        options.format,
        options.template,
        options.page_size,
        options.orientation,
        chosen or widget_ids,
        range_key,
        start,
        end,
    ]


def export_dialog(widgets: list[tuple[str, str]], options: ExportOptions | None = None) -> html.Div:
    """The dashboard's Export dialog, with the download it delivers. `widgets` are (id, title) in
    reading order; the controls start at `options`, the user's last choices."""
    fmt, template, page_size, orientation, chosen, range_key, start, end = options_to_choices(
        options or ExportOptions(), [widget_id for widget_id, _title in widgets])
    ranges = {OWN_RANGE: "The dashboard's own", **RELATIVE_RANGES, "custom": "Custom dates"}
    modal = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Export dashboard")),
            dbc.ModalBody(
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Preset"),
                                    dcc.Dropdown(
                                        id=ids.XD_PRESET, placeholder="Last used choices", clearable=True
                                    ),
                                ],
                                md=6,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Save these choices as"),
                                    dbc.InputGroup(
                                        [
                                            dbc.Input(
                                                id=ids.XD_PRESET_NAME, placeholder="Preset name", maxlength=80
                                            ),
                                            dbc.Button(
                                                "Save",
                                                id=ids.XD_PRESET_SAVE,
                                                color="secondary",
                                                outline=True,
                                                n_clicks=0,
                                            ),
                                            dbc.Button(
                                                html.I(className="bi bi-trash"),
                                                id=ids.XD_PRESET_DELETE,
                                                color="secondary",
                                                outline=True,
                                                n_clicks=0,
                                                title="Delete the chosen preset",
                                            ),
                                        ],
                                        size="sm",
                                    ),
                                ],
                                md=6,
                            ),
                        ],
                        className="mb-3",
                    ),
                    dbc.Label("Format"),
                    radios(ids.XD_FORMAT, DASHBOARD_FORMATS, fmt),
                    dbc.Label("Template"),
                    radios(ids.XD_TEMPLATE, TEMPLATES, template),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label("Page size"),
                                    radios(ids.XD_PAGE_SIZE, {"A4": "A4", "Letter": "Letter"}, page_size),
                                ],
                                md=6,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Orientation"),
                                    radios(
                                        ids.XD_ORIENTATION,
                                        {"portrait": "Portrait", "landscape": "Landscape"},
                                        orientation,
                                    ),
                                ],
                                md=6,
                            ),
                        ]
                    ),
                    dbc.Label("Date range"),
                    dbc.Row(
                        [
                            dbc.Col(
                                dbc.Select(
                                    id=ids.XD_RANGE,
                                    options=[{"label": label, "value": key} for key, label in ranges.items()],
                                    value=range_key,
                                ),
                                md=6,
                            ),
                            dbc.Col(
                                dcc.DatePickerRange(
                                    id=ids.XD_DATES,
                                    display_format="YYYY-MM-DD",
                                    className="pb-export-dates",
                                    start_date=start,
                                    end_date=end,
                                    disabled=range_key != "custom",
                                ),
                                md=6,
                            ),
                        ],
                        className="mb-3",
                    ),
                    dbc.Label("Widgets"),
                    dbc.Checklist(
                        id=ids.XD_WIDGETS,
                        options=[{"label": title, "value": widget_id} for widget_id, title in widgets],
                        value=chosen,
                        className="pb-export-widgets",
                    ),
                    dcc.Store(id=ids.XD_REQUEST),
                    dcc.Store(id=ids.XD_PRESETS_CHANGED, data=0),
                ]
            ),
            dbc.ModalFooter(
                [
                    # In the footer, so the progress stays in sight however long the form is.
                    html.Div(
                        [
                            dbc.Progress(
                                id=ids.XD_PROGRESS,
                                value=0,
                                striped=True,
                                animated=False,
                                className="pb-export-progress",
                            ),
                            html.Div(id=ids.XD_STATUS, className="pb-export-status small", role="status"),
                        ],
                        className="pb-export-run",
                    ),
                    dbc.Button("Close", id=ids.XD_CLOSE, color="secondary", outline=True, n_clicks=0),
                    dbc.Button(
                        "Cancel export",
                        id=ids.XD_CANCEL,
                        color="danger",
                        outline=True,
                        n_clicks=0,
                        disabled=True,
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-file-earmark-arrow-down me-1"), "Export"],
                        id=ids.XD_START,
                        color="primary",
                        n_clicks=0,
                    ),
                ]
            ),
        ],
        id=ids.XD_MODAL,
        is_open=False,
        size="lg",
        scrollable=True,
    )
    # The download sits outside the modal: an export finishing after the dialog was closed
    # still downloads.
    return html.Div([modal, dcc.Download(id=ids.XD_DOWNLOAD)])
