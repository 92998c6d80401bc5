import datetime as dt

from ilms.common.privacy import reader_key
from ilms.extensions import db
from ilms.patrons.models import Patron


def test_reader_key_is_stable_and_not_the_id(app):
    assert reader_key(42) == reader_key(42)
    assert reader_key(42) != reader_key(43)
    assert len(reader_key(42)) == 24 and int(reader_key(42), 16) >= 0
    assert reader_key(None) == ""


def test_patron_name_keys_and_card_validity(app, factories):
    lib = factories.institution()
    patron = Patron(barcode="BD0001", name="Lò Thị Đào", institution_id=lib.id,
                    card_issued=dt.date(2024, 1, 1), card_expires=dt.date(2024, 12, 31))
    db.session.add(patron)
    db.session.commit()
    assert patron.name_folded == "lo thi dao"
    assert patron.card_valid_on(dt.date(2024, 6, 1))
    assert not patron.card_valid_on(dt.date(2025, 1, 1))
    assert Patron(barcode="X", name="Y", institution_id=lib.id).card_valid_on(dt.date(1990, 1, 1))
