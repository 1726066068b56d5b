"""``nurture backup`` and ``nurture restore``: one archive with everything a server holds.

An archive (``.tar.gz``) holds

* ``database.sqlite3`` — a consistent copy of a live SQLite database made with SQLite's
  online backup API (pages copied while the server keeps answering), or
  ``database.pgdump`` — ``pg_dump --format=custom`` of a PostgreSQL database (one
  snapshot transaction);
* ``export-keys/`` — the pseudonym keys kept on the server, without which earlier
  de-identified exports can no longer be linked;
* ``wording/`` — the installed licensed questionnaire wording;
* ``manifest.json`` — when, from which database engine, and the row count of every
  table, which a restore checks.

A restore goes only into an empty data folder (or an empty PostgreSQL database): it
never overwrites a server's data.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from nurture.common.errors import DomainError

FORMAT = "nurture.backup/1"
LAST_BACKUP = "last-backup.json"


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _folders() -> dict[str, Path]:
    from nurture.exports.pseudonyms import keys_dir
    from nurture.instruments.wording import wording_dir

    return {"export-keys": keys_dir(), "wording": wording_dir()}


def row_counts() -> dict[str, int]:
    """Rows in every table of the configured database."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--host", str(db.get("HOST") or "localhost"), "--port", str(db.get("PORT") or 5432),
            "--username", str(db.get("USER") or ""), "--dbname", str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise DomainError(f"{command[0]} is not installed (Debian package postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise DomainError(f"{command[0]} failed: {' '.join(done.stderr.split())[:300]}")


def backup(target: Path, *, now: dt.datetime | None = None) -> dict:
    """Write the archive to ``target`` (atomically: a temporary file renamed at the end).

    Side effects: the archive, ``VAR_DIR/last-backup.json`` (read by ``nurture check``), an
    audit entry. Returns the manifest.
    """
    from nurture.accounts import audit
    from nurture.accounts.enums import AuditAction

    now = now or dt.datetime.now(dt.UTC)
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="nurture-backup-") as tmp:
        work = Path(tmp)
        counts = row_counts()
        if _engine() == "sqlite":
            database = work / "database.sqlite3"
            source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            copy = sqlite3.connect(str(database))
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
            counts = _sqlite_counts(database)  # what the copy holds, not what was there a moment before
        else:
            database = work / "database.pgdump"
            args, env = _pg_env()
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *args], env)
        manifest = {"format": FORMAT, "created": now.isoformat(timespec="seconds"), "engine": _engine(),
                    "database": database.name, "tables": counts,
                    "folders": {name: sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
                                if folder.is_dir() else [] for name, folder in _folders().items()}}
        partial = target.with_name(f".{target.name}.partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(database, arcname=database.name)
            for name, folder in _folders().items():
                if folder.is_dir():
                    tar.add(folder, arcname=name)
            data = json.dumps(manifest, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
        partial.chmod(0o600)
        os.replace(partial, target)
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    (Path(settings.VAR_DIR) / LAST_BACKUP).write_text(
        json.dumps({"at": manifest["created"], "file": str(target.resolve())}), encoding="utf-8")
    audit.record(None, AuditAction.BACKUP, summary=f"Backup written to {target.name}",
                 after={"file": str(target.resolve()), "rows": sum(counts.values()), "engine": manifest["engine"]})
    return manifest


def _sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                           "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        db.close()


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read().decode("utf-8"))
    except (tarfile.TarError, KeyError, OSError, ValueError, AttributeError) as exc:
        raise DomainError(f"{archive}: not a Nurture backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise DomainError(f"{archive}: not a Nurture backup (format {manifest.get('format')!r})")
    return manifest


def restore(archive: Path) -> dict:
    """Restore ``archive`` into the configured, empty data folder or database; returns
    {table: (rows in the backup, rows restored)}. Refuses anything not empty.

    Side effects: the database file (or the PostgreSQL database's contents), the export
    keys and wording folders, an audit entry.
    """
    manifest = read_manifest(archive)
    if manifest["engine"] != _engine():
        raise DomainError(f"{archive}: a {manifest['engine']} backup cannot be restored into a {_engine()} "
                          "database (set NURTURE_DATABASE_URL accordingly)")
    for folder in _folders().values():
        if folder.is_dir() and any(folder.iterdir()):
            raise DomainError(f"{folder} is not empty: restore only into an empty data folder")
    with tempfile.TemporaryDirectory(prefix="nurture-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        if _engine() == "sqlite":
            target = Path(settings.DATABASES["default"]["NAME"])
            connection.close()
            if target.exists() and _sqlite_counts(target):
                raise DomainError(f"{target} already holds a database: restore only into an empty data folder")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / manifest["database"], target)
        else:
            with connection.cursor() as cursor:
                if connection.introspection.table_names(cursor):
                    raise DomainError("the PostgreSQL database is not empty: restore only into an empty database")
            connection.close()
            args, env = _pg_env()
            _run(["pg_restore", "--no-owner", "--exit-on-error", *args, str(work / manifest["database"])], env)
        for name, folder in _folders().items():
            if (work / name).is_dir():
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copytree(work / name, folder, dirs_exist_ok=True)
    counts = row_counts()
    compared = {table: (rows, counts.get(table)) for table, rows in manifest["tables"].items()}
    from nurture.accounts import audit
    from nurture.accounts.enums import AuditAction

    audit.record(None, AuditAction.RESTORE, summary=f"Restored {Path(archive).name} (backup of {manifest['created']})",
                 after={"rows": sum(manifest["tables"].values())})
    return compared
