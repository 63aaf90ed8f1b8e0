"""The KPI summary an email carries inline: the report's KPI widgets, as their owner sees them.

The numbers come from the one widget path (`exports.collect.stream_items` over
`pipeline.widget_view`), with the export's choice of widgets and date range, read as `account`
in the reader scope: the same values as the KPI cards on the dashboard and in the attached PDF.
"""

from __future__ import annotations

from context import database, now, settings
from data.catalog import reading_as
from data.dashboard_access import Actor
from data.dashboards import load_dashboard
from exports.collect import reading_order, stream_items, with_time_range
from exports.document import Kpi
from exports.options import ExportOptions


def kpi_summary(account: Actor, dashboard_id: object, options: ExportOptions) -> list[Kpi]:
    """The KPIs among the chosen widgets (`options.widgets`; None: all) in reading order, over
    `options.time_range` when it is set. A KPI that cannot be computed (its dataset is gone, the
    account may not read it) is left out. Raises `data.dashboards.NotFound`/`Forbidden` when
    `account` may not view the dashboard."""
    with database().session() as session:
        record = load_dashboard(session, account, dashboard_id, "view")
    spec = with_time_range(record.spec, options.time_range)
    widgets = [widget for widget in reading_order(spec, options.widgets) if widget.type == "kpi"]
    if not widgets:
        return []
    with reading_as(database(), account, settings()):
        items = list(stream_items(spec, widgets, [], "light", now()))
    return [item.kpi for item in items if item.kpi is not None and item.error is None]
