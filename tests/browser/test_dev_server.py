"""The app as `make run` serves it: `python app.py`, whose background jobs must still run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, stop
from tests.conftest import SECRET, free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def _wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Ask /healthz until it answers 200 (each attempt waits up to a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"python app.py exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            continue
    raise TimeoutError("python app.py did not become healthy within 60 s")


@pytest.fixture(scope="module")
def dev_server(template_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dev-server")
    shutil.copy(template_db, folder / "pulseboard.db")
    port = free_port()
    env = {**os.environ, "PULSEBOARD_ENV": "test", "PULSEBOARD_INSTANCE": str(folder),
           "SECRET_KEY": SECRET, "HOST": "127.0.0.1", "PORT": str(port), "DEMO_FEED": "0",
           "REDIS_URL": ""}
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process)
        yield url, folder / "server.log"
    finally:
        stop(process)
        log.close()


def test_heavy_panels_load_when_served_by_python_app_py(page, dev_server):
    url, log = dev_server
    sign_in(page, url, "viewer")
    expect(page.locator("#ov-top-customers .ag-row")).to_have_count(10, timeout=60_000)
    expect(page.locator("#ov-heavy-status")).to_contain_text("as of")
    assert "Traceback" not in log.read_text()
