"""manage.py restore: a backup into a new, empty database and media folder (core/backups.py).

    createdb rounds_restored
    DATABASE_URL=postgres://.../rounds_restored MEDIA_ROOT=/srv/media-restored \\
        manage.py restore /backups/rounds-2026-12-07.tar.gz
    docker compose exec -T web python manage.py restore - < rounds-2026-12-07.tar.gz

FIELD_ENCRYPTION_KEY must be the key the backup was made under (its
fingerprint is in the backup's output and manifest).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import backups


class Command(BaseCommand):
    help = "Restore a backup (a file, or - for stdin) into an empty database and media folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive made by manage.py backup, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["path"]
        try:
            if source == "-":
                summary = backups.restore(sys.stdin.buffer)
            elif not Path(source).is_file():
                raise CommandError(f"{source} is not a file")
            else:
                with Path(source).open("rb") as file:
                    summary = backups.restore(file)
        except backups.BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {summary.rows} rows in {summary.tables} tables and {summary.files} "
            "media files."
        )
        if not summary.media_in_archive:
            self.stdout.write(
                "The backup's media are in object storage, not in it: set MEDIA_STORAGE=s3 "
                "and the MEDIA_S3_* variables for the bucket they are in."
            )
        if summary.migrations_behind:
            self.stdout.write(
                f"The backup is {summary.migrations_behind} migrations behind this version: "
                "run manage.py migrate next."
            )
