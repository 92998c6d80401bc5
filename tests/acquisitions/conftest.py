"""Acquisitions test helpers: two libraries with a librarian each, a vendor, a donor, funds, two titles."""
from types import SimpleNamespace

import pytest

from ilms.acquisitions import services
from ilms.catalog import services as catalog
from ilms.extensions import db


@pytest.fixture
def lib(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu", barcode_prefix="TVT")
    td = factories.institution("TVH-TD", parent=tvt, name="Thư viện huyện Tam Đường", barcode_prefix="HTD")
    pt = factories.institution("TVH-PT", parent=tvt, name="Thư viện huyện Phong Thổ", barcode_prefix="HPT")
    ns = SimpleNamespace(tvt=tvt, td=td, pt=pt,
                         tvt_librarian=factories.user("thuthu.tvt", institution=tvt),
                         td_librarian=factories.user("thuthu.td", institution=td),
                         pt_librarian=factories.user("thuthu.pt", institution=pt),
                         desk=factories.user("quay.tvt", role="desk", institution=tvt))
    actor = ns.tvt_librarian
    ns.vendor = services.save_supplier(actor=actor, name="Công ty Phát hành sách Lai Châu", is_vendor=True)
    ns.donor = services.save_supplier(actor=actor, name="Quỹ Sách cho vùng cao", is_donor=True)
    ns.fund = services.save_fund(actor=actor, institution=tvt, year=2024, code="NS2024", name="Ngân sách 2024",
                                 allocated=10_000_000)
    ns.td_fund = services.save_fund(actor=ns.td_librarian, institution=td, year=2024, code="NS2024",
                                    name="Ngân sách 2024", allocated=5_000_000)
    ns.kieu = catalog.create_minimal_record(title="Truyện Kiều", isbn="9786042000001")
    ns.de_men = catalog.create_minimal_record(title="Dế Mèn phiêu lưu ký")
    db.session.commit()
    return ns
