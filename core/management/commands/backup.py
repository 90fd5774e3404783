"""manage.py backup: the database and the media folder in one archive (core/backups.py).

    manage.py backup /backups/rounds-2026-12-07.tar.gz
    docker compose exec -T web python manage.py backup - > rounds-2026-12-07.tar.gz

The archive holds no encryption key: keep FIELD_ENCRYPTION_KEY apart from it. With
MEDIA_STORAGE=s3 it holds the database alone: the bucket keeps the media.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backups


class Command(BaseCommand):
    help = "Write a backup of the database and the media folder to a file, or - for stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive to write (.tar.gz), or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["path"]
        # Messages go to stderr when the archive goes to stdout.
        say = self.stderr if target == "-" else self.stdout
        try:
            if target == "-":
                if sys.stdout.isatty():
                    raise CommandError(
                        "stdout is a terminal: redirect it to a file (> backup.tar.gz)"
                    )
                summary = backups.write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
            else:
                summary = self._write_file(Path(target))
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        media = (
            f"{summary.files} media files"
            if summary.media_in_archive
            else "no media: they are in object storage (MEDIA_STORAGE=s3), kept by the "
            "bucket's own versioning and backups, not by this archive"
        )
        say.write(
            f"Backed up {summary.rows} rows in {summary.tables} tables and {media}. "
            f"Restoring it needs the encryption key with fingerprint "
            f"{', '.join(summary.key_fingerprints)}: keep that key apart from the backups."
        )

    def _write_file(self, path: Path) -> backups.Summary:
        if path.exists():
            raise CommandError(f"{path} exists already: give a new name")
        # Written under another name and renamed when whole: a file of this name is complete.
        partial = path.with_name(f".{path.name}.partial")
        try:
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from None
        try:
            with os.fdopen(descriptor, "wb") as file:
                summary = backups.write(file)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        return summary
