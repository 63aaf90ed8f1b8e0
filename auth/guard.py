"""Deny by default: every request needs a signed-in user unless its endpoint is on the allowlist.

The allowlist is by Flask endpoint (the route that matched), not by path prefix, so a path
cannot talk its way past it. A new route is closed until someone adds it here on purpose.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import jsonify, redirect, request, url_for

from auth.account import current_account

# endpoint -> why it is public
PUBLIC_ENDPOINTS = {
    "auth.login": "the sign-in form itself",
    "auth.healthz": "load balancer and uptime checks",
    "_dash_assets.static": "CSS, fonts and logo used by the sign-in page",
    "/_favicon.ico": "the browser asks for it on the sign-in page",
    "public.view": "a dashboard's read-only public link (checks its token itself, 404 otherwise)",
    "public.widget": "one widget of a public dashboard, for its refresh (checks the token itself)",
    "public.plotly_js": "plotly.js for the public page (a static file of the plotly package)",
    "deliveries.file": "a report file too large to email, for the recipients holding its signed, "
                       "expiring link (checks the token itself, 404 otherwise)",
}


def is_public(endpoint: str | None) -> bool:
    return endpoint in PUBLIC_ENDPOINTS


def wants_json() -> bool:
    """Dash's own endpoints, non-GET requests and API clients get JSON, not a redirect."""
    return request.path.startswith("/_") or request.method != "GET" or (
        request.accept_mimetypes.best == "application/json")


def require_sign_in():
    """`before_request` hook: let public endpoints and signed-in users through, stop the rest."""
    if is_public(request.endpoint):
        return None
    if current_account() is not None:
        return None
    if wants_json():
        response = jsonify(error="Sign in required.", login=url_for("auth.login"))
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or any(ord(ch) < 32 for ch in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
