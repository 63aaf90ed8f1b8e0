"""The export history on `/reports`: one row per export, newest first."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from data.export_jobs import JobRecord
from exports.document import TEMPLATES
from exports.options import CHART_FORMATS
from exports.routes import download_url

STATUS_BADGES = {
    "done": ("Ready", "success"),
    "running": ("Running", "info"),
    "failed": ("Failed", "danger"),
    "cancelled": ("Cancelled", "secondary"),
}


def size_text(size: int | None) -> str:
    if size is None:
        return "—"
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def _what(job: JobRecord) -> html.Div:
    kind = "Chart" if job.scope == "chart" else TEMPLATES.get(job.template, job.template)
    link = html.A(job.subject, href=f"/dashboards/{job.dashboard_id}") if job.dashboard_id else job.subject
    return html.Div(
        [html.Div(link, className="fw-semibold"), html.Div(kind, className="small text-body-secondary")]
    )


def _status(job: JobRecord) -> html.Div:
    label, colour = STATUS_BADGES.get(job.status, (job.status, "secondary"))
    return html.Div(
        [
            dbc.Badge(label, color=colour),
            html.Div(job.error, className="small text-body-secondary") if job.error else None,
        ]
    )


def _actions(job: JobRecord) -> html.Div:
    """Download, when there is a file, and Delete (the list holds only what the user may delete)."""
    return html.Div(
        [
            html.A(
                [html.I(className="bi bi-download me-1"), "Download"],
                href=download_url(job.id),
                className="btn btn-sm btn-outline-primary",
                **{"data-job": job.id},
            )
            if job.downloadable
            else None,
            dbc.Button(
                html.I(className="bi bi-trash"),
                id={"type": ids.XP_DELETE, "job": job.id},
                size="sm",
                color="secondary",
                outline=True,
                n_clicks=0,
                title="Delete this export",
                className="ms-1",
            ),
        ],
        className="text-nowrap",
    )


def history_table(jobs: list[JobRecord], show_author: bool) -> html.Div:
    if not jobs:
        return html.Div(
            [
                html.I(className="bi bi-file-earmark-richtext pb-empty-icon"),
                html.H2("No exports yet", className="pb-empty-title"),
                html.P(
                    "Use the download menu on any chart, or Export on a dashboard.", className="pb-empty-text"
                ),
            ],
            className="pb-empty",
            id="xp-empty",
        )
    head = ["When", "What", "Format", "Size", "Status", *(["By"] if show_author else []), ""]
    rows = [
        html.Tr(
            [
                html.Td(f"{job.created_at:%Y-%m-%d %H:%M} UTC", className="text-nowrap"),
                html.Td(_what(job)),
                html.Td(CHART_FORMATS.get(job.format, job.format)),
                html.Td(size_text(job.size_bytes)),
                html.Td(_status(job)),
                *([html.Td(job.user_name)] if show_author else []),
                html.Td(_actions(job)),
            ],
            **{"data-job-row": job.id},
        )
        for job in jobs
    ]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(name) for name in head])), html.Tbody(rows)],
        hover=True,
        responsive=True,
        className="mb-0 pb-reports-table",
        id="xp-history",
    )
