"""Indicators of exhibitions, heritage events, artifacts, festivals, clubs, activities and staff training.

Definitions: ``shared/spec/indicators.md``, sections "Libraries" (LIB.DISPLAYS),
"Museum, exhibitions, heritage" and "Cultural houses, clubs, training".
Choices made where the text leaves room are written in each docstring.
Common to all of them: a cancelled exhibition counts nowhere (nor do its
visitors); "opening in the period" means the first day (a local date) lies
in the period, so an exhibition opening on 28 December counts in the year it
opened, not the next one.
"""
import sqlalchemy as sa

from ...events import services as events
from ...events.models import (Activity, Artifact, Club, Course, Exhibition, ExhibitionKind, ExhibitionStatus,
                              ExhibitionStop, Festival, Venue, VisitorCount)
from ...org.models import Institution, InstitutionKind, Level
from ...extensions import db
from ..registry import Indicator, register

LIBRARIES = frozenset({InstitutionKind.PROVINCIAL_LIBRARY.value, InstitutionKind.DISTRICT_LIBRARY.value,
                       InstitutionKind.COMMUNE_LIBRARY.value})
MUSEUM = frozenset({InstitutionKind.MUSEUM.value})
CULTURAL = frozenset({InstitutionKind.CULTURAL_CENTER.value, InstitutionKind.CULTURAL_HOUSE.value})
EVERY_KIND = frozenset(k.value for k in InstitutionKind)

_LIVE = Exhibition.status != ExhibitionStatus.CANCELLED


def _ids(institution_ids):
    return list(institution_ids)


def _per_institution(query):
    return {inst: float(value or 0) for inst, value in db.session.execute(query).all()}


def _monthly(query):
    return {(inst, f"{int(year):04d}-{int(month):02d}"): float(value or 0)
            for inst, year, month, value in db.session.execute(query).all()}


def _keyed(query):
    return {str(getattr(key, "value", key) if key is not None else ""): float(value or 0)
            for key, value in db.session.execute(query).all()}


def _in(column, period):
    return column.between(period.start, period.end)


def _month_of(column):
    return sa.extract("year", column), sa.extract("month", column)


# -- exhibitions by kind ---------------------------------------------------------------------------

def _exhibitions_where(kind, period, ids):
    return (Exhibition.kind == kind, _LIVE, _in(Exhibition.start, period), Exhibition.institution_id.in_(ids))


def _opening_count(kind):
    def compute(period, institution_ids):
        return _per_institution(sa.select(Exhibition.institution_id, sa.func.count(Exhibition.id))
                                .where(*_exhibitions_where(kind, period, _ids(institution_ids)))
                                .group_by(Exhibition.institution_id))

    def series(period, institution_ids):
        year, month = _month_of(Exhibition.start)
        return _monthly(sa.select(Exhibition.institution_id, year, month, sa.func.count(Exhibition.id))
                        .where(*_exhibitions_where(kind, period, _ids(institution_ids)))
                        .group_by(Exhibition.institution_id, year, month))

    def drilldown(period, institution_ids):
        return (sa.select(Institution.code.label("institution"), Exhibition.code.label("code"),
                          Exhibition.title.label("title"), Exhibition.start.label("start"),
                          Exhibition.end.label("end"), Exhibition.status.label("status"),
                          Venue.name.label("venue"))
                .join(Institution, Institution.id == Exhibition.institution_id)
                .outerjoin(Venue, Venue.id == Exhibition.venue_id)
                .where(*_exhibitions_where(kind, period, _ids(institution_ids)))
                .order_by(Exhibition.start, Exhibition.id))

    def by_status(period, institution_ids):
        return _keyed(sa.select(Exhibition.status, sa.func.count(Exhibition.id))
                      .where(*_exhibitions_where(kind, period, _ids(institution_ids)))
                      .group_by(Exhibition.status))

    return compute, series, drilldown, by_status


def _register_opening(code, name_vi, name_en, kind, kinds, definition):
    compute, series, drilldown, by_status = _opening_count(kind)
    register(Indicator(code=code, name_vi=name_vi, name_en=name_en, kinds=kinds, compute=compute, series=series,
                       drilldown=drilldown, breakdowns={"status": by_status}, definition=definition))


_register_opening(
    "LIB.DISPLAYS", "trưng bày, giới thiệu sách theo chuyên đề", "thematic book displays",
    ExhibitionKind.LIBRARY_DISPLAY, LIBRARIES,
    "Library displays organised by the library whose first day falls in the period. Planned, open and closed "
    "displays count alike (the state is not always kept up to date); cancelled ones do not.")
_register_opening(
    "MUS.EXHIBITIONS", "trưng bày chuyên đề", "thematic exhibitions", ExhibitionKind.THEMATIC, MUSEUM,
    "Thematic exhibitions organised by the museum whose first day falls in the period; cancelled ones do "
    "not count.")
_register_opening(
    "MUS.HERITAGE_EVENTS", "hoạt động giới thiệu di sản", "heritage events", ExhibitionKind.HERITAGE_EVENT, MUSEUM,
    "Heritage introduction events organised by the museum whose first day falls in the period (an event "
    "spanning the turn of a year is held in the year it began); cancelled ones do not count.")


# -- travelling exhibitions: each stop once ----------------------------------------------------------

def _stop_rows():
    """One row per venue stop of a travelling exhibition, or the exhibition itself when it has none."""
    first_day = sa.func.coalesce(ExhibitionStop.start, Exhibition.start)
    return first_day, (sa.select(Exhibition.institution_id)
                       .select_from(Exhibition)
                       .outerjoin(ExhibitionStop, ExhibitionStop.exhibition_id == Exhibition.id))


def _mobile_where(period, ids, first_day):
    return (Exhibition.kind == ExhibitionKind.MOBILE, _LIVE, first_day.between(period.start, period.end),
            Exhibition.institution_id.in_(ids))


def mobile_exhibitions(period, institution_ids):
    """MUS.MOBILE_EXHIBITIONS: stops of travelling exhibitions that open in the period, each stop once.

    A travelling exhibition shown at three venues counts three; one recorded
    without stops counts once, on its own first day. A stop counts in the
    period its own first day falls in, whatever the exhibition's dates.
    """
    first_day, base = _stop_rows()
    query = (base.add_columns(sa.func.count()).where(*_mobile_where(period, _ids(institution_ids), first_day))
             .group_by(Exhibition.institution_id))
    return _per_institution(query)


def _mobile_series(period, institution_ids):
    first_day, base = _stop_rows()
    year, month = _month_of(first_day)
    query = (base.add_columns(year, month, sa.func.count())
             .where(*_mobile_where(period, _ids(institution_ids), first_day))
             .group_by(Exhibition.institution_id, year, month))
    return _monthly(query)


def _mobile_drilldown(period, institution_ids):
    first_day = sa.func.coalesce(ExhibitionStop.start, Exhibition.start)
    return (sa.select(Institution.code.label("institution"), Exhibition.code.label("code"),
                      Exhibition.title.label("title"), first_day.label("start"),
                      sa.func.coalesce(ExhibitionStop.end, Exhibition.end).label("end"),
                      Venue.name.label("venue"), ExhibitionStop.host.label("host"))
            .select_from(Exhibition)
            .join(Institution, Institution.id == Exhibition.institution_id)
            .outerjoin(ExhibitionStop, ExhibitionStop.exhibition_id == Exhibition.id)
            .outerjoin(Venue, Venue.id == ExhibitionStop.venue_id)
            .where(*_mobile_where(period, _ids(institution_ids), first_day))
            .order_by(first_day, Exhibition.id))


def _mobile_by_host(period, institution_ids):
    first_day, _base = _stop_rows()
    # One expression object in SELECT and GROUP BY, so PostgreSQL sees the same bound parameter twice.
    host = sa.func.coalesce(sa.func.nullif(ExhibitionStop.host, ""), Venue.name)
    query = (sa.select(host, sa.func.count())
             .select_from(Exhibition)
             .outerjoin(ExhibitionStop, ExhibitionStop.exhibition_id == Exhibition.id)
             .outerjoin(Venue, Venue.id == ExhibitionStop.venue_id)
             .where(*_mobile_where(period, _ids(institution_ids), first_day))
             .group_by(host))
    return _keyed(query)


register(Indicator(
    code="MUS.MOBILE_EXHIBITIONS", name_vi="trưng bày lưu động", name_en="travelling exhibitions (venue stops)",
    kinds=MUSEUM, compute=mobile_exhibitions, series=_mobile_series, drilldown=_mobile_drilldown,
    breakdowns={"host": _mobile_by_host}, definition=mobile_exhibitions.__doc__))


# -- visitors ----------------------------------------------------------------------------------------

def _visitors_where(period, ids):
    return (_in(VisitorCount.date, period), _LIVE, Exhibition.institution_id.in_(ids))


def _visitor_base(*columns):
    return sa.select(*columns).select_from(VisitorCount).join(Exhibition, Exhibition.id == VisitorCount.exhibition_id)


def museum_visitors(period, institution_ids):
    """MUS.VISITORS: people counted at the museum's exhibitions and events on days of the period.

    Counts are entered per day (and per stop of a travelling exhibition), so
    visitors belong to the day they came, not to the exhibition's opening.
    Students are part of the visitors; the ``students`` breakdown gives them
    apart from the others, ``schools`` the students of each school group.
    An imported line's total is dated on its exhibition's (or stop's) first day.
    """
    ids = _ids(institution_ids)
    return _per_institution(_visitor_base(Exhibition.institution_id, sa.func.sum(VisitorCount.visitors))
                            .where(*_visitors_where(period, ids)).group_by(Exhibition.institution_id))


def _visitors_series(period, institution_ids):
    year, month = _month_of(VisitorCount.date)
    return _monthly(_visitor_base(Exhibition.institution_id, year, month, sa.func.sum(VisitorCount.visitors))
                    .where(*_visitors_where(period, _ids(institution_ids)))
                    .group_by(Exhibition.institution_id, year, month))


def _visitors_students(period, institution_ids):
    row = db.session.execute(_visitor_base(sa.func.sum(VisitorCount.visitors), sa.func.sum(VisitorCount.students))
                             .where(*_visitors_where(period, _ids(institution_ids)))).one()
    total, students = float(row[0] or 0), float(row[1] or 0)
    return {"students": students, "other": total - students}


def _visitors_by_kind(period, institution_ids):
    return _keyed(_visitor_base(Exhibition.kind, sa.func.sum(VisitorCount.visitors))
                  .where(*_visitors_where(period, _ids(institution_ids))).group_by(Exhibition.kind))


def _visitors_by_school(period, institution_ids):
    return _keyed(_visitor_base(VisitorCount.school, sa.func.sum(VisitorCount.students))
                  .where(*_visitors_where(period, _ids(institution_ids)), VisitorCount.school != "")
                  .group_by(VisitorCount.school))


def _visitors_drilldown(period, institution_ids):
    return (_visitor_base(Institution.code.label("institution"), VisitorCount.date.label("date"),
                          Exhibition.code.label("code"), Exhibition.title.label("title"),
                          Venue.name.label("venue"), VisitorCount.visitors.label("visitors"),
                          VisitorCount.students.label("students"), VisitorCount.school.label("school"))
            .join(Institution, Institution.id == Exhibition.institution_id)
            .outerjoin(ExhibitionStop, ExhibitionStop.id == VisitorCount.stop_id)
            .outerjoin(Venue, Venue.id == sa.func.coalesce(ExhibitionStop.venue_id, Exhibition.venue_id))
            .where(*_visitors_where(period, _ids(institution_ids)))
            .order_by(VisitorCount.date, VisitorCount.id))


register(Indicator(
    code="MUS.VISITORS", name_vi="lượt khách tham quan", name_en="visitors", kinds=MUSEUM,
    compute=museum_visitors, series=_visitors_series, drilldown=_visitors_drilldown,
    breakdowns={"students": _visitors_students, "kind": _visitors_by_kind, "schools": _visitors_by_school},
    definition=museum_visitors.__doc__))


# -- artifacts -------------------------------------------------------------------------------------------

def _artifacts_where(period, ids):
    return (_in(Artifact.accessioned, period), Artifact.institution_id.in_(ids))


def artifacts_added(period, institution_ids):
    """MUS.ARTIFACTS_ADDED: artifacts whose accession date falls in the period (intangible records included)."""
    return _per_institution(sa.select(Artifact.institution_id, sa.func.count(Artifact.id))
                            .where(*_artifacts_where(period, _ids(institution_ids)))
                            .group_by(Artifact.institution_id))


def _artifacts_series(period, institution_ids):
    year, month = _month_of(Artifact.accessioned)
    return _monthly(sa.select(Artifact.institution_id, year, month, sa.func.count(Artifact.id))
                    .where(*_artifacts_where(period, _ids(institution_ids)))
                    .group_by(Artifact.institution_id, year, month))


def _artifacts_by(column):
    def breakdown(period, institution_ids):
        return _keyed(sa.select(column, sa.func.count(Artifact.id))
                      .where(*_artifacts_where(period, _ids(institution_ids))).group_by(column))
    return breakdown


def _artifacts_drilldown(period, institution_ids):
    from ...events.models import Collection
    return (sa.select(Institution.code.label("institution"), Artifact.code.label("code"),
                      Artifact.name.label("name"), Artifact.accessioned.label("accessioned"),
                      Collection.name.label("collection"), Artifact.heritage.label("heritage"),
                      Artifact.ethnicity.label("ethnicity"))
            .join(Institution, Institution.id == Artifact.institution_id)
            .outerjoin(Collection, Collection.id == Artifact.collection_id)
            .where(*_artifacts_where(period, _ids(institution_ids)))
            .order_by(Artifact.accessioned, Artifact.code))


register(Indicator(
    code="MUS.ARTIFACTS_ADDED", name_vi="hiện vật bổ sung", name_en="artifacts accessioned", kinds=MUSEUM,
    compute=artifacts_added, series=_artifacts_series, drilldown=_artifacts_drilldown,
    breakdowns={"heritage": _artifacts_by(Artifact.heritage), "ethnicity": _artifacts_by(Artifact.ethnicity),
                "collection": _artifacts_by(Artifact.collection_id)},
    definition=artifacts_added.__doc__))


# -- festivals ------------------------------------------------------------------------------------------

def _festivals_where(period, ids):
    return (_in(Festival.date, period), Festival.institution_id.in_(ids))


def festivals_held(period, institution_ids):
    """CUL.FESTIVALS: festivals whose first day falls in the period, grouped by the organiser's level.

    The level is the organising institution's (province, district, commune;
    village houses too, shown apart). A festival of several days is held in
    the period of its first day.
    """
    return _per_institution(sa.select(Festival.institution_id, sa.func.count(Festival.id))
                            .where(*_festivals_where(period, _ids(institution_ids)))
                            .group_by(Festival.institution_id))


def _festivals_series(period, institution_ids):
    year, month = _month_of(Festival.date)
    return _monthly(sa.select(Festival.institution_id, year, month, sa.func.count(Festival.id))
                    .where(*_festivals_where(period, _ids(institution_ids)))
                    .group_by(Festival.institution_id, year, month))


def _festivals_by_kind(period, institution_ids):
    return _keyed(sa.select(Festival.kind, sa.func.count(Festival.id))
                  .where(*_festivals_where(period, _ids(institution_ids))).group_by(Festival.kind))


def _festivals_by_level(period, institution_ids):
    return _keyed(sa.select(Institution.level, sa.func.count(Festival.id))
                  .join(Institution, Institution.id == Festival.institution_id)
                  .where(*_festivals_where(period, _ids(institution_ids))).group_by(Institution.level))


def _festivals_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), Institution.level.label("level"),
                      Festival.date.label("date"), Festival.title.label("title"), Festival.kind.label("kind"),
                      Festival.venue.label("venue"), Festival.participants.label("participants"))
            .join(Institution, Institution.id == Festival.institution_id)
            .where(*_festivals_where(period, _ids(institution_ids)))
            .order_by(Festival.date, Festival.id))


register(Indicator(
    code="CUL.FESTIVALS", name_vi="liên hoan, hội diễn, ngày hội", name_en="festivals", kinds=CULTURAL,
    compute=festivals_held, group_by="level", series=_festivals_series, drilldown=_festivals_drilldown,
    breakdowns={"kind": _festivals_by_kind, "level": _festivals_by_level}, definition=festivals_held.__doc__))


def _compliance_window_condition(period):
    """Festivals inside the cycle of their organiser's level, the cycle ending with the period's year.

    The cycle is cut at the period's last day: a half-year report counts
    only festivals already held.
    """
    year = period.end.year
    conditions = []
    by_years = {}
    for level, years in events.FESTIVAL_CYCLE_YEARS.items():
        by_years.setdefault(years, []).append(level)
    for years, levels in sorted(by_years.items()):
        first, _last = events.festival_window(levels[0], year, until=period.end)
        conditions.append(sa.and_(Institution.level.in_(levels), Festival.date >= first))
    return sa.and_(sa.or_(*conditions), Festival.date <= period.end)


def _compliant_ids(period, institution_ids):
    query = (sa.select(Festival.institution_id).distinct()
             .join(Institution, Institution.id == Festival.institution_id)
             .where(Festival.institution_id.in_(_ids(institution_ids)), _compliance_window_condition(period)))
    return set(db.session.scalars(query))


def festival_compliance(period, institution_ids):
    """CUL.FESTIVAL_COMPLIANCE: 100 for an institution that held a festival in its level's cycle, else 0.

    The cycle is the 2 calendar years ending with the period's year for
    province and district (2023–2024 for 2024), that year alone for a
    commune, cut at the period's last day. Institutions of a level are the
    active cultural centres and cultural houses of that level; a group's
    value (the plan's targets use ``level:``) is the share in percent of its
    institutions that comply. Village houses have no duty in the plan: they
    are shown with the commune's yearly rhythm and no target concerns them.
    """
    held = _compliant_ids(period, institution_ids)
    return {inst: (100.0 if inst in held else 0.0) for inst in institution_ids}


def _compliance_share(period, institution_ids):
    ids = _ids(institution_ids)
    if not ids:
        return 0.0
    return 100.0 * len(_compliant_ids(period, ids)) / len(ids)


def _compliance_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), Institution.level.label("level"),
                      Festival.date.label("date"), Festival.title.label("title"))
            .select_from(Festival).join(Institution, Institution.id == Festival.institution_id)
            .where(Festival.institution_id.in_(_ids(institution_ids)), _compliance_window_condition(period))
            .order_by(Institution.code, Festival.date))


def _compliance_by_level(period, institution_ids):
    ids = _ids(institution_ids)
    levels = dict(db.session.execute(sa.select(Institution.id, Institution.level).where(Institution.id.in_(ids))).all())
    held = _compliant_ids(period, ids)
    out = {}
    for level in Level:
        members = [i for i, lv in levels.items() if lv == level]
        if members:
            out[level.value] = round(100.0 * len([i for i in members if i in held]) / len(members), 1)
    return out


register(Indicator(
    code="CUL.FESTIVAL_COMPLIANCE", name_vi="tỷ lệ đơn vị tổ chức liên hoan đúng chu kỳ",
    name_en="festival cycle compliance", kinds=CULTURAL, compute=festival_compliance, unit="percent",
    group=_compliance_share, group_by="level", decimals=1, drilldown=_compliance_drilldown,
    breakdowns={"level": _compliance_by_level}, definition=festival_compliance.__doc__))


# -- clubs -----------------------------------------------------------------------------------------------

def _clubs_where(period, ids):
    day = period.end
    return (Club.institution_id.in_(ids), Club.active_from <= day,
            sa.or_(Club.active_to.is_(None), Club.active_to >= day))


def clubs_active(period, institution_ids):
    """CUL.CLUBS: clubs active on the period's last day (started on or before it, not stopped before it).

    Their members are the ``members`` breakdown (by setting: village,
    school, other); the number of clubs by setting is ``setting``.
    """
    return _per_institution(sa.select(Club.institution_id, sa.func.count(Club.id))
                            .where(*_clubs_where(period, _ids(institution_ids))).group_by(Club.institution_id))


def _clubs_members(period, institution_ids):
    return _keyed(sa.select(Club.setting, sa.func.sum(Club.members))
                  .where(*_clubs_where(period, _ids(institution_ids))).group_by(Club.setting))


def _clubs_setting(period, institution_ids):
    return _keyed(sa.select(Club.setting, sa.func.count(Club.id))
                  .where(*_clubs_where(period, _ids(institution_ids))).group_by(Club.setting))


def _clubs_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), Club.code.label("code"), Club.name.label("name"),
                      Club.setting.label("setting"), Club.place.label("place"), Club.members.label("members"),
                      Club.active_from.label("active_from"), Club.active_to.label("active_to"))
            .join(Institution, Institution.id == Club.institution_id)
            .where(*_clubs_where(period, _ids(institution_ids))).order_by(Institution.code, Club.name_sort))


register(Indicator(
    code="CUL.CLUBS", name_vi="câu lạc bộ đang hoạt động", name_en="active clubs", kinds=CULTURAL,
    compute=clubs_active, drilldown=_clubs_drilldown,
    breakdowns={"members": _clubs_members, "setting": _clubs_setting}, definition=clubs_active.__doc__))


# -- activities ------------------------------------------------------------------------------------------

def _activities_where(period, ids):
    return (_in(Activity.date, period), Activity.institution_id.in_(ids))


def activities_held(period, institution_ids):
    """CUL.ACTIVITIES: activities held at cultural houses on days of the period, by kind.

    Cultural centres count with the houses (they are the province's and the
    districts' houses of culture). Every occurrence of a recurring activity
    is one activity. ``kind`` breaks them down by kind, ``participants``
    adds up the participants recorded, by kind.
    """
    return _per_institution(sa.select(Activity.institution_id, sa.func.count(Activity.id))
                            .where(*_activities_where(period, _ids(institution_ids)))
                            .group_by(Activity.institution_id))


def _activities_series(period, institution_ids):
    year, month = _month_of(Activity.date)
    return _monthly(sa.select(Activity.institution_id, year, month, sa.func.count(Activity.id))
                    .where(*_activities_where(period, _ids(institution_ids)))
                    .group_by(Activity.institution_id, year, month))


def _activities_by_kind(period, institution_ids):
    return _keyed(sa.select(Activity.kind, sa.func.count(Activity.id))
                  .where(*_activities_where(period, _ids(institution_ids))).group_by(Activity.kind))


def _activities_participants(period, institution_ids):
    return _keyed(sa.select(Activity.kind, sa.func.sum(Activity.participants))
                  .where(*_activities_where(period, _ids(institution_ids))).group_by(Activity.kind))


def _activities_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), Activity.date.label("date"),
                      Activity.kind.label("kind"), Activity.title.label("title"), Activity.place.label("place"),
                      Activity.participants.label("participants"))
            .join(Institution, Institution.id == Activity.institution_id)
            .where(*_activities_where(period, _ids(institution_ids))).order_by(Activity.date, Activity.id))


register(Indicator(
    code="CUL.ACTIVITIES", name_vi="hoạt động tại nhà văn hóa", name_en="cultural-house activities",
    kinds=CULTURAL, compute=activities_held, series=_activities_series, drilldown=_activities_drilldown,
    breakdowns={"kind": _activities_by_kind, "participants": _activities_participants},
    definition=activities_held.__doc__))


# -- staff training -------------------------------------------------------------------------------------

def _courses_where(period, ids):
    return (_in(Course.start, period), Course.institution_id.in_(ids))


def courses_held(period, institution_ids):
    """TRN.COURSES: staff training courses whose first day falls in the period, by the organiser.

    Any institution that runs training counts (the spec's "any institution
    that runs staff training"), so the figure applies to every kind.
    """
    return _per_institution(sa.select(Course.institution_id, sa.func.count(Course.id))
                            .where(*_courses_where(period, _ids(institution_ids))).group_by(Course.institution_id))


def trainees(period, institution_ids):
    """TRN.TRAINEES: trainees of the courses of TRN.COURSES; ``minority`` gives ethnic-minority trainees apart."""
    return _per_institution(sa.select(Course.institution_id, sa.func.sum(Course.trainees))
                            .where(*_courses_where(period, _ids(institution_ids))).group_by(Course.institution_id))


def _courses_series(column):
    def series(period, institution_ids):
        year, month = _month_of(Course.start)
        return _monthly(sa.select(Course.institution_id, year, month, column)
                        .where(*_courses_where(period, _ids(institution_ids)))
                        .group_by(Course.institution_id, year, month))
    return series


def _courses_by_audience(column):
    def breakdown(period, institution_ids):
        return _keyed(sa.select(Course.audience, column)
                      .where(*_courses_where(period, _ids(institution_ids))).group_by(Course.audience))
    return breakdown


def _trainees_minority(period, institution_ids):
    row = db.session.execute(sa.select(sa.func.sum(Course.trainees), sa.func.sum(Course.minority_trainees))
                             .where(*_courses_where(period, _ids(institution_ids)))).one()
    total, minority = float(row[0] or 0), float(row[1] or 0)
    return {"minority": minority, "other": total - minority}


def _courses_drilldown(period, institution_ids):
    return (sa.select(Institution.code.label("institution"), Course.start.label("start"), Course.end.label("end"),
                      Course.title.label("title"), Course.audience.label("audience"),
                      Course.trainees.label("trainees"), Course.minority_trainees.label("minority_trainees"))
            .join(Institution, Institution.id == Course.institution_id)
            .where(*_courses_where(period, _ids(institution_ids))).order_by(Course.start, Course.id))


register(Indicator(
    code="TRN.COURSES", name_vi="lớp tập huấn, bồi dưỡng", name_en="staff training courses", kinds=EVERY_KIND,
    compute=courses_held, series=_courses_series(sa.func.count(Course.id)), drilldown=_courses_drilldown,
    breakdowns={"audience": _courses_by_audience(sa.func.count(Course.id))}, definition=courses_held.__doc__))

register(Indicator(
    code="TRN.TRAINEES", name_vi="lượt học viên tập huấn", name_en="training trainees", kinds=EVERY_KIND,
    compute=trainees, series=_courses_series(sa.func.sum(Course.trainees)), drilldown=_courses_drilldown,
    breakdowns={"minority": _trainees_minority, "audience": _courses_by_audience(sa.func.sum(Course.trainees))},
    definition=trainees.__doc__))
