"""Authority control with the real authority files of ../shared/data/marc/auth/: import, linking on save and
on MARC import, see-from variants found in the OPAC, an authority change carried to every linked record."""

import pymarc
import pytest
import sqlalchemy as sa
from pymarc import Field, Subfield

from ilms.catalog import authorities, importer, indexing, services
from ilms.catalog.models import Authority, Record, RecordHeading
from ilms.catalog.search import SearchQuery
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.catalog.conftest import marc_path
from tests.conftest import SEARCH_BACKENDS

each_backend = pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)
AUTH_FILES = {"evergreen_iish_auth_1066.utf8.mrc": 1066, "loc_sru_auth_150.utf8.mrc": 150}


def load_authorities(runner):
    outputs = []
    for name in AUTH_FILES:
        result = runner.invoke(args=["catalog", "import-authorities", str(marc_path("auth", name))])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    return outputs


def book(title, *fields):
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam a2200000 a 4500")
    record.add_field(Field(tag="008", data="201201s2020    vm            000 0 vie d"))
    record.add_field(Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", title)]))
    for tag, subfields in fields:
        record.add_field(Field(tag=tag, indicators=["1", " "] if tag[0] in "17" else [" ", "4"],
                               subfields=[Subfield(c, v) for c, v in subfields]))
    return record


def opac_ids(client, text):
    """The OPAC's result page for ``text`` (its HTML)."""
    return client.get("/opac/?q=" + text).get_data(as_text=True)


def search_ids(text):
    return set(indexing.backend().search(SearchQuery(text=text, per_page=100)).ids)


def test_import_counts_and_reimport_updates(app, runner):
    first, _second = load_authorities(runner)
    assert "Đã đọc 1066 biểu ghi chuẩn: tạo mới 1066, cập nhật 0, bỏ qua 0" in first
    assert db.session.scalar(sa.select(sa.func.count(Authority.id))) == 1216
    kinds = dict(db.session.execute(sa.select(Authority.heading_type, sa.func.count())
                                    .group_by(Authority.heading_type)).all())
    assert kinds == {"150": 1066, "100": 111, "110": 31, "130": 5, "151": 2, "111": 1}
    chris = db.session.scalar(sa.select(Authority).where(Authority.control_number.like("%00000893%")))
    assert chris.heading == "Smith, Chris, 1966-"
    assert chris.variant_list == ["Smith, Christopher J., 1966-"]
    # IISH's local 103: Dutch heading, English form and 403 as see-from variants
    pogroms = db.session.scalar(sa.select(Authority).where(Authority.heading == "Jodenvervolging"))
    assert {"Persecution of the Jews", "Pogroms"} <= set(pogroms.variant_list)
    again = runner.invoke(args=["catalog", "import-authorities",
                                str(marc_path("auth", "loc_sru_auth_150.utf8.mrc"))])
    assert "Đã đọc 150 biểu ghi chuẩn: tạo mới 0, cập nhật 150" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Authority.id))) == 1216


def test_a_missing_file_is_a_clear_error(app, runner):
    result = runner.invoke(args=["catalog", "import-authorities", "/nonexistent/auth.mrc"])
    assert result.exit_code != 0 and "không có tệp này" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Authority.id))) == 0


@each_backend
def test_headings_linked_on_save_and_variants_found_in_the_opac(app, runner, client):
    load_authorities(runner)
    record = services.create_record(actor=SYSTEM, marc_record=book(
        "Sách thử kiểm soát tính danh",
        ("100", [("a", "Smith, Chris,"), ("d", "1966-"), ("e", "tác giả.")]),
        ("650", [("a", "Jodenvervolging"), ("z", "Châu Âu.")]),
        ("700", [("a", "Nguyễn, Văn Thử")])))
    db.session.commit()
    links = {h.tag: h for h in db.session.scalars(sa.select(RecordHeading).where(RecordHeading.record_id == record.id))}
    chris = db.session.scalar(sa.select(Authority).where(Authority.heading == "Smith, Chris, 1966-"))
    jews = db.session.scalar(sa.select(Authority).where(Authority.heading == "Jodenvervolging"))
    assert links["100"].authority_id == chris.id          # relator $e is not part of the heading
    assert links["650"].authority_id == jews.id           # a subdivided subject links to its main heading
    assert links["700"].authority_id is None
    # 4XX and parallel forms: the record is found by them though its MARC has none of them
    assert record.id in search_ids("Pogroms")
    assert record.id in search_ids("persecution jews")
    assert record.id in search_ids("Christopher")
    assert "Sách thử kiểm soát tính danh" in opac_ids(client, "pogroms")
    assert "Sách thử kiểm soát tính danh" not in opac_ids(client, "razzia")   # a see-also (5XX) is not a variant


def test_unlinked_headings_report_suggests_the_authorised_form(app, runner):
    load_authorities(runner)
    services.create_record(actor=SYSTEM, marc_record=book("Một", ("100", [("a", "Smith, Laryn")]),
                                                          ("700", [("a", "Lò, Văn Biến")])))
    services.create_record(actor=SYSTEM, marc_record=book("Hai", ("700", [("a", "Lò, Văn Biến.")])))
    db.session.commit()
    rows = authorities.unlinked_headings()
    assert rows[0][:3] == ("100", "Lò, Văn Biến", 2)
    laryn = next(r for r in rows if r[1] == "Smith, Laryn")
    assert laryn[3].heading == "Smith, L. Micaela (Laryn Micaela)"
    result = runner.invoke(args=["catalog", "unlinked-headings"])
    assert "Lò, Văn Biến" in result.output and "→ Smith, L. Micaela" in result.output


def test_marc_import_links_and_authorities_loaded_later_link_existing_records(app, runner, tmp_path):
    path = tmp_path / "books.mrc"
    with path.open("wb") as fh:
        for n in range(3):
            fh.write(book(f"Sách nhập số {n}", ("100", [("a", "Smith, L. Micaela"), ("q", "(Laryn Micaela)")]),
                          ("651", [("a", "Lai Châu (Việt Nam)")])).as_marc())
    summary = importer.import_path(str(path))
    assert summary.created == 3
    assert db.session.scalar(sa.select(sa.func.count(RecordHeading.id))) == 6
    assert authorities.count_unlinked() == 6
    assert not search_ids("Mikie")               # a 400 of the authority: no record has the word
    load_authorities(runner)                     # the authorities come after the records
    assert authorities.count_unlinked() == 3     # the names linked, the place has no authority
    ids = set(db.session.scalars(sa.select(Record.id)))
    assert search_ids("Mikie") == ids            # found by the variant, after the re-index
    # a second import, authorities already there: linked in the import's own batch
    with path.open("wb") as fh:
        fh.write(book("Sách nhập sau", ("100", [("a", "SMITH, L. MICAELA"), ("q", "(Laryn Micaela).")])).as_marc())
    importer.import_path(str(path))
    new = db.session.scalar(sa.select(Record.id).where(Record.title == "Sách nhập sau"))
    assert db.session.scalar(sa.select(RecordHeading.authority_id).where(RecordHeading.record_id == new))
    assert new in search_ids("Mikie")


@each_backend
def test_an_authority_change_reaches_every_linked_record(app, runner, client):
    load_authorities(runner)
    made = [services.create_record(actor=SYSTEM, marc_record=book(
        f"Sách của tác giả {n}", ("100", [("a", "Smith, Chris,"), ("d", "1966-"), ("e", "tác giả")]),
        ("600", [("a", "Smith, Chris,"), ("d", "1966-")]))) for n in range(2)]
    other = services.create_record(actor=SYSTEM, marc_record=book("Sách khác", ("100", [("a", "Smith, Larry")])))
    db.session.commit()
    before = {r.id: r.updated_at for r in made + [other]}
    other_marc = other.marc
    chris = db.session.scalar(sa.select(Authority).where(Authority.heading == "Smith, Chris, 1966-"))
    assert authorities.heading_input(chris) == "$aSmith, Chris,$d1966-"
    assert not search_ids("Kristoffer")
    changed = authorities.update_heading(chris, "$aSmith, Kristoffer,$d1966-", actor=SYSTEM)
    db.session.commit()
    assert changed == 2
    for record in made:
        db.session.refresh(record)
        fields = pymarc_fields(record)
        assert fields["100"] == [("a", "Smith, Kristoffer,"), ("d", "1966-"), ("e", "tác giả")]
        assert fields["600"] == [("a", "Smith, Kristoffer,"), ("d", "1966-")]
        assert record.updated_at > before[record.id]                 # the OAI datestamp moves
        assert "Smith, Kristoffer" in record.authors
    db.session.refresh(other)
    assert other.marc == other_marc and other.updated_at == before[other.id]
    assert search_ids("Kristoffer") == {r.id for r in made}
    assert search_ids("Smith Chris 1966") >= {r.id for r in made}   # the former form became a 400
    assert "Smith, Chris, 1966-" in chris.variant_list
    assert "Sách của tác giả 0" in opac_ids(client, "kristoffer")


def test_a_heading_without_a_is_refused(app, runner):
    load_authorities(runner)
    chris = db.session.scalar(sa.select(Authority).where(Authority.heading == "Smith, Chris, 1966-"))
    from ilms.common.errors import DomainError
    with pytest.raises(DomainError):
        authorities.update_heading(chris, "$d1966-", actor=SYSTEM)
    with pytest.raises(DomainError):
        authorities.update_heading(chris, "$aSmith$z oops", actor=SYSTEM)


def pymarc_fields(record):
    from ilms.catalog import marc
    parsed = marc.from_json(record.marc)
    return {tag: [(sf.code, sf.value) for sf in parsed[tag].subfields] for tag in ("100", "600")}


def test_staff_pages_list_change_and_report(app, runner, client, network):
    from tests.conftest import login, post_form
    load_authorities(runner)
    made = services.create_record(actor=SYSTEM, marc_record=book(
        "Sách trang quản lý", ("100", [("a", "Smith, Chris,"), ("d", "1966-")]), ("700", [("a", "Smith, Laryn")])))
    db.session.commit()
    chris = db.session.scalar(sa.select(Authority).where(Authority.heading == "Smith, Chris, 1966-"))
    login(client, "quay.tvt")                       # a desk user reads but does not change
    listing = client.get("/catalog/authorities?q=smith&type=100").get_data(as_text=True)
    assert "Smith, Chris, 1966-" in listing and "Jodenvervolging" not in listing
    page = client.get(f"/catalog/authorities/{chris.id}").get_data(as_text=True)
    assert "Sách trang quản lý" in page and 'name="heading"' not in page
    report = client.get("/catalog/authorities/unlinked").get_data(as_text=True)
    assert "Smith, Laryn" in report and "Smith, L. Micaela (Laryn Micaela)" in report
    client = app.test_client()
    login(client, "thuthu.td")
    bad = post_form(client, f"/catalog/authorities/{chris.id}", {"heading": "$d1966-"})
    assert bad.status_code == 200 and "$a" in bad.get_data(as_text=True)
    db.session.refresh(chris)
    assert chris.heading == "Smith, Chris, 1966-"
    done = post_form(client, f"/catalog/authorities/{chris.id}", {"heading": "$aSmith, Christopher,$d1966-"})
    assert done.status_code == 302
    db.session.refresh(made)
    assert made.authors.startswith("Smith, Christopher, 1966-")
    assert client.get("/catalog/authorities/999999").status_code == 404


@each_backend
def test_opac_browse_by_author_and_subject(app, runner, client):
    import html as htmllib
    import re
    load_authorities(runner)
    for n, spelled in enumerate(("Smith, Chris,", "SMITH, CHRIS")):
        services.create_record(actor=SYSTEM, marc_record=book(
            f"Sách duyệt {n}", ("100", [("a", spelled), ("d", "1966-")]), ("650", [("a", "Chè Shan tuyết")])))
    services.create_record(actor=SYSTEM, marc_record=book("Sách khác", ("100", [("a", "Lò, Văn Biến")])))
    db.session.commit()
    page = client.get("/opac/browse/author?from=smith").get_data(as_text=True)
    assert page.count("Smith, Chris, 1966-") == 1 and "Lò, Văn Biến" not in page    # one entry, its authorised form
    link = htmllib.unescape(re.search(r'href="(/opac/\?q=author[^"]+)"', page).group(1))
    found = client.get(link).get_data(as_text=True)
    assert "Sách duyệt 0" in found and "Sách duyệt 1" in found and "Sách khác" not in found
    subjects = client.get("/opac/browse/subject").get_data(as_text=True)
    assert "Chè Shan tuyết" in subjects and "Lò, Văn Biến" not in subjects
    assert client.get("/opac/browse/title").status_code == 404
    assert client.get("/opac/browse/author?from=" + "x" * 5000).status_code == 200


def test_deleting_a_record_removes_its_headings(app, runner):
    load_authorities(runner)
    record = services.create_record(actor=SYSTEM, marc_record=book("Sách sẽ xoá", ("100", [("a", "Smith, Larry")])))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(RecordHeading.id))) == 1
    services.delete_record(record, actor=SYSTEM)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(RecordHeading.id))) == 0
    assert authorities.unlinked_headings() == []


def test_suggestions_while_typing(app, runner, client, network):
    from tests.conftest import login
    load_authorities(runner)
    assert client.get("/catalog/authorities/suggest?q=smith").status_code in (302, 401, 403)   # staff only
    login(client, "thuthu.tvt")
    names = client.get("/catalog/authorities/suggest?q=smith, ch&tag=700").get_json()
    assert [n["heading"] for n in names] == ["Smith, Chris, 1966-"]
    assert names[0]["input"] == "$aSmith, Chris,$d1966-"
    by_variant = client.get("/catalog/authorities/suggest?q=Pogroms&tag=650").get_json()
    assert [n["heading"] for n in by_variant] == ["Jodenvervolging"]
    assert client.get("/catalog/authorities/suggest?q=s").get_json() == []
    assert client.get("/catalog/authorities/suggest?q=" + "z" * 3000).get_json() == []


def test_an_authority_without_001_and_a_local_heading_changed(app, runner, tmp_path):
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nz  a2200000n  4500")
    record.add_field(Field(tag="151", indicators=[" ", " "], subfields=[Subfield("a", "Lai Châu (Việt Nam)")]))
    record.add_field(Field(tag="451", indicators=[" ", " "], subfields=[Subfield("a", "Lai Chau Province")]))
    path = tmp_path / "auth.mrc"
    path.write_bytes(record.as_marc())
    result = runner.invoke(args=["catalog", "import-authorities", str(path)])
    assert result.exit_code == 0, result.output
    place = db.session.scalar(sa.select(Authority).where(Authority.heading_type == "151",
                                                         Authority.control_number.is_(None)))
    assert place.heading == "Lai Châu (Việt Nam)" and place.variant_list == ["Lai Chau Province"]
    load_authorities(runner)
    local = db.session.scalar(sa.select(Authority).where(Authority.heading == "Jodenvervolging"))
    assert authorities.heading_input(local) == "$aJodenvervolging"
    authorities.update_heading(local, "Jodenvervolging (1933-1945)", actor=SYSTEM)
    db.session.commit()
    assert authorities.heading_input(local) == "$aJodenvervolging (1933-1945)"
    assert "Persecution of the Jews" in local.variant_list and "Jodenvervolging" in local.variant_list


def test_the_marc_editor_links_a_heading_on_save(app, runner, client, network):
    from ilms.catalog import marc, marcedit
    from tests.conftest import login, post_form
    load_authorities(runner)
    record = services.create_record(actor=SYSTEM, marc_record=book("Sách sửa trong trình biên tập"))
    db.session.commit()
    text = marcedit.to_text(marc.from_json(record.marc)) + "\n700 1_ $aSorensen-Smith, Lucie,$ebiên dịch."
    login(client, "thuthu.td")
    answer = post_form(client, f"/catalog/records/{record.id}/marc", {"text": text})
    assert answer.status_code == 302
    lucie = db.session.scalar(sa.select(Authority).where(Authority.heading == "Sorensen-Smith, Lucie"))
    assert db.session.scalar(sa.select(RecordHeading.authority_id).where(RecordHeading.record_id == record.id,
                                                                         RecordHeading.tag == "700")) == lucie.id
