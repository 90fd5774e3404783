"""Settings for the worker processes of the chaos test: the test settings, faster retries.

The chaos test starts real `manage.py rqworker` processes with this module;
they reach the test database through DATABASE_URL and the sandbox through
SANDBOX_URL. PUBLISH_LEASE_SECONDS comes from the environment as usual.
"""

import os

from tests.settings import *  # noqa: F403

# Retries a second or two apart instead of half a minute: the run is short.
PUBLISH_RETRY_BASE_SECONDS = float(os.environ.get("PUBLISH_RETRY_BASE_SECONDS", "1"))
PUBLISH_RETRY_CAP_SECONDS = float(os.environ.get("PUBLISH_RETRY_CAP_SECONDS", "4"))
# Small video parts (X's APPEND): every upload takes several requests, and a
# killed worker is often caught between two of them.
PLATFORM_CLIENT_OPTIONS = {"poll_interval": 0.05, "poll_attempts": 20, "upload_chunk_bytes": 16384}
# Workers send their alerts nowhere.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
