"""A site's backup: its PostgreSQL database and its media folder in one archive.

`manage.py backup` writes one, `manage.py restore` puts one into a new, empty
database and an empty media folder (docs/deploy.md, "Backups").

What is in it, in this order (a gzipped tar, readable as a stream, so that
both commands can use a pipe):

- `manifest.json`: the format, when, the migrations applied, each table with
  its columns and rows, and a fingerprint of each encryption key in use;
- `media/...`: every file under MEDIA_ROOT as it lies on disk: photos, their
  renditions, and the signed consent documents, which stay encrypted;
- `db/<table>.copy`: each table in PostgreSQL's COPY text format, all read in
  one REPEATABLE READ snapshot, so that the rows agree with each other.

With MEDIA_STORAGE=s3 the media are not in it: they live in the bucket, whose
own versioning, lifecycle rules and replication (or the provider's backups)
keep them, as docs/deploy.md says. The archive then holds the database alone,
its manifest says where the media are (`"media": "object storage"`), and a
restore on such a site refuses an archive that does hold media files, before
changing anything: those go back into a media folder (MEDIA_STORAGE=filesystem),
and from there into a bucket with any S3 copy tool, the stored names being the
object keys (consent documents are the same encrypted bytes in either place).

What is not in it: FIELD_ENCRYPTION_KEY. The platform tokens, authenticator
secrets and consent documents in a backup are unreadable without it, which is
the point: the key is kept apart from the backups, and a restore refuses to
start under a key whose fingerprint the manifest does not name.

Why COPY through the application's own connection rather than pg_dump: the
image would need a pg_dump of the server's major version or newer, which
Debian's package does not follow (compose runs PostgreSQL 17, bookworm ships
15's client). Reading each table as COPY needs no tool, works against any
server version, and a restore rebuilds the schema with the same migrations
that made it, then loads the rows, in one transaction. The tables' foreign keys are checked when
the restore's one transaction commits (Django makes them DEFERRABLE INITIALLY
DEFERRED), so the order of tables does not matter.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# Staged media of a restore under way, inside MEDIA_ROOT: the same file system,
# so the files move into place by renaming (MEDIA_ROOT is often a volume's
# mount point, which cannot itself be renamed or replaced).
STAGING = ".restoring"


class BackupError(Exception):
    """A backup or restore refused, with what to do; nothing was changed."""


# Where a backup's manifest says the media are.
MEDIA_FILES = "files"
MEDIA_OBJECT_STORAGE = "object storage"


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int
    files: int
    key_fingerprints: tuple[str, ...]
    migrations_behind: int = 0
    # False when the media are in object storage, not in the archive.
    media_in_archive: bool = True


def media_on_filesystem() -> bool:
    """Whether this site keeps media in MEDIA_ROOT (a backup copies them) or in a bucket."""
    return all(
        isinstance(storages[alias], FileSystemStorage) for alias in ("default", "consent_documents")
    )


def key_fingerprint(key: str) -> str:
    """Names a Fernet key without revealing it: HMAC of a fixed text under the key."""
    return hmac.new(key.encode(), b"rounds backup key", hashlib.sha256).hexdigest()[:16]


def _configured_fingerprints() -> list[str]:
    keys = [settings.FIELD_ENCRYPTION_KEY, *settings.FIELD_ENCRYPTION_OLD_KEYS]
    return [key_fingerprint(key) for key in keys]


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(
            "backups read and write PostgreSQL; the quick start's SQLite database is the "
            "file var/db.sqlite3, copied as it is"
        )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# -- writing ------------------------------------------------------------------------


def write(out: IO[bytes]) -> Summary:
    """Write a backup of the database and MEDIA_ROOT to `out` (the database alone when
    the media are in object storage)."""
    _require_postgresql()
    in_archive = media_on_filesystem()
    # 0700, removed at the end: the rows hold practices' and patients' names.
    with tempfile.TemporaryDirectory(prefix="rounds-backup-") as folder:
        tables, migrations = _dump_tables(Path(folder))
        media_root = Path(settings.MEDIA_ROOT)
        files = sorted(_media_files(media_root)) if in_archive else []
        fingerprints = _configured_fingerprints()
        manifest = {
            "format": FORMAT,
            "made": timezone.now().isoformat(),
            "migrations": migrations,
            "tables": [{k: v for k, v in t.items() if k != "path"} for t in tables],
            "files": len(files),
            "media": MEDIA_FILES if in_archive else MEDIA_OBJECT_STORAGE,
            "key_fingerprints": fingerprints,
        }
        with tarfile.open(fileobj=out, mode="w|gz") as archive:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            archive.addfile(info, BytesIO(data))
            for path in files:
                archive.add(path, arcname=f"media/{path.relative_to(media_root)}", recursive=False)
            for table in tables:
                archive.add(table["path"], arcname=f"db/{table['name']}.copy", recursive=False)
    return Summary(
        tables=len(tables),
        rows=sum(t["rows"] for t in tables),
        files=len(files),
        key_fingerprints=tuple(fingerprints),
        media_in_archive=in_archive,
    )


def _dump_tables(folder: Path) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Each table's rows, and the migrations that made the schema, from one snapshot."""
    # Connected first: the snapshot's isolation level must be its first statement.
    connection.ensure_connection()
    tables = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        migrations = sorted(MigrationRecorder(connection).applied_migrations())
        for name in sorted(connection.introspection.table_names(cursor)):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, name)
            ]
            path = folder / f"{name}.copy"
            rows = 0
            statement = f"COPY {_quote(name)} ({', '.join(map(_quote, columns))}) TO STDOUT"
            with path.open("wb") as file, cursor.copy(statement) as copy:
                for block in copy:
                    data = bytes(block)
                    # The text format ends every row with a newline and escapes any other.
                    rows += data.count(b"\n")
                    file.write(data)
            tables.append({"name": name, "columns": columns, "rows": rows, "path": path})
    return tables, migrations


def _media_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) == root and d == STAGING)]
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


# -- restoring ----------------------------------------------------------------------


def restore(source: IO[bytes]) -> Summary:
    """Put a backup into this site's database and MEDIA_ROOT, both of which must be empty.

    Refuses before changing anything when the database holds any table, the
    media folder any file, the archive is not a backup of this format, its
    migrations are unknown to this version, or its encryption keys are not
    configured. Media are staged first; the schema and the rows are made in
    one transaction; the staged media move into place only once that commits.
    """
    _require_postgresql()
    media_root = Path(settings.MEDIA_ROOT)
    to_folder = media_on_filesystem()
    # A bucket is not checked for emptiness: the media are not restored into it.
    _require_empty(media_root if to_folder else None)
    staging = media_root / STAGING
    try:
        with _damage_said(), _open_archive(source) as archive:
            members = iter(archive)
            manifest = _read_manifest(archive, next(members, None))
            if not to_folder and manifest.get("files"):
                raise _media_into_bucket()
            executor, targets = _plan(manifest)
            if to_folder:
                staging.mkdir(parents=True)
            member = next(members, None)
            files = 0
            while member is not None and member.name.startswith("media/"):
                if not to_folder:
                    raise _media_into_bucket()
                if not member.isfile():
                    raise BackupError(
                        f"the archive holds something other than a file: {member.name}"
                    )
                archive.extract(member, staging, filter="data")
                files += 1
                member = next(members, None)
            # The schema and the rows in one transaction (every migration here
            # is atomic): a restore that fails leaves the database empty again.
            with transaction.atomic():
                executor.migrate(targets)
                rows = _load_tables(archive, members, member, manifest)
        _move_into_place(staging / "media", media_root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    now = MigrationExecutor(connection)
    behind = len(now.migration_plan(now.loader.graph.leaf_nodes()))
    return Summary(
        tables=len(manifest["tables"]),
        rows=rows,
        files=files,
        key_fingerprints=tuple(manifest["key_fingerprints"]),
        migrations_behind=behind,
        media_in_archive=manifest.get("media", MEDIA_FILES) == MEDIA_FILES,
    )


def _media_into_bucket() -> BackupError:
    return BackupError(
        "this backup holds media files, but this site keeps media in object storage "
        "(MEDIA_STORAGE=s3): restore it with MEDIA_STORAGE=filesystem into an empty "
        'MEDIA_ROOT, then copy that folder into the bucket (docs/deploy.md, "Backups"); '
        "nothing was changed"
    )


# What reading a damaged or truncated gzipped tar raises, wherever it is read.
_DAMAGE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


def _open_archive(source: IO[bytes]) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=source, mode="r|gz")
    except _DAMAGE as error:
        raise BackupError(f"this is not a backup made by manage.py backup ({error})") from None


@contextmanager
def _damage_said() -> Iterator[None]:
    try:
        yield
    except _DAMAGE as error:
        raise BackupError(
            f"the archive is damaged or cut short ({error}); nothing was changed"
        ) from None


def _require_empty(media_root: Path | None) -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"the database {connection.settings_dict['NAME']!r} is not empty ({len(tables)} "
            "tables): a restore goes into a new, empty database (createdb), never over a "
            "live one; nothing was changed"
        )
    if media_root is not None and media_root.exists() and any(media_root.iterdir()):
        raise BackupError(
            f"the media folder {media_root} is not empty: a restore goes into an empty "
            "one; nothing was changed"
        )


def _read_manifest(archive: tarfile.TarFile, member: tarfile.TarInfo | None) -> dict[str, Any]:
    if member is None or member.name != MANIFEST or not member.isfile():
        raise BackupError("this is not a backup made by manage.py backup (no manifest first)")
    file = archive.extractfile(member)
    assert file is not None  # a regular file, checked above
    try:
        manifest: dict[str, Any] = json.loads(file.read())
    except ValueError:
        raise BackupError("the backup's manifest is not readable") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"this backup's format is {manifest.get('format')!r}; this version reads {FORMAT}"
        )
    if not all(key in manifest for key in ("migrations", "tables", "key_fingerprints")):
        raise BackupError("the backup's manifest is incomplete: not made by manage.py backup")
    configured = _configured_fingerprints()
    missing = [key for key in manifest["key_fingerprints"] if key not in configured]
    if missing:
        raise BackupError(
            "the backup's tokens and consent documents were encrypted under a key this site "
            f"does not have (fingerprint {', '.join(missing)}; this site's: "
            f"{', '.join(configured)}). Set that key as FIELD_ENCRYPTION_KEY "
            "(or add it to FIELD_ENCRYPTION_OLD_KEYS) and restore again; nothing was changed"
        )
    return manifest


def _plan(manifest: dict[str, Any]) -> tuple[MigrationExecutor, list[tuple[str, str]]]:
    """The migrations that make the backup's schema: exactly those it had applied."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    applied = {(app, name) for app, name in manifest["migrations"]}
    unknown = sorted(applied - set(graph.nodes))
    if unknown:
        raise BackupError(
            "the backup was made by a newer version of Rounds (migrations "
            f"{', '.join(f'{app}.{name}' for app, name in unknown[:5])} are unknown here): "
            "restore it with that version; nothing was changed"
        )
    targets = []
    for app in sorted({app for app, _ in applied}):
        # The app's last applied migration: the one with the longest way there.
        nodes = [node for node in applied if node[0] == app]
        targets.append(max(nodes, key=lambda node: len(graph.forwards_plan(node))))
    return executor, targets


def _load_tables(
    archive: tarfile.TarFile,
    members: Iterator[tarfile.TarInfo],
    member: tarfile.TarInfo | None,
    manifest: dict[str, Any],
) -> int:
    tables = {table["name"]: table for table in manifest["tables"]}
    loaded: set[str] = set()
    with connection.cursor() as cursor:
        # The migrations' schema editor leaves constraints IMMEDIATE for the
        # rest of the transaction; the rows come in table by table.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # What the migrations wrote (content types, permissions, their own
        # record) gives way to the backup's rows. DELETE, not TRUNCATE, which
        # the audit log refuses even when empty.
        for name in connection.introspection.table_names(cursor):
            cursor.execute(f"DELETE FROM {_quote(name)}")  # noqa: S608 (a name from the catalogue, quoted)
        while member is not None:
            name = member.name.removeprefix("db/").removesuffix(".copy")
            if not member.name.startswith("db/") or name not in tables or name in loaded:
                raise BackupError(f"the archive holds an unexpected member: {member.name}")
            columns = ", ".join(map(_quote, tables[name]["columns"]))
            data = archive.extractfile(member)
            assert data is not None  # a regular file: the writer adds nothing else
            with cursor.copy(f"COPY {_quote(name)} ({columns}) FROM STDIN") as copy:
                while chunk := data.read(CHUNK):
                    copy.write(chunk)
            loaded.add(name)
            member = next(members, None)
        if loaded != set(tables):
            missing = ", ".join(sorted(set(tables) - loaded))
            raise BackupError(f"the archive is cut short: tables missing ({missing})")
        _reset_sequences(cursor)
    return sum(table["rows"] for table in manifest["tables"])


def _reset_sequences(cursor: Any) -> None:
    """Each serial or identity column's sequence continues after the highest id loaded."""
    cursor.execute(
        """
        SELECT seq.relname, tbl.relname, col.attname
        FROM pg_class seq
        JOIN pg_depend dep ON dep.objid = seq.oid AND dep.deptype IN ('a', 'i')
        JOIN pg_class tbl ON tbl.oid = dep.refobjid
        JOIN pg_attribute col ON col.attrelid = tbl.oid AND col.attnum = dep.refobjsubid
        WHERE seq.relkind = 'S' AND seq.relnamespace = current_schema()::regnamespace
        """
    )
    for sequence, table, column in cursor.fetchall():
        highest = f"MAX({_quote(column)})"
        cursor.execute(
            f"SELECT setval(%s::regclass, COALESCE({highest}, 1), {highest} IS NOT NULL) "  # noqa: S608 (quoted names)
            f"FROM {_quote(table)}",
            [_quote(sequence)],
        )


def _move_into_place(staged: Path, media_root: Path) -> None:
    if not staged.is_dir():
        return
    for entry in staged.iterdir():
        entry.rename(media_root / entry.name)
