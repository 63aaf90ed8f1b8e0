"""Faults, on servers of the test's own: Redis going down or freezing under an app that uses it,
PostgreSQL restarting in the middle of a session and of a save, and a production server refusing
to start with a missing or weak secret key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import dash
import pytest
import redis
import sqlalchemy as sa

from context import EXTENSION
from data import dashboards as store
from data.cache import CacheUnavailable
from data.db import Database
from data.migrate import upgrade
from data.models import Dashboard, DashboardVersion
from data.overview_filters import OverviewFilters, filters_to_json
from tests.conftest import DEMO_END, PEOPLE, SECRET, _signed_in_client, build_app, seed_users, wait_until
from tests.helpers import account_of
from tests.integration.test_dashboard_store import sales_spec

ROOT = Path(__file__).resolve().parents[2]
NOW = DEMO_END + dt.timedelta(minutes=5)
QUICK_SECONDS = 10  # with Redis down or frozen, a callback answers well within this
OVERVIEW_LOAD = "kv-revenue.children"  # an output of the Overview's first load
HEAVY_PANELS = "ov-heavy-status.children"  # the Overview's background callback
OVERVIEW_INPUTS = {"ov-filters.data": filters_to_json(OverviewFilters()), "pb-theme.data": "light"}


class Answer(NamedTuple):
    status: int
    body: dict
    seconds: float


def call(client, app, output: str, values: dict, query: str = "") -> Answer:
    """POST the callback with `output` as the browser does, with input values by "id.property"."""
    key = next(key for key in app.callback_map if output in key)
    spec = app.callback_map[key]

    def given(entries):
        return [{**entry, "value": values.get(f"{entry['id']}.{entry['property']}")} for entry in entries]

    payload = {"output": key, "inputs": given(spec["inputs"]), "state": given(spec["state"]),
               "outputs": [{"id": o.component_id, "property": o.component_property} for o in spec["output"]],
               "changedPropIds": [f"{entry['id']}.{entry['property']}" for entry in spec["inputs"]]}
    started = time.monotonic()
    response = client.post(f"/_dash-update-component{query}", json=payload)
    body = response.get_json(silent=True) or {}
    return Answer(response.status_code, body, time.monotonic() - started)


def shown(answer: Answer, component: str) -> str:
    """The text a callback's answer puts in `component`'s children."""
    return json.dumps(answer.body["response"][component]["children"])


def kpi_values(answer: Answer) -> dict:
    return {name: props["children"] for name, props in answer.body["response"].items()
            if name.startswith("kv-")}


# -- Redis ------------------------------------------------------------------------------------

@pytest.fixture
def redis_app(template_db, tmp_path, private_redis):
    """An app scaled out onto the test's own Redis (cache and background callbacks), its clock
    pinned after the demo data ends, and a way to look at what it cached."""
    app = build_app(template_db, tmp_path / "app", redis_url=private_redis.url, job_queue="faults")
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: NOW)
    yield app
    services.cache.close()
    services.database.dispose()


def cached_keys(server) -> list[bytes]:
    client = redis.Redis.from_url(server.url)
    try:
        return client.keys("pulseboard:faults:*")
    finally:
        client.close()


def test_with_redis_down_pages_load_and_caching_resumes_when_it_is_back(redis_app, private_redis, caplog):
    app, client = redis_app, _signed_in_client(redis_app, "viewer")
    before = call(client, app, OVERVIEW_LOAD, OVERVIEW_INPUTS)
    assert before.status == 200 and cached_keys(private_redis)

    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="data.cache"):
        down = [call(client, app, OVERVIEW_LOAD, OVERVIEW_INPUTS) for _ in range(2)]
    assert [answer.status for answer in down] == [200, 200]
    assert all(answer.seconds < QUICK_SECONDS for answer in down)
    assert kpi_values(down[1]) == kpi_values(before)  # computed afresh: the same numbers
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1  # warned once
    assert "Redis result cache unreachable" in caplog.records[0].message
    assert client.get("/").status_code == 200 and client.get("/_dash-layout").status_code == 200

    heavy = call(client, app, HEAVY_PANELS, OVERVIEW_INPUTS)
    assert heavy.status == 200 and heavy.seconds < QUICK_SECONDS
    assert "job queue (Redis) cannot be reached" in shown(heavy, "ov-heavy-status")
    with pytest.raises(CacheUnavailable, match="cannot be cancelled"):
        app.server.extensions[EXTENSION].cache.set_flag("export-1")

    private_redis.start()  # empty, as after a crash; the same app, not restarted
    cache = app.server.extensions[EXTENSION].cache
    wait_until(lambda: cache.get_or_compute("probe", lambda: 1) and cached_keys(private_redis), 30,
               "the app to cache in Redis again")
    assert call(client, app, OVERVIEW_LOAD, OVERVIEW_INPUTS).status == 200
    assert len(cached_keys(private_redis)) > 1  # the Overview's results, besides the probe
    started = call(client, app, HEAVY_PANELS, OVERVIEW_INPUTS)
    assert started.status == 200 and {"cacheKey", "job"} <= set(started.body)  # a job is queued


def test_a_job_polled_after_redis_went_down_says_it_lost_contact(redis_app, private_redis):
    app, client = redis_app, _signed_in_client(redis_app, "viewer")
    started = call(client, app, HEAVY_PANELS, OVERVIEW_INPUTS)
    assert started.status == 200, started.body
    private_redis.stop()
    handles = f"?cacheKey={started.body['cacheKey']}&job={started.body['job']}"
    poll = call(client, app, HEAVY_PANELS, OVERVIEW_INPUTS, query=handles)
    assert poll.status == 200 and poll.seconds < QUICK_SECONDS
    assert "Lost contact with Pulseboard's job queue (Redis)" in shown(poll, "ov-heavy-status")


def test_cancelling_an_export_with_redis_down_says_so_and_keeps_the_button(redis_app, private_redis):
    from callbacks.export_dialog import cancel, start

    database = redis_app.server.extensions[EXTENSION].database
    viewer, analyst = account_of(database, "viewer"), account_of(database, "analyst")
    with database.session() as session:
        board = store.create_dashboard(session, analyst, sales_spec())
        store.set_share(session, analyst, board.id, PEOPLE["viewer"][0], "view")
    client = _signed_in_client(redis_app, "viewer")
    with redis_app.server.test_request_context("/_dash-update-component", method="POST"):
        from flask_login import login_user

        login_user(viewer)
        request, _status, _progress = start(
            1, {"id": board.id}, "pdf", "detailed", "A4", "portrait", ["w1"], "dashboard", None, None)
        private_redis.stop()
        label, disabled, status = cancel(1, request)
    assert (label, disabled) == (dash.no_update, dash.no_update)  # still "Cancel export", enabled
    assert "cannot be cancelled now" in json.dumps(status.to_plotly_json(), default=str)
    assert client.get("/").status_code == 200


def test_with_redis_frozen_pages_and_background_work_answer_quickly(redis_app, private_redis):
    app, client = redis_app, _signed_in_client(redis_app, "viewer")
    assert call(client, app, OVERVIEW_LOAD, OVERVIEW_INPUTS).status == 200
    os.kill(private_redis.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        page = call(client, app, OVERVIEW_LOAD, OVERVIEW_INPUTS)
        heavy = call(client, app, HEAVY_PANELS, OVERVIEW_INPUTS)
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)
    assert page.status == 200 and page.seconds < QUICK_SECONDS and kpi_values(page)
    assert heavy.status == 200 and heavy.seconds < QUICK_SECONDS
    assert "cannot be reached" in shown(heavy, "ov-heavy-status")


# -- PostgreSQL ---------------------------------------------------------------------------------

def _waiting_on_a_lock(database: Database) -> bool:
    with database.engine.connect() as connection:
        return bool(connection.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")))


def _history(database: Database, dashboard_id: int) -> tuple[int, str, list[int], str]:
    """The dashboard's version and title, its history's versions and the newest one's title."""
    with database.session() as session:
        row = session.get(Dashboard, dashboard_id)
        versions = session.execute(sa.select(DashboardVersion.version, DashboardVersion.document)
                                   .where(DashboardVersion.dashboard_id == dashboard_id)
                                   .order_by(DashboardVersion.version)).all()
        return row.version, row.title, [v for v, _ in versions], json.loads(versions[-1][1])["title"]


@pytest.mark.postgres
def test_postgres_restarting_mid_session_and_mid_save_loses_nothing_half_done(
        private_postgres, template_db, tmp_path):
    upgrade(private_postgres.url)
    setup = Database(private_postgres.url)
    seed_users(setup)
    analyst = account_of(setup, "analyst")
    with setup.session() as session:
        dashboard_id = store.create_dashboard(session, analyst, sales_spec("Before")).id
        token = store.publish(session, analyst, dashboard_id)
    app = build_app(template_db, tmp_path / "app", database_url=private_postgres.url)
    database = app.server.extensions[EXTENSION].database
    client = _signed_in_client(app, "analyst")
    assert "Before" in client.get(f"/public/{token}").get_data(as_text=True)

    # A save in flight: its UPDATE of the dashboard is done, and its history row waits on another
    # transaction's uncommitted row for the same version (the unique key) when PostgreSQL dies.
    blocker = setup.engine.connect()
    blocker.execute(sa.insert(DashboardVersion).values(
        dashboard_id=dashboard_id, version=2, document="{}", author_id=analyst.id, created_at=NOW))
    failures = []

    def save(title: str) -> None:
        try:
            with database.session() as session:
                store.save_dashboard(session, analyst, dashboard_id, sales_spec(title), base_version=1)
        except Exception as error:  # the assertion below says what it was
            failures.append(error)

    in_flight = threading.Thread(target=save, args=("During",))
    in_flight.start()
    wait_until(lambda: _waiting_on_a_lock(setup), 30, "the save to wait on the history row")
    private_postgres.stop("immediate")  # as a crash: nothing is committed on the way down
    private_postgres.start()
    in_flight.join(timeout=30)
    blocker.invalidate()
    assert not in_flight.is_alive() and len(failures) == 1
    assert isinstance(failures[0], sa.exc.OperationalError)

    # The next requests succeed (the pool pings and replaces the dead connections), and the save
    # left nothing half done: the dashboard and its history both still say version 1.
    page = client.get(f"/public/{token}")
    assert page.status_code == 200 and "Before" in page.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200
    assert _history(database, dashboard_id) == (1, "Before", [1], "Before")

    save("After")  # saved again, whole; and a restart keeps it
    assert not failures[1:]
    private_postgres.stop("fast")
    private_postgres.start()
    assert "After" in client.get(f"/public/{token}").get_data(as_text=True)
    assert _history(database, dashboard_id) == (2, "After", [1, 2], "After")
    database.dispose()
    setup.dispose()


# -- production settings ----------------------------------------------------------------------

@pytest.mark.parametrize("secret", ["", "changeme"], ids=["missing", "weak"])
def test_a_production_server_will_not_start_without_a_strong_secret_key(tmp_path, secret):
    env = {**os.environ, "PULSEBOARD_ENV": "production", "SECRET_KEY": secret,
           "PULSEBOARD_INSTANCE": str(tmp_path), "REDIS_URL": "", "DEMO_FEED": "0"}
    # gunicorn loads the app as it would to serve it, then exits without serving.
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "app:server"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode != 0
    assert "PULSEBOARD_ENV=production needs a strong SECRET_KEY" in result.stderr


def test_a_production_server_runs_without_debug_even_when_asked(tmp_path):
    env = {**os.environ, "PULSEBOARD_ENV": "production", "SECRET_KEY": SECRET, "DEBUG": "1",
           "PULSEBOARD_INSTANCE": str(tmp_path), "REDIS_URL": "", "DEMO_FEED": "0"}
    result = subprocess.run([sys.executable, "-c", "import app; print(app.server.debug)"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
