"""Fixtures of the Department's follow-up tests: a small network, a Department user and institution staff."""
import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(app):
    """Service messages are checked in English (outside a request ILMS speaks Vietnamese by default)."""
    with force_locale("en"):
        yield


@pytest.fixture
def network(factories):
    n = {}
    n["library"] = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    n["district"] = factories.institution("TVH-TD", parent=n["library"], name="Thư viện huyện Tam Đường")
    n["other_district"] = factories.institution("TVH-PT", parent=n["library"], name="Thư viện huyện Phong Thổ")
    n["museum"] = factories.institution("BTT", kind="museum", name="Bảo tàng tỉnh Lai Châu")
    n["centre"] = factories.institution("TTVH", kind="cultural_center", level="province",
                                        name="Trung tâm Văn hóa tỉnh")
    return n


@pytest.fixture
def people(factories, network):
    return {
        "department": factories.user("so.vhttdl", role="department"),
        "librarian": factories.user("tv.tamduong", role="librarian", institution=network["district"]),
        "other_librarian": factories.user("tv.phongtho", role="librarian", institution=network["other_district"]),
        "museum": factories.user("bt.canbo", role="events", institution=network["museum"]),
        "desk": factories.user("quay.tamduong", role="desk", institution=network["district"]),
        "manager": factories.user("giamdoc", role="manager"),
    }
