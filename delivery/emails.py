"""The emails Pulseboard sends: a scheduled report and an alert that fired or cleared.

Each is an `EmailMessage` with a plain-text body and an HTML one (multipart/alternative), built
from the same lines so both say the same: the KPI summary as the dashboard shows it, a link back
to the dashboard, the files attached with their media types. Files that together would pass
MAIL_ATTACHMENT_MAX_MB are listed with a signed download link (`delivery.links`) instead.
Everything a user typed is escaped in HTML (Jinja autoescape) and a subject is one line, so no
title can add a header or markup. No Dash, no SMTP: `delivery.mailer.send` sends these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hashlib
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import jinja2

from charts.formatting import EMPTY, format_value
from charts.theme import BAD, GOOD, NEUTRAL
from data.recipients import checked_address
from delivery.links import file_link
from exports.document import Kpi
from settings import ROOT, Settings

MAX_SUBJECT = 250
FIRED = "#d97706"  # amber: an alert asks for attention; whether it is bad news depends on the alert
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(ROOT / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A finished export file to send: its download name, where it is, its size in bytes, its
    media type and the export job it belongs to (for a download link when it is too large)."""

    name: str
    path: Path
    size: int
    media_type: str
    job_id: int


@dataclasses.dataclass(frozen=True)
class KpiLine:
    """One KPI as the email shows it: "Revenue  $7.21M  ▲ +10.9% vs $6.50M"."""

    label: str
    value: str
    change: str
    previous: str
    colour: str


@dataclasses.dataclass(frozen=True)
class FileLine:
    """A file as the email lists it: attached, or too large and linked."""

    name: str
    size: str
    url: str | None = None


def message_id(key: str, recipient: str) -> str:
    """The Message-ID of one delivery (`key`: a run, an alert event) to one recipient: the same
    on every try, so a message resent after an unknown outcome is one message to mail systems."""
    digest = hashlib.sha256(f"{key}\n{recipient.strip().lower()}".encode()).hexdigest()[:40]
    return f"<{digest}@pulseboard>"


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """`text` on one line (line breaks and control characters become spaces), cut to `limit`."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"



def change_text(kpi: Kpi) -> str:
    """The change against the previous period with its arrow and sign: "▲ +10.9%", "▼ −1.5%"."""
    change = kpi.delta
    if change is None:
        return EMPTY
    arrow, sign = ("▲", "+") if change > 0 else ("▼", "−") if change < 0 else ("■", "")
    return f"{arrow} {sign}{abs(change) * 100:.1f}%"


def kpi_line(kpi: Kpi) -> KpiLine:
    """A KPI formatted as its card on the dashboard formats it, coloured by whether it improved."""
    change = kpi.delta
    good = None if not change else (change > 0) == kpi.higher_is_better
    return KpiLine(
        one_line(kpi.label, 120),
        format_value(kpi.value, kpi.format, kpi.currency),
        change_text(kpi),
        format_value(kpi.previous, kpi.format, kpi.currency),
        NEUTRAL if good is None else GOOD if good else BAD,
    )


def file_size(size: int) -> str:
    """A size as people read it: 840 KB, 12.3 MB."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB"


def split_attachments(
    settings: Settings, files: list[Attachment]
) -> tuple[list[Attachment], list[Attachment]]:
    """(attached, linked): the smallest files are attached while together they stay within
    MAIL_ATTACHMENT_MAX_MB; the rest go as download links. The order given is kept."""
    budget = settings.mail_attachment_max_mb * 1_000_000
    attached: set[int] = set()
    for index in sorted(range(len(files)), key=lambda i: files[i].size):
        if files[index].size <= budget:
            attached.add(index)
            budget -= files[index].size
    return ([f for i, f in enumerate(files) if i in attached],
            [f for i, f in enumerate(files) if i not in attached])


def dashboard_url(settings: Settings, dashboard_id: int) -> str:
    return f"{settings.base_url}/dashboards/{int(dashboard_id)}"


def _sent_at() -> dt.datetime | None:
    """The app's clock, when there is an app or job to ask (a Date header is optional)."""
    from context import now

    try:
        return now()
    except RuntimeError:
        return None


def _envelope(settings: Settings, recipient: str, subject: str, message_id_: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = checked_address(recipient)
    message["Subject"] = one_line(subject) or "Pulseboard"
    message["Message-ID"] = one_line(message_id_, 200)
    sent_at = _sent_at()
    if sent_at is not None:
        message["Date"] = email.utils.format_datetime(sent_at.replace(tzinfo=dt.UTC))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message["X-Auto-Response-Suppress"] = "All"
    return message


def report_text(title: str, kpis: list[KpiLine], attached: list[FileLine], linked: list[FileLine],
                url: str, note: str, retention_days: int) -> str:
    """The plain-text body of a report."""
    lines = [title, "=" * min(len(title), 72), ""]
    if kpis:
        lines.append("Key figures (change vs the previous period)")
        lines.extend(f"  {k.label}: {k.value}   {k.change} (previous: {k.previous})" for k in kpis)
        lines.append("")
    if attached:
        lines.append("Attached: " + ", ".join(f"{f.name} ({f.size})" for f in attached))
    if linked:
        lines.append(f"Too large to attach; download within {retention_days} days:")
        lines.extend(f"  {f.name} ({f.size}): {f.url}" for f in linked)
    if attached or linked:
        lines.append("")
    lines += [f"Open the dashboard: {url}", "", "-- ", note]
    return "\n".join(lines) + "\n"


def _attach(message: EmailMessage, files: list[Attachment]) -> None:
    for item in files:
        maintype, _, subtype = item.media_type.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(item.path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=one_line(item.name, 200))


def report_message(
    settings: Settings,
    *,
    recipient: str,
    subject: str,
    dashboard_title: str,
    dashboard_id: int,
    kpis: list[Kpi],
    files: list[Attachment],
    message_id: str,
    schedule_note: str,
) -> EmailMessage:
    """A scheduled report for one recipient. Raises `ValueError` for a recipient that is not one
    email address, and `OSError` if an attached file cannot be read."""
    title = one_line(dashboard_title, 200) or "Dashboard"
    url = dashboard_url(settings, dashboard_id)
    note = one_line(schedule_note, 300)
    lines = [kpi_line(kpi) for kpi in kpis]
    to_attach, to_link = split_attachments(settings, list(files))
    attached = [FileLine(one_line(f.name, 200), file_size(f.size)) for f in to_attach]
    linked = [FileLine(one_line(f.name, 200), file_size(f.size), file_link(settings, f.job_id))
              for f in to_link]
    message = _envelope(settings, recipient, subject or title, message_id)
    days = settings.export_retention_days
    message.set_content(report_text(title, lines, attached, linked, url, note, days))
    html = TEMPLATES.get_template("email_report.html").render(
        subject=one_line(subject) or title, title=title, kpis=lines, attached=attached, linked=linked,
        url=url, note=note, retention_days=days)
    message.add_alternative(html, subtype="html")
    _attach(message, to_attach)
    return message


def alert_message(
    settings: Settings,
    *,
    recipient: str,
    alert_name: str,
    kind: Literal["fired", "cleared"],
    summary: str,
    dashboard_title: str,
    dashboard_id: int,
    message_id: str,
) -> EmailMessage:
    """An alert that fired (its condition became true) or cleared, for one recipient. Raises
    `ValueError` for an unknown kind or a recipient that is not one email address."""
    if kind not in ("fired", "cleared"):
        raise ValueError(f"An alert email is for 'fired' or 'cleared', not {kind!r}.")
    name = one_line(alert_name, 200) or "Alert"
    title = one_line(dashboard_title, 200) or "Dashboard"
    url = dashboard_url(settings, dashboard_id)
    heading = f"Alert: {name}" if kind == "fired" else f"Cleared: {name}"
    summary = str(summary).strip()
    message = _envelope(settings, recipient, heading, message_id)
    state = "fired" if kind == "fired" else "has cleared"
    text = [heading, "", summary, "", f"Dashboard: {title}", f"Open it: {url}", "", "-- ",
            f"The alert {state} · sent by Pulseboard"]
    message.set_content("\n".join(text) + "\n")
    html = TEMPLATES.get_template("email_alert.html").render(
        subject=heading, heading=heading, fired=kind == "fired", summary=summary, title=title, url=url,
        note=f"The alert {state} · sent by Pulseboard", colour=FIRED if kind == "fired" else GOOD)
    message.add_alternative(html, subtype="html")
    return message
