"""Duplicate records: each rule finds the twin (and only it); a merge keeps every copy, hold and loan and
leaves redirects for the old record's OPAC page and OAI identifier."""
import datetime as dt

import pytest
import sqlalchemy as sa
from lxml import etree
from pymarc import Field, Record as MarcRecord, Subfield

from ilms.catalog import duplicates, indexing, services
from ilms.catalog.models import Item, OaiTombstone, Record, RecordRedirect
from ilms.catalog.search import SearchQuery
from ilms.circulation import services as circ
from ilms.circulation.models import Hold, HoldStatus, Loan
from ilms.common.permissions import SYSTEM
from ilms.common.time import local_datetime
from ilms.extensions import db
from tests.conftest import login, post_form

OAI = {"o": "http://www.openarchives.org/OAI/2.0/", "m": "http://www.loc.gov/MARC21/slim"}


def marc_record(title, *, author=None, year=None, isbn=None, lccn=None, system=None):
    record = MarcRecord(force_utf8=True)
    record.leader = "00000nam a2200000 a 4500"
    record.add_field(Field(tag="008", data=f"260101s{year or '    '}    vm            000 0 vie d"))
    if lccn:
        record.add_field(Field(tag="010", indicators=[" ", " "], subfields=[Subfield("a", lccn)]))
    if isbn:
        record.add_field(Field(tag="020", indicators=[" ", " "], subfields=[Subfield("a", isbn)]))
    if system:
        record.add_field(Field(tag="035", indicators=[" ", " "], subfields=[Subfield("a", system)]))
    if author:
        record.add_field(Field(tag="100", indicators=["0", " "], subfields=[Subfield("a", author)]))
    record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    if year:
        record.add_field(Field(tag="264", indicators=[" ", "1"], subfields=[Subfield("c", str(year))]))
    return record


def stored(title, **kw):
    record = services.save_record(marc_record(title, **kw))
    db.session.commit()
    return record


def rules(found):
    return [(c.record.id, c.rule) for c in found]


@pytest.fixture
def catalogue(app):
    """A few records, one per rule, and near misses that must not be found."""
    return {
        "isbn": stored("Tắt đèn", author="Ngô Tất Tố", year=2016, isbn="978-604-1-01234-9"),
        "lccn": stored("30 Rock", year=2010, lccn="  2010608899"),
        "system": stored("The '80s hit(s) back!", year=1996, system="(OCoLC)ocm35640234 "),
        "title": stored("Truyện Kiều /", author="Nguyễn Du", year=2015),
        "other_year": stored("Truyện Kiều", author="Nguyễn Du", year=1990),
        "other_author": stored("Truyện Kiều", author="Nguyễn Văn Vĩnh", year=2015),
    }


def test_isbn_10_finds_the_isbn_13(catalogue):
    found = duplicates.find(marc_record("Tat den", isbn="604-1-01234-3"))     # ISBN-10 of 978-604-1-01234-9
    assert rules(found) == [(catalogue["isbn"].id, "isbn")]
    assert rules(duplicates.find(marc_record("x", isbn="9786041012349"))) == [(catalogue["isbn"].id, "isbn")]


def test_lccn_normalised(catalogue):
    assert rules(duplicates.find(marc_record("anything", lccn="2010-608899"))) == [(catalogue["lccn"].id, "lccn")]
    assert duplicates.normalise_lccn("85-2 ") == "85000002"
    assert duplicates.find(marc_record("anything", lccn="2010608898")) == []


def test_system_number_ignores_blanks(catalogue):
    found = duplicates.find(marc_record("another title", system="(OCoLC) ocm35640234"))
    assert rules(found) == [(catalogue["system"].id, "system_number")]
    assert duplicates.find(marc_record("another title", system="(OCoLC)ocm35640235")) == []


def test_folded_title_author_year(catalogue):
    found = duplicates.find(marc_record("TRUYEN KIEU.", author="Nguyen Du", year=2015))
    assert rules(found) == [(catalogue["title"].id, "title_author_year")]
    assert duplicates.find(marc_record("Truyện Kiều", author="Nguyễn Du", year=2001)) == []
    assert duplicates.find(marc_record("Truyện Kiều", year=2015)) == []      # no author: no judgement


def test_a_record_is_not_its_own_duplicate_and_rules_come_in_order(catalogue):
    twin = marc_record("Tắt đèn", author="Ngô Tất Tố", year=2016, isbn="9786041012349")
    assert rules(duplicates.find(twin, exclude=catalogue["isbn"].id)) == []
    assert rules(duplicates.find(twin)) == [(catalogue["isbn"].id, "isbn")]     # once, under the first rule


DAY = dt.date(2026, 3, 2)


def test_merge_keeps_copies_holds_and_loans_and_redirects_the_old_links(app, client, factories):
    library = factories.institution("TVM", kind="provincial_library", barcode_prefix="TVM")
    desk = factories.user("desk.m", role="desk", institution=library)
    librarian = factories.user("lib.m", role="librarian", institution=library)
    keeper = stored("Truyện Kiều", author="Nguyễn Du", year=2015, isbn="9786046912347")
    duplicate = stored("Truyen Kieu", author="Nguyen Du", year=2015, isbn="604-69-1234-2")
    keeper_id, duplicate_id = keeper.id, duplicate.id
    kept_copy = factories.item(library, record=keeper)
    lent, returned, shelved = (factories.item(library, record=duplicate) for _ in range(3))
    readers = [factories.patron(library, card_issued=dt.date(2020, 1, 1), card_expires=dt.date(2030, 12, 31))
               for _ in range(3)]
    at = local_datetime(DAY, dt.time(9))
    circ.checkout(readers[0], lent, institution=library, actor=desk, at=at)
    circ.checkout(readers[1], returned, institution=library, actor=desk, at=at)
    circ.check_in(returned, institution=library, actor=desk, at=local_datetime(DAY, dt.time(15)))
    hold = circ.place_hold(readers[2], duplicate, pickup=library, institution=library, actor=desk,
                           at=local_datetime(DAY, dt.time(10)))
    db.session.commit()
    loans_before = {loan.id: loan.item_id for loan in db.session.scalars(sa.select(Loan))}
    assert len(loans_before) == 2

    assert rules(duplicates.find(services.marc.from_json(duplicate.marc), exclude=duplicate_id)) == \
        [(keeper_id, "isbn")]
    login(client, "lib.m")
    page = client.get(f"/catalog/records/{duplicate_id}").get_data(as_text=True)
    assert "Biểu ghi có thể trùng" in page and f'name="into" value="{keeper_id}"' in page
    response = post_form(client, f"/catalog/records/{duplicate_id}/merge", {"into": str(keeper_id)},
                         page=f"/catalog/records/{duplicate_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/catalog/records/{keeper_id}")
    db.session.expire_all()

    assert db.session.get(Record, duplicate_id) is None
    copies = set(db.session.scalars(sa.select(Item.id).where(Item.record_id == keeper_id)))
    assert copies == {kept_copy.id, lent.id, returned.id, shelved.id}
    assert {loan.id: loan.item_id for loan in db.session.scalars(sa.select(Loan))} == loans_before
    active = db.session.scalar(sa.select(Loan).where(Loan.item_id == lent.id))
    assert active.returned_at is None and active.item.record_id == keeper_id
    hold = db.session.get(Hold, hold.id)
    assert hold.record_id == keeper_id and hold.status == HoldStatus.WAITING
    assert db.session.get(RecordRedirect, duplicate_id).record_id == keeper_id

    # the search index forgets the duplicate and finds the kept record
    found = indexing.backend().ids(SearchQuery(text="kieu", facets=False))
    assert keeper_id in found and duplicate_id not in found

    # the old OPAC links lead to the kept record, for good
    opac = app.test_client()
    moved = opac.get(f"/opac/record/{duplicate_id}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/opac/record/{keeper_id}")
    assert opac.get(f"/opac/record/{duplicate_id}/marcxml").headers["Location"].endswith(
        f"/opac/record/{keeper_id}/marcxml")
    assert opac.get("/opac/record/999999").status_code == 404
    staff = client.get(f"/catalog/records/{duplicate_id}")
    assert staff.status_code == 301 and staff.headers["Location"].endswith(f"/catalog/records/{keeper_id}")

    # the old OAI identifier answers with the kept record; an incremental harvest learns of the deletion
    from ilms.catalog import oai
    answer = etree.fromstring(opac.get("/oai", query_string={
        "verb": "GetRecord", "metadataPrefix": "marc21", "identifier": oai.identifier_of(duplicate_id)}).data)
    assert answer.find(".//o:error", OAI) is None
    assert answer.findtext(".//o:header/o:identifier", namespaces=OAI) == oai.identifier_of(keeper_id)
    assert db.session.scalar(sa.select(OaiTombstone).where(OaiTombstone.record_id == duplicate_id)) is not None

    # merging the kept record again later carries the old redirect along
    third = stored("Truyện Kiều (bản khác)", year=2020)
    duplicates.merge(db.session.get(Record, keeper_id), into=third, actor=SYSTEM)
    db.session.commit()
    assert db.session.get(RecordRedirect, duplicate_id).record_id == third.id
    assert db.session.get(RecordRedirect, keeper_id).record_id == third.id


def test_merge_refusals(app, client, factories):
    record = stored("Một cuốn sách", year=2020)
    with pytest.raises(duplicates.Conflict):
        duplicates.merge(record, into=record, actor=SYSTEM)
    factories.user("lib.r", role="librarian")
    login(client, "lib.r")
    response = post_form(client, f"/catalog/records/{record.id}/merge", {"into": "999999"},
                         page=f"/catalog/records/{record.id}", follow_redirects=True)
    assert response.status_code == 200
    assert "Biểu ghi cần gộp vào không còn nữa." in response.get_data(as_text=True)
    desk = app.test_client()
    factories.user("desk.r", role="desk")
    login(desk, "desk.r")
    assert post_form(desk, f"/catalog/records/{record.id}/merge", {"into": "1"}, page="/").status_code == 403
    assert db.session.get(Record, record.id) is not None


def test_duplicates_that_came_in_by_upload_and_harvest_are_reported(app, app_factory, client, factories):
    """A MARC upload keeps two different 001s apart (same ISBN), a harvest brings another library's record of
    the same book: the catalogue-wide report lists both pairs, and the page and the command show them."""
    from ilms.catalog import harvest, importer, marcio
    from tests.conftest import LiveServer

    ours = marc_record("Dế Mèn phiêu lưu ký", author="Tô Hoài", year=2019, isbn="9786041012349")
    ours.add_ordered_field(Field(tag="001", data="TVT-0001"))
    theirs = marc_record("Dế mèn phiêu lưu ký.", author="Tô Hoài", year=2019, isbn="604-1-01234-3")
    theirs.add_ordered_field(Field(tag="001", data="KHAC-77"))
    summary = importer.MarcImporter().run([marcio.ParsedRecord(1, 0, record=ours),
                                           marcio.ParsedRecord(2, 0, record=theirs)])
    assert summary.created == 2
    local = stored("Vợ chồng A Phủ", author="Tô Hoài", year=2020)

    other = app_factory()
    with other.app_context():
        services.save_record(marc_record("VỢ CHỒNG A PHỦ", author="To Hoai", year=2020))
        db.session.commit()
    with LiveServer(other) as server:
        report = harvest.harvest(f"{server.url}/oai")
    assert report.summary.created == 1
    harvested = db.session.scalar(sa.select(Record).where(Record.title == "VỢ CHỒNG A PHỦ"))

    groups = {(g.rule, tuple(sorted(r.id for r in g.records))) for g in duplicates.report()}
    upload_ids = tuple(sorted(db.session.scalars(sa.select(Record.id).where(Record.control_number.in_(
        ["TVT-0001", "KHAC-77"])))))
    assert groups == {("isbn", upload_ids), ("title_author_year", tuple(sorted((local.id, harvested.id))))}

    factories.user("lib.d", role="librarian")
    login(client, "lib.d")
    page = client.get("/catalog/duplicates").get_data(as_text=True)
    assert "cùng ISBN" in page and "cùng nhan đề, tác giả và năm" in page and "VỢ CHỒNG A PHỦ" in page
    output = app.test_cli_runner().invoke(args=["catalog", "duplicates"]).output
    assert "Dế Mèn phiêu lưu ký" in output and "VỢ CHỒNG A PHỦ" in output
