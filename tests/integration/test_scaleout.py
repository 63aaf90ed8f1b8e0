"""Scaled out on the Redis at TEST_REDIS_URL: the result cache is shared by every app process of
one deployment, kept apart from other deployments, bounded in time, and safe across forks."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import event

from context import EXTENSION, result_cache
from data.cache import RedisResultCache
from data.overview_filters import filter_options
from settings import Settings
from tests.conftest import SECRET, build_app, service_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url() -> str:
    return service_url("TEST_REDIS_URL", "Redis")


@pytest.fixture
def deployment(redis_url):
    """A job queue name of this test's own, which names its deployment's keys; removed after."""
    queue = f"pulseboard-test-{uuid.uuid4().hex[:8]}"
    yield queue
    client = redis.Redis.from_url(redis_url)
    names = list(client.scan_iter(match=f"pulseboard:{queue}*"))
    if names:
        client.delete(*names)
    client.close()


def _cache(redis_url: str, queue: str, secret: str = SECRET) -> RedisResultCache:
    """The result cache an app with these settings gets."""
    settings = Settings.load({"redis_url": redis_url, "job_queue": queue, "secret_key": secret,
                              "env": "test"}, environ={})
    cache = result_cache(settings)
    assert isinstance(cache, RedisResultCache)
    return cache


def test_filter_options_one_app_process_computed_cost_another_no_query(
        template_db, tmp_path, redis_url, deployment):
    database = tmp_path / "first.db"
    shutil.copy(template_db, database)
    env = {**os.environ, "PULSEBOARD_ENV": "test", "SECRET_KEY": SECRET, "DEMO_FEED": "0",
           "PULSEBOARD_INSTANCE": str(tmp_path / "first"), "DATABASE_URL": f"sqlite:///{database}",
           "REDIS_URL": redis_url, "PULSEBOARD_JOB_QUEUE": deployment}
    # The first process builds its app as gunicorn does (`import app`) and opens the Overview's filters.
    script = ("import json, app; from context import EXTENSION; from data.overview_filters import "
              "filter_options; services = app.server.extensions[EXTENSION]; "
              "print(json.dumps(filter_options(services.database.engine, services.cache)))")
    first = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=180)
    assert first.returncode == 0, first.stderr
    offered = json.loads(first.stdout.strip().splitlines()[-1])
    assert offered["region"]

    second = build_app(template_db, tmp_path / "second", redis_url=redis_url, job_queue=deployment)
    services = second.server.extensions[EXTENSION]
    statements = []
    event.listen(services.database.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    try:
        assert filter_options(services.database.engine, services.cache) == offered
        assert statements == []  # the second process asked its database nothing
        with services.database.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert statements == ["SELECT 1"]  # (and it would have been heard asking)
    finally:
        services.cache.close()
        services.database.dispose()


def test_deployments_sharing_one_redis_never_see_each_others_results(redis_url, deployment):
    ours, theirs = _cache(redis_url, deployment), _cache(redis_url, f"{deployment}-other")
    computed = []

    def compute(answer: str):
        computed.append(answer)
        return answer

    assert ours.get_or_compute("revenue", lambda: compute("ours")) == "ours"
    assert theirs.get_or_compute("revenue", lambda: compute("theirs")) == "theirs"
    assert ours.get_or_compute("revenue", lambda: compute("again")) == "ours"
    assert computed == ["ours", "theirs"]

    ours.set_flag("cancel-export-7")
    assert ours.has_flag("cancel-export-7") and not theirs.has_flag("cancel-export-7")
    client = redis.Redis.from_url(redis_url)
    names = list(client.scan_iter(match=f"pulseboard:{deployment}:*"))
    assert len(names) == 2 and all(0 < client.ttl(name) <= 3600 for name in names)  # every key expires

    ours.clear()  # clears our deployment's keys only
    assert not list(client.scan_iter(match=f"pulseboard:{deployment}:*"))
    assert theirs.get_or_compute("revenue", lambda: compute("lost")) == "theirs"
    client.close()
    ours.close()
    theirs.close()


def test_a_value_written_under_another_secret_key_is_a_miss(redis_url, deployment):
    planted = _cache(redis_url, deployment, secret="someone-else's-secret-key-0123456789")
    planted.get_or_compute("revenue", lambda: "planted")
    ours = _cache(redis_url, deployment)
    assert ours.get_or_compute("revenue", lambda: "computed") == "computed"
    planted.close()
    ours.close()


def _compute_in_child(cache: RedisResultCache) -> None:
    value = cache.get_or_compute("from-child", lambda: {"pid": os.getpid()})
    sys.exit(0 if value == {"pid": os.getpid()} else 1)


def test_a_forked_job_uses_the_cache_and_its_parent_still_can(redis_url, deployment):
    cache = _cache(redis_url, deployment)
    assert cache.get_or_compute("from-parent", lambda: 1) == 1  # the parent holds a connection now
    child = multiprocessing.get_context("fork").Process(target=_compute_in_child, args=(cache,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert cache.get_or_compute("from-child", lambda: "not computed by the child") == {"pid": child.pid}
    assert cache.get_or_compute("from-parent", lambda: 2) == 1
    cache.close()
