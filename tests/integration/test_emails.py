"""Report and alert emails: a real PDF and workbook exported from a dashboard, sent through
`delivery.mailer.send` to a real SMTP server (aiosmtpd), read back there: recipients, subject,
the KPI summary in both bodies, attachments that open, and download links for files too large
to attach. Also what a user typed cannot add headers or markup."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from urllib.parse import urlsplit

import openpyxl
import pytest
from pypdf import PdfReader

from charts.formatting import format_value
from context import EXTENSION
from delivery.emails import Attachment, alert_message, change_text, message_id, report_message
from delivery.kpi_summary import kpi_summary
from delivery.mailer import send
from exports.document import Kpi
from exports.options import ExportOptions
from exports.run import export_dashboard
from tests.helpers import account_of, shared_board

NOTE = "Weekdays at 08:00 (Europe/Madrid) · sent by Pulseboard"
PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT = {
    "title": "Sales pulse",
    "filters": {"time_range": {"relative": "last_30_days"}},
    "widgets": [
        {"id": "revenue", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "orders", "type": "kpi", "title": "Orders", "dataset": "sales", "measures": ["orders"]},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales", "measures": ["revenue"],
         "dimensions": ["region"]},
    ],
    "layout": [
        {"i": "revenue", "x": 0, "y": 0, "w": 3, "h": 3},
        {"i": "orders", "x": 3, "y": 0, "w": 3, "h": 3},
        {"i": "regions", "x": 0, "y": 3, "w": 12, "h": 4},
    ],
}


@pytest.fixture
def services(app, clock):
    with app.server.app_context():
        yield app.server.extensions[EXTENSION]


@pytest.fixture
def mail_settings(services, smtp_server):
    """The app's settings, sending to the test SMTP server, with links to a public address."""
    return dataclasses.replace(services.settings, **smtp_server.settings(), public_url="https://pulse.example.com")


@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)


@pytest.fixture
def report(services, database, board):
    """A real PDF and workbook of the board, as the analyst, and the KPI summary."""
    analyst = account_of(database, "analyst")
    results = [export_dashboard(analyst, board.id, ExportOptions(format=fmt)) for fmt in ("pdf", "xlsx")]
    files = [Attachment(r.file_name, r.path, r.size, r.media_type, r.job_id) for r in results]
    return files, kpi_summary(analyst, board.id, ExportOptions())


def _report(settings, board, files, kpis, recipient="vera@example.com", **changes):
    fields = {"recipient": recipient, "subject": "Weekly sales", "dashboard_title": board.title,
              "dashboard_id": board.id, "kpis": kpis, "files": files,
              "message_id": message_id("run-7", recipient), "schedule_note": NOTE}
    return report_message(settings, **{**fields, **changes})


def test_a_report_arrives_with_its_kpis_inline_and_attachments_that_open(mail_settings, smtp_server, board,
                                                                         report):
    files, kpis = report
    send(mail_settings, _report(mail_settings, board, files, kpis))
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["vera@example.com"] and received.subject == "Weekly sales"
    assert received.message["From"] == "reports@pulseboard.test"
    assert received.message["Message-ID"] == message_id("run-7", "vera@example.com")
    attachments = received.attachments()
    assert set(attachments) == {files[0].name, files[1].name}
    types = {part.get_filename(): part.get_content_type() for part in received.message.iter_attachments()}
    assert types == {files[0].name: PDF, files[1].name: XLSX}
    pdf = PdfReader(io.BytesIO(attachments[files[0].name]))
    pdf_text = "".join(page.extract_text() for page in pdf.pages)
    workbook = openpyxl.load_workbook(io.BytesIO(attachments[files[1].name]))
    assert "Sales pulse" in pdf_text and len(workbook.sheetnames) >= 2
    plain, html = received.body("plain"), received.body("html")
    assert [kpi.label for kpi in kpis] == ["Revenue", "Orders"]
    for kpi in kpis:
        value = format_value(kpi.value, kpi.format, kpi.currency)
        assert f"{kpi.label}: {value}" in plain and change_text(kpi) in plain
        assert value in html and change_text(kpi) in html
        assert value in pdf_text  # the same figure as in the attached report
    link = f"https://pulse.example.com/dashboards/{board.id}"
    assert link in plain and f'href="{link}"' in html
    assert NOTE in plain and NOTE in html
    assert "/deliveries/files/" not in plain


def test_files_over_the_size_limit_become_download_links_that_work(mail_settings, smtp_server, board, report,
                                                                   client):
    files, kpis = report
    tiny = dataclasses.replace(mail_settings, mail_attachment_max_mb=0.001)  # 1 kB
    send(tiny, _report(tiny, board, files, kpis))
    (received,) = smtp_server.wait_for(1)
    assert received.attachments() == {}
    plain = received.body("plain")
    links = [word for word in plain.split() if "/deliveries/files/" in word]
    assert len(links) == 2 and all(link.startswith("https://pulse.example.com/") for link in links)
    assert all(link in received.body("html") for link in links)
    downloads = []
    for link in links:  # followed by someone who is not signed in
        response = client.get(urlsplit(link).path)
        assert response.status_code == 200
        downloads.append(response.get_data())
        response.close()
    assert sorted(downloads) == sorted(file.path.read_bytes() for file in files)
    assert any(len(PdfReader(io.BytesIO(data)).pages) > 0 for data in downloads if data.startswith(b"%PDF"))


def test_the_limit_counts_the_files_together_and_attaches_the_smallest(services, board, report):
    files, kpis = report
    small, large = sorted(files, key=lambda file: file.size)
    limit = (large.size + small.size - 1) / 1_000_000  # room for either alone, not for both
    settings = dataclasses.replace(services.settings, mail_attachment_max_mb=limit)
    message = _report(settings, board, files, kpis)
    assert [part.get_filename() for part in message.iter_attachments()] == [small.name]
    assert large.name in message.get_body(("plain",)).get_content()


def test_typed_text_is_escaped_in_html_and_a_subject_cannot_add_headers(services, board):
    title = "<script>alert(1)</script> & Co"
    kpis = [Kpi("<b>Revenue</b>", 110.0, 100.0, "currency")]
    message = _report(services.settings, board, [], kpis, subject="Weekly\r\nBcc: thief@example.com",
                      dashboard_title=title)
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<b>Revenue</b>" not in html and "&lt;b&gt;Revenue&lt;/b&gt;" in html
    assert message["Subject"] == "Weekly Bcc: thief@example.com" and message["Bcc"] is None
    raw = message.as_bytes()
    assert b"\nBcc:" not in raw and raw.count(b"\nSubject:") + raw.startswith(b"Subject:") == 1
    with pytest.raises(ValueError):
        _report(services.settings, board, [], kpis, recipient="vera@example.com\r\nBcc: thief@example.com")


def test_the_change_has_an_arrow_and_a_sign_and_the_message_id_is_stable():
    assert change_text(Kpi("Revenue", 110.0, 100.0)) == "▲ +10.0%"
    assert change_text(Kpi("Revenue", 98.5, 100.0)) == "▼ −1.5%"
    assert change_text(Kpi("Revenue", 100.0, 100.0)) == "■ 0.0%"
    assert change_text(Kpi("Revenue", 100.0, None)) == change_text(Kpi("Revenue", 5.0, 0.0)) == "—"
    first = message_id("run-7", "vera@example.com")
    assert first == message_id("run-7", "Vera@Example.com ") and first.startswith("<") and first.endswith(">")
    assert first != message_id("run-7", "ada@example.com")
    assert first != message_id("run-8", "vera@example.com")


@pytest.mark.parametrize(("kind", "subject"),
                         [("fired", "Alert: Revenue < 5M"), ("cleared", "Cleared: Revenue < 5M")])
def test_an_alert_email_says_what_happened_with_a_link_back(mail_settings, smtp_server, board, kind, subject):
    message = alert_message(mail_settings, recipient="alan@example.com", alert_name="Revenue < 5M", kind=kind,
                            summary="Revenue is $4.20M, below $5.00M.", dashboard_title=board.title,
                            dashboard_id=board.id,
                            message_id=message_id(f"alert-3-{kind}", "alan@example.com"))
    send(mail_settings, message)
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["alan@example.com"] and received.subject == subject
    plain, html = received.body("plain"), received.body("html")
    assert "Revenue is $4.20M, below $5.00M." in plain and "Revenue is $4.20M, below $5.00M." in html
    assert "Revenue &lt; 5M" in html and "Revenue < 5M" not in html
    assert f"https://pulse.example.com/dashboards/{board.id}" in plain
    with pytest.raises(ValueError):
        alert_message(mail_settings, recipient="alan@example.com", alert_name="x", kind="snoozed", summary="",
                      dashboard_title="t", dashboard_id=1, message_id="<a@b>")


def test_a_report_without_kpis_or_files_still_links_to_the_dashboard(services, board):
    message = _report(services.settings, board, [], [])
    plain = message.get_body(("plain",)).get_content()
    assert "Key figures" not in plain and f"/dashboards/{board.id}" in plain and NOTE in plain
    assert message["Date"] == "Fri, 20 Nov 2026 15:35:00 +0000"  # the app's clock, not the machine's
    assert message["Auto-Submitted"] == "auto-generated"
    assert dt.datetime(2026, 11, 20, 15, 35) == services.clock()
