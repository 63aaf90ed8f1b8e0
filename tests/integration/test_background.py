"""Which background-callback manager an app gets, and the worker's refusal to run without Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dash import CeleryManager

from background import JobManager
from tests.conftest import build_app, service_url

ROOT = Path(__file__).resolve().parents[2]


def test_without_redis_jobs_run_from_the_local_forkserver(app):
    assert isinstance(app._background_manager, JobManager)


def test_with_redis_background_callbacks_go_to_celery(template_db, tmp_path, celery_queue):
    redis_url = service_url("TEST_REDIS_URL", "Redis")
    scaled = build_app(template_db, tmp_path / "one", redis_url=redis_url, job_queue=celery_queue)
    again = build_app(template_db, tmp_path / "two", redis_url=redis_url, job_queue=celery_queue)
    manager = scaled._background_manager
    assert isinstance(manager, CeleryManager)
    assert again._background_manager is manager  # one manager, so every task is defined once
    assert manager.handle.conf.task_default_queue == celery_queue
    assert any(name.startswith("background_callback_") for name in manager.handle.tasks)


def test_the_worker_refuses_to_start_without_redis(tmp_path):
    env = {**os.environ, "PULSEBOARD_INSTANCE": str(tmp_path), "PULSEBOARD_ENV": "test",
           "REDIS_URL": ""}
    result = subprocess.run([sys.executable, "-c", "import worker"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
