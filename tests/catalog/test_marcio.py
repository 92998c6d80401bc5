"""Reading and writing MARC files: the real files of ../shared, MARC-8, broken input, oversize records."""
import io
import unicodedata

import pymarc
import pytest

from ilms.catalog import marcio
from tests.catalog.conftest import BIB_FILES, MARCXML_FILES, marc_path


def _fields(record):
    out = []
    for fld in record.fields:
        if fld.is_control_field():
            out.append((fld.tag, unicodedata.normalize("NFC", fld.data)))
        else:
            out.append((fld.tag, tuple(fld.indicators),
                        tuple((sf.code, unicodedata.normalize("NFC", sf.value)) for sf in fld.subfields)))
    return out


def _read(path):
    with open(path, "rb") as fh:
        return list(marcio.read_file(fh))


@pytest.mark.parametrize("name,count", sorted(BIB_FILES.items()))
def test_good_iso2709_files_read_whole_and_as_pymarc_reads_them(name, count, capsys):
    parsed = _read(marc_path("bib", name))
    assert len(parsed) == count
    assert all(p.ok for p in parsed), [str(p.problem) for p in parsed if not p.ok][:3]
    with open(marc_path("bib", name), "rb") as fh:
        reference = [r for r in pymarc.MARCReader(fh, to_unicode=True, permissive=True)]
    capsys.readouterr()  # pymarc's own MARC-8 complaints
    assert [_fields(p.record) for p in parsed] == [_fields(r) for r in reference]
    for p in parsed:
        for fld in p.record.fields:
            values = [fld.data] if fld.is_control_field() else [sf.value for sf in fld.subfields]
            assert all(unicodedata.is_normalized("NFC", v) for v in values)


@pytest.mark.parametrize("name,count", sorted(MARCXML_FILES.items()))
def test_good_marcxml_files(name, count):
    parsed = _read(marc_path("marcxml", name))
    assert len(parsed) == count and all(p.ok for p in parsed)
    reference = pymarc.parse_xml_to_array(str(marc_path("marcxml", name)))
    assert [_fields(p.record) for p in parsed] == [_fields(r) for r in reference]


def test_one_malformed_xml_record_costs_only_that_record():
    parsed = _read(marc_path("marcxml", "koha_sample_436.raw.xml"))
    bad = [p for p in parsed if not p.ok]
    assert len(parsed) == 436 and len(bad) == 1
    assert bad[0].number == 368
    raw = marc_path("marcxml", "koha_sample_436.raw.xml").read_bytes()
    assert raw[bad[0].offset:bad[0].offset + 7] == b"<record"
    assert "well-formed" in str(bad[0].problem)


def test_marc8_vectors_come_out_as_the_expected_unicode():
    marc8 = marc_path("marc8_vectors", "pymarc_test_marc8.txt").read_bytes().split(b"\n")
    utf8 = marc_path("marc8_vectors", "pymarc_test_utf8.txt").read_text(encoding="utf-8").split("\n")
    assert len(marc8) == len(utf8) > 1500
    warnings = []
    decode = marcio._Marc8Decoder(warnings)
    for line, expected in zip(marc8, utf8):
        assert decode(line) == unicodedata.normalize("NFC", expected)
    assert not warnings


def test_utf8_bytes_under_a_marc8_leader_are_read_as_utf8():
    path = marc_path("bad_input", "evergreen_fsl_52_utf8_but_ldr09_blank.mrc")
    parsed = _read(path)
    assert len(parsed) == 52 and all(p.ok for p in parsed)
    assert all(any("UTF-8" in str(w) for w in p.warnings) for p in parsed)
    text = " ".join(sf.value for p in parsed for f in p.record.get_fields("245") for sf in f.subfields)
    # Armenian and Cyrillic letters, not MARC-8 mojibake
    assert any("\u0531" <= ch <= "\u058f" for ch in text) and any("\u0400" <= ch <= "\u04ff" for ch in text)
    raw = path.read_bytes()
    first_title = parsed[0].record["245"]["a"]
    assert unicodedata.normalize("NFC", first_title).encode("utf-8") in unicodedata.normalize(
        "NFC", raw.decode("utf-8", "replace")).encode("utf-8")


@pytest.mark.parametrize("path", sorted(p.name for p in marc_path("bad_input").iterdir()))
def test_broken_files_give_records_or_reasons_never_an_exception(path):
    full = marc_path("bad_input", path)
    parsed = _read(full)
    raw = full.read_bytes()
    assert parsed, "every file yields at least a reason"
    numbers = [p.number for p in parsed]
    assert numbers == list(range(1, len(parsed) + 1))
    for p in parsed:
        assert 0 <= p.offset < len(raw)
        assert p.ok or str(p.problem)


def test_known_broken_records_are_reported_with_their_reason():
    parsed = _read(marc_path("bad_input", "pymarc_bad_records_9.mrc"))
    reasons = {p.number: str(p.problem) for p in parsed if not p.ok}
    assert "directory" in reasons[4] and "base address" in reasons[6] and "no fields" in reasons[7]
    errors = _read(marc_path("bad_input", "marc4j_pride_prejudice_errors_383.mrc"))
    assert sum(p.ok for p in errors) == 367 and sum(not p.ok for p in errors) == 16


def test_records_over_99999_bytes_are_read_and_written_back():
    parsed = _read(marc_path("bad_input", "marc4j_bad_hathi_records_4.mrc"))
    big = [p.record for p in parsed if p.ok and len(marcio.to_iso2709(p.record)) > 99999]
    assert big, "the HathiTrust file has an oversize record"
    data = marcio.to_iso2709(big[0])
    (again,) = _read_bytes(data)
    assert again.ok and _fields(again.record) == _fields(big[0])
    datos = _read(marc_path("bad_input", "marc4j_datos_bne_oversize_1.mrc"))
    assert datos[0].ok and len(datos[0].record.fields) > 100


def _read_bytes(data):
    return list(marcio.read_file(io.BytesIO(data)))


def test_writing_then_reading_keeps_every_field_of_the_real_records():
    for name in BIB_FILES:
        records = [p.record for p in _read(marc_path("bib", name))]
        iso = b"".join(marcio.write_iso2709(records))
        xml = b"".join(marcio.write_marcxml(records))
        assert [_fields(p.record) for p in _read_bytes(iso)] == [_fields(r) for r in records], name
        assert [_fields(p.record) for p in _read_bytes(xml)] == [_fields(r) for r in records], name
        assert [str(p.record.leader) for p in _read_bytes(iso)] == [str(r.leader) for r in records]


def test_xml_export_replaces_characters_xml_cannot_hold():
    record = pymarc.Record()
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "A\x1fB")]))
    (back,) = _read_bytes(b"".join(marcio.write_marcxml([record])))
    assert back.ok and back.record["245"]["a"] == "A\ufffdB"


def test_a_file_that_is_not_marc_is_one_clear_problem():
    (only,) = _read_bytes(b"hello, this is a text file\n" * 10)
    assert not only.ok and str(only.problem)
