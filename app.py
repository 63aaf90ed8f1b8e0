"""Pulseboard: `create_app(config=None)` builds the Dash app; `app` and `server` are the defaults.

`python app.py` runs the development server (with the demo live feed in demo mode);
production runs `gunicorn app:server`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import callbacks
import delivery.links
import exports.routes
import public_link
from auth import init_auth
from auth.account import current_account
from auth.csrf import csrf_token
from background import background_manager
from commands import register_commands
from components.shell import anonymous_shell, app_shell
from context import EXTENSION, build_services
from public_link.plotly_bundle import PLOTLY_URL
from settings import Settings

ROOT = Path(__file__).resolve().parent

# Every graph in the app loads Pulseboard's partial plotly.js (public_link/plotly_bundle.py) instead of
# the full build Dash would fetch: dcc.Graph loads whatever `window._dashPlotlyJSURL` names when its
# first figure mounts, and the renderer would otherwise set it to the 4.8 MB file.
PLOTLY_SCRIPT = (
    "<script>Object.defineProperty(window, '_dashPlotlyJSURL', "
    f"{{get: function () {{ return '{PLOTLY_URL}'; }}, set: function () {{}}}});</script>\n"
)

INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
%(theme_script)s%(plotly_script)s{%css%}
</head>
<body>
{%app_entry%}
<footer>{%config%}{%scripts%}{%renderer%}</footer>
</body>
</html>""".replace("%(theme_script)s", (ROOT / "templates" / "_theme_script.html").read_text()).replace(
    "%(plotly_script)s", PLOTLY_SCRIPT)


def serve_layout():
    """The shell for the signed-in user; Dash calls this on every page load."""
    account = current_account()
    if account is None:
        return anonymous_shell()
    return app_shell(account.display_name, account.email, account.role, csrf_token())


def create_app(config: dict | None = None) -> dash.Dash:
    """Build a Pulseboard app from environment settings, with `config` overriding them.

    Raises `settings.UnsafeSettings` for an insecure production configuration.
    """
    settings = Settings.load(config)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    server = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None,
                   template_folder=str(ROOT / "templates"))
    # An upload reaches its callback base64-encoded (4/3 of its size) inside a JSON request.
    largest_upload_request = settings.upload_max_mb * 1_000_000 * 4 // 3 + 16 * 1024 * 1024
    server.config.update(SECRET_KEY=settings.secret_key, DEBUG=settings.debug,
                         MAX_CONTENT_LENGTH=max(200 * 1024 * 1024, largest_upload_request))
    if settings.trusted_proxies:
        count = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=count, x_proto=count, x_host=count)
    server.extensions[EXTENSION] = build_services(settings)
    init_auth(server, secure_cookies=settings.cookie_secure, session_days=settings.session_days)
    server.register_blueprint(public_link.blueprint)
    server.register_blueprint(exports.routes.blueprint)
    server.register_blueprint(delivery.links.blueprint)
    register_commands(server)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        title="Pulseboard",
        update_title=None,
        suppress_callback_exceptions=True,
        background_callback_manager=background_manager(settings),
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX_STRING
    app.layout = serve_layout
    callbacks.attach(app)
    return app


# Every background job's process re-imports the main module as "__mp_main__" to unpickle its
# work (see background.py). Under `python app.py` that is this file, and a job needs no web app
# of its own: building one there failed inside Dash's page loader and crashed every job.
if __name__ != "__mp_main__":
    app = create_app()
    server = app.server


def main() -> None:
    settings: Settings = server.extensions[EXTENSION].settings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    feed = None
    if settings.demo_feed and settings.env == "demo":
        from data.feed import DemoFeed

        feed = DemoFeed(server.extensions[EXTENSION].database.engine,
                        interval=settings.feed_interval_seconds, speedup=settings.feed_speedup).start()
        logging.getLogger("pulseboard").info("demo live feed started")
    from delivery.scheduler import start_in_process

    scheduler = start_in_process(server)  # scheduled reports and alerts, unless Celery beat ticks
    try:
        app.run(host=settings.host, port=settings.port, debug=settings.debug, use_reloader=False)
    finally:
        if feed is not None:
            feed.stop()
        if scheduler is not None:
            scheduler.stop()


if __name__ == "__main__":
    main()
