"""How background callbacks run: on Celery workers when REDIS_URL is set; otherwise on this
machine through Dash's DiskcacheManager, with every job started from a forkserver instead of
forked from the web server.

Dash forks the serving process for each job. A web server runs many threads, and a fork copies
whatever locks those threads held at that instant: we saw jobs hang forever on SQLite's global
mutex and on Python's import lock. A forkserver is a clean, single-threaded process with the
heavy modules already imported, so each job forks from it quickly and inherits no held locks.
The job has no Flask app, so it gets the app's settings and opens its own database and cache.

When Redis is down, background work fails at once (within about 6 s when Redis hangs) with a
message in the callback's status line, instead of the page waiting on Celery's retries.
"""

from __future__ import annotations

import contextlib
import functools

import dash
import diskcache
import multiprocess
import psutil
import redis
from celery import Celery
from dash import CeleryManager, DiskcacheManager, html
from kombu.exceptions import OperationalError

import job_liveness
from context import build_services, use_job_services
from settings import Settings

PRELOAD = ["pandas", "numpy", "sqlalchemy", "plotly.graph_objects", "dash", "diskcache",
           "callbacks.overview"]
_job_context = None
# Connect and read timeouts, and one quick retry (a pooled connection may have died with a
# restarted Redis), for every Celery call to Redis. Celery's defaults retry the result store 20
# times a second apart: a page enqueueing onto a dead Redis waited 19 s, then got an error saying
# the app "must be restarted" (measured). Workers share these settings: a worker writing progress
# while Redis is away fails that job rather than waiting for it.
REDIS_TIMEOUT_SECONDS = 2.0
QUICK_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2}
REDIS_ERRORS = (redis.RedisError, OperationalError)
CANNOT_START = ("Background work cannot start: Pulseboard's job queue (Redis) cannot be reached. "
                "Try again in a minute; if this persists, tell your administrator.")
LOST_CONTACT = ("Lost contact with Pulseboard's job queue (Redis), so this result cannot be "
                "fetched. Try again once it is back.")


class BackgroundFailed(RuntimeError):
    """Background work failed for a reason the user should read in the callback's status line."""


class BackgroundUnavailable(BackgroundFailed):
    """Background work cannot start, or report back, because Redis cannot be reached."""


class JobDied(BackgroundFailed):
    """The worker running the job was killed: it will never answer (see job_liveness)."""


def job_context():
    """The forkserver context, set up once per process."""
    global _job_context
    if _job_context is None:
        _job_context = multiprocess.get_context("forkserver")
        _job_context.set_forkserver_preload(PRELOAD)
    return _job_context


def run_job(settings: Settings, job_fn, *job_args) -> None:
    """A job's entry point in its own process: its own services, then Dash's job function."""
    use_job_services(build_services(settings))
    job_fn(*job_args)


class JobManager(DiskcacheManager):
    """DiskcacheManager whose jobs start from the forkserver with the app's settings."""

    def __init__(self, cache, settings: Settings):
        super().__init__(cache)
        self._settings = settings

    def call_job_fn(self, key, job_fn, args, context):
        process = job_context().Process(
            target=run_job,
            args=(self._settings, job_fn, key, self._make_progress_key(key), args, context),
            daemon=False,
        )
        process.start()
        return process.pid

    # Dash checks that a job's process exists and then reads it; a job that ends between the two
    # (it finished, the usual case) raised psutil.NoSuchProcess and answered the poll with a 500
    # (seen under the load test). A process that is gone is neither running nor to be stopped.
    def terminate_job(self, job):
        with contextlib.suppress(psutil.NoSuchProcess):
            super().terminate_job(job)

    def job_running(self, job):
        try:
            return super().job_running(job)
        except psutil.NoSuchProcess:
            return False


class OwnTasksCelery(Celery):
    """A Celery app whose tasks are its own. By default Celery registers each task on every app
    in the process, so a second app (another Redis, as in the fault tests) got the first app's
    callables, which report to the first app's Redis, and a warning for each task."""

    def task(self, *args, **opts):
        return super().task(*args, **{"shared": False, **opts})


@functools.cache
def celery_for(redis_url: str, queue: str) -> Celery:
    """The Celery app for background callbacks: Redis as broker and as the result store that
    Dash's CeleryManager keeps progress and results in. One per process and URL."""
    celery = OwnTasksCelery("pulseboard", broker=redis_url, backend=redis_url)
    celery.conf.update(
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        worker_hijack_root_logger=False,
        broker_connection_timeout=REDIS_TIMEOUT_SECONDS,
        broker_transport_options={**QUICK_RETRY, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                                  "socket_timeout": REDIS_TIMEOUT_SECONDS},
        task_publish_retry_policy=QUICK_RETRY,
        redis_socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        redis_socket_timeout=REDIS_TIMEOUT_SECONDS,
        result_backend_transport_options={"retry_policy": QUICK_RETRY},
    )
    return celery


@contextlib.contextmanager
def _reaching_redis(message: str):
    """Turn Celery's and Redis' connection errors into `BackgroundUnavailable(message)`."""
    try:
        yield
    except REDIS_ERRORS as error:
        raise BackgroundUnavailable(message) from error
    except RuntimeError as error:
        # Celery's result store reports a failed reconnect as a RuntimeError saying the app
        # "must be restarted"; it reconnects on the next call, so it is an outage like any other.
        if isinstance(error.__cause__, REDIS_ERRORS):
            raise BackgroundUnavailable(message) from error
        raise


def _reporting_lost_contact(method):
    """`method` of Dash's CeleryManager, raising `BackgroundUnavailable` when Redis is down."""

    @functools.wraps(method)
    def reaching(self, *args):
        with _reaching_redis(LOST_CONTACT):
            return method(self, *args)

    return reaching


class CeleryJobManager(CeleryManager):
    """Dash's CeleryManager, registering each background function as a task only once.

    Dash keeps every background function in a class-wide list and appends to it again each time
    an app sets up its cancel callbacks, so a new manager would register the same task name
    twice on one Celery app, which Celery 5.7 refuses.
    """

    def register(self, key, fn, progress):
        if key not in self.func_registry:
            super().register(key, fn, progress)

    def call_job_fn(self, key, job_fn, args, context):
        with _reaching_redis(CANNOT_START):
            return super().call_job_fn(key, job_fn, args, context)

    def make_job_fn(self, fn, progress, key=None):
        """Each job beats while it runs, so the page can tell a killed worker from a slow one."""
        return super().make_job_fn(job_liveness.beating(fn, self.handle.backend), progress, key)

    def get_result(self, key, job):
        """The job's result; `JobDied` once its worker has stopped beating without one (Dash
        would otherwise poll a SIGKILLed worker's job, "started" for ever, as long as the page
        is open)."""
        with _reaching_redis(LOST_CONTACT):
            result = super().get_result(key, job)
        if result is self.UNDEFINED and job is not None and job_liveness.died(self.handle.backend, job):
            raise JobDied(job_liveness.DIED)
        return result

    # What the page's polls call: with Redis down they answer with a message, not an error page.
    get_progress = _reporting_lost_contact(CeleryManager.get_progress)
    get_updated_props = _reporting_lost_contact(CeleryManager.get_updated_props)
    job_running = _reporting_lost_contact(CeleryManager.job_running)
    terminate_job = _reporting_lost_contact(CeleryManager.terminate_job)


def status_line_on_failure(status_id: str):
    """A background callback's `on_error`: a `BackgroundFailed` (Redis unreachable, the job's
    worker killed) is written into the callback's output `status_id`, so the user reads why and
    the page stops waiting; any other error is raised again, as Dash would."""

    def on_error(error: Exception):
        if not isinstance(error, BackgroundFailed):
            raise error
        outputs = dash.callback_context.outputs_list
        specs = outputs if isinstance(outputs, list) else [outputs]
        message = html.Span(str(error), className="text-danger")
        values = [message if spec["id"] == status_id else dash.no_update for spec in specs]
        return values if isinstance(outputs, list) else values[0]

    return on_error


@functools.cache
def celery_manager_for(redis_url: str, queue: str) -> CeleryJobManager:
    """One manager per Celery app, shared by every Dash app in the process. Each manager
    defines its jobs as Celery tasks, and Celery shares tasks across all its apps by name, so
    a second manager would define every task a second time."""
    return CeleryJobManager(celery_for(redis_url, queue))


def background_manager(settings: Settings):
    """Celery workers when REDIS_URL is set (scaled out); else the forkserver job manager with
    results in a diskcache under instance/."""
    if settings.redis_url:
        return celery_manager_for(settings.redis_url, settings.job_queue)
    cache = diskcache.Cache(str(settings.instance_path / "background-cache"))
    return JobManager(cache, settings)
