"""Exhibitions and their venue stops, visitors, artifacts and collections, festivals, clubs, activities, courses.

Schedules are local: an exhibition runs from one local date to another, and
an event's time of day (``Time`` columns) is a wall-clock time in Lai Châu,
not an instant. Instants built from them (iCalendar feeds) go through
``common.time.local_datetime``.
"""
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCLongText, NFCText, SortKey, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.text import fold, sort_key
from ..common.time import utcnow
from ..extensions import db


# -- exhibitions -------------------------------------------------------------------------

class ExhibitionKind(LabelledEnum):
    LIBRARY_DISPLAY = "library_display"
    THEMATIC = "thematic"
    MOBILE = "mobile"
    HERITAGE_EVENT = "heritage_event"


ExhibitionKind.__labels__ = {
    "library_display": _l("Library book display"),
    "thematic": _l("Museum thematic exhibition"),
    "mobile": _l("Travelling exhibition"),
    "heritage_event": _l("Heritage event"),
}

#: Kinds that occupy their venue for their dates: two of them cannot share a
#: venue on the same day. A heritage event (a talk, a demonstration) is often
#: held inside a running exhibition, so it does not block the venue.
VENUE_EXCLUSIVE_KINDS = frozenset({ExhibitionKind.LIBRARY_DISPLAY, ExhibitionKind.THEMATIC,
                                   ExhibitionKind.MOBILE})


class ExhibitionStatus(LabelledEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ExhibitionStatus.__labels__ = {
    "planned": _l("Planned"), "open": _l("Open"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}

EXHIBITION_TRANSITIONS = Transitions({
    ExhibitionStatus.PLANNED: {ExhibitionStatus.OPEN, ExhibitionStatus.CANCELLED},
    ExhibitionStatus.OPEN: {ExhibitionStatus.CLOSED, ExhibitionStatus.CANCELLED},
    ExhibitionStatus.CLOSED: set(),
    ExhibitionStatus.CANCELLED: set(),
}, noun=_l("the exhibition's state"))


class Venue(db.Model):
    """A place that hosts exhibitions: a museum hall, a library reading room, a partner school's hall."""

    __tablename__ = "event_venues"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NFCText(200), nullable=False)
    name_folded = sa.Column(sa.String(200), nullable=False, unique=True)
    address = sa.Column(NFCText(300), nullable=False, default="")
    #: The network institution the venue belongs to, if any (partner venues have none).
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")

    def __str__(self):
        return self.name


_DASH = re.compile(r"\s*[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212]\s*")


def venue_key(name):
    """How two venue names are compared: folded (no diacritics, case), every dash one "-", spaces single.

    "Nhà trưng bày – tầng 1", "nha trung bay - tang 1" and "Nhà trưng bày–Tầng 1" are one hall.
    """
    return _DASH.sub(" - ", fold(name or "")).strip()[:200]


@sa.event.listens_for(Venue.name, "set", retval=True)
def _venue_keys(target, value, oldvalue, initiator):
    target.name_folded = venue_key(value)
    return value


class Exhibition(db.Model):
    """A display, exhibition or heritage event organised by one institution."""

    __tablename__ = "exhibitions"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    kind = sa.Column(enum_column_type(ExhibitionKind), nullable=False, index=True)
    status = sa.Column(enum_column_type(ExhibitionStatus), nullable=False, default=ExhibitionStatus.PLANNED)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    title = sa.Column(NFCText(300), nullable=False)
    title_folded = sa.Column(sa.String(300), nullable=False, default="", index=True)
    theme = sa.Column(NFCText(300), nullable=False, default="")
    description = sa.Column(NFCLongText, nullable=False, default="")
    #: Partner units, one per line (schools, other museums, district centres...).
    partners = sa.Column(NFCLongText, nullable=False, default="")
    venue_id = sa.Column(sa.Integer, sa.ForeignKey("event_venues.id"), index=True)
    start = sa.Column(sa.Date, nullable=False, index=True)
    end = sa.Column(sa.Date, nullable=False, index=True)
    #: Daily opening hours (or the event's time), local wall-clock; none: all day.
    opens_at = sa.Column(sa.Time)
    closes_at = sa.Column(sa.Time)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    venue = relationship("Venue")
    stops = relationship("ExhibitionStop", back_populates="exhibition", cascade="all, delete-orphan",
                         order_by="[ExhibitionStop.start, ExhibitionStop.id]")
    visitor_counts = relationship("VisitorCount", back_populates="exhibition", cascade="all, delete-orphan",
                                  order_by="[VisitorCount.date, VisitorCount.id]")
    featured_records = relationship("FeaturedRecord", back_populates="exhibition", cascade="all, delete-orphan",
                                    order_by="FeaturedRecord.id")
    featured_artifacts = relationship("FeaturedArtifact", back_populates="exhibition",
                                      cascade="all, delete-orphan", order_by="FeaturedArtifact.id")

    def __repr__(self):
        return f"<Exhibition {self.code}>"

    def __str__(self):
        return self.title

    @property
    def is_travelling(self):
        return self.kind == ExhibitionKind.MOBILE

    @property
    def partner_list(self):
        return [line.strip() for line in (self.partners or "").splitlines() if line.strip()]

    @property
    def total_visitors(self):
        return sum(c.visitors for c in self.visitor_counts)

    @property
    def total_students(self):
        return sum(c.students for c in self.visitor_counts)


@sa.event.listens_for(Exhibition.title, "set", retval=True)
def _exhibition_keys(target, value, oldvalue, initiator):
    target.title_folded = fold(value or "")[:300]
    return value


class ExhibitionStop(db.Model):
    """One venue of a travelling exhibition, with its own dates (and its own visitors)."""

    __tablename__ = "exhibition_stops"

    id = sa.Column(sa.Integer, primary_key=True)
    exhibition_id = sa.Column(sa.Integer, sa.ForeignKey("exhibitions.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    venue_id = sa.Column(sa.Integer, sa.ForeignKey("event_venues.id"), nullable=False, index=True)
    #: The partner unit that hosts this stop (a school, a district centre...).
    host = sa.Column(NFCText(200), nullable=False, default="")
    start = sa.Column(sa.Date, nullable=False, index=True)
    end = sa.Column(sa.Date, nullable=False)
    note = sa.Column(NFCText(500), nullable=False, default="")

    exhibition = relationship("Exhibition", back_populates="stops")
    venue = relationship("Venue")
    visitor_counts = relationship("VisitorCount", back_populates="stop")

    @property
    def total_visitors(self):
        return sum(c.visitors for c in self.visitor_counts)

    @property
    def total_students(self):
        return sum(c.students for c in self.visitor_counts)


class VisitorCount(db.Model):
    """Visitors counted on one day at an exhibition (or one stop of it); students are part of them."""

    __tablename__ = "exhibition_visitors"

    id = sa.Column(sa.Integer, primary_key=True)
    exhibition_id = sa.Column(sa.Integer, sa.ForeignKey("exhibitions.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    stop_id = sa.Column(sa.Integer, sa.ForeignKey("exhibition_stops.id", ondelete="CASCADE"), index=True)
    date = sa.Column(sa.Date, nullable=False, index=True)
    visitors = sa.Column(sa.Integer, nullable=False)
    students = sa.Column(sa.Integer, nullable=False, default=0)
    #: A school group: the school's name (its students are counted in ``students``).
    school = sa.Column(NFCText(200), nullable=False, default="")
    note = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    exhibition = relationship("Exhibition", back_populates="visitor_counts")
    stop = relationship("ExhibitionStop", back_populates="visitor_counts")


class FeaturedRecord(db.Model):
    """A catalogue record shown in a book display."""

    __tablename__ = "exhibition_records"
    __table_args__ = (sa.UniqueConstraint("exhibition_id", "record_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    exhibition_id = sa.Column(sa.Integer, sa.ForeignKey("exhibitions.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    record_id = sa.Column(sa.Integer, sa.ForeignKey("records.id", ondelete="CASCADE"), nullable=False,
                          index=True)

    exhibition = relationship("Exhibition", back_populates="featured_records")
    record = relationship("Record")


class FeaturedArtifact(db.Model):
    """An artifact shown in a museum exhibition."""

    __tablename__ = "exhibition_artifacts"
    __table_args__ = (sa.UniqueConstraint("exhibition_id", "artifact_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    exhibition_id = sa.Column(sa.Integer, sa.ForeignKey("exhibitions.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    artifact_id = sa.Column(sa.Integer, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False,
                            index=True)

    exhibition = relationship("Exhibition", back_populates="featured_artifacts")
    artifact = relationship("Artifact")


# -- artifacts ---------------------------------------------------------------------------

class Completeness(LabelledEnum):
    INCOMPLETE = "incomplete"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


Completeness.__labels__ = {
    "incomplete": _l("Incomplete"), "in_progress": _l("Being completed"), "complete": _l("Complete"),
}


class Collection(db.Model):
    """A museum collection (sưu tập hiện vật), with notes on how complete it is."""

    __tablename__ = "artifact_collections"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    name = sa.Column(NFCText(200), nullable=False)
    name_sort = sa.Column(SortKey(400), nullable=False, default="")
    description = sa.Column(NFCLongText, nullable=False, default="")
    completeness = sa.Column(enum_column_type(Completeness), nullable=False, default=Completeness.INCOMPLETE)
    #: What is missing, what is being collected (the plan's "kiện toàn sưu tập hiện vật").
    completeness_note = sa.Column(NFCLongText, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    def __str__(self):
        return self.name


@sa.event.listens_for(Collection.name, "set", retval=True)
def _collection_keys(target, value, oldvalue, initiator):
    target.name_sort = sort_key(value or "")[:400]
    return value


class Heritage(LabelledEnum):
    TANGIBLE = "tangible"
    INTANGIBLE = "intangible"


Heritage.__labels__ = {"tangible": _l("Tangible heritage"), "intangible": _l("Intangible heritage record")}


class Condition(LabelledEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    NEEDS_RESTORATION = "needs_restoration"


Condition.__labels__ = {
    "good": _l("Good"), "fair": _l("Fair"), "poor": _l("Poor"), "needs_restoration": _l("Needs restoration"),
}


class Artifact(db.Model):
    """A museum object (hiện vật) or the record of an intangible heritage item, in the accession register."""

    __tablename__ = "artifacts"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)     # accession code
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    collection_id = sa.Column(sa.Integer, sa.ForeignKey("artifact_collections.id"), index=True)
    name = sa.Column(NFCText(300), nullable=False)
    name_folded = sa.Column(sa.String(300), nullable=False, default="", index=True)
    object_type = sa.Column(NFCText(120), nullable=False, default="")
    material = sa.Column(NFCText(120), nullable=False, default="")
    heritage = sa.Column(enum_column_type(Heritage), nullable=False, default=Heritage.TANGIBLE)
    ethnicity = sa.Column(sa.String(2))             # GSO code of the group of origin
    provenance = sa.Column(NFCLongText, nullable=False, default="")
    condition = sa.Column(enum_column_type(Condition), nullable=False, default=Condition.GOOD)
    description = sa.Column(NFCLongText, nullable=False, default="")
    accessioned = sa.Column(sa.Date, nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    collection = relationship("Collection")
    movements = relationship("ArtifactMovement", back_populates="artifact", cascade="all, delete-orphan",
                             order_by="[ArtifactMovement.date, ArtifactMovement.id]")
    images = relationship("ArtifactImage", back_populates="artifact", cascade="all, delete-orphan",
                          order_by="ArtifactImage.id")

    def __str__(self):
        return f"{self.code} {self.name}"


@sa.event.listens_for(Artifact.name, "set", retval=True)
def _artifact_keys(target, value, oldvalue, initiator):
    target.name_folded = fold(value or "")[:300]
    return value


class LocationKind(LabelledEnum):
    STORE = "store"
    DISPLAY = "display"
    LOAN = "loan"
    CONSERVATION = "conservation"


LocationKind.__labels__ = {
    "store": _l("In the store"), "display": _l("On display"), "loan": _l("Lent out"),
    "conservation": _l("In conservation"),
}


class ArtifactMovement(db.Model):
    """Where an artifact went, from a date on: the location history. The latest one up to today is where it is."""

    __tablename__ = "artifact_movements"

    id = sa.Column(sa.Integer, primary_key=True)
    artifact_id = sa.Column(sa.Integer, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    date = sa.Column(sa.Date, nullable=False)
    kind = sa.Column(enum_column_type(LocationKind), nullable=False)
    exhibition_id = sa.Column(sa.Integer, sa.ForeignKey("exhibitions.id", ondelete="SET NULL"), index=True)
    #: Store shelf, borrowing venue, restorer...
    place = sa.Column(NFCText(200), nullable=False, default="")
    note = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    artifact = relationship("Artifact", back_populates="movements")
    exhibition = relationship("Exhibition")


class ArtifactImage(db.Model):
    """A photograph of an artifact, stored by ``common.uploads`` under the area ``artifacts``."""

    __tablename__ = "artifact_images"

    id = sa.Column(sa.Integer, primary_key=True)
    artifact_id = sa.Column(sa.Integer, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    stored_name = sa.Column(sa.String(80), nullable=False, unique=True)
    original_name = sa.Column(NFCText(200), nullable=False, default="")
    content_type = sa.Column(sa.String(40), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    caption = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    artifact = relationship("Artifact", back_populates="images")


# -- festivals, clubs, activities, courses --------------------------------------------------

class FestivalKind(LabelledEnum):
    FOLK_SONG = "folk_song"
    ETHNIC_CULTURE_DAY = "ethnic_culture_day"
    MASS_ART_FESTIVAL = "mass_art_festival"
    MASS_ART_SHOW = "mass_art_show"
    NATIONAL_UNITY_DAY = "national_unity_day"
    OTHER = "other"


FestivalKind.__labels__ = {
    "folk_song": _l("Folk song festival"),
    "ethnic_culture_day": _l("Ethnic culture day"),
    "mass_art_festival": _l("Mass art festival"),
    "mass_art_show": _l("Mass art show"),
    "national_unity_day": _l("National unity day"),
    "other": _l("Other festival"),
}


class Festival(db.Model):
    """A festival held by a cultural institution; its level is the organiser's level."""

    __tablename__ = "festivals"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    kind = sa.Column(enum_column_type(FestivalKind), nullable=False)
    title = sa.Column(NFCText(300), nullable=False)
    date = sa.Column(sa.Date, nullable=False, index=True)
    end = sa.Column(sa.Date)
    venue = sa.Column(NFCText(200), nullable=False, default="")
    participants = sa.Column(sa.Integer)
    note = sa.Column(NFCLongText, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    @property
    def last_day(self):
        return self.end or self.date


class ClubSetting(LabelledEnum):
    VILLAGE = "village"
    SCHOOL = "school"
    OTHER = "other"


ClubSetting.__labels__ = {
    "village": _l("Village or residential group"), "school": _l("School"), "other": _l("Other"),
}


class Club(db.Model):
    """An interest club in a village (bản), residential group or school."""

    __tablename__ = "clubs"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    name = sa.Column(NFCText(200), nullable=False)
    name_sort = sa.Column(SortKey(400), nullable=False, default="")
    interest = sa.Column(NFCText(200), nullable=False, default="")
    setting = sa.Column(enum_column_type(ClubSetting), nullable=False, default=ClubSetting.VILLAGE)
    place = sa.Column(NFCText(200), nullable=False, default="")       # the village or school
    head = sa.Column(NFCText(120), nullable=False, default="")        # chủ nhiệm
    members = sa.Column(sa.Integer, nullable=False, default=0)
    meetings = sa.Column(NFCText(200), nullable=False, default="")    # when it meets
    active_from = sa.Column(sa.Date, nullable=False)
    active_to = sa.Column(sa.Date)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")

    def active_on(self, day):
        return self.active_from <= day and (self.active_to is None or self.active_to >= day)


@sa.event.listens_for(Club.name, "set", retval=True)
def _club_keys(target, value, oldvalue, initiator):
    target.name_sort = sort_key(value or "")[:400]
    return value


class ActivityKind(LabelledEnum):
    INFORMATION = "information"
    ARTS = "arts"
    SPORTS = "sports"
    RECREATION = "recreation"


ActivityKind.__labels__ = {
    "information": _l("Information and propaganda"), "arts": _l("Arts"), "sports": _l("Sports"),
    "recreation": _l("Recreation"),
}


class Repeat(LabelledEnum):
    WEEKLY = "weekly"
    MONTHLY_DAY = "monthly_day"
    MONTHLY_WEEKDAY = "monthly_weekday"


Repeat.__labels__ = {
    "weekly": _l("Every week, same weekday"),
    "monthly_day": _l("Every month, same day of the month"),
    "monthly_weekday": _l("Every month, same weekday (e.g. 2nd Saturday)"),
}


class ActivitySeries(db.Model):
    """A recurring activity (a monthly story hour): its occurrences are ordinary activities."""

    __tablename__ = "activity_series"

    id = sa.Column(sa.Integer, primary_key=True)
    repeat = sa.Column(enum_column_type(Repeat), nullable=False)
    until = sa.Column(sa.Date, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    activities = relationship("Activity", back_populates="series", order_by="Activity.date")


class Activity(db.Model):
    """An activity held at a cultural house (or library): a talk, a performance, a match, a story hour."""

    __tablename__ = "activities"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    kind = sa.Column(enum_column_type(ActivityKind), nullable=False)
    title = sa.Column(NFCText(300), nullable=False, default="")
    date = sa.Column(sa.Date, nullable=False, index=True)
    starts_at = sa.Column(sa.Time)
    ends_at = sa.Column(sa.Time)
    place = sa.Column(NFCText(200), nullable=False, default="")
    participants = sa.Column(sa.Integer)
    club_id = sa.Column(sa.Integer, sa.ForeignKey("clubs.id", ondelete="SET NULL"), index=True)
    series_id = sa.Column(sa.Integer, sa.ForeignKey("activity_series.id", ondelete="SET NULL"), index=True)
    note = sa.Column(NFCText(500), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
    club = relationship("Club")
    series = relationship("ActivitySeries", back_populates="activities")

    @property
    def label(self):
        return self.title or str(self.kind.label)


class Audience(LabelledEnum):
    COMMUNE_OFFICERS = "commune_officers"
    HOUSE_HEADS = "house_heads"
    CLUB_HEADS = "club_heads"
    TROUPE_LEADERS = "troupe_leaders"
    MIXED = "mixed"


Audience.__labels__ = {
    "commune_officers": _l("Commune cultural officers"),
    "house_heads": _l("Cultural-house heads"),
    "club_heads": _l("Club heads"),
    "troupe_leaders": _l("Art troupe leaders"),
    "mixed": _l("Several groups"),
}


class Course(db.Model):
    """A staff training course (tập huấn, bồi dưỡng) and how many took part."""

    __tablename__ = "training_courses"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    title = sa.Column(NFCText(300), nullable=False)
    audience = sa.Column(enum_column_type(Audience), nullable=False, default=Audience.MIXED)
    start = sa.Column(sa.Date, nullable=False, index=True)
    end = sa.Column(sa.Date, nullable=False)
    place = sa.Column(NFCText(200), nullable=False, default="")
    trainees = sa.Column(sa.Integer, nullable=False)
    minority_trainees = sa.Column(sa.Integer, nullable=False, default=0)
    note = sa.Column(NFCLongText, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    institution = relationship("Institution")
