from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared core every app builds on: people, the audit log, encrypted fields.

    Its label stays "agency", the label its tables and migrations were made
    under (`agency_user`, `AUTH_USER_MODEL = "agency.User"`): the code moved out
    of the project package, the database did not need to.
    """

    name = "core"
    label = "agency"
    verbose_name = "Agency"

    def ready(self) -> None:
        from django.conf import settings

        from core import files, signals  # noqa: F401  (signals: login audit)

        files.prepare_upload_dir(settings.FILE_UPLOAD_TEMP_DIR)
