"""Settings: environment parsing, the production safety checks and cookie flags."""

from __future__ import annotations

import pytest

from app import create_app
from settings import Settings, UnsafeSettings

STRONG = "Xk3v9Qm2Lp7Rt5Wz8Nb4Hc6Jd1Fg0Sa-Ue_Yi"


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(UnsafeSettings, match="strong SECRET_KEY"):
        Settings.load(environ={"PULSEBOARD_ENV": "production", "PULSEBOARD_INSTANCE": str(tmp_path)})


@pytest.mark.parametrize("weak", ["secret", "changeme", "a" * 40, "short-key"])
def test_production_refuses_a_weak_secret_key(tmp_path, weak):
    with pytest.raises(UnsafeSettings):
        Settings.load(environ={"PULSEBOARD_ENV": "production", "SECRET_KEY": weak,
                               "PULSEBOARD_INSTANCE": str(tmp_path)})


def test_production_turns_debug_off_and_marks_cookies_secure(tmp_path):
    app = create_app({"env": "production", "secret_key": STRONG, "debug": True,
                      "instance_path": tmp_path})
    assert app.server.debug is False
    assert app.server.config["SESSION_COOKIE_SECURE"] is True
    assert app.server.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.server.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.server.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_app_hides_stack_traces(tmp_path):
    app = create_app({"env": "production", "secret_key": STRONG, "instance_path": tmp_path})

    @app.server.route("/boom")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    app.server.before_request_funcs[None].clear()  # reach the route without signing in
    response = app.server.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "internal detail" not in body and "Traceback" not in body
    assert "Something went wrong" in body


def test_demo_mode_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path)})
    second = Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path)})
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    elsewhere = Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path / "other")})
    assert elsewhere.secret_key != first.secret_key


def test_environment_values_are_parsed_and_database_defaults_to_instance(tmp_path):
    settings = Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path), "PORT": "9000",
                                      "HOST": "10.1.2.3", "DEBUG": "yes", "DEMO_FEED": "0"})
    assert settings.port == 9000 and settings.host == "10.1.2.3"
    assert settings.debug is True and settings.demo_feed is False
    assert settings.database_url == f"sqlite:///{tmp_path / 'pulseboard.db'}"


def test_unknown_overrides_and_environments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown settings"):
        Settings.load({"no_such_setting": 1}, environ={"PULSEBOARD_INSTANCE": str(tmp_path)})
    with pytest.raises(ValueError, match="PULSEBOARD_ENV"):
        Settings.load(environ={"PULSEBOARD_ENV": "staging", "PULSEBOARD_INSTANCE": str(tmp_path)})


def test_email_settings_come_from_the_environment_with_ports_that_match_the_security(tmp_path):
    base = {"PULSEBOARD_INSTANCE": str(tmp_path), "SMTP_HOST": "mail.example.com",
            "SMTP_USERNAME": "reports", "SMTP_PASSWORD": "pw", "PULSEBOARD_URL": "https://bi.example.com/"}
    starttls = Settings.load(environ=base)
    assert (starttls.smtp_host, starttls.smtp_security, starttls.smtp_port_number) == (
        "mail.example.com", "starttls", 587)
    assert starttls.base_url == "https://bi.example.com"
    assert starttls.sender == "pulseboard@bi.example.com"
    ssl = Settings.load(environ={**base, "SMTP_SECURITY": "SSL", "MAIL_FROM": "bi@example.com"})
    assert (ssl.smtp_port_number, ssl.sender) == (465, "bi@example.com")
    plain = Settings.load(environ={**base, "SMTP_SECURITY": "none", "SMTP_PORT": "2525"})
    assert plain.smtp_port_number == 2525


def test_a_misspelt_smtp_security_or_scheduler_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="SMTP_SECURITY must be one of none, starttls, ssl"):
        Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path), "SMTP_SECURITY": "tls"})
    with pytest.raises(ValueError, match="SCHEDULER must be one of"):
        Settings.load(environ={"PULSEBOARD_INSTANCE": str(tmp_path), "SCHEDULER": "cron"})


def test_the_scheduler_runs_in_process_on_one_machine_and_on_celery_beat_when_scaled_out(tmp_path):
    folder = {"PULSEBOARD_INSTANCE": str(tmp_path)}
    assert Settings.load(environ=folder).scheduler_mode == "inprocess"
    assert Settings.load(environ={**folder, "REDIS_URL": "redis://r:6379/0"}).scheduler_mode == "celery"
    assert Settings.load(environ={**folder, "SCHEDULER": "off"}).scheduler_mode == "off"
