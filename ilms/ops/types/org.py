"""The ``area``, ``institution`` and ``institution_change`` record types of the exchange format."""
from ...org import history, services
from ...org.models import Area, AreaLevel, Institution, InstitutionKind, Level
from ...extensions import db
from .. import registry as ops

#: ``institution_change`` fields and the dated attributes they carry.
CHANGE_FIELDS = {"parent": "parent_id", "name": "name", "kind": "kind", "level": "level",
                 "district": "district_code", "commune": "commune_code"}


def apply_area(data, ctx):
    services.upsert_area(actor=ctx.actor, code=data["code"], name=data["name"], level=data["level"],
                         district=data.get("district"))


def export_areas(period):
    """Every administrative area (reference data): districts first, then their communes."""
    rows = []
    for area in db.session.scalars(db.select(Area)):
        line = {"type": "area", "code": area.code, "name": area.name, "level": area.level.value}
        if area.district_code:
            line["district"] = area.district_code
        rows.append(((0, 0 if area.level == AreaLevel.DISTRICT else 1, area.code), line))
    return sorted(rows, key=lambda row: row[0])


def apply_institution(data, ctx):
    parent = services.get_by_code(data["parent"]) if data["parent"] else None
    areas = {key: data[field_name] for field_name, key in (("district", "district_code"),
                                                           ("commune", "commune_code")) if data.get(field_name)}
    services.upsert_institution(actor=ctx.actor, code=data["code"], name=data["name"],
                                kind=data["kind"], level=data["level"], parent=parent, **areas)


def _first_values():
    """``{institution id: (name, kind, level, parent_id, district, commune)}`` as each institution first was."""
    out = {}
    for inst in db.session.scalars(db.select(Institution)):
        out[inst.id] = (inst.name, inst.kind, inst.level, inst.parent_id, inst.district_code, inst.commune_code)
    for inst_id in list(out):
        versions = history.versions_of(inst_id)
        if versions:
            v = versions[0]
            out[inst_id] = (v.name, v.kind, v.level, v.parent_id, v.district_code, v.commune_code)
    return out


def export_institutions(period):
    """Every institution as it first was (its later changes follow as ``institution_change`` lines),
    parents before their children."""
    first = _first_values()
    codes = dict(db.session.execute(db.select(Institution.id, Institution.code)).all())

    def depth(inst_id, seen=()):
        parent = first[inst_id][3]
        return 0 if parent is None or parent in seen else 1 + depth(parent, seen + (inst_id,))

    rows = []
    for inst_id, (name, kind, level, parent_id, district, commune) in first.items():
        line = {"type": "institution", "code": codes[inst_id], "name": name,
                "kind": kind.value, "level": level.value}
        if parent_id is not None:
            line["parent"] = codes[parent_id]
        if district:
            line["district"] = district
        if commune:
            line["commune"] = commune
        rows.append(((0, depth(inst_id), codes[inst_id]), line))
    return sorted(rows, key=lambda row: row[0])


def apply_institution_change(data, ctx):
    """Record a dated change (``org.history.record_change``); ``cleared`` names what becomes empty."""
    inst = services.get_by_code(data["code"])
    changes = {}
    for field_name, attr in CHANGE_FIELDS.items():
        if data.get(field_name) is not None:
            changes["parent" if attr == "parent_id" else attr] = data[field_name]
    for field_name in data.get("cleared") or ():
        changes["parent" if field_name == "parent" else CHANGE_FIELDS[field_name]] = None if \
            field_name == "parent" else ""
    history.record_change(inst, data["effective"], actor=ctx.actor, note=data.get("note") or "", **changes)


def export_institution_changes(period):
    """Every dated change of every institution (all of history: the structure is reference data),
    in date order after the institutions."""
    codes = dict(db.session.execute(db.select(Institution.id, Institution.code)).all())
    rows = []
    for inst_id, code in codes.items():
        versions = history.versions_of(inst_id)
        for before, after in zip(versions, versions[1:]):
            line = {"type": "institution_change", "code": code, "effective": after.valid_from.isoformat()}
            cleared = []
            for field_name, attr in CHANGE_FIELDS.items():
                old, new = getattr(before, attr), getattr(after, attr)
                if old == new:
                    continue
                if new is None:
                    cleared.append(field_name)
                elif attr == "parent_id":
                    line[field_name] = codes[new]
                else:
                    line[field_name] = getattr(new, "value", new)
            if cleared:
                line["cleared"] = cleared
            if after.note:
                line["note"] = after.note
            rows.append(((0, after.valid_from.isoformat(), code), line))
    return sorted(rows, key=lambda row: row[0])


ops.register(ops.RecordType(
    name="area", order=5, apply=apply_area, export=export_areas,
    description="An administrative area: a district (kept as the area of a former district) or a commune, "
                "with the district it belonged to. Institutions name their areas by code, so areas come first.",
    fields={
        "code": ops.text(), "name": ops.text(),
        "level": ops.choice(*(lv.value for lv in AreaLevel)),
        "district": ops.text(required=False),
    }))

ops.register(ops.RecordType(
    name="institution", order=10, apply=apply_institution, export=export_institutions,
    fields={
        "code": ops.text(), "name": ops.text(),
        "kind": ops.choice(*(k.value for k in InstitutionKind)),
        "level": ops.choice(*(lv.value for lv in Level)),
        "parent": ops.text(required=False),
        "district": ops.text(required=False), "commune": ops.text(required=False),
    }))

ops.register(ops.RecordType(
    name="institution_change", order=11, apply=apply_institution_change, export=export_institution_changes,
    description="From `effective` on, the institution `code` has the values given; `cleared` lists "
                "parent, district or commune that become empty. The areas named must exist.",
    fields={
        "code": ops.text(), "effective": ops.date(),
        "parent": ops.text(required=False), "name": ops.text(required=False),
        "kind": ops.choice(*(k.value for k in InstitutionKind), required=False),
        "level": ops.choice(*(lv.value for lv in Level), required=False),
        "district": ops.text(required=False), "commune": ops.text(required=False),
        "cleared": ops.list_of(ops.choice("parent", "district", "commune"), required=False),
        "note": ops.text(required=False),
    }))
