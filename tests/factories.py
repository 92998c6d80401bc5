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
    if institution is None and role not in ("admin", "manager"):
        institution = globals()["institution"]()
    made = accounts.create_user(actor=SYSTEM, username=username or f"user{n}", full_name=f"Cán bộ {n}",
                                password=password, role=role, institution=institution, **fields)
    db.session.commit()
    return made
