"""Readers (patrons): the card, the person, the home institution."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, SortKey, UTCDateTime
from ..common.enums import LabelledEnum, enum_column_type
from ..common.text import fold, sort_key
from ..common.time import utcnow
from ..extensions import db


class PatronCategory(LabelledEnum):
    ADULT = "adult"
    STUDENT = "student"
    CHILD = "child"
    STAFF = "staff"


PatronCategory.__labels__ = {"adult": _l("Adult"), "student": _l("Pupil or student"), "child": _l("Child"),
                             "staff": _l("Staff")}


class Sex(LabelledEnum):
    FEMALE = "F"
    MALE = "M"


Sex.__labels__ = {"F": _l("Female"), "M": _l("Male")}


class NoticeChannel(LabelledEnum):
    AUTO = "auto"
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


NoticeChannel.__labels__ = {"auto": _l("E-mail if known, else SMS, else a letter"), "email": _l("E-mail"),
                            "sms": _l("SMS"), "letter": _l("Printed letter")}


class Patron(db.Model):
    """A registered reader with a card. One province-wide card, one home institution."""

    __tablename__ = "patrons"

    id = sa.Column(sa.Integer, primary_key=True)
    barcode = sa.Column(sa.String(40), nullable=False, unique=True)
    name = sa.Column(NFCText(200), nullable=False)
    name_folded = sa.Column(sa.String(200), nullable=False, default="", index=True)   # for search
    name_sort = sa.Column(SortKey(400), nullable=False, default="", index=True)
    category = sa.Column(enum_column_type(PatronCategory), nullable=False, default=PatronCategory.ADULT)
    ethnicity = sa.Column(sa.String(2))            # GSO code "01".."54", see common/ethnicity.py
    sex = sa.Column(enum_column_type(Sex, length=1))
    birth_year = sa.Column(sa.Integer)
    address = sa.Column(NFCText(300), nullable=False, default="")     # village (bản), commune
    phone = sa.Column(sa.String(40), nullable=False, default="")
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    card_issued = sa.Column(sa.Date)               # no dates: a card valid for every date
    card_expires = sa.Column(sa.Date)
    note = sa.Column(NFCText(500), nullable=False, default="")
    email = sa.Column(sa.String(200), nullable=False, default="")
    #: How the reader wants reminders: ``auto`` (e-mail, else SMS, else a printed letter) or one channel.
    notice_channel = sa.Column(enum_column_type(NoticeChannel, length=8), nullable=False, default=NoticeChannel.AUTO)
    #: The reader chose to keep a list of what they borrowed (off unless they ask; see ReadingHistoryEntry).
    keep_history = sa.Column(sa.Boolean, nullable=False, default=False)
    #: The OPAC account's PIN, hashed like staff passwords; empty: no account yet.
    pin_hash = sa.Column(sa.String(256), nullable=False, default="")
    pin_set_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    blocks = relationship("PatronBlock", back_populates="patron", order_by="PatronBlock.created_at",
                          cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Patron {self.barcode}>"

    def card_valid_on(self, day) -> bool:
        if self.card_issued and day < self.card_issued:
            return False
        return not (self.card_expires and day > self.card_expires)

    def blocks_at(self, at):
        """Blocks in force at the instant ``at`` (placed before it, not lifted by then)."""
        return [b for b in self.blocks if b.in_force_at(at)]

    @property
    def ethnicity_name(self):
        from ..common.ethnicity import name_of
        return name_of(self.ethnicity) if self.ethnicity else ""


@sa.event.listens_for(Patron.name, "set", retval=True)
def _keep_name_keys(target, value, oldvalue, initiator):
    target.name_folded = fold(value or "")[:200]
    target.name_sort = sort_key(value or "")[:400]
    return value


class BlockKind(LabelledEnum):
    LOST_CARD = "lost_card"
    OVERDUE = "overdue"
    MANUAL = "manual"


BlockKind.__labels__ = {"lost_card": _l("Card reported lost"), "overdue": _l("Overdue items"),
                        "manual": _l("Blocked by staff")}


class PatronBlock(db.Model):
    """A stop on a reader's borrowing: the card was lost, items are long overdue, or staff decided.

    A block is never deleted: lifting it records when and by whom, so a loan
    imported for an earlier date is judged by the blocks of that date.
    """

    __tablename__ = "patron_blocks"

    id = sa.Column(sa.Integer, primary_key=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(enum_column_type(BlockKind), nullable=False)
    reason = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at = sa.Column(UTCDateTime)
    lifted_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    patron = relationship("Patron", back_populates="blocks")

    @property
    def active(self):
        return self.lifted_at is None

    def in_force_at(self, at):
        return self.created_at <= at and (self.lifted_at is None or self.lifted_at > at)


class PatronCard(db.Model):
    """A card number a reader used to have (replaced after a loss), so a scan of it is explained."""

    __tablename__ = "patron_cards"

    id = sa.Column(sa.Integer, primary_key=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False, index=True)
    barcode = sa.Column(sa.String(40), nullable=False, unique=True)
    replaced_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    reason = sa.Column(NFCText(200), nullable=False, default="")

    patron = relationship("Patron")


class CardSequence(db.Model):
    """The last reader-card number handed out under a prefix (BD + the institution's prefix)."""

    __tablename__ = "patron_card_sequences"

    prefix = sa.Column(sa.String(16), primary_key=True)
    last = sa.Column(sa.Integer, nullable=False, default=0)


class ReaderSession(db.Model):
    """A reader signed in to their OPAC account: a server-side record, apart from staff sessions."""

    __tablename__ = "reader_sessions"

    id = sa.Column(sa.String(64), primary_key=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)

    patron = relationship("Patron")


class ReaderLoginFailure(db.Model):
    """A wrong card number or PIN, kept a short while to throttle guessing (shared by all workers)."""

    __tablename__ = "reader_login_failures"

    id = sa.Column(sa.Integer, primary_key=True)
    card = sa.Column(sa.String(40), nullable=False, index=True)
    address = sa.Column(sa.String(64), nullable=False, index=True)
    at = sa.Column(UTCDateTime, nullable=False, index=True)
