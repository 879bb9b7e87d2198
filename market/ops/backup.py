"""Backup and restore: the database, the ledger signing key and the files under var/, in one
archive (`market backup` / `market restore`; procedure in docs/operations.md).

Archive (tar.gz, mode 0600: it holds the ledger signing key and the session secret):
  manifest.json         what is inside, from which schema revision, with a sha256 per file
  database.pgdump       PostgreSQL: pg_dump custom format (restored with pg_restore)
  database.sqlite3      SQLite: a consistent copy made with SQLite's online backup API
  var/...               var/ (ledger key, dev secret key, uploads), without the live database,
                        metrics scratch files or older backups
  uploads/...           UPLOAD_DIR when it lives outside var/

A database restores only into the same kind of database. A key set through
LEDGER_SIGNING_KEY is not in the archive (it lives in your secret store); the manifest
records its verifier key so that restore can tell whether the key in place is the right one.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

FORMAT = 1
SKIP_IN_VAR = {"prometheus", "backups", "scheduler.lock", "celerybeat-schedule"}


class BackupError(Exception):
    pass


@dataclass
class Manifest:
    format: int
    created_at: str
    dialect: str
    schema_revision: str | None
    ledger_size: int
    checkpoints: int
    ledger_verifier_key: str | None  # the key that signed the checkpoints (name+id+public key)
    ledger_key_in_archive: bool
    files: dict[str, str] = field(default_factory=dict)  # archive path -> sha256


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection string for pg_dump/pg_restore; the password goes in the
    environment, never on a command line (ps shows those)."""
    u = make_url(url)
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database).resolve()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _db_facts(url: str) -> tuple[str | None, int, int, str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                if "alembic_version" in tables else None
            if "ledger_entries" not in tables:
                return revision, 0, 0, None
            size = conn.execute(text("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries")).scalar()
            checkpoints = conn.execute(text("SELECT COUNT(*) FROM ledger_checkpoints")).scalar()
            key = conn.execute(text("SELECT verifier_key FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1")).scalar()
            return revision, int(size), int(checkpoints), key
    finally:
        engine.dispose()


def _var_files(var: Path, database: Path | None) -> list[Path]:
    skip = {database, Path(f"{database}-wal"), Path(f"{database}-shm")} if database else set()
    out = []
    for path in sorted(var.rglob("*")):
        rel = path.relative_to(var)
        if rel.parts[0] in SKIP_IN_VAR or path.resolve() in skip or not path.is_file():
            continue
        if path.name.endswith(".tar.gz") and rel.parts[0] == path.name:  # an archive left in var/
            continue
        out.append(path)
    return out


def backup(app: Flask, target: Path) -> Manifest:
    url = app.config["DATABASE_URL"]
    var = Path(app.config["VAR_DIR"]).resolve()
    uploads = Path(app.config["UPLOAD_DIR"]).resolve()
    dialect = make_url(url).get_backend_name()
    revision, size, checkpoints, verifier = _db_facts(url)
    manifest = Manifest(FORMAT, datetime.now(timezone.utc).isoformat(timespec="seconds"), dialect, revision, size,
                        checkpoints, verifier, ledger_key_in_archive=not app.config.get("LEDGER_SIGNING_KEY"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        members: list[tuple[str, Path]] = []
        database = None
        if dialect == "sqlite":
            database = _sqlite_path(url)
            copy = work / "database.sqlite3"
            src, dst = sqlite3.connect(database), sqlite3.connect(copy)
            try:
                src.backup(dst)  # consistent while the app keeps writing
            finally:
                dst.close()
                src.close()
            members.append(("database.sqlite3", copy))
        elif dialect == "postgresql":
            dump = work / "database.pgdump"
            dsn, env = _libpq(url)
            done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), dsn],
                                  env=env, capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
            members.append(("database.pgdump", dump))
        else:
            raise BackupError(f"cannot back up a {dialect} database")
        members += [(f"var/{p.relative_to(var)}", p) for p in _var_files(var, database)]
        if not uploads.is_relative_to(var) and uploads.exists():
            members += [(f"uploads/{p.relative_to(uploads)}", p) for p in sorted(uploads.rglob("*")) if p.is_file()]
        manifest.files = {name: _sha256(path) for name, path in members}
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest.__dict__, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
    return manifest


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:gz") as tar:
        return Manifest(**json.load(tar.extractfile("manifest.json")))


def _is_empty(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


@dataclass
class RestoreReport:
    manifest: Manifest
    files_restored: int
    schema_revision: str | None
    ledger_size: int


def restore(app: Flask, archive: Path, *, force: bool = False) -> RestoreReport:
    """Restore `archive` into the configured (empty, unless force) database and var/."""
    url = app.config["DATABASE_URL"]
    var = Path(app.config["VAR_DIR"]).resolve()
    uploads = Path(app.config["UPLOAD_DIR"]).resolve()
    manifest = read_manifest(archive)
    if manifest.format != FORMAT:
        raise BackupError(f"archive format {manifest.format} is not {FORMAT}")
    dialect = make_url(url).get_backend_name()
    if dialect != manifest.dialect:
        raise BackupError(f"the archive holds a {manifest.dialect} database; DATABASE_URL is {dialect}")
    if not force and not _is_empty(url):
        raise BackupError("the target database is not empty (use --force to replace it)")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        work = Path(tmp)
        tar.extractall(work, filter="data")
        for name, digest in manifest.files.items():
            if _sha256(work / name) != digest:
                raise BackupError(f"{name} does not match its checksum: the archive is damaged")
        files = [n for n in manifest.files if n.startswith(("var/", "uploads/"))]
        for name in files:  # refuse before touching anything
            dest = (var if name.startswith("var/") else uploads) / name.split("/", 1)[1]
            # var/secret_key is made at start-up when missing (so also by this very command):
            # the archive's replaces it, and sessions signed before the backup stay valid
            if name != "var/secret_key" and dest.exists() and not force and _sha256(dest) != manifest.files[name]:
                raise BackupError(f"{dest} exists and differs from the archive (use --force to overwrite)")
        if dialect == "sqlite":
            database = _sqlite_path(url)
            database.parent.mkdir(parents=True, exist_ok=True)
            src, dst = sqlite3.connect(work / "database.sqlite3"), sqlite3.connect(database)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            dsn, env = _libpq(url)
            done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                                   "--dbname", dsn, str(work / "database.pgdump")], env=env, capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        for name in files:
            dest = (var if name.startswith("var/") else uploads) / name.split("/", 1)[1]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / name, dest)
            if dest.name in ("ledger_ed25519.key", "secret_key"):
                dest.chmod(0o600)
    revision, size, _checkpoints, _key = _db_facts(url)
    from market.journal.ledger import get_ledger

    app.extensions["ledger"] = None  # the key may have just been restored: load it afresh
    in_place = get_ledger().signer.verifier_key()
    if manifest.ledger_verifier_key and in_place != manifest.ledger_verifier_key:
        raise BackupError(f"the ledger signing key in place ({in_place}) is not the one that signed the "
                          f"checkpoints ({manifest.ledger_verifier_key}): restore the key (LEDGER_SIGNING_KEY)")
    if revision != manifest.schema_revision or size != manifest.ledger_size:
        raise BackupError(f"restored database has revision {revision} and {size} ledger entries; "
                          f"the archive says {manifest.schema_revision} and {manifest.ledger_size}")
    return RestoreReport(manifest, len(files), revision, size)
