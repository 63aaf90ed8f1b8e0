"""Scaled out: with REDIS_URL set, the Overview's heavy panels and the dashboard exports run on a
real Celery worker, and an export whose worker is killed fails cleanly and can be run again."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.serving import make_server

from background import celery_for
from context import EXTENSION
from data.dataset_store import get_dataset_info
from data.models import ExportJob
from tests.browser.conftest import (
    chart_dashboard,
    expect_in_history_without_download,
    sign_in,
    stop,
    twenty_four_charts,
)
from tests.conftest import SECRET, build_app, service_url
from tests.helpers import account_of

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def _wait_for_worker(celery, process: subprocess.Popen, timeout: float = 90.0) -> None:
    """Ping until the worker answers (each ping waits up to a second for replies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {process.returncode}")
        if celery.control.ping(timeout=1.0):
            return
    raise TimeoutError("the Celery worker did not answer within 90 s")


class Worker:
    """A real Celery worker process for the live app, which a test may kill and start again."""

    def __init__(self, env: dict, queue: str, log_path: Path, celery):
        self.env, self.queue, self.log_path, self.celery = env, queue, log_path, celery
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "celery"), "-A", "worker.celery", "worker", "--pool=solo",
                 "--without-gossip", "--without-mingle", "--loglevel=WARNING", "-Q", self.queue],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_worker(self.celery, self.process)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}; worker log:\n{self.log_path.read_text()}") from None

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no cleanup runs."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process, timeout=30)


@pytest.fixture(scope="module")
def celery_live(template_db, tmp_path_factory, celery_queue):
    """A live app whose background callbacks go to a real Celery worker process on Redis: its
    URL, its database and the worker. Jobs beat every half second, so a killed worker's job is
    known dead within two."""
    redis_url = service_url("TEST_REDIS_URL", "Redis")
    folder = tmp_path_factory.mktemp("celery")
    queue = celery_queue
    app = build_app(template_db, folder, redis_url=redis_url, job_queue=queue, job_heartbeat_seconds=0.5)
    env = {**os.environ, "PULSEBOARD_ENV": "test", "PULSEBOARD_INSTANCE": str(folder),
           "DATABASE_URL": f"sqlite:///{folder / 'pulseboard.db'}", "SECRET_KEY": SECRET,
           "REDIS_URL": redis_url, "PULSEBOARD_JOB_QUEUE": queue, "DEMO_FEED": "0",
           "JOB_HEARTBEAT_SECONDS": "0.5"}
    worker = Worker(env, queue, folder / "worker.log", celery_for(redis_url, queue))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        worker.start()
        thread.start()
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}",
                              database=app.server.extensions[EXTENSION].database, worker=worker,
                              folder=folder)
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        worker.stop()
        app.server.extensions[EXTENSION].database.dispose()


def test_heavy_panels_are_computed_by_the_celery_worker(page, celery_live):
    sign_in(page, celery_live.url, "viewer")
    expect(page.locator("#ov-top-customers .ag-row")).to_have_count(10, timeout=60_000)
    expect(page.locator("#ov-top-products .ag-row")).to_have_count(10)
    expect(page.locator("#ov-heavy-status")).to_contain_text("as of")
    expect(page.locator("#kv-revenue")).not_to_have_text("…")


def test_an_export_runs_on_the_worker_and_a_killed_worker_fails_it_cleanly_and_a_retry_succeeds(
        page, celery_live, tmp_path):
    """Kill -9 the worker in the middle of a 24-chart PDF: the dialog says the export stopped,
    /reports lists it as failed with nothing to download, and once a worker is back the same
    export, started again, finishes on it with a PDF that opens."""
    widgets = twenty_four_charts()
    dashboard_id = chart_dashboard(celery_live.database, "analyst", "Killed mid-export", widgets)
    sign_in(page, celery_live.url, "analyst", f"/dashboards/{dashboard_id}")
    expect(page.locator("#pb-dashboard [data-widget]")).to_have_count(len(widgets))

    page.click("#xd-open")
    expect(page.locator("#xd-start")).to_be_enabled()
    page.locator("#xd-modal").get_by_label("PDF report").check()
    page.click("#xd-start")
    status = page.locator("#xd-status")
    expect(status).to_contain_text("Rendering", timeout=60_000)  # the worker is in the middle of it
    celery_live.worker.kill()
    expect(status).to_contain_text("stopped before it finished", timeout=30_000)
    expect(page.locator("#xd-start")).to_be_enabled()
    expect(page.locator("#xd-cancel")).to_be_disabled()

    expect_in_history_without_download(page, "Killed mid-export", "Failed")
    with celery_live.database.session() as session:
        [job] = session.scalars(select(ExportJob).where(ExportJob.subject == "Killed mid-export")).all()
    assert job.stored_name is None
    gone = page.request.get(f"{celery_live.url}/exports/{job.id}/download")
    assert gone.status == 404 and b"%PDF" not in gone.body()

    celery_live.worker.start()
    page.goto(f"{celery_live.url}/dashboards/{dashboard_id}")
    page.click("#xd-open")
    expect(page.locator("#xd-start")).to_be_enabled()
    page.locator("#xd-modal").get_by_label("PDF report").check()
    with page.expect_download(timeout=120_000) as info:
        page.click("#xd-start")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert PdfReader(path).metadata.title == "Killed mid-export"
    expect(status).to_contain_text("Done")


def test_an_upload_is_imported_by_the_celery_worker(page, celery_live, tmp_path):
    """The worker has no signed-in user: it redeems the ticket Import signed, reads the file from
    the shared uploads folder, checks the analyst's rights again and imports every row."""
    path = tmp_path / "deliveries.csv"
    rows = [f"2026-03-{n % 28 + 1:02d},R{n % 4},{n}" for n in range(1, 1201)]
    path.write_text("Delivered,Route,Stops\n" + "\n".join(rows) + "\n", encoding="utf-8")
    sign_in(page, celery_live.url, "analyst", "/data")
    page.set_input_files("#data-upload input[type=file]", str(path))
    expect(page.locator("#data-panel")).to_be_visible(timeout=60_000)
    page.fill("#data-name", "deliveries_celery")
    page.fill("#data-title", "Deliveries")
    page.click("#data-import")
    status = page.locator("#data-status")
    expect(status).to_contain_text("Imported 1,200 rows into Deliveries", timeout=60_000)
    expect(page.locator("tr[data-dataset='deliveries_celery']")).to_contain_text("1,200")

    database = celery_live.database
    with database.session() as session:
        info = get_dataset_info(session, account_of(database, "analyst"), "deliveries_celery")
    assert info.row_count == 1200 and info.definition.time_column == "delivered"
    with database.engine.connect() as connection:
        stops = connection.scalar(sa.text("SELECT sum(stops) FROM upload_deliveries_celery"))
    assert stops == sum(range(1, 1201))
    assert not list((Path(celery_live.folder) / "uploads").glob("*.csv"))  # the worker removed the file
