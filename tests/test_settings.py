"""Settings are strict: a bad or missing value stops start-up with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def _run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "DJANGO_ENV"}
        and not k.endswith(("_CLIENT_ID", "_CLIENT_SECRET"))
        and k not in {"EMAIL_HOST", "TRUSTED_PROXIES"}
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
    result = _run({"PUBLISH_MAX_ATTEMPTS": "lots"}, "check")
    assert result.returncode != 0
    assert "PUBLISH_MAX_ATTEMPTS must be a whole number" in result.stderr


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
        "EMAIL_HOST": "smtp.example.com",
        "TRUSTED_PROXIES": "10.0.0.1",
    }
    for platform in PLATFORMS:
        env[f"{platform}_CLIENT_ID"] = f"app-{platform.lower()}"
        env[f"{platform}_CLIENT_SECRET"] = f"secret-{platform.lower()}-from-the-developer-console"
    env.update(overrides)
    return env


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
