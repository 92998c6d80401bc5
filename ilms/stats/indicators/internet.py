"""Free internet indicators (NET.*), LIB.INTERNET_CONNECTED, and internet sessions as reader visits.

Definitions: shared/spec/indicators.md, "Free internet (BMGF-VN points)" and
"Libraries". Choices where the text leaves room are written on each function.
"""
from __future__ import annotations

import calendar
import datetime as dt

import sqlalchemy as sa

from ...common.time import Period, local_date_of
from ...extensions import db
from ...common.enums import enum_column_type
from ...internet.models import (ConnectivityRecord, InternetSession, LinkState, SessionState, Station, Training,
                                TrainingAttendee, TrainingCount, UserKind)
from ...internet.services import latest_connectivity_query
from ...org.models import Institution
from ..engine import per_month
from ..registry import ActivityList, Indicator, register, register_activity_list, register_visit_source

#: "every institution that can host public computers or trainings": all kinds but the museum.
NET_KINDS = frozenset({"provincial_library", "district_library", "commune_library", "postal_cultural_point",
                       "cultural_center",
                       "cultural_house", "internet_point"})
LIBRARY_KINDS = frozenset({"provincial_library", "district_library"})

S = InternetSession


def _ym(year, month):
    return f"{int(year):04d}-{int(month):02d}"


def _months(period):
    """``(key, last day)`` of every month touching the period, the last month ending at the period's end."""
    out, year, month = [], period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        out.append((_ym(year, month), min(last, period.end)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# -- sessions ----------------------------------------------------------------

def _counted_sessions(period, ids):
    """Ended, non-voided sessions that started in the period at the institutions (NET.SESSIONS' set)."""
    start, end = period.utc_bounds()
    return (S.state == SessionState.ENDED, S.started_at >= start, S.started_at < end,
            S.institution_id.in_(list(ids)))


def _per_institution(value, period, ids):
    rows = db.session.execute(sa.select(S.institution_id, value).where(*_counted_sessions(period, ids))
                              .group_by(S.institution_id)).all()
    return {inst: float(v or 0) for inst, v in rows}


def _per_month(value, period, ids):
    return per_month(period, lambda month: _per_institution(value, month, ids))


_SESSIONS = sa.func.count(S.id)
_HOURS = sa.func.sum(S.duration_seconds) / 3600.0
#: Distinct readers (by their pseudonym, so anonymising changes nothing) plus one per guest session.
_USERS = (sa.func.count(sa.distinct(sa.case((S.is_guest.is_(False), S.reader_key))))
          + sa.func.sum(sa.case((S.is_guest.is_(True), 1), else_=0)))


def _users_group(period, ids):
    """NET.USERS of a group: a reader who used computers at two institutions counts once."""
    if not ids:
        return 0
    return float(db.session.scalar(sa.select(_USERS).where(*_counted_sessions(period, ids))) or 0)


def sessions_drilldown(period, ids):
    """The sessions behind NET.SESSIONS, NET.HOURS and NET.USERS: readers only by their pseudonym.

    Guests show the sex and ethnic group staff noted, when they did.
    """
    user = sa.type_coerce(sa.case((S.is_guest.is_(True), UserKind.GUEST.value), else_=UserKind.READER.value),
                          enum_column_type(UserKind))
    return (sa.select(S.id.label("id"), S.institution_id.label("institution_id"), Station.code.label("station"),
                      S.started_at.label("start"), S.ended_at.label("end"),
                      (S.duration_seconds / 3600.0).label("hours"), user.label("category"),
                      S.reader_key.label("reader_key"), S.guest_sex.label("sex"),
                      S.guest_ethnicity.label("ethnicity"))
            .join(Station, Station.id == S.station_id)
            .where(*_counted_sessions(period, ids)).order_by(S.started_at, S.id))


register(Indicator(
    code="NET.SESSIONS", name_vi="Lượt truy cập Internet miễn phí", name_en="Free internet sessions",
    kinds=NET_KINDS, compute=lambda p, ids: _per_institution(_SESSIONS, p, ids),
    series=lambda p, ids: _per_month(_SESSIONS, p, ids), drilldown=sessions_drilldown,
    definition="Ended, non-voided sessions that started in the period (local date of the start), at the "
               "station's institution. A session still running is counted once it ends."))

register(Indicator(
    code="NET.HOURS", name_vi="Số giờ sử dụng máy tính", name_en="Hours of public computer use",
    kinds=NET_KINDS, unit="hours", decimals=1,
    compute=lambda p, ids: _per_institution(_HOURS, p, ids),
    series=lambda p, ids: _per_month(_HOURS, p, ids), drilldown=sessions_drilldown,
    definition="Total duration of the NET.SESSIONS sessions in hours, one decimal; a session belongs wholly "
               "to the period (and month) it started in."))

register(Indicator(
    code="NET.USERS", name_vi="Số người sử dụng Internet", name_en="Internet users",
    kinds=NET_KINDS, distinct=True, group=_users_group,
    compute=lambda p, ids: _per_institution(_USERS, p, ids),
    series=lambda p, ids: _per_month(_USERS, p, ids), drilldown=sessions_drilldown,
    definition="Distinct readers among the NET.SESSIONS sessions (counted by reader pseudonym, so anonymised "
               "sessions still count their reader once), plus one per guest session. Group figures remove "
               "readers counted at several institutions of the group."))


# -- trainings ---------------------------------------------------------------

def _trainings_in(period, ids):
    return (Training.date >= period.start, Training.date <= period.end, Training.institution_id.in_(list(ids)))


def _attendance_rows(period, ids):
    """One UNION ALL of attendance: the rows of counts and one row per named attendee."""
    counted = (sa.select(Training.institution_id.label("institution_id"), Training.date.label("date"),
                         TrainingCount.ethnicity.label("ethnicity"), TrainingCount.sex.label("sex"),
                         TrainingCount.count.label("n"))
               .join(Training, Training.id == TrainingCount.training_id).where(*_trainings_in(period, ids)))
    named = (sa.select(Training.institution_id.label("institution_id"), Training.date.label("date"),
                       TrainingAttendee.ethnicity.label("ethnicity"), TrainingAttendee.sex.label("sex"),
                       sa.literal(1).label("n"))
             .join(Training, Training.id == TrainingAttendee.training_id).where(*_trainings_in(period, ids)))
    return sa.union_all(counted, named).subquery("attendance")


def _held(period, ids):
    """Trainings of the period with attendance recorded: a class planned but not (yet) attended was not held."""
    has_counts = sa.exists().where(TrainingCount.training_id == Training.id, TrainingCount.count > 0)
    has_named = sa.exists().where(TrainingAttendee.training_id == Training.id)
    return (*_trainings_in(period, ids), sa.or_(has_counts, has_named))


def _trainings(period, ids):
    rows = db.session.execute(sa.select(Training.institution_id, sa.func.count(Training.id))
                              .where(*_held(period, ids)).group_by(Training.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _trainings_series(period, ids):
    year, month = sa.extract("year", Training.date), sa.extract("month", Training.date)
    rows = db.session.execute(sa.select(Training.institution_id, year, month, sa.func.count(Training.id))
                              .where(*_held(period, ids)).group_by(Training.institution_id, year, month)).all()
    return {(inst, _ym(y, m)): float(n) for inst, y, m, n in rows}


def trainings_drilldown(period, ids):
    """The classes behind NET.TRAININGS and NET.TRAINEES with their attendance (no attendee names)."""
    counts = (sa.select(TrainingCount.training_id.label("training_id"), TrainingCount.count.label("n"))
              .union_all(sa.select(TrainingAttendee.training_id, sa.literal(1))).subquery("per_training"))
    total = (sa.select(sa.func.coalesce(sa.func.sum(counts.c.n), 0)).where(counts.c.training_id == Training.id)
             .scalar_subquery())
    return (sa.select(Training.id.label("id"), Training.date.label("date"),
                      Training.institution_id.label("institution_id"), Training.topic.label("topic"),
                      Training.place.label("venue"), (Training.duration_minutes / 60.0).label("hours"),
                      total.label("attendees"))
            .where(*_held(period, ids)).order_by(Training.date, Training.id))


def _trainees(period, ids):
    rows = _attendance_rows(period, ids)
    result = db.session.execute(sa.select(rows.c.institution_id, sa.func.sum(rows.c.n))
                                .group_by(rows.c.institution_id)).all()
    return {inst: float(n or 0) for inst, n in result}


def _trainees_series(period, ids):
    rows = _attendance_rows(period, ids)
    year, month = sa.extract("year", rows.c.date), sa.extract("month", rows.c.date)
    result = db.session.execute(sa.select(rows.c.institution_id, year, month, sa.func.sum(rows.c.n))
                                .group_by(rows.c.institution_id, year, month)).all()
    return {(inst, _ym(y, m)): float(n or 0) for inst, y, m, n in result}


def _trainees_by(column_name):
    def breakdown(period, ids):
        rows = _attendance_rows(period, ids)
        column = rows.c[column_name]
        result = db.session.execute(sa.select(column, sa.func.sum(rows.c.n)).group_by(column)).all()
        return {(key or "unknown"): float(n or 0) for key, n in result}
    return breakdown


def _trainees_minority(period, ids):
    """Ethnic-minority attendance apart: ``minority``, ``kinh`` and ``unknown`` (group not recorded)."""
    rows = _attendance_rows(period, ids)
    bucket = sa.case((rows.c.ethnicity.is_(None), "unknown"), (rows.c.ethnicity == "01", "kinh"),
                     else_="minority")
    result = db.session.execute(sa.select(bucket, sa.func.sum(rows.c.n)).group_by(bucket)).all()
    return {key: float(n or 0) for key, n in result}


register_activity_list(ActivityList(
    key="internet_trainings", title_vi="Các lớp hướng dẫn sử dụng máy tính và Internet",
    title_en="Computer and internet trainings held", kinds=NET_KINDS, rows=trainings_drilldown, order=60))

register(Indicator(
    code="NET.TRAININGS", name_vi="Lớp hướng dẫn sử dụng máy tính, Internet",
    name_en="Computer and internet trainings", kinds=NET_KINDS,
    compute=_trainings, series=_trainings_series, drilldown=trainings_drilldown,
    definition="Training classes dated in the period with at least one attendee recorded (a class entered "
               "ahead, with no attendance yet, was not held)."))

register(Indicator(
    code="NET.TRAINEES", name_vi="Lượt người được hướng dẫn", name_en="Training attendance",
    kinds=NET_KINDS, compute=_trainees, series=_trainees_series, drilldown=trainings_drilldown,
    breakdowns={"ethnicity": _trainees_by("ethnicity"), "sex": _trainees_by("sex"),
                "minority": _trainees_minority},
    definition="Attendance of the period's trainings: the rows counted by ethnic group and sex plus the named "
               "attendees (each with the group and sex their card had when added). Breakdown keys: the GSO "
               "code of the group, F/M for sex, 'unknown' where not recorded."))


# -- stations ----------------------------------------------------------------

def _in_service_on(day):
    return (Station.training_only.is_(False), Station.in_service_from <= day,
            sa.or_(Station.in_service_to.is_(None), Station.in_service_to >= day))


def _stations(period, ids):
    rows = db.session.execute(sa.select(Station.institution_id, sa.func.count(Station.id))
                              .where(Station.institution_id.in_(list(ids)), *_in_service_on(period.end))
                              .group_by(Station.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def _stations_series(period, ids):
    """Public computers in service at each month's end (the period's end for its last month); one query."""
    stations = db.session.execute(sa.select(Station.institution_id, Station.in_service_from, Station.in_service_to)
                                  .where(Station.institution_id.in_(list(ids)), Station.training_only.is_(False),
                                         Station.in_service_from <= period.end)).all()
    out = {}
    for key, last in _months(period):
        for inst, start, stop in stations:
            if start <= last and (stop is None or stop >= last):
                out[(inst, key)] = out.get((inst, key), 0.0) + 1
    return out


def stations_drilldown(period, ids):
    return (sa.select(Station.code.label("station"), Station.label.label("name"),
                      Station.institution_id.label("institution_id"), Station.in_service_from.label("start"),
                      Station.in_service_to.label("end"))
            .where(Station.institution_id.in_(list(ids)), *_in_service_on(period.end))
            .order_by(Station.institution_id, Station.code))


register(Indicator(
    code="NET.STATIONS", name_vi="Máy tính phục vụ bạn đọc", name_en="Public computers in service",
    kinds=NET_KINDS, compute=_stations, series=_stations_series, drilldown=stations_drilldown,
    definition="Computers whose service dates cover the period's last day; machines kept for trainings are "
               "not public computers. 'Out of order' is today's state, not history, so a broken computer "
               "still in service counts (retire it by giving the date it left service)."))


# -- connectivity ----------------------------------------------------------------

def _latest_on(day, ids):
    return latest_connectivity_query(day, ids)


def _connected(period, ids):
    """100 for a library whose latest record on or before the period's end says connected, else 0."""
    return {r.institution_id: 100.0 if r.connected else 0.0
            for r in db.session.scalars(_latest_on(period.end, ids))}


def _connected_share(period, ids):
    """The share (0–100) of the group's libraries connected; a library without any record is not connected."""
    if not ids:
        return 0.0
    values = _connected(period, ids)
    return 100.0 * sum(1 for v in values.values() if v) / len(ids)


def _connected_series(period, ids):
    records = db.session.execute(sa.select(ConnectivityRecord.institution_id, ConnectivityRecord.date,
                                           ConnectivityRecord.connected)
                                 .where(ConnectivityRecord.institution_id.in_(list(ids)),
                                        ConnectivityRecord.date <= period.end)
                                 .order_by(ConnectivityRecord.date)).all()
    out = {}
    for key, last in _months(period):
        state = {}
        for inst, day, connected in records:
            if day <= last:
                state[inst] = connected
        for inst, connected in state.items():
            if connected:
                out[(inst, key)] = 100.0
    return out


def connectivity_drilldown(period, ids):
    """Every library of the figure with its latest record on or before the period's end (none: not connected)."""
    latest = _latest_on(period.end, ids).subquery("latest_record")
    state = sa.type_coerce(sa.case((latest.c.connected.is_(True), LinkState.CONNECTED.value),
                                   else_=LinkState.NOT_CONNECTED.value), enum_column_type(LinkState))
    return (sa.select(Institution.id.label("institution_id"), Institution.name.label("name"),
                      state.label("status"), latest.c.date.label("date"), latest.c.link_type.label("kind"),
                      latest.c.note.label("note"))
            .outerjoin(latest, latest.c.institution_id == Institution.id)
            .where(Institution.id.in_(list(ids))).order_by(Institution.code))


register(Indicator(
    code="LIB.INTERNET_CONNECTED", name_vi="Thư viện có kết nối Internet (%)",
    name_en="Internet-connected libraries (%)", kinds=LIBRARY_KINDS, unit="percent",
    compute=_connected, group=_connected_share, series=_connected_series, drilldown=connectivity_drilldown,
    definition="Per library 100 (connected) or 0, from its latest connectivity record on or before the "
               "period's end; no record means not connected. A group's value is the share of its libraries "
               "connected, so the district_library group gives the plan's 'district-level libraries' figure."))


# -- visits ----------------------------------------------------------------------

def internet_visits(period: Period, ids):
    """Sessions by a reader, at the station's institution on the local date the session started.

    Sessions still running count (the reader came); voided sessions and guests do not.
    """
    start, end = period.utc_bounds()
    return (sa.select(S.reader_key.label("reader_key"), S.institution_id.label("institution_id"),
                      local_date_of(S.started_at).label("day"))
            .where(S.is_guest.is_(False), S.state != SessionState.VOIDED, S.reader_key != "",
                   S.started_at >= start, S.started_at < end, S.institution_id.in_(list(ids))))


register_visit_source("internet_sessions", internet_visits)
