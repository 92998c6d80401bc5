"""Importing and exporting JSON Lines through the domains' own services."""
from __future__ import annotations

import hashlib
import heapq
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import sqlalchemy as sa

from ..audit import bulk as audit_bulk
from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..extensions import db
from ..signals import data_changes_batched
from . import registry
from .models import ImportKey

log = logging.getLogger(__name__)


#: Refusals kept in memory for the report (the web page, the tests); every one of them still goes to
#: ``on_error`` as it happens, so a file with a million refused lines does not fill the memory.
KEPT_ERRORS = 1000
#: Lines between two clear-outs of the session (see ``_forget``).
FORGET_EVERY = 2000


@dataclass
class LineError:
    line: int
    message: str
    raw: str
    #: Set when the line was refused only because something it needs is missing: ``("record", "001")``
    #: for an item whose catalogue record was not imported, ``("copy", barcode)`` for a line naming a copy
    #: whose own ``item`` line was refused. The command line says it once, not once per line.
    prerequisite: tuple | None = None

    def __str__(self):
        return f"{self.line}: {self.message}"


@dataclass
class Override:
    """A line imported past the desk's policy: its number, rules and the desk's messages."""

    line: int
    rules: list
    messages: list
    raw: str


@dataclass
class ImportReport:
    applied: int = 0
    already: int = 0
    refused: int = 0
    errors: list = field(default_factory=list)        # the first KEPT_ERRORS refusals
    committed: bool = False
    counts: dict = field(default_factory=dict)
    overrides: Counter = field(default_factory=Counter)   # lines imported past each policy rule
    overridden_lines: int = 0
    missing: dict = field(default_factory=dict)       # prerequisite kind -> {value: lines refused}

    @property
    def ok(self):
        return not self.refused


@dataclass
class ImportContext:
    """What an ``apply`` function may need besides the line: who acts, where in the file.

    ``override()`` gives the desk-policy override a historical line is
    applied with (exchange.md: policy does not refuse a line, integrity does).
    """

    actor: object = SYSTEM
    line: int = 0
    description: str = "ops import"
    cache: dict = field(default_factory=dict)
    overrides: list = field(default_factory=list)

    def override(self):
        from ..circulation.services import Override as DeskOverride
        made = DeskOverride(reason=f"imported as recorded ({self.description}, line {self.line})")
        self.overrides.append(made)
        return made


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
                 description="ops import", on_error=None, on_override=None, progress=None) -> ImportReport:
    """Apply the lines in order, each on top of what the lines before it built.

    Every line runs in its own savepoint: a refused line leaves no trace and
    the following lines are checked without it. At the end the whole import
    is committed only if nothing was refused (or ``partial`` is set);
    ``dry_run`` always rolls back. Nothing is ever half-applied. The audit
    trail gets one summary entry (``description``), not one per row, plus
    one override mark per line imported past the desk's policy.

    ``lines`` is read as a stream (a file, standard input, an upload): the
    import keeps no per-line state beyond the open transaction, so its
    speed and memory do not depend on the file's length. ``on_error(error)``
    and ``on_override(override)`` are called as refusals and overrides
    happen; ``progress(lines_read)`` after every line.
    """
    with audit_bulk(description):
        return _import_lines(lines, partial=partial, dry_run=dry_run, actor=actor, description=description,
                             on_error=on_error, on_override=on_override, progress=progress)


def _prerequisite(record_type, data, error, ctx):
    """What missing thing made ``error`` happen, if it is one of the missing prerequisites we name once."""
    if record_type.name == "item" and getattr(error, "code", None) == "no_record":
        return ("record", data.get("record"))
    barcode = data.get("item") if isinstance(data.get("item"), str) else None
    if barcode and barcode in ctx.cache.get("refused_items", ()):
        return ("copy", barcode)
    return None


def _import_lines(lines, *, partial, dry_run, actor, description, on_error, on_override, progress):
    report = ImportReport()
    ctx = ImportContext(actor=actor, description=description)
    refused_items = ctx.cache.setdefault("refused_items", set())

    def refuse(number, message, raw, prerequisite=None):
        error = LineError(number, str(message), raw, prerequisite)
        report.refused += 1
        if len(report.errors) < KEPT_ERRORS:
            report.errors.append(error)
        if prerequisite is not None:
            seen = report.missing.setdefault(prerequisite[0], {})
            seen[prerequisite[1]] = seen.get(prerequisite[1], 0) + 1
        if on_error is not None:
            on_error(error)

    number = 0
    with data_changes_batched():
        for number, raw in enumerate(lines, start=1):
            if number % FORGET_EVERY == 0:
                _forget(ctx)
            _one_line(number, raw, report, ctx, refuse, refused_items, progress, on_override)
    if dry_run or (report.refused and not partial):
        db.session.rollback()
    else:
        db.session.commit()
        report.committed = True
    return report


def _forget(ctx):
    """Let go of the objects the lines so far loaded (they are flushed; the database has them).

    The session's identity map would otherwise grow with the file, and
    every refused line's savepoint rollback walks it: dropping it every
    ``FORGET_EVERY`` lines keeps memory flat and the cost per line constant.
    """
    db.session.flush()
    db.session.expunge_all()
    ctx.cache.pop("institutions", None)


def _one_line(number, raw, report, ctx, refuse, refused_items, progress, on_override):
    if progress is not None:
        progress(number)
    if not raw.strip():
        return
    ctx.line = number
    try:
        record_type, data, line_id, obj = _read_line(raw)
    except DomainError as error:
        refuse(number, error.message, raw)
        return
    if line_id is not None:
        known = db.session.scalar(sa.select(ImportKey).where(ImportKey.key == line_id))
        if known is not None:
            if known.digest != _digest(obj):
                refuse(number, f"id {line_id!r} was imported before with different content; "
                               "give the changed line a new id", raw)
            else:
                report.already += 1
            return
    ctx.overrides.clear()
    savepoint = db.session.begin_nested()
    try:
        record_type.apply(data, ctx)
        if line_id is not None:
            db.session.add(ImportKey(key=line_id, record_type=record_type.name, digest=_digest(obj)))
        db.session.flush()
    except DomainError as error:
        savepoint.rollback()
        if record_type.name == "item" and isinstance(data.get("barcode"), str):
            refused_items.add(data["barcode"])
        refuse(number, error.message, raw, _prerequisite(record_type, data, error, ctx))
        return
    except Exception as error:  # a bug must not leave half a line behind
        savepoint.rollback()
        log.exception("import line %s failed unexpectedly", number)
        refuse(number, f"could not be applied ({type(error).__name__}: {error})", raw)
        return
    savepoint.commit()
    report.applied += 1
    report.counts[record_type.name] = report.counts.get(record_type.name, 0) + 1
    broken = [pair for made in ctx.overrides for pair in made.broken]
    if broken:
        report.overridden_lines += 1
        rules = list(dict.fromkeys(code for code, _m in broken))
        report.overrides.update(rules)
        if on_override is not None:
            on_override(Override(number, rules, [m for _c, m in broken], raw))


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
