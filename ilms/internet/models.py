"""Public computers, their sessions, trainings, connectivity records and opening hours."""
import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCLongText, NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.time import utcnow
from ..extensions import db


class Station(db.Model):
    """One public computer (or a training machine) of an institution.

    ``in_service_from``/``in_service_to`` are the dates it served the public;
    the figures use them, so a retired PC keeps counting in the years it
    served. ``out_of_order`` is today's state only (a broken PC is still in
    service: it is repaired, not retired).
    """

    __tablename__ = "internet_stations"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    label = sa.Column(NFCText(120), nullable=False, default="")
    in_service_from = sa.Column(sa.Date, nullable=False)
    in_service_to = sa.Column(sa.Date)
    training_only = sa.Column(sa.Boolean, nullable=False, default=False)
    out_of_order = sa.Column(sa.Boolean, nullable=False, default=False)
    notes = sa.Column(NFCLongText, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    def __repr__(self):
        return f"<Station {self.code}>"

    @property
    def name(self):
        return self.label or self.code

    def in_service_on(self, day: dt.date) -> bool:
        return self.in_service_from <= day and (self.in_service_to is None or day <= self.in_service_to)


class SessionState(LabelledEnum):
    OPEN = "open"
    ENDED = "ended"
    VOIDED = "voided"


SessionState.__labels__ = {"open": _l("In use"), "ended": _l("Ended"), "voided": _l("Voided")}

SESSION_TRANSITIONS = Transitions({
    SessionState.OPEN: {SessionState.ENDED, SessionState.VOIDED},
    SessionState.ENDED: {SessionState.VOIDED},
    SessionState.VOIDED: set(),
}, noun=_l("the session"))


class AgeBand(LabelledEnum):
    CHILD = "under_15"
    YOUTH = "15_24"
    ADULT = "25_44"
    MIDDLE = "45_59"
    SENIOR = "60_plus"


AgeBand.__labels__ = {"under_15": _l("Under 15"), "15_24": _l("15–24"), "25_44": _l("25–44"),
                      "45_59": _l("45–59"), "60_plus": _l("60 and over")}

class UserKind(LabelledEnum):
    """Who used a computer, as lists and drill-downs show it (a session stores ``is_guest``)."""

    READER = "reader"
    GUEST = "guest"


UserKind.__labels__ = {"reader": _l("Reader with a card"), "guest": _l("Guest")}

_OPEN = sa.text("state = 'open'")
_OPEN_READER = sa.text("state = 'open' AND patron_id IS NOT NULL")


class InternetSession(db.Model):
    """One use of a public computer, by a reader (card scanned) or by a guest.

    ``institution_id`` is the station's institution, copied at the start so
    the figures never move when a PC is moved. ``reader_key`` stays when
    anonymisation clears ``patron_id``; it is ``""`` for guests. Two partial
    unique indexes keep one open session per station and per reader, whatever
    the number of desks or workers.
    """

    __tablename__ = "internet_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    station_id = sa.Column(sa.Integer, sa.ForeignKey("internet_stations.id"), nullable=False, index=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id"), index=True)
    reader_key = sa.Column(sa.String(24), nullable=False, default="", index=True)
    is_guest = sa.Column(sa.Boolean, nullable=False, default=False)
    guest_age_band = sa.Column(enum_column_type(AgeBand, length=10))
    guest_sex = sa.Column(sa.String(1))
    guest_ethnicity = sa.Column(sa.String(2))
    state = sa.Column(enum_column_type(SessionState, length=10), nullable=False, default=SessionState.OPEN)
    started_at = sa.Column(UTCDateTime, nullable=False)
    ended_at = sa.Column(UTCDateTime)
    duration_seconds = sa.Column(sa.Integer)
    limit_minutes = sa.Column(sa.Integer)
    voided_at = sa.Column(UTCDateTime)
    void_reason = sa.Column(NFCText(300), nullable=False, default="")
    started_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    ended_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    voided_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    station = relationship("Station")
    institution = relationship("Institution")
    patron = relationship("Patron")

    __table_args__ = (
        sa.Index("ix_internet_sessions_institution_started", "institution_id", "started_at"),
        # covers the indicators' counts (sessions, hours, users) without reading the rows
        sa.Index("ix_internet_sessions_counted", "institution_id", "state", "started_at", "is_guest",
                 "reader_key", "duration_seconds"),
        sa.Index("uq_internet_sessions_open_station", "station_id", unique=True,
                 sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index("uq_internet_sessions_open_reader", "patron_id", unique=True,
                 sqlite_where=_OPEN_READER, postgresql_where=_OPEN_READER),
    )

    def __repr__(self):
        return f"<InternetSession {self.id} {self.state}>"

    @property
    def is_open(self):
        return self.state == SessionState.OPEN

    def elapsed_seconds(self, now=None) -> int:
        if self.duration_seconds is not None:
            return self.duration_seconds
        end = self.ended_at or self.voided_at or now or utcnow()
        return max(0, int((end - self.started_at).total_seconds()))

    def over_limit(self, now=None) -> bool:
        return bool(self.limit_minutes) and self.elapsed_seconds(now) > self.limit_minutes * 60


class InternetSettings(db.Model):
    """Per-institution rules of the sessions screen."""

    __tablename__ = "internet_settings"

    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), primary_key=True)
    session_limit_minutes = sa.Column(sa.Integer)       # None: no limit
    daily_limit_minutes = sa.Column(sa.Integer)         # per reader and day; None: no limit
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class OpeningHours(db.Model):
    """One opening interval of the weekly schedule (weekday 0 = Monday).

    An institution without rows keeps the default schedule
    (``services.DEFAULT_SCHEDULE``); a day without intervals is closed.
    """

    __tablename__ = "internet_opening_hours"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    weekday = sa.Column(sa.Integer, nullable=False)
    opens = sa.Column(sa.Time, nullable=False)
    closes = sa.Column(sa.Time, nullable=False)


class Training(db.Model):
    """A computer and internet class for local people, with its attendance."""

    __tablename__ = "internet_trainings"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    place = sa.Column(NFCText(200), nullable=False, default="")
    topic = sa.Column(NFCText(300), nullable=False)
    trainer = sa.Column(NFCText(200), nullable=False, default="")
    duration_minutes = sa.Column(sa.Integer)
    note = sa.Column(NFCLongText, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    counts = relationship("TrainingCount", back_populates="training", cascade="all, delete-orphan",
                          order_by="(TrainingCount.ethnicity, TrainingCount.sex)")
    attendees = relationship("TrainingAttendee", back_populates="training", cascade="all, delete-orphan",
                             order_by="TrainingAttendee.id")

    __table_args__ = (sa.Index("ix_internet_trainings_institution_date", "institution_id", "date"),)

    @property
    def attendance(self) -> int:
        return sum(c.count for c in self.counts) + len(self.attendees)


class TrainingCount(db.Model):
    """Attendees counted by ethnic group and sex (either may be unknown)."""

    __tablename__ = "internet_training_counts"

    id = sa.Column(sa.Integer, primary_key=True)
    training_id = sa.Column(sa.Integer, sa.ForeignKey("internet_trainings.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    ethnicity = sa.Column(sa.String(2))
    sex = sa.Column(sa.String(1))
    count = sa.Column(sa.Integer, nullable=False)

    training = relationship("Training", back_populates="counts")


class TrainingAttendee(db.Model):
    """A named attendee with a reader card, counted on top of the rows of counts.

    Ethnic group and sex are copied from the reader when added, so the
    figures stay the same after the reader is anonymised or edited.
    """

    __tablename__ = "internet_training_attendees"

    id = sa.Column(sa.Integer, primary_key=True)
    training_id = sa.Column(sa.Integer, sa.ForeignKey("internet_trainings.id", ondelete="CASCADE"),
                            nullable=False, index=True)
    patron_id = sa.Column(sa.Integer, sa.ForeignKey("patrons.id"), index=True)
    reader_key = sa.Column(sa.String(24), nullable=False, default="")
    ethnicity = sa.Column(sa.String(2))
    sex = sa.Column(sa.String(1))

    training = relationship("Training", back_populates="attendees")
    patron = relationship("Patron")

    __table_args__ = (sa.UniqueConstraint("training_id", "reader_key"),)


class LinkType(LabelledEnum):
    FIBRE = "fibre"
    DSL = "dsl"
    MOBILE = "mobile"
    SATELLITE = "satellite"
    OTHER = "other"


LinkType.__labels__ = {"fibre": _l("Fibre (FTTH)"), "dsl": _l("ADSL"), "mobile": _l("3G/4G mobile"),
                       "satellite": _l("Satellite"), "other": _l("Other")}


class LinkState(LabelledEnum):
    """A connectivity record's verdict, as lists and drill-downs show it (a record stores ``connected``)."""

    CONNECTED = "connected"
    NOT_CONNECTED = "not_connected"


LinkState.__labels__ = {"connected": _l("Connected"), "not_connected": _l("Not connected")}


class ConnectivityRecord(db.Model):
    """What an institution's internet link was from ``date`` on (one record per day)."""

    __tablename__ = "internet_connectivity"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    date = sa.Column(sa.Date, nullable=False)
    connected = sa.Column(sa.Boolean, nullable=False)
    link_type = sa.Column(enum_column_type(LinkType, length=12))
    speed_mbps = sa.Column(sa.Float)
    note = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")

    __table_args__ = (sa.UniqueConstraint("institution_id", "date"),)
