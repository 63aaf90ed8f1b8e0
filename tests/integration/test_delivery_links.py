"""Download links in report emails: signed, expiring with the exports they point at, served to
anyone holding them (recipients may have no account) and to nobody else."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete

from auth.guard import PUBLIC_ENDPOINTS
from context import EXTENSION
from data.export_jobs import start_job
from data.models import ExportJob
from delivery.links import file_link, read_token
from exports.run import store
from tests.conftest import DEMO_END
from tests.helpers import account_of

NOW = DEMO_END + dt.timedelta(minutes=5)  # where the clock fixture starts


@pytest.fixture
def services(app, clock):
    with app.server.app_context():
        yield app.server.extensions[EXTENSION]


@pytest.fixture
def make_export(services, database):
    """An export job of the analyst's, done, whose stored file holds `content`."""

    def _make(content: bytes, title: str = "Sales pulse") -> int:
        analyst = account_of(database, "analyst")
        with database.session() as session:
            job_id = start_job(session, analyst, title, "dashboard", "xlsx", "detailed", {}, None, None,
                               services.clock())
        store(job_id, title, "xlsx", lambda handle: handle.write(content))
        return job_id

    return _make


def _path(url: str) -> str:
    return urlsplit(url).path


def _get(client, path: str):
    """GET `path`; the response read in full and closed (a file response holds the file open)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def test_a_link_downloads_the_file_without_signing_in(services, client, make_export):
    job_id = make_export(b"the workbook")
    url = file_link(services.settings, job_id)
    assert url.startswith(f"{services.settings.base_url}/deliveries/files/")
    response = _get(client, _path(url))  # nobody is signed in
    assert response.status_code == 200 and response.data == b"the workbook"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Sales pulse" in disposition
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "deliveries.file" in PUBLIC_ENDPOINTS


def test_a_forged_or_altered_token_is_a_404(services, client, make_export):
    job_id = make_export(b"the workbook")
    token = _path(file_link(services.settings, job_id)).rsplit("/", 1)[1]
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_key = file_link(services.settings.__class__.load(
        {"env": "test", "secret_key": "another-secret-key-of-enough-length-000"}, environ={}), job_id)
    for path in (f"/deliveries/files/{altered}", _path(other_key), "/deliveries/files/not-a-token",
                 "/deliveries/files/WzEsMiwzXQ"):
        assert _get(client, path).status_code == 404, path


def test_a_token_for_one_job_cannot_fetch_another(services, client, make_export):
    first, second = make_export(b"first file"), make_export(b"second file")
    first_url, second_url = file_link(services.settings, first), file_link(services.settings, second)
    assert _get(client, _path(first_url)).data == b"first file"
    assert _get(client, _path(second_url)).data == b"second file"
    # The payload of the first link with the signature of the second: refused.
    first_payload = _path(first_url).rsplit("/", 1)[1].split(".")[0]
    second_signature = _path(second_url).rsplit("/", 1)[1].split(".")[1]
    assert _get(client, f"/deliveries/files/{first_payload}.{second_signature}").status_code == 404


def test_a_link_expires_with_the_retention_period(services, client, clock, make_export):
    job_id = make_export(b"the workbook")
    path = _path(file_link(services.settings, job_id))
    days = services.settings.export_retention_days
    clock(NOW + dt.timedelta(days=days) - dt.timedelta(seconds=1))
    assert _get(client, path).status_code == 200
    clock(NOW + dt.timedelta(days=days))
    assert _get(client, path).status_code == 404
    token = path.rsplit("/", 1)[1]
    assert read_token(services.settings.secret_key, token, NOW) == (job_id, NOW)
    assert read_token(services.settings.secret_key, token, NOW + dt.timedelta(days=days)) is None


def test_a_pruned_file_or_a_deleted_export_is_a_404(services, database, client, make_export):
    kept, pruned = make_export(b"kept"), make_export(b"pruned")
    with database.session() as session:
        stored = session.get(ExportJob, pruned).stored_name
    (services.settings.exports_path / stored).unlink()
    assert _get(client, _path(file_link(services.settings, pruned))).status_code == 404
    kept_path = _path(file_link(services.settings, kept))
    with database.session() as session:
        session.execute(delete(ExportJob).where(ExportJob.id == kept))
    assert _get(client, kept_path).status_code == 404


def test_a_newer_export_that_reuses_a_deleted_jobs_id_is_not_served(services, database, client, clock,
                                                                      make_export):
    job_id = make_export(b"old report")
    path = _path(file_link(services.settings, job_id))
    with database.session() as session:
        session.execute(delete(ExportJob).where(ExportJob.id == job_id))
    clock(NOW + dt.timedelta(days=1))
    reused = make_export(b"someone else's newer report")
    assert reused == job_id  # SQLite hands out the highest id again once it is deleted
    assert _get(client, path).status_code == 404
