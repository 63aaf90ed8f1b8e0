"""`gunicorn app:server`, as the Procfile runs it, starts the host's chart renderer as it starts,
so the first export does not wait for Chromium, and still boots and stops its workers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from exports import renderer
from settings import ROOT
from tests.conftest import SECRET, free_port

DEADLINE_SECONDS = 90


def test_the_web_server_starts_the_renderer_before_any_export(template_db, tmp_path):
    database = tmp_path / "pulseboard.db"
    database.write_bytes(Path(template_db).read_bytes())
    folder = tmp_path / "renderer"
    env = {**os.environ, "PULSEBOARD_ENV": "test", "SECRET_KEY": SECRET, "DEMO_FEED": "0",
           "PULSEBOARD_INSTANCE": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{database}",
           "PULSEBOARD_RENDERER": str(folder), "REDIS_URL": ""}
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--threads", "2"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        status, deadline = None, time.monotonic() + DEADLINE_SECONDS
        while status is None and time.monotonic() < deadline and server.poll() is None:
            # Polls a socket that appears once the render server listens; no export ever asked.
            status = renderer.server_status(folder, timeout=5) if (folder / "render.sock").exists() else None
            if status is None:
                time.sleep(0.2)  # a pause between polls, not a synchronisation
        assert server.poll() is None, "gunicorn exited"
        assert status is not None and status["renders"] == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
            assert response.status == 200  # the worker booted: nothing in the master held it up
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)  # gunicorn stops at once: nothing in its workers hangs
        renderer.stop_server(folder)
