"""The server side of bench/dashboard_load.py: the 12-widget dashboard, the people and dashboards
written into a seeded database, and the app served the production way (gunicorn, 2 workers).

Nothing here talks to anything but 127.0.0.1 and the files under the benchmark's own folder.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from auth.account import Account
from data.cache import ResultCache
from data.dashboard_spec import parse_document
from data.dashboards import create_dashboard, set_share
from data.db import Database
from data.migrate import upgrade
from data.users import create_user

ROOT = Path(__file__).resolve().parent.parent
ANALYST_EMAIL = "analyst@bench.pulseboard.test"
VIEWER_EMAIL = "viewer@bench.pulseboard.test"
PASSWORD = "bench-password-not-secret"  # noqa: S105 (a throwaway account on a scratch copy)
SECRET_KEY = "bench-dashboard-load-" + "k9Qz4mW7pX2r" * 4  # production refuses weak keys
WORKERS, THREADS = 2, 4  # the Procfile's defaults (WEB_CONCURRENCY, GUNICORN_THREADS)
# The access log records each request's time in microseconds and the run it belongs to (the
# page sends X-Bench-Run on every request), so server time can be summed per page open.
ACCESS_FORMAT = '%(t)s "%(r)s" %(s)s %(b)s %(D)s %({x-bench-run}i)s'


def _widget(widget_id: str, kind: str, title: str, measures: list, **fields) -> dict:
    return {"id": widget_id, "type": kind, "title": title, "dataset": fields.pop("dataset", "sales"),
            "measures": measures, **fields}


# A sales pulse over the last 30 days (the dashboard's time range), with two widgets on ranges of
# their own: categories by week over 90 days, and forecast versus actual by month over a year.
WIDGETS = [
    _widget("kpi-revenue", "kpi", "Revenue", ["revenue"], refresh_seconds=30,
            options={"number_format": "currency"}),
    _widget("kpi-orders", "kpi", "Orders", ["orders"], refresh_seconds=30),
    _widget("kpi-margin", "kpi", "Gross margin", ["margin_pct"], refresh_seconds=30),
    _widget("rev-by-day", "line", "Revenue by day and region", ["revenue"], dimensions=["region"],
            time_grain="day", refresh_seconds=60),
    _widget("segments", "pie", "Revenue by segment", ["revenue"], dimensions=["segment"],
            options={"donut": True}),
    _widget("cat-by-week", "area", "Revenue by category, weekly", ["revenue"], dimensions=["category"],
            time_grain="week", time_range={"relative": "last_90_days"}, options={"stacked": True}),
    _widget("by-region", "bar", "Revenue by region", ["revenue"], dimensions=["region"]),
    _widget("top-products", "bar", "Top 10 products", ["revenue"], dimensions=["product"], limit=10,
            sort={"field": "revenue", "descending": True}, options={"orientation": "horizontal"}),
    _widget("region-category", "heatmap", "Revenue by region and category", ["revenue"],
            dimensions=["region", "category"]),
    _widget("products-margin", "scatter", "Revenue and margin by product", ["revenue", "margin_pct"],
            dimensions=["product"]),
    _widget("countries", "table", "Countries", ["revenue", "orders", "aov", "margin_pct"],
            dimensions=["country"], sort={"field": "revenue", "descending": True}),
    _widget("forecast", "line", "Forecast and actual revenue by month",
            ["forecast_revenue", "actual_revenue"], dataset="forecast", time_grain="month",
            time_range={"relative": "last_365_days"}),
]
LAYOUT = [  # (x, y, w, h) on the 12-column grid, rows of 60 px
    ("kpi-revenue", 0, 0, 4, 3), ("kpi-orders", 4, 0, 4, 3), ("kpi-margin", 8, 0, 4, 3),
    ("rev-by-day", 0, 3, 8, 5), ("segments", 8, 3, 4, 5),
    ("cat-by-week", 0, 8, 6, 5), ("by-region", 6, 8, 6, 5),
    ("top-products", 0, 13, 6, 6), ("region-category", 6, 13, 6, 6),
    ("products-margin", 0, 19, 6, 6), ("countries", 6, 19, 6, 6),
    ("forecast", 0, 25, 12, 5),
]


def dashboard_document() -> dict:
    return {
        "schema_version": 1, "title": "Sales pulse (benchmark)",
        "description": "Twelve widgets over the sales and forecast datasets.",
        "filters": {"time_range": {"relative": "last_30_days"}},
        "widgets": WIDGETS,
        "layout": [{"i": i, "x": x, "y": y, "w": w, "h": h} for i, x, y, w, h in LAYOUT],
    }


def empty_document() -> dict:
    return {"schema_version": 1, "title": "Empty (benchmark baseline)", "widgets": [], "layout": []}


@dataclasses.dataclass(frozen=True)
class Prepared:
    full_id: int
    empty_id: int
    widget_ids: tuple[str, ...]
    widget_types: dict[str, str]
    email: str = VIEWER_EMAIL
    password: str = PASSWORD


def prepare_database(url: str) -> Prepared:
    """Migrate `url` to the latest schema, add an analyst (the owner) and a viewer, and create the
    benchmark dashboards; the viewer opens them, as a reader of a shared dashboard would."""
    upgrade(url)
    database = Database(url)
    try:
        with database.session() as session:
            analyst = create_user(session, ANALYST_EMAIL, PASSWORD, role="analyst",
                                  display_name="Bench Analyst")
            create_user(session, VIEWER_EMAIL, PASSWORD, role="viewer", display_name="Bench Viewer")
            owner = Account.from_user(analyst)
            full = create_dashboard(session, owner, parse_document(dashboard_document()))
            empty = create_dashboard(session, owner, parse_document(empty_document()))
            for dashboard in (full, empty):  # the viewer reads them, as a shared dashboard is read
                set_share(session, owner, dashboard.id, VIEWER_EMAIL, "view")
    finally:
        database.dispose()
    return Prepared(full.id, empty.id, tuple(w["id"] for w in WIDGETS),
                    {w["id"]: w["type"] for w in WIDGETS})


def clear_result_cache(instance: Path) -> None:
    """Empty the query-result cache the workers share (diskcache is safe across processes)."""
    cache = ResultCache(instance / "query-cache")
    try:
        cache.clear()
    finally:
        cache.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 90.0) -> float:
    """Poll /healthz until it answers 200; seconds it took. Raises if the server exits or stalls."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.1)  # not synchronisation: a pause between polls of a server still booting
    raise TimeoutError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    pid: int
    instance: Path
    access_log: Path
    boot_seconds: float


@contextmanager
def gunicorn(database_url: str, instance: Path, logs: Path,
             extra_env: dict | None = None) -> Iterator[Server]:
    """`gunicorn app:server` on 127.0.0.1 (production settings, demo feed off, no Redis unless
    `extra_env` says otherwise), stopped afterwards with its whole process group, whatever happens."""
    instance.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "PULSEBOARD_ENV": "production", "SECRET_KEY": SECRET_KEY,
           "PULSEBOARD_INSTANCE": str(instance), "DATABASE_URL": database_url, "DEMO_FEED": "0",
           "REDIS_URL": "", "HOST": "127.0.0.1", "PORT": str(port), "DEBUG": "0",
           "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    access_log, error_log = logs / "access.log", logs / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{port}",
               "--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", "120",
               "--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT,
               "--error-logfile", str(error_log)]
    with open(logs / "stdout.log", "ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        boot = wait_until_healthy(url, process)
        yield Server(url, process.pid, instance, access_log, boot)
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """TERM the server's process group (gunicorn, its workers, any job processes), then KILL it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers in the group (workers, forkserver)
    process.wait()


def server_times(access_log: Path) -> dict[str, list[dict]]:
    """Per run tag: each request's path, status and server time in ms, from the access log."""
    runs: dict[str, list[dict]] = {}
    if not access_log.exists():
        return runs
    for line in access_log.read_text(errors="replace").splitlines():
        try:
            request_part = line.split('"')[1]
            status, _size, micros, tag = line.split('"')[2].split()
        except (IndexError, ValueError):
            continue
        if tag == "-":
            continue
        method, path = request_part.split()[:2]
        path = path.split("?")[0]
        runs.setdefault(tag, []).append({"method": method, "path": path, "status": int(status),
                                         "ms": int(micros) / 1000})
    return runs


def process_cpu_seconds() -> Iterator[tuple[int, str, float, float]]:
    """(process group, command, CPU seconds, CPU seconds of its reaped children) of every live
    process, user + system time, as /proc has them now."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        command, fields = text[text.find("(") + 1:text.rfind(")")], text.rsplit(")", 1)[1].split()
        # pgrp is field 5 of proc(5), utime to cstime fields 14 to 17, counted after the command name
        yield (int(fields[2]), command, (int(fields[11]) + int(fields[12])) / tick,
               (int(fields[13]) + int(fields[14])) / tick)


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the live processes of process group `group`: the
    server's CPU cost, which, unlike its wall time, other load on the machine does not inflate."""
    return sum(own for pgrp, _, own, _ in process_cpu_seconds() if pgrp == group)
