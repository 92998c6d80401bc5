"""Staff screens: browse, record pages (readable and MARC), the simple form and the MARC editor, deletion,
copies (numbering, withdrawal, transfer), labels, scope of each library, escaping."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from ilms.catalog import marc, marcedit, services
from ilms.catalog.models import Item, ItemStatus, Record
from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.common.time import local_today
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS, csrf_token, login, post_form

FORM = {"material_type": "book", "title": "Truyện Kiều", "subtitle": "bản in năm 1871", "responsibility":
        "Nguyễn Du ; Đào Duy Anh khảo đính", "authors": "Nguyễn Du\nĐào Duy Anh", "edition": "Tái bản lần thứ 3",
        "place": "Hà Nội", "publisher": "NXB Văn học", "year": "2015", "physical": "268 tr. ; 24 cm",
        "series": "Văn học cổ điển", "isbns": "978-604-69-1234-5", "language": "vie", "classification": "895.9221",
        "call_number": "895.9221 NG-D", "subjects": "Văn học Việt Nam -- Truyện thơ\nThơ lục bát", "notes": "",
        "summary": "Truyện thơ Nôm."}


def test_the_simple_form_writes_proper_marc(app, network):
    record = services.create_record(actor=network.td_librarian, form=FORM)
    db.session.commit()
    parsed = marc.from_json(record.marc)
    assert parsed["245"].indicators == ["1", "0"] or tuple(parsed["245"].indicators) == ("1", "0")
    assert parsed["245"].get_subfields("a", "b", "c") == ["Truyện Kiều", "bản in năm 1871",
                                                         "Nguyễn Du ; Đào Duy Anh khảo đính"]
    assert parsed["100"]["a"] == "Nguyễn Du" and parsed["700"]["a"] == "Đào Duy Anh"
    assert parsed["264"].get_subfields("a", "b", "c") == ["Hà Nội", "NXB Văn học", "2015"]
    assert parsed["020"]["a"] == "978-604-69-1234-5" and parsed["082"]["a"] == "895.9221"
    assert [f["a"] for f in parsed.get_fields("650")] == ["Văn học Việt Nam", "Thơ lục bát"]
    assert parsed.get_fields("650")[0]["x"] == "Truyện thơ"
    assert parsed["008"].data[35:38] == "vie" and parsed["008"].data[7:11] == "2015"
    assert str(parsed.leader)[6:8] == "am"
    assert record.isbn == "9786046912345" and record.call_number == "895.9221 NG-D" and record.year == 2015
    assert marcedit.form_values(parsed)["subjects"] == FORM["subjects"]


def test_editing_with_the_form_keeps_what_was_not_changed(app, network):
    from ilms.catalog import importer
    from tests.catalog.conftest import marc_path
    importer.import_path(str(marc_path("bib", "pymarc_python_books_20.marc8.mrc")))
    record = db.session.scalars(sa.select(Record).order_by(Record.id)).first()
    before = marc.from_json(record.marc)
    values = marcedit.form_values(before)
    values["series"] = "Tủ sách tin học"
    services.update_record(record, actor=network.tvt_librarian, form=values)
    db.session.commit()
    after = marc.from_json(record.marc)
    assert after["490"]["a"] == "Tủ sách tin học"
    assert [str(f) for f in after.fields if f.tag != "490"] == [str(f) for f in before.fields if f.tag != "490"]


def test_marc_editor_text_round_trip_and_line_errors(app, network):
    record = services.create_record(actor=network.tvt_librarian, form=FORM)
    text = marcedit.to_text(marc.from_json(record.marc))
    assert "245 10 $aTruyện Kiều$bbản in năm 1871" in text
    again = marcedit.from_text(text + "\n500 __ $aGiá 45.000{dollar} (ghi chú)")
    assert again["500"]["a"] == "Giá 45.000$ (ghi chú)"
    with pytest.raises(DomainError, match="Dòng 2"):
        marcedit.from_text("LDR 00000nam a2200000 a 4500\n24 10 $aX")
    with pytest.raises(DomainError, match="Dòng 3"):
        marcedit.from_text("LDR 00000nam a2200000 a 4500\n245 10 $aX\n650 _4 Văn học")
    with pytest.raises(DomainError, match="245"):
        marcedit.from_text("100 1_ $aNguyễn Du")


def test_desk_staff_cannot_edit_the_catalogue_but_any_librarian_can(app, network):
    with pytest.raises(PermissionDenied):
        services.create_record(actor=network.desk, form=FORM)
    record = services.create_record(actor=network.tvt_librarian, form=FORM)
    services.update_record(record, actor=network.td_librarian, form=dict(FORM, edition="In lần thứ 4"))
    assert record.edition == "In lần thứ 4"


def test_copies_only_by_their_library_and_withdrawal_rules(app, network):
    record = services.create_record(actor=network.tvt_librarian, form=FORM)
    copies = services.add_copies(record, institution=network.tvt, actor=network.tvt_librarian, source="purchase",
                                 accessioned=dt.date(2024, 3, 1), count=3, price=45000)
    assert [c.barcode for c in copies] == ["TVT000001", "TVT000002", "TVT000003"]
    with pytest.raises(PermissionDenied, match="Thư viện tỉnh"):
        services.withdraw_item(copies[0], actor=network.td_librarian, reason="worn")
    with pytest.raises(DomainError):
        services.withdraw_item(copies[0], actor=network.tvt_librarian, reason="worn", date=dt.date(2024, 2, 1))
    with pytest.raises(DomainError):
        services.withdraw_item(copies[0], actor=network.tvt_librarian, reason="worn",
                               date=local_today() + dt.timedelta(days=2))
    services.set_item_status(copies[1], ItemStatus.ON_LOAN)
    with pytest.raises(Conflict):
        services.withdraw_item(copies[1], actor=network.tvt_librarian, reason="lost")
    services.withdraw_item(copies[0], actor=network.tvt_librarian, reason="worn", date=dt.date(2024, 6, 1))
    assert copies[0].status == ItemStatus.WITHDRAWN and copies[0].withdrawn_on == dt.date(2024, 6, 1)
    with pytest.raises(Conflict):
        services.delete_record(record, actor=network.tvt_librarian)
    services.transfer_item(copies[2], to=network.td, actor=network.tvt_librarian, date=dt.date(2024, 7, 1))
    assert copies[2].institution_id == network.td.id
    assert [(a.institution_id, a.source.value) for a in copies[2].accessions] == [
        (network.tvt.id, "purchase"), (network.td.id, "transfer")]


def test_delete_only_without_copies(app, client, network):
    record_id = services.create_record(actor=network.tvt_librarian, form=FORM).id
    db.session.commit()
    login(client, "thuthu.td")
    page = client.get(f"/catalog/records/{record_id}")
    assert page.status_code == 200
    response = post_form(client, f"/catalog/records/{record_id}/delete", page=f"/catalog/records/{record_id}")
    assert response.status_code == 302
    assert db.session.get(Record, record_id) is None
    assert client.get(f"/catalog/records/{record_id}").status_code == 404


@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
def test_staff_pages_render_and_the_forms_work(app, client, network):
    login(client, "thuthu.td")
    page = client.get("/catalog/records/new")
    assert page.status_code == 200 and 'name="title"' in page.get_data(as_text=True)
    response = post_form(client, "/catalog/records/new", data=FORM)
    assert response.status_code == 302
    record_id = int(re.search(r"/records/(\d+)", response.headers["Location"]).group(1))
    view = client.get(f"/catalog/records/{record_id}").get_data(as_text=True)
    assert "Truyện Kiều" in view and "NXB Văn học" in view and "Thơ lục bát" in view
    marc_view = client.get(f"/catalog/records/{record_id}?view=marc").get_data(as_text=True)
    assert "245" in marc_view and "$</b>" not in marc_view and "<b>$a</b>" in marc_view
    # copies: only for my library, numbered with its prefix
    response = post_form(client, f"/catalog/records/{record_id}/copies/new",
                         data={"institution": str(network.td.id), "count": "2", "source": "donation",
                               "accessioned": "2024-05-02", "price": "", "shelf": "Kho mở", "call_number": "895.9221 NG-D"})
    assert response.status_code == 302
    items = db.session.scalars(sa.select(Item).where(Item.record_id == record_id)).all()
    assert [i.barcode for i in items] == ["HTD000001", "HTD000002"] and items[0].source.value == "donation"
    refused = post_form(client, f"/catalog/records/{record_id}/copies/new",
                        data={"institution": str(network.tvt.id), "count": "1", "source": "purchase",
                              "accessioned": "2024-05-02"})
    assert refused.status_code == 200 and db.session.scalar(
        sa.select(sa.func.count(Item.id)).where(Item.institution_id == network.tvt.id)) == 0
    # withdraw a copy with a reason
    response = post_form(client, f"/catalog/items/{items[0].id}/withdraw",
                         data={"reason": "lost", "date": local_today().isoformat(), "note": "mất khi mượn"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Item, items[0].id).status == ItemStatus.WITHDRAWN
    # the MARC editor
    text = client.get(f"/catalog/records/{record_id}/marc").get_data(as_text=True)
    assert "245 10 $aTruyện Kiều" in text
    bad = post_form(client, f"/catalog/records/{record_id}/marc", data={"text": "245 10 Tiêu đề"})
    assert bad.status_code == 200 and "Dòng 1" in bad.get_data(as_text=True)
    # browse
    listing = client.get("/catalog/?q=truyen+kieu").get_data(as_text=True)
    assert f"/catalog/records/{record_id}" in listing
    assert client.get("/catalog/items?barcode=htd000002").headers["Location"].endswith(f"/catalog/records/{record_id}#item-{items[1].id}")


def test_another_library_cannot_touch_my_copies_through_the_pages(app, client, network):
    record = services.create_record(actor=network.tvt_librarian, form=FORM)
    (item,) = services.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                                  accessioned=dt.date(2024, 1, 1))
    db.session.commit()
    login(client, "thuthu.td")
    assert client.get(f"/catalog/items/{item.id}/withdraw").status_code == 403
    assert client.get(f"/catalog/items/{item.id}/edit").status_code == 403
    response = client.post(f"/catalog/items/{item.id}/withdraw",
                           data={"csrf_token": csrf_token(client, "/catalog/"), "reason": "lost",
                                 "date": local_today().isoformat()})
    assert response.status_code == 403
    assert db.session.get(Item, item.id).status == ItemStatus.AVAILABLE


@pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
def test_script_in_a_title_is_shown_as_text_everywhere(app, client, network):
    evil = '<script>alert("x")</script> Sách <b>độc</b>'
    record = services.create_minimal_record(title=evil, authors=['"><img src=x onerror=alert(1)>'])
    services.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                        accessioned=dt.date(2024, 1, 1))
    db.session.commit()
    pages = [client.get(f"/opac/record/{record.id}"), client.get("/opac/?q=sach+doc")]
    login(client, "thuthu.tvt")
    pages += [client.get(f"/catalog/records/{record.id}"), client.get(f"/catalog/records/{record.id}?view=marc"),
              client.get("/catalog/?q=sach"), client.get(f"/catalog/labels?items={record.items[0].id}"),
              client.get(f"/catalog/records/{record.id}/edit"), client.get(f"/catalog/records/{record.id}/marc")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>độc</b>" not in html
        assert "&lt;script&gt;" in html


def test_label_sheet_for_chosen_copies(app, client, network):
    record = services.create_record(actor=network.tvt_librarian, form=FORM)
    items = services.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                                accessioned=dt.date(2024, 1, 1), count=30)
    db.session.commit()
    login(client, "quay.tvt")
    ids = ",".join(str(i.id) for i in items)
    html = client.get(f"/catalog/labels?items={ids}&start=3").get_data(as_text=True)
    assert html.count('data-testid="label"') == 30
    assert html.count('data-testid="label-sheet"') == 2  # 2 used + 30 = 32 positions on 24-label sheets
    assert html.count("<svg") == 30 and "TVT000001" in html and "895.9221" in html
    assert 'class="label empty-label"' in html
    assert "print" in client.get("/static/css/catalog.css").get_data(as_text=True)


def test_export_downloads_streams_marc(app, client, network):
    services.create_record(actor=network.tvt_librarian, form=FORM)
    services.create_record(actor=network.tvt_librarian, form=dict(FORM, title="Lục Vân Tiên", isbns=""))
    db.session.commit()
    login(client, "quay.tvt")
    xml = client.get("/catalog/export?format=marcxml&scope=search&q=kieu")
    assert xml.status_code == 200 and xml.mimetype == "application/marcxml+xml"
    body = xml.get_data()
    assert body.count(b"<record>") == 1 and "Truyện Kiều".encode() in body
    iso = client.get("/catalog/export?format=iso2709&scope=all").get_data()
    assert iso.count(b"\x1d") == 2
    assert client.get("/catalog/export?format=pdf").status_code == 400


def test_dashboard_panel_and_menu(app, client, network):
    services.create_record(actor=network.tvt_librarian, form=FORM)
    db.session.commit()
    login(client, "thuthu.tvt")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/catalog/"' in html and "1 biểu ghi trong mục lục chung" in html
    other = app.test_client()
    login(other, "quay.tvt")
    desk = other.get("/").get_data(as_text=True)
    assert 'href="/catalog/"' in desk and "/catalog/import" not in desk
