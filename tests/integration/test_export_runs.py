"""Exports from start to finish on a real database, the real renderer and real files: the
dialog's dashboard exports, one-click chart exports, the history and who may download from it,
presets, cancel and crash handling, and the `flask report` command."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from dash import no_update
from PIL import Image
from pypdf import PdfReader

from callbacks.chart_exports import export_overview_chart, export_widget
from callbacks.export_dialog import cancel_key, choices_to_options
from components.exports import options_to_choices
from context import EXTENSION
from data.dashboards import set_share
from data.export_jobs import (
    ExportNotFound,
    delete_job,
    get_job,
    last_choices,
    list_jobs,
    presets,
    remember,
)
from exports import excel
from exports.document import Cancelled
from exports.options import ExportOptions
from exports.run import ExportFailed, export_chart, export_dashboard
from tests.conftest import PEOPLE
from tests.helpers import account_of, shared_board

DOCUMENT = {
    "title": "Sales pulse",
    "filters": {"time_range": {"relative": "last_30_days"}},
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {
            "id": "trend",
            "type": "line",
            "title": "Revenue by day",
            "dataset": "sales",
            "measures": ["revenue"],
            "dimensions": ["region"],
            "time_grain": "day",
        },
        {
            "id": "regions",
            "type": "bar",
            "title": "By region",
            "dataset": "sales",
            "measures": ["revenue"],
            "dimensions": ["region"],
        },
        {
            "id": "top",
            "type": "table",
            "title": "Top products",
            "dataset": "sales",
            "measures": ["revenue", "units"],
            "dimensions": ["product"],
            "limit": 20,
        },
        {"id": "note", "type": "text", "options": {"markdown": "Numbers are **net of returns**."}},
    ],
    "layout": [
        {"i": "kpi", "x": 0, "y": 0, "w": 3, "h": 3},
        {"i": "trend", "x": 3, "y": 0, "w": 9, "h": 4},
        {"i": "regions", "x": 0, "y": 4, "w": 6, "h": 4},
        {"i": "top", "x": 6, "y": 4, "w": 6, "h": 4},
        {"i": "note", "x": 0, "y": 8, "w": 12, "h": 2},
    ],
}


@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)


@pytest.fixture
def services(app, clock):
    with app.server.app_context():
        yield app.server.extensions[EXTENSION]


def test_a_pdf_report_holds_every_widget_and_is_recorded_in_the_history(services, database, board):
    viewer = account_of(database, "viewer")
    steps = []
    result = export_dashboard(
        viewer,
        board.id,
        ExportOptions(format="pdf", template="detailed"),
        progress=lambda done, total, label: steps.append(label),
    )
    reader = PdfReader(result.path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Sales pulse" in text and "Time range: Last 30 days" in text
    assert {item.title for item in reader.outline if hasattr(item, "title")} >= {
        "Revenue",
        "Revenue by day",
        "By region",
        "Top products",
    }
    assert any(label.startswith("Rendering 1 of") for label in steps)
    with database.session() as session:
        job = get_job(session, viewer, result.job_id)
    assert job.status == "done" and job.size_bytes == result.path.stat().st_size
    assert job.file_name.startswith("Sales pulse") and job.file_name.endswith(".pdf")


def test_an_excel_workbook_and_a_csv_zip_hold_the_widgets_data(services, database, board):
    analyst = account_of(database, "analyst")
    workbook = export_dashboard(analyst, board.id, ExportOptions(format="xlsx", widgets=["regions", "top"]))
    book = openpyxl.load_workbook(workbook.path)
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 3
    archive = zipfile.ZipFile(export_dashboard(analyst, board.id, ExportOptions(format="csv")).path)
    assert len([name for name in archive.namelist() if name.endswith(".csv")]) == 4


def test_a_whole_dashboard_png_is_one_picture_of_the_grid(services, database, board):
    result = export_dashboard(account_of(database, "analyst"), board.id, ExportOptions(format="png"))
    with Image.open(result.path) as picture:
        assert picture.format == "PNG" and picture.width >= 2000 and picture.height > picture.width / 2


def test_the_dialog_date_range_replaces_the_dashboards(services, database, board):
    options = choices_to_options(
        "csv", "detailed", "A4", "portrait", ["regions"], "custom", "2026-11-01", "2026-11-03"
    )
    result = export_dashboard(account_of(database, "analyst"), board.id, options)
    member = zipfile.ZipFile(result.path).namelist()[0]
    text = zipfile.ZipFile(result.path).read(member).decode("utf-8-sig")
    assert text.count("\n") >= 2  # a header and rows
    assert options_to_choices(options, ["regions", "kpi"])[5:] == ["custom", "2026-11-01", "2026-11-03"]


def test_a_user_without_access_gets_nothing_and_no_history(services, database, board):
    stranger = account_of(database, "stranger")
    with pytest.raises(Exception, match="does not exist"):
        export_dashboard(stranger, board.id, ExportOptions())
    with database.session() as session:
        assert list_jobs(session, stranger) == []


def test_a_cancelled_export_is_marked_and_leaves_no_file(services, database, board):
    analyst = account_of(database, "analyst")
    with pytest.raises(Cancelled):
        export_dashboard(analyst, board.id, ExportOptions(format="pdf"), cancelled=lambda: True)
    with database.session() as session:
        [job] = list_jobs(session, analyst)
    assert job.status == "cancelled" and not job.downloadable
    folder = services.settings.exports_path
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_crash_while_writing_fails_the_job_and_leaves_no_debris(services, database, board, monkeypatch):
    def explode(report, handle):
        handle.write(b"half a workbook")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(excel, "write_workbook", explode)
    analyst = account_of(database, "analyst")
    with pytest.raises(ExportFailed, match="has been logged"):
        export_dashboard(analyst, board.id, ExportOptions(format="xlsx"))
    with database.session() as session:
        [job] = list_jobs(session, analyst)
    assert job.status == "failed" and job.error
    folder = services.settings.exports_path
    assert not folder.exists() or list(folder.iterdir()) == []


def test_downloads_obey_the_dashboards_permissions(
    app, clock, database, board, analyst_client, viewer_client
):
    viewer = account_of(database, "viewer")
    with app.server.app_context():
        result = export_dashboard(viewer, board.id, ExportOptions(format="csv"))
    url = f"/exports/{result.job_id}/download"

    def status(client) -> int:
        response = client.get(url)
        response.close()
        return response.status_code

    with viewer_client.get(url) as response:
        assert response.status_code == 200 and response.data == result.path.read_bytes()
        assert result.file_name in response.headers["Content-Disposition"]
    assert status(analyst_client) == 404  # the owner of the dashboard, not of the export
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), board.id, PEOPLE["viewer"][0], None)
    assert status(viewer_client) == 404  # lost access to the dashboard: lost the file


def test_deleting_an_export_removes_its_row_and_only_its_author_may(services, database, board):
    viewer, stranger = account_of(database, "viewer"), account_of(database, "stranger")
    result = export_dashboard(viewer, board.id, ExportOptions(format="csv"))
    with database.session() as session, pytest.raises(ExportNotFound):
        delete_job(session, stranger, result.job_id)
    with database.session() as session:
        assert delete_job(session, viewer, result.job_id) == result.path.name
        assert list_jobs(session, viewer) == []


def test_last_choices_and_named_presets_are_kept_per_user(services, database):
    analyst, viewer = account_of(database, "analyst"), account_of(database, "viewer")
    with database.session() as session:
        remember(session, analyst, {"format": "xlsx"})
        remember(session, analyst, {"format": "pdf", "template": "audit"}, name="Monthly audit")
        remember(session, analyst, {"format": "csv"})
    with database.session() as session:
        assert last_choices(session, analyst) == {"format": "csv"}
        assert presets(session, analyst) == ["Monthly audit"]
        assert last_choices(session, viewer) is None and presets(session, viewer) == []


def test_one_click_chart_exports_in_every_format(services, database, board):
    from exports.collect import dashboard_items

    viewer = account_of(database, "viewer")
    [item] = dashboard_items(board.spec, ["trend"], [], "dark", services.clock())
    png = export_chart(viewer, item, "png", dashboard_id=board.id, size=(800, 400))
    with Image.open(png.path) as picture:
        assert picture.size == (1600, 800)
    svg = export_chart(viewer, item, "svg", dashboard_id=board.id).path.read_text()
    assert svg.startswith("<svg") or "<svg" in svg[:200]
    assert "Revenue by day" in PdfReader(export_chart(viewer, item, "pdf").path).pages[0].extract_text()
    sheet = openpyxl.load_workbook(export_chart(viewer, item, "xlsx").path).worksheets[0]
    assert sheet.max_row > 1
    csv_text = export_chart(viewer, item, "csv").path.read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Time")


def test_the_chart_menu_callback_exports_what_the_screen_shows(
    app, services, database, board, acting_as, fire
):
    request = {"chart": "regions", "fmt": "csv", "view": {"hidden": ["x"]}}
    with acting_as("viewer"):
        download, failed, _message = export_widget(
            request, {"id": board.id}, {"region": ["EMEA"]}, [], "light"
        )
    assert failed is False and download["filename"].endswith(".csv")
    text = (
        base64.b64decode(download["content"]).decode("utf-8-sig")
        if download["base64"]
        else download["content"]
    )
    assert "EMEA" in text and "APAC" not in text  # the filter on screen applies
    with acting_as("stranger"):
        _download, failed, message = export_widget(request, {"id": board.id}, None, [], "light")
    assert failed is True and "no longer" in message


def test_the_overview_chart_menu_exports_under_the_urls_filters(app, services, acting_as):
    with acting_as("viewer"):
        download, failed, _message = export_overview_chart(
            {"chart": "mix", "fmt": "xlsx", "view": {}},
            {"period": "last_30_days", "region": ["EMEA"]},
            "light",
        )
    assert failed is False
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    assert book.worksheets[0].max_row >= 2


def test_forged_chart_requests_are_refused(app, services, board, acting_as):
    with acting_as("viewer"):
        for forged in (
            None,
            {"chart": "regions", "fmt": "exe"},
            {"chart": ["x"], "fmt": "png"},
            {"chart": "nope", "fmt": "png"},
        ):
            _download, failed, _message = export_widget(forged, {"id": board.id}, None, [], "light")
            assert failed is True


def test_cancel_flags_are_shared_through_the_cache(services):
    services.cache.set_flag(cancel_key("abc"))
    assert services.cache.has_flag(cancel_key("abc")) and not services.cache.has_flag(cancel_key("abd"))


def test_the_report_command_writes_the_same_file_as_the_dialog(app, board, tmp_path, clock):
    target = tmp_path / "out" / "report.pdf"
    target.parent.mkdir()
    runner = app.server.test_cli_runner()
    outcome = runner.invoke(
        args=["report", str(board.id), "--format", "pdf", "--template", "executive", "-o", str(target)]
    )
    assert outcome.exit_code == 0, outcome.output
    assert "Sales pulse" in PdfReader(target).pages[0].extract_text()
    refused = runner.invoke(args=["report", str(board.id), "--as", PEOPLE["stranger"][0], "-o", str(target)])
    assert refused.exit_code != 0 and "does not exist" in refused.output


def test_an_export_whose_process_died_is_marked_failed_and_its_debris_swept(services, database, board, clock):
    """A process killed mid-export (kill -9, a lost machine) leaves a "running" row and a partial
    file; a later export marks the row failed with a reason and removes the file."""
    import os
    import time

    from data.export_jobs import start_job
    from exports.files import DEBRIS_AGE_SECONDS, PARTIAL

    analyst = account_of(database, "analyst")
    with database.session() as session:
        dead = start_job(
            session, analyst, "Sales pulse", "dashboard", "pdf", "detailed", {}, board.id, 1, services.clock()
        )
    folder = services.settings.exports_path
    folder.mkdir(parents=True, exist_ok=True)
    debris = folder / f"0123abcd.pdf.4242{PARTIAL}"
    debris.write_bytes(b"%PDF-1.7 half a report")
    old = time.time() - DEBRIS_AGE_SECONDS - 60
    os.utime(debris, (old, old))
    clock(services.clock() + dt.timedelta(hours=2))
    export_dashboard(analyst, board.id, ExportOptions(format="csv"))
    with database.session() as session:
        job = get_job(session, analyst, dead)
    assert job.status == "failed" and "process making it ended" in job.error
    assert not debris.exists()


def test_a_running_export_beats_and_a_silent_one_is_failed_after_four_missed_beats(
    template_db, tmp_path, database
):
    """A worker killed mid-export stops beating: within four heartbeats its job is failed, while
    an export that is busy (here: waiting inside its cancel check) keeps beating and lives on."""
    from data.export_jobs import start_job
    from data.models import ExportJob
    from exports.run import mark_abandoned
    from tests.conftest import build_app, wait_until

    app = build_app(template_db, tmp_path / "beats", job_heartbeat_seconds=0.2)
    services = app.server.extensions[EXTENSION]
    board = shared_board(services.database, DOCUMENT)
    analyst = account_of(services.database, "analyst")
    with app.server.app_context():
        with services.database.session() as session:
            silent = start_job(session, analyst, "Killed", "dashboard", "pdf", "detailed", {}, board.id, 1,
                               services.clock())
        seen = {}

        def heartbeat_of(job_id):
            with services.database.session() as session:
                return session.get(ExportJob, job_id).heartbeat_at

        def busy() -> bool:
            """Between two widgets: stay here until this export's heartbeat has been recorded
            twice, and the silent job has been marked failed meanwhile."""
            with services.database.session() as session:
                mine = session.query(ExportJob).order_by(ExportJob.id.desc()).first().id
            seen["first"] = wait_until(lambda: heartbeat_of(mine), 10, "a first heartbeat")
            wait_until(lambda: heartbeat_of(mine) != seen["first"], 10, "a second heartbeat")
            mark_abandoned()
            with services.database.session() as session:
                seen["silent"] = session.get(ExportJob, silent).status
                seen["mine"] = session.get(ExportJob, mine).status
            return False

        result = export_dashboard(analyst, board.id, ExportOptions(format="csv"), cancelled=busy)
        with services.database.session() as session:
            assert get_job(session, analyst, result.job_id).status == "done"
            died = get_job(session, analyst, silent)
    assert seen["silent"] == "failed" and seen["mine"] == "running"
    assert died.status == "failed" and "process making it ended" in died.error
    services.database.dispose()


def test_eight_chart_exports_started_at_once_each_get_their_own_image(app, services, database, board):
    """Eight one-click exports at once, each of a different chart or size: every file is byte for
    byte the picture its own chart gives when drawn alone afterwards."""
    import concurrent.futures

    from context import carried
    from exports import renderer
    from exports.collect import dashboard_items

    viewer = account_of(database, "viewer")
    base = [
        item for item in dashboard_items(board.spec, None, [], "light", services.clock()) if item.has_chart
    ]
    requests = [(base[i % len(base)], (400 + 40 * i, 240 + 20 * i)) for i in range(8)]

    def one(request):
        item, size = request
        return export_chart(viewer, item, "png", dashboard_id=board.id, size=size)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(carried(one), requests))
    assert len({result.path for result in results}) == 8
    for (item, (width, height)), result in zip(requests, results, strict=True):
        alone = renderer.render(item.figure, "png", width=width, height=height, scale=2)
        assert result.path.read_bytes() == alone, f"{item.title} at {width}x{height} got another image"


def test_only_the_user_an_export_runs_for_can_cancel_it(app, services, board, acting_as):
    from callbacks.export_dialog import cancel, start

    with acting_as("viewer"):
        request, _status, _progress = start(
            1, {"id": board.id}, "pdf", "detailed", "A4", "portrait", ["trend"], "dashboard", None, None
        )
    flag = cancel_key(request["key"])
    with acting_as("editor"):  # another user who can see the dashboard, holding the same request
        assert cancel(1, request) == (no_update, no_update, no_update)
    assert not services.cache.has_flag(flag)
    with acting_as("viewer"):
        forged = {**request, "ticket": request["ticket"][:-2] + "xx"}
        assert cancel(1, forged) == (no_update, no_update, no_update)
        assert cancel(1, request) == ("Cancelling…", True, no_update)
    assert services.cache.has_flag(flag)
