"""Indicators of programme 1520/QĐ-TTg (2022): shares of institutions serving lifelong learning.

Definitions: ``shared/spec/indicators.md``, section "Programme 1520". The
programme counts institutions, not visits: each institution's value is 100
when it qualifies in the period and 0 when it does not, and a group's value
is the share (one decimal) of its institutions that qualify. A group with no
institution has no value (the page shows the group as empty, never 0%).

The conditions reuse the other indicators' own computations (``LIB.VISITS``,
``LIB.DISPLAYS``, ``NET.TRAININGS``, ``TRN.COURSES``, ``CUL.ACTIVITIES``), so
the reading "served readers and held a display" always agrees with the
figures shown beside it. The drill-down lists every institution of the
figure with the counts behind its answer.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ...department.services import institutions_with_school_sessions
from ...events.models import Activity, ActivityKind, Club, Exhibition, ExhibitionStatus, VisitorCount
from ...extensions import db
from ...org.models import Institution
from .. import registry
from ..drill import COLUMN_LABELS
from ..registry import Indicator, register

PUBLIC_LIBRARIES = frozenset({"provincial_library", "district_library", "commune_library"})
MUSEUM = frozenset({"museum"})
CULTURAL_CENTRES = frozenset({"cultural_center"})

# Column names of the drill-downs below, in words (the drill-down shows any other key as it is).
COLUMN_LABELS.update({
    "visits": _l("Reader visits"), "displays": _l("Thematic displays"), "trainings": _l("Internet trainings"),
    "courses": _l("Courses"), "clubs": _l("Clubs active"), "activities": _l("Activities"),
    "information_activities": _l("Information activities"), "school_visits": _l("Days with students"),
    "school_sessions": _l("School programme sessions"),
    "counts": _l("Counts for the programme"), "learning_visitors": _l("Learning visitors"),
    "year_before": _l("Same period a year before"),
})


def _others(code, period, ids):
    indicator = registry.get(code)
    if indicator is None or not ids:
        return {}
    return {i: float(v or 0) for i, v in (indicator.compute(period, list(ids)) or {}).items()}


def _clubs_in_period(period, ids):
    """Clubs hosted by each institution that were active on at least one day of the period."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Club.institution_id, sa.func.count(Club.id))
        .where(Club.institution_id.in_(list(ids)), Club.active_from <= period.end,
               sa.or_(Club.active_to.is_(None), Club.active_to >= period.start))
        .group_by(Club.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _share(values, ids):
    ids = list(ids)
    if not ids:
        return None
    return 100.0 * sum(1 for i in ids if values.get(i)) / len(ids)


def _flags_select(ids, columns, qualifies):
    """A drill-down ``Select``: one row per institution with the counts behind its answer.

    The counts were computed by the indicators themselves; they enter the query as literal CASE
    columns, so the page can page and export them like any other record list.
    """
    def mapped(values, label):
        cases = {i: float(values.get(i, 0)) for i in ids}
        if not cases:
            return sa.literal(0).label(label)
        return sa.case(cases, value=Institution.id, else_=0).label(label)

    yes = {i: 1 for i in ids if qualifies.get(i)}
    counted = (sa.case({i: True for i in yes}, value=Institution.id, else_=False) if yes
               else sa.literal(False))
    return (sa.select(Institution.code.label("institution"), Institution.name.label("name"),
                      *[mapped(values, label) for label, values in columns],
                      sa.type_coerce(counted, sa.Boolean).label("counts"))
            .where(Institution.id.in_(list(ids))).order_by(Institution.code))


# -- LIB.LLL_SERVICE_SHARE -------------------------------------------------------------------------------

def _library_parts(period, ids):
    ids = list(ids)
    return [("visits", _others("LIB.VISITS", period, ids)),
            ("displays", _others("LIB.DISPLAYS", period, ids)),
            ("trainings", _others("NET.TRAININGS", period, ids)),
            ("courses", _others("TRN.COURSES", period, ids)),
            ("clubs", _clubs_in_period(period, ids)),
            ("activities", _others("CUL.ACTIVITIES", period, ids))]


def _library_qualifies(parts, ids):
    values = dict(parts)
    return {i: 100.0 if values["visits"].get(i, 0) > 0 and any(
        values[k].get(i, 0) > 0 for k in ("displays", "trainings", "courses", "clubs", "activities")) else 0.0
        for i in ids}


def library_lll_service(period, institution_ids):
    """LIB.LLL_SERVICE_SHARE: a public library counts when, in the period, it served readers
    (``LIB.VISITS`` > 0) and held at least one lifelong-learning activity of its own: a thematic
    display (``LIB.DISPLAYS``), a computer/internet training (``NET.TRAININGS``), a course
    (``TRN.COURSES``), a club it hosts active on a day of the period, or a cultural activity it
    held (``CUL.ACTIVITIES``). Per library 100 or 0; a group's value is the share of its libraries
    that count (per kind: provincial, district, commune libraries are one level each)."""
    ids = list(institution_ids)
    return _library_qualifies(_library_parts(period, ids), ids)


def _library_share(period, ids):
    return _share(library_lll_service(period, ids), ids)


def _library_drilldown(period, institution_ids):
    ids = list(institution_ids)
    parts = _library_parts(period, ids)
    return _flags_select(ids, parts, _library_qualifies(parts, ids))


register(Indicator(
    code="LIB.LLL_SERVICE_SHARE", name_vi="Tỷ lệ thư viện cung cấp dịch vụ học tập suốt đời (%)",
    name_en="Libraries providing lifelong-learning services (%)", kinds=PUBLIC_LIBRARIES, unit="percent",
    decimals=1, compute=library_lll_service, group=_library_share, drilldown=_library_drilldown,
    nullable=True, definition=library_lll_service.__doc__))


# -- MUS.EDU_PROGRAMME_SHARE, MUS.LEARNING_VISITORS(_GROWTH) ----------------------------------------

def _student_rows(period, ids):
    return (sa.select(Exhibition.institution_id).select_from(VisitorCount)
            .join(Exhibition, Exhibition.id == VisitorCount.exhibition_id)
            .where(VisitorCount.date.between(period.start, period.end),
                   Exhibition.status != ExhibitionStatus.CANCELLED, Exhibition.institution_id.in_(list(ids))))


def _school_days(period, ids):
    if not ids:
        return {}
    query = (_student_rows(period, ids).add_columns(sa.func.count(VisitorCount.id))
             .where(VisitorCount.students > 0).group_by(Exhibition.institution_id))
    return {inst: float(n) for inst, n in db.session.execute(query).all()}


def _school_sessions(period, ids):
    """1 for each institution that ran a session of a school programme in the period (the Department's
    records: ``department.services.institutions_with_school_sessions``)."""
    return {inst: 1.0 for inst in institutions_with_school_sessions(period, ids)}


def _museum_parts(period, ids):
    return [("school_visits", _school_days(period, ids)), ("school_sessions", _school_sessions(period, ids)),
            ("courses", _others("TRN.COURSES", period, ids))]


def _museum_qualifies(parts, ids):
    values = dict(parts)
    return {i: 100.0 if any(values[k].get(i, 0) > 0 for k in ("school_visits", "school_sessions", "courses"))
            else 0.0 for i in ids}


def museum_edu_programme(period, institution_ids):
    """MUS.EDU_PROGRAMME_SHARE: a museum counts when, in the period, one of its exhibitions or
    heritage events (not cancelled) recorded students among its visitors on a day of the period,
    or it ran a session of a school programme agreed with the Department of Education (the
    Department's records, ``MUS.SCHOOL_PROGRAMMES``), or it held a course (``TRN.COURSES``). The course records carry no "for the public" audience,
    so every course the museum organised counts; the drill-down shows which condition was met."""
    ids = list(institution_ids)
    return _museum_qualifies(_museum_parts(period, ids), ids)


def _museum_drilldown(period, institution_ids):
    ids = list(institution_ids)
    parts = _museum_parts(period, ids)
    return _flags_select(ids, parts, _museum_qualifies(parts, ids))


register(Indicator(
    code="MUS.EDU_PROGRAMME_SHARE", name_vi="Tỷ lệ bảo tàng xây dựng và tổ chức chương trình giáo dục (%)",
    name_en="Museums running education programmes (%)", kinds=MUSEUM, unit="percent", decimals=1,
    compute=museum_edu_programme, group=lambda p, ids: _share(museum_edu_programme(p, ids), ids),
    drilldown=_museum_drilldown, nullable=True, definition=museum_edu_programme.__doc__))


def learning_visitors(period, institution_ids):
    """MUS.LEARNING_VISITORS: visitors recorded as students (school groups included: their students
    are counted in ``students``) at the museum's exhibitions and heritage events, on days of the
    period; cancelled exhibitions count nowhere. The records are the visitor counts with students."""
    ids = list(institution_ids)
    if not ids:
        return {}
    query = _student_rows(period, ids).add_columns(sa.func.sum(VisitorCount.students)).group_by(
        Exhibition.institution_id)
    return {inst: float(n or 0) for inst, n in db.session.execute(query).all()}


def _learning_series(period, institution_ids):
    ids = list(institution_ids)
    year, month = sa.extract("year", VisitorCount.date), sa.extract("month", VisitorCount.date)
    query = (_student_rows(period, ids).add_columns(year, month, sa.func.sum(VisitorCount.students))
             .group_by(Exhibition.institution_id, year, month))
    return {(inst, f"{int(y):04d}-{int(m):02d}"): float(n or 0) for inst, y, m, n in db.session.execute(query)}


def _learning_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), VisitorCount.date.label("date"),
                      Exhibition.code.label("code"), Exhibition.title.label("title"),
                      VisitorCount.students.label("students"), VisitorCount.school.label("school"))
            .select_from(VisitorCount).join(Exhibition, Exhibition.id == VisitorCount.exhibition_id)
            .join(Institution, Institution.id == Exhibition.institution_id)
            .where(VisitorCount.date.between(period.start, period.end), VisitorCount.students > 0,
                   Exhibition.status != ExhibitionStatus.CANCELLED,
                   Exhibition.institution_id.in_(list(institution_ids)))
            .order_by(VisitorCount.date, VisitorCount.id))


register(Indicator(
    code="MUS.LEARNING_VISITORS", name_vi="Lượt khách tham quan học tập, nghiên cứu",
    name_en="Visitors who come to learn", kinds=MUSEUM, compute=learning_visitors, series=_learning_series,
    drilldown=_learning_drilldown, definition=learning_visitors.__doc__))


def _growth(now, before):
    if not before:
        return None
    return (now - before) / before * 100.0


def learning_visitors_growth(period, institution_ids):
    """MUS.LEARNING_VISITORS_GROWTH: the change of ``MUS.LEARNING_VISITORS`` against the same
    period a year earlier, in % with one decimal. No value (and no judgement against a target)
    when the year before has none; a group's change is that of the group's totals."""
    ids = list(institution_ids)
    now = learning_visitors(period, ids)
    before = learning_visitors(period.shifted_years(-1), ids)
    return {i: _growth(now.get(i, 0), before.get(i, 0)) for i in ids}


def _growth_group(period, ids):
    now = sum(learning_visitors(period, ids).values())
    before = sum(learning_visitors(period.shifted_years(-1), ids).values())
    return _growth(now, before)


def _growth_drilldown(period, institution_ids):
    ids = list(institution_ids)
    return _flags_select(ids, [("learning_visitors", learning_visitors(period, ids)),
                               ("year_before", learning_visitors(period.shifted_years(-1), ids))],
                         {i: v is not None and v > 0 for i, v in learning_visitors_growth(period, ids).items()})


register(Indicator(
    code="MUS.LEARNING_VISITORS_GROWTH", name_vi="Tăng trưởng khách tham quan học tập (%)",
    name_en="Growth of visitors who come to learn (%)", kinds=MUSEUM, unit="percent", decimals=1,
    compute=learning_visitors_growth, group=_growth_group, drilldown=_growth_drilldown, nullable=True,
    definition=learning_visitors_growth.__doc__))


# -- CUL.LLL_SERVICE_SHARE ---------------------------------------------------------------------------

def _information_activities(period, ids):
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Activity.institution_id, sa.func.count(Activity.id))
        .where(Activity.date.between(period.start, period.end), Activity.kind == ActivityKind.INFORMATION,
               Activity.institution_id.in_(list(ids))).group_by(Activity.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _centre_parts(period, ids):
    ids = list(ids)
    return [("information_activities", _information_activities(period, ids)),
            ("courses", _others("TRN.COURSES", period, ids)), ("clubs", _clubs_in_period(period, ids))]


def _centre_qualifies(parts, ids):
    values = dict(parts)
    return {i: 100.0 if any(v.get(i, 0) > 0 for v in values.values()) else 0.0 for i in ids}


def centre_lll_service(period, institution_ids):
    """CUL.LLL_SERVICE_SHARE: a cultural centre counts when, in the period, it held at least one
    activity of kind information, a course (``TRN.COURSES``), or hosted a club active on a day of
    the period. Per centre 100 or 0; the group's value is the share of centres that count."""
    ids = list(institution_ids)
    return _centre_qualifies(_centre_parts(period, ids), ids)


def _centre_drilldown(period, institution_ids):
    ids = list(institution_ids)
    parts = _centre_parts(period, ids)
    return _flags_select(ids, parts, _centre_qualifies(parts, ids))


register(Indicator(
    code="CUL.LLL_SERVICE_SHARE", name_vi="Tỷ lệ trung tâm văn hóa cung cấp dịch vụ học tập suốt đời (%)",
    name_en="Cultural centres providing lifelong-learning services (%)", kinds=CULTURAL_CENTRES,
    unit="percent", decimals=1, compute=centre_lll_service,
    group=lambda p, ids: _share(centre_lll_service(p, ids), ids), drilldown=_centre_drilldown, nullable=True,
    definition=centre_lll_service.__doc__))
