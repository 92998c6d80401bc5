"""The network on a date: dated changes of institutions (issue 25, "A network that changes on dates").

An administrator records that, from an effective date, an institution has another parent, name,
kind, level or area (``record_change``), or many at once (``preview_batch`` then ``apply_batch``,
e.g. "the reorganisation of 1 July 2025"). The first change of an institution splits its history
in two versions: what it was until the day before (reaching back to the beginning) and what it is
from the date on. The ``institutions`` row always holds the version in force *today*, so every page
about the present (staff scope, circulation, the catalogue) reads today's network unchanged; a
change dated in the future reaches the row on its day (``apply_due``, run by ``record_change``
and by ``flask check --repair``).

Statistics read ``network_on(day)`` and ``change_dates(period)`` (``ilms.stats.structure``).

Choices where the issue is silent (as Koha and Evergreen keep a library's history of branches):
- Staff scope is a matter of today: who may change what is read from the ``institutions`` row, so
  a point moving under another library on 1 July is in the old library's scope until 30 June and
  in the new one's from 1 July, for all its records (permissions are not dated).
- Only the dated attributes (parent, name, kind, level, district and commune) have versions;
  address, phone and barcode prefix are edited in place as before.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError
from ..common.permissions import require
from ..common.time import local_today
from ..extensions import db
from .models import Institution, InstitutionVersion

#: The attributes kept with dates.
DATED = ("name", "kind", "level", "parent_id", "district_code", "commune_code")
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class InstitutionAt:
    """An institution as it was on a day: the attributes ``Scope.members`` and the indicators read."""

    id: int
    code: str
    name: str
    kind: object
    level: object
    parent_id: int | None
    district_code: str | None
    commune_code: str | None
    name_sort: str
    current_name: str
    active: bool = True

    @property
    def renamed(self):
        """Today's name when it differs from the name of that time (shown in brackets)."""
        return self.current_name if self.current_name != self.name else None


def _snapshot(inst):
    return {key: getattr(inst, key) for key in DATED}


def versions_of(institution_id):
    return db.session.scalars(sa.select(InstitutionVersion)
                              .where(InstitutionVersion.institution_id == institution_id)
                              .order_by(sa.nulls_first(InstitutionVersion.valid_from))).all()


def _coerce_change(inst, changes):
    """Validated new values of the dated attributes, by the institutions' own rules (kinds at their
    levels, known areas, a parent above and not under the institution)."""
    from . import services
    from .models import ALLOWED_LEVELS, AreaLevel
    data = dict(changes)
    if "parent" in data:
        parent = data.pop("parent")
        if isinstance(parent, str):
            parent = services.get_by_code(parent) if parent.strip() else None
        data["parent_id"] = parent.id if parent is not None else None
    unknown = set(data) - set(DATED)
    if unknown:
        raise DomainError(_l("Only the parent, name, kind, level, district and commune change on a date; "
                             "not: %(fields)s", fields=", ".join(sorted(unknown))))
    data = services._coerce(data)
    out = {k: getattr(inst, k) for k in DATED}
    out.update(data)
    if not out["name"]:
        raise DomainError(_l("The institution needs a name."), field="name")
    if out["level"] not in ALLOWED_LEVELS[out["kind"]]:
        allowed = ", ".join(str(level.label) for level in ALLOWED_LEVELS[out["kind"]])
        raise DomainError(_l("A %(kind)s sits at level: %(allowed)s.", kind=out["kind"].label, allowed=allowed),
                          field="level")
    for key, level in (("district_code", AreaLevel.DISTRICT), ("commune_code", AreaLevel.COMMUNE)):
        if out[key] and services.get_area(out[key], required=False) is None:
            raise DomainError(_l("No %(level)s has the code %(code)s; add the area first.",
                                 level=level.label, code=out[key]), field=key)
    if "commune_code" in data and out["commune_code"] and "district_code" not in data:
        commune = services.get_area(out["commune_code"])
        out["district_code"] = commune.district_code or out["district_code"]
    if out["parent_id"] is not None:
        parent = db.session.get(Institution, out["parent_id"])
        if parent.id == inst.id or inst.id in {a.id for a in services.ancestors(parent)}:
            raise DomainError(_l("An institution cannot be placed under itself or its own units."),
                              field="parent")
        if parent.level.rank > out["level"].rank:
            raise DomainError(_l("The parent (%(parent)s) is at a lower level than this institution.",
                                 parent=parent.name), field="parent")
    return out


def _as_date(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DomainError(_l("Write the effective date as YYYY-MM-DD, e.g. 2025-07-01."), field="effective")


def record_change(institution, effective, *, actor, note="", today=None, **changes):
    """From ``effective`` on, ``institution`` has the ``changes`` (``parent`` by object or code, ``name``,
    ``kind``, ``level``, ``district_code``, ``commune_code``); flushes, the view commits.

    A change may only be added after the institution's last recorded change (history is written in
    order; correcting the past means recording its changes again on a copy of the database, which a
    frozen report never needs). Refused when nothing would change.
    """
    require(actor, "org.edit")
    effective = _as_date(effective)
    versions = versions_of(institution.id)
    current = versions[-1] if versions else None
    base = ({k: getattr(current, k) for k in DATED} if current is not None else _snapshot(institution))
    if current is not None and current.valid_from is not None and effective <= current.valid_from:
        raise DomainError(_l("%(code)s already has a change on %(date)s; a new change must come after it.",
                             code=institution.code, date=current.valid_from.isoformat()), field="effective")
    # validate against the values of that time (a probe with the latest version's values)
    probe_base = type("Base", (), {})()
    probe_base.id, probe_base.code = institution.id, institution.code
    for key, value in base.items():
        setattr(probe_base, key, value)
    new = _coerce_change(probe_base, changes)
    if all(new[k] == base[k] for k in DATED):
        raise DomainError(_l("Nothing changes for %(code)s on %(date)s.", code=institution.code,
                             date=effective.isoformat()))
    if current is None:
        current = InstitutionVersion(institution_id=institution.id, valid_from=None, note="", **base)
        db.session.add(current)
    current.valid_to = effective - ONE_DAY
    db.session.add(InstitutionVersion(institution_id=institution.id, valid_from=effective, valid_to=None,
                                      note=(note or "").strip()[:300], **new))
    db.session.flush()
    apply_due(today=today, ids=[institution.id])
    return institution


@dataclass
class PlannedChange:
    """One line of a batch preview: the institution, what it is, what it becomes, or why it cannot."""

    code: str
    institution: object = None
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    error: str = ""


def preview_batch(effective, changes):
    """What a batch of changes (``[{"code": ..., <attributes>}]``) would do on ``effective``, nothing written.

    Each line says the values before and after, or the error a librarian can act on; a batch is
    applied only when no line has an error.
    """
    from . import services
    effective = _as_date(effective)
    out = []
    seen = set()
    for entry in changes:
        entry = dict(entry)
        code = str(entry.pop("code", "") or "").strip().upper()
        line = PlannedChange(code=code)
        out.append(line)
        try:
            if code in seen:
                raise DomainError(_l("%(code)s appears twice in the batch.", code=code))
            seen.add(code)
            inst = services.get_by_code(code)
            line.institution = inst
            versions = versions_of(inst.id)
            last = versions[-1] if versions else None
            if last is not None and last.valid_from is not None and effective <= last.valid_from:
                raise DomainError(_l("%(code)s already has a change on %(date)s; a new change must come after it.",
                                     code=code, date=last.valid_from.isoformat()))
            base = {k: getattr(last, k) for k in DATED} if last is not None else _snapshot(inst)
            probe = type("Base", (), {})()
            probe.id, probe.code = inst.id, inst.code
            for key, value in base.items():
                setattr(probe, key, value)
            after = _coerce_change(probe, entry)
            line.before = {k: base[k] for k in DATED if after[k] != base[k]}
            line.after = {k: after[k] for k in DATED if after[k] != base[k]}
            if not line.after:
                raise DomainError(_l("Nothing changes for %(code)s on %(date)s.", code=code,
                                     date=effective.isoformat()))
        except DomainError as exc:
            line.error = str(exc.message)
    return out


def apply_batch(effective, changes, *, actor, note="", today=None):
    """Apply a batch previewed by ``preview_batch``: all lines or none (flushes; the view commits)."""
    require(actor, "org.edit")
    preview = preview_batch(effective, changes)
    errors = [f"{line.code}: {line.error}" for line in preview if line.error]
    if errors:
        raise DomainError(_l("The reorganisation was not applied; correct these lines first: %(errors)s",
                             errors="; ".join(errors)))
    for line, entry in zip(preview, changes):
        fields = {k: v for k, v in dict(entry).items() if k != "code"}
        record_change(line.institution, effective, actor=actor, note=note, today=today, **fields)
    return preview


def apply_due(*, today=None, ids=None):
    """Bring the ``institutions`` rows in line with the versions in force ``today``; the ids changed."""
    today = today or local_today()
    query = sa.select(InstitutionVersion)
    if ids is not None:
        query = query.where(InstitutionVersion.institution_id.in_(list(ids)))
    changed = []
    for version in db.session.scalars(query):
        if not version.covers(today):
            continue
        inst = db.session.get(Institution, version.institution_id)
        if any(getattr(inst, k) != getattr(version, k) for k in DATED):
            for key in DATED:
                setattr(inst, key, getattr(version, key))
            changed.append(inst.id)
    db.session.flush()
    return changed


def change_dates(start, end):
    """Effective dates of changes falling after ``start`` and on or before ``end`` (where a period splits)."""
    rows = db.session.scalars(sa.select(InstitutionVersion.valid_from).distinct()
                              .where(InstitutionVersion.valid_from > start,
                                     InstitutionVersion.valid_from <= end))
    return sorted(rows)


def network_on(day, institutions=None):
    """``[InstitutionAt]``: the active institutions as they were on ``day``, in code order."""
    if institutions is None:
        institutions = db.session.scalars(sa.select(Institution).where(Institution.active.is_(True))
                                          .order_by(Institution.code)).all()
    versions = {}
    for version in db.session.scalars(sa.select(InstitutionVersion)):
        if version.covers(day):
            versions[version.institution_id] = version
    from ..common.text import sort_key
    out = []
    for inst in institutions:
        source = versions.get(inst.id, inst)
        out.append(InstitutionAt(id=inst.id, code=inst.code, name=source.name, kind=source.kind,
                                 level=source.level, parent_id=source.parent_id,
                                 district_code=source.district_code, commune_code=source.commune_code,
                                 name_sort=sort_key(source.name or ""), current_name=inst.name))
    return out


def overlap_problems():
    """``flask check``: no two versions of an institution overlap, none ends before it starts, and
    an institution's versions cover all time without a gap."""
    problems = []
    by_inst = {}
    for version in db.session.scalars(sa.select(InstitutionVersion).order_by(InstitutionVersion.id)):
        by_inst.setdefault(version.institution_id, []).append(version)
    codes = dict(db.session.execute(sa.select(Institution.id, Institution.code)).all())
    low = dt.date.min
    for inst_id, versions in sorted(by_inst.items()):
        code = codes.get(inst_id, inst_id)
        versions.sort(key=lambda v: v.valid_from or low)
        for v in versions:
            if v.valid_from and v.valid_to and v.valid_to < v.valid_from:
                problems.append(f"institution {code}: a version ends ({v.valid_to}) before it starts ({v.valid_from})")
        for a, b in zip(versions, versions[1:]):
            a_end = a.valid_to or dt.date.max
            b_start = b.valid_from or low
            if b_start <= a_end:
                problems.append(f"institution {code}: versions from {a.valid_from or 'the beginning'} and "
                                f"from {b.valid_from or 'the beginning'} overlap")
            elif b_start - a_end > ONE_DAY:
                problems.append(f"institution {code}: no version covers {a_end + ONE_DAY} to {b_start - ONE_DAY}")
        if versions[0].valid_from is not None:
            problems.append(f"institution {code}: no version covers the days before {versions[0].valid_from}")
        if versions[-1].valid_to is not None:
            problems.append(f"institution {code}: no version covers the days after {versions[-1].valid_to}")
    today = local_today()
    for inst_id, versions in sorted(by_inst.items()):
        now = next((v for v in versions if v.covers(today)), None)
        inst = db.session.get(Institution, inst_id)
        if now is not None and any(getattr(inst, k) != getattr(now, k) for k in DATED):
            problems.append(f"institution {inst.code}: its record does not hold the change in force since "
                            f"{now.valid_from} yet (repair applies it)")
    # a read-only check leaves no transaction open: SQLite's later checks may need the write lock
    db.session.rollback()
    return problems


def repair_due():
    changed = apply_due()
    return f"{len(changed)} institution(s) brought in line with the changes in force today"
