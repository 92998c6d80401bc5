"""MARC files uploaded by staff: kept under ``DATA_DIR/uploads/catalog`` and imported in a background thread.

The job row carries the progress (bytes read, records so far) and, at the
end, the summary and the first problems, so the progress page can be
reloaded from any worker. A worker that dies leaves the job "running" with
an old heartbeat: the page then says it was interrupted and offers to run
it again, which is safe (records are matched, batches are whole).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError, PermissionDenied
from ..common import uploads
from ..common.permissions import require
from ..common.time import utcnow
from ..extensions import db
from . import marcio
from .importer import MarcImporter
from .models import ImportJob, ImportStatus
from .services import require_copy_rights

log = logging.getLogger(__name__)

#: A running job whose heartbeat is older than this was interrupted (its worker stopped).
STALE_AFTER = dt.timedelta(minutes=2)
#: Problems kept on the job for the report page.
REPORT_PROBLEMS = 500


def upload_dir(app=None):
    """``DATA_DIR/uploads/catalog``: files under generated names, as ``common.uploads`` keeps them.

    MARC files are not checked and stored through ``common.uploads.store``:
    it reads a file whole into memory, and a catalogue file can be large.
    They are saved as a stream, and their content is checked by its first bytes.
    """
    path = Path((app or current_app).config["DATA_DIR"]) / "uploads" / "catalog"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_job(upload, *, actor, with_items=False):
    """Keep an uploaded file and make its import job (not started yet)."""
    require(actor, "catalog.edit")
    institution = getattr(actor, "institution", None)
    if with_items:
        if institution is None:
            raise DomainError(_l("Copies are made for your own library; your account has none. Import the "
                                 "records without copies."), field="with_items")
        require_copy_rights(actor, institution)
    name = uploads.clean_filename(upload.filename or "") or "marc"
    head = upload.stream.read(512)
    upload.stream.seek(0)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise DomainError(_l("The file is empty."), field="file")
    fmt = marcio.sniff_format(head)
    if fmt == "iso2709" and not stripped[:5].isdigit():
        raise DomainError(_l("“%(name)s” is neither a MARC file (ISO 2709) nor MARCXML. Export the records "
                             "from your old system in MARC21 format and upload that file.", name=name),
                          field="file")
    stored = f"{uuid.uuid4().hex}.{'xml' if fmt == 'marcxml' else 'mrc'}"
    path = upload_dir() / stored
    try:
        upload.save(str(path))
    except OSError as error:
        path.unlink(missing_ok=True)
        raise DomainError(_l("The file could not be stored on the server (%(error)s). Tell the administrator; "
                             "nothing was imported.", error=error.strerror or error))
    job = ImportJob(user_id=getattr(actor, "id", None), institution_id=institution.id if with_items else None,
                    filename=name[:255], stored_name=stored, size=path.stat().st_size, with_items=with_items)
    db.session.add(job)
    db.session.flush()
    return job


def is_interrupted(job) -> bool:
    if job.status != ImportStatus.RUNNING:
        return False
    beat = job.heartbeat_at or job.started_at or job.created_at
    return beat is None or utcnow() - beat > STALE_AFTER


def can_restart(job) -> bool:
    return job.status == ImportStatus.FAILED or is_interrupted(job) or (
        job.status == ImportStatus.QUEUED and utcnow() - job.created_at > STALE_AFTER)


def restart(job, *, actor):
    """Run an interrupted or failed import again (safe: records are matched, nothing is doubled)."""
    require(actor, "catalog.edit")
    if job.user_id not in (None, getattr(actor, "id", None)) and not getattr(actor, "province_wide", False):
        raise PermissionDenied(_l("Only the person who uploaded this file (or an administrator) can run it "
                                  "again."))
    if not can_restart(job):
        raise DomainError(_l("This import is still running or has finished; it cannot be started again."))
    if not (upload_dir() / job.stored_name).exists():
        raise DomainError(_l("The uploaded file is no longer on the server; upload it again."))
    job.status = ImportStatus.QUEUED
    job.message = ""
    db.session.flush()
    return job


def start(job_id, app=None):
    """Run the job in a background thread (the request returns at once)."""
    app = app or current_app._get_current_object()
    thread = threading.Thread(target=run, args=(app, job_id), name=f"catalog-import-{job_id}", daemon=True)
    thread.start()
    return thread


def run(app, job_id):
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        if job is None or job.status not in (ImportStatus.QUEUED,):
            return
        job.status = ImportStatus.RUNNING
        job.started_at = job.heartbeat_at = utcnow()
        job.finished_at = None
        for name in ("bytes_done", "read", "created", "updated", "unchanged", "repeated", "skipped", "warnings",
                     "copies_created", "copies_skipped"):
            setattr(job, name, 0)
        db.session.commit()
        locale = (job.user.locale if job.user is not None else None) or app.config["BABEL_DEFAULT_LOCALE"]
        path = upload_dir(app) / job.stored_name
        try:
            with force_locale(locale), open(path, "rb") as fh:
                def progress(summary):
                    _record(job, summary)
                    job.bytes_done = min(fh.tell(), job.size)
                    job.heartbeat_at = utcnow()
                    db.session.commit()

                importer = MarcImporter(institution=job.institution, items=job.with_items,
                                        actor=job.user or None, progress=progress,
                                        parallel=job.size > int(app.config.get("CATALOG_PARALLEL_INDEX_BYTES",
                                                                                1 << 20)))
                summary = importer.run(marcio.read_file(fh))
                _record(job, summary)
                job.problems = json.dumps([p.as_dict() for p in summary.problems[:REPORT_PROBLEMS]],
                                          ensure_ascii=False)
                if not summary.indexed:
                    job.message = str(_l("The records are saved, but the search index could not be updated; "
                                         "they will be found after “flask catalog reindex --pending”."))
            job.status = ImportStatus.DONE
            job.bytes_done = job.size
            path.unlink(missing_ok=True)
        except Exception as error:  # a background job records any failure on its row, for the page
            db.session.rollback()
            log.exception("catalogue import %s failed", job_id)
            job = db.session.get(ImportJob, job_id)
            job.status = ImportStatus.FAILED
            job.message = str(_l("The import stopped: %(error)s. Records of completed batches are saved; "
                                 "run the import again to finish it.", error=error))[:1000]
        job.finished_at = job.heartbeat_at = utcnow()
        db.session.commit()


def _record(job, summary):
    for name in ("read", "created", "updated", "unchanged", "repeated", "skipped", "warnings", "copies_created",
                 "copies_skipped"):
        setattr(job, name, getattr(summary, name))


def problems(job):
    try:
        return json.loads(job.problems or "[]")
    except ValueError:
        return []
