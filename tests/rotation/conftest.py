"""A small rotation network: the provincial library, two district libraries, their postal cultural points, and
the people who pack, send, receive and lend."""
import datetime as dt
from types import SimpleNamespace

import pytest

from ilms.common.time import local_datetime

DAY = dt.date(2024, 3, 4)     # a Monday


def at(day, hour=9, minute=0):
    """A local wall-clock time in Lai Châu as an aware UTC instant."""
    return local_datetime(day, dt.time(hour, minute))


def later(days, hour=9):
    return at(DAY + dt.timedelta(days=days), hour)


@pytest.fixture(autouse=True)
def english(app):
    """Service messages in English here (the pages are tested in Vietnamese, as people see them)."""
    from flask_babel import force_locale
    with force_locale("en"):
        yield


@pytest.fixture
def net(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu",
                                barcode_prefix="TVT")
    td = factories.institution("TVH-TD", kind="district_library", parent=tvt, name="Thư viện huyện Tam Đường",
                               barcode_prefix="HTD")
    pt = factories.institution("TVH-PT", kind="district_library", parent=tvt, name="Thư viện huyện Phong Thổ",
                               barcode_prefix="HPT")
    bl = factories.institution("BD-TD-BL", kind="postal_cultural_point", parent=td,
                               name="Điểm Bưu điện văn hóa xã Bình Lư")
    bb = factories.institution("BD-TD-BB", kind="postal_cultural_point", parent=td,
                               name="Điểm Bưu điện văn hóa xã Bản Bo")
    ms = factories.institution("BD-PT-MS", kind="postal_cultural_point", parent=pt,
                               name="Điểm Bưu điện văn hóa xã Mường So")
    return SimpleNamespace(
        tvt=tvt, td=td, pt=pt, bl=bl, bb=bb, ms=ms,
        staff=factories.user("rot.td", role="rotation", institution=td),
        staff_pt=factories.user("rot.pt", role="rotation", institution=pt),
        point_staff=factories.user("point.bl", role="rotation", institution=bl),
        point_staff_ms=factories.user("point.ms", role="rotation", institution=ms),
        desk=factories.user("desk.td", role="desk", institution=td),
        admin=factories.user("admin.rot", role="admin"),
    )


@pytest.fixture
def copies(net, factories):
    """Make ``n`` available copies (of Tam Đường unless told), each of its own title."""
    def make(n, institution=None, **fields):
        return [factories.item(institution or net.td, **fields) for _ in range(n)]
    return make


@pytest.fixture
def reader(net, factories):
    def make(institution=None, **fields):
        fields.setdefault("card_issued", dt.date(2020, 1, 1))
        fields.setdefault("card_expires", dt.date(2030, 12, 31))
        return factories.patron(institution or net.td, **fields)
    return make


@pytest.fixture
def packed(net, copies):
    """A crate of Tam Đường holding ``n`` fresh copies, packed by its rotation staff; returns (crate, items)."""
    from ilms.extensions import db
    from ilms.rotation import services as rot

    def make(n=3, *, code=None):
        crate = rot.create_crate(actor=net.staff, institution=net.td, code=code, theme="farming",
                                 title="Sách nông nghiệp", at=at(DAY, 8))
        items = copies(n)
        for item in items:
            rot.pack(crate, item.barcode, actor=net.staff, at=at(DAY, 8, 30))
        db.session.commit()
        return crate, items
    return make
