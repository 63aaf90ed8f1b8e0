"""Scaled out (REDIS_URL set): Celery beat sends the scheduler's tick every
`scheduler_tick_seconds`, and each run goes to the workers as a task of its own, on the Celery
app of background callbacks (`background.celery_for`). `worker.py` registers these tasks, so
`celery -A worker.celery worker` runs them and `celery -A worker.celery beat` (the Procfile's
`beat:`) schedules the tick. The web processes only send tasks, by name.
"""

from __future__ import annotations

from celery import Celery

from settings import Settings

TICK_TASK = "pulseboard.delivery.tick"
RUN_TASK = "pulseboard.delivery.run"
BEAT_ENTRY = "pulseboard-scheduler-tick"


def register_tasks(celery: Celery, app_settings: Settings) -> None:
    """Define the tick and run tasks on `celery`, and the beat entry that sends the tick."""
    if TICK_TASK in celery.tasks:
        return

    @celery.task(name=TICK_TASK, ignore_result=True)
    def tick_task() -> dict:
        from context import now
        from delivery.scheduler import tick

        return tick(now(), send_run_task)

    @celery.task(name=RUN_TASK, ignore_result=True)
    def run_task(run_id: int) -> str:
        from delivery.runs import execute_run

        return execute_run(run_id)

    interval = app_settings.scheduler_tick_seconds
    celery.conf.beat_schedule = {
        **(celery.conf.beat_schedule or {}),
        # A tick not taken within one interval is dropped: the next one does the same work.
        BEAT_ENTRY: {"task": TICK_TASK, "schedule": interval,
                     "options": {"queue": app_settings.job_queue, "expires": interval}},
    }


def send_run_task(run_id: int) -> None:
    """Send one run to the workers (from the web process, a tick or `send_now`)."""
    from background import celery_for
    from context import settings

    app_settings = settings()
    celery_for(app_settings.redis_url, app_settings.job_queue).send_task(
        RUN_TASK, args=[run_id], queue=app_settings.job_queue)


def send_tick_task(app_settings: Settings) -> None:
    """Send one tick to the workers now (tests, and an operator who cannot wait for beat)."""
    from background import celery_for

    celery = celery_for(app_settings.redis_url, app_settings.job_queue)
    celery.send_task(TICK_TASK, queue=app_settings.job_queue)
