"""The probe's control characters (NUL, ESC, BEL, right-to-left override) are dropped at every way in:
forms, the stored columns (imports call the same services), and MARC records."""

import pymarc
import pytest

from ilms.catalog import marc, services as catalog
from ilms.catalog.models import Record
from ilms.common.text import clean, clean_long
from ilms.extensions import db
from ilms.patrons.models import Patron
from tests.conftest import login, post_form

HOSTILE = "Lò\x00 Thị\x1b[2J \x07Đào\u202e\u2066\x85\x7f"


def test_the_shared_cleaners_drop_controls_and_keep_lines_in_long_text():
    assert clean(HOSTILE) == "Lò Thị[2J Đào"
    assert clean_long("Dòng một\r\nDòng\thai\x00\u202d") == "Dòng một\nDòng\thai"


@pytest.fixture
def desk(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu",
                                barcode_prefix="TVT")
    factories.user("quay", role="desk", institution=tvt)
    client = app.test_client()
    login(client, "quay")
    return client, tvt


def test_a_reader_registered_through_the_form_is_stored_without_them(app, desk):
    client, tvt = desk
    response = post_form(client, "/readers/new", {
        "name": HOSTILE, "category": "adult", "institution": str(tvt.id), "address": "bản\x00 Nậm\u202e Cha",
        "note": "Ghi chú\nhai dòng\x1b", "ethnicity": "01", "sex": "F", "birth_year": "1990", "phone": "",
        "barcode": "", "card_issued": "", "card_expires": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    patron = db.session.query(Patron).one()
    assert patron.name == "Lò Thị[2J Đào"
    assert "\x00" not in (patron.address or "") and "\u202e" not in (patron.address or "")


def test_a_marc_record_and_its_title_are_stored_without_them(app):
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="245", indicators=["1", "0"],
                                  subfields=[pymarc.Subfield("a", "Truyện\x00 Kiều\u202e\x07")]))
    stored = catalog.create_minimal_record(title="Đất\x1b rừng\u2067 phương Nam")
    db.session.commit()
    assert db.session.get(Record, stored.id).title == "Đất rừng phương Nam"
    text = marc.to_json(record)
    assert "Truyện Kiều" in text and "\\u0000" not in text and "\\u202e" not in text.lower()
