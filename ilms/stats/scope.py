"""What a page or report is about (province, a group, one institution) and who may look at it."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.errors import DomainError, PermissionDenied
from ..extensions import db
from ..org.models import Area, AreaLevel, Institution, InstitutionKind, Level


class ScopeError(DomainError):
    pass


@dataclass(frozen=True)
class Scope:
    """``province``, ``kind:<institution kind>``, ``level:<level>``, ``district:<area code>``,
    ``commune:<area code>`` or ``inst:<code>``.

    A district scope is the area of a former district (for any year: the institutions whose
    district area it is); a commune scope the institutions of that commune.
    """

    kind: str
    value: str | None = None

    @property
    def key(self):
        return "province" if self.kind == "province" else f"{self.kind}:{self.value}"

    @property
    def is_institution(self):
        return self.kind == "inst"

    def members(self, network):
        if self.kind == "province":
            return list(network)
        if self.kind == "kind":
            kinds = set(self.value.split(","))
            return [i for i in network if i.kind.value in kinds]
        if self.kind == "level":
            return [i for i in network if i.level.value == self.value]
        if self.kind == "district":
            return [i for i in network if i.district_code == self.value]
        if self.kind == "commune":
            return [i for i in network if i.commune_code == self.value]
        return [i for i in network if i.code == self.value]

    def label(self, network=None):
        if self.kind == "province":
            return _l("Whole province")
        if self.kind == "kind":
            return _l("All: %(kind)s", kind=", ".join(str(InstitutionKind(k).label) for k in self.value.split(",")))
        if self.kind == "level":
            return _l("All at %(level)s level", level=Level(self.value).label)
        if self.kind in ("district", "commune"):
            area = db.session.scalar(sa.select(Area).where(Area.code == self.value))
            name = area.name if area is not None else self.value
            if self.kind == "district":
                return _l("Area of %(name)s (%(code)s)", name=name, code=self.value)
            return _l("%(name)s (%(code)s)", name=name, code=self.value)
        inst = next((i for i in network or () if i.code == self.value), None)
        return inst.name if inst is not None else self.value


PROVINCE = Scope("province")
KIND_VALUES = frozenset(k.value for k in InstitutionKind)


def target_scope(target):
    """The scope key naming a target's group (its kinds or its level)."""
    return f"level:{target.level}" if target.level else "kind:" + ",".join(sorted(target.kind_list))


def parse_scope(text):
    """A ``Scope`` from its key, or ``ScopeError`` saying what is accepted."""
    text = (text or "province").strip()
    if text == "province":
        return PROVINCE
    kind, _, value = text.partition(":")
    kinds = value.split(",")
    if kind == "kind" and value and all(k in KIND_VALUES for k in kinds):
        return Scope("kind", ",".join(sorted(set(kinds))))
    if kind == "level" and value in {lv.value for lv in Level}:
        return Scope("level", value)
    if kind in ("inst", "institution") and value.strip():
        return Scope("inst", value.strip().upper())
    if kind in ("district", "commune") and value.strip():
        code = value.strip().upper()
        level = AreaLevel.DISTRICT if kind == "district" else AreaLevel.COMMUNE
        if db.session.scalar(sa.select(Area.id).where(Area.code == code, Area.level == level)) is None:
            raise ScopeError(_l("No %(level)s has the code %(code)s.", level=level.label, code=code))
        return Scope(kind, code)
    raise ScopeError(_l("Unknown scope “%(scope)s”: choose the province, a type or level of institutions, "
                        "an area (district:CODE, commune:CODE) or one institution.", scope=text))


def network():
    """The active institutions, in code order (the document's order)."""
    return db.session.scalars(sa.select(Institution).where(Institution.active.is_(True))
                              .order_by(Institution.code)).all()


def visible_ids(user):
    """Institution ids whose figures ``user`` may open, or ``None`` for the whole province."""
    if getattr(user, "is_system", False) or getattr(user, "province_wide", False):
        return None
    return frozenset(user.scope_ids())


def check_scope(user, scope, members):
    """Refuse a scope reaching beyond what the user may see (staff: their institution and its units)."""
    if not user.can("stats.view"):
        raise PermissionDenied()
    allowed = visible_ids(user)
    if allowed is None:
        return
    if not scope.is_institution or not members or any(m.id not in allowed for m in members):
        raise PermissionDenied(_l("You can see the figures of your own institution and its units only; "
                                  "choose one of them."))


def default_scope(user, network_rows):
    allowed = visible_ids(user)
    if allowed is None:
        return PROVINCE
    own = next((i for i in network_rows if i.id == user.institution_id), None)
    if own is None:
        own = next((i for i in network_rows if i.id in allowed), None)
    if own is None:
        raise PermissionDenied(_l("Your account belongs to no active institution, so there are no figures "
                                  "to show you."))
    return Scope("inst", own.code)


def scope_choices(user, network_rows):
    """``[(group label, [(key, label)])]`` for the scope selector."""
    allowed = visible_ids(user)
    if allowed is not None:
        return [(_l("Institutions"), [(f"inst:{i.code}", f"{i.name} ({i.code})")
                                      for i in network_rows if i.id in allowed])]
    kinds = [k for k in InstitutionKind if any(i.kind == k for i in network_rows)]
    levels = [lv for lv in Level if any(i.level == lv for i in network_rows)]
    by_name = sorted(network_rows, key=lambda i: i.name_sort)
    areas = db.session.scalars(sa.select(Area).order_by(Area.code)).all()
    used_districts = {i.district_code for i in network_rows}
    used_communes = {i.commune_code for i in network_rows}
    # areas that held institutions in the past too (a commune merged on 1 July 2025: issue 25)
    from ..org.models import InstitutionVersion
    for district, commune in db.session.execute(sa.select(InstitutionVersion.district_code,
                                                          InstitutionVersion.commune_code)):
        used_districts.add(district)
        used_communes.add(commune)
    choices = [
        (_l("Province"), [("province", _l("Whole province"))]),
        (_l("Groups by type"), [(f"kind:{k.value}", k.label) for k in kinds]),
        (_l("Groups by level"), [(f"level:{lv.value}", lv.label) for lv in levels]),
    ]
    districts = [(f"district:{a.code}", f"{a.name} ({a.code})") for a in areas
                 if a.level == AreaLevel.DISTRICT and a.code in used_districts]
    communes = [(f"commune:{a.code}", f"{a.name} ({a.code})") for a in areas
                if a.level == AreaLevel.COMMUNE and a.code in used_communes]
    if districts:
        choices.append((_l("Areas of former districts"), districts))
    if communes:
        choices.append((_l("Communes"), communes))
    choices.append((_l("Institutions"), [(f"inst:{i.code}", f"{i.name} ({i.code})") for i in by_name]))
    return choices
