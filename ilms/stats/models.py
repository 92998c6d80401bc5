"""Plans and their targets, loaded from YAML (shared/plan/ format)."""
import sqlalchemy as sa
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCLongText, NFCText, UTCDateTime
from ..common.time import utcnow
from ..extensions import db


class Plan(db.Model):
    __tablename__ = "plans"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(60), nullable=False, unique=True)
    title = sa.Column(NFCText(500), nullable=False)
    issued = sa.Column(sa.Date)
    year_from = sa.Column(sa.Integer, nullable=False)
    year_to = sa.Column(sa.Integer, nullable=False)
    loaded_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime)
    updated_by = sa.Column(NFCText(120))   # who last loaded or edited it (name)

    targets = relationship("Target", back_populates="plan", cascade="all, delete-orphan",
                           order_by="Target.position")
    reports = relationship("PlanReport", back_populates="plan", cascade="all, delete-orphan",
                           order_by="PlanReport.due")


class PlanReport(db.Model):
    """A report the plan requires: its kind and its yearly due date (MM-DD)."""

    __tablename__ = "plan_reports"

    id = sa.Column(sa.Integer, primary_key=True)
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(20), nullable=False)   # half_year | annual
    due = sa.Column(sa.String(5), nullable=False)     # "06-20"

    plan = relationship("Plan", back_populates="reports")


class Target(db.Model):
    """A target range for an indicator, a group of institutions (by kind or level) and years."""

    __tablename__ = "plan_targets"

    id = sa.Column(sa.Integer, primary_key=True)
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    indicator = sa.Column(sa.String(40), nullable=False, index=True)
    kinds = sa.Column(sa.String(200))    # comma-separated institution kinds, or NULL
    level = sa.Column(sa.String(20))     # or a level (province/district/commune/village)
    scope = sa.Column(sa.String(8), nullable=False)  # sum | each
    year_from = sa.Column(sa.Integer, nullable=False)
    year_to = sa.Column(sa.Integer, nullable=False)
    min = sa.Column(sa.Float)
    max = sa.Column(sa.Float)
    cycle_years = sa.Column(sa.Integer)

    plan = relationship("Plan", back_populates="targets")

    @property
    def kind_list(self):
        return [k for k in (self.kinds or "").split(",") if k]

    def covers(self, year) -> bool:
        return self.year_from <= year <= self.year_to

    def status(self, value):
        """below / within / above for a value against this target (``no_value`` when there is none)."""
        if value is None:
            return "no_value"
        if self.min is not None and value < self.min:
            return "below"
        if self.max is not None and value > self.max:
            return "above"
        return "within"


class ReportSnapshot(db.Model):
    """A report as it was signed off: the figures frozen in a JSON document, with who and when.

    ``scope`` is ``province`` (the consolidated report) or ``inst:CODE``.
    Freezing again the same report makes a new ``version``; the latest one is
    the submitted report, earlier ones stay for the record.
    """

    __tablename__ = "report_snapshots"

    id = sa.Column(sa.Integer, primary_key=True)
    #: The plan the report is filed under (the first in force that year); none when no plan covers the year.
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("plans.id"), nullable=True, index=True)
    kind = sa.Column(sa.String(20), nullable=False)       # half_year | annual
    year = sa.Column(sa.Integer, nullable=False)
    scope = sa.Column(sa.String(40), nullable=False)      # province | inst:CODE
    version = sa.Column(sa.Integer, nullable=False, default=1)
    period_start = sa.Column(sa.Date, nullable=False)
    period_end = sa.Column(sa.Date, nullable=False)
    as_of = sa.Column(sa.Date, nullable=False)            # figures counted up to this day
    due = sa.Column(sa.Date, nullable=False)
    frozen_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    frozen_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    note = sa.Column(NFCText(500), nullable=False, default="")
    document = sa.Column(sa.Text, nullable=False)         # the report's figures as JSON

    plan = relationship("Plan")
    frozen_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("plan_id", "kind", "year", "scope", "version",
                                          name="uq_report_snapshots_version"),)


class DataVersion(db.Model):
    """A random token per institution, renewed whenever its operational data changes.

    ``ilms.signals.data_changed`` renews the tokens of the institutions it
    names (row 0 when it names none) in the writer's own transaction, so a
    cached figure is used only while the token it was computed under is still
    the committed one, in every worker process.
    """

    __tablename__ = "stats_data_versions"

    institution_id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)  # 0: every institution
    token = sa.Column(sa.String(32), nullable=False)
    changed_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


# -- indexes for the aggregate queries over the catalogue --------------------------
# Per-institution, per-period counts of copies (added, titles, withdrawn, held)
# read these covering indexes instead of the table: on a generated province of
# a million records a district library's catalogue figures take ~17 ms instead
# of ~370 ms (benchmarks/indicators.py). They are declared here, by the reader.
from ..catalog.models import Item  # noqa: E402  (after the models above, which it does not need)

sa.Index("ix_items_owner_accessioned", Item.institution_id, Item.accessioned, Item.source, Item.record_id,
         Item.withdrawn_on)
sa.Index("ix_items_owner_withdrawn", Item.institution_id, Item.withdrawn_on)


class ReaderDay(db.Model):
    """Derived: one row per (reader pseudonym, institution, local day) with an identified event there.

    The reader visits of LIB.VISITS, ROT.POINT_VISITS and LIB.ACTIVE_READERS
    are these rows. The database keeps them itself: triggers on ``visits``,
    ``loans`` and ``internet_sessions`` (migration 0011) add one event when a
    row starts to count and take it away when it stops (voided, moved,
    anonymised under another key, deleted), so every write path, the desk,
    JSON Lines imports and raw SQL alike, keeps the table in step. ``events``
    is how many live events fall on that triple; the row goes at zero.

    The definition lives in the visit sources the domains register
    (``stats.registry.visit_events``); ``stats.reader_days.problems`` compares
    the table with them and ``flask check --repair`` rebuilds it from them.
    """

    __tablename__ = "stats_reader_days"
    __table_args__ = (
        sa.PrimaryKeyConstraint("institution_id", "day", "reader_key"),
        sa.Index("ix_stats_reader_days_institution_reader", "institution_id", "reader_key", "day"),
        sa.Index("ix_stats_reader_days_reader", "reader_key", "day", "institution_id"),
        sa.Index("ix_stats_reader_days_institution_month", "institution_id", "month", "reader_key"),
        {"sqlite_with_rowid": False, "info": {"derived": True}},
    )

    reader_key = sa.Column(sa.String(24), nullable=False)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    day = sa.Column(sa.Date, nullable=False)            # local (Asia/Ho_Chi_Minh) date
    month = sa.Column(sa.Integer, nullable=False)       # that date's YYYYMM, for the monthly charts
    events = sa.Column(sa.Integer, nullable=False)      # live events on the triple (>= 1)


class ReaderYear(db.Model):
    """Derived from ``ReaderDay``: one row per (reader pseudonym, institution, year) seen there that year.

    Kept by triggers on ``stats_reader_days`` (migration 0011); ``days`` is how
    many reader days the year holds. LIB.ACTIVE_READERS for whole calendar
    years (the document, the annual report) counts these rows instead of
    de-duplicating a year of days.
    """

    __tablename__ = "stats_reader_years"
    __table_args__ = (
        sa.PrimaryKeyConstraint("institution_id", "year", "reader_key"),
        sa.Index("ix_stats_reader_years_reader", "reader_key", "year", "institution_id"),
        {"sqlite_with_rowid": False, "info": {"derived": True}},
    )

    reader_key = sa.Column(sa.String(24), nullable=False)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False)
    year = sa.Column(sa.Integer, nullable=False)
    days = sa.Column(sa.Integer, nullable=False)


class ReportLetter(db.Model):
    """What turns a report into a document that can be sent: issuing details and the narrative.

    One row per report (kind, year, scope), whatever plan is in force, so the
    text written on the report page is kept while the figures move on. The
    fields follow Decree 30/2020/NĐ-CP: the parent body and the issuing body
    (top left), the number (``15/BC-TVT``), the place, the summary line after
    "BÁO CÁO", the narrative sections, the recipients and the signer. Freezing
    a report copies them into the snapshot's document, so a signed-off report
    keeps its words as sent. Empty fields fall back to defaults
    (``stats.letters.defaults``).
    """

    __tablename__ = "report_letters"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(20), nullable=False)       # half_year | annual
    year = sa.Column(sa.Integer, nullable=False)
    scope = sa.Column(sa.String(40), nullable=False)      # province | district:CODE | inst:CODE ...
    parent_body = sa.Column(NFCText(200), nullable=False, default="")
    issuer = sa.Column(NFCText(200), nullable=False, default="")
    number = sa.Column(NFCText(60), nullable=False, default="")
    place = sa.Column(NFCText(80), nullable=False, default="")
    subject = sa.Column(NFCText(300), nullable=False, default="")
    results = sa.Column(NFCLongText, nullable=False, default="")
    shortcomings = sa.Column(NFCLongText, nullable=False, default="")
    tasks = sa.Column(NFCLongText, nullable=False, default="")
    recommendations = sa.Column(NFCLongText, nullable=False, default="")
    recipients = sa.Column(NFCLongText, nullable=False, default="")
    signer_position = sa.Column(NFCLongText, nullable=False, default="")   # may be two lines (KT.)
    signer_name = sa.Column(NFCText(120), nullable=False, default="")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User")

    __table_args__ = (sa.UniqueConstraint("kind", "year", "scope", name="uq_report_letters_report"),)
