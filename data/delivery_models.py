"""ORM models of deliveries: report schedules and their runs, KPI alerts and their events, the
in-app notifications behind the bell, and the lease that lets exactly one scheduler run.

Every timestamp is naive UTC, as in data/models.py. A schedule's wall-clock time lives in its own
IANA timezone (`time_of_day` + `timezone`); `next_run_at` is that instant converted to UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base, utcnow


class Schedule(Base):
    """A dashboard report delivered by email on a recurrence, made as its owner.

    `formats` is "pdf", "xlsx" or "pdf,xlsx"; `options` the JSON of the export choices other
    than the format (template, page, widgets, date range: exports.options.ExportOptions).
    `recipients` is JSON: {"users": [ids], "emails": [addresses]}. `frequency` is daily,
    weekdays, weekly (`weekday`, 0 = Monday), monthly (`day_of_month`, the month's last day
    when it is shorter) or cron (`cron`). `missed` says what to do with runs missed while
    nothing was running: "latest" sends the latest one once, "skip" sends none.
    """

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    formats: Mapped[str] = mapped_column(String(16), default="pdf")
    options: Mapped[str] = mapped_column(Text, default="{}")
    recipients: Mapped[str] = mapped_column(Text, default="{}")
    frequency: Mapped[str] = mapped_column(String(16))
    time_of_day: Mapped[str] = mapped_column(String(5), default="08:00")  # HH:MM, local
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(120), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    missed: Mapped[str] = mapped_column(String(8), default="latest")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


SLOT_RUNS = "\"trigger\" <> 'manual'"  # the runs keyed by their slot (uq_schedule_runs_slot)


class ScheduleRun(Base):
    """One delivery of a schedule: planned for `planned_at`, claimed once, and moved on step by
    step so that a retry resumes where it died.

    The idempotency key of a slot is (schedule_id, planned_at) among the runs that are not
    manual: a "schedule" and a "catchup" run of one slot collide, a "send now" never collides
    with a slot (at most one unfinished manual run per schedule, see delivery/runs.py).
    `status`: pending (claimed, nothing made), rendering, sending, sent, failed or skipped.
    `trigger`: schedule, manual ("send now") or catchup (the latest of runs missed while down).
    `attempts` counts the executors that took the run; its value is the current executor's
    token: every write of an executor requires it, so one released as stale stops writing.
    `recipients` is JSON {address: "pending" | "sent" | "failed"}: a retry sends only to the
    pending ones. `files` is JSON [{"job": export job id, "name": file name, "size": bytes}].
    `heartbeat_at` is touched while the run works: a silent one died and is retried. Without a
    heartbeat the run waits for an executor; `queued_at` is when it was last handed to one (or
    left for a later retry after a temporary failure), so it is handed out again only once that
    is stale.
    """

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime)
    trigger: Mapped[str] = mapped_column(String(8), default="schedule")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    recipients: Mapped[str] = mapped_column(Text, default="{}")
    files: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        Index("uq_schedule_runs_slot", "schedule_id", "planned_at", unique=True,
              sqlite_where=text(SLOT_RUNS), postgresql_where=text(SLOT_RUNS)),
        Index("ix_schedule_runs_status", "status", "heartbeat_at"),
    )


class Alert(Base):
    """A condition on one widget's measure, evaluated every `every_minutes` as its owner.

    `condition`: above or below `threshold`; change (against the previous period, more than
    `threshold` percent either way); band (outside `sigmas` standard deviations of the last
    `periods` periods of `grain`). `state` is ok, firing or error; it notifies only when it
    changes, so a condition that stays true notifies once. `snoozed_until` silences it.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"), index=True)
    widget_id: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    condition: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    sigmas: Mapped[float | None] = mapped_column(Float, nullable=True)
    periods: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grain: Mapped[str] = mapped_column(String(8), default="day")
    every_minutes: Mapped[int] = mapped_column(Integer, default=15)
    recipients: Mapped[str] = mapped_column(Text, default="{}")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(8), default="ok")
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    last_evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    next_evaluation_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AlertEvent(Base):
    """A change of an alert's state (fired, cleared, error), with the value that caused it; or
    "reset" (recorded already emailed) when its condition was edited: what people were told
    before it no longer counts.

    `evaluated_at` is the evaluation's slot: unique per alert, so two schedulers evaluating the
    same slot record (and notify) once. `recipients` is JSON {address: "pending" | "sent" |
    "failed"} for the event's email; `emailed` once none is pending. `sending_until`: whoever
    is emailing it holds it until then (a conditional UPDATE claims it), so it goes out once."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    message: Mapped[str] = mapped_column(String(1000))
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[str] = mapped_column(Text, default="{}")
    sending_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("alert_id", "evaluated_at", name="uq_alert_events_alert_slot"),)


class Notification(Base):
    """One line under a user's bell: an alert that fired or cleared, a report that failed."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000), default="")
    link: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),)


class SchedulerLease(Base):
    """Who runs the schedules now: a row per lease name, taken over only once it expired."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
