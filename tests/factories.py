"""Small data factories for tests; each call makes real rows through the services."""
import itertools

from ilms.accounts import services as accounts
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org

PASSWORD = "correct-horse-1"
_seq = itertools.count(1)


def institution(code=None, *, kind="district_library", level=None, parent=None, name=None, **fields):
    n = next(_seq)
    levels = {"provincial_library": "province", "museum": "province", "district_library": "district",
              "postal_cultural_point": "commune", "cultural_center": "district", "cultural_house": "village",
              "internet_point": "commune"}
    inst = org.create_institution(actor=SYSTEM, code=code or f"T{n:03d}", name=name or f"Đơn vị thử {n}",
                                  kind=kind, level=level or levels[kind], parent=parent, **fields)
    db.session.commit()
    return inst


def user(username=None, *, role="librarian", institution=None, password=PASSWORD, **fields):
    n = next(_seq)
    if institution is None and role not in ("admin", "manager", "department"):
        institution = globals()["institution"]()
    made = accounts.create_user(actor=SYSTEM, username=username or f"user{n}", full_name=f"Cán bộ {n}",
                                password=password, role=role, institution=institution, **fields)
    db.session.commit()
    return made


def patron(institution=None, *, name=None, barcode=None, category="adult", **fields):
    """A reader of ``institution`` (a new library when none), card valid for a year from today."""
    from ilms.patrons import services as patrons
    n = next(_seq)
    made = patrons.register_patron(actor=SYSTEM, institution=institution or globals()["institution"](),
                                   name=name or f"Bạn đọc {n}", barcode=barcode, category=category, **fields)
    db.session.commit()
    return made


def item(institution=None, *, title=None, barcode=None, record=None, accessioned=None):
    """One available copy owned by ``institution`` (of a new minimal record unless ``record`` is given)."""
    import datetime as dt

    from ilms.catalog import services as catalog
    n = next(_seq)
    record = record or catalog.create_minimal_record(title=title or f"Sách thử {n}")
    (made,) = catalog.add_copies(record, institution=institution or globals()["institution"](), actor=SYSTEM,
                                 source="purchase", accessioned=accessioned or dt.date(2020, 1, 1),
                                 barcodes=[barcode] if barcode else None)
    db.session.commit()
    return made
