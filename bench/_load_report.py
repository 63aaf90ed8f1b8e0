"""The figures of bench/load.py: one step's summary from the recorded requests, the table per
set-up, and the headline."""

from __future__ import annotations

from collections import Counter

import numpy as np

APP_PROCESSES = ("gunicorn", "celery", "postgres", "redis")


def _ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 1) if values else None


def latencies(seconds: list[float]) -> dict:
    """n, p50, p95, p99 and max in ms of some durations in seconds."""
    return {"n": len(seconds), "p50_ms": _ms(seconds, 50), "p95_ms": _ms(seconds, 95),
            "p99_ms": _ms(seconds, 99), "max_ms": round(max(seconds) * 1000, 1) if seconds else None}


def _server(access: dict, phase: str, kind: str | None = None) -> list[float]:
    """Server times (ms) of the requests one phase sent, from gunicorn's access log."""
    return [row["ms"] for tag, rows in access.items() if tag.startswith(f"{phase}.")
            and (kind is None or tag == f"{phase}.{kind}") for row in rows]


def step_summary(recorder, window, access: dict | None = None) -> dict:
    """Latency over the window's ticks; errors over the whole step (its opens included)."""
    length = window.end - window.start
    sent_in_window = [s for s in recorder.samples if window.start <= s.sent < window.end
                      and s.kind != "heavy:job"]
    ticks = [s for s in sent_in_window if s.kind == "tick"]
    step = [s for s in recorder.samples if window.step_started <= s.sent < window.end]
    errors = [s for s in step if s.error]
    fresh = sum(1 for sent in recorder.fresh if window.start <= sent < window.end)
    summary = {
        "users": window.users, "window_s": round(length, 1),
        "tick": {**latencies([s.seconds for s in ticks]), "errors": sum(1 for s in ticks if s.error)},
        "throughput_rps": round(len(sent_in_window) / length, 1),
        "ticks_per_s": round(len(ticks) / length, 1),
        "requests_by_kind": dict(Counter(s.kind for s in sent_in_window)),
        "all_requests": latencies([s.seconds for s in sent_in_window]),
        "errors": len(errors), "errors_by_kind": dict(Counter(s.kind for s in errors)),
        "error_examples": sorted({s.error for s in errors})[:5],
        "ticks_with_new_rows_pct": round(100 * fresh / len(ticks)) if ticks else None,
        "ticks_held_by_gate": sum(1 for due in recorder.skipped if window.start <= due < window.end),
        "client_tick_lag": latencies([lag for due, lag in recorder.lags if window.start <= due < window.end]),
        "opens": {**latencies(window.opens), "failed": window.open_failures},
        "sign_ins": {"seconds": round(window.signed_in_s, 1), "failed": window.sign_in_failures},
        "heavy_jobs": latencies([s.seconds for s in step if s.kind == "heavy:job" and not s.error]),
        "cpu_cores": window.cpu_cores,
        # what serving one refresh costs, whatever else the machine was doing: the app's CPU
        # (web with its jobs, Celery, PostgreSQL, Redis) over the window, per tick answered
        "app_cpu_ms_per_tick": round(1000 * sum(window.cpu_cores.get(name) or 0 for name in APP_PROCESSES)
                                     / (len(ticks) / length), 1) if ticks else None,
    }
    if access is not None:
        phase = f"u{window.users}-measure"
        server_ticks = [ms / 1000 for ms in _server(access, phase, "tick")]
        opening = f"u{window.users}-open."
        summary["server"] = {
            "tick": latencies(server_ticks),
            # thread-seconds of request handling per second: 8 threads in all
            "busy_threads": round(sum(_server(access, phase)) / 1000 / length, 2),
            # while the step's pages opened: gunicorn's own time per kind of request
            "opening": {tag.removeprefix(opening): latencies([row["ms"] / 1000 for row in rows])
                        for tag, rows in sorted(access.items()) if tag.startswith(opening)}}
    return summary


def headline_of(steps: list[dict], target_users: int, knee_ms: float) -> dict:
    """The six headline figures: the target step's tick latency and errors, and the knee."""
    target = next((step for step in steps if step["users"] == target_users), None)
    knee = next((step["users"] for step in steps
                 if step["tick"]["p95_ms"] is None or step["tick"]["p95_ms"] > knee_ms), None)
    headline = {"users": target_users,
                "p50_ms": target["tick"]["p50_ms"] if target else None,
                "p95_ms": target["tick"]["p95_ms"] if target else None,
                "p99_ms": target["tick"]["p99_ms"] if target else None,
                "errors": target["errors"] if target else None,
                "knee_users": knee}
    return {"headline": headline, "knee_not_reached_up_to": None if knee else
            (steps[-1]["users"] if steps else None)}


COLUMNS = (  # (title, width, how to read it from a step)
    ("users", 5, lambda s: s["users"]),
    ("req/s", 6, lambda s: s["throughput_rps"]),
    ("ticks/s", 7, lambda s: s["ticks_per_s"]),
    ("p50 ms", 7, lambda s: s["tick"]["p50_ms"]),
    ("p95 ms", 7, lambda s: s["tick"]["p95_ms"]),
    ("p99 ms", 7, lambda s: s["tick"]["p99_ms"]),
    ("max ms", 7, lambda s: s["tick"]["max_ms"]),
    ("errors", 6, lambda s: s["errors"]),
    ("new %", 5, lambda s: s["ticks_with_new_rows_pct"]),
    ("held", 5, lambda s: s["ticks_held_by_gate"]),
    ("srv p50", 7, lambda s: s.get("server", {}).get("tick", {}).get("p50_ms")),
    ("srv p95", 7, lambda s: s.get("server", {}).get("tick", {}).get("p95_ms")),
    ("open p50", 8, lambda s: s["opens"]["p50_ms"]),
    ("open p95", 8, lambda s: s["opens"]["p95_ms"]),
    ("heavy p50", 9, lambda s: s["heavy_jobs"]["p50_ms"]),
    ("web", 5, lambda s: s["cpu_cores"]["gunicorn"]),
    ("celery", 6, lambda s: s["cpu_cores"].get("celery") if "postgres" in s["cpu_cores"] else None),
    ("pg", 5, lambda s: s["cpu_cores"].get("postgres")),
    ("client", 6, lambda s: s["cpu_cores"]["client"]),
    ("other", 5, lambda s: s["cpu_cores"]["other"]),
    ("busy %", 6, lambda s: s["cpu_cores"]["machine_busy_pct"]),
    ("ms/tick", 7, lambda s: s["app_cpu_ms_per_tick"]),
    ("lag p95", 7, lambda s: s["client_tick_lag"]["p95_ms"]),
)


def _cell(value, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    else:
        text = f"{value:,}"
    return f"{text:>{width}}"


def print_table(result: dict) -> None:
    """One set-up's steps as a table, then its headline and notes."""
    print(f"\n{result['name']}: tick latency over each step's window (client side: connect, queue, "
          "server, read)")
    print(" ".join(f"{title:>{width}}" for title, width, _ in COLUMNS))
    for step in result["steps"]:
        print(" ".join(_cell(read(step), width) for _, width, read in COLUMNS))
    print("(req/s: all requests sent in the window; new %: ticks that brought new rows; held: ticks the "
          "page's gate held back because the last was unanswered; srv: gunicorn's own time for the tick "
          "(%(D)s); open: GET / to the load callback's answer; heavy: background job, start to result; "
          "web (with its background jobs), celery, pg (all of PostgreSQL), client, other (the rest of "
          "this shared machine): CPU cores used over the window; ms/tick: the app's CPU (web, celery, pg, "
          "redis) per tick answered; lag: how late the client woke for a tick)")
    for step in result["steps"]:
        if step["errors"]:
            print(f"  {step['users']} users: errors by kind {step['errors_by_kind']}, e.g. "
                  f"{step['error_examples'][:2]}")
    head = result["headline"]
    knee = head["knee_users"] or f"not reached up to {result['knee_not_reached_up_to']}"
    print(f"{result['name']}: {head['users']} users: p50 {head['p50_ms']} ms, p95 {head['p95_ms']} ms, "
          f"p99 {head['p99_ms']} ms, {head['errors']} errors; p95 passes 1 s at: {knee} users")
    for note in result["notes"]:
        print(f"  note: {note}")
