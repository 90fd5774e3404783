"""manage.py reencrypt: everything encrypted at rest written again under FIELD_ENCRYPTION_KEY.

The second step of rotating the key (core/fields.py): with the new key in
FIELD_ENCRYPTION_KEY and the old one in FIELD_ENCRYPTION_OLD_KEYS, every
encrypted column (platform tokens, authenticator apps' secrets) and every
encrypted file (signed consent forms) is read with whichever key opens it
and written with the new one. Safe to run twice, and while the site runs: a
value is rewritten in place, its plain text never leaves the process. Then
remove the old key.
"""

from __future__ import annotations

from typing import Any, cast

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from core.fields import EncryptedTextField
from core.models import AuditEvent
from practices.storage import EncryptedStorageMixin


class Command(BaseCommand):
    help = "Write every encrypted value and file again under FIELD_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        values = sum(_reencrypt_fields(model) for model in apps.get_models())
        files = sum(_reencrypt_files(model) for model in apps.get_models())
        AuditEvent.record("encryption_rewritten", detail={"values": values, "files": files})
        self.stdout.write(f"Written again under the current key: {values} values, {files} files.")


def _reencrypt_fields(model: type[models.Model]) -> int:
    names = [
        field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)
    ]
    if not names:
        return 0
    written = 0
    manager = model._base_manager
    for pk in manager.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Read (any key opens it) and written back (the current key) under a lock.
            row = manager.select_for_update().filter(pk=pk).values(*names).first()
            if row is None:
                continue  # deleted meanwhile
            present = {name: value for name, value in row.items() if value}
            if present:
                manager.filter(pk=pk).update(**present)
                written += len(present)
    return written


def _reencrypt_files(model: type[models.Model]) -> int:
    fields = [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField) and isinstance(field.storage, EncryptedStorageMixin)
    ]
    written = 0
    for field in fields:
        # In the media folder or the bucket: the storage replaces each file whole.
        storage = cast(EncryptedStorageMixin, field.storage)
        for name in model._base_manager.exclude(**{field.name: ""}).values_list(
            field.name, flat=True
        ):
            if storage.reencrypt(name):
                written += 1
    return written
