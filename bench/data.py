"""Benchmark: bring your own data. Import a generated 1M-row x 12-column CSV, then group it by month.

The issue's targets: "Import a 1M-row x 12-column CSV and report the rows per second and the peak
memory. Target: 1M rows in 30 s or less, with memory that does not grow with file size
(chunked). Then run a group-by-month widget over it and over 5M rows in PostgreSQL."

- **Files**: order lines with 12 columns of every kind (a datetime, a date with empty cells, two
  integers, two decimals, text of 3 to ~200,000 distinct values, some quoted, some non-ASCII, a
  boolean), generated from a seed (bench/_data_gen.py) into a temporary folder: 250k, 500k and
  1M rows (about 25, 50 and 99 MB; the 1M file is under the app's 100 MB upload limit).
- **Import**: what `flask datasets import-csv` and the /data upload do: `open_source` (checks the
  whole file), `inspect_upload` with that layout, `default_plan`, then `import_upload` into a new
  table of a freshly migrated SQLite app database (the app's engine: WAL, mmap). Each import runs
  in a fresh process (bench/_data_child.py) that reports its resident memory once everything is
  imported (the baseline) and its peak (VmHWM, reset just before the import). `import_s` is the
  whole wait, check + preview + import; the median of --import-runs runs at 1M.
- **Reference, same run**: `pandas.read_csv` of the whole file in a fresh process: its time, and
  its memory, which does grow with the file.
- **Group by month**: `definition_of_upload(result).semantic(...)` over the imported table, and
  `run_query` of a QuerySpec (revenue by month from 2023-01-01, no end): the query path widgets
  use. One warm-up, then the median of --runs runs, interleaved with two baselines on the same
  table: `SELECT count(*)` and `SELECT sum(revenue)` (one full scan, no grouping).
- **PostgreSQL** (--postgres URL, default TEST_DATABASE_URL): the same 1M import into a scratch
  schema (dropped afterwards), and the group-by over it; then over 5M rows of the same generator
  in `bench_data_5m`, loaded with COPY (data.bulk) and VACUUM ANALYZEd, reused by later runs
  while it holds the right rows; --drop drops it at the end of the run.

Prints tables, writes bench/results/data.json, and prints the headline as one JSON object on the
last line. Bounded: each step gets at most what remains of --max-seconds, and optional steps
that would not fit are skipped, with a note.

    .venv/bin/python bench/data.py [--postgres URL] [--runs 5] [--import-runs 3] [--drop] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import _data_gen as generator  # noqa: E402
from bench._data_report import headline, print_groupbys, print_imports, print_summary  # noqa: E402
from data.dataset_store import definition_of_upload  # noqa: E402
from data.db import make_engine, scratch_schema  # noqa: E402
from data.migrate import upgrade  # noqa: E402
from data.query import QuerySpec, build_select, run_query  # noqa: E402
from data.upload_import import ImportResult  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "data.json"
CHILD = ROOT / "bench" / "_data_child.py"
SEED = 7
PG_TABLE = "bench_data_5m"
DATASET = "bench_orders"
MEASURE = "revenue"
AGGREGATES = {"Sorted": "GroupAggregate", "Hashed": "HashAggregate", "Plain": "Aggregate",
              "Mixed": "MixedAggregate"}


class Clock:
    """The run's deadline."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def child(clock: Clock, *arguments: str) -> dict:
    """Run a bench/_data_child.py command in a fresh process; its last line is JSON."""
    timeout = max(clock.left(), 30)
    output = subprocess.run([sys.executable, str(CHILD), *arguments], check=True, capture_output=True,
                            text=True, cwd=ROOT, timeout=timeout).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_imports(clock: Clock, folder: Path, template: Path, csv_path: Path, rows: int, runs: int,
                    notes: list[str]) -> dict:
    """Import `csv_path` `runs` times, each into a fresh copy of the migrated app database."""
    measured = []
    for run in range(runs):
        if run and clock.left() < 3 * measured[-1]["total_s"]:
            notes.append(f"{rows:,} rows: {run} import run(s) of {runs}, for the time limit")
            break
        database = folder / f"app_{rows}_{run}.db"
        shutil.copyfile(template, database)
        measured.append(child(clock, "import", str(csv_path), f"sqlite:///{database}", "upload_orders"))
        measured[-1]["database"] = str(database)
    naive = child(clock, "naive", str(csv_path))
    last = measured[-1]

    def median(key: str) -> float:
        return statistics.median(item[key] for item in measured)

    return {
        "rows": rows, "runs": len(measured), "file_mb": csv_path.stat().st_size / 1e6,
        "total_s": median("total_s"), "check_s": median("check_s"), "preview_s": median("preview_s"),
        "import_s": median("import_s"), "cpu_s": median("cpu_s"),
        "all_total_s": [item["total_s"] for item in measured],
        "baseline_mb": median("baseline_mb"), "peak_mb": max(m["peak_mb"] for m in measured),
        "check_peak_mb": max(m["check_peak_mb"] for m in measured),
        "rss_first_chunk_mb": last["rss_first_chunk_mb"], "rss_last_chunk_mb": last["rss_last_chunk_mb"],
        "anon_first_chunk_mb": last["anon_first_chunk_mb"], "anon_last_chunk_mb": last["anon_last_chunk_mb"],
        "rss_file_mb": last["rss_file_mb"], "rss_shmem_mb": last["rss_shmem_mb"], "chunks": last["chunks"],
        "raised_limit": last["raised_limit"], "kinds": last["kinds"], "time_column": last["time_column"],
        "naive_s": naive["seconds"], "naive_peak_mb": naive["peak_mb"],
        "naive_baseline_mb": naive["baseline_mb"],
        "result": last["result"], "database": last["database"],
    }


def timed_ms(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and in-process CPU milliseconds of `action()` (SQLite runs in this process)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000


def query_plan(engine: sa.Engine, query: sa.Select) -> str:
    """The database's plan for `query`, in one line: SQLite's steps, or PostgreSQL's nodes from the
    top with the groups the planner expected."""
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return "; ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        node = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}").scalar()[0]["Plan"]
    steps = []
    while node:
        name = node["Node Type"]
        if name == "Aggregate":
            name = AGGREGATES.get(node.get("Strategy"), name)
            if node.get("Partial Mode", "Simple") != "Simple":
                name = f"{node['Partial Mode']} {name}"
            name += f" (expects {node['Plan Rows']:,} groups)"
        if node.get("Workers Planned"):
            name += f" ({node['Workers Planned']} workers)"
        steps.append(name)
        node = (node.get("Plans") or [None])[0]
    return " ← ".join(steps)


def measure_groupby(engine: sa.Engine, result: ImportResult, table_name: str, runs: int) -> dict:
    """Median ms of the month widget's query over `table_name`, and of two plain scans."""
    definition = definition_of_upload(result)
    table = definition.table(table_name)
    dataset = definition.semantic(DATASET, "Bench orders", table)
    spec = QuerySpec(DATASET, (MEASURE,), time_grain="month", start=dt.datetime(2023, 1, 1), end=None)
    revenue = table.c[dataset.measure(MEASURE).column]

    def scalar(query: sa.Select) -> object:
        with engine.connect() as connection:
            return connection.execute(query).scalar()

    count_query, sum_query = sa.select(sa.func.count()).select_from(table), sa.select(sa.func.sum(revenue))
    frame = run_query(engine, spec, dataset=dataset)  # the warm-up, checked
    rows, total = scalar(count_query), scalar(sum_query)
    if len(frame) != generator.MONTHS or abs(frame[MEASURE].sum() - total) > 1e-6 * abs(total):
        raise AssertionError(f"the month query is wrong: {len(frame)} months, revenue "
                             f"{frame[MEASURE].sum()} against {total}")
    times: dict[str, list[tuple[float, float]]] = {"groupby": [], "count": [], "sum": []}
    for _ in range(runs):  # interleaved, so that noise on the machine hits each alike
        times["groupby"].append(timed_ms(lambda: run_query(engine, spec, dataset=dataset)))
        times["count"].append(timed_ms(lambda: scalar(count_query)))
        times["sum"].append(timed_ms(lambda: scalar(sum_query)))
    medians = {f"{name}_ms": statistics.median(wall for wall, _ in values) for name, values in times.items()}
    return {"rows": rows, "months": len(frame), **medians,
            "groupby_cpu_ms": statistics.median(cpu for _, cpu in times["groupby"]),
            "groupby_all_ms": [wall for wall, _ in times["groupby"]],
            "vs_count": medians["groupby_ms"] / medians["count_ms"],
            "vs_sum": medians["groupby_ms"] / medians["sum_ms"],
            "plan": query_plan(engine, build_select(spec, engine.dialect.name, dataset=dataset))}


def ensure_pg_table(clock: Clock, engine: sa.Engine, result: ImportResult, rows: int,
                    notes: list[str]) -> dict | None:
    """`PG_TABLE` with the imported table's columns and `rows` generated rows, loaded if needed
    and if the time left allows (about 37,000 rows/s here); None when it does not."""
    table = definition_of_upload(result).table(PG_TABLE)
    inspector = sa.inspect(engine)
    if inspector.has_table(PG_TABLE):
        columns = {column["name"] for column in inspector.get_columns(PG_TABLE)}
        with engine.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        if columns == set(generator.COLUMNS) and count == rows:
            notes.append(f"PostgreSQL: reused {PG_TABLE} ({rows:,} rows) from an earlier run")
            return {"loaded": False}
        notes.append(f"PostgreSQL: {PG_TABLE} held {count:,} rows or other columns; loaded again")
    if clock.left() < 60 + rows / 20_000:
        notes.append(f"PostgreSQL: loading {rows:,} rows skipped for the time limit (--max-seconds)")
        return None
    started = time.perf_counter()
    with engine.begin() as connection:
        table.drop(connection, checkfirst=True)
        table.create(connection)
        generator.load_table(connection, table, rows, SEED)
    loaded = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM ANALYZE {PG_TABLE}")
    return {"loaded": True, "load_s": loaded, "load_rows_per_s": rows / loaded,
            "vacuum_s": time.perf_counter() - started - loaded}


def drop_pg_table(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {PG_TABLE}")
    engine.dispose()


def measure_postgres(clock: Clock, url: str, csv_path: Path, result: ImportResult, args: argparse.Namespace,
                     notes: list[str]) -> dict:
    """The 1M import and its month query in a scratch schema, then the month query over 5M rows."""
    measured: dict = {}
    if clock.left() > 150:
        with scratch_schema(url, "pb_bench_data") as schema_url:
            imported = child(clock, "import", str(csv_path), schema_url, "upload_orders")
            measured["import"] = imported
            engine = make_engine(schema_url)
            try:
                imported_result = ImportResult.model_validate(imported["result"])
                measured["groupby_1m"] = measure_groupby(engine, imported_result, "upload_orders", args.runs)
                # Autovacuum analyzes a new table within a minute or so; measure that state too.
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("ANALYZE upload_orders")
                measured["groupby_1m_analyzed"] = measure_groupby(engine, imported_result, "upload_orders",
                                                                  args.runs)
            finally:
                engine.dispose()
    else:
        notes.append("PostgreSQL: 1M import skipped for the time limit")
    if clock.left() < 60:
        notes.append(f"PostgreSQL: {args.pg_rows:,} rows skipped for the time limit")
        return measured
    engine = make_engine(url)
    try:
        table = ensure_pg_table(clock, engine, result, args.pg_rows, notes)
        if table is not None:
            measured["table"] = table
            measured["groupby_big"] = measure_groupby(engine, result, PG_TABLE, args.runs)
    finally:
        engine.dispose()
    return measured


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="the reported import size")
    parser.add_argument("--sizes", default="250000,500000", help="smaller files, to show memory per size")
    parser.add_argument("--import-runs", type=int, default=3, help="imports of the reported size")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""),
                        help="PostgreSQL URL (default TEST_DATABASE_URL); empty to skip")
    parser.add_argument("--pg-rows", type=int, default=5_000_000)
    parser.add_argument("--drop", action="store_true", help=f"drop {PG_TABLE} at the end of the run")
    parser.add_argument("--keep", type=Path, default=None, help="keep the CSV files and databases in DIR")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    clock, notes = Clock(args.max_seconds), []
    started = dt.datetime.now(dt.UTC)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pulseboard-bench-data-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        template = folder / "app_template.db"
        template.unlink(missing_ok=True)
        upgrade(f"sqlite:///{template}")
        sizes = sorted({int(size) for size in args.sizes.split(",") if size} | {args.rows})
        generated = time.perf_counter()
        files = {}
        for rows in sizes:
            files[rows] = folder / f"orders_{rows}.csv"
            if not files[rows].exists():
                generator.write_csv(files[rows], rows, SEED)
        print(f"CSV files ({', '.join(f'{rows:,}' for rows in sizes)} rows) ready in "
              f"{time.perf_counter() - generated:.1f} s in {folder}")
        imports = [measure_imports(clock, folder, template, files[rows], rows,
                                   args.import_runs if rows == args.rows else 1, notes) for rows in sizes]
        main_import = imports[-1]
        result = ImportResult.model_validate(main_import["result"])
        engine = make_engine(f"sqlite:///{main_import['database']}")
        try:
            groupbys = [("sqlite", measure_groupby(engine, result, result.table_name, args.runs))]
        finally:
            engine.dispose()
        postgres: dict = {}
        if args.postgres:
            postgres = measure_postgres(clock, args.postgres, files[args.rows], result, args, notes)
            for key, label in (("groupby_1m", "postgres, as imported"),
                               ("groupby_1m_analyzed", "postgres, after ANALYZE"),
                               ("groupby_big", "postgres, COPY + VACUUM ANALYZE")):
                if key in postgres:
                    groupbys.append((label, postgres[key]))
            if "table" in postgres and postgres["table"]["loaded"]:
                table = postgres["table"]
                notes.append(f"PostgreSQL: {args.pg_rows:,} rows loaded with COPY in {table['load_s']:.1f} s "
                             f"({table['load_rows_per_s']:,.0f} rows/s), then VACUUM ANALYZE in "
                             f"{table['vacuum_s']:.1f} s")
            if args.drop:
                drop_pg_table(args.postgres)
                notes.append(f"PostgreSQL: dropped {PG_TABLE} (--drop)")
        else:
            notes.append("PostgreSQL skipped: give --postgres URL or set TEST_DATABASE_URL")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    for item in imports:
        item.pop("result")
    kinds = ", ".join(f"{name} {kind}" for name, kind in main_import["kinds"].items())
    print(f"\nColumns as inferred: {kinds}; time column {main_import['time_column']}")
    print_imports(imports, postgres)
    print_groupbys(groupbys, args.runs)
    print_summary(imports, notes)
    summary = headline(imports, groupbys, postgres)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(args.max_seconds - clock.left(), 1),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(), "seed": SEED, "runs": args.runs,
        "imports": imports, "postgres": postgres, "groupby": groupbys, "notes": notes, "headline": summary,
    }, indent=2, default=str))
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
