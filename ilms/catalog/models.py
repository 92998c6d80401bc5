"""Bibliographic records (MARC21), copies, and the accession entries that say who acquired a copy and how."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCLongText, NFCText, SortKey, TextSearchVector, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.text import sort_key
from ..common.time import utcnow
from ..extensions import db


class MaterialType(LabelledEnum):
    """What a record describes, from MARC leader/06 (and /07 for serials)."""

    BOOK = "book"
    SERIAL = "serial"
    MANUSCRIPT = "manuscript"
    MUSIC = "music"
    MAP = "map"
    VIDEO = "video"
    AUDIO = "audio"
    IMAGE = "image"
    ELECTRONIC = "electronic"
    KIT = "kit"
    OBJECT = "object"
    MIXED = "mixed"


MaterialType.__labels__ = {
    "book": _l("Book"), "serial": _l("Newspaper, magazine"), "manuscript": _l("Manuscript"),
    "music": _l("Printed music"), "map": _l("Map"), "video": _l("Film, video"),
    "audio": _l("Sound recording"), "image": _l("Picture"), "electronic": _l("Electronic resource"),
    "kit": _l("Kit"), "object": _l("Object"), "mixed": _l("Mixed materials"),
}


class ItemStatus(LabelledEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    IN_TRANSIT = "in_transit"
    ON_HOLD_SHELF = "on_hold_shelf"
    IN_ROTATION = "in_rotation"
    PROCESSING = "processing"
    DAMAGED = "damaged"
    MISSING = "missing"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


ItemStatus.__labels__ = {
    "available": _l("Available"), "on_loan": _l("On loan"), "in_transit": _l("In transit"),
    "on_hold_shelf": _l("Waiting for a reader"), "in_rotation": _l("In rotation"),
    "processing": _l("Being processed"), "damaged": _l("Damaged"), "missing": _l("Missing"),
    "lost": _l("Lost"), "withdrawn": _l("Withdrawn"),
}

_ANY_ACTIVE = {ItemStatus.AVAILABLE, ItemStatus.ON_LOAN, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF,
               ItemStatus.IN_ROTATION, ItemStatus.PROCESSING, ItemStatus.DAMAGED, ItemStatus.MISSING,
               ItemStatus.LOST}

#: The one table of item status changes. Circulation, rotation and acquisitions
#: move copies along these edges through ``catalog.services.set_item_status``.
ITEM_TRANSITIONS = Transitions({
    ItemStatus.PROCESSING: {ItemStatus.AVAILABLE, ItemStatus.WITHDRAWN, ItemStatus.DAMAGED},
    ItemStatus.AVAILABLE: {ItemStatus.ON_LOAN, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF,
                           ItemStatus.IN_ROTATION, ItemStatus.PROCESSING, ItemStatus.DAMAGED,
                           ItemStatus.MISSING, ItemStatus.LOST, ItemStatus.WITHDRAWN},
    ItemStatus.ON_LOAN: {ItemStatus.AVAILABLE, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF,
                         ItemStatus.IN_ROTATION, ItemStatus.LOST, ItemStatus.DAMAGED},
    ItemStatus.IN_TRANSIT: {ItemStatus.AVAILABLE, ItemStatus.ON_HOLD_SHELF, ItemStatus.MISSING,
                            ItemStatus.LOST},
    ItemStatus.ON_HOLD_SHELF: {ItemStatus.ON_LOAN, ItemStatus.AVAILABLE, ItemStatus.IN_TRANSIT,
                               ItemStatus.MISSING},
    ItemStatus.IN_ROTATION: {ItemStatus.AVAILABLE, ItemStatus.ON_LOAN, ItemStatus.MISSING, ItemStatus.LOST,
                             ItemStatus.DAMAGED, ItemStatus.IN_TRANSIT},
    ItemStatus.DAMAGED: {ItemStatus.AVAILABLE, ItemStatus.PROCESSING, ItemStatus.WITHDRAWN},
    ItemStatus.MISSING: _ANY_ACTIVE - {ItemStatus.MISSING} | {ItemStatus.WITHDRAWN},
    ItemStatus.LOST: {ItemStatus.AVAILABLE, ItemStatus.WITHDRAWN, ItemStatus.MISSING},
    ItemStatus.WITHDRAWN: set(),
}, noun=_l("the copy's status"))


class AcquisitionSource(LabelledEnum):
    PURCHASE = "purchase"
    DONATION = "donation"
    LEGAL_DEPOSIT = "legal_deposit"
    EXCHANGE = "exchange"
    TRANSFER = "transfer"


AcquisitionSource.__labels__ = {
    "purchase": _l("Purchase"), "donation": _l("Donation"), "legal_deposit": _l("Legal deposit"),
    "exchange": _l("Exchange"), "transfer": _l("Transfer within the network"),
}

#: Sources that add copies to the network (LIB.COPIES_ADDED); a transfer only moves them.
ACQUIRING_SOURCES = (AcquisitionSource.PURCHASE, AcquisitionSource.DONATION,
                     AcquisitionSource.LEGAL_DEPOSIT, AcquisitionSource.EXCHANGE)


class WithdrawalReason(LabelledEnum):
    LOST = "lost"
    WORN = "worn"
    DISCARDED = "discarded"


WithdrawalReason.__labels__ = {"lost": _l("Lost"), "worn": _l("Worn out"), "discarded": _l("Discarded")}


class Record(db.Model):
    """One title: the full MARC21 record, plus the fields people search and sort on."""

    __tablename__ = "records"

    id = sa.Column(sa.Integer, primary_key=True)
    control_number = sa.Column(sa.String(64), unique=True)          # 001
    isbn = sa.Column(sa.String(20), index=True)                     # first valid ISBN, normalised
    issn = sa.Column(sa.String(12), index=True)
    title = sa.Column(NFCText(1000), nullable=False)                # 245 $a$b$n$p
    title_sort = sa.Column(SortKey(600), nullable=False, default="", index=True)
    responsibility = sa.Column(NFCText(1000), nullable=False, default="")   # 245 $c
    authors = sa.Column(NFCLongText, nullable=False, default="")           # 100/110/111/700/710, "; "
    publisher = sa.Column(NFCText(500), nullable=False, default="")
    place = sa.Column(NFCText(300), nullable=False, default="")
    year = sa.Column(sa.Integer, index=True)
    edition = sa.Column(NFCText(300), nullable=False, default="")
    language = sa.Column(sa.String(3), nullable=False, default="", index=True)
    classification = sa.Column(sa.String(60), nullable=False, default="")  # DDC 082 / UDC 080
    call_number = sa.Column(NFCText(120), nullable=False, default="")
    subjects = sa.Column(NFCLongText, nullable=False, default="")          # 6XX, "; "
    physical = sa.Column(NFCText(500), nullable=False, default="")         # 300
    material_type = sa.Column(enum_column_type(MaterialType), nullable=False, default=MaterialType.BOOK,
                              index=True)
    marc = sa.Column(sa.Text, nullable=False)                      # the full record as MARC-in-JSON
    #: SHA-1 of ``marc``: finds the same record again when it has neither 001 nor ISBN (a re-run import).
    fingerprint = sa.Column(sa.String(40), index=True)
    needs_reindex = sa.Column(sa.Boolean, nullable=False, default=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow, index=True)

    items = relationship("Item", back_populates="record", order_by="Item.barcode")

    #: Ids are never reused (SQLite would otherwise hand a deleted record's id to the next one), so a
    #: search index entry or a harvester's identifier can never point at a different record.
    __table_args__ = {"sqlite_autoincrement": True}

    def __repr__(self):
        return f"<Record {self.id} {self.title[:30]!r}>"


@sa.event.listens_for(Record.title, "set", retval=True)
def _keep_title_sort(target, value, oldvalue, initiator):
    target.title_sort = sort_key(value or "")[:600]
    return value


class Item(db.Model):
    """One physical copy with its own barcode, owned by one institution."""

    __tablename__ = "items"

    id = sa.Column(sa.Integer, primary_key=True)
    barcode = sa.Column(sa.String(40), nullable=False, unique=True)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    #: Where the copy physically is when not at its owner (in transit target, rotation point).
    location_institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), index=True)
    shelf = sa.Column(NFCText(120), nullable=False, default="")
    call_number = sa.Column(NFCText(120), nullable=False, default="")
    status = sa.Column(enum_column_type(ItemStatus), nullable=False, default=ItemStatus.AVAILABLE, index=True)
    #: First accession into the network, and how it came (the acquisition that counts).
    accessioned = sa.Column(sa.Date, nullable=False, index=True)
    source = sa.Column(enum_column_type(AcquisitionSource), nullable=False)
    price = sa.Column(sa.Integer)                                   # VND
    note = sa.Column(NFCText(500), nullable=False, default="")
    withdrawn_on = sa.Column(sa.Date, index=True)
    withdrawal_reason = sa.Column(enum_column_type(WithdrawalReason))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    record = relationship("Record", back_populates="items")
    institution = relationship("Institution", foreign_keys=[institution_id])
    location_institution = relationship("Institution", foreign_keys=[location_institution_id])
    accessions = relationship("Accession", back_populates="item", order_by="Accession.date",
                              cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Item {self.barcode}>"


class Accession(db.Model):
    """An entry of an institution's accession register (sổ đăng ký cá biệt).

    A copy gets one when it is acquired (purchase, donation, legal deposit,
    exchange) and one more each time it is transferred to another institution
    of the network (source ``transfer``). Ownership on any date is the latest
    entry on or before it, so past holdings stay right after transfers, and
    transfers never count as acquisitions.
    """

    __tablename__ = "accessions"

    id = sa.Column(sa.Integer, primary_key=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    source = sa.Column(enum_column_type(AcquisitionSource), nullable=False)
    price = sa.Column(sa.Integer)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    item = relationship("Item", back_populates="accessions")
    institution = relationship("Institution")

    __table_args__ = (sa.Index("ix_accessions_institution_date", "institution_id", "date"),
                      # "is there a later entry for this copy?" (holdings on a date) from the index alone
                      sa.Index("ix_accessions_item_date", "item_id", "date", "id"))


class BarcodeSequence(db.Model):
    """The last number handed out under a barcode prefix (per institution)."""

    __tablename__ = "barcode_sequences"

    prefix = sa.Column(sa.String(12), primary_key=True)
    last = sa.Column(sa.Integer, nullable=False, default=0)


class ImportStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ImportStatus.__labels__ = {"queued": _l("Waiting to start"), "running": _l("Importing"),
                           "done": _l("Finished"), "failed": _l("Stopped by an error")}


class ImportJob(db.Model):
    """A MARC file uploaded by staff and imported in the background, with its progress and report."""

    __tablename__ = "catalog_imports"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    #: Owner of copies made from holdings fields (``with_items``).
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"))
    filename = sa.Column(NFCText(255), nullable=False)
    stored_name = sa.Column(sa.String(255), nullable=False)
    size = sa.Column(sa.Integer, nullable=False, default=0)
    with_items = sa.Column(sa.Boolean, nullable=False, default=False)
    status = sa.Column(enum_column_type(ImportStatus), nullable=False, default=ImportStatus.QUEUED)
    bytes_done = sa.Column(sa.Integer, nullable=False, default=0)
    read = sa.Column(sa.Integer, nullable=False, default=0)
    created = sa.Column(sa.Integer, nullable=False, default=0)
    updated = sa.Column(sa.Integer, nullable=False, default=0)
    unchanged = sa.Column(sa.Integer, nullable=False, default=0)
    repeated = sa.Column(sa.Integer, nullable=False, default=0)
    skipped = sa.Column(sa.Integer, nullable=False, default=0)
    warnings = sa.Column(sa.Integer, nullable=False, default=0)
    copies_created = sa.Column(sa.Integer, nullable=False, default=0)
    copies_skipped = sa.Column(sa.Integer, nullable=False, default=0)
    problems = sa.Column(sa.Text, nullable=False, default="[]")      # JSON list of the first problems
    message = sa.Column(NFCText(1000), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    started_at = sa.Column(UTCDateTime)
    finished_at = sa.Column(UTCDateTime)
    heartbeat_at = sa.Column(UTCDateTime)

    user = relationship("User")
    institution = relationship("Institution")


class OaiTombstone(db.Model):
    """A deleted record, remembered so OAI-PMH harvesters learn of the deletion (``deletedRecord`` persistent).

    Record ids are never reused, so ``record_id`` stays a unique identifier;
    ``set_specs`` are the sets the record was in when it was deleted
    (space-separated, with a space at each end for ``LIKE '% spec %'``).
    """

    __tablename__ = "oai_tombstones"

    id = sa.Column(sa.Integer, primary_key=True)
    record_id = sa.Column(sa.Integer, nullable=False, unique=True)
    control_number = sa.Column(sa.String(64))
    set_specs = sa.Column(sa.Text, nullable=False, default=" ")
    deleted_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


class HarvestedRecord(db.Model):
    """A catalogue record that came from another library system's OAI-PMH provider (``flask catalog harvest``).

    ``created`` says whether the harvest made the record (rather than updating
    one catalogued here): only such records are deleted when the source
    reports them deleted.
    """

    __tablename__ = "oai_harvested_records"

    id = sa.Column(sa.Integer, primary_key=True)
    source = sa.Column(sa.String(500), nullable=False)             # the provider's base URL
    identifier = sa.Column(sa.String(500), nullable=False)         # the record's OAI identifier there
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True)
    created = sa.Column(sa.Boolean, nullable=False, default=False)
    datestamp = sa.Column(sa.String(20), nullable=False, default="")
    harvested_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (sa.UniqueConstraint("source", "identifier"),)


class SearchDocument(db.Model):
    """A record's entry in the PostgreSQL search backend (``search_postgres``), derived from the database.

    Written only by that backend, outside the ORM session (so never audited);
    the table exists on SQLite too, to keep one schema, and stays empty there.
    Text columns hold the folded words of each field; ``library`` and
    ``available`` are space-separated institution codes; ``vector`` is built
    in Python from the folded words, one weight per field (title A, author B,
    subject C, the rest D; ISBNs and call numbers as ``isbn:``/``callno:``
    words) and searched through a GIN index.
    """

    __tablename__ = "catalog_search_docs"

    record_id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    title = sa.Column(sa.Text, nullable=False, default="")
    author = sa.Column(sa.Text, nullable=False, default="")
    subject = sa.Column(sa.Text, nullable=False, default="")
    other = sa.Column(sa.Text, nullable=False, default="")
    isbn = sa.Column(sa.Text, nullable=False, default="")
    callno = sa.Column(sa.Text, nullable=False, default="")
    language = sa.Column(sa.String(16), nullable=False, default="und")
    material = sa.Column(sa.String(32), nullable=False, default="book")
    year = sa.Column(sa.Integer)
    library = sa.Column(sa.Text, nullable=False, default="")
    available = sa.Column(sa.Text, nullable=False, default="")
    title_sort = sa.Column(SortKey(600), nullable=False, default="")
    vector = sa.Column(TextSearchVector, nullable=False)

    __table_args__ = (sa.Index("ix_catalog_search_docs_vector", "vector", postgresql_using="gin"),)


class CopyTarget(db.Model):
    """Another library's SRU server that copy cataloguing searches (``copycat``), configured by an administrator.

    ``encoding`` says how to read the characters of its records: ``utf-8``
    (what the XML says), ``marc-8`` (a gateway that passes MARC-8 bytes
    through as Latin-1 characters) or ``auto`` (MARC-8 when the leader's
    position 09 is blank). ``timeout`` is in seconds, for one search.
    """

    __tablename__ = "copy_targets"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NFCText(120), nullable=False, unique=True)
    url = sa.Column(sa.String(500), nullable=False)
    version = sa.Column(sa.String(8), nullable=False, default="1.2")
    record_schema = sa.Column(sa.String(120), nullable=False, default="marcxml")
    encoding = sa.Column(sa.String(16), nullable=False, default="utf-8")
    timeout = sa.Column(sa.Float, nullable=False, default=8.0)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class RecordRedirect(db.Model):
    """A record merged into another (``duplicates.merge``): its OPAC page and OAI identifier lead to ``record_id``."""

    __tablename__ = "record_redirects"

    old_id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True)
    merged_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Authority(db.Model):
    """One MARC21 authority record: the authorised form of a name or subject and its see-from variants (4XX).

    ``heading_type`` is the authority's 1XX tag (100 person, 110 body, 111 meeting, 130 uniform title,
    150 topic, 151 place, 155 genre); ``folded`` is the heading folded (``common.text.fold``) and is what
    bibliographic headings are matched on; ``variants`` holds the 4XX forms, one a line.
    """

    __tablename__ = "authorities"

    id = sa.Column(sa.Integer, primary_key=True)
    control_number = sa.Column(sa.String(64), unique=True)          # 001
    heading_type = sa.Column(sa.String(3), nullable=False, index=True)
    heading = sa.Column(NFCText(1000), nullable=False)
    heading_sort = sa.Column(SortKey(600), nullable=False, default="", index=True)
    folded = sa.Column(sa.String(1000), nullable=False, index=True)
    variants = sa.Column(NFCLongText, nullable=False, default="")
    marc = sa.Column(sa.Text, nullable=False)                       # MARC-in-JSON
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @property
    def variant_list(self):
        return [v for v in (self.variants or "").split("\n") if v]


class RecordHeading(db.Model):
    """A 1XX/6XX/7XX heading of a bibliographic record, and the authority it is linked to (none: unlinked).

    ``occurrence`` is the field's position among the record's fields of that tag (0-based), so that an
    authority change rewrites exactly the field that was linked.
    """

    __tablename__ = "record_headings"

    id = sa.Column(sa.Integer, primary_key=True)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False, index=True)
    tag = sa.Column(sa.String(3), nullable=False)
    occurrence = sa.Column(sa.Integer, nullable=False, default=0)
    heading = sa.Column(NFCText(1000), nullable=False)
    folded = sa.Column(sa.String(1000), nullable=False, index=True)
    authority_id = sa.Column(sa.Integer, sa.ForeignKey("authorities.id", ondelete="SET NULL"), index=True)
