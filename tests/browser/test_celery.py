"""Scaled out: with REDIS_URL set, the Overview's heavy panels run on a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from background import celery_for
from context import EXTENSION
from tests.browser.conftest import sign_in, stop
from tests.conftest import SECRET, build_app, service_url

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


@pytest.fixture(scope="module")
def celery_server(template_db, tmp_path_factory, celery_queue):
    """A live app whose background callbacks go to a real Celery worker process on Redis."""
    redis_url = service_url("TEST_REDIS_URL", "Redis")
    folder = tmp_path_factory.mktemp("celery")
    queue = celery_queue
    app = build_app(template_db, folder, redis_url=redis_url, job_queue=queue)
    env = {**os.environ, "PULSEBOARD_ENV": "test", "PULSEBOARD_INSTANCE": str(folder),
           "DATABASE_URL": f"sqlite:///{folder / 'pulseboard.db'}", "SECRET_KEY": SECRET,
           "REDIS_URL": redis_url, "PULSEBOARD_JOB_QUEUE": queue, "DEMO_FEED": "0"}
    log_path = folder / "worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "worker.celery", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING", "-Q", queue],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        try:
            _wait_for_worker(celery_for(redis_url, queue), worker)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}; worker log:\n{log_path.read_text()}") from None
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        stop(worker, timeout=30)
        log.close()
        app.server.extensions[EXTENSION].database.dispose()


def test_heavy_panels_are_computed_by_the_celery_worker(page, celery_server):
    sign_in(page, celery_server, "viewer")
    expect(page.locator("#ov-top-customers .ag-row")).to_have_count(10, timeout=60_000)
    expect(page.locator("#ov-top-products .ag-row")).to_have_count(10)
    expect(page.locator("#ov-heavy-status")).to_contain_text("as of")
    expect(page.locator("#kv-revenue")).not_to_have_text("…")
