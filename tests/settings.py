"""Settings for the test suite: the project's settings, plus what makes tests fast and isolated."""

import os
import tempfile

os.environ.setdefault("DJANGO_ENV", "test")

from agency.settings import *  # noqa: F403
from agency.settings import REDIS_URL, RQ_QUEUES

# PostgreSQL, with a flush that may empty the audit log between transactional
# tests, which nothing else may (tests/db/base.py says how).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.db"  # noqa: F405

# Fast hashing: tests log people in thousands of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each pytest-xdist worker gets its own Redis database, so one worker's
# flush never loses another's jobs. TEST_REDIS_DB_BASE moves the range, so
# that two runs on one machine (two checkouts) keep apart too.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_first = int(os.environ.get("TEST_REDIS_DB_BASE") or 10)
_db = (_first + int(_worker.removeprefix("gw") or 0)) % 16  # Redis has 16 databases by default
_base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.startswith("redis") else REDIS_URL
TEST_REDIS_URL = f"{_base}/{_db}" if REDIS_URL.startswith("redis") else REDIS_URL
for _queue in RQ_QUEUES.values():
    _queue["URL"] = TEST_REDIS_URL

# One media folder per test run, shared with the worker processes it starts
# (they inherit TEST_MEDIA_ROOT); tests/conftest.py removes it at the end.
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT") or tempfile.mkdtemp(prefix="rounds-media-")
os.environ["TEST_MEDIA_ROOT"] = MEDIA_ROOT
# WhiteNoise wants the folder to exist; tests serve static files from the finders.
STATIC_ROOT = os.path.join(tempfile.gettempdir(), "rounds-test-static")
os.makedirs(STATIC_ROOT, exist_ok=True)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# The suite's media start in the folder above; the tests that run on a bucket too get
# one of their own on moto's S3 server on loopback (tests/media_storage.py), and pass
# it to processes they start through MEDIA_STORAGE and MEDIA_S3_*. Those variables,
# left in a shell from a deployment, must never send test files to a real bucket.
_endpoint = STORAGES["default"]["OPTIONS"].get("endpoint_url") or ""  # noqa: F405
if MEDIA_STORAGE == "s3" and not _endpoint.startswith("http://127.0.0.1:"):  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "The tests never write to a real bucket: unset MEDIA_STORAGE and MEDIA_S3_* "
        "(the S3 tests start their own S3 server on loopback)"
    )
