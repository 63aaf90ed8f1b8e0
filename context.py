"""The per-app services (settings, database) of the Flask app handling the current request.

`create_app` stores them on `server.extensions`; everything else reads them through these
functions, so no module keeps a global database or settings object.
"""

from __future__ import annotations

import dataclasses

import dash
from flask import current_app, has_app_context

from data.cache import ResultCache
from data.db import Database
from settings import Settings

EXTENSION = "pulseboard"


@dataclasses.dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database
    cache: ResultCache


def services() -> Services:
    """The services of the app handling this request, or, inside a background job (a forked
    process with no Flask context), of the app that started the job."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return dash.get_app().server.extensions[EXTENSION]


def cache() -> ResultCache:
    return services().cache


def database() -> Database:
    return services().database


def settings() -> Settings:
    return services().settings
