"""Settings are strict: a bad or missing value stops start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests import ROOT


def _run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "DJANGO_ENV"}
        and not k.endswith(("_CLIENT_ID", "_CLIENT_SECRET"))
        and k not in {"EMAIL_HOST", "EMAIL_BACKEND", "TRUSTED_PROXIES", "SITE_URL", "DEBUG"}
        and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "agency.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secrets():
    result = _run({"DJANGO_ENV": "production"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS" in result.stderr


def test_bad_integer_names_the_variable():
    result = _run({"PUBLISH_GIVE_UP_AFTER_SECONDS": "lots"}, "check")
    assert result.returncode != 0
    assert "PUBLISH_GIVE_UP_AFTER_SECONDS must be a whole number" in result.stderr


def test_metrics_spacing_is_a_setting_read_strictly():
    result = _run({"METRICS_SPACING_SECONDS": "a little"}, "check")
    assert result.returncode != 0
    assert "METRICS_SPACING_SECONDS must be a number" in result.stderr


def test_bad_boolean_names_the_variable():
    result = _run({"DEBUG": "maybe"}, "check")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_bad_encryption_key_is_explained():
    result = _run({"FIELD_ENCRYPTION_KEY": "short", "SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must hold Fernet keys" in result.stderr
    from cryptography.fernet import Fernet

    good = Fernet.generate_key().decode()
    result = _run(
        {
            "FIELD_ENCRYPTION_KEY": good,
            "FIELD_ENCRYPTION_OLD_KEYS": "short",
            "SECRET_KEY": "x" * 60,
        },
        "check",
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_OLD_KEYS must hold Fernet keys" in result.stderr


PLATFORMS = ("FACEBOOK", "INSTAGRAM", "LINKEDIN", "X", "GOOGLE_BUSINESS")


def _production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A complete production environment, as the README's .env describes it."""
    secret_file = tmp_path / "secret"
    secret_file.write_text("s" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d6c5b4a")
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY_FILE": str(secret_file),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "rounds.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rounds"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "SITE_URL": "https://rounds.example.com",
        "EMAIL_HOST": "smtp.example.com",
        "TRUSTED_PROXIES": "10.0.0.1",
    }
    for platform in PLATFORMS:
        env[f"{platform}_CLIENT_ID"] = f"app-{platform.lower()}"
        env[f"{platform}_CLIENT_SECRET"] = f"secret-{platform.lower()}-from-the-developer-console"
    env.update(overrides)
    return env


def _refusal(result: subprocess.CompletedProcess) -> str:
    """What a refused start said: one message, no traceback, exit status 1."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Rounds cannot start: DJANGO_ENV=production refuses to start:")
    return result.stderr


def test_production_check_deploy_is_clean(tmp_path):
    result = _run(_production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_an_smtp_server(tmp_path):
    env = _production(tmp_path)
    del env["EMAIL_HOST"]
    result = _run(env, "check")
    assert result.returncode != 0
    assert "set EMAIL_HOST" in result.stderr


def test_production_refuses_to_redirect_to_https_behind_no_trusted_proxy(tmp_path):
    env = _production(tmp_path)
    del env["TRUSTED_PROXIES"]
    result = _run(env, "check")
    assert result.returncode != 0
    assert "set TRUSTED_PROXIES" in result.stderr


def test_production_refuses_placeholder_or_missing_oauth_apps(tmp_path):
    env = _production(tmp_path, LINKEDIN_CLIENT_SECRET="sandbox-secret")
    del env["X_CLIENT_ID"]
    result = _run(env, "check")
    assert result.returncode != 0
    assert "set LINKEDIN_CLIENT_SECRET, X_CLIENT_ID (the placeholders" in result.stderr


def test_bad_log_level_names_the_variable():
    result = _run({"LOG_LEVEL": "loud"}, "check")
    assert result.returncode != 0
    assert "LOG_LEVEL must be one of" in result.stderr


def test_negative_or_infinite_numbers_are_refused():
    for value in ("-1", "inf", "nan"):
        result = _run({"METRICS_SPACING_SECONDS": value}, "check")
        assert result.returncode != 0, value
        assert "METRICS_SPACING_SECONDS must be" in result.stderr


# -- what production refuses (each test's environment is complete but for the one thing) --


@pytest.mark.parametrize("value", ["true", "yes", "1", "on"])
def test_production_refuses_debug(tmp_path, value):
    # Django's technical error page shows the request's data: patients' names.
    said = _refusal(_run(_production(tmp_path, DEBUG=value), "check"))
    assert "- DEBUG must be off in production" in said


@pytest.mark.parametrize("name", ["DATABASE_URL", "SITE_URL", "REDIS_URL"])
def test_production_refuses_to_fall_back_to_a_laptop_default(tmp_path, name):
    # The defaults are SQLite inside the container, http://127.0.0.1:8000 in
    # every e-mailed link, and a socket nobody listens on.
    env = _production(tmp_path)
    del env[name]
    said = _refusal(_run(env, "check"))
    assert f"- set {name} in the environment" in said


def test_production_refuses_a_database_other_than_postgresql(tmp_path):
    env = _production(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    said = _refusal(_run(env, "check"))
    assert "- DATABASE_URL must point at PostgreSQL" in said


def test_production_refuses_a_site_url_without_https(tmp_path):
    said = _refusal(_run(_production(tmp_path, SITE_URL="http://rounds.example.com"), "check"))
    assert "- SITE_URL must be the site's https:// address" in said


def test_production_refuses_any_host(tmp_path):
    said = _refusal(_run(_production(tmp_path, ALLOWED_HOSTS="rounds.example.com,*"), "check"))
    assert "- ALLOWED_HOSTS must name the site's hosts, not '*'" in said


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "core.mailbox.MailboxBackend",
    ],
)
def test_production_refuses_e_mail_that_is_not_sent(tmp_path, backend):
    # The console and file backends would write approval links into logs and files.
    said = _refusal(_run(_production(tmp_path, EMAIL_BACKEND=backend), "check"))
    assert "- EMAIL_BACKEND: " in said
    assert "production sends over SMTP" in said


@pytest.mark.parametrize(
    "secret",
    [
        "abc",
        "a" * 60,  # long, but four different characters at most
        "ab" * 40,
        "django-insecure-" + "k8#x2!q" * 8,
        "x7Lq" * 12,  # 48 characters: two short of Django's own check
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, secret):
    said = _refusal(_run(_production(tmp_path, SECRET_KEY=secret), "check"))
    assert "- SECRET_KEY must have at least 50 characters, 5 of them different" in said


def test_a_secret_key_as_django_asks_is_accepted(tmp_path):
    result = _run(_production(tmp_path, SECRET_KEY="x7Lq9" * 10), "check")
    assert result.returncode == 0, result.stderr


def test_every_refusal_is_said_at_once(tmp_path):
    env = _production(
        tmp_path, DEBUG="true", EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
    )
    del env["SITE_URL"], env["TRUSTED_PROXIES"]
    said = _refusal(_run(env, "check"))
    assert said.count("\n- ") == 4, said
    for part in ("DEBUG must be off", "set SITE_URL", "EMAIL_BACKEND", "set TRUSTED_PROXIES"):
        assert part in said


def test_gunicorn_says_a_refused_configuration_once(tmp_path):
    # Before: a traceback from each of the three workers, then HaltServer.
    # Port 0: should the refusal not happen, gunicorn would start on a free port
    # (and the timeout below would end the test) rather than take port 8000.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(_production(tmp_path, DEBUG="true"))
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [
            str(gunicorn),
            "-c",
            "python:agency.gunicorn",
            "--bind",
            "127.0.0.1:0",
            "agency.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = _refusal(result)
    assert said.count("refuses to start") == 1
    assert "- DEBUG must be off in production" in said
    assert "HaltServer" not in said and "Booting worker" not in said
