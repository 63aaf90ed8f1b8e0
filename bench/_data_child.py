"""One measured step of `bench/data.py`, in a fresh process, so that its peak memory is its own.

    python bench/_data_child.py import CSV DATABASE_URL TABLE   # the app's upload path
    python bench/_data_child.py naive CSV                       # pandas.read_csv of the whole file

Prints one JSON object. Memory is read from /proc/self/status: the resident set (VmRSS) once
everything is imported and the engine is connected (the baseline), then the peak (VmHWM) after
the peak was reset (Linux: writing 5 to /proc/self/clear_refs), so the peak is the step's own.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def status_mb(field: str) -> float:
    """A field of /proc/self/status (kB) in MB (10^6 bytes)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError(field)


def reset_peak() -> float:
    """Collect garbage, reset VmHWM to the current RSS, and return that RSS."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return status_mb("VmRSS")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def import_file(csv_path: Path, database_url: str, table_name: str) -> dict:
    """Check, preview and import `csv_path` the way `flask datasets import-csv` does."""
    from data.db import make_engine
    from data.upload_import import import_upload
    from data.upload_limits import UploadLimits
    from data.upload_plan import default_plan
    from data.upload_preview import inspect_upload
    from data.upload_source import open_source

    limits = UploadLimits()
    if csv_path.stat().st_size > limits.max_bytes:  # the bench's bigger files; said in the output
        limits = UploadLimits(max_bytes=csv_path.stat().st_size)
    engine = make_engine(database_url)
    with engine.connect():
        pass  # the app's engine is connected already: its pool is not part of the import
    baseline = reset_peak()
    samples: list[tuple[int, float, float]] = []  # rows done, resident, of which anonymous (heap)
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    layout = open_source(csv_path, csv_path.name, limits=limits)
    checked = time.perf_counter()
    check_peak = status_mb("VmHWM")
    preview = inspect_upload(csv_path, csv_path.name, limits=limits, layout=layout)
    plan = default_plan(preview)
    previewed = time.perf_counter()

    def progress(done: int, expected: int | None) -> None:
        samples.append((done, status_mb("VmRSS"), status_mb("RssAnon")))

    result = import_upload(engine, csv_path, csv_path.name, plan, table_name, "create", progress,
                           limits=limits, layout=layout)
    finished = time.perf_counter()
    cpu = cpu_seconds() - cpu_started
    peak = status_mb("VmHWM")
    file_backed = {"rss_file_mb": status_mb("RssFile"), "rss_shmem_mb": status_mb("RssShmem")}
    engine.dispose()
    return {"rows": result.rows, "check_s": checked - started, "preview_s": previewed - checked,
            "import_s": finished - previewed, "total_s": finished - started, "cpu_s": cpu,
            "baseline_mb": baseline, "peak_mb": peak, "check_peak_mb": check_peak,
            "rss_first_chunk_mb": samples[1][1], "rss_last_chunk_mb": samples[-1][1],
            "rss_max_between_chunks_mb": max(rss for _, rss, _ in samples),
            "anon_first_chunk_mb": samples[1][2], "anon_last_chunk_mb": samples[-1][2],
            **file_backed,
            "chunks": len(samples) - 1, "raised_limit": limits.max_bytes != UploadLimits().max_bytes,
            "kinds": {column.name: column.type.kind for column in preview.columns},
            "time_column": preview.time_column, "result": json.loads(result.model_dump_json())}


def naive_read(csv_path: Path) -> dict:
    """The whole file into one DataFrame with pandas' own type guessing: the reference."""
    import pandas as pd

    baseline = reset_peak()
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    seconds = time.perf_counter() - started
    return {"rows": len(frame), "seconds": seconds, "cpu_s": cpu_seconds() - cpu_started,
            "baseline_mb": baseline, "peak_mb": status_mb("VmHWM")}


def main() -> None:
    command, *arguments = sys.argv[1:]
    if command == "import":
        csv_path, database_url, table_name = arguments
        print(json.dumps(import_file(Path(csv_path), database_url, table_name)))
    elif command == "naive":
        print(json.dumps(naive_read(Path(arguments[0]))))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
