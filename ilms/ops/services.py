"""Importing and exporting JSON Lines through the domains' own services."""
from __future__ import annotations

import hashlib
import heapq
import json
import logging
from dataclasses import dataclass, field
from typing import Iterable

import sqlalchemy as sa

from ..audit import bulk as audit_bulk
from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..extensions import db
from . import registry
from .models import ImportKey

log = logging.getLogger(__name__)


@dataclass
class LineError:
    line: int
    message: str
    raw: str

    def __str__(self):
        return f"{self.line}: {self.message}"


@dataclass
class ImportReport:
    applied: int = 0
    already: int = 0
    errors: list = field(default_factory=list)
    committed: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.errors


@dataclass
class ImportContext:
    """What an ``apply`` function may need besides the line: who acts, where in the file."""

    actor: object = SYSTEM
    line: int = 0
    cache: dict = field(default_factory=dict)


def _digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _read_line(raw):
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as error:
        raise DomainError(f"not valid JSON ({error.msg} at column {error.colno})")
    if not isinstance(obj, dict):
        raise DomainError("each line must be one JSON object")
    name = obj.get("type")
    record_type = registry.get(name) if isinstance(name, str) else None
    if record_type is None:
        known = ", ".join(t.name for t in registry.all_types())
        raise DomainError(f"unknown type {name!r}; expected one of: {known}")
    line_id = obj.get("id")
    if line_id is not None and (not isinstance(line_id, str) or not line_id.strip() or len(line_id) > 200):
        raise DomainError("field 'id': expected a non-empty string of at most 200 characters")
    try:
        data = registry.parse_fields(obj, record_type.fields)
    except registry.FieldError as error:
        raise DomainError(str(error))
    return record_type, data, line_id, obj


def import_lines(lines: Iterable[str], *, partial=False, dry_run=False, actor=SYSTEM,
                 description="ops import") -> ImportReport:
    """Apply the lines in order, each on top of what the lines before it built.

    Every line runs in its own savepoint: a refused line leaves no trace and
    the following lines are checked without it. At the end the whole import
    is committed only if nothing was refused (or ``partial`` is set);
    ``dry_run`` always rolls back. Nothing is ever half-applied. The audit
    trail gets one summary entry (``description``), not one per row.
    """
    with audit_bulk(description):
        return _import_lines(lines, partial=partial, dry_run=dry_run, actor=actor)


def _import_lines(lines, *, partial, dry_run, actor):
    report = ImportReport()
    ctx = ImportContext(actor=actor)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        ctx.line = number
        try:
            record_type, data, line_id, obj = _read_line(raw)
        except DomainError as error:
            report.errors.append(LineError(number, str(error.message), raw))
            continue
        if line_id is not None:
            known = db.session.scalar(sa.select(ImportKey).where(ImportKey.key == line_id))
            if known is not None:
                if known.digest != _digest(obj):
                    report.errors.append(LineError(
                        number, f"id {line_id!r} was imported before with different content; "
                                "give the changed line a new id", raw))
                else:
                    report.already += 1
                continue
        savepoint = db.session.begin_nested()
        try:
            record_type.apply(data, ctx)
            if line_id is not None:
                db.session.add(ImportKey(key=line_id, record_type=record_type.name, digest=_digest(obj)))
            db.session.flush()
        except DomainError as error:
            savepoint.rollback()
            report.errors.append(LineError(number, str(error.message), raw))
            continue
        except Exception as error:  # a bug must not leave half a line behind
            savepoint.rollback()
            log.exception("import line %s failed unexpectedly", number)
            report.errors.append(LineError(number, f"could not be applied ({type(error).__name__}: {error})",
                                           raw))
            continue
        savepoint.commit()
        report.applied += 1
        report.counts[record_type.name] = report.counts.get(record_type.name, 0) + 1
    if dry_run or (report.errors and not partial):
        db.session.rollback()
    else:
        db.session.commit()
        report.committed = True
    return report


def export_lines(period) -> Iterable[str]:
    """Every registered type's lines for ``period``, merged in time order, as JSON text."""
    def keyed(rank, record_type):
        for key, line in record_type.export(period):
            phase, rest = key[0], tuple(key[1:])
            # reference data type by type; events by time, then type, then the type's own order
            yield ((0, rank) + rest if phase == 0 else (1, rest[0], rank) + rest[1:]), line

    streams = [keyed(rank, t) for rank, t in enumerate(registry.all_types()) if t.export is not None]
    for _key, line in heapq.merge(*streams, key=lambda pair: pair[0]):
        yield json.dumps(line, ensure_ascii=False)
