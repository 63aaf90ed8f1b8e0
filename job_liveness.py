"""Whether a Celery worker still runs a background job: the job beats in Redis while it runs.

Killed with SIGKILL (the OOM killer, a lost machine), a worker leaves its task "started" in the
result store for ever, and Dash's CeleryManager would poll for its result as long as the page
is open. So each job marks itself started and then keeps an "alive" key fresh every
`job_heartbeat_seconds`, from a thread, whatever the job is busy with. A job that started and
whose alive key expired (four beats missed) is dead: the page is told so instead of waiting.
"""

from __future__ import annotations

import functools
import logging
import threading

import redis
from celery import current_task

from context import settings

log = logging.getLogger(__name__)
STARTED = "pulseboard:job-started:{}"
ALIVE = "pulseboard:job-alive:{}"
STARTED_SECONDS = 86_400  # longer than any job runs
DIED = ("This stopped before it finished: the worker running it ended. Nothing was saved; "
        "start it again.")


def beating(fn, backend):
    """`fn`, run as a Celery job that beats while it runs (see the module's docstring)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        job, client = current_task.request.id, backend.client
        interval = settings().job_heartbeat_seconds
        alive_ms = int(4 * interval * 1000)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(interval):
                try:
                    client.set(ALIVE.format(job), 1, px=alive_ms)
                except redis.RedisError:
                    log.warning("job %s: could not record its heartbeat", job, exc_info=True)

        client.set(ALIVE.format(job), 1, px=alive_ms)  # alive before started: never seen dead early
        client.set(STARTED.format(job), 1, ex=STARTED_SECONDS)
        thread = threading.Thread(target=beat, name=f"job-{job}-heartbeat", daemon=True)
        thread.start()
        try:
            return fn(*args, **kwargs)
        finally:
            stop.set()
            thread.join()

    return run


def died(backend, job: str) -> bool:
    """The job started on a worker and has stopped beating without a result. Unknown (Redis
    unreachable) counts as alive: the page waits rather than report a death it did not see."""
    try:
        client = backend.client
        return bool(client.exists(STARTED.format(job))) and not client.exists(ALIVE.format(job))
    except redis.RedisError:
        return False
