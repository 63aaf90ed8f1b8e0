"""Benchmark: how long `seed_demo` takes for a big demo business, on SQLite and on PostgreSQL.

Times generation alone (`data.demo.generate`) and the full seed (generation, load, index build,
ANALYZE) into a freshly migrated SQLite file, and into a fresh PostgreSQL schema when
TEST_DATABASE_URL is set. Each is repeated `--repeat` times and the median reported. Writes
bench/results/seed.json; the last line printed is one JSON object with the medians.

    .venv/bin/python bench/seed.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from data import demo  # noqa: E402
from data.db import make_engine, scratch_schema  # noqa: E402
from data.migrate import upgrade  # noqa: E402
from data.seed import seed_demo  # noqa: E402

END = dt.datetime(2026, 11, 20, 15, 30)
SEED = 42
RESULTS = ROOT / "bench" / "results" / "seed.json"


@contextmanager
def migrated_engine(url: str) -> Iterator[sa.Engine]:
    """An engine on `url` after migrating it to the latest schema, disposed afterwards."""
    upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def fresh_sqlite() -> Iterator[sa.Engine]:
    """A migrated SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="pulseboard-bench-") as folder, \
            migrated_engine(f"sqlite:///{Path(folder) / 'bench.db'}") as engine:
        yield engine


@contextmanager
def fresh_postgres_schema(base_url: str) -> Iterator[sa.Engine]:
    """A migrated, empty PostgreSQL schema, dropped afterwards."""
    with scratch_schema(base_url, "pb_bench") as url, migrated_engine(url) as engine:
        yield engine


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` takes on the wall clock."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def time_generate(rows: int) -> float:
    """Seconds to generate the business, with no database."""
    return timed(lambda: demo.generate(rows=rows, end=END, seed=SEED))


def time_seed(database: Callable[[], AbstractContextManager[sa.Engine]], rows: int) -> float:
    """Seconds for `seed_demo` into a fresh database; the migration is not timed."""
    with database() as engine:
        seconds = timed(lambda: seed_demo(engine, rows=rows, end=END, seed=SEED))
        with engine.connect() as connection:
            loaded = connection.exec_driver_sql("SELECT COUNT(*) FROM order_lines").scalar_one()
        if loaded != rows:
            raise RuntimeError(f"seeded {loaded} order lines, expected {rows}")
    return seconds


def summary(runs: list[float]) -> dict:
    """Median, min and max of some timings."""
    return {"median_s": round(statistics.median(runs), 3), "min_s": round(min(runs), 3),
            "max_s": round(max(runs), 3), "runs_s": [round(run, 3) for run in runs]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="order lines to seed (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    postgres_url = os.environ.get("TEST_DATABASE_URL", "")
    steps: dict[str, Callable[[], float]] = {
        "generate": lambda: time_generate(args.rows),
        "sqlite_seed": lambda: time_seed(fresh_sqlite, args.rows),
    }
    if postgres_url:
        steps["postgres_seed"] = lambda: time_seed(lambda: fresh_postgres_schema(postgres_url), args.rows)

    results = {name: summary([step() for _ in range(args.repeat)]) for name, step in steps.items()}

    print(f"seed benchmark: {args.rows:,} order lines, {args.repeat} run(s) each")
    print(f"{'step':<15} {'median s':>9} {'min s':>8} {'max s':>8} {'lines/s':>11}")
    for name, figures in results.items():
        rate = args.rows / figures["median_s"] if figures["median_s"] else float("inf")
        print(f"{name:<15} {figures['median_s']:>9.2f} {figures['min_s']:>8.2f} {figures['max_s']:>8.2f} "
              f"{rate:>11,.0f}")
    if not postgres_url:
        print("postgres_seed   skipped: TEST_DATABASE_URL is not set")
    print("(sqlite_seed and postgres_seed include generation, load, index build and ANALYZE)")

    headline = {
        "rows": args.rows,
        "sqlite_seed_s": results["sqlite_seed"]["median_s"],
        "generate_s": results["generate"]["median_s"],
        "postgres_seed_s": results["postgres_seed"]["median_s"] if "postgres_seed" in results else None,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        **headline, "repeat": args.repeat, "steps": results,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(), "cpus": os.cpu_count(),
    }, indent=2) + "\n")
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    main()
