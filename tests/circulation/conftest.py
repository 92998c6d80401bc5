"""A small network for desk tests: the provincial library, a district library and one of its points."""
import datetime as dt
from types import SimpleNamespace

import pytest

from ilms.common.time import local_datetime


def at(day, hour=9, minute=0):
    """A local wall-clock time in Lai Châu as an aware UTC instant."""
    return local_datetime(day, dt.time(hour, minute))


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
    point = factories.institution("BD-TD-BL", kind="postal_cultural_point", parent=td,
                                  name="Điểm Bưu điện văn hóa xã Bình Lư")
    return SimpleNamespace(
        tvt=tvt, td=td, point=point,
        desk_tvt=factories.user("desk.tvt", role="desk", institution=tvt),
        desk_td=factories.user("desk.td", role="desk", institution=td),
        librarian_tvt=factories.user("lib.tvt", role="librarian", institution=tvt),
        admin=factories.user("admin.net", role="admin"),
    )


@pytest.fixture
def reader(net, factories):
    """Make a reader (of TVT unless told) whose card is valid 2020–2030 unless told otherwise."""
    def make(institution=None, **fields):
        fields.setdefault("card_issued", dt.date(2020, 1, 1))
        fields.setdefault("card_expires", dt.date(2030, 12, 31))
        return factories.patron(institution or net.tvt, **fields)
    return make


@pytest.fixture
def copy(net, factories):
    """Make an available copy (owned by TVT unless told)."""
    def make(institution=None, **fields):
        return factories.item(institution or net.tvt, **fields)
    return make
