"""Reading and writing MARC files: ISO 2709 (MARC-8 or UTF-8) and MARCXML, one record at a time.

Readers stream: they hold one record (plus a read buffer) in memory whatever
the size of the file, and they never stop at a broken record. Each record
comes out as a ``ParsedRecord`` with its number in the file (from 1), the byte
offset where it starts, and either a pymarc record in Unicode NFC or the
reason it could not be read, in words a cataloguer can act on.

The decoder is our own rather than ``pymarc.MARCReader`` because real files
break its assumptions: leader/09 that says MARC-8 over UTF-8 bytes, records
over 99,999 bytes, directories whose lengths are wrong while the field
terminators are right. Characters still go through pymarc's MARC-8 tables.
"""
from __future__ import annotations

import contextlib
import io
import re
from operator import itemgetter
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

import pymarc
from flask_babel import lazy_gettext as _l
from pymarc import Field, Subfield
from pymarc.field import Indicators
from pymarc.marc8 import MARC8ToUnicode

RECORD_END = 0x1D
FIELD_END = 0x1E
SUBFIELD_START = 0x1F
ESC = 0x1B
LEADER_LEN = 24
CHUNK = 1 << 20
#: A record longer than this without a terminator is not a record.
MAX_RECORD_BYTES = 4 << 20

MARCXML_NS = "http://www.loc.gov/MARC21/slim"
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")
#: Subfield codes as written: one printable ASCII character.
_SUBFIELD_CODES = frozenset(chr(c) for c in range(0x20, 0x7F))


class ReadProblem(Exception):
    """A record cannot be read; ``message`` (translatable) says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class ParsedRecord:
    """One record of a file: ``record`` (pymarc, NFC) or ``problem`` (why it was skipped)."""

    number: int
    offset: int
    record: pymarc.Record | None = None
    problem: str | None = None
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return self.record is not None


# -- format detection ------------------------------------------------------------

def sniff_format(head: bytes) -> str:
    """``"marcxml"`` or ``"iso2709"`` from the first bytes of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "marcxml"
    return "iso2709"


def read_file(fh: BinaryIO, *, fmt: str | None = None) -> Iterator[ParsedRecord]:
    """Every record of an open binary file, ISO 2709 or MARCXML (detected when ``fmt`` is None)."""
    if fmt is None:
        head = fh.read(512)
        fh.seek(0)
        fmt = sniff_format(head)
    if fmt == "marcxml":
        return read_marcxml(fh)
    return read_iso2709(fh)


class _Reader:
    """A growing window on a file: ``buf`` holds bytes from file offset ``base`` on."""

    def __init__(self, fh):
        self.fh = fh
        self.buf = bytearray()
        self.base = 0
        self.eof = False

    def fill(self):
        """Read one more chunk; False at the end of the file."""
        if self.eof:
            return False
        data = self.fh.read(CHUNK)
        if not data:
            self.eof = True
            return False
        self.buf.extend(data)
        return True

    def drop(self, count):
        """Forget the first ``count`` bytes (they were handed out)."""
        del self.buf[:count]
        self.base += count


# -- ISO 2709 --------------------------------------------------------------------------

def iso2709_chunks(fh: BinaryIO) -> Iterator[tuple[int, int, bytes, str | None]]:
    """Split a file into ``(number, offset, bytes, note)`` records.

    The leader's length is trusted when the byte it points to is a record
    terminator; otherwise the record runs to the next terminator (records
    over 99,999 bytes, wrong lengths). Line breaks between records, which
    some systems add, are skipped. ``note`` says when the file ended without
    a terminator.
    """
    reader = _Reader(fh)
    buf, fill = reader.buf, reader.fill
    number = 0

    while True:
        # skip separators between records
        while True:
            skip = 0
            while skip < len(buf) and buf[skip] in b"\r\n\x00 \x1a":
                skip += 1
            if skip:
                reader.drop(skip)
            if buf or not fill():
                break
        if not buf:
            return
        number += 1
        while len(buf) < 5 and fill():
            pass
        declared = None
        head = bytes(buf[:5])
        if head.isdigit():
            declared = int(head)
        if declared and declared >= LEADER_LEN:
            while len(buf) < declared and fill():
                pass
            if len(buf) >= declared and buf[declared - 1] == RECORD_END:
                yield number, reader.base, bytes(buf[:declared]), None
                reader.drop(declared)
                continue
        start = 0
        while True:
            end = buf.find(b"\x1d", start)
            if end >= 0:
                break
            start = len(buf)
            if len(buf) > MAX_RECORD_BYTES:
                end = -1
                break
            if not fill():
                break
        if end >= 0:
            yield number, reader.base, bytes(buf[:end + 1]), None
            reader.drop(end + 1)
        elif len(buf) > MAX_RECORD_BYTES:
            # no terminator in megabytes: give up on the rest of the file
            yield number, reader.base, b"", _l("no record terminator within %(mb)d MB: this is not a MARC file or "
                                               "it is badly damaged", mb=MAX_RECORD_BYTES // 2**20)
            return
        else:
            yield number, reader.base, bytes(buf), _l("the file ends inside this record (no record terminator)")
            return


def read_iso2709(fh: BinaryIO) -> Iterator[ParsedRecord]:
    for number, offset, data, note in iso2709_chunks(fh):
        if note and not data:
            yield ParsedRecord(number, offset, problem=note)
            return
        try:
            record, warnings = decode_iso2709(data)
        except ReadProblem as problem:
            reason = problem.message
            if note:
                reason = _l("%(first)s; %(second)s", first=note, second=problem.message)
            yield ParsedRecord(number, offset, problem=reason)
            continue
        if note:
            warnings.insert(0, note)
        yield ParsedRecord(number, offset, record=record, warnings=warnings)


def _digits(text: bytes, what: str) -> int:
    if not text.isdigit():
        raise ReadProblem(_l("%(what)s is not a number (“%(text)s”)", what=what, text=text.decode("latin-1")))
    return int(text)


def decode_iso2709(data: bytes) -> tuple[pymarc.Record, list]:
    """One ISO 2709 record as a pymarc record in Unicode NFC, plus warnings."""
    warnings = []
    if len(data) < LEADER_LEN + 2:
        raise ReadProblem(_l("only %(n)d bytes: too short to hold a leader and a field", n=len(data)))
    try:
        leader = data[:LEADER_LEN].decode("ascii")
    except UnicodeDecodeError:
        raise ReadProblem(_l("the leader contains bytes that are not ASCII"))
    if not leader.isprintable():
        raise ReadProblem(_l("the leader contains control characters"))
    base = _digits(data[12:17], _l("the base address of data (leader/12-16)"))
    directory_end = data.find(b"\x1e", LEADER_LEN)
    if directory_end < 0:
        raise ReadProblem(_l("no field terminator after the directory"))
    if base != directory_end + 1:
        if base <= LEADER_LEN or base > len(data) or data[base - 1] != FIELD_END:
            warnings.append(_l("the base address in the leader is wrong; the directory was read up to "
                               "its terminator"))
            base = directory_end + 1
    directory = data[LEADER_LEN:base - 1]
    if not directory:
        raise ReadProblem(_l("the record has no fields"))
    body = data[base:]
    if body.endswith(b"\x1d"):
        body = body[:-1]
    entries = _directory_entries(directory) if len(directory) % 12 == 0 else None
    chunks = None
    if entries is not None:
        chunks = []
        for tag, length, start in entries:
            chunk = body[start:start + length]
            if length < 1 or len(chunk) != length or chunk[-1] != FIELD_END:
                chunks = None
                break
            chunks.append(chunk[:-1])
    if chunks is None:
        pieces = body.split(b"\x1e")
        if pieces and pieces[-1] == b"":
            pieces.pop()
        if entries is None:
            entries = _recover_directory(directory, pieces)
            if entries is None:
                raise ReadProblem(_l("the directory is damaged (%(n)d bytes, which is not a whole number of "
                                     "12-byte entries, and it does not match the fields)", n=len(directory)))
        elif len(pieces) != len(entries):
            raise ReadProblem(_l("the directory does not match the data: %(entries)d directory entries but "
                                 "%(fields)d fields", entries=len(entries), fields=len(pieces)))
        warnings.append(_l("the directory's lengths or positions are wrong; fields were read by their "
                           "terminators"))
        chunks = pieces

    utf8 = leader[9] == "a"
    has_high = not body.isascii()
    if not utf8 and has_high and ESC not in body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            utf8 = True
            warnings.append(_l("leader/09 says MARC-8 but the text is UTF-8; it was read as UTF-8"))
    elif utf8 and has_high:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            warnings.append(_l("some bytes are not valid UTF-8; they were replaced by �"))

    record = pymarc.Record(to_unicode=True, force_utf8=True)
    fixed = leader[:9] + "a" + "22" + leader[12:20] + "4500"
    record.leader = pymarc.Leader(_zero_lengths(fixed))
    marc8 = None if utf8 else _Marc8Decoder(warnings)
    fields = record.fields
    new_tuple, codes_ok, first_item = tuple.__new__, _SUBFIELD_CODES, itemgetter(0)
    for (tag, _length, _start), chunk in zip(entries, chunks):
        if not (len(tag) == 3 and tag.isascii() and tag.isalnum()):
            warnings.append(_l("a field with the damaged tag “%(tag)s” was left out", tag=tag))
            continue
        if tag < "010" and tag.isdigit():
            value = chunk.decode("utf-8", "replace") if utf8 else chunk.decode("latin-1")
            fields.append(control_field(tag, _nfc(value)))
            continue
        # whole fields are decoded at once: 0x1F is ASCII, so it survives UTF-8 and plain-ASCII decoding
        if utf8:
            parts = _nfc(chunk.decode("utf-8", "replace")).split("\x1f")
        elif chunk.isascii() and ESC not in chunk:
            parts = chunk.decode("ascii").split("\x1f")
        else:
            raw = chunk.split(b"\x1f")
            parts = [raw[0].decode("latin-1")] + [
                (chr(p[0]) + marc8(p[1:])) if p and p[0] < 0x80 else ("\ufffd" + marc8(p[1:]) if p else "")
                for p in raw[1:]]
        indicators = parts[0]
        if len(indicators) != 2:
            warnings.append(_l("field %(tag)s has %(n)d indicators instead of 2", tag=tag, n=len(indicators)))
            indicators = (indicators + "  ")[:2]
        # Subfield is a named tuple: tuple.__new__ makes the same object without a Python-level call
        subfields = [new_tuple(Subfield, (part[0], part[1:])) for part in parts[1:] if part]
        codes = "".join(map(first_item, subfields))
        if not (codes.isascii() and codes.isprintable()):
            warnings.append(_l("field %(tag)s has a subfield with an unreadable code; it was read as “a”",
                                tag=tag))
            subfields = [sf if sf[0] in codes_ok else new_tuple(Subfield, ("a", sf[1])) for sf in subfields]
        fields.append(data_field(tag, indicators[0], indicators[1], subfields))
    if not fields:
        raise ReadProblem(_l("the record has no fields"))
    return record, warnings


def _field_slots_known():
    return set(getattr(Field, "__slots__", ())) >= {"tag", "data", "_indicators", "subfields", "control_field"}


if _field_slots_known():
    # pymarc's constructor validates its arguments one by one; the decoder has already done that for
    # every field of every record, so it fills the same slots directly (3x faster on big imports).
    def control_field(tag, data):
        fld = Field.__new__(Field)
        fld.tag, fld.data, fld._indicators, fld.subfields, fld.control_field = tag, data, None, [], True
        return fld

    def data_field(tag, ind1, ind2, subfields):
        fld = Field.__new__(Field)
        fld.tag, fld.data, fld.subfields, fld.control_field = tag, None, subfields, False
        fld._indicators = Indicators(ind1, ind2)
        return fld
else:  # another pymarc: its constructor
    def control_field(tag, data):
        return Field(tag=tag, data=data)

    def data_field(tag, ind1, ind2, subfields):
        return Field(tag=tag, indicators=Indicators(ind1, ind2), subfields=subfields)


def _directory_entries(directory: bytes):
    """``[(tag, length, start)]`` of a well-formed directory, or ``None``."""
    entries = []
    for n in range(len(directory) // 12):
        entry = directory[n * 12:n * 12 + 12]
        length, start = entry[3:7], entry[7:12]
        if not (length.isdigit() and start.isdigit()):
            return None
        entries.append((entry[:3].decode("latin-1"), int(length), int(start)))
    return entries


def _recover_directory(directory: bytes, pieces: list):
    """Read a directory whose entries are not all 12 bytes, using the fields' real sizes.

    Some writers put 5-digit lengths or 6-digit positions in the entries of
    oversize fields. Knowing each field's size from its terminator, every
    entry can still be checked exactly: tag, then its length and position.
    """
    entries, pos, offset = [], 0, 0
    for piece in pieces:
        length = len(piece) + 1
        expected = f"{length:04d}{offset:05d}".encode("ascii")
        tag = directory[pos:pos + 3]
        if len(tag) != 3 or directory[pos + 3:pos + 3 + len(expected)] != expected:
            return None
        entries.append((tag.decode("latin-1"), length, offset))
        pos += 3 + len(expected)
        offset += length
    return entries if pos == len(directory) else None


def _zero_lengths(leader: str) -> str:
    """The leader without its record length and base address (structure, not content)."""
    leader = (leader + " " * LEADER_LEN)[:LEADER_LEN]
    return "00000" + leader[5:12] + "00000" + leader[17:]


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


class _Marc8Decoder:
    """MARC-8 to Unicode through pymarc's tables, with its complaints turned into warnings."""

    def __init__(self, warnings):
        self.warnings = warnings

    def __call__(self, raw: bytes) -> str:
        if not raw or (raw.isascii() and ESC not in raw):
            return raw.decode("ascii")
        errors = io.StringIO()
        converter = MARC8ToUnicode(quiet=False)
        with contextlib.redirect_stderr(errors):
            try:
                text = converter.translate(raw)
            except (IndexError, TypeError, KeyError, ValueError):
                text = raw.decode("latin-1")
                self.warnings.append(_l("a MARC-8 sequence could not be converted; the bytes were kept as "
                                        "Latin-1"))
        for line in errors.getvalue().splitlines():
            # a space inside a non-Latin set (Hebrew, Arabic) is still a space: not worth a warning
            if line and "character 0x20 " not in line:
                self.warnings.append(_l("MARC-8: %(detail)s", detail=line.strip()))
        return unicodedata.normalize("NFC", text)


# -- MARCXML ----------------------------------------------------------------------------

_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record(?=[\s/>])[^>]*>")
_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?record\s*>")
_NS_DECL = re.compile(rb"""\sxmlns(?::[A-Za-z_][\w.-]*)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


def marcxml_chunks(fh: BinaryIO) -> Iterator[tuple[int, int, bytes, bytes]]:
    """Split MARCXML into ``(number, offset, record element bytes, namespace declarations)``.

    Each ``<record>`` is parsed on its own, so one malformed record (a
    control character, a missing end tag) costs that record only. Namespace
    declarations made on the root element are handed along. A ``<record>``
    inside another one (OAI-PMH envelopes) counts as the record.
    """
    reader = _Reader(fh)
    buf, fill = reader.buf, reader.fill
    namespaces = b""
    prolog_done = False
    number = 0
    fill()
    pos = 0
    while True:
        start = _START.search(buf, pos)
        if start is None:
            if reader.eof:
                return
            # keep the prolog until the first record: its namespace declarations are needed
            keep = pos if not prolog_done else max(pos, len(buf) - 4096)
            reader.drop(keep)
            pos = 0
            fill()
            continue
        if not prolog_done:
            prolog_done = True
            namespaces = b"".join(_NS_DECL.findall(bytes(buf[:start.start()])))
        end = _END.search(buf, start.end())
        while end is None and not reader.eof:
            if len(buf) - start.start() > MAX_RECORD_BYTES:
                break
            fill()
            end = _END.search(buf, start.end())
        number += 1
        if end is None:
            yield number, reader.base + start.start(), b"", namespaces
            return
        inner = _START.search(buf, start.end(), end.start())
        while inner is not None:  # an envelope: the innermost record is the MARC one
            start = inner
            inner = _START.search(buf, start.end(), end.start())
        yield number, reader.base + start.start(), bytes(buf[start.start():end.end()]), namespaces
        pos = end.end()
        if pos > CHUNK:
            reader.drop(pos)
            pos = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_marcxml(fh: BinaryIO) -> Iterator[ParsedRecord]:
    encoding_decl = b""
    head = fh.read(200)
    fh.seek(0)
    match = _XML_DECL.match(head)
    if match:
        encoding_decl = match.group(0).strip()
    seen = False
    for number, offset, chunk, namespaces in marcxml_chunks(fh):
        seen = True
        if not chunk:
            yield ParsedRecord(number, offset, problem=_l("the file ends inside this record (no </record>)"))
            return
        wrapped = encoding_decl + b"<ilms-wrapper" + namespaces + b">" + chunk + b"</ilms-wrapper>"
        try:
            element = ET.fromstring(wrapped)[0]
        except ET.ParseError as error:
            line, column = error.position
            yield ParsedRecord(number, offset, problem=_l(
                "not well-formed XML (%(reason)s, line %(line)d of the record, column %(column)d)",
                reason=_xml_reason(error), line=line, column=column))
            continue
        try:
            record, warnings = decode_marcxml(element)
        except ReadProblem as problem:
            yield ParsedRecord(number, offset, problem=problem.message)
            continue
        yield ParsedRecord(number, offset, record=record, warnings=warnings)
    if not seen:
        yield ParsedRecord(1, 0, problem=_l("no <record> element found: this is not a MARCXML file"))


def _xml_reason(error):
    text = str(error)
    return text.split(":")[0] if ":" in text else text


def decode_marcxml(element) -> tuple[pymarc.Record, list]:
    """A MARCXML ``<record>`` element as a pymarc record in NFC."""
    warnings = []
    record = pymarc.Record(to_unicode=True, force_utf8=True)
    leader = None
    for child in element:
        name = _local(child.tag) if isinstance(child.tag, str) else ""
        if name == "leader":
            leader = child.text or ""
        elif name == "controlfield":
            tag = (child.get("tag") or "").strip()
            if not _TAG.match(tag):
                raise ReadProblem(_l("a control field has an invalid tag “%(tag)s”", tag=tag))
            record.add_field(Field(tag=tag, data=_nfc(child.text or "")))
        elif name == "datafield":
            tag = (child.get("tag") or "").strip()
            if not _TAG.match(tag):
                raise ReadProblem(_l("a data field has an invalid tag “%(tag)s”", tag=tag))
            indicators = [(child.get("ind1") or " ")[:1] or " ", (child.get("ind2") or " ")[:1] or " "]
            subfields = []
            for sub in child:
                if not isinstance(sub.tag, str) or _local(sub.tag) != "subfield":
                    continue
                code = sub.get("code")
                if not code:
                    raise ReadProblem(_l("field %(tag)s has a subfield without a code", tag=tag))
                subfields.append(Subfield(code=code[:1], value=_nfc(sub.text or "")))
            record.add_field(Field(tag=tag, indicators=indicators, subfields=subfields))
    if leader is None:
        raise ReadProblem(_l("the record has no leader"))
    if len(leader) != LEADER_LEN:
        raise ReadProblem(_l("the leader is %(n)d characters long instead of 24", n=len(leader)))
    if not record.fields:
        raise ReadProblem(_l("the record has no fields"))
    record.leader = pymarc.Leader(_zero_lengths(leader[:9] + "a22" + leader[12:20] + "4500"))
    return record, warnings


# -- writing ------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_iso2709(record: pymarc.Record) -> bytes:
    """One record in ISO 2709, UTF-8 (leader/09 ``a``).

    A record over 99,999 bytes or a field over 9,999 bytes cannot be
    described exactly by the format; it is still written whole, with the
    largest numbers the leader and directory can hold, and the terminators
    (which our reader and most others follow) make it readable.
    """
    directory = bytearray()
    data = bytearray()
    for fld in record.fields:
        if fld.is_control_field():
            raw = (fld.data or "").encode("utf-8") + b"\x1e"
        else:
            ind = "".join((i or " ")[:1] for i in (list(fld.indicators) + [" ", " "])[:2])
            raw = ind.encode("utf-8") + b"".join(
                b"\x1f" + s.code.encode("utf-8") + (s.value or "").encode("utf-8") for s in fld.subfields
            ) + b"\x1e"
        directory += f"{fld.tag[:3]:0>3}{min(len(raw), 9999):04d}{min(len(data), 99999):05d}".encode("ascii")
        data += raw
    directory += b"\x1e"
    base = LEADER_LEN + len(directory)
    length = base + len(data) + 1
    leader = str(record.leader) if record.leader else "     nam a22     a 4500"
    leader = (leader + " " * LEADER_LEN)[:LEADER_LEN]
    leader = f"{min(length, 99999):05d}" + leader[5:9] + "a22" + f"{min(base, 99999):05d}" + leader[17:20] + "4500"
    return leader.encode("ascii", "replace") + bytes(directory) + bytes(data) + b"\x1d"


def _xml_text(value):
    return _XML_ILLEGAL.sub("\ufffd", value or "")


#: Text with the characters XML 1.0 cannot hold replaced (for other XML writers).
xml_text = _xml_text


def marcxml_element(record: pymarc.Record, namespace: str = "") -> ET.Element:
    """One ``<record>`` as an element, its tags in ``namespace`` (none: it goes inside ``<collection>``)."""
    prefix = f"{{{namespace}}}" if namespace else ""
    root = ET.Element(prefix + "record")
    leader = ET.SubElement(root, prefix + "leader")
    leader.text = _xml_text(str(record.leader))
    for fld in record.fields:
        if fld.is_control_field():
            node = ET.SubElement(root, prefix + "controlfield", tag=fld.tag)
            node.text = _xml_text(fld.data)
        else:
            ind = (list(fld.indicators) + [" ", " "])[:2]
            node = ET.SubElement(root, prefix + "datafield", tag=fld.tag, ind1=ind[0] or " ", ind2=ind[1] or " ")
            for sub in fld.subfields:
                child = ET.SubElement(node, prefix + "subfield", code=sub.code)
                child.text = _xml_text(sub.value)
    return root


def to_marcxml(record: pymarc.Record) -> bytes:
    """One ``<record>`` element (no namespace declaration: it goes inside ``<collection>``)."""
    return ET.tostring(marcxml_element(record), encoding="unicode", short_empty_elements=False).encode("utf-8")


MARCXML_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
MARCXML_TAIL = b"</collection>\n"


def write_marcxml(records: Iterable[pymarc.Record]) -> Iterator[bytes]:
    yield MARCXML_HEAD
    for record in records:
        yield to_marcxml(record) + b"\n"
    yield MARCXML_TAIL


def write_iso2709(records: Iterable[pymarc.Record]) -> Iterator[bytes]:
    for record in records:
        yield to_iso2709(record)
