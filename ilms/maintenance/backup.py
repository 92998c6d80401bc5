"""Backups: one archive with a consistent copy of the database, the data folder and the secrets.

``create_backup`` may run while ILMS is serving and writing:

- SQLite: the online backup API copies the database in one read
  transaction, a snapshot that writers (WAL mode) never wait for;
- PostgreSQL: a repeatable-read transaction exports its snapshot, the rows
  are counted in it and ``pg_dump --snapshot`` dumps exactly that state.

The archive (``ilms-backup-YYYYMMDD-HHMMSS.tar.gz``, readable by its owner
only) holds::

    manifest.json          when, which schema revision, rows per table, files
    database.sqlite        or database.pgdump (pg_dump's custom format)
    secrets/secret_key, secrets/reader_key_secret
    data/...               the data folder: uploads and the rest, without
                           backups/, the live database files and what domains
                           declared rebuildable (search indexes)

``restore_backup`` puts it into an empty database and a fresh data folder,
then checks that every table has the row count of the manifest.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..common.checks import backup_excludes
from ..common.errors import DomainError
from ..common.privacy import _secret as reader_secret
from ..common.time import LOCAL_TZ, utcnow
from ..extensions import db
from . import database

FORMAT = 1
SECRET_FILES = {"secret_key": "ILMS_SECRET_KEY", "reader_key_secret": "ILMS_READER_KEY_SECRET"}


class BackupError(DomainError):
    pass


# -- where things are ----------------------------------------------------------------------

def data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def default_backup_dir() -> Path:
    return data_dir() / "backups"


def sqlite_path(url=None) -> Path | None:
    url = sa.engine.make_url(url or current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database).resolve()


def _skipped_paths():
    """Paths under the data folder that a backup leaves out (absolute, resolved)."""
    base = data_dir().resolve()
    skipped = {base / "backups"} | {base / rel for rel in backup_excludes()}
    db_file = sqlite_path()
    if db_file is not None:
        skipped |= {db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm"), Path(f"{db_file}-journal")}
    instance = Path(current_app.instance_path).resolve()
    skipped |= {instance / name for name in SECRET_FILES}
    return skipped


def _data_files():
    base = data_dir().resolve()
    skipped = _skipped_paths()
    if not base.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(base):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if root_path / d not in skipped)
        for name in sorted(files):
            path = root_path / name
            if path not in skipped and path.is_file():
                found.append(path)
    return found


# -- tools ---------------------------------------------------------------------------------

def pg_tool(name):
    """The newest ``pg_dump``/``pg_restore`` on the machine (Debian keeps them per version)."""
    configured = os.environ.get("ILMS_PG_BIN")
    candidates = [Path(configured) / name] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                         key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} is not installed: apt-get install postgresql-client")


def _libpq_args(url):
    """Command-line connection options and an environment carrying the password (never in argv)."""
    url = sa.engine.make_url(url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args, env


def _run(command, env, what):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")
    return result


# -- create --------------------------------------------------------------------------------

def _dump_sqlite(target: Path):
    source_path = sqlite_path()
    if not source_path.exists():
        raise BackupError(f"the database file {source_path} does not exist")
    timeout = current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000) / 1000
    source = sqlite3.connect(str(source_path), timeout=timeout)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)   # all pages in one step: one read transaction, one snapshot
    finally:
        copy.close()
        source.close()
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return database.current_revision(connection), database.table_counts(connection)
    finally:
        engine.dispose()


def _dump_postgres(target: Path):
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                revision = database.current_revision(connection)
                counts = database.table_counts(connection)
                args, env = _libpq_args(url)
                _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                      f"--snapshot={snapshot}", "--file", str(target), *args], env, "pg_dump")
    finally:
        engine.dispose()
    return revision, counts


def _secrets():
    return {"secret_key": current_app.config["SECRET_KEY"], "reader_key_secret": reader_secret().decode("utf-8")}


def create_backup(destination=None) -> Path:
    """Write a backup archive; return its path. ``destination``: a folder or an archive file name."""
    stamp = utcnow().astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M%S")
    name = f"ilms-backup-{stamp}.tar.gz"
    if destination is None:
        archive = default_backup_dir() / name
    else:
        destination = Path(destination)
        archive = destination / name if destination.is_dir() or not destination.suffix else destination
        if archive == destination and archive.exists():
            raise BackupError(f"{archive} exists already; choose another name")
    archive.parent.mkdir(parents=True, exist_ok=True)
    number = 1
    while archive.exists():  # two backups within one second
        number += 1
        archive = archive.with_name(f"ilms-backup-{stamp}-{number}.tar.gz")
    dialect = db.engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="ilms-backup-", dir=archive.parent) as scratch:
        scratch = Path(scratch)
        if dialect == "sqlite":
            dump_name = "database.sqlite"
            revision, counts = _dump_sqlite(scratch / dump_name)
        elif dialect == "postgresql":
            dump_name = "database.pgdump"
            revision, counts = _dump_postgres(scratch / dump_name)
        else:
            raise BackupError(f"backups of {dialect} databases are not supported")
        files = _data_files()
        base = data_dir().resolve()
        manifest = {
            "format": FORMAT, "created_at": utcnow().isoformat(), "dialect": dialect,
            "database": dump_name, "revision": revision, "counts": counts,
            "files": [str(path.relative_to(base)) for path in files],
            "secrets": sorted(SECRET_FILES),
        }
        partial = scratch / "archive.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
            tar.add(scratch / dump_name, arcname=dump_name)
            for secret_name, value in _secrets().items():
                _add_bytes(tar, f"secrets/{secret_name}", value.encode("utf-8"))
            for path in files:
                try:
                    tar.add(path, arcname=f"data/{path.relative_to(base)}")
                except FileNotFoundError:
                    continue  # deleted while we were copying: it is not part of the snapshot anyway
        os.replace(partial, archive)  # complete archives only: never a half-written one
    return archive


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(utcnow().timestamp())
    tar.addfile(info, io.BytesIO(data))


# -- restore -------------------------------------------------------------------------------

def read_manifest(archive: Path):
    try:
        with tarfile.open(archive, "r:gz") as tar:
            try:
                member = tar.extractfile("manifest.json")
            except KeyError:
                raise BackupError(f"{archive} is not an ILMS backup archive (it has no manifest.json)")
            manifest = json.load(member)
    except (tarfile.TarError, OSError, ValueError, EOFError) as error:
        raise BackupError(f"{archive} cannot be read ({error}); is it a complete ILMS backup archive?")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: backup format {manifest.get('format')} is not supported")
    return manifest


def _check_fresh_data_dir():
    leftovers = _data_files()
    if leftovers:
        shown = ", ".join(str(p) for p in leftovers[:5])
        raise BackupError(f"the data folder {data_dir()} is not empty ({shown}); restore into a fresh one")


def _check_empty_database():
    with db.engine.connect() as connection:
        tables = database.existing_tables(connection)
        counts = {name: n for name, n in database.table_counts(
            connection, [t for t in database.app_tables() if t.name in tables]).items() if n}
    if counts:
        listed = ", ".join(f"{name} ({n})" for name, n in sorted(counts.items())[:8])
        raise BackupError(f"the database is not empty: {listed}. Restore into a new, empty database.")
    return tables


def restore_backup(archive, *, echo=print):
    """Restore ``archive`` into the configured (empty) database and (fresh) data folder."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    manifest = read_manifest(archive)
    dialect = db.engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"this backup holds a {manifest['dialect']} database and the configured one is "
                          f"{dialect}: restore it into a {manifest['dialect']} database, then use "
                          "flask --app ilms db copy --to URL")
    existing = _check_empty_database()
    _check_fresh_data_dir()
    db.session.remove()
    db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="ilms-restore-") as scratch:
        scratch = Path(scratch)
        _safe_extract(archive, scratch)
        dump = scratch / manifest["database"]
        if dialect == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgres(dump, existing)
        echo(f"database restored (schema revision {manifest['revision']})")
        _restore_files(scratch / "data", manifest)
        echo(f"{len(manifest['files'])} file(s) restored into {data_dir()}")
        for line in _restore_secrets(scratch / "secrets"):
            echo(line)
    with db.engine.connect() as connection:
        counts = database.table_counts(connection)
    wrong = {name: (n, counts.get(name)) for name, n in manifest["counts"].items() if counts.get(name) != n}
    if wrong:
        listed = "; ".join(f"{name}: {a} in the backup, {b} restored" for name, (a, b) in sorted(wrong.items()))
        raise BackupError(f"the restored database does not match the backup: {listed}")
    return manifest


def _safe_extract(archive, target):
    """Unpack regular files and folders only, never outside ``target`` (a hostile archive gets nowhere)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                name = Path(member.name)
                if (name.is_absolute() or ".." in name.parts
                        or not (member.isfile() or member.isdir())):
                    raise BackupError(f"{archive}: refusing the archive member {member.name!r}")
            if hasattr(tarfile, "data_filter"):
                tar.extractall(target, members=members, filter="data")
            else:  # Python before 3.11.4: the members were checked above
                tar.extractall(target, members=members)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} cannot be read ({error}); is it a complete backup archive?")


def _restore_sqlite(dump: Path):
    target = sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)   # checked empty above
    source = sqlite3.connect(dump)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = WAL")
    finally:
        copy.close()
        source.close()


def _restore_postgres(dump: Path, existing_tables):
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if existing_tables:
        # An empty schema made by "db upgrade": drop it, the dump brings its own.
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as connection:
                for name in existing_tables:
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {database.quote(connection, name)} CASCADE")
                # and the trigger functions it made (the dump creates them again)
                for (function,) in connection.exec_driver_sql(
                        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                        " WHERE n.nspname = current_schema() AND p.prokind = 'f'").all():
                    connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
        finally:
            engine.dispose()
    args, env = _libpq_args(url)
    _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          *args, str(dump)], env, "pg_restore")


def _restore_files(source: Path, manifest):
    base = data_dir()
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        target = base / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _restore_secrets(folder: Path):
    """Put the secrets where this installation reads them; say what to do when it reads them elsewhere."""
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    messages = []
    for name, env_name in SECRET_FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        value = path.read_text(encoding="utf-8").strip()
        if os.environ.get(env_name):
            if os.environ[env_name] != value:
                messages.append(f"WARNING: {env_name} is set and differs from the backup's {name}; set it to "
                                f"the value in secrets/{name} inside the archive, or "
                                + ("signed-in sessions end" if name == "secret_key" else
                                   "readers counted before the backup count again"))
            continue
        target = instance / name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        messages.append(f"{name} restored into {target}")
    current_app.extensions.pop("ilms_reader_secret", None)
    return messages
