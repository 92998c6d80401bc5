"""Fixtures of the events tests: a small network with a museum, a library and cultural houses."""
import datetime as dt

import pytest
from flask_babel import force_locale

from ilms.common.permissions import SYSTEM
from ilms.events import services
from ilms.extensions import db


@pytest.fixture(autouse=True)
def english(app):
    """Service messages are checked in English here (outside a request ILMS speaks Vietnamese by default).

    Pages are read by users whose language is English, so the same messages appear there.
    """
    with force_locale("en"):
        yield


@pytest.fixture
def network(factories):
    """Museum, provincial library with a district library, cultural centres and houses at each level."""
    n = {}
    n["museum"] = factories.institution("BTT", kind="museum", name="Bảo tàng tỉnh Lai Châu")
    n["library"] = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    n["district_library"] = factories.institution("TVH-TD", parent=n["library"], name="Thư viện huyện Tam Đường")
    n["centre"] = factories.institution("TTVH", kind="cultural_center", level="province", name="Trung tâm Văn hóa tỉnh")
    n["district_a"] = factories.institution("TTVH-TD", kind="cultural_center", level="district", parent=n["centre"],
                                            name="Trung tâm Văn hóa huyện Tam Đường")
    n["district_b"] = factories.institution("TTVH-PT", kind="cultural_center", level="district", parent=n["centre"],
                                            name="Trung tâm Văn hóa huyện Phong Thổ")
    n["commune"] = factories.institution("NVH-TD-BL", kind="cultural_house", level="commune", parent=n["district_a"],
                                         name="Nhà văn hóa xã Bình Lư")
    n["village"] = factories.institution("NVH-TD-NK", kind="cultural_house", level="village", parent=n["district_a"],
                                         name="Nhà văn hóa bản Nà Khum")
    return n


@pytest.fixture
def exhibit(network):
    """Make an exhibition through the services (organised by the museum unless told otherwise)."""
    def make(title="Trang phục các dân tộc", *, kind="thematic", start=dt.date(2024, 3, 1), end=None,
             institution=None, venue="Nhà trưng bày – tầng 1", **fields):
        exhibition = services.create_exhibition(actor=SYSTEM, institution=institution or network["museum"], kind=kind,
                                                title=title, start=start, end=end or start + dt.timedelta(days=29),
                                                venue=venue, **fields)
        db.session.commit()
        return exhibition
    return make
