"""Indicators of the Department's follow-up: inspections, publicity, funding, school programmes, permanent
displays and exchange visits.

Definitions: ``shared/spec/indicators.md``, section "The Department's follow-up".
Every record carries a local date; "in the period" means that date lies in
it. The institution a figure belongs to is the one visited (inspections), the
one that made or requested the item (publicity), the one that received the
money (funding), the one whose programme it is (school sessions), the museum
(displays), and our institution that made or received the visit (exchanges).
"""
import sqlalchemy as sa

from ...department.models import (Display, DisplaySection, ExchangeVisit, FundingReceipt,
                                  FundingSource, Inspection, MediaItem, PartnerSchool, Recommendation,
                                  RecommendationStatus, SchoolProgramme, SchoolSession)
from ...extensions import db
from ...org.models import InstitutionKind
from ..registry import ActivityList, Indicator, register, register_activity_list

LIBRARIES = frozenset({InstitutionKind.PROVINCIAL_LIBRARY.value, InstitutionKind.DISTRICT_LIBRARY.value})
MUSEUM = frozenset({InstitutionKind.MUSEUM.value})
#: The institutions the plan's follow-up concerns: libraries, the museum, cultural centres and houses
#: (postal cultural points and internet points are followed through their library).
FOLLOWED = LIBRARIES | MUSEUM | frozenset({InstitutionKind.CULTURAL_CENTER.value,
                                          InstitutionKind.CULTURAL_HOUSE.value})


def _per_institution(query):
    return {inst: float(value or 0) for inst, value in db.session.execute(query).all()}


def _keyed(query):
    return {str(getattr(key, "value", key)): float(value or 0) for key, value in db.session.execute(query).all()}


def _dated_count(model, day, institution_column, extra=()):
    """compute, series and a breakdown builder for "records of ``model`` whose ``day`` is in the period"."""
    def where(period, ids):
        return (day.between(period.start, period.end), institution_column.in_(list(ids)), *extra)

    def compute(period, institution_ids):
        return _per_institution(sa.select(institution_column, sa.func.count(model.id))
                                .where(*where(period, institution_ids)).group_by(institution_column))

    def series(period, institution_ids):
        year, month = sa.extract("year", day), sa.extract("month", day)
        rows = db.session.execute(sa.select(institution_column, year, month, sa.func.count(model.id))
                                  .where(*where(period, institution_ids)).group_by(institution_column, year, month))
        return {(inst, f"{int(y):04d}-{int(m):02d}"): float(n) for inst, y, m, n in rows}

    def by(column):
        def breakdown(period, institution_ids):
            return _keyed(sa.select(column, sa.func.count(model.id)).where(*where(period, institution_ids))
                          .group_by(column))
        return breakdown

    return compute, series, by, where


# -- DEP.INSPECTIONS ----------------------------------------------------------------------------------------

_inspections, _inspections_series, _inspections_by, _inspections_where = _dated_count(
    Inspection, Inspection.date, Inspection.institution_id)


def inspections(period, institution_ids):
    """DEP.INSPECTIONS: inspection, check and supervision visits held in the period, by the institution visited.

    The breakdown ``recommendations`` follows the recommendations given at
    those visits: ``given``; ``closed_on_time``, done on or before their
    deadline and by the period's end; ``closed_late``, done after the deadline
    but by the period's end; ``open``, the rest (still open, or answered only
    after the period, as a report written then would have seen them).
    """
    return _inspections(period, institution_ids)


def _recommendations(period, institution_ids):
    done_by_end = sa.and_(Recommendation.status == RecommendationStatus.DONE, Recommendation.done_on <= period.end)
    on_time = sa.and_(done_by_end, Recommendation.done_on <= Recommendation.deadline)
    late = sa.and_(done_by_end, Recommendation.done_on > Recommendation.deadline)
    given, closed_on_time, closed_late = db.session.execute(
        sa.select(sa.func.count(Recommendation.id),
                  sa.func.coalesce(sa.func.sum(sa.case((on_time, 1), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0))
        .join(Inspection, Inspection.id == Recommendation.inspection_id)
        .where(*_inspections_where(period, institution_ids))).one()
    return {"given": float(given), "closed_on_time": float(closed_on_time), "closed_late": float(closed_late),
            "open": float(given - closed_on_time - closed_late)}


def _inspections_drilldown(period, institution_ids):
    return (sa.select(Inspection.institution_id.label("institution_id"), Inspection.code.label("code"),
                      Inspection.date.label("date"), Inspection.kind.label("kind"),
                      Inspection.inspectors.label("inspectors"))
            .where(*_inspections_where(period, institution_ids)).order_by(Inspection.date, Inspection.id))


register(Indicator(
    code="DEP.INSPECTIONS", name_vi="cuộc thanh tra, kiểm tra, giám sát", name_en="inspection and supervision visits",
    kinds=FOLLOWED, compute=inspections, series=_inspections_series, drilldown=_inspections_drilldown,
    breakdowns={"kind": _inspections_by(Inspection.kind), "recommendations": _recommendations},
    definition=inspections.__doc__))


# -- DEP.MEDIA_ITEMS ----------------------------------------------------------------------------------------

_media, _media_series, _media_by, _media_where = _dated_count(MediaItem, MediaItem.date, MediaItem.institution_id)


def media_items(period, institution_ids):
    """DEP.MEDIA_ITEMS: items about lifelong learning published in the period (press, radio, TV, website,
    social media, banner campaigns), by the institution that made or requested them; ``medium`` breaks them down."""
    return _media(period, institution_ids)


def _media_drilldown(period, institution_ids):
    return (sa.select(MediaItem.institution_id.label("institution_id"), MediaItem.date.label("date"),
                      MediaItem.medium.label("medium"), MediaItem.title.label("title"),
                      MediaItem.made_by.label("made_by"))
            .where(*_media_where(period, institution_ids)).order_by(MediaItem.date, MediaItem.id))


register(Indicator(
    code="DEP.MEDIA_ITEMS", name_vi="tin, bài tuyên truyền", name_en="publicity items", kinds=FOLLOWED,
    compute=media_items, series=_media_series, drilldown=_media_drilldown,
    breakdowns={"medium": _media_by(MediaItem.medium)}, definition=media_items.__doc__))


# -- DEP.FUNDING ----------------------------------------------------------------------------------------------

def _funding_where(period, institution_ids):
    return (FundingReceipt.date.between(period.start, period.end),
            FundingReceipt.institution_id.in_(list(institution_ids)))


def funding(period, institution_ids):
    """DEP.FUNDING: money (VND) received in the period for the plan's activities, by the institution receiving it.

    ``source`` breaks it down into state budget, socialisation and other
    lawful sources; ``socialised`` gives the socialised share in % of the
    total. Books donated (recorded by acquisitions as copies with the source
    "donation") are gifts in kind: they are shown beside the money on the
    pages and in the report, never added to it.
    """
    return _per_institution(sa.select(FundingReceipt.institution_id, sa.func.sum(FundingReceipt.amount))
                            .where(*_funding_where(period, institution_ids))
                            .group_by(FundingReceipt.institution_id))


def _funding_series(period, institution_ids):
    year, month = sa.extract("year", FundingReceipt.date), sa.extract("month", FundingReceipt.date)
    rows = db.session.execute(sa.select(FundingReceipt.institution_id, year, month, sa.func.sum(FundingReceipt.amount))
                              .where(*_funding_where(period, institution_ids))
                              .group_by(FundingReceipt.institution_id, year, month))
    return {(inst, f"{int(y):04d}-{int(m):02d}"): float(n) for inst, y, m, n in rows}


def _funding_by_source(period, institution_ids):
    return _keyed(sa.select(FundingReceipt.source, sa.func.sum(FundingReceipt.amount))
                  .where(*_funding_where(period, institution_ids)).group_by(FundingReceipt.source))


def _funding_socialised(period, institution_ids):
    by_source = _funding_by_source(period, institution_ids)
    total = sum(by_source.values())
    share = 100.0 * by_source.get(FundingSource.SOCIALISATION.value, 0) / total if total else 0.0
    return {"share": round(share, 1)}


def _funding_drilldown(period, institution_ids):
    return (sa.select(FundingReceipt.institution_id.label("institution_id"), FundingReceipt.date.label("date"),
                      FundingReceipt.source.label("source"), FundingReceipt.purpose.label("purpose"),
                      FundingReceipt.donor.label("donor"), FundingReceipt.amount.label("amount"))
            .where(*_funding_where(period, institution_ids)).order_by(FundingReceipt.date, FundingReceipt.id))


register(Indicator(
    code="DEP.FUNDING", name_vi="kinh phí huy động (đồng)", name_en="funding received (VND)", kinds=FOLLOWED,
    compute=funding, series=_funding_series, drilldown=_funding_drilldown,
    breakdowns={"source": _funding_by_source, "socialised": _funding_socialised}, definition=funding.__doc__))


# -- MUS.SCHOOL_PROGRAMMES --------------------------------------------------------------------------------------

def _sessions_where(period, institution_ids):
    return (SchoolSession.date.between(period.start, period.end),
            SchoolProgramme.institution_id.in_(list(institution_ids)))


def _sessions():
    return sa.select().select_from(SchoolSession).join(SchoolProgramme,
                                                       SchoolProgramme.id == SchoolSession.programme_id)


def school_sessions(period, institution_ids):
    """MUS.SCHOOL_PROGRAMMES: sessions held with schools in the period under a programme agreed with the
    Department of Education, by the institution whose programme it is (wherever the session was held).

    ``reach`` gives the number of distinct schools and the students (the sum of
    each session's students: a class met twice counts twice); ``place`` counts
    sessions at the school, the museum and the library.
    """
    return _per_institution(_sessions().add_columns(SchoolProgramme.institution_id, sa.func.count(SchoolSession.id))
                            .where(*_sessions_where(period, institution_ids))
                            .group_by(SchoolProgramme.institution_id))


def _sessions_series(period, institution_ids):
    year, month = sa.extract("year", SchoolSession.date), sa.extract("month", SchoolSession.date)
    rows = db.session.execute(_sessions().add_columns(SchoolProgramme.institution_id, year, month,
                                                      sa.func.count(SchoolSession.id))
                              .where(*_sessions_where(period, institution_ids))
                              .group_by(SchoolProgramme.institution_id, year, month))
    return {(inst, f"{int(y):04d}-{int(m):02d}"): float(n) for inst, y, m, n in rows}


def _sessions_reach(period, institution_ids):
    schools, students = db.session.execute(
        _sessions().add_columns(sa.func.count(sa.distinct(SchoolSession.school_id)),
                                sa.func.coalesce(sa.func.sum(SchoolSession.students), 0))
        .where(*_sessions_where(period, institution_ids))).one()
    return {"schools": float(schools), "students": float(students)}


def _sessions_by_place(period, institution_ids):
    return _keyed(_sessions().add_columns(SchoolSession.place, sa.func.count(SchoolSession.id))
                  .where(*_sessions_where(period, institution_ids)).group_by(SchoolSession.place))


def _sessions_drilldown(period, institution_ids):
    return (sa.select(SchoolProgramme.institution_id.label("institution_id"), SchoolSession.date.label("date"),
                      PartnerSchool.name.label("school"), PartnerSchool.commune.label("commune"),
                      SchoolSession.place.label("place"), SchoolSession.students.label("students"),
                      SchoolProgramme.title.label("programme"))
            .select_from(SchoolSession).join(SchoolProgramme, SchoolProgramme.id == SchoolSession.programme_id)
            .join(PartnerSchool, PartnerSchool.id == SchoolSession.school_id)
            .where(*_sessions_where(period, institution_ids)).order_by(SchoolSession.date, SchoolSession.id))


register(Indicator(
    code="MUS.SCHOOL_PROGRAMMES", name_vi="buổi học tập, giáo dục di sản với trường học",
    name_en="school programme sessions", kinds=MUSEUM | LIBRARIES, compute=school_sessions,
    series=_sessions_series, drilldown=_sessions_drilldown,
    breakdowns={"reach": _sessions_reach, "place": _sessions_by_place}, definition=school_sessions.__doc__))


# -- MUS.PERMANENT_DISPLAYS ---------------------------------------------------------------------------------------

def _open_at_end(period, institution_ids):
    return (Display.opened_on.isnot(None), Display.opened_on <= period.end,
            sa.or_(Display.closed_on.is_(None), Display.closed_on > period.end),
            Display.institution_id.in_(list(institution_ids)))


def permanent_displays(period, institution_ids):
    """MUS.PERMANENT_DISPLAYS: permanent and outdoor displays open on the period's last day.

    A display is open from its opening day until the day it closes. The
    breakdown ``sections`` gives, over those displays, the planned sections,
    those completed by the period's last day, and that share in %; a display
    not yet open counts nowhere, however far its works have come.
    """
    return _per_institution(sa.select(Display.institution_id, sa.func.count(Display.id))
                            .where(*_open_at_end(period, institution_ids)).group_by(Display.institution_id))


def _display_sections(period, institution_ids):
    done = sa.and_(DisplaySection.completed_on.isnot(None), DisplaySection.completed_on <= period.end)
    planned, completed = db.session.execute(
        sa.select(sa.func.count(DisplaySection.id), sa.func.coalesce(sa.func.sum(sa.case((done, 1), else_=0)), 0))
        .join(Display, Display.id == DisplaySection.display_id).where(*_open_at_end(period, institution_ids))).one()
    share = round(100.0 * completed / planned, 1) if planned else 0.0
    return {"planned": float(planned), "completed": float(completed), "completed_share": share}


def _displays_by_kind(period, institution_ids):
    return _keyed(sa.select(Display.kind, sa.func.count(Display.id)).where(*_open_at_end(period, institution_ids))
                  .group_by(Display.kind))


def _displays_drilldown(period, institution_ids):
    return (sa.select(Display.institution_id.label("institution_id"), Display.code.label("code"),
                      Display.title.label("title"), Display.kind.label("kind"), Display.opened_on.label("start"))
            .where(*_open_at_end(period, institution_ids)).order_by(Display.code))


register(Indicator(
    code="MUS.PERMANENT_DISPLAYS", name_vi="hệ thống trưng bày cố định, ngoài trời",
    name_en="permanent and outdoor displays", kinds=MUSEUM, compute=permanent_displays,
    drilldown=_displays_drilldown, breakdowns={"sections": _display_sections, "kind": _displays_by_kind},
    definition=permanent_displays.__doc__))


# -- DEP.EXCHANGES ------------------------------------------------------------------------------------------------

_exchanges, _exchanges_series, _exchanges_by, _exchanges_where = _dated_count(
    ExchangeVisit, ExchangeVisit.date, ExchangeVisit.institution_id)


def exchanges(period, institution_ids):
    """DEP.EXCHANGES: study and exchange visits made or received in the period, in or out of the province, by
    our institution that made or received them (a visit between two of ours is recorded once, by either)."""
    return _exchanges(period, institution_ids)


def _exchanges_by_area(period, institution_ids):
    counts = _exchanges_by(ExchangeVisit.out_of_province)(period, institution_ids)
    return {"in_province": counts.get("False", 0), "out_of_province": counts.get("True", 0)}


def _exchanges_drilldown(period, institution_ids):
    return (sa.select(ExchangeVisit.institution_id.label("institution_id"), ExchangeVisit.date.label("date"),
                      ExchangeVisit.direction.label("direction"), ExchangeVisit.title.label("title"),
                      ExchangeVisit.partners.label("partners"), ExchangeVisit.participants.label("participants"))
            .where(*_exchanges_where(period, institution_ids)).order_by(ExchangeVisit.date, ExchangeVisit.id))


register(Indicator(
    code="DEP.EXCHANGES", name_vi="đoàn học tập, trao đổi kinh nghiệm", name_en="study and exchange visits",
    kinds=FOLLOWED, compute=exchanges, series=_exchanges_series, drilldown=_exchanges_drilldown,
    breakdowns={"direction": _exchanges_by(ExchangeVisit.direction), "area": _exchanges_by_area},
    definition=exchanges.__doc__))


register_activity_list(ActivityList(
    key="inspections", title_vi="Thanh tra, kiểm tra, giám sát", title_en="Inspections and supervision visits",
    kinds=FOLLOWED, rows=_inspections_drilldown, order=900))
