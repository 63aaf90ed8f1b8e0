"""The app side of bench/live.py: seeded databases, and a Pulseboard app whose Overview callbacks
are called as Dash calls them, with a simulated clock and the demo feed writing new orders."""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("PULSEBOARD_ENV", "test")  # `import app` builds a default app: keep it inert
if "PULSEBOARD_INSTANCE" not in os.environ:
    os.environ["PULSEBOARD_INSTANCE"] = tempfile.mkdtemp(prefix="pulseboard-bench-")
    atexit.register(shutil.rmtree, os.environ["PULSEBOARD_INSTANCE"], ignore_errors=True)

import sqlalchemy as sa

# `app` first: it collects the callbacks modules' registrations when it imports them.
from app import create_app
from bench.seed import fresh_postgres_schema
from callbacks import overview as overview_callbacks
from context import EXTENSION
from data.db import make_engine
from data.feed import DemoFeed
from data.migrate import upgrade
from data.seed import seed_demo

END = dt.datetime(2026, 11, 20, 15, 30)  # the demo data ends here; the simulated clock starts 5 min later
START_DELAY = dt.timedelta(minutes=5)
TICK_STEP = dt.timedelta(seconds=5)
SEED = 42


class LivePage:
    """A Pulseboard app on one database, with a simulated clock, a demo feed, and the Overview's
    callbacks as Dash runs them."""

    def __init__(self, database_url: str, instance: Path):
        self.now = END + START_DELAY
        self.app = create_app({"env": "test", "instance_path": instance, "database_url": database_url,
                               "secret_key": "bench-secret-" + "x" * 40, "demo_feed": False})
        self.instance = instance
        services = self.app.server.extensions[EXTENSION]
        if "clock" in {field.name for field in dataclasses.fields(services)}:
            self.app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: self.now)
        else:  # an app without a clock of its own reads utcnow in the callbacks module
            overview_callbacks.utcnow = lambda: self.now
        self.engine, self.cache = services.database.engine, services.cache
        self.feed = DemoFeed(self.engine, seed=SEED, clock=lambda: self.now)
        self._context = self.app.server.test_request_context("/_dash-update-component", method="POST")
        self._context.push()

    def close(self) -> None:
        self._context.pop()
        self.app.server.extensions[EXTENSION].database.dispose()

    def _dispatch(self, function, outputs, *args) -> str:
        """Call a callback through Dash's wrapper: the JSON body the browser would receive."""
        for entry in self.app.callback_map.values():
            if getattr(entry.get("callback"), "__wrapped__", None) is function:
                return entry["callback"](
                    *args, app=self.app,
                    outputs_list=[{"id": o.component_id, "property": o.component_property} for o in outputs])
        raise LookupError(f"{function.__name__} is not registered on the app")

    def load(self, filters: dict) -> tuple[float, str]:
        started = time.perf_counter()
        body = self._dispatch(overview_callbacks.load, overview_callbacks.LOAD_OUTPUTS, filters, "light", 0)
        return time.perf_counter() - started, body

    def tick(self, number: int, filters: dict, state: dict, meta: dict) -> tuple[float, str]:
        started = time.perf_counter()
        body = self._dispatch(overview_callbacks.tick, overview_callbacks.TICK_OUTPUTS,
                              number, filters, state, meta, 0)
        return time.perf_counter() - started, body

    def new_order(self) -> None:
        """Five simulated seconds pass and one order arrives."""
        self.now += TICK_STEP
        self.feed.tick(orders=1)


def state_of(body: str) -> dict | None:
    return json.loads(body)["response"].get("ov-state", {}).get("data")


def meta_of(body: str) -> dict | None:
    """What the first load fixed (period, regions, classes): the tick reads it back."""
    return json.loads(body)["response"].get("ov-meta", {}).get("data")


@contextmanager
def sqlite_database(rows: int, folder: Path, keep: Path | None,
                    end: dt.datetime = END) -> Iterator[tuple[str, float | None]]:
    """A seeded SQLite file whose demo data ends at `end`, to benchmark on: (url, seconds seeding
    took, None if reused from --keep)."""
    work = folder / f"sqlite-{rows}.db"
    pristine = keep / f"demo-{rows}-{end:%Y%m%d%H%M}.db" if keep else work
    seconds = None
    if not pristine.exists():
        url = f"sqlite:///{pristine}"
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        seed_demo(engine, rows=rows, end=end, seed=SEED)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
    if pristine != work:
        shutil.copyfile(pristine, work)
    yield f"sqlite:///{work}", seconds


@contextmanager
def postgres_database(base_url: str, rows: int, end: dt.datetime = END) -> Iterator[tuple[str, float]]:
    """A fresh PostgreSQL schema seeded with `rows` lines ending at `end`, dropped afterwards."""
    with fresh_postgres_schema(base_url) as engine:
        for attempt in range(1, 4):
            started = time.perf_counter()
            try:
                seed_demo(engine, rows=rows, end=end, seed=SEED)
                break
            except sa.exc.OperationalError as error:
                # seed_demo's database-wide ANALYZE can deadlock with another session's ANALYZE
                # (tests in other schemas); the seed is one transaction, so it rolled back whole.
                if "deadlock" not in str(error) or attempt == 3:
                    raise
                print(f"[postgres {rows:,}] seeding deadlocked; retrying", file=sys.stderr, flush=True)
        seconds = time.perf_counter() - started
        yield engine.url.render_as_string(hide_password=False), seconds
