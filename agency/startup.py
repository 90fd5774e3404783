"""Reading the settings before anything starts, so that a refusal is said once.

A configuration production refuses (agency/settings.py) raises
ImproperlyConfigured as the settings are read. Left alone, manage.py prints a
traceback, and gunicorn, which reads the settings in each worker, prints one
per worker and then `HaltServer`. manage.py and gunicorn's configuration call
`settings_or_exit` first: the message alone, on standard error, and exit
status 1.
"""

from __future__ import annotations

import importlib
import os
import sys

from django.core.exceptions import ImproperlyConfigured


def settings_or_exit() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as refusal:
        sys.exit(f"Rounds cannot start: {refusal}")
