"""Helpers for the scheduled-report tests: a small dashboard, schedules made with the ORM, a
pinned clock on any app, the processes that run the engine elsewhere, and an SMTP server that
answers as told (4xx, 5xx) for the retry tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from context import EXTENSION
from data.delivery_models import Schedule, ScheduleRun
from data.models import ExportJob
from delivery.recurrence import Recurrence, next_after
from tests.conftest import DEMO_END, PEOPLE, SECRET, free_port
from tests.helpers import account_of, shared_board

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = {
    "title": "Weekly pulse",
    "filters": {"time_range": {"relative": "last_30_days"}},
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales",
         "measures": ["revenue"], "dimensions": ["region"]},
    ],
    "layout": [{"i": "kpi", "x": 0, "y": 0, "w": 4, "h": 3},
               {"i": "regions", "x": 4, "y": 0, "w": 8, "h": 4}],
}
TEXT_ONLY = {
    "title": "Notes only",
    "widgets": [{"id": "note", "type": "text", "options": {"markdown": "Numbers are **net of returns**."}}],
    "layout": [{"i": "note", "x": 0, "y": 0, "w": 12, "h": 2}],
}
START = DEMO_END + dt.timedelta(minutes=5)


def pin_clock(app, moment: dt.datetime = START):
    """Pin `context.now()` of `app` (any app, e.g. `mail_app`); returns a setter to move it."""
    current = {"now": moment}
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: current["now"])

    def move_to(when: dt.datetime) -> None:
        current["now"] = when

    return move_to


def database_of(app):
    return app.server.extensions[EXTENSION].database


def user_id(database, person: str) -> int:
    return account_of(database, person).id


def make_schedule(database, dashboard_id: int, now: dt.datetime, *, owner: str = "analyst",
                  users: tuple[str, ...] = ("viewer",), emails: tuple[str, ...] = (), formats: str = "pdf",
                  subject: str = "Weekly pulse", missed: str = "latest", **recurrence) -> int:
    """A schedule row, as data/schedules.py would store it, due at its next slot after `now`."""
    fields = {"frequency": "daily", "time_of_day": "08:00", "timezone": "UTC", **recurrence}
    rule = Recurrence.parse(fields)
    with database.session() as session:
        row = Schedule(
            owner_id=user_id(database, owner), dashboard_id=dashboard_id, subject=subject, formats=formats,
            options=json.dumps({"template": "executive"}),
            recipients=json.dumps({"users": [user_id(database, person) for person in users],
                                   "emails": list(emails)}),
            frequency=rule.frequency, time_of_day=rule.time_of_day, weekday=rule.weekday,
            day_of_month=rule.day_of_month, cron=rule.cron, timezone=rule.timezone, missed=missed,
            next_run_at=next_after(rule, now), created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def board(database, document: dict = DOCUMENT) -> int:
    """The analyst's dashboard (shared to edit with the editor, to view with the viewer)."""
    return shared_board(database, document).id


def schedule_row(database, schedule_id: int) -> Schedule:
    with database.session() as session:
        return session.get(Schedule, schedule_id)


def runs_of(database, schedule_id: int) -> list[ScheduleRun]:
    with database.session() as session:
        return list(session.scalars(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule_id)
                                    .order_by(ScheduleRun.id)))


def export_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ExportJob))


def stale_later(app, when: dt.datetime) -> dt.datetime:
    """The first instant at which a run last heard of (or handed out) at `when` is stale."""
    return when + app.server.extensions[EXTENSION].settings.job_stale_after + dt.timedelta(seconds=1)


def email_of(person: str) -> str:
    return PEOPLE[person][0]


def process_env(folder: Path, database_url: str) -> dict:
    """The environment of an app process over the test's instance folder and database."""
    return {**os.environ, "PULSEBOARD_ENV": "test", "PULSEBOARD_INSTANCE": str(folder),
            "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "DEMO_FEED": "0", "SCHEDULER": "off",
            "REDIS_URL": ""}


def start_engine_process(folder: Path, database_url: str, job: dict) -> subprocess.Popen:
    """Start `tests.integration.schedule_process` with `job` (see that module)."""
    return subprocess.Popen([sys.executable, "-m", "tests.integration.schedule_process", json.dumps(job)],
                            cwd=ROOT, env=process_env(folder, database_url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class ScriptedSmtp:
    """An aiosmtpd server whose answers a test scripts: `refuse` maps an address to its RCPT
    reply (e.g. "550 5.1.1 No such user"); `busy` is how many DATA commands get "451" first.
    Accepted messages are kept in `accepted` as (recipients, raw bytes). `port`: where to
    listen (default: a free port), e.g. one nobody listened on until now."""

    def __init__(self, refuse: dict[str, str] | None = None, busy: int = 0, port: int | None = None):
        self.refuse, self.busy = dict(refuse or {}), busy
        self.accepted: list[tuple[list[str], bytes]] = []
        self.data_commands = 0
        self.port = port or free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        self.data_commands += 1
        if self.busy > 0:
            self.busy -= 1
            return "451 4.3.0 Try again later"
        self.accepted.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def settings(self) -> dict:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none",
                "mail_from": "reports@pulseboard.test"}

    def __enter__(self) -> ScriptedSmtp:
        self._controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._controller.stop()
