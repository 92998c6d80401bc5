"""The ``institution`` record type of the exchange format."""
from ...org import services
from ...org.models import InstitutionKind, Level
from .. import registry as ops


def apply_institution(data, ctx):
    parent = services.get_by_code(data["parent"]) if data["parent"] else None
    services.upsert_institution(actor=ctx.actor, code=data["code"], name=data["name"],
                                kind=data["kind"], level=data["level"], parent=parent)


def export_institutions(period):
    """Every institution, parents before their children."""
    rows = []
    for inst, depth in services.tree():
        line = {"type": "institution", "code": inst.code, "name": inst.name,
                "kind": inst.kind.value, "level": inst.level.value}
        if inst.parent is not None:
            line["parent"] = inst.parent.code
        rows.append(((0, depth, inst.code), line))
    return sorted(rows, key=lambda row: row[0])


ops.register(ops.RecordType(
    name="institution", order=10, apply=apply_institution, export=export_institutions,
    fields={
        "code": ops.text(), "name": ops.text(),
        "kind": ops.choice(*(k.value for k in InstitutionKind)),
        "level": ops.choice(*(lv.value for lv in Level)),
        "parent": ops.text(required=False),
    }))
