"""Running an export from start to finish: record the job, gather the widgets, render their
images through the warm renderer, write the file in place atomically, and mark the job done.

The dialog's background callback, the one-click chart menu, the `flask report` command and
(when scaled out) a Celery task all call these functions, with the account that asked: the
dashboard's permissions are checked here, in whatever process runs the export.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from context import database, now, settings
from data.catalog import reading_as
from data.dashboard_access import Actor
from data.dashboard_spec import DashboardFilters
from data.dashboards import load_dashboard
from data.export_jobs import (
    beat,
    expired_jobs,
    fail_abandoned,
    fail_job,
    finish_job,
    forget_jobs,
    start_job,
    stored_names,
)
from data.widget_data import CrossFilter
from exports import csv_files, dashboard_png, excel, files, renderer
from exports.collect import (
    dashboard_filters_text,
    reading_order,
    replace_images,
    stream_items,
    with_time_range,
)
from exports.document import Cancelled, ExportItem, Report
from exports.names import file_name
from exports.options import MEDIA_TYPES, ExportOptions
from job_liveness import heartbeat

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
CHART_SIZE = (1000, 560)  # CSS pixels of a one-click chart image when the screen size is unknown


class ExportFailed(RuntimeError):
    """The export could not be made; the message is safe to show, and the job says the same."""


@dataclasses.dataclass(frozen=True)
class ExportResult:
    job_id: int
    file_name: str
    path: Path
    size: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.path.suffix.lstrip(".")]


def _never() -> bool:
    return False


def _quiet(_done: int, _total: int, _label: str) -> None:
    return None


def _image(figure, fmt: str, width: int, height: int) -> bytes:
    """A chart image: SVG at its CSS size, PNG at PNG_SCALE for sharpness."""
    return renderer.render(figure, fmt, width=width, height=height,
                           scale=renderer.PNG_SCALE if fmt == "png" else 1)


def render_images(
    items: Iterable[ExportItem],
    total: int,
    formats: Callable[[ExportItem], tuple[str, ...]],
    progress: Progress,
    cancelled: Callable[[], bool],
    size: tuple[int, int] = CHART_SIZE,
) -> list[ExportItem]:
    """Each item with the images its file needs, one at a time through the renderer, as the
    items arrive (the next one loads while this one renders)."""
    done = []
    for position, item in enumerate(items):
        if cancelled():
            raise Cancelled()
        progress(position, total, f"Rendering {position + 1} of {total}: {item.title}")
        wanted = formats(item) if item.has_chart else ()
        width, height = size
        images = {
            fmt: _image(item.figure, fmt, width, height)
            for fmt in wanted
        }
        done.append(replace_images(item, images) if images else item)
    return done


def _writer(report: Report, fmt: str) -> Callable[[BinaryIO], None]:
    from exports import pdf  # fpdf2 and fontTools: 0.3 s of every web worker's start, if imported there

    if fmt == "pdf":
        return lambda handle: pdf.write_pdf(report, handle)
    if fmt == "xlsx":
        return lambda handle: excel.write_workbook(report, handle)
    if fmt == "csv":
        return lambda handle: csv_files.write_csv_zip(report, handle)
    raise ValueError(f"no writer for {fmt}")


def _image_formats(report: Report, fmt: str) -> Callable[[ExportItem], tuple[str, ...]]:
    """Which pictures each item needs: the one the PDF's template draws (vector or PNG), the
    PNG a workbook embeds next to its native chart (the executive workbook charts only its
    EXECUTIVE_KINDS), or none."""
    if fmt == "pdf":
        from exports import pdf

        return lambda item: tuple(pdf.needs_images(dataclasses.replace(report, items=(item,))).values())
    if fmt == "xlsx":
        executive = report.template == "executive"
        return lambda item: ("png",) if (item.kind in excel.EXECUTIVE_KINDS if executive
                                         else item.kind not in ("table", "text")) else ()
    return lambda item: ()


def store(job_id: int, title: str, extension: str, write: Callable[[BinaryIO], None]) -> ExportResult:
    """Write the file in place atomically and mark the job done."""
    folder = settings().exports_path
    stored = files.new_name(extension)
    size = files.write_atomically(folder, stored, write)
    download = file_name(title, now(), extension)
    with database().session() as session:
        finish_job(session, job_id, download, stored, size)
    return ExportResult(job_id, download, folder / stored, size)


def _beat(job_id: int) -> None:
    with database().session() as session:
        beat(session, job_id, now())


def _run(job_id: int, work: Callable[[], ExportResult]) -> ExportResult:
    """Run `work` for a recorded job; a failure or cancel marks the job and leaves no file."""
    try:
        # If the process dies the beats stop, and `mark_abandoned` fails the job.
        with heartbeat(lambda: _beat(job_id), f"export {job_id}"):
            return work()
    except Cancelled:
        with database().session() as session:
            fail_job(session, job_id, "Cancelled before it finished.", status="cancelled")
        raise
    except ExportFailed as error:
        with database().session() as session:
            fail_job(session, job_id, str(error))
        raise
    except Exception as error:
        log.exception("export %s failed", job_id)
        message = (
            f"The export failed: {error}"
            if isinstance(error, renderer.RenderError)
            else "The export failed. The error has been logged."
        )
        with database().session() as session:
            fail_job(session, job_id, message)
        raise ExportFailed(message) from error


def export_dashboard(
    account: Actor,
    dashboard_id: object,
    options: ExportOptions,
    *,
    filters: DashboardFilters | None = None,
    cross_filters: list[CrossFilter] = (),
    theme: str = "light",
    progress: Progress = _quiet,
    cancelled: Callable[[], bool] = _never,
) -> ExportResult:
    """A dashboard to a PDF report, an Excel workbook, a zip of CSVs or one PNG, as `account`.

    `filters` are the dashboard filters on the user's screen (default: the saved ones); the
    options' date range replaces their time range. Raises `NotFound`/`Forbidden` before anything
    is recorded, `Cancelled` or `ExportFailed` after.
    """
    with database().session() as session:
        record = load_dashboard(session, account, dashboard_id, "view")
        job_id = start_job(
            session,
            account,
            record.title,
            "dashboard",
            options.format,
            options.template,
            options.to_json(),
            record.id,
            record.version,
            now(),
        )
    _prune()

    def work() -> ExportResult:
        # As `account` throughout: a widget over a dataset they cannot read is exported as its
        # "no access" message, never its numbers, wherever this runs.
        with reading_as(database(), account, settings()):
            return write()

    def write() -> ExportResult:
        spec = record.spec if filters is None else record.spec.model_copy(update={"filters": filters})
        spec = with_time_range(spec, options.time_range)
        widgets = reading_order(spec, options.widgets)
        if not widgets:
            raise ExportFailed("None of the chosen widgets is on this dashboard any more.")
        report = Report(
            record.title,
            (),
            options.template,
            account.display_name,
            now(),
            dashboard_filters_text(spec, list(cross_filters)),
            options.page_size,
            options.orientation,
            theme,
            f"Dashboard {record.id}, version {record.version}",
        )
        stream = stream_items(spec, widgets, list(cross_filters), theme, now())
        if options.format == "png":
            report = dataclasses.replace(report, items=tuple(stream))
            writer = dashboard_png.writer(report, spec.layout, progress, cancelled)
        else:
            items = render_images(
                stream, len(widgets), _image_formats(report, options.format), progress, cancelled
            )
            report = dataclasses.replace(report, items=tuple(items))
            writer = _writer(report, options.format)
        if cancelled():
            raise Cancelled()
        progress(len(widgets), len(widgets), "Writing the file")
        return store(job_id, record.title, options.extension, writer)

    return _run(job_id, work)


def export_chart(
    account: Actor,
    item: ExportItem,
    fmt: str,
    *,
    dashboard_id: int | None = None,
    dashboard_version: int | None = None,
    filters: tuple[str, ...] = (),
    theme: str = "light",
    size: tuple[int, int] | None = None,
) -> ExportResult:
    """One chart, as the user sees it, to PNG, SVG, PDF, Excel or CSV (the one-click menu)."""
    with database().session() as session:
        job_id = start_job(
            session,
            account,
            item.title,
            "chart",
            fmt,
            "chart",
            {"widget": item.id},
            dashboard_id,
            dashboard_version,
            now(),
        )

    def work() -> ExportResult:
        if item.error is not None:
            raise ExportFailed(f"{item.title}: {item.error}")
        width, height = _clamped(size)
        if fmt in ("png", "svg"):
            if item.figure is None:
                raise ExportFailed(f"{item.title} has no chart to save as {fmt.upper()}; try Excel or CSV.")
            image = _image(item.figure, fmt, width, height)
            return store(job_id, item.title, fmt, lambda handle: handle.write(image))
        report = Report(
            item.title,
            (item,),
            "chart",
            account.display_name,
            now(),
            filters,
            orientation="landscape",
            theme=theme,
            source="Chart export",
        )
        if fmt == "csv":
            if item.table is None:
                raise ExportFailed(f"{item.title} has no data table to save as CSV.")
            return store(job_id, item.title, "csv", lambda handle: csv_files.write_csv(item.table, handle))
        rendered = render_images([item], 1, _image_formats(report, fmt), _quiet, _never, (width, height))
        report = dataclasses.replace(report, items=tuple(rendered))
        return store(job_id, item.title, fmt, _writer(report, fmt))

    return _run(job_id, work)


def _clamped(size) -> tuple[int, int]:
    """The on-screen size of a chart, within sane bounds (anything odd: the default)."""
    try:
        width, height = (int(value) for value in size)
    except (TypeError, ValueError):
        return CHART_SIZE
    return max(320, min(width, 3000)), max(200, min(height, 2000))


def mark_abandoned() -> None:
    """Mark failed the exports whose process died (their heartbeat stopped)."""
    with database().session() as session:
        fail_abandoned(session, now(), settings().job_stale_after)


def _prune() -> None:
    """Delete exports past the retention period, mark failed the ones whose process died, and
    remove the files a crashed export left behind."""
    try:
        mark_abandoned()
        with database().session() as session:
            expired = expired_jobs(session, settings().export_retention_days, now())
            forget_jobs(session, [job_id for job_id, _name in expired])
            keep = stored_names(session)
        files.sweep(settings().exports_path, keep)
    except Exception:
        log.exception("pruning old exports failed")
