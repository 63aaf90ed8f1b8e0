"""Whether a Celery worker still runs a background job: the job beats in Redis while it runs.

Killed with SIGKILL (the OOM killer, a lost machine), a worker leaves its task "started" in the
result store for ever, and Dash's CeleryManager would poll for its result as long as the page
is open. So each job marks itself started and then keeps an "alive" key fresh every
`job_heartbeat_seconds`, from a thread, whatever the job is busy with. A job that started and
whose alive key expired (four beats missed) is dead: the page is told so instead of waiting.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator

import redis
from celery import current_task

from context import carried, settings

log = logging.getLogger(__name__)
STARTED = "pulseboard:job-started:{}"
ALIVE = "pulseboard:job-alive:{}"
STARTED_SECONDS = 86_400  # longer than any job runs
DIED = ("This stopped before it finished: the worker running it ended. Nothing was saved; "
        "start it again.")


@contextlib.contextmanager
def heartbeat(beat: Callable[[], None], name: str) -> Iterator[None]:
    """While the block runs, a thread calls `beat()` every `job_heartbeat_seconds`, whatever the
    block is busy with; a beat that fails (the store restarting) is logged and tried again at
    the next. Used by Celery jobs (below) and by exports (their job row, exports/run.py)."""
    stop, interval = threading.Event(), settings().job_heartbeat_seconds
    beat = carried(beat)

    def beating() -> None:
        while not stop.wait(interval):
            try:
                beat()
            except Exception:
                log.warning("%s: could not record its heartbeat", name, exc_info=True)

    thread = threading.Thread(target=beating, name=f"{name}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def beating(fn, backend):
    """`fn`, run as a Celery job that beats while it runs (see the module's docstring)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        job, client = current_task.request.id, backend.client
        started, alive = STARTED.format(job), ALIVE.format(job)
        alive_ms = int(settings().job_stale_after.total_seconds() * 1000)

        def beat() -> None:
            client.set(alive, 1, px=alive_ms)

        beat()  # alive before started: never seen dead early
        client.set(started, 1, ex=STARTED_SECONDS)
        try:
            with heartbeat(beat, f"job {job}"):
                return fn(*args, **kwargs)
        finally:  # finished: nothing to tell about it any more (the keys expire anyway)
            with contextlib.suppress(redis.RedisError):
                client.delete(started, alive)

    return run


def died(backend, job: str) -> bool:
    """The job started on a worker and has stopped beating without a result. Unknown (Redis
    unreachable) counts as alive: the page waits rather than report a death it did not see."""
    try:  # one round trip, on every poll of an unfinished job
        started, alive = backend.client.mget(STARTED.format(job), ALIVE.format(job))
        return started is not None and alive is None
    except redis.RedisError:
        return False
