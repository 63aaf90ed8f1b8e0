"""The per-app services (settings, database) of the Flask app handling the current request.

`create_app` stores them on `server.extensions`; everything else reads them through these
functions, so no module keeps a global database or settings object.
"""

from __future__ import annotations

import dataclasses

from flask import current_app

from data.db import Database
from settings import Settings

EXTENSION = "pulseboard"


@dataclasses.dataclass(frozen=True)
class Services:
    settings: Settings
    database: Database


def services() -> Services:
    return current_app.extensions[EXTENSION]


def database() -> Database:
    return services().database


def settings() -> Settings:
    return services().settings
