"""Demo: the Lai Châu network of institutions and one staff user per role."""
import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from ..accounts import services as accounts
from ..accounts.models import User
from ..accounts.permissions import Role
from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..extensions import db
from ..org import services as org

#: The documented password of every demo account (README, scripts/run).
DEMO_PASSWORD = "laichau2016"

PROVINCE = [
    # code, name, kind, level, parent, barcode prefix
    ("TVT", "Thư viện tỉnh Lai Châu", "provincial_library", "province", None, "TVT"),
    ("BTT", "Bảo tàng tỉnh Lai Châu", "museum", "province", None, None),
    ("TTVH", "Trung tâm Văn hóa – Thông tin – Triển lãm tỉnh Lai Châu", "cultural_center", "province",
     None, None),
]

# district slug, code suffix, district name, communes with a postal cultural point, villages with a cultural house
DISTRICTS = [
    ("TP", "Thành phố Lai Châu", ["San Thàng", "Nậm Loỏng"], ["bản Gia Khâu", "bản Thành Công"]),
    ("TD", "Tam Đường", ["Bình Lư", "Bản Bo", "Sơn Bình"], ["bản Nà Khum", "bản Sì Thâu Chải"]),
    ("PT", "Phong Thổ", ["Mường So", "Dào San", "Sì Lở Lầu"], ["bản Sin Súi Hồ", "bản Hoang Thèn"]),
    ("SH", "Sìn Hồ", ["Pa Tần", "Nậm Tăm", "Tả Phìn"], ["bản Nậm Cha", "bản Phăng Sô Lin"]),
    ("MT", "Mường Tè", ["Bum Nưa", "Ka Lăng", "Mù Cả"], ["bản Pa Ủ", "bản Nậm Củm"]),
    ("THU", "Than Uyên", ["Mường Kim", "Phúc Than", "Ta Gia"], ["bản Mì", "bản Lun"]),
    ("TNU", "Tân Uyên", ["Mường Khoa", "Trung Đồng", "Nậm Sỏ"], ["bản Phiêng Phát", "bản Nà Ít"]),
    ("NN", "Nậm Nhùn", ["Lê Lợi", "Nậm Hàng", "Mường Mô"], ["bản Nậm Nhùn", "bản Lai Hà"]),
]

_ASCII = str.maketrans("ĐđÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ",
                       "DdAAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYY")


def commune_code(name):
    return "".join(word[0] for word in name.translate(_ASCII).upper().split())


def network_rows():
    """Every demo institution as (code, name, kind, level, parent code, barcode prefix)."""
    rows = list(PROVINCE)
    for slug, district, communes, villages in DISTRICTS:
        prefix = "thành phố" if slug == "TP" else "huyện"
        lib = f"TVH-{slug}"
        rows.append((lib, f"Thư viện {prefix} {district.removeprefix('Thành phố ')}", "district_library",
                     "district", "TVT", f"H{slug}"))
        center = f"TTVH-{slug}"
        rows.append((center, f"Trung tâm Văn hóa, Thông tin và Thể thao {prefix} "
                             f"{district.removeprefix('Thành phố ')}", "cultural_center", "district", "TTVH", None))
        for commune in communes:
            code = f"BD-{slug}-{commune_code(commune)}"
            rows.append((code, f"Điểm Bưu điện văn hóa xã {commune}", "postal_cultural_point", "commune",
                         lib, None))
        rows.append((f"NVH-{slug}-{commune_code(communes[0])}", f"Nhà văn hóa xã {communes[0]}",
                     "cultural_house", "commune", center, None))
        for village in villages:
            rows.append((f"NVH-{slug}-{commune_code(village.removeprefix('bản '))}",
                         f"Nhà văn hóa {village}", "cultural_house", "village", center, None))
    rows.append(("NET-TD-BL", "Điểm truy cập Internet công cộng xã Bình Lư", "internet_point", "commune",
                 "BD-TD-BL", None))
    return rows


#: username, full name, role, home institution code
DEMO_USERS = [
    ("admin", "Quản trị hệ thống", Role.ADMIN, None),
    ("librarian", "Lò Thị Hương", Role.LIBRARIAN, "TVT"),
    ("desk", "Nguyễn Văn Minh", Role.DESK, "TVT"),
    ("rotation", "Tao Văn Sơn", Role.ROTATION, "TVH-TD"),
    ("internet", "Vàng Thị Mai", Role.INTERNET, "TVH-TD"),
    ("events", "Lường Văn Thắng", Role.EVENTS, "BTT"),
    ("manager", "Đỗ Thị Lan", Role.MANAGER, None),
    ("department", "Trần Văn Hùng", Role.DEPARTMENT, None),
    ("planner", "Giàng Thị Mỷ", Role.PLANNER, None),
] + [
    (f"librarian.{slug.lower()}", f"Thủ thư {district}", Role.LIBRARIAN, f"TVH-{slug}")
    for slug, district, _c, _v in DISTRICTS
]


def area_rows():
    """The demo's areas: the eight former districts and their communes with a postal cultural point.

    ``[(code, name, level, district code)]``; a commune's code is the district's slug and its initials.
    """
    rows = []
    for slug, district, communes, _villages in DISTRICTS:
        rows.append((slug, district if slug == "TP" else f"Huyện {district}", "district", None))
        for commune in communes:
            rows.append((f"{slug}-{commune_code(commune)}", f"Xã {commune}", "commune", slug))
    return rows


def institution_areas():
    """``{institution code: (district code, commune code or None)}``; province-level institutions serve the
    whole province and carry no area; a village's cultural house is placed in its district only."""
    out = {}
    for slug, _district, communes, villages in DISTRICTS:
        out[f"TVH-{slug}"] = out[f"TTVH-{slug}"] = (slug, None)
        for commune in communes:
            out[f"BD-{slug}-{commune_code(commune)}"] = (slug, f"{slug}-{commune_code(commune)}")
        out[f"NVH-{slug}-{commune_code(communes[0])}"] = (slug, f"{slug}-{commune_code(communes[0])}")
        for village in villages:
            out[f"NVH-{slug}-{commune_code(village.removeprefix('bản '))}"] = (slug, None)
    out["NET-TD-BL"] = ("TD", "TD-BL")
    return out


def load_network(rng):
    for code, name, level, district in area_rows():
        org.upsert_area(actor=SYSTEM, code=code, name=name, level=level, district=district)
    areas = institution_areas()
    created = 0
    for code, name, kind, level, parent, prefix in network_rows():
        if org.get_by_code(code, required=False) is not None:
            continue
        org.create_institution(actor=SYSTEM, code=code, name=name, kind=kind, level=level,
                               parent=org.get_by_code(parent) if parent else None, barcode_prefix=prefix,
                               address=f"Lai Châu, {name}", district_code=areas.get(code, (None, None))[0],
                               commune_code=areas.get(code, (None, None))[1])
        created += 1
    users = 0
    for username, full_name, role, home in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.username == username)):
            continue
        accounts.create_user(actor=SYSTEM, username=username, full_name=full_name, password=DEMO_PASSWORD,
                             role=role, institution=org.get_by_code(home) if home else None)
        users += 1
    return f"{created} institutions, {users} staff accounts added"


def load_plan(rng):
    from ..stats.services import load_plan as load
    plan = load((Path(__file__).with_name("data") / "lai-chau-1133-2015.yaml").read_text(encoding="utf-8"))
    return f"plan {plan.code}, {len(plan.targets)} targets"


#: The reorganisation of 1 July 2025 the demo plays (docs/network-history.md says what it assumes):
#: the communes Bình Lư and Bản Bo of Tam Đường are merged into a new commune Bình Lư, which lies in
#: the area of the former district Tam Đường; both postal cultural points move into it, and the Bản
#: Bo point takes a name that says where it now is.
REORGANISATION = dt.date(2025, 7, 1)
MERGED_COMMUNE = ("TD-BL2025", "Xã Bình Lư (sáp nhập từ 1/7/2025)", "TD")


def reorganisation_rows():
    """``[{code, attributes}]``: the demo's batch of 1 July 2025."""
    return [{"code": "BD-TD-BL", "commune_code": MERGED_COMMUNE[0]},
            {"code": "BD-TD-BB", "commune_code": MERGED_COMMUNE[0],
             "name": "Điểm Bưu điện văn hóa Bản Bo, xã Bình Lư"}]


def load_reorganisation(rng):
    from ..org import history
    from ..org.models import InstitutionVersion
    if db.session.scalar(sa.select(InstitutionVersion.id).limit(1)) is not None:
        return "the network's changes are recorded already"
    code, name, district = MERGED_COMMUNE
    org.upsert_area(actor=SYSTEM, code=code, name=name, level="commune", district=district)
    lines = history.apply_batch(REORGANISATION, reorganisation_rows(), actor=SYSTEM,
                                note="Sắp xếp lại đơn vị hành chính cấp xã từ 1/7/2025")
    return f"reorganisation of {REORGANISATION.isoformat()}: {len(lines)} institutions changed"


register_demo(DemoLoader("network", load_network, order=10))
register_demo(DemoLoader("reorganisation", load_reorganisation, order=12))
register_demo(DemoLoader("plan", load_plan, order=11))
