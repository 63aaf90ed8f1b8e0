"""`/exports/<id>/download`: a finished export's file, for whoever may still see it.

The guard has already required a signed-in user; `data.export_jobs.get_job` then applies the
same rule as the history page (the author or an admin, and only while they can view the
dashboard the export came from). Anything else is a 404, never a hint that the file exists.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from auth.account import current_account
from context import database, settings
from data.export_jobs import ExportNotFound, get_job
from exports.files import stored_path
from exports.options import MEDIA_TYPES

blueprint = Blueprint("exports", __name__)


def download_url(job_id: int) -> str:
    return f"/exports/{job_id}/download"


@blueprint.get("/exports/<int:job_id>/download")
def download(job_id: int):
    account = current_account()
    try:
        with database().session() as session:
            job = get_job(session, account, job_id)
    except ExportNotFound:
        abort(404)
    if not job.downloadable:
        abort(404)
    path = stored_path(settings().exports_path, job.stored_name)
    if not path.is_file():
        abort(404)
    extension = path.suffix.lstrip(".")
    return send_file(
        path,
        mimetype=MEDIA_TYPES.get(extension, "application/octet-stream"),
        as_attachment=True,
        download_name=job.file_name,
        max_age=0,
    )
