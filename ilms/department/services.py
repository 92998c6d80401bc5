"""The rules of the Department's follow-up records: who may write what, for which institution, with which dates.

Who writes what (the choice where the issue leaves room, as Koha's and
Indico's review workflows do it):

- ``department.edit`` (the Department's staff, province-wide): inspections,
  their recommendations, funding received; reopening an answered
  recommendation whose evidence does not convince.
- ``department.answer`` (the inspected institution's own staff): mark a
  recommendation done, with a note and, if they have one, a scan or photo as
  evidence. The Department does not answer in an institution's place.
- ``department.record`` (an institution's staff for their own institution, the
  Department for any): publicity, school programmes and sessions, permanent
  displays, exchange visits.
- ``department.view``: staff see the records of the institutions in their
  scope; province-wide roles see all of them.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..common.enums import enum_value
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean, fold, nfc
from ..common.time import local_today, utcnow
from ..extensions import db
from ..org.models import Institution, InstitutionKind
from ..signals import data_changed
from .models import (RECOMMENDATION_TRANSITIONS, Display, DisplayKind, DisplaySection, ExchangeDirection,
                     ExchangeVisit, FundingReceipt, FundingSource, Inspection, InspectionKind, MediaItem, Medium,
                     PartnerSchool, Recommendation, RecommendationStatus, SchoolProgramme, SchoolSession,
                     SessionPlace)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,39}$")
#: Above this an amount is a typing error (ten thousand billion đồng).
MAX_AMOUNT = 10_000_000_000_000
MUSEUM_AND_LIBRARIES = frozenset({InstitutionKind.MUSEUM, InstitutionKind.PROVINCIAL_LIBRARY,
                                  InstitutionKind.DISTRICT_LIBRARY})


def day_text(day):
    return format_date(day, "dd/MM/yyyy") if day else ""


def _changed(*institution_ids):
    data_changed.send("department", institution_ids=sorted({i for i in institution_ids if i is not None}))


# -- checks of values --------------------------------------------------------------------------------------

def _institution(value, field="institution"):
    if isinstance(value, Institution):
        return value
    inst = db.session.get(Institution, value) if isinstance(value, int) else None
    if inst is None:
        raise DomainError(_l("Choose the institution."), field=field)
    return inst


def _text(value, message, field, limit, *, required=True):
    text = clean(value or "") or ""
    if required and not text:
        raise DomainError(message, field=field)
    if len(text) > limit:
        raise DomainError(_l("This text is too long (at most %(n)d characters).", n=limit), field=field)
    return text


def _long_text(value, *, limit=20_000, field=None):
    text = nfc((value or "").replace("\r\n", "\n")).strip()
    if len(text) > limit:
        raise DomainError(_l("This text is too long (at most %(n)d characters).", n=limit), field=field)
    return text


def _date(value, field, message=None):
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(message or _l("Give a date (dd/mm/yyyy)."), field=field)
    if not 1990 <= value.year <= 2100:
        raise DomainError(_l("The date %(day)s is not plausible; check the year.", day=day_text(value)),
                          field=field)
    return value


def _not_future(day, field, today):
    if day > today:
        raise DomainError(_l("%(day)s is in the future; record it once it has happened.", day=day_text(day)),
                          field=field)
    return day


def _count(value, field, *, minimum=0, required=True):
    if value is None or value == "":
        if required:
            raise DomainError(_l("Give a number."), field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_l("Give a whole number."), field=field)
    if value < minimum:
        raise DomainError(_l("The number cannot be below %(n)d.", n=minimum), field=field)
    if value > 1_000_000:
        raise DomainError(_l("This number is too large; check it."), field=field)
    return value


def _code(value, field="code"):
    code = (value or "").strip()
    if not _CODE.match(code):
        raise DomainError(_l("A code is 1–40 letters, digits or - . / _ (e.g. TT-2026-001)."), field=field)
    return code


def _link(value):
    link = (value or "").strip()
    if not link:
        return ""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500:
        raise DomainError(_l("A link starts with http:// or https:// (at most 500 characters)."), field="link")
    return link


def _next_code(model, prefix, year):
    stem = f"{prefix}-{year}-"
    codes = db.session.scalars(sa.select(model.code).where(model.code.like(stem + "%"))).all()
    numbers = [int(c[len(stem):]) for c in codes if c[len(stem):].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:03d}"


def _unique_code(model, code, noun):
    if db.session.scalar(sa.select(model.id).where(model.code == code)) is not None:
        raise Conflict(_l("The code %(code)s is already used by another %(noun)s; choose another.",
                          code=code, noun=noun), field="code")
    return code


# -- what a user sees ---------------------------------------------------------------------------------------

def visible_ids(actor):
    """Institution ids whose records ``actor`` may read; ``None`` for the whole province."""
    if getattr(actor, "is_system", False) or getattr(actor, "province_wide", False):
        return None
    return set(actor.scope_ids())


def _check_visible(actor, institution_id):
    ids = visible_ids(actor)
    if ids is not None and institution_id not in ids:
        raise NotFound(_l("This record does not exist or belongs to another institution."))


def writable_institutions(actor, capability):
    """Active institutions where ``actor`` may use ``capability``, in name order (the choices of a form)."""
    query = sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name_sort)
    return [inst for inst in db.session.scalars(query) if actor.can(capability, inst)]


def _visible(query, column, actor):
    ids = visible_ids(actor)
    return query if ids is None else query.where(column.in_(sorted(ids)))


def _in_year(column, year):
    return column.between(dt.date(year, 1, 1), dt.date(year, 12, 31))


# -- inspections --------------------------------------------------------------------------------------------

def get_inspection(inspection_id, *, actor):
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFound(_l("This inspection does not exist."))
    _check_visible(actor, inspection.institution_id)
    return inspection


def inspection_by_code(code):
    return db.session.scalar(sa.select(Inspection).where(Inspection.code == code))


def inspections(*, actor, year):
    query = _visible(sa.select(Inspection).where(_in_year(Inspection.date, year)), Inspection.institution_id, actor)
    return db.session.scalars(query.order_by(Inspection.date.desc(), Inspection.id.desc())).all()


def record_inspection(*, actor, institution, kind, date, inspectors, scope="", findings="", code=None, today=None):
    """A visit held (not planned): its day is not in the future. The Department records it, for any institution."""
    institution = _institution(institution)
    require(actor, "department.edit", institution)
    today = today or local_today()
    date = _not_future(_date(date, "date", _l("Give the day of the visit (dd/mm/yyyy).")), "date", today)
    code = _unique_code(Inspection, _code(code), _l("inspection")) if code else _next_code(Inspection, "TT", date.year)
    inspection = Inspection(code=code, institution=institution, kind=enum_value(InspectionKind, kind, "kind"), date=date,
                            inspectors=_text(inspectors, _l("Name the inspectors (who came)."), "inspectors", 300),
                            scope=_text(scope, "", "scope", 500, required=False),
                            findings=_long_text(findings, field="findings"),
                            created_by_id=getattr(actor, "id", None))
    db.session.add(inspection)
    db.session.flush()
    _changed(institution.id)
    return inspection


def add_recommendation(inspection, *, actor, text, responsible, deadline):
    """A recommendation's deadline is on or after the visit (a deadline before it could never be met)."""
    require(actor, "department.edit", inspection.institution)
    deadline = _date(deadline, "deadline", _l("Give the deadline (dd/mm/yyyy)."))
    if deadline < inspection.date:
        raise DomainError(_l("The deadline %(deadline)s is before the visit of %(day)s; give a later day.",
                             deadline=day_text(deadline), day=day_text(inspection.date)), field="deadline")
    recommendation = Recommendation(
        inspection=inspection, position=len(inspection.recommendations) + 1,
        text=_long_text(text, limit=2000, field="text") or _required(_l("Write the recommendation."), "text"),
        responsible=_text(responsible, _l("Name the person responsible."), "responsible", 200), deadline=deadline)
    db.session.add(recommendation)
    db.session.flush()
    _changed(inspection.institution_id)
    return recommendation


def _required(message, field):
    raise DomainError(message, field=field)


def get_recommendation(recommendation_id, *, actor):
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None:
        raise NotFound(_l("This recommendation does not exist."))
    _check_visible(actor, recommendation.inspection.institution_id)
    return recommendation


def answer_recommendation(recommendation, *, actor, note, evidence=None, done_on=None, today=None):
    """The inspected institution marks a recommendation done, with a note and optionally a file.

    ``evidence`` is a ``common.uploads.StoredFile`` (the view stores it and
    discards it again when this refuses). ``done_on`` (default today) is the
    day the work was finished: not before the visit, not in the future; it is
    what the deadline is judged against.
    """
    institution = recommendation.inspection.institution
    require(actor, "department.answer", institution)
    today = today or local_today()
    done_on = _not_future(_date(done_on or today, "done_on"), "done_on", today)
    if done_on < recommendation.inspection.date:
        raise DomainError(_l("%(day)s is before the visit of %(visit)s; give the day the work was finished.",
                             day=day_text(done_on), visit=day_text(recommendation.inspection.date)),
                          field="done_on")
    note = _long_text(note, limit=4000, field="note")
    if not note:
        raise DomainError(_l("Say what was done (the evidence the Department will read)."), field="note")
    RECOMMENDATION_TRANSITIONS.check(recommendation.status, RecommendationStatus.DONE)
    recommendation.status = RecommendationStatus.DONE
    recommendation.done_on = done_on
    recommendation.answer_note = note
    if evidence is not None:
        recommendation.evidence_name = evidence.name
        recommendation.evidence_original_name = evidence.original_name
        recommendation.evidence_content_type = evidence.content_type
        recommendation.evidence_size = evidence.size
    recommendation.answered_by_id = getattr(actor, "id", None)
    recommendation.answered_at = utcnow()
    db.session.flush()
    _changed(institution.id)
    return recommendation


def reopen_recommendation(recommendation, *, actor, reason):
    """The Department does not accept an answer: the recommendation is open again, its deadline unchanged."""
    require(actor, "department.edit", recommendation.inspection.institution)
    reason = _long_text(reason, limit=2000, field="reason")
    if not reason:
        raise DomainError(_l("Say why the answer is not enough, so the institution knows what to do."),
                          field="reason")
    RECOMMENDATION_TRANSITIONS.check(recommendation.status, RecommendationStatus.OPEN)
    recommendation.status = RecommendationStatus.OPEN
    recommendation.done_on = None
    recommendation.answer_note = f"{recommendation.answer_note}\n\n— {reason}".strip()
    db.session.flush()
    _changed(recommendation.inspection.institution_id)
    return recommendation


def overdue_recommendations(*, actor=None, institution_ids=None, today=None):
    """Open recommendations whose deadline has passed, oldest deadline first."""
    today = today or local_today()
    query = (sa.select(Recommendation).join(Inspection)
             .where(Recommendation.status == RecommendationStatus.OPEN, Recommendation.deadline < today)
             .order_by(Recommendation.deadline, Recommendation.id))
    if institution_ids is not None:
        query = query.where(Inspection.institution_id.in_(sorted(institution_ids)))
    if actor is not None:
        query = _visible(query, Inspection.institution_id, actor)
    return db.session.scalars(query).all()


def open_recommendations(*, institution_ids, today=None):
    """Open recommendations of these institutions, nearest deadline first (what the home page lists)."""
    query = (sa.select(Recommendation).join(Inspection)
             .where(Recommendation.status == RecommendationStatus.OPEN,
                    Inspection.institution_id.in_(sorted(institution_ids)))
             .order_by(Recommendation.deadline, Recommendation.id))
    return db.session.scalars(query).all()


# -- publicity ----------------------------------------------------------------------------------------------

def media_items(*, actor, year):
    query = _visible(sa.select(MediaItem).where(_in_year(MediaItem.date, year)), MediaItem.institution_id, actor)
    return db.session.scalars(query.order_by(MediaItem.date.desc(), MediaItem.id.desc())).all()


def record_media_item(*, actor, institution, medium, date, title, made_by="", link="", scan=None, today=None):
    """An item published about lifelong learning, recorded by (or for) the institution that made or asked for it."""
    institution = _institution(institution)
    require(actor, "department.record", institution)
    date = _not_future(_date(date, "date"), "date", today or local_today())
    item = MediaItem(institution=institution, medium=enum_value(Medium, medium, "medium"), date=date,
                     title=_text(title, _l("Give the title of the article or segment."), "title", 300),
                     made_by=_text(made_by, "", "made_by", 200, required=False), link=_link(link))
    if scan is not None:
        item.scan_name, item.scan_original_name, item.scan_content_type = (scan.name, scan.original_name,
                                                                           scan.content_type)
    db.session.add(item)
    db.session.flush()
    _changed(institution.id)
    return item


def get_media_item(item_id, *, actor):
    item = db.session.get(MediaItem, item_id)
    if item is None:
        raise NotFound(_l("This item does not exist."))
    _check_visible(actor, item.institution_id)
    return item


# -- funding -------------------------------------------------------------------------------------------------

def funding_receipts(*, actor, year):
    query = _visible(sa.select(FundingReceipt).where(_in_year(FundingReceipt.date, year)),
                     FundingReceipt.institution_id, actor)
    return db.session.scalars(query.order_by(FundingReceipt.date.desc(), FundingReceipt.id.desc())).all()


def record_funding(*, actor, institution, date, source, amount, purpose, donor="", today=None):
    """Money received (VND, a whole number of đồng) by one institution for the plan; the Department records it."""
    institution = _institution(institution)
    require(actor, "department.edit", institution)
    date = _not_future(_date(date, "date"), "date", today or local_today())
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise DomainError(_l("Give the amount in đồng, a whole number above 0."), field="amount")
    if amount > MAX_AMOUNT:
        raise DomainError(_l("This amount is too large; check the number of zeros."), field="amount")
    receipt = FundingReceipt(institution=institution, date=date, source=enum_value(FundingSource, source, "source"),
                             amount=amount, purpose=_text(purpose, _l("Say what the money is for."), "purpose", 300),
                             donor=_text(donor, "", "donor", 200, required=False))
    db.session.add(receipt)
    db.session.flush()
    _changed(institution.id)
    return receipt


def book_donations(period, institution_ids):
    """Copies donated in the period (recorded by acquisitions) and their stated value: shown beside the money.

    They are gifts in kind, not money received, so ``DEP.FUNDING`` never adds them.
    """
    from ..catalog.models import AcquisitionSource, Item
    query = (sa.select(sa.func.count(Item.id), sa.func.coalesce(sa.func.sum(Item.price), 0))
             .where(Item.source == AcquisitionSource.DONATION, Item.accessioned.between(period.start, period.end)))
    if institution_ids is not None:
        query = query.where(Item.institution_id.in_(list(institution_ids)))
    copies, value = db.session.execute(query).one()
    return {"copies": int(copies or 0), "value": float(value or 0)}


# -- school programmes -------------------------------------------------------------------------------------------

def find_or_create_school(name, commune=""):
    name = _text(name, _l("Name the school."), "school", 200)
    folded = fold(name)[:200]
    school = db.session.scalar(sa.select(PartnerSchool).where(PartnerSchool.name_folded == folded))
    if school is None:
        school = PartnerSchool(name=name, name_folded=folded, commune=_text(commune, "", "commune", 120,
                                                                            required=False))
        db.session.add(school)
        db.session.flush()
    elif commune and not school.commune:
        school.commune = _text(commune, "", "commune", 120, required=False)
    return school


def programmes(*, actor):
    query = _visible(sa.select(SchoolProgramme), SchoolProgramme.institution_id, actor)
    return db.session.scalars(query.order_by(SchoolProgramme.start.desc(), SchoolProgramme.id.desc())).all()


def programme_by_code(code):
    return db.session.scalar(sa.select(SchoolProgramme).where(SchoolProgramme.code == code))


def get_programme(programme_id, *, actor):
    programme = db.session.get(SchoolProgramme, programme_id)
    if programme is None:
        raise NotFound(_l("This programme does not exist."))
    _check_visible(actor, programme.institution_id)
    return programme


def create_programme(*, actor, institution, title, start, end=None, agreement="", code=None):
    institution = _institution(institution)
    require(actor, "department.record", institution)
    start = _date(start, "start", _l("Give the first day (dd/mm/yyyy)."))
    if end is not None:
        end = _date(end, "end")
        if end < start:
            raise DomainError(_l("The last day (%(end)s) is before the first day (%(start)s).",
                                 end=day_text(end), start=day_text(start)), field="end")
    code = (_unique_code(SchoolProgramme, _code(code), _l("programme")) if code
            else _next_code(SchoolProgramme, "CT", start.year))
    programme = SchoolProgramme(code=code, institution=institution, start=start, end=end,
                                title=_text(title, _l("Give the programme's title."), "title", 300),
                                agreement=_text(agreement, "", "agreement", 200, required=False))
    db.session.add(programme)
    db.session.flush()
    return programme


def record_session(programme, *, actor, school, date, place, students, topic="", commune="", today=None):
    """A session held with one school's students; its day lies within the programme and not in the future."""
    require(actor, "department.record", programme.institution)
    date = _not_future(_date(date, "date"), "date", today or local_today())
    if date < programme.start or (programme.end is not None and date > programme.end):
        raise DomainError(_l("%(day)s is outside the programme (%(start)s – %(end)s).", day=day_text(date),
                             start=day_text(programme.start), end=day_text(programme.end) or "…"), field="date")
    school = school if isinstance(school, PartnerSchool) else find_or_create_school(school, commune)
    session = SchoolSession(programme=programme, school=school, date=date, place=enum_value(SessionPlace, place, "place"),
                            students=_count(students, "students", minimum=1),
                            topic=_text(topic, "", "topic", 300, required=False))
    db.session.add(session)
    db.session.flush()
    _changed(programme.institution_id)
    return session


def institutions_with_school_sessions(period, institution_ids=None):
    """Ids of the museum and libraries that ran at least one school session in ``period``.

    The read-only query for ``MUS.EDU_PROGRAMME_SHARE`` (programme 1520): a
    session counts for the institution whose programme it belongs to, where
    that institution is the museum or a library (wherever the session was held).
    """
    query = (sa.select(SchoolProgramme.institution_id).distinct()
             .join(SchoolSession, SchoolSession.programme_id == SchoolProgramme.id)
             .join(Institution, Institution.id == SchoolProgramme.institution_id)
             .where(SchoolSession.date.between(period.start, period.end),
                    Institution.kind.in_(sorted(MUSEUM_AND_LIBRARIES, key=lambda k: k.value))))
    if institution_ids is not None:
        query = query.where(SchoolProgramme.institution_id.in_(list(institution_ids)))
    return set(db.session.scalars(query))


# -- permanent and outdoor displays ----------------------------------------------------------------------------

def displays(*, actor):
    query = _visible(sa.select(Display), Display.institution_id, actor)
    return db.session.scalars(query.order_by(Display.code)).all()


def display_by_code(code):
    return db.session.scalar(sa.select(Display).where(Display.code == code))


def get_display(display_id, *, actor):
    display = db.session.get(Display, display_id)
    if display is None:
        raise NotFound(_l("This display does not exist."))
    _check_visible(actor, display.institution_id)
    return display


def create_display(*, actor, institution, kind, title, code, opened_on=None, closed_on=None):
    """A permanent or outdoor display belongs to the museum (the plan's "hệ thống trưng bày cố định")."""
    institution = _institution(institution)
    require(actor, "department.record", institution)
    if institution.kind != InstitutionKind.MUSEUM:
        raise DomainError(_l("Permanent and outdoor displays belong to the museum; %(name)s is not one.",
                             name=institution.name), field="institution")
    opened_on = _date(opened_on, "opened_on") if opened_on else None
    closed_on = _date(closed_on, "closed_on") if closed_on else None
    if closed_on and (opened_on is None or closed_on < opened_on):
        raise DomainError(_l("A display closes after it opened."), field="closed_on")
    display = Display(code=_unique_code(Display, _code(code), _l("display")), institution=institution,
                      kind=enum_value(DisplayKind, kind, "kind"), opened_on=opened_on, closed_on=closed_on,
                      title=_text(title, _l("Give the display's title."), "title", 300))
    db.session.add(display)
    db.session.flush()
    _changed(institution.id)
    return display


def add_section(display, *, actor, title, planned_by=None, completed_on=None):
    require(actor, "department.record", display.institution)
    section = DisplaySection(display=display, position=len(display.sections) + 1,
                             title=_text(title, _l("Give the section's title."), "title", 300),
                             planned_by=_date(planned_by, "planned_by") if planned_by else None)
    db.session.add(section)
    db.session.flush()
    if completed_on:
        complete_section(section, actor=actor, on=completed_on)
    return section


def complete_section(section, *, actor, on, today=None):
    require(actor, "department.record", section.display.institution)
    on = _not_future(_date(on, "completed_on"), "completed_on", today or local_today())
    section.completed_on = on
    db.session.flush()
    _changed(section.display.institution_id)
    return section


def add_display_artifact(display, *, actor, artifact):
    """An artifact shown in the display: one of the museum's own (from the collections)."""
    from ..events.models import Artifact
    require(actor, "department.record", display.institution)
    if not isinstance(artifact, Artifact):
        artifact = db.session.scalar(sa.select(Artifact).where(Artifact.code == (artifact or "").strip()))
        if artifact is None:
            raise DomainError(_l("No artifact has this accession code."), field="artifact")
    if artifact.institution_id != display.institution_id:
        raise DomainError(_l("The artifact %(code)s belongs to another institution.", code=artifact.code),
                          field="artifact")
    if artifact not in display.artifacts:
        display.artifacts.append(artifact)
    db.session.flush()
    return artifact


# -- exchanges ----------------------------------------------------------------------------------------------

def exchanges(*, actor, year):
    query = _visible(sa.select(ExchangeVisit).where(_in_year(ExchangeVisit.date, year)),
                     ExchangeVisit.institution_id, actor)
    return db.session.scalars(query.order_by(ExchangeVisit.date.desc(), ExchangeVisit.id.desc())).all()


def record_exchange(*, actor, institution, direction, date, title, partners="", out_of_province=False,
                    participants=None, today=None):
    institution = _institution(institution)
    require(actor, "department.record", institution)
    date = _not_future(_date(date, "date"), "date", today or local_today())
    partner_lines = [clean(line) for line in _long_text(partners, limit=2000, field="partners").splitlines()]
    partner_lines = [line for line in partner_lines if line]
    if not partner_lines:
        raise DomainError(_l("Name the other institutions involved, one per line."), field="partners")
    visit = ExchangeVisit(institution=institution, direction=enum_value(ExchangeDirection, direction, "direction"),
                          out_of_province=bool(out_of_province), date=date, partners="\n".join(partner_lines),
                          title=_text(title, _l("Say what the visit was about."), "title", 300),
                          participants=_count(participants, "participants", minimum=1, required=False))
    db.session.add(visit)
    db.session.flush()
    _changed(institution.id)
    return visit



