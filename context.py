"""The per-app services (settings, database) of the Flask app handling the current request.

`create_app` stores them on `server.extensions`; everything else reads them through these
functions, so no module keeps a global database or settings object.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from flask import current_app, has_app_context

from data.cache import RedisResultCache, ResultCache
from data.catalog import carrying_reader
from data.db import Database
from data.models import utcnow
from settings import Settings

EXTENSION = "pulseboard"


@dataclasses.dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    cache: ResultCache
    clock: Callable[[], dt.datetime] = utcnow  # naive UTC; tests pin it


_job_services: Services | None = None


def build_services(settings: Settings) -> Services:
    """Open the database and result cache that `settings` describe."""
    return Services(settings, Database(settings.database_url), result_cache(settings))


def result_cache(settings: Settings) -> ResultCache:
    """Redis when REDIS_URL is set, shared by every node of the deployment the job queue names;
    otherwise a diskcache under instance/, shared by the processes of this machine."""
    if settings.redis_url:
        return RedisResultCache(settings.redis_url, settings.job_queue, settings.secret_key)
    return ResultCache(settings.instance_path / "query-cache")


def use_job_services(job_services: Services) -> None:
    """Inside a background job (its own process, no Flask app): use these services."""
    global _job_services
    _job_services = job_services


def services() -> Services:
    """The services of the app handling this request, or of the background job running."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    if _job_services is None:
        raise RuntimeError("No app is handling this and no background job set its services.")
    return _job_services


def carried(function: Callable) -> Callable:
    """`function`, made to run on another thread with this request's app (a background job's
    services are process-wide and need nothing)."""
    function = carrying_reader(function)  # and who is reading (data/catalog.py)
    if not has_app_context():
        return function
    app = current_app._get_current_object()

    def run(*args, **kwargs):
        with app.app_context():
            return function(*args, **kwargs)

    return run


def cache() -> ResultCache:
    return services().cache


def now() -> dt.datetime:
    """The app's idea of the current time (naive UTC)."""
    return services().clock()


def database() -> Database:
    return services().database


def settings() -> Settings:
    return services().settings
