"""JSON Lines files uploaded by an administrator, imported in a background thread (the catalogue's
``jobs`` pattern).

An ops import is one transaction (all or nothing), so its progress cannot
live in a database row that the same import writes: the job is a small JSON
file beside the upload (``DATA_DIR/uploads/ops/<id>.json``), rewritten
atomically every half second with the same figures as the command line's
progress bar (lines, lines/s, percent, time left), the first refusals with
their line numbers, and the counts per rule of the lines imported past the
desk's policy. Refused lines go to ``<id>.rejected.jsonl``, offered for
download. While the import runs it holds the database's write lock (SQLite)
or its rows (PostgreSQL): the page says so, as the import is meant for a
move or a rebuild, not the middle of a working day.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..audit import acting_as
from ..common import uploads
from ..common.errors import DomainError, NotFound
from ..common.permissions import require
from ..common.time import utcnow
from .cli import NotText, read_lines
from .progress import Progress

log = logging.getLogger(__name__)

#: Largest file accepted from the page (MB); bigger moves go through ``flask ops import FILE``.
DEFAULT_MAX_MB = 100
#: Refusals kept on the job for the page (all of them are in the rejected file).
SHOWN_ERRORS = 200
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def upload_dir(app=None):
    path = Path((app or current_app).config["DATA_DIR"]) / "uploads" / "ops"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_bytes(app=None):
    return int((app or current_app).config.get("OPS_UPLOAD_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024


def _paths(job_id, app=None):
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise NotFound(_l("This import does not exist."))
    folder = upload_dir(app)
    return folder / f"{job_id}.jsonl", folder / f"{job_id}.json", folder / f"{job_id}.rejected.jsonl"


def _save(path, state):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def create_job(upload, *, actor, partial=False):
    """Keep the uploaded file (bounded) and make its job; returns the job id (not started yet)."""
    require(actor, "ops.import")
    name = uploads.clean_filename(upload.filename or "") or "import.jsonl"
    head = upload.stream.read(512)
    upload.stream.seek(0)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise DomainError(_l("The file is empty."), field="file")
    if not stripped.startswith(b"{"):
        raise DomainError(_l("“%(name)s” is not a JSON Lines file: each line must be one JSON object, "
                             "starting with {.", name=name), field="file")
    job_id = uuid.uuid4().hex
    source, status, _rejected = _paths(job_id)
    limit, size = max_bytes(), 0
    try:
        with source.open("wb") as out:
            while chunk := upload.stream.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise DomainError(_l("The file is larger than %(mb)d MB. Import it on the server with "
                                         "“flask ops import FILE”.", mb=limit // (1024 * 1024)), field="file")
                out.write(chunk)
    except (DomainError, OSError) as error:
        source.unlink(missing_ok=True)
        if isinstance(error, DomainError):
            raise
        raise DomainError(_l("The file could not be stored on the server (%(error)s). Tell the administrator; "
                             "nothing was imported.", error=error.strerror or error))
    _save(status, {"id": job_id, "user_id": getattr(actor, "id", None), "filename": name[:200], "size": size,
                   "partial": bool(partial), "state": "queued", "created": utcnow().isoformat(),
                   "progress": Progress(total_bytes=size).as_dict(), "applied": 0, "already": 0, "refused": 0,
                   "overridden": 0, "overrides": {}, "errors": [], "missing": {}, "message": "",
                   "committed": False})
    return job_id


def status(job_id, app=None):
    _source, path, rejected = _paths(job_id, app)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(_l("This import does not exist."))
    state["has_rejected"] = rejected.exists() and rejected.stat().st_size > 0
    return state


def recent(limit=10, app=None):
    jobs = []
    for path in sorted(upload_dir(app).glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]:
        try:
            jobs.append(status(path.stem, app))
        except NotFound:
            continue
    return jobs


def rejected_file(job_id):
    _source, _status, rejected = _paths(job_id)
    if not rejected.exists():
        raise NotFound(_l("This import refused no line."))
    return rejected


def start(job_id, user_id, app=None):
    """Run the job in a background thread (the request returns at once)."""
    app = app or current_app._get_current_object()
    thread = threading.Thread(target=run, args=(app, job_id, user_id), name=f"ops-import-{job_id}", daemon=True)
    thread.start()
    return thread


def run(app, job_id, user_id):
    from ..accounts.models import User
    from ..extensions import db
    from . import services
    with app.app_context():
        source, path, rejected_path = _paths(job_id, app)
        state = json.loads(path.read_text(encoding="utf-8"))
        state["state"] = "running"
        _save(path, state)
        user = db.session.get(User, user_id) if user_id else None
        progress = Progress(total_bytes=state["size"])
        last = [0.0]
        rejected = [None]

        def beat(force=False):
            now = time.monotonic()
            if force or now - last[0] >= 0.5:
                last[0] = now
                state["progress"] = progress.as_dict()
                _save(path, state)

        class Bar:
            def update(self, lines, done_bytes=None):
                progress.advance(lines, done_bytes)
                beat()

        def on_error(error):
            state["refused"] += 1
            if error.prerequisite is None and len(state["errors"]) < SHOWN_ERRORS:
                state["errors"].append([error.line, error.message])
            if state["partial"]:
                if rejected[0] is None:
                    rejected[0] = rejected_path.open("w", encoding="utf-8")
                rejected[0].write(error.raw.rstrip("\n") + "\n")

        def on_override(override):
            state["overridden"] += 1
            for rule in override.rules:
                state["overrides"][rule] = state["overrides"].get(rule, 0) + 1

        try:
            with acting_as(user) if user is not None else _nothing(), source.open("rb") as fh:
                report = services.import_lines(read_lines(fh, Bar()), partial=state["partial"],
                                               description=f"ops import {state['filename']} (upload)",
                                               actor=user or services.SYSTEM, on_error=on_error,
                                               on_override=on_override)
            state.update(applied=report.applied, already=report.already, committed=report.committed,
                         missing={kind: {"lines": sum(seen.values()), "values": list(seen)[:5]}
                                  for kind, seen in report.missing.items()})
            state["state"] = "done"
        except NotText as error:
            db.session.rollback()
            state.update(state="failed", message=str(error))
        except Exception as error:  # a background job records any failure in its state, for the page
            db.session.rollback()
            log.exception("ops import %s failed", job_id)
            state.update(state="failed", message=f"{type(error).__name__}: {error}"[:1000])
        finally:
            if rejected[0] is not None:
                rejected[0].close()
            source.unlink(missing_ok=True)
            db.session.remove()
        beat(force=True)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
