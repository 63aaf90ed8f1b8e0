"""The Celery worker for background callbacks when scaled out: `celery -A worker.celery worker`.

It builds the same app as the web process, from the same environment, so every background
callback is registered as a task under the same name; jobs then use this app's database and
caches. Needs REDIS_URL. It also runs scheduled reports (delivery/tasks.py), and
`celery -A worker.celery beat` sends their tick.
"""

from app import app, server
from background import celery_for
from context import EXTENSION, use_job_services
from delivery.tasks import register_tasks

_services = server.extensions[EXTENSION]
if not _services.settings.redis_url:
    raise SystemExit("REDIS_URL is not set: background jobs run inside the web process instead.")
use_job_services(_services)
celery = celery_for(_services.settings.redis_url, _services.settings.job_queue)
register_tasks(celery, _services.settings)  # scheduled reports: beat's tick and one task per run

__all__ = ["app", "celery"]
