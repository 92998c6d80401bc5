"""The Department's follow-up of the plan: inspections and their recommendations, publicity, funding,
school programmes and their sessions, permanent and outdoor displays, study and exchange visits.

Dates here are local calendar dates (a visit, a deadline, a session); instants
(when a record was made or answered) are UTC.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCLongText, NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.time import utcnow
from ..extensions import db


# -- inspections -------------------------------------------------------------------------------------

class InspectionKind(LabelledEnum):
    INSPECTION = "inspection"       # thanh tra
    CHECK = "check"                 # kiểm tra
    SUPERVISION = "supervision"     # giám sát


InspectionKind.__labels__ = {
    "inspection": _l("Inspection"),
    "check": _l("Check"),
    "supervision": _l("Supervision"),
}


class RecommendationStatus(LabelledEnum):
    OPEN = "open"
    DONE = "done"


RecommendationStatus.__labels__ = {"open": _l("Not yet carried out"), "done": _l("Done")}

#: The inspected institution marks a recommendation done; the Department may
#: reopen it when the evidence does not convince (as Koha's and Indico's review
#: steps do), which clears the answer's date so the deadline judges it again.
RECOMMENDATION_TRANSITIONS = Transitions({
    RecommendationStatus.OPEN: {RecommendationStatus.DONE},
    RecommendationStatus.DONE: {RecommendationStatus.OPEN},
}, noun=_l("the recommendation's state"))


class Inspection(db.Model):
    """A visit of the Department (or its delegates) to one institution: who came, what they looked at, found."""

    __tablename__ = "inspections"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    kind = sa.Column(enum_column_type(InspectionKind), nullable=False)
    date = sa.Column(sa.Date, nullable=False, index=True)
    inspectors = sa.Column(NFCText(300), nullable=False)
    scope = sa.Column(NFCText(500), nullable=False, default="")
    findings = sa.Column(NFCLongText, nullable=False, default="")
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")
    recommendations = relationship("Recommendation", back_populates="inspection", cascade="all, delete-orphan",
                                   order_by="Recommendation.position")

    def __str__(self):
        return self.code


class Recommendation(db.Model):
    """One thing the inspected institution must do by a deadline, and its answer (note and evidence file)."""

    __tablename__ = "inspection_recommendations"

    id = sa.Column(sa.Integer, primary_key=True)
    inspection_id = sa.Column(sa.Integer, sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False,
                              index=True)
    position = sa.Column(sa.Integer, nullable=False)
    text = sa.Column(NFCLongText, nullable=False)
    responsible = sa.Column(NFCText(200), nullable=False)
    deadline = sa.Column(sa.Date, nullable=False, index=True)
    status = sa.Column(enum_column_type(RecommendationStatus), nullable=False, default=RecommendationStatus.OPEN,
                       index=True)
    done_on = sa.Column(sa.Date)
    answer_note = sa.Column(NFCLongText, nullable=False, default="")
    evidence_name = sa.Column(sa.String(80))
    evidence_original_name = sa.Column(NFCText(200), nullable=False, default="")
    evidence_content_type = sa.Column(sa.String(40), nullable=False, default="")
    evidence_size = sa.Column(sa.Integer)
    answered_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    answered_at = sa.Column(UTCDateTime)

    inspection = relationship("Inspection", back_populates="recommendations")
    answered_by = relationship("User")

    @property
    def on_time(self):
        return self.status == RecommendationStatus.DONE and self.done_on is not None and self.done_on <= self.deadline

    def overdue_on(self, day):
        return self.status == RecommendationStatus.OPEN and self.deadline < day


# -- publicity -----------------------------------------------------------------------------------------

class Medium(LabelledEnum):
    PRESS = "press"
    RADIO = "radio"
    TV = "tv"
    WEBSITE = "website"
    SOCIAL = "social"
    BANNER = "banner"


Medium.__labels__ = {
    "press": _l("Press article"), "radio": _l("Radio segment"), "tv": _l("TV segment"),
    "website": _l("Website post"), "social": _l("Social media post"), "banner": _l("Banner campaign"),
}


class MediaItem(db.Model):
    """A communication item about lifelong learning, made or requested by one institution."""

    __tablename__ = "media_items"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    medium = sa.Column(enum_column_type(Medium), nullable=False, index=True)
    date = sa.Column(sa.Date, nullable=False, index=True)
    title = sa.Column(NFCText(300), nullable=False)
    #: Who made it (a newspaper, the provincial radio and TV) or asked for it.
    made_by = sa.Column(NFCText(200), nullable=False, default="")
    link = sa.Column(sa.String(500), nullable=False, default="")
    scan_name = sa.Column(sa.String(80))
    scan_original_name = sa.Column(NFCText(200), nullable=False, default="")
    scan_content_type = sa.Column(sa.String(40), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")


# -- funding ----------------------------------------------------------------------------------------------

class FundingSource(LabelledEnum):
    STATE_BUDGET = "state_budget"
    SOCIALISATION = "socialisation"
    OTHER = "other"


FundingSource.__labels__ = {
    "state_budget": _l("State budget"),
    "socialisation": _l("Socialisation (organisations and individuals)"),
    "other": _l("Other lawful sources"),
}


class FundingReceipt(db.Model):
    """Money (VND) received by one institution for the plan's activities, from one source."""

    __tablename__ = "funding_receipts"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    date = sa.Column(sa.Date, nullable=False, index=True)
    source = sa.Column(enum_column_type(FundingSource), nullable=False)
    amount = sa.Column(sa.BigInteger, nullable=False)
    purpose = sa.Column(NFCText(300), nullable=False)
    #: The giver for socialised money (a company, a union, a person), the budget line otherwise.
    donor = sa.Column(NFCText(200), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")


# -- school programmes ---------------------------------------------------------------------------------------

class PartnerSchool(db.Model):
    """A school taking part in a programme, with the commune it stands in."""

    __tablename__ = "partner_schools"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(NFCText(200), nullable=False)
    commune = sa.Column(NFCText(120), nullable=False, default="")
    name_folded = sa.Column(sa.String(200), nullable=False, unique=True)

    def __str__(self):
        return self.name


class SchoolProgramme(db.Model):
    """A programme agreed with the Department of Education (heritage in teaching, library lessons)."""

    __tablename__ = "school_programmes"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    title = sa.Column(NFCText(300), nullable=False)
    #: The agreement it follows, e.g. "Hướng dẫn 73/HD-BGDĐT-BVHTTDL".
    agreement = sa.Column(NFCText(200), nullable=False, default="")
    start = sa.Column(sa.Date, nullable=False)
    end = sa.Column(sa.Date)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")
    sessions = relationship("SchoolSession", back_populates="programme", cascade="all, delete-orphan",
                            order_by="[SchoolSession.date, SchoolSession.id]")

    def __str__(self):
        return self.title


class SessionPlace(LabelledEnum):
    SCHOOL = "school"
    MUSEUM = "museum"
    LIBRARY = "library"


SessionPlace.__labels__ = {"school": _l("At the school"), "museum": _l("At the museum"),
                           "library": _l("At the library")}


class SchoolSession(db.Model):
    """One session of a programme with one school's students, on one day."""

    __tablename__ = "school_sessions"

    id = sa.Column(sa.Integer, primary_key=True)
    programme_id = sa.Column(sa.Integer, sa.ForeignKey("school_programmes.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    school_id = sa.Column(sa.Integer, sa.ForeignKey("partner_schools.id"), nullable=False, index=True)
    date = sa.Column(sa.Date, nullable=False, index=True)
    place = sa.Column(enum_column_type(SessionPlace), nullable=False)
    students = sa.Column(sa.Integer, nullable=False)
    topic = sa.Column(NFCText(300), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    programme = relationship("SchoolProgramme", back_populates="sessions")
    school = relationship("PartnerSchool")


# -- permanent and outdoor displays ---------------------------------------------------------------------------

class DisplayKind(LabelledEnum):
    PERMANENT = "permanent"
    OUTDOOR = "outdoor"


DisplayKind.__labels__ = {"permanent": _l("Permanent display"), "outdoor": _l("Outdoor display")}


class Display(db.Model):
    """A permanent or outdoor display of the museum, built section by section."""

    __tablename__ = "permanent_displays"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(40), nullable=False, unique=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    kind = sa.Column(enum_column_type(DisplayKind), nullable=False)
    title = sa.Column(NFCText(300), nullable=False)
    opened_on = sa.Column(sa.Date)
    closed_on = sa.Column(sa.Date)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")
    sections = relationship("DisplaySection", back_populates="display", cascade="all, delete-orphan",
                            order_by="DisplaySection.position")
    artifacts = relationship("Artifact", secondary="permanent_display_artifacts", order_by="Artifact.code")

    def completed_share(self, day):
        """Share (0-100) of the planned sections completed on or before ``day``."""
        if not self.sections:
            return 0.0
        done = sum(1 for s in self.sections if s.completed_on is not None and s.completed_on <= day)
        return 100.0 * done / len(self.sections)


class DisplaySection(db.Model):
    """A planned section of a display, and the day it was completed."""

    __tablename__ = "permanent_display_sections"

    id = sa.Column(sa.Integer, primary_key=True)
    display_id = sa.Column(sa.Integer, sa.ForeignKey("permanent_displays.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    position = sa.Column(sa.Integer, nullable=False)
    title = sa.Column(NFCText(300), nullable=False)
    planned_by = sa.Column(sa.Date)
    completed_on = sa.Column(sa.Date)

    display = relationship("Display", back_populates="sections")


display_artifacts = sa.Table(
    "permanent_display_artifacts", db.metadata,
    sa.Column("display_id", sa.Integer, sa.ForeignKey("permanent_displays.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("artifact_id", sa.Integer, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


# -- exchanges -----------------------------------------------------------------------------------------------

class ExchangeDirection(LabelledEnum):
    MADE = "made"
    RECEIVED = "received"


ExchangeDirection.__labels__ = {"made": _l("Visit made"), "received": _l("Visit received")}


class ExchangeVisit(db.Model):
    """A study or exchange visit made by one of our institutions, or received by it."""

    __tablename__ = "exchange_visits"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    direction = sa.Column(enum_column_type(ExchangeDirection), nullable=False)
    out_of_province = sa.Column(sa.Boolean, nullable=False, default=False)
    date = sa.Column(sa.Date, nullable=False, index=True)
    title = sa.Column(NFCText(300), nullable=False)
    #: The other institutions involved, one per line.
    partners = sa.Column(NFCLongText, nullable=False, default="")
    participants = sa.Column(sa.Integer)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    institution = relationship("Institution")

    @property
    def partner_list(self):
        return [line.strip() for line in (self.partners or "").splitlines() if line.strip()]
