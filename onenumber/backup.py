"""Backup and restore (``onenumber backup DIR`` / ``onenumber restore DIR``).

A backup is a directory: ``db/NNN_<table>.jsonl`` (every row of every table, one JSON object a line, tables
in foreign-key order, read in one snapshot transaction), ``blobs/<sha256>`` (every blob the rows refer to,
read back through the store's integrity check) and ``manifest.json`` (SHA-256 of every file, the Alembic
revision, and the id — never the value — of the master key the encrypted columns need). The format does not
depend on the database: a SQLite backup restores into PostgreSQL and back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, Date, LargeBinary, Table, bindparam, func, insert, inspect, select, text
from sqlalchemy.orm import Session

import onenumber.models  # noqa: F401  (registers every table)
from core.clock import utcnow
from core.crypto import key_id
from core.db import Base, UTCDateTime, make_engine
from core.settings import Settings
from onenumber import migrations
from storage import StorageError
from wallet.blobs import referenced_blob_keys

FORMAT = "onenumber-backup/1"
MANIFEST = "manifest.json"
_BATCH = 1000


class BackupError(Exception):
    """A backup could not be written, or a restore was refused; the message says why."""


def tables() -> list[Table]:
    """Every table of the platform, parents before children."""
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decoder(table: Table) -> dict[str, Any]:
    decoders: dict[str, Any] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, UTCDateTime):
            decoders[column.name] = datetime.fromisoformat
        elif isinstance(kind, Date):
            decoders[column.name] = date.fromisoformat
        elif isinstance(kind, LargeBinary):
            decoders[column.name] = base64.b64decode
    return decoders


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _head_revision() -> str | None:
    return ScriptDirectory.from_config(migrations.alembic_config("sqlite://")).get_current_head()


def _snapshot(conn: Connection) -> None:
    """Make every following read of ``conn`` see one consistent state of the database."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    else:  # pysqlite starts transactions lazily; an explicit BEGIN pins the WAL snapshot now
        conn.exec_driver_sql("BEGIN")


def backup(*, settings: Settings, blob_store: Any, directory: str | Path) -> dict[str, Any]:
    """Write a backup of the database and its blobs into ``directory`` (new or empty); return the manifest."""
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise BackupError(f"{root} is not empty; a backup goes into a new directory")
    (root / "db").mkdir(parents=True, exist_ok=True)
    (root / "blobs").mkdir(exist_ok=True)
    files: dict[str, str] = {}
    counts: dict[str, int] = {}
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            _snapshot(conn)
            revision = _revision(conn)
            for n, table in enumerate(tables()):
                rel = f"db/{n:03d}_{table.name}.jsonl"
                order = list(table.primary_key.columns) or list(table.columns)
                with open(root / rel, "w", encoding="utf-8") as out:
                    count = 0
                    for row in conn.execute(select(table).order_by(*order)).mappings():
                        out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                        count += 1
                counts[table.name] = count
            with Session(bind=conn) as session:
                keys = sorted(referenced_blob_keys(session))
            conn.rollback()
    finally:
        engine.dispose()
    blobs: dict[str, dict[str, Any]] = {}
    for key in keys:
        try:
            data = blob_store.get(key)  # the store re-checks the SHA-256
            content_type = blob_store.stat(key).content_type
        except StorageError as exc:
            raise BackupError(f"blob {key} referenced by the database cannot be read: {exc}") from exc
        (root / "blobs" / key).write_bytes(data)
        blobs[key] = {"size": len(data), "content_type": content_type}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        files[path.relative_to(root).as_posix()] = _sha256(path)
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "alembic_revision": revision,
        "master_key_id": key_id(settings.secret_key),
        "dialect": engine.dialect.name,
        "tables": counts,
        "blobs": blobs,
        "files": files,
    }
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)  # the manifest appears last: a backup without one is incomplete
    return manifest


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a backup, after checking every file against its SHA-256 (and that none is extra)."""
    root = Path(directory)
    try:
        manifest: dict[str, Any] = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{root} has no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    listed: dict[str, str] = manifest["files"]
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(listed):
        extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
        raise BackupError(f"backup files differ from the manifest (missing {missing}, not listed {extra})")
    for rel, digest in listed.items():
        if _sha256(root / rel) != digest:
            raise BackupError(f"{rel} does not match its SHA-256 in the manifest: the backup is damaged")
    for key in manifest["blobs"]:
        if listed.get(f"blobs/{key}") != key:
            raise BackupError(f"blob {key} is missing or not stored under its SHA-256")
    return manifest


def _rows(path: Path, table: Table) -> Iterator[dict[str, Any]]:
    decoders = _decoder(table)
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            yield {k: (decoders[k](v) if v is not None and k in decoders else v) for k, v in row.items()}


def _reset_sequences(conn: Connection, table_list: list[Table]) -> None:
    """PostgreSQL serial columns continue after the restored ids (SQLite derives them from the rows)."""
    if conn.dialect.name != "postgresql":
        return
    for table in table_list:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence is None:
                continue
            top = conn.execute(select(func.max(table.c[column.name]))).scalar()
            conn.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top if top is not None else 1, "called": top is not None},
            )


def _check_empty(conn: Connection, table_list: list[Table]) -> None:
    existing = set(inspect(conn).get_table_names())
    for table in table_list:
        if table.name in existing and conn.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name} has rows); restore needs a new one")


def restore(*, settings: Settings, blob_store: Any, directory: str | Path) -> dict[str, Any]:
    """Restore a backup into an empty database: migrate, put the blobs, insert every row in one transaction."""
    root = Path(directory)
    manifest = read_manifest(root)
    if manifest["master_key_id"] != key_id(settings.secret_key):
        raise BackupError(
            f"the backup was made under master key {manifest['master_key_id']}, ONENUMBER_SECRET_KEY is "
            f"{key_id(settings.secret_key)}: restore with the backup's key (rotate it afterwards if needed)"
        )
    head = _head_revision()
    if manifest["alembic_revision"] != head:
        raise BackupError(
            f"the backup is at schema revision {manifest['alembic_revision']}, this version at {head}: "
            "restore with the matching version, then upgrade"
        )
    table_list = tables()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            _check_empty(conn, table_list)
        migrations.upgrade(settings.database_url, head or "head")
        for key, meta in manifest["blobs"].items():  # blobs first: no committed row ever lacks its blob
            info = blob_store.put((root / "blobs" / key).read_bytes(),
                                  content_type=meta.get("content_type") or "application/octet-stream")
            if info.key != key:
                raise BackupError(f"blob {key} was stored as {info.key}")
        by_name = {f"{n:03d}_{t.name}.jsonl": t for n, t in enumerate(table_list)}
        with engine.begin() as conn:
            _check_empty(conn, table_list)
            for rel in sorted(r for r in manifest["files"] if r.startswith("db/")):
                table = by_name.get(rel.removeprefix("db/"))
                if table is None:
                    raise BackupError(f"{rel} is not a table of this version")
                # JSON columns: a None restores as SQL NULL (absent), as the models write it.
                stmt = insert(table).values(
                    {c.name: bindparam(c.name, type_=JSON(none_as_null=True) if isinstance(c.type, JSON) else c.type)
                     for c in table.columns}
                )
                batch: list[dict[str, Any]] = []
                for row in _rows(root / rel, table):
                    batch.append(row)
                    if len(batch) >= _BATCH:
                        conn.execute(stmt, batch)
                        batch = []
                if batch:
                    conn.execute(stmt, batch)
            _reset_sequences(conn, table_list)
    finally:
        engine.dispose()
    return manifest
