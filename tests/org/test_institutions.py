import pytest

from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.org import services as org
from tests.conftest import login, post_form


def test_kind_and_level_must_fit(app, factories):
    with pytest.raises(DomainError) as refused:
        org.create_institution(actor=SYSTEM, code="X-1", name="Sai cấp", kind="postal_cultural_point",
                               level="province")
    assert refused.value.field == "level"


def test_codes_are_unique_and_well_formed(app, factories):
    factories.institution("TVH-TD")
    with pytest.raises(Conflict):
        org.create_institution(actor=SYSTEM, code="tvh-td", name="Trùng", kind="district_library",
                               level="district")
    with pytest.raises(DomainError, match="TVH-TD"):
        org.create_institution(actor=SYSTEM, code="a b", name="Sai mã", kind="district_library", level="district")


def test_no_cycles_in_the_tree(app, factories):
    top = factories.institution("TOP", kind="provincial_library")
    lib = factories.institution("LIB", parent=top)
    with pytest.raises(DomainError):
        org.update_institution(top, actor=SYSTEM, parent=lib)


def test_names_are_stored_nfc(app, factories):
    import unicodedata
    inst = factories.institution(name=unicodedata.normalize("NFD", "Thư viện huyện Mường Tè"))
    from ilms.extensions import db
    db.session.expire_all()
    assert inst.name == "Thư viện huyện Mường Tè"


def test_scope_covers_dependent_units_only(app, factories):
    province = factories.institution("TVT", kind="provincial_library")
    district = factories.institution("TVH-A", parent=province)
    point = factories.institution("BD-A-1", kind="postal_cultural_point", parent=district)
    other = factories.institution("TVH-B", parent=province)
    assert org.scope_ids(district.id) == {district.id, point.id}
    assert org.scope_ids(province.id) == {province.id}
    librarian = factories.user(institution=district)
    assert librarian.can("catalog.edit", point)
    assert not librarian.can("catalog.edit", other)


def test_district_librarian_cannot_edit_another_institution_service(app, factories):
    mine = factories.institution("TVH-MINE")
    theirs = factories.institution("TVH-THEIRS")
    librarian = factories.user(institution=mine)
    with pytest.raises(PermissionDenied):
        org.update_institution(theirs, actor=librarian, name="Đổi tên trái phép")


def test_district_librarian_cannot_edit_another_institution_page(app, client, factories):
    mine = factories.institution("TVH-MINE")
    theirs = factories.institution("TVH-THEIRS", name="Thư viện huyện Khác")
    factories.user("thuthu", institution=mine)
    login(client, "thuthu")
    assert client.get(f"/institutions/{theirs.id}/edit").status_code == 403
    response = client.post(f"/institutions/{theirs.id}/edit",
                           data={"csrf_token": _token(client), "code": "TVH-THEIRS", "name": "Đổi tên",
                                 "kind": "district_library", "level": "district"})
    assert response.status_code == 403
    from ilms.extensions import db
    db.session.expire_all()
    assert theirs.name == "Thư viện huyện Khác"


def _token(client):
    from tests.conftest import csrf_token
    return csrf_token(client, "/profile")


def test_admin_creates_and_edits_institutions_through_pages(app, client, factories):
    factories.user("admin1", role="admin")
    parent = factories.institution("TVH-TD", name="Thư viện huyện Tam Đường")
    login(client, "admin1")
    response = post_form(client, "/institutions/new", {
        "code": "BD-TD-BL", "name": "Điểm Bưu điện văn hóa xã Bình Lư", "kind": "postal_cultural_point",
        "level": "commune", "parent": str(parent.id), "active": "y"})
    assert response.status_code == 302
    point = org.get_by_code("BD-TD-BL")
    assert point.parent == parent
    page = client.get(f"/institutions/{parent.id}").get_data(as_text=True)
    assert "Điểm Bưu điện văn hóa xã Bình Lư" in page
    response = post_form(client, f"/institutions/{point.id}/edit", {
        "code": "BD-TD-BL", "name": "BĐVHX Bình Lư", "kind": "postal_cultural_point",
        "level": "province", "parent": str(parent.id), "active": "y"})
    assert response.status_code == 200  # refused: shown again with the reason
    assert "chỉ thuộc cấp" in response.get_data(as_text=True)


def test_every_staff_user_sees_the_network(app, client, factories):
    factories.institution("TVH-X", name="Thư viện huyện Nậm Nhùn")
    factories.user("desk1", role="desk")
    login(client, "desk1")
    page = client.get("/institutions/").get_data(as_text=True)
    assert "Thư viện huyện Nậm Nhùn" in page
    assert "/institutions/new" not in page
