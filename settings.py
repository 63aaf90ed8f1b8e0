"""Settings read from environment variables, with a dict override for tests.

`Settings.load()` is the only place that reads the environment. It refuses unsafe production
settings with `UnsafeSettings`, so a misconfigured server never starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent
ENVIRONMENTS = ("demo", "development", "production", "test")
SMTP_SECURITY = ("none", "starttls", "ssl")
SCHEDULERS = ("auto", "inprocess", "celery", "off")
# Values people paste from tutorials; a production key must not be one of them.
WEAK_SECRETS = {"secret", "changeme", "change-me", "dev", "development", "password", "pulseboard"}
MIN_SECRET_LENGTH = 32


class UnsafeSettings(RuntimeError):
    """The settings would run a production server insecurely."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of a running Pulseboard, with where its value came from documented in README."""

    env: str = "demo"
    secret_key: str = ""
    instance_path: Path = ROOT / "instance"
    database_url: str = ""
    redis_url: str = ""
    job_queue: str = "pulseboard"
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    demo_feed: bool = True
    feed_interval_seconds: float = 1.0
    feed_speedup: float = 10.0
    demo_rows: int = 200_000
    login_max_failures: int = 5
    login_failure_window_seconds: int = 60
    session_days: int = 14
    trusted_proxies: int = 0
    export_retention_days: int = 30  # finished exports older than this are deleted, file and row
    renderer_folder: Path | None = None  # the render server's socket and lock; default instance/renderer
    job_heartbeat_seconds: float = 10.0  # a running export says it is alive this often
    upload_max_mb: int = 100  # the largest CSV or Excel file /data accepts
    sqlite_folder: Path | None = None  # where connected SQLite/DuckDB files may be; see allowed_sqlite_folder
    allow_any_sqlite_path: bool = False  # admins may connect a SQLite/DuckDB file anywhere
    public_url: str = ""  # how people reach the app, for links in emails; default http://HOST:PORT
    smtp_host: str = ""  # no host: schedules and alerts are kept, but no email can go out
    smtp_port: int = 0  # 0: 465 with ssl, 587 with starttls, 25 without
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "starttls"  # none, starttls or ssl
    smtp_timeout_seconds: float = 30.0
    mail_from: str = ""  # default pulseboard@ the public URL's host
    mail_attachment_max_mb: float = 10.0  # larger files are sent as a download link instead
    allow_external_recipients: bool = False  # schedules and alerts may email addresses of non-users
    scheduler: str = "auto"  # auto (web process, or Celery beat with REDIS_URL), inprocess, celery, off
    scheduler_tick_seconds: float = 30.0  # how often the scheduler looks for due reports and alerts

    @property
    def exports_path(self) -> Path:
        """Where finished export files live (written to a temporary name, then renamed)."""
        return self.instance_path / "exports"

    @property
    def renderer_path(self) -> Path:
        """Where this host's render server listens (see exports/renderer.py)."""
        return self.renderer_folder or self.instance_path / "renderer"

    @property
    def uploads_path(self) -> Path:
        """Where uploaded files wait between the preview and the import (shared with workers)."""
        return self.instance_path / "uploads"

    @property
    def allowed_sqlite_folder(self) -> Path:
        """The folder connected SQLite and DuckDB files must be in, unless any path is allowed."""
        return self.sqlite_folder or self.instance_path / "databases"

    @property
    def job_stale_after(self) -> dt.timedelta:
        """A running job silent this long is dead: four heartbeats missed."""
        return dt.timedelta(seconds=4 * self.job_heartbeat_seconds)

    @property
    def base_url(self) -> str:
        """The app's address in links sent by email (PULSEBOARD_URL, else this server's)."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def sender(self) -> str:
        """The From address of every email (MAIL_FROM, else pulseboard@ the app's host)."""
        from urllib.parse import urlsplit

        return self.mail_from or f"pulseboard@{urlsplit(self.base_url).hostname or 'localhost'}"

    @property
    def smtp_port_number(self) -> int:
        """SMTP_PORT, else the port that goes with SMTP_SECURITY."""
        return self.smtp_port or {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)

    @property
    def scheduler_mode(self) -> str:
        """Who runs schedules and alerts: "inprocess" (a thread of the web process holding the
        lease), "celery" (beat and the workers) or "off". Auto: Celery when REDIS_URL is set."""
        if self.scheduler != "auto":
            return self.scheduler
        return "celery" if self.redis_url else "inprocess"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def cookie_secure(self) -> bool:
        return self.production

    @classmethod
    def load(cls, overrides: dict | None = None, environ: dict | None = None) -> Settings:
        """Return settings from `environ` (default `os.environ`) with `overrides` on top.

        Raises `UnsafeSettings` for a production configuration without a strong SECRET_KEY,
        and `ValueError` for a value that cannot be parsed.
        """
        env = os.environ if environ is None else environ
        overrides = dict(overrides or {})
        values: dict = {
            "env": env.get("PULSEBOARD_ENV", "demo").strip().lower(),
            "secret_key": env.get("SECRET_KEY", ""),
            "instance_path": Path(env.get("PULSEBOARD_INSTANCE", str(ROOT / "instance"))),
            "database_url": env.get("DATABASE_URL", ""),
            "redis_url": env.get("REDIS_URL", ""),
            "job_queue": env.get("PULSEBOARD_JOB_QUEUE", "pulseboard"),
            "host": env.get("HOST", "127.0.0.1"),
            "port": int(env.get("PORT", "8050")),
            "debug": _flag(env.get("DEBUG"), False),
            "demo_feed": _flag(env.get("DEMO_FEED"), True),
            "feed_interval_seconds": float(env.get("FEED_INTERVAL_SECONDS", "1.0")),
            "feed_speedup": float(env.get("FEED_SPEEDUP", "10")),
            "demo_rows": int(env.get("DEMO_ROWS", "200000")),
            "login_max_failures": int(env.get("LOGIN_MAX_FAILURES", "5")),
            "login_failure_window_seconds": int(env.get("LOGIN_FAILURE_WINDOW_SECONDS", "60")),
            "session_days": int(env.get("SESSION_DAYS", "14")),
            "trusted_proxies": int(env.get("TRUSTED_PROXIES", "0")),
            "export_retention_days": int(env.get("EXPORT_RETENTION_DAYS", "30")),
            "renderer_folder": Path(env["PULSEBOARD_RENDERER"]) if env.get("PULSEBOARD_RENDERER") else None,
            "job_heartbeat_seconds": float(env.get("JOB_HEARTBEAT_SECONDS", "10")),
            "upload_max_mb": int(env.get("UPLOAD_MAX_MB", "100")),
            "sqlite_folder": Path(env["SQLITE_FOLDER"]) if env.get("SQLITE_FOLDER") else None,
            "allow_any_sqlite_path": _flag(env.get("ALLOW_ANY_SQLITE_PATH"), False),
            "public_url": env.get("PULSEBOARD_URL", "").strip().rstrip("/"),
            "smtp_host": env.get("SMTP_HOST", "").strip(),
            "smtp_port": int(env.get("SMTP_PORT") or "0"),
            "smtp_username": env.get("SMTP_USERNAME", ""),
            "smtp_password": env.get("SMTP_PASSWORD", ""),
            "smtp_security": (env.get("SMTP_SECURITY") or "starttls").strip().lower(),
            "smtp_timeout_seconds": float(env.get("SMTP_TIMEOUT_SECONDS", "30")),
            "mail_from": env.get("MAIL_FROM", "").strip(),
            "mail_attachment_max_mb": float(env.get("MAIL_ATTACHMENT_MAX_MB", "10")),
            "allow_external_recipients": _flag(env.get("ALLOW_EXTERNAL_RECIPIENTS"), False),
            "scheduler": (env.get("SCHEDULER") or "auto").strip().lower(),
            "scheduler_tick_seconds": float(env.get("SCHEDULER_TICK_SECONDS", "30")),
        }
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update(overrides)
        values["instance_path"] = Path(values["instance_path"])
        if values["smtp_security"] not in SMTP_SECURITY:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
        if values["scheduler"] not in SCHEDULERS:
            raise ValueError(f"SCHEDULER must be one of {', '.join(SCHEDULERS)}")
        if values["env"] not in ENVIRONMENTS:
            raise ValueError(f"PULSEBOARD_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if not values["database_url"]:
            values["database_url"] = f"sqlite:///{values['instance_path'] / 'pulseboard.db'}"
        settings = cls(**values)
        settings = settings._with_secret_key()
        if settings.production and settings.debug:
            # Debug in production exposes the Werkzeug debugger; it is never allowed.
            settings = dataclasses.replace(settings, debug=False)
        return settings

    def _with_secret_key(self) -> Settings:
        if self.production:
            key = self.secret_key
            if len(key) < MIN_SECRET_LENGTH or key.lower() in WEAK_SECRETS or len(set(key)) < 10:
                raise UnsafeSettings(
                    "PULSEBOARD_ENV=production needs a strong SECRET_KEY: at least "
                    f"{MIN_SECRET_LENGTH} random characters. Generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            return self
        if self.secret_key:
            return self
        # Demo and development: a random key kept in instance/ so sessions survive restarts.
        return dataclasses.replace(self, secret_key=persistent_secret(self.instance_path))


def persistent_secret(instance_path: Path) -> str:
    """Return the secret key stored in `instance_path`, creating it on first use."""
    instance_path.mkdir(parents=True, exist_ok=True)
    return create_once(instance_path / "secret_key", secrets.token_urlsafe(48).encode()).decode().strip()


def create_once(path: Path, content: bytes) -> bytes:
    """The content of `path` (readable by this user only), writing `content` there first if it
    does not exist. Processes that start at once (two workers, a server and its callers) all end
    with the same content: each writes a file of its own, then links it into place or reads
    the one that won."""
    if not path.exists():
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: its content is the one kept
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_bytes()
