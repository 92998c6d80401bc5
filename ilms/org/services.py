"""Rules for institutions: codes, kinds and levels, the tree, staff scope."""
import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.db import valid_id
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean
from ..extensions import db
from .models import ALLOWED_LEVELS, DEPENDENT_KINDS, Area, AreaLevel, Institution, InstitutionKind, Level

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{1,19}$")
FIELDS = ("code", "name", "kind", "level", "parent", "address", "phone", "email",
          "barcode_prefix", "active", "district_code", "commune_code", "go_live")


def get_by_code(code, *, required=True):
    inst = db.session.scalar(sa.select(Institution).where(Institution.code == (code or "").strip().upper()))
    if inst is None and required:
        raise NotFound(_l("No institution has the code %(code)s.", code=code))
    return inst


def get(institution_id):
    inst = db.session.get(Institution, institution_id) if valid_id(institution_id) else None
    if inst is None:
        raise NotFound(_l("This institution does not exist."))
    return inst


def all_institutions(*, active_only=False, kinds=None):
    query = sa.select(Institution).order_by(Institution.name_sort)
    if active_only:
        query = query.where(Institution.active.is_(True))
    if kinds:
        query = query.where(Institution.kind.in_(list(kinds)))
    return db.session.scalars(query).all()


def tree():
    """Institutions as (institution, depth) pairs in tree order, for display."""
    items = all_institutions()
    children = {}
    for inst in items:
        children.setdefault(inst.parent_id, []).append(inst)
    out = []

    def walk(parent_id, depth):
        for inst in children.get(parent_id, []):
            out.append((inst, depth))
            walk(inst.id, depth + 1)

    walk(None, 0)
    return out


def scope_ids(institution_id):
    """The institution and the dependent units under it (points, houses, internet points).

    Staff of an institution work for these; an independent institution
    further down (a district library under the provincial library) is not
    part of the scope.
    """
    if institution_id is None:
        return frozenset()
    rows = db.session.execute(sa.select(Institution.id, Institution.parent_id, Institution.kind)).all()
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    scope, stack = {institution_id}, [institution_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child.kind in DEPENDENT_KINDS and child.id not in scope:
                scope.add(child.id)
                stack.append(child.id)
    return frozenset(scope)


def ancestors(institution):
    seen, node = [], institution.parent
    while node is not None and node not in seen:
        seen.append(node)
        node = node.parent
    return seen


def _coerce(fields):
    data = dict(fields)
    for key in ("name", "address", "phone", "email"):
        if key in data and data[key] is not None:
            data[key] = clean(data[key])
    if "code" in data:
        data["code"] = (data["code"] or "").strip().upper()
    if data.get("barcode_prefix") is not None:
        data["barcode_prefix"] = data["barcode_prefix"].strip().upper() or None
    for key in ("district_code", "commune_code"):
        if key in data:
            data[key] = (data[key] or "").strip().upper() or None
    if isinstance(data.get("go_live"), str):
        try:
            data["go_live"] = dt.date.fromisoformat(data["go_live"].strip()) if data["go_live"].strip() else None
        except ValueError:
            raise DomainError(_l("Write the go-live date as YYYY-MM-DD, e.g. 2024-01-01."), field="go_live")
    for key, enum_cls in (("kind", InstitutionKind), ("level", Level)):
        if key in data and not isinstance(data[key], enum_cls):
            try:
                data[key] = enum_cls(data[key])
            except ValueError:
                allowed = ", ".join(m.value for m in enum_cls)
                raise DomainError(_l("Unknown %(field)s “%(value)s”; use one of: %(allowed)s.",
                                     field=key, value=data[key], allowed=allowed), field=key)
    return data


def _validate(inst):
    if not inst.code or not _CODE.match(inst.code):
        raise DomainError(_l("The code must be 2–20 capital letters, digits or hyphens (e.g. TVH-TD)."),
                          field="code")
    if not inst.name:
        raise DomainError(_l("The institution needs a name."), field="name")
    if inst.level not in ALLOWED_LEVELS[inst.kind]:
        allowed = ", ".join(str(level.label) for level in ALLOWED_LEVELS[inst.kind])
        raise DomainError(_l("A %(kind)s sits at level: %(allowed)s.", kind=inst.kind.label, allowed=allowed),
                          field="level")
    clash = db.session.scalar(sa.select(Institution.id).where(
        Institution.code == inst.code, Institution.id != (inst.id or -1)))
    if clash:
        raise Conflict(_l("Another institution already has the code %(code)s.", code=inst.code), field="code")
    if inst.barcode_prefix:
        clash = db.session.scalar(sa.select(Institution.code).where(
            Institution.barcode_prefix == inst.barcode_prefix, Institution.id != (inst.id or -1)))
        if clash:
            raise Conflict(_l("The barcode prefix %(prefix)s is already used by %(code)s.",
                              prefix=inst.barcode_prefix, code=clash), field="barcode_prefix")
    for key, level in (("district_code", AreaLevel.DISTRICT), ("commune_code", AreaLevel.COMMUNE)):
        code = getattr(inst, key)
        if code and get_area(code, required=False) is None:
            raise DomainError(_l("No %(level)s has the code %(code)s; add the area first.",
                                 level=level.label, code=code), field=key)
    commune = get_area(inst.commune_code, required=False) if inst.commune_code else None
    if commune is not None and commune.district_code and not inst.district_code:
        inst.district_code = commune.district_code
    parent = inst.parent
    if parent is not None:
        if parent is inst or inst in ancestors(parent):
            raise DomainError(_l("An institution cannot be placed under itself or its own units."),
                              field="parent")
        if parent.level.rank > inst.level.rank:
            raise DomainError(_l("The parent (%(parent)s) is at a lower level than this institution.",
                                 parent=parent.name), field="parent")


def create_institution(*, actor, **fields):
    require(actor, "org.edit")
    data = _coerce(fields)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    inst = Institution(active=True, address="", phone="", email="")
    for key, value in data.items():
        setattr(inst, key, value)
    with db.session.no_autoflush:
        _validate(inst)
    db.session.add(inst)
    db.session.flush()
    return inst


def update_institution(institution, *, actor, **fields):
    require(actor, "org.edit", institution)
    data = _coerce(fields)
    for key, value in data.items():
        if key not in FIELDS:
            raise DomainError(_l("Unknown fields: %(fields)s", fields=key))
        setattr(institution, key, value)
    with db.session.no_autoflush:
        _validate(institution)
    db.session.flush()
    return institution


def upsert_institution(*, actor, code, **fields):
    """Create the institution with ``code`` or bring it in line with ``fields`` (imports)."""
    existing = get_by_code(code, required=False)
    if existing is None:
        return create_institution(actor=actor, code=code, **fields)
    return update_institution(existing, actor=actor, **fields)


# -- administrative areas ----------------------------------------------------------------------------

def get_area(code, *, required=True):
    area = db.session.scalar(sa.select(Area).where(Area.code == (code or "").strip().upper()))
    if area is None and required:
        raise NotFound(_l("No area has the code %(code)s.", code=code))
    return area


def all_areas(level=None):
    query = sa.select(Area).order_by(Area.code)
    if level is not None:
        query = query.where(Area.level == AreaLevel(level))
    return db.session.scalars(query).all()


def upsert_area(*, actor, code, name, level, district=None):
    """Create the area ``code`` or bring its name and district in line (demo and imports)."""
    require(actor, "org.edit")
    code = (code or "").strip().upper()
    if not _CODE.match(code):
        raise DomainError(_l("The code must be 2–20 capital letters, digits or hyphens (e.g. TVH-TD)."),
                          field="code")
    try:
        level = AreaLevel(level)
    except ValueError:
        raise DomainError(_l("An area is a district or a commune."), field="level")
    area = get_area(code, required=False)
    if area is None:
        area = Area(code=code)
        db.session.add(area)
    area.name, area.level = clean(name), level
    area.district_code = (district or "").strip().upper() or None if level == AreaLevel.COMMUNE else None
    db.session.flush()
    return area
