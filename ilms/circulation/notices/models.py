"""Notices to readers (due soon, overdue, hold ready): what was sent, how, and the editable templates."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ...common.dbtypes import NFCText, UTCDateTime
from ...common.enums import LabelledEnum, enum_column_type
from ...common.time import utcnow
from ...extensions import db


class NoticeKind(LabelledEnum):
    DUE_SOON = "due_soon"
    OVERDUE_1 = "overdue_1"
    OVERDUE_2 = "overdue_2"
    HOLD_READY = "hold_ready"


NoticeKind.__labels__ = {"due_soon": _l("Due soon"), "overdue_1": _l("Overdue (first notice)"),
                         "overdue_2": _l("Overdue (second notice)"), "hold_ready": _l("Hold ready to collect")}


class SendChannel(LabelledEnum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


SendChannel.__labels__ = {"email": _l("E-mail"), "sms": _l("SMS"), "letter": _l("Printed letter")}


class NoticeStatus(LabelledEnum):
    PENDING = "pending"      # written, not yet handed to the mail server or gateway
    SENDING = "sending"      # claimed by a run of send-notices
    SENT = "sent"
    FAILED = "failed"        # the last attempt failed; the next run tries again
    LETTER = "letter"        # the reader has neither e-mail nor phone: print the letter at the desk
    GAVE_UP = "gave_up"      # failed too many times; staff should contact the reader


NoticeStatus.__labels__ = {"pending": _l("Waiting to be sent"), "sending": _l("Being sent"), "sent": _l("Sent"),
                           "failed": _l("Failed, will be retried"), "letter": _l("To print as a letter"),
                           "gave_up": _l("Failed too often")}


class Notice(db.Model):
    """One notice about one loan or hold: sent once, whatever how often ``send-notices`` runs.

    ``key`` is unique: ``kind:loan:<id>:<due date>`` or ``kind:hold:<id>:<ready day>``. The due date is
    part of a loan's key so that a renewed loan gets its own due-soon notice for the new date, and the
    ready day part of a hold's so a hold trapped again after a cancelled transit is announced again;
    never twice for the same date.
    """

    __tablename__ = "notices"

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(80), nullable=False, unique=True)
    kind = sa.Column(enum_column_type(NoticeKind, length=16), nullable=False)
    channel = sa.Column(enum_column_type(SendChannel, length=8), nullable=False)
    status = sa.Column(enum_column_type(NoticeStatus, length=8), nullable=False, default=NoticeStatus.PENDING)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    loan_id = sa.Column(sa.Integer, sa.ForeignKey("loans.id", ondelete="SET NULL"), index=True)
    hold_id = sa.Column(sa.Integer, sa.ForeignKey("holds.id", ondelete="SET NULL"), index=True)
    #: The library that sends it: the lending library for a loan, the pickup library for a hold.
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    recipient = sa.Column(sa.String(200), nullable=False, default="")
    subject = sa.Column(NFCText(300), nullable=False, default="")
    body = sa.Column(sa.Text, nullable=False, default="")
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.String(500), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_attempt_at = sa.Column(UTCDateTime)
    sent_at = sa.Column(UTCDateTime)

    patron = relationship("Patron")
    institution = relationship("Institution")

    __table_args__ = (sa.Index("ix_notices_status", "status", "institution_id"),
                      sa.Index("ix_notices_institution_created", "institution_id", "created_at"))


class NoticeTemplate(db.Model):
    """A librarian's wording of one kind of notice for one channel (no institution: the network's own)."""

    __tablename__ = "notice_templates"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id", ondelete="CASCADE"))
    kind = sa.Column(enum_column_type(NoticeKind, length=16), nullable=False)
    channel = sa.Column(enum_column_type(SendChannel, length=8), nullable=False)
    subject = sa.Column(NFCText(300), nullable=False, default="")
    body = sa.Column(NFCText(4000), nullable=False)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    __table_args__ = (sa.UniqueConstraint("institution_id", "kind", "channel", name="uq_notice_templates_place"),)
