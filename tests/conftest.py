"""Shared fixtures: a fresh app per test over a copy of a seeded SQLite file, signed-in clients
for every role, PostgreSQL schemas when TEST_DATABASE_URL is set, a live server driven by
Playwright in Chromium for the browser tests, and Redis and PostgreSQL servers of a test's own
for the fault tests to stop and start."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis

# The `app` module builds a default app on import; keep its instance folder out of the repo.
os.environ.setdefault("PULSEBOARD_INSTANCE", tempfile.mkdtemp(prefix="pulseboard-test-"))
os.environ.setdefault("PULSEBOARD_ENV", "test")

from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask_login import login_user

from app import create_app
from auth.account import Account
from auth.setup import read_as_signed_in
from background import JobManager
from context import EXTENSION
from data import users as user_commands
from data.catalog import end_reading
from data.db import Database, scratch_schema
from data.migrate import upgrade
from data.seed import seed_demo

DEMO_END = dt.datetime(2026, 11, 20, 15, 30)
DEMO_ROWS = 5_000
SECRET = "test-secret-key-that-is-long-enough-0123456789"
PEOPLE = {
    "admin": ("ada@example.com", "Ada Admin", "admin-password-1"),
    "analyst": ("alan@example.com", "Alan Analyst", "analyst-password-1"),
    "viewer": ("vera@example.com", "Vera Viewer", "viewer-password-1"),
    "editor": ("editor@example.com", "Edith Editor", "editor-password-1"),
    "stranger": ("stranger@example.com", "Stan Stranger", "stranger-password-1"),
}
# PEOPLE is keyed by role, except these two analysts of the dashboard permission matrix.
ROLE_OF = {"editor": "analyst", "stranger": "analyst"}


def service_url(variable: str, what: str) -> str:
    """Return a service URL from the environment; skip without it, but fail under CI."""
    url = os.environ.get(variable)
    if not url:
        missing_service(f"{variable} is not set: skipping the tests that need {what}")
    return url


@pytest.fixture(scope="session", autouse=True)
def render_server(tmp_path_factory):
    """One render server (one Chromium) for the whole session, shared by every test app and the
    servers they start, and stopped at the end: a server per test would hold a Chromium each."""
    from exports import renderer

    folder = tmp_path_factory.mktemp("renderer")
    previous = os.environ.get("PULSEBOARD_RENDERER")
    os.environ["PULSEBOARD_RENDERER"] = str(folder)
    yield folder
    renderer.stop_server(folder)
    if previous is None:
        os.environ.pop("PULSEBOARD_RENDERER", None)
    else:
        os.environ["PULSEBOARD_RENDERER"] = previous


def seed_users(database: Database) -> None:
    with database.session() as session:
        for key, (email, name, password) in PEOPLE.items():
            user_commands.create_user(session, email, password, ROLE_OF.get(key, key), name)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> str:
    """A migrated SQLite file with the demo business and one user per role, built once."""
    path = tmp_path_factory.mktemp("template") / "pulseboard.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    seed_demo(database.engine, rows=DEMO_ROWS, end=DEMO_END)
    seed_users(database)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return str(path)


def build_app(template_db: str, folder, **overrides):
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "pulseboard.db"
    shutil.copy(template_db, db_path)
    config = {"env": "test", "instance_path": folder, "database_url": f"sqlite:///{db_path}",
              "secret_key": SECRET, "demo_feed": False, "scheduler": "off"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(template_db, tmp_path):
    application = build_app(template_db, tmp_path)
    yield application
    close_app(application)


def close_app(application) -> None:
    """Let go of what an app holds open: its database pool, its result cache and, on one machine,
    its background jobs' diskcache (each a SQLite file with its journal). Left open, a session's
    hundreds of apps ran out of file descriptors."""
    services = application.server.extensions[EXTENSION]
    services.database.dispose()
    services.cache.close()
    if isinstance(application._background_manager, JobManager):
        application._background_manager.handle.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port, for the length of one test."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(template_db, tmp_path, smtp_server):
    """An app whose email goes to `smtp_server`."""
    application = build_app(template_db, tmp_path, **smtp_server.settings())
    yield application
    close_app(application)


@pytest.fixture
def database(app) -> Database:
    return app.server.extensions[EXTENSION].database


@pytest.fixture
def client(app):
    return app.server.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client, email: str, password: str, remember: bool = False, next_path: str = ""):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    form = {"email": email, "password": password, "csrf_token": token, "next": next_path}
    if remember:
        form["remember"] = "on"
    return client.post("/login", data=form)


def can_sign_in(app, email: str, password: str) -> bool:
    """Whether these credentials open a session (checked by asking for the app layout)."""
    client = app.server.test_client()
    sign_in(client, email, password)
    return client.get("/_dash-layout").status_code == 200


def _signed_in_client(app, role: str):
    client = app.server.test_client()
    email, _, password = PEOPLE[role]
    response = sign_in(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin_client(app):
    return _signed_in_client(app, "admin")


@pytest.fixture
def analyst_client(app):
    return _signed_in_client(app, "analyst")


@pytest.fixture
def viewer_client(app):
    return _signed_in_client(app, "viewer")


@pytest.fixture
def acting_as(app, database):
    """Call callbacks as plain functions inside a request signed in as `role` (or anonymous)."""

    @contextlib.contextmanager
    def _acting_as(role: str | None):
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            if role is not None:
                with database.session() as session:
                    user = user_commands.find_by_email(session, PEOPLE[role][0])
                    account = Account.from_user(user)
                login_user(account)
            read_as_signed_in()  # what the app's before_request hook does: users' datasets as them
            try:
                yield
            finally:
                end_reading()

    return _acting_as


@pytest.fixture(scope="session")
def celery_queue() -> str:
    """One Celery queue for this test session: no other run can take our jobs, and every app in
    this process shares one Celery app (Celery shares task names across its apps)."""
    return f"pulseboard-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL schema for one test, dropped afterwards."""
    with scratch_schema(service_url("TEST_DATABASE_URL", "PostgreSQL"), "pb_test") as url:
        yield url


@pytest.fixture
def clock(app):
    """Pin the app's clock five minutes after the demo data ends; returns a setter to move it."""
    moment = {"now": DEMO_END + dt.timedelta(minutes=5)}
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: moment["now"])

    def move_to(when: dt.datetime) -> None:
        moment["now"] = when

    return move_to


@pytest.fixture
def fire():
    """Tell Dash's callback context what fired (a string or pattern-matching id, its property
    and value) and, for callbacks that read it, `outputs_list`: the documented way to call a
    callback as a plain function."""
    tokens = []

    def _fire(component_id, prop: str, value, outputs_list=None):
        key = component_id
        if isinstance(component_id, dict):
            key = json.dumps(component_id, separators=(",", ":"))
        tokens.append(context_value.set(AttributeDict(
            triggered_inputs=[{"prop_id": f"{key}.{prop}", "value": value}],
            outputs_list=outputs_list or [])))

    yield _fire
    for token in reversed(tokens):
        context_value.reset(token)


# -- private Redis and PostgreSQL servers, for the fault tests to stop and start ----------------

REDIS_SERVER = Path("/usr/bin/redis-server")
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_until(condition, timeout: float, what: str = "the condition"):
    """Poll `condition()` until it returns something truthy, and return that; fail after
    `timeout` seconds. The one way tests wait: never a bare sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        threading.Event().wait(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def missing_service(message: str) -> None:
    """Skip the test for want of a service, but fail under CI, which must run every test."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, which CI must run")
    pytest.skip(message)


def service_program(path: Path, what: str) -> Path:
    """`path` if that program is installed; otherwise `missing_service`."""
    if not path.exists():
        missing_service(f"{path} is missing: skipping the tests that need {what}")
    return path


class RedisServer:
    """A redis-server of our own on a free loopback port, with no persistence."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, 30, "redis-server to answer")

    def answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Kill it, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis(tmp_path):
    """A Redis only this test uses, started; the test may stop and start it."""
    service_program(REDIS_SERVER, "a Redis server of their own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class PostgresServer:
    """A PostgreSQL 15 cluster of our own in a temporary folder, on a free loopback port.

    As root, its programs run as the `postgres` user (PostgreSQL refuses to run as root), so the
    folder belongs to that user."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run([*self._as_owner, str(POSTGRES_BIN / program), *arguments], check=True,
                       capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop it: "fast" ends every session and rolls it back; "immediate" is a crash."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "-t", "60", "stop")


@pytest.fixture
def private_postgres():
    """A PostgreSQL only this test uses, started; the test may stop and start it."""
    service_program(POSTGRES_BIN / "initdb", "a PostgreSQL server of their own")
    folder = Path(tempfile.mkdtemp(prefix="pulseboard-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            missing_service("there is no postgres user to run PostgreSQL as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
