"""Benchmark: N signed-in users keeping the Overview live, against gunicorn, embedded and scaled out.

The issue's target, on this 2-core machine: 100 users refreshing every 5 s with a p95 of 300 ms or
less and no errors; and the number of users at which p95 passes 1 s (the knee).

Two set-ups run one after the other in the same run, each from scratch:

- embedded: a migrated SQLite file and the diskcache result cache under the instance folder;
  background callbacks start from the forkserver job manager (background.py);
- postgres+redis: a scratch schema on TEST_DATABASE_URL (`data.db.scratch_schema`), REDIS_URL on
  a Redis database this run owns (empty when the run starts, flushed when it ends), and a Celery
  worker started as the Procfile's `worker:` (2 processes) for the heavy panels.

Each is seeded with `--rows` demo order lines ending now, and the demo feed runs as the Procfile's
`feed:` process at about one order a second, so each tick finds new rows. The app is served the
production way: `gunicorn app:server` on 127.0.0.1, 2 workers x 4 threads, PULSEBOARD_ENV=production
with a strong SECRET_KEY (bench/_dashboard_app.py). Users are written into the scratch database.

Each simulated user (bench/_load_client.py) signs in through POST /login with its own session
cookie, opens the Overview (GET /, /_dash-layout, /_dash-dependencies, the page callback, then the
load, refresh-rate, filters and heavy-panel callbacks, polling the background job) and then
refreshes: the tick callback every 5 s from when its page mounted (so phases are random), through
the page's tick gate, and the heavy panels every 120 s. One asyncio process drives every user.

Users are added in steps (`--steps`). A step signs in its new users (not measured), opens their
pages spread over `--ramp` seconds, waits one refresh interval (warm-up), then measures for
`--measure` seconds (longer for the first step, the target). Latency percentiles are over the tick
requests sent in the window; errors count every request from the step's first open to the window's
end (a status other than 200, or 204 for a callback; a body that is not Dash's JSON; the app's own
stale badge; no answer within 30 s). Stepping stops at the first step whose tick p95 passes 1 s:
that is knee_users. Server times come from gunicorn's access log (%(D)s, tagged per phase).

Prints a table per set-up, writes bench/results/load.json, and prints as the last line one JSON
object for the postgres+redis set-up (the embedded figures under "embedded"). Bounded by
--max-seconds (stops starting steps that would not fit) and --max-requests; traffic goes only to
127.0.0.1, and gunicorn, the Celery worker and the feed are stopped with their process groups.

    .venv/bin/python bench/load.py [--rows 200000] [--steps 100,150,200,300,400,600,800,1000,1200]
        [--measure 20] [--first-measure 40] [--max-seconds 780] [--setups embedded,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from background import celery_for  # noqa: E402
from bench._dashboard_app import (  # noqa: E402
    SECRET_KEY,
    THREADS,
    WORKERS,
    gunicorn,
    process_cpu_seconds,
    server_times,
    stop_group,
)

# _live_app sets up the environment that importing `app` (a default app) reads.
from bench._live_app import postgres_database, sqlite_database  # noqa: E402
from bench._load_client import Browser, OverviewUser, Recorder  # noqa: E402
from bench._load_report import headline_of, print_table, step_summary  # noqa: E402
from bench.dashboard_load import source_state  # noqa: E402
from data.db import Database, make_engine  # noqa: E402
from data.feed import DemoFeed  # noqa: E402
from data.models import User, utcnow  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
STEPS = (100, 150, 200, 300, 400, 600, 800, 1000, 1200)
KNEE_MS = 1000.0
PASSWORD = "load-password-not-secret"  # noqa: S105 (throwaway accounts in a scratch database)
FEED_ORDERS_PER_SECOND = 1.0
SIGN_IN_CONCURRENCY = 8
QUEUE = f"pulseboard-load-{os.getpid()}"


class BenchmarkError(RuntimeError):
    """The benchmark could not measure what it set out to."""


def create_users(database_url: str, count: int) -> list[str]:
    """`count` viewers sharing one password (hashed once: scrypt per row would take minutes)."""
    emails = [f"load-{number:05d}@bench.pulseboard.test" for number in range(count)]
    password_hash = generate_password_hash(PASSWORD)
    database = Database(database_url)
    try:
        with database.session() as session:
            session.add_all(User(email=email, display_name=f"Load {number}", role="viewer", active=True,
                                 password_hash=password_hash) for number, email in enumerate(emails))
    finally:
        database.dispose()
    return emails


def feed_speedup(database_url: str) -> float:
    """The FEED_SPEEDUP that makes the demo feed write about one order a second on this data."""
    engine = make_engine(database_url)
    try:
        # Orders per second at the data's own pace. The feed never goes below one order a minute;
        # a huge speed-up keeps that floor out of this reading, which is then scaled back.
        natural = DemoFeed(engine, speedup=1e6).orders_per_tick / 1e6
    finally:
        engine.dispose()
    return max(1.0, FEED_ORDERS_PER_SECOND / natural)


@contextmanager
def process(command: list[str], env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """A helper process in its own process group, stopped with the group afterwards."""
    with open(log, "ab") as output:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        yield child
    finally:
        stop_group(child)


def wait_for_worker(redis_url: str, worker: subprocess.Popen, timeout: float = 90.0) -> float:
    """Ping the Celery worker until it answers (each ping waits up to 1 s); seconds it took."""
    started = time.monotonic()
    celery = celery_for(redis_url, QUEUE)
    while time.monotonic() - started < timeout:
        if worker.poll() is not None:
            raise BenchmarkError(f"the Celery worker exited with {worker.returncode}")
        if celery.control.ping(timeout=1.0):
            return time.monotonic() - started
    raise BenchmarkError(f"the Celery worker did not answer within {timeout:.0f} s")


@contextmanager
def owned_redis(url: str) -> Iterator[str]:
    """A Redis database that holds nothing when the run starts; flushed when it ends."""
    client = redis.Redis.from_url(url)
    if keys := client.dbsize():
        client.close()
        raise BenchmarkError(f"{url} holds {keys} keys, so it is not ours to flush: pass --redis-url")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@dataclasses.dataclass
class Setup:
    name: str
    database_url: str
    seed_seconds: float | None
    env: dict  # on top of bench/_dashboard_app.gunicorn's production environment


@contextmanager
def setup_of(name: str, folder: Path, rows: int, args) -> Iterator[Setup]:
    """The seeded database (and Redis) of one set-up, removed afterwards."""
    end = utcnow().replace(microsecond=0)
    folder.mkdir(parents=True, exist_ok=True)
    if name == "embedded":
        with sqlite_database(rows, folder, None, end=end) as (url, seconds):
            yield Setup(name, url, seconds, {"REDIS_URL": ""})
        return
    with postgres_database(args.postgres_url, rows, end=end) as (url, seconds), \
            owned_redis(args.redis_url) as redis_url:
        yield Setup("postgres+redis", url, seconds, {"REDIS_URL": redis_url, "PULSEBOARD_JOB_QUEUE": QUEUE})


def cpu_by_owner(groups: dict[str, int | None], services: tuple[str, ...]) -> dict[str, float]:
    """CPU seconds used so far: by our process groups (with their reaped children: background
    jobs), by the services the set-up uses (`postgres`, `redis`: all their processes, whoever they
    work for), by this client, and by the machine (busy and all, from /proc/stat)."""
    owners = dict.fromkeys([*groups, *services], 0.0)
    by_group = {group: name for name, group in groups.items() if group}
    for group, command, own, children in process_cpu_seconds():
        if group in by_group:
            owners[by_group[group]] += own + children
        elif command.startswith(services):
            owners[next(name for name in services if command.startswith(name))] += own
    owners["client"] = time.process_time()
    jiffies = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, tick = jiffies[3] + jiffies[4], os.sysconf("SC_CLK_TCK")
    owners["machine_busy"], owners["machine_all"] = (sum(jiffies) - idle) / tick, sum(jiffies) / tick
    return owners


def cores_used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Average cores each owner used between two readings; "other" is the rest of the machine's
    busy time (other people's work on this shared machine, the kernel, the demo feed's database)."""
    used = {name: (after[name] - before[name]) / seconds for name in before}
    machine_all = used.pop("machine_all")
    busy = used.pop("machine_busy")
    used["other"] = busy - sum(used.values())
    used = {name: round(value, 3) for name, value in used.items()}
    used["machine_busy_pct"] = round(100 * busy / machine_all, 1) if machine_all else None
    return used


@dataclasses.dataclass
class Window:
    """What was measured around one step's window, besides the requests."""

    users: int
    step_started: float
    start: float
    end: float
    cpu_cores: dict = dataclasses.field(default_factory=dict)  # by owner, over the window
    signed_in_s: float = 0.0
    sign_in_failures: int = 0
    open_failures: int = 0
    opens: list = dataclasses.field(default_factory=list)


class Run:
    """Drives the users of one set-up against one server, step by step."""

    def __init__(self, url: str, emails: list[str], groups: dict[str, int | None], services: tuple, args):
        self.host, port = url.removeprefix("http://").split(":")
        self.port, self.emails, self.args, self.groups = int(port), emails, args, groups
        self.services = services
        self.recorder = Recorder()
        self.users: list[OverviewUser] = []
        self.windows: list[Window] = []
        self.notes: list[str] = []

    async def _add_users(self, count: int, stopping: asyncio.Event, window: Window) -> list[OverviewUser]:
        limit = asyncio.Semaphore(SIGN_IN_CONCURRENCY)
        new = [OverviewUser(Browser(self.host, self.port, self.recorder), email, PASSWORD, stopping, seed)
               for seed, email in enumerate(self.emails[len(self.users):count], start=len(self.users))]

        async def sign_in(user: OverviewUser) -> bool:
            async with limit:
                return await user.sign_in()

        started = time.monotonic()
        signed = await asyncio.gather(*(sign_in(user) for user in new))
        window.signed_in_s = time.monotonic() - started
        window.sign_in_failures = signed.count(False)
        return [user for user, ok in zip(new, signed, strict=True) if ok]

    async def _open_all(self, new: list[OverviewUser], window: Window) -> None:
        """Open the new users' pages spread evenly over the ramp; wait until every open ended."""
        ramp, started = self.args.ramp, time.monotonic()

        async def open_later(index: int, user: OverviewUser) -> None:
            await asyncio.sleep(max(0.0, started + ramp * index / len(new) - time.monotonic()))
            if not await user.open():
                window.open_failures += 1
            elif user.open_seconds is not None:
                window.opens.append(user.open_seconds)

        await asyncio.gather(*(open_later(index, user) for index, user in enumerate(new)))
        # The heavy panels' first jobs, which the opens started, end before the warm-up: what is
        # measured is pages refreshing, not pages opening.
        jobs = [user.heavy_job for user in new if user.heavy_job is not None]
        if jobs:
            await asyncio.wait(jobs, timeout=90)

    async def _drain(self, before: float, timeout: float = 35.0) -> None:
        """Wait until no tick sent before `before` is still in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                kind == "tick" and sent <= before for kind, sent in self.recorder.pending.values()):
            await asyncio.sleep(0.2)

    async def drive(self, deadline: float) -> None:
        """Steps of users until p95 passes 1 s, the steps run out, or a bound is reached."""
        stopping = asyncio.Event()
        args = self.args
        try:
            self.recorder.phase = "warmup"  # one user primes the workers, caches and job runner
            warm = await self._add_users(1, stopping, Window(1, 0, 0, 0))
            if not warm or not await warm[0].open():
                raise BenchmarkError("the warm-up user could not sign in and open the Overview")
            self.users += warm
            await asyncio.sleep(args.interval)
            for number, users in enumerate(args.steps):
                measure = args.first_measure if number == 0 else args.measure
                signing = (users - len(self.users)) * 0.1
                needed = signing + args.ramp + 2 * args.interval + measure + 15
                if time.monotonic() + needed > deadline:
                    self.notes.append(f"stopped before {users} users: --max-seconds budget")
                    break
                if len(self.recorder.samples) > args.max_requests:
                    self.notes.append(f"stopped before {users} users: --max-requests {args.max_requests}")
                    break
                window = Window(users, time.monotonic(), 0, 0)
                self.recorder.phase = f"u{users}-open"
                new = await self._add_users(users, stopping, window)
                window.step_started = time.monotonic()
                await self._open_all(new, window)
                self.users += new
                await asyncio.sleep(args.interval)  # warm-up: every page has refreshed once
                self.recorder.phase = f"u{users}-measure"
                before = cpu_by_owner(self.groups, self.services)
                window.start = time.monotonic()
                await asyncio.sleep(measure)
                window.end = time.monotonic()
                window.cpu_cores = cores_used(before, cpu_by_owner(self.groups, self.services),
                                              window.end - window.start)
                self.recorder.phase = f"u{users}-drain"
                await self._drain(window.end)
                self.windows.append(window)
                summary = step_summary(self.recorder, window)
                print(f"  {users:>5} users: tick p50 {summary['tick']['p50_ms']} ms, "
                      f"p95 {summary['tick']['p95_ms']} ms, {summary['errors']} errors, "
                      f"{summary['throughput_rps']} req/s", file=sys.stderr, flush=True)
                if summary["tick"]["p95_ms"] is None or summary["tick"]["p95_ms"] > KNEE_MS:
                    break
        finally:
            stopping.set()
            await asyncio.gather(*(user.close() for user in self.users), return_exceptions=True)


def run_setup(name: str, folder: Path, args, deadline: float) -> dict:
    """Seed, serve, load and measure one set-up; its results."""
    started = time.monotonic()
    with ExitStack() as stack:
        setup = stack.enter_context(setup_of(name, folder / name, args.rows, args))
        print(f"[{setup.name}] {args.rows:,} lines seeded in {setup.seed_seconds or 0:.1f} s",
              file=sys.stderr, flush=True)
        emails = create_users(setup.database_url, max(args.steps) + 1)
        logs, instance = folder / name / "logs", folder / name / "instance"
        logs.mkdir(parents=True, exist_ok=True)
        speedup = feed_speedup(setup.database_url)
        env = {**os.environ, "PULSEBOARD_ENV": "production", "SECRET_KEY": SECRET_KEY,
               "PULSEBOARD_INSTANCE": str(instance), "DATABASE_URL": setup.database_url,
               "PYTHONUNBUFFERED": "1", "FEED_SPEEDUP": f"{speedup:.1f}", **setup.env}
        feed = stack.enter_context(process([sys.executable, "-m", "data.feed"], env, logs / "feed.log"))
        worker = None
        if setup.env.get("REDIS_URL"):
            worker = stack.enter_context(process(
                [sys.executable, "-m", "celery", "-A", "worker.celery", "worker", "--loglevel=WARNING",
                 "--concurrency=2", "--without-gossip", "--without-mingle", "-Q", QUEUE],
                env, logs / "worker.log"))
            ready = wait_for_worker(setup.env["REDIS_URL"], worker)
            print(f"[{setup.name}] Celery worker up in {ready:.1f} s", file=sys.stderr, flush=True)
        served = stack.enter_context(gunicorn(setup.database_url, instance, logs, setup.env))
        print(f"[{setup.name}] gunicorn healthy in {served.boot_seconds:.1f} s", file=sys.stderr, flush=True)
        groups = {"gunicorn": served.pid, "celery": worker.pid if worker else None, "feed": feed.pid}
        services = ("postgres", "redis") if worker else ()
        run = Run(served.url, emails, groups, services, args)
        asyncio.run(run.drive(deadline))
        access = server_times(served.access_log)
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            errors = [line for line in text.splitlines() if line and not line[0].isspace()
                      and ("Error" in line or "Exception" in line) and "Traceback" not in line]
            run.notes.append(f"{log.name} has {text.count('Traceback')} tracebacks; errors: "
                             f"{sorted(set(errors))[:3]}")
    if args.logs:  # for profiling: gunicorn's access log (server time per request), worker and feed logs
        shutil.copytree(logs, args.logs / name, dirs_exist_ok=True)
    steps = [step_summary(run.recorder, window, access) for window in run.windows]
    return {"name": setup.name, "steps": steps, "notes": run.notes, "seed_s": setup.seed_seconds,
            "feed_speedup": round(speedup, 1), "boot_s": round(served.boot_seconds, 1),
            "duration_s": round(time.monotonic() - started), **headline_of(steps, args.steps[0], KNEE_MS)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="demo order lines (default 200,000)")
    parser.add_argument("--steps", default=",".join(map(str, STEPS)),
                        help="user counts, in order; the first is the target's (default %(default)s)")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which a step's new pages open")
    parser.add_argument("--interval", type=float, default=5.0, help="warm-up after the opens (one refresh)")
    parser.add_argument("--first-measure", type=float, default=40.0, help="the first step's window, s")
    parser.add_argument("--measure", type=float, default=20.0, help="later steps' window, s")
    parser.add_argument("--setups", default="embedded,postgres", help="which, in order (default %(default)s)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13",
                        help="an empty Redis database this run may flush (default %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=780.0,
                        help="the whole run's budget (default 780)")
    parser.add_argument("--max-requests", type=int, default=400_000, help="per set-up (default 400,000)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--logs", type=Path, help="copy each set-up's server logs into this folder")
    args = parser.parse_args(argv)
    args.steps = [int(value) for value in args.steps.split(",")]
    names = [name.strip() for name in args.setups.split(",")]
    if not set(names) <= {"embedded", "postgres"} or not names:
        parser.error("--setups takes embedded and/or postgres")
    for url in (args.postgres_url, args.redis_url):
        if "127.0.0.1" not in url and "localhost" not in url:
            parser.error(f"{url}: this benchmark talks only to services on 127.0.0.1")

    started, load_before, source = time.monotonic(), os.getloadavg(), source_state()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pulseboard-load-") as folder:
        for index, name in enumerate(names):
            share = (started + args.max_seconds - time.monotonic()) / (len(names) - index)
            results[name] = run_setup(name, Path(folder), args, time.monotonic() + share)
    for result in results.values():
        print_table(result)
    embedded, scaled = results.get("embedded"), results.get("postgres")
    headline = dict((scaled or embedded)["headline"])
    if scaled and embedded:
        headline["embedded"] = embedded["headline"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "headline": headline, "setups": results,
        "target": {"users": args.steps[0], "p95_ms": 300, "errors": 0},
        "settings": {key: getattr(args, key) for key in ("rows", "steps", "ramp", "interval", "first_measure",
                                                         "measure", "max_seconds", "max_requests")},
        "gunicorn": {"workers": WORKERS, "threads": THREADS}, "duration_s": round(time.monotonic() - started),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "source": source,
    }, indent=2) + "\n")
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        print(f"load benchmark failed: {error}", file=sys.stderr)
        sys.exit(1)
