"""Download links in emails: a report file too large to attach, for whoever holds the link.

`file_link` signs the export job's id, when the link was made and when it stops working
(EXPORT_RETENTION_DAYS later, when the export itself is deleted) with SECRET_KEY and a salt
used for nothing else. The `deliveries.file` route needs no sign-in (the guard lets it through:
the link is sent to external recipients too) and answers 404, never a hint, for a forged,
altered or expired token, an export that is gone, or a job id that was reused after the one
the link was made for had been deleted.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, send_file
from itsdangerous import BadSignature, URLSafeSerializer

from context import database, now, settings
from data.models import ExportJob
from exports.files import stored_path
from exports.options import MEDIA_TYPES
from settings import Settings

blueprint = Blueprint("deliveries", __name__)
SALT = "pulseboard.delivery.file-link"
# A job made a little after its link (clocks of two machines) still matches it.
CLOCK_SLACK = dt.timedelta(minutes=5)


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _epoch(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def file_link(settings: Settings, job_id: int, *, issued_at: dt.datetime | None = None) -> str:
    """An absolute URL serving export job `job_id`'s file until it expires (`issued_at`, naive
    UTC, defaults to the app's clock, plus `export_retention_days`)."""
    issued_at = now() if issued_at is None else issued_at
    expires = issued_at + dt.timedelta(days=settings.export_retention_days)
    token = _serializer(settings.secret_key).dumps([int(job_id), _epoch(issued_at), _epoch(expires)])
    return f"{settings.base_url}/deliveries/files/{token}"


def read_token(secret_key: str, token: str, at: dt.datetime) -> tuple[int, dt.datetime] | None:
    """The job id and issue time a token names, or None if it is forged, malformed or expired."""
    try:
        job_id, issued, expires = _serializer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in (job_id, issued, expires)):
        return None
    if at >= _moment(expires):
        return None
    return job_id, _moment(issued)


@blueprint.get("/deliveries/files/<token>")
def file(token: str):
    """The file of the export the token names, as an attachment; 404 for anything else."""
    current = settings()
    found = read_token(current.secret_key, token, now())
    if found is None:
        abort(404)
    job_id, issued_at = found
    with database().session() as session:
        job = session.get(ExportJob, job_id)
        if job is None or job.status != "done" or not job.stored_name:
            abort(404)
        if job.created_at > issued_at + CLOCK_SLACK:
            abort(404)  # a newer job that reused the id: the link was not made for it
        stored_name, download_name = job.stored_name, job.file_name
    try:
        path = stored_path(current.exports_path, stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream"),
        as_attachment=True,
        download_name=download_name or path.name,
        max_age=0,
    )
    # The token is the key: keep it out of shared caches, referrers and search engines.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
