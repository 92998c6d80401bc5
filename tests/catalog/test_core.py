import datetime as dt

import pytest

from ilms.catalog import services as catalog
from ilms.catalog.models import Accession, ItemStatus
from ilms.common.errors import Conflict, InvalidTransition, PermissionDenied


def test_copies_get_numbered_barcodes_and_accession_entries(app, factories):
    lib = factories.institution("TVH-TD", barcode_prefix="HTD")
    librarian = factories.user(institution=lib)
    record = catalog.create_minimal_record(title="Truyện Kiều", authors=["Nguyễn Du"], year=2015)
    first = catalog.add_copies(record, institution=lib, actor=librarian, source="purchase",
                               accessioned=dt.date(2024, 3, 1), count=2, price=45000)
    second = catalog.add_copies(record, institution=lib, actor=librarian, source="donation",
                                accessioned=dt.date(2024, 3, 2))
    assert [i.barcode for i in first + second] == ["HTD000001", "HTD000002", "HTD000003"]
    assert all(len(i.accessions) == 1 for i in first)
    assert second[0].accessions[0].source.value == "donation"
    assert record.title == "Truyện Kiều" and record.authors == "Nguyễn Du" and record.year == 2015


def test_given_barcodes_must_be_free(app, factories):
    lib = factories.institution("TVH-TD")
    librarian = factories.user(institution=lib)
    record = catalog.create_minimal_record(title="Đất rừng phương Nam")
    catalog.add_copies(record, institution=lib, actor=librarian, source="purchase",
                       accessioned=dt.date(2024, 1, 1), barcodes=["ABC-1"])
    with pytest.raises(Conflict, match="ABC-1"):
        catalog.add_copies(record, institution=lib, actor=librarian, source="purchase",
                           accessioned=dt.date(2024, 1, 1), barcodes=[" abc-1 "])


def test_only_own_institution_copies(app, factories):
    mine = factories.institution("TVH-A")
    theirs = factories.institution("TVH-B")
    librarian = factories.user(institution=mine)
    record = catalog.create_minimal_record(title="Dế Mèn phiêu lưu ký")
    with pytest.raises(PermissionDenied):
        catalog.add_copies(record, institution=theirs, actor=librarian, source="purchase",
                           accessioned=dt.date(2024, 1, 1))


def test_item_status_follows_the_transition_table(app, factories):
    lib = factories.institution()
    record = catalog.create_minimal_record(title="Tắt đèn")
    (item,) = catalog.add_copies(record, institution=lib, actor=factories.user(role="admin"),
                                 source="purchase", accessioned=dt.date(2024, 1, 1))
    catalog.set_item_status(item, ItemStatus.ON_LOAN)
    catalog.set_item_status(item, ItemStatus.AVAILABLE)
    catalog.set_item_status(item, ItemStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        catalog.set_item_status(item, ItemStatus.AVAILABLE)


def test_unknown_barcode_message_names_it(app):
    with pytest.raises(Exception, match="XYZ999"):
        catalog.item_by_barcode("xyz999")


def test_minimal_record_is_proper_marc(app):
    from ilms.catalog import marc
    record = catalog.create_minimal_record(title="Số đỏ", authors=["Vũ Trọng Phụng"], isbn="978-604-2-12345-6",
                                           publisher="NXB Văn học", place="Hà Nội", year=2016,
                                           classification="895.9223")
    parsed = marc.from_json(record.marc)
    assert parsed["245"]["a"] == "Số đỏ"
    assert parsed["100"]["a"] == "Vũ Trọng Phụng"
    assert record.isbn == "9786042123456" and record.publisher == "NXB Văn học" and record.language == "vie"
    assert record.classification == "895.9223"
    assert Accession.__tablename__ == "accessions"
