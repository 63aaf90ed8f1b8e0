"""How background callbacks run: on Celery workers when REDIS_URL is set; otherwise on this
machine through Dash's DiskcacheManager, with every job started from a forkserver instead of
forked from the web server.

Dash forks the serving process for each job. A web server runs many threads, and a fork copies
whatever locks those threads held at that instant: we saw jobs hang forever on SQLite's global
mutex and on Python's import lock. A forkserver is a clean, single-threaded process with the
heavy modules already imported, so each job forks from it quickly and inherits no held locks.
The job has no Flask app, so it gets the app's settings and opens its own database and cache.
"""

from __future__ import annotations

import functools

import diskcache
import multiprocess
from celery import Celery
from dash import CeleryManager, DiskcacheManager

from context import build_services, use_job_services
from settings import Settings

PRELOAD = ["pandas", "numpy", "sqlalchemy", "plotly.graph_objects", "dash", "diskcache",
           "callbacks.overview"]
_job_context = None


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


@functools.cache
def celery_for(redis_url: str, queue: str) -> Celery:
    """The Celery app for background callbacks: Redis as broker and as the result store that
    Dash's CeleryManager keeps progress and results in. One per process and URL."""
    celery = Celery("pulseboard", broker=redis_url, backend=redis_url)
    celery.conf.update(
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
        worker_hijack_root_logger=False,
    )
    return celery


class CeleryJobManager(CeleryManager):
    """Dash's CeleryManager, registering each background function as a task only once.

    Dash keeps every background function in a class-wide list and appends to it again each time
    an app sets up its cancel callbacks, so a new manager would register the same task name
    twice on one Celery app, which Celery 5.7 refuses.
    """

    def register(self, key, fn, progress):
        if key not in self.func_registry:
            super().register(key, fn, progress)


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
