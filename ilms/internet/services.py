"""Rules of the free internet points: stations, sessions and their limits, trainings, connectivity, utilisation."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common import ethnicity
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.privacy import reader_key
from ..common.text import clean
from ..common.time import Period, end_of_local_day, local_date, local_date_of, local_midnight, to_local, utcnow
from ..extensions import db
from ..org.models import Institution
from ..org.services import scope_ids
from ..patrons.models import Patron, Sex
from ..patrons.services import patron_by_barcode
from ..signals import data_changed
from .models import (SESSION_TRANSITIONS, AgeBand, ConnectivityRecord, InternetSession, InternetSettings,
                     LinkType, OpeningHours, SessionState, Station, Training, TrainingAttendee, TrainingCount)

CAPABILITY = "internet.edit"
DEFAULT_SESSION_LIMIT = 60
#: Opening hours when an institution has kept none: the office day of the
#: province's public services, Monday to Friday, plus Saturday morning.
DEFAULT_SCHEDULE = {
    **{day: [(dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0))] for day in range(5)},
    5: [(dt.time(7, 30), dt.time(11, 30))],
    6: [],
}
#: How far ahead of the server clock an end time may be (a desk PC's clock runs a little fast).
CLOCK_SLACK = dt.timedelta(minutes=5)
_STATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-./]{0,39}$")
SEXES = {s.value for s in Sex}


def _changed(*institution_ids):
    data_changed.send("internet", institution_ids=frozenset(i for i in institution_ids if i is not None))


def _fmt_time(value):
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def _fmt_date(value):
    return value.strftime("%d/%m/%Y")


# -- stations ----------------------------------------------------------------

def get_station(station_id):
    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(_l("This computer does not exist."))
    return station


def station_by_code(code, *, required=True):
    value = (code or "").strip().upper()
    station = db.session.scalar(sa.select(Station).where(Station.code == value)) if value else None
    if station is None and required:
        raise NotFound(_l("No computer has the code %(code)s.", code=value or "—"), code="unknown_station")
    return station


def stations_of(institution_id, *, on=None, public_only=False):
    """The institution's computers by code; with ``on``, only those in service that day."""
    query = sa.select(Station).where(Station.institution_id == institution_id).order_by(Station.code)
    if on is not None:
        query = query.where(Station.in_service_from <= on,
                            sa.or_(Station.in_service_to.is_(None), Station.in_service_to >= on))
    if public_only:
        query = query.where(Station.training_only.is_(False))
    return db.session.scalars(query).all()


def _check_station(station):
    if not station.code or not _STATION_CODE.match(station.code):
        raise DomainError(_l("The code must be 1–40 capital letters, digits, hyphens, dots or slashes "
                             "(e.g. TVH-TD-PC01)."), field="code")
    if station.in_service_from is None:
        raise DomainError(_l("Give the date the computer was put into service."), field="in_service_from")
    if station.in_service_to is not None and station.in_service_to < station.in_service_from:
        raise DomainError(_l("The computer cannot leave service (%(to)s) before it entered it (%(from)s).",
                             to=_fmt_date(station.in_service_to), **{"from": _fmt_date(station.in_service_from)}),
                          field="in_service_to")
    clash = db.session.scalar(sa.select(Institution.code).join(Station, Station.institution_id == Institution.id)
                              .where(Station.code == station.code, Station.id != (station.id or -1)))
    if clash:
        raise Conflict(_l("The code %(code)s is already used by a computer of %(inst)s.",
                          code=station.code, inst=clash), field="code")
    if station.id is not None:
        _check_sessions_within_service(station)


def _check_sessions_within_service(station):
    """Service dates may not leave out sessions already recorded on the computer."""
    counted = (InternetSession.station_id == station.id, InternetSession.state != SessionState.VOIDED)
    if station.in_service_to is not None:
        later = db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession).where(
            *counted, InternetSession.started_at >= local_midnight(station.in_service_to + dt.timedelta(days=1))))
        if later:
            raise Conflict(_l("%(n)d session(s) on this computer started after %(to)s; the computer was still "
                              "in service then.", n=later, to=_fmt_date(station.in_service_to)),
                           field="in_service_to")
    earlier = db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession).where(
        *counted, InternetSession.started_at < local_midnight(station.in_service_from)))
    if earlier:
        raise Conflict(_l("%(n)d session(s) on this computer started before %(from)s; the computer was already "
                          "in service then.", n=earlier, **{"from": _fmt_date(station.in_service_from)}),
                       field="in_service_from")


STATION_FIELDS = ("code", "label", "in_service_from", "in_service_to", "training_only", "notes", "out_of_order")


def create_station(*, actor, institution, code, in_service_from, label="", in_service_to=None,
                   training_only=False, notes="", out_of_order=False):
    require(actor, CAPABILITY, institution)
    station = Station(institution=institution, institution_id=institution.id, code=(code or "").strip().upper(),
                      label=clean(label) or "", in_service_from=in_service_from, in_service_to=in_service_to,
                      training_only=bool(training_only), notes=notes or "", out_of_order=bool(out_of_order))
    with db.session.no_autoflush:
        _check_station(station)
    db.session.add(station)
    db.session.flush()
    _changed(institution.id)
    return station


def update_station(station, *, actor, institution=None, **fields):
    """Change a computer; ``institution`` moves it (both institutions must be the actor's)."""
    require(actor, CAPABILITY, station.institution)
    unknown = set(fields) - set(STATION_FIELDS)
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    old_institution = station.institution_id
    if institution is not None and institution.id != station.institution_id:
        require(actor, CAPABILITY, institution)
        if open_session_of_station(station) is not None:
            raise Conflict(_l("%(station)s is in use; stop the session before moving it.", station=station.name))
        station.institution = institution
        station.institution_id = institution.id
    for key, value in fields.items():
        if key == "code":
            value = (value or "").strip().upper()
        elif key == "label":
            value = clean(value) or ""
        setattr(station, key, value)
    with db.session.no_autoflush:
        _check_station(station)
    db.session.flush()
    _changed(old_institution, station.institution_id)
    return station


def upsert_station(*, actor, code, institution, in_service_from, in_service_to=None):
    """Create the computer with ``code`` or bring its institution and service dates in line (imports)."""
    station = station_by_code(code, required=False)
    if station is None:
        return create_station(actor=actor, institution=institution, code=code, in_service_from=in_service_from,
                              in_service_to=in_service_to)
    return update_station(station, actor=actor, institution=institution, in_service_from=in_service_from,
                          in_service_to=in_service_to)


# -- settings and opening hours ----------------------------------------------

def settings_for(institution_id) -> InternetSettings:
    """The institution's rules, or the defaults (not stored) when it has kept none."""
    found = db.session.get(InternetSettings, institution_id)
    if found is None:
        found = InternetSettings(institution_id=institution_id, session_limit_minutes=DEFAULT_SESSION_LIMIT,
                                 daily_limit_minutes=None)
    return found


def update_settings(institution, *, actor, session_limit_minutes, daily_limit_minutes):
    require(actor, CAPABILITY, institution)
    for value, field in ((session_limit_minutes, "session_limit_minutes"),
                         (daily_limit_minutes, "daily_limit_minutes")):
        if value is not None and not (5 <= value <= 24 * 60):
            raise DomainError(_l("A limit is between 5 and 1440 minutes; leave it empty for no limit."),
                              field=field)
    if session_limit_minutes and daily_limit_minutes and daily_limit_minutes < session_limit_minutes:
        raise DomainError(_l("The daily limit cannot be shorter than one session."), field="daily_limit_minutes")
    settings = db.session.get(InternetSettings, institution.id)
    if settings is None:
        settings = InternetSettings(institution_id=institution.id)
        db.session.add(settings)
    settings.session_limit_minutes = session_limit_minutes
    settings.daily_limit_minutes = daily_limit_minutes
    db.session.flush()
    return settings


_INTERVAL = re.compile(r"^(\d{1,2})[:hH.](\d{2})\s*[-–]\s*(\d{1,2})[:hH.](\d{2})$")


def parse_intervals(text):
    """``"07:30-11:30, 13:30-17:00"`` -> ``[(07:30, 11:30), (13:30, 17:00)]``; empty text: closed."""
    intervals = []
    for part in [p.strip() for p in re.split(r"[,;]", text or "") if p.strip()]:
        match = _INTERVAL.match(part)
        try:
            if not match:
                raise ValueError
            opens = dt.time(int(match.group(1)), int(match.group(2)))
            closes = dt.time(int(match.group(3)), int(match.group(4))) if match.group(3) != "24" else dt.time.max
        except ValueError:
            raise DomainError(_l("“%(part)s” is not a time range; write e.g. 07:30-11:30, 13:30-17:00.", part=part))
        if closes <= opens:
            raise DomainError(_l("In “%(part)s” the closing time is not after the opening time.", part=part))
        intervals.append((opens, closes))
    intervals.sort()
    for (_o1, c1), (o2, _c2) in zip(intervals, intervals[1:]):
        if o2 < c1:
            raise DomainError(_l("The time ranges %(text)s overlap.", text=text))
    return intervals


def format_intervals(intervals):
    return ", ".join(f"{o.strftime('%H:%M')}-{c.strftime('%H:%M')}" for o, c in intervals)


def schedules_for(institution_ids):
    """``{institution_id: {weekday: [(opens, closes)]}}``; the default for those that kept none."""
    rows = db.session.scalars(sa.select(OpeningHours).where(OpeningHours.institution_id.in_(list(institution_ids)))
                              .order_by(OpeningHours.weekday, OpeningHours.opens)).all()
    kept = {}
    for row in rows:
        kept.setdefault(row.institution_id, {day: [] for day in range(7)})[row.weekday].append((row.opens, row.closes))
    return {inst_id: kept.get(inst_id, DEFAULT_SCHEDULE) for inst_id in institution_ids}


def has_own_schedule(institution_id) -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(OpeningHours)
                                  .where(OpeningHours.institution_id == institution_id)))


def set_schedule(institution, schedule, *, actor):
    """Replace the weekly schedule: ``{weekday: [(opens, closes)]}``, ``None`` to go back to the default."""
    require(actor, CAPABILITY, institution)
    db.session.execute(sa.delete(OpeningHours).where(OpeningHours.institution_id == institution.id))
    if schedule is not None:
        for weekday in range(7):
            for opens, closes in schedule.get(weekday, []):
                db.session.add(OpeningHours(institution_id=institution.id, weekday=weekday, opens=opens,
                                            closes=closes))
    db.session.flush()


def hours_open(schedule, weekday) -> float:
    total = 0.0
    for opens, closes in schedule.get(weekday, []):
        end = 24 * 60 if closes == dt.time.max else closes.hour * 60 + closes.minute
        total += (end - (opens.hour * 60 + opens.minute)) / 60
    return total


# -- sessions ----------------------------------------------------------------

def get_session(session_id):
    found = db.session.get(InternetSession, session_id)
    if found is None:
        raise NotFound(_l("This session does not exist."))
    return found


def open_session_of_station(station):
    return db.session.scalar(sa.select(InternetSession).where(
        InternetSession.station_id == station.id, InternetSession.state == SessionState.OPEN))


def open_session_of_patron(patron):
    return db.session.scalar(sa.select(InternetSession).where(
        InternetSession.patron_id == patron.id, InternetSession.state == SessionState.OPEN))


def open_sessions(institution_id):
    return db.session.scalars(sa.select(InternetSession).where(
        InternetSession.institution_id == institution_id, InternetSession.state == SessionState.OPEN)
        .order_by(InternetSession.started_at)).all()


def sessions_started_before(day):
    """Open sessions that started before local ``day`` (left running overnight)."""
    return db.session.scalars(sa.select(InternetSession).where(
        InternetSession.state == SessionState.OPEN, InternetSession.started_at < local_midnight(day))
        .order_by(InternetSession.started_at)).all()


def _overlapping(*, start, end, station=None, patron=None, exclude=None):
    """A non-voided session of ``station`` (or ``patron``) that shares time with ``[start, end)``."""
    query = sa.select(InternetSession).where(
        InternetSession.state != SessionState.VOIDED,
        sa.or_(InternetSession.ended_at.is_(None), InternetSession.ended_at > start))
    if end is not None:
        query = query.where(InternetSession.started_at < end)
    if station is not None:
        query = query.where(InternetSession.station_id == station.id)
    if patron is not None:
        # by pseudonym, so sessions whose reader was anonymised still keep the reader's time taken
        query = query.where(InternetSession.reader_key == reader_key(patron.id))
    if exclude is not None:
        query = query.where(InternetSession.id != exclude.id)
    return db.session.scalar(query.order_by(InternetSession.started_at).limit(1))


def _describe(session):
    if session.ended_at is None:
        return _l("%(station)s (%(inst)s), in use since %(start)s", station=session.station.name,
                  inst=session.station.institution.code, start=_fmt_time(session.started_at))
    return _l("%(station)s (%(inst)s) from %(start)s to %(end)s", station=session.station.name,
              inst=session.station.institution.code, start=_fmt_time(session.started_at),
              end=to_local(session.ended_at).strftime("%H:%M"))


def _refuse_overlaps(*, station, patron, start, end, exclude=None):
    """Refuse a session of ``station`` (and ``patron``) over ``[start, end)``; ``station=None``: the reader only."""
    clash = _overlapping(start=start, end=end, station=station, exclude=exclude) if station is not None else None
    if clash is not None:
        if clash.state == SessionState.OPEN and end is None:
            raise Conflict(_l("%(station)s is already in use since %(start)s. Stop that session first.",
                              station=station.name, start=to_local(clash.started_at).strftime("%H:%M")),
                           code="station_busy")
        raise Conflict(_l("This overlaps another session on %(other)s.", other=_describe(clash)),
                       code="station_busy")
    if patron is not None:
        clash = _overlapping(start=start, end=end, patron=patron, exclude=exclude)
        if clash is not None:
            if clash.state == SessionState.OPEN and end is None:
                raise Conflict(_l("%(name)s is already using %(other)s. Stop that session first (scan the card "
                                  "again).", name=patron.name, other=_describe(clash)), code="reader_busy")
            raise Conflict(_l("%(name)s has another session at that time: %(other)s.", name=patron.name,
                              other=_describe(clash)), code="reader_busy")


def _check_usable(station, day, *, live):
    if not station.in_service_on(day):
        raise DomainError(_l("%(station)s is not in service on %(day)s.", station=station.name, day=_fmt_date(day)),
                          code="station_not_in_service")
    if station.training_only:
        raise DomainError(_l("%(station)s is kept for trainings; public sessions use the public computers.",
                             station=station.name), code="training_station")
    if live and station.out_of_order:
        raise DomainError(_l("%(station)s is marked out of order. Mark it repaired on the computers page first.",
                             station=station.name), code="station_out_of_order")


def _check_card(patron, day):
    if not patron.card_valid_on(day):
        raise DomainError(_l("The card %(barcode)s of %(name)s is not valid on %(day)s. Renew the card, or start "
                             "a guest session.", barcode=patron.barcode, name=patron.name, day=_fmt_date(day)),
                          code="card_not_valid")


def minutes_used_on(patron, institution_id, day):
    """Minutes the reader has used at the institution's computers on the local day (voided ones excluded)."""
    start = local_midnight(day)
    rows = db.session.scalars(sa.select(InternetSession).where(
        InternetSession.patron_id == patron.id, InternetSession.institution_id == institution_id,
        InternetSession.state != SessionState.VOIDED, InternetSession.started_at >= start,
        InternetSession.started_at < local_midnight(day + dt.timedelta(days=1)))).all()
    return sum(row.elapsed_seconds() for row in rows) // 60


def _insert_session(session):
    """Add the session; the partial unique indexes turn a race between two desks into a clear refusal."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(session)
        db.session.flush()
    except sa.exc.IntegrityError as error:
        savepoint.rollback()
        text = str(error.orig)
        if "patron_id" in text or "open_reader" in text:
            raise Conflict(_l("This reader has just started a session on another computer."), code="reader_busy")
        raise Conflict(_l("This computer has just been taken by another session; reload the screen."),
                       code="station_busy")
    savepoint.commit()
    return session


def _guest_fields(guest):
    guest = dict(guest or {})
    age = guest.get("age_band") or None
    sex = guest.get("sex") or None
    group = guest.get("ethnicity") or None
    if age is not None and age not in {a.value for a in AgeBand}:
        raise DomainError(_l("Unknown age band “%(value)s”.", value=age), field="age_band")
    if sex is not None and sex not in SEXES:
        raise DomainError(_l("Sex is F or M, or left empty."), field="sex")
    if group is not None and ethnicity.by_code(group) is None:
        raise DomainError(_l("Unknown ethnic group “%(value)s”.", value=group), field="ethnicity")
    return {"guest_age_band": AgeBand(age) if age else None, "guest_sex": sex, "guest_ethnicity": group}


def start_session(station, *, actor, patron=None, card=None, guest=None, at=None):
    """Open a session on ``station`` for a reader (``patron`` or ``card``) or, with neither, a guest.

    ``guest`` may carry ``age_band``, ``sex`` and ``ethnicity`` (a GSO code).
    The session's own limit is the institution's session limit, shortened to
    what is left of the reader's daily allowance.
    """
    require(actor, CAPABILITY, station.institution)
    at = at or utcnow()
    day = local_date(at)
    if patron is None and card:
        patron = patron_by_barcode(card)
    _check_usable(station, day, live=True)
    settings = settings_for(station.institution_id)
    limit = settings.session_limit_minutes
    if patron is not None:
        _check_card(patron, day)
    _refuse_overlaps(station=station, patron=patron, start=at, end=None)
    if patron is not None and settings.daily_limit_minutes:
        left = settings.daily_limit_minutes - minutes_used_on(patron, station.institution_id, day)
        if left <= 0:
            raise Conflict(_l("%(name)s has used the %(n)d minutes allowed per day at this institution. "
                              "Come back tomorrow.", name=patron.name, n=settings.daily_limit_minutes),
                           code="daily_limit")
        limit = min(limit, left) if limit else left
    session = InternetSession(
        station=station, station_id=station.id, institution_id=station.institution_id,
        patron=patron, patron_id=patron.id if patron else None, reader_key=reader_key(patron.id) if patron else "",
        is_guest=patron is None, state=SessionState.OPEN, started_at=at, limit_minutes=limit,
        started_by_id=getattr(actor, "id", None),
        **(_guest_fields(guest) if patron is None else {}))
    _insert_session(session)
    _changed(station.institution_id)
    return session


def stop_session(session, *, actor, at=None):
    """End an open session now (or at ``at``, for a session left running by mistake)."""
    require(actor, CAPABILITY, session.institution)
    SESSION_TRANSITIONS.check(session.state, SessionState.ENDED)
    now = utcnow()
    at = at or now
    if at < session.started_at:
        raise DomainError(_l("A session cannot end before it starts (it started %(start)s).",
                             start=_fmt_time(session.started_at)), field="ended_at", code="ends_before_start")
    if at > now + CLOCK_SLACK:
        raise DomainError(_l("The end time is in the future."), field="ended_at")
    session.state = SessionState.ENDED
    session.ended_at = at
    session.duration_seconds = int((at - session.started_at).total_seconds())
    session.ended_by_id = getattr(actor, "id", None)
    db.session.flush()
    _changed(session.institution_id)
    return session


def void_session(session, *, actor, reason, at=None):
    """Cancel a session entered by mistake: it counts nowhere afterwards, and frees its computer."""
    require(actor, CAPABILITY, session.institution)
    reason = clean(reason or "")
    if not reason:
        raise DomainError(_l("Say why the session is voided (e.g. started on the wrong computer)."), field="reason")
    SESSION_TRANSITIONS.check(session.state, SessionState.VOIDED)
    session.state = SessionState.VOIDED
    session.voided_at = at or utcnow()
    session.void_reason = reason[:300]
    session.voided_by_id = getattr(actor, "id", None)
    db.session.flush()
    _changed(session.institution_id)
    return session


@dataclass
class ScanResult:
    action: str               # "started" | "stopped"
    session: InternetSession


def scan_card(card, *, actor, institution, station=None, at=None):
    """The scan box: a reader in a session is stopped; otherwise started on ``station`` or the first free one."""
    patron = patron_by_barcode(card)
    running = open_session_of_patron(patron)
    if running is not None:
        if not actor.can(CAPABILITY, running.institution):
            _refuse_overlaps(station=None, patron=patron, start=at or utcnow(), end=None)
        return ScanResult("stopped", stop_session(running, actor=actor, at=at))
    if station is None:
        station = first_free_station(institution, at=at)
    return ScanResult("started", start_session(station, actor=actor, patron=patron, at=at))


def first_free_station(institution, *, at=None):
    day = local_date(at or utcnow())
    busy = set(db.session.scalars(sa.select(InternetSession.station_id).where(
        InternetSession.institution_id == institution.id, InternetSession.state == SessionState.OPEN)))
    for station in stations_of(institution.id, on=day, public_only=True):
        if not station.out_of_order and station.id not in busy:
            return station
    raise Conflict(_l("Every computer of %(inst)s is in use. Wait for one to be free, or stop a session "
                      "that went over its time.", inst=institution.name), code="all_busy")


def record_session(*, actor, station, start, end, patron=None, guest=None):
    """A finished session from a paper log or another server, judged at its own time (imports).

    ``guest`` may describe a guest as in ``start_session``; the daily limit is not applied (the
    session has happened).
    """
    require(actor, CAPABILITY, station.institution)
    if end <= start:
        raise DomainError(_l("A session cannot end before it starts (start %(start)s, end %(end)s).",
                             start=_fmt_time(start), end=_fmt_time(end)), code="ends_before_start")
    if end > utcnow() + CLOCK_SLACK:
        raise DomainError(_l("The session ends in the future (%(end)s).", end=_fmt_time(end)))
    day = local_date(start)
    _check_usable(station, day, live=False)
    if patron is not None:
        _check_card(patron, day)
    _refuse_overlaps(station=station, patron=patron, start=start, end=end)
    settings = settings_for(station.institution_id)
    session = InternetSession(
        station=station, station_id=station.id, institution_id=station.institution_id,
        patron=patron, patron_id=patron.id if patron else None, reader_key=reader_key(patron.id) if patron else "",
        is_guest=patron is None, state=SessionState.ENDED, started_at=start, ended_at=end,
        duration_seconds=int((end - start).total_seconds()), limit_minutes=settings.session_limit_minutes,
        started_by_id=getattr(actor, "id", None), ended_by_id=getattr(actor, "id", None),
        **(_guest_fields(guest) if patron is None else {}))
    _insert_session(session)
    _changed(station.institution_id)
    return session


@dataclass
class Tile:
    station: Station
    session: InternetSession | None
    state: str                 # free | busy | over | out_of_order
    elapsed: int = 0           # seconds


def screen(institution, *, now=None):
    """The tiles of the sessions screen: every public computer in service today, with its open session."""
    now = now or utcnow()
    stations = stations_of(institution.id, on=local_date(now), public_only=True)
    running = {s.station_id: s for s in open_sessions(institution.id)}
    # A computer retired or turned into a training machine while in use still shows, so it can be stopped.
    extra = [s.station for s in running.values() if s.station not in stations]
    tiles = []
    for station in sorted(stations + extra, key=lambda s: s.code):
        session = running.get(station.id)
        if session is not None:
            elapsed = session.elapsed_seconds(now)
            tiles.append(Tile(station, session, "over" if session.over_limit(now) else "busy", elapsed))
        else:
            tiles.append(Tile(station, None, "out_of_order" if station.out_of_order else "free"))
    return tiles


def session_log(institution_ids, *, day_from=None, day_to=None, include_voided=True):
    query = (sa.select(InternetSession).where(InternetSession.institution_id.in_(list(institution_ids)))
             .order_by(InternetSession.started_at.desc(), InternetSession.id.desc()))
    if day_from is not None:
        query = query.where(InternetSession.started_at >= local_midnight(day_from))
    if day_to is not None:
        query = query.where(InternetSession.started_at < end_of_local_day(day_to))
    if not include_voided:
        query = query.where(InternetSession.state != SessionState.VOIDED)
    return query


# -- privacy -------------------------------------------------------------------

def anonymise(cutoff):
    """Detach readers from sessions that ended (or were voided) before ``cutoff``, and from trainings before it.

    ``reader_key`` stays on every row, so NET.USERS and the visit counts do
    not change. Returns the number of rows detached.
    """
    finished = sa.func.coalesce(InternetSession.ended_at, InternetSession.voided_at)
    sessions = db.session.execute(
        sa.update(InternetSession)
        .where(InternetSession.patron_id.is_not(None), InternetSession.state != SessionState.OPEN,
               finished < cutoff)
        .values(patron_id=None).execution_options(synchronize_session=False)).rowcount
    before = local_date(cutoff)
    trainings = sa.select(Training.id).where(Training.date < before)
    attendees = db.session.execute(
        sa.update(TrainingAttendee)
        .where(TrainingAttendee.patron_id.is_not(None), TrainingAttendee.training_id.in_(trainings))
        .values(patron_id=None).execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    return (sessions or 0) + (attendees or 0)


# -- trainings -----------------------------------------------------------------

def get_training(training_id):
    training = db.session.get(Training, training_id)
    if training is None:
        raise NotFound(_l("This training does not exist."))
    return training


def trainings_of(institution_ids, *, period=None):
    query = (sa.select(Training).where(Training.institution_id.in_(list(institution_ids)))
             .order_by(Training.date.desc(), Training.id.desc()))
    if period is not None:
        query = query.where(Training.date >= period.start, Training.date <= period.end)
    return query


def _clean_counts(counts):
    """Rows ``(ethnicity code or None, sex or None, count)`` merged by group and sex; empty rows dropped."""
    merged = {}
    for n, (group, sex, count) in enumerate(counts, start=1):
        group = group or None
        sex = sex or None
        if count in (None, "", 0):
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DomainError(_l("Row %(n)d: the number of attendees must be a whole number of at least 1.", n=n),
                              field="counts")
        if count > 10000:
            raise DomainError(_l("Row %(n)d: %(count)d attendees is too many for one class; check the number.",
                                 n=n, count=count), field="counts")
        if group is not None and ethnicity.by_code(group) is None:
            raise DomainError(_l("Row %(n)d: unknown ethnic group “%(value)s”.", n=n, value=group), field="counts")
        if sex is not None and sex not in SEXES:
            raise DomainError(_l("Row %(n)d: sex is F or M, or left empty.", n=n), field="counts")
        merged[(group, sex)] = merged.get((group, sex), 0) + count
    return [TrainingCount(ethnicity=g, sex=s, count=c) for (g, s), c in sorted(
        merged.items(), key=lambda kv: (kv[0][0] or "99", kv[0][1] or "Z"))]


TRAINING_FIELDS = ("date", "place", "topic", "trainer", "duration_minutes", "note")


def _apply_training_fields(training, fields):
    unknown = set(fields) - set(TRAINING_FIELDS)
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    for key, value in fields.items():
        if key in ("place", "topic", "trainer"):
            value = clean(value or "")
        elif key == "note":
            value = value or ""
        setattr(training, key, value)
    if not training.topic:
        raise DomainError(_l("Give the topic of the class (e.g. Using the internet to find farming advice)."),
                          field="topic")
    if training.date is None:
        raise DomainError(_l("Give the date of the class."), field="date")
    minutes = training.duration_minutes
    whole = isinstance(minutes, int) and not isinstance(minutes, bool)
    if minutes is not None and not (whole and 1 <= minutes <= 7 * 24 * 60):
        raise DomainError(_l("The duration is a number of minutes between 1 and 10080."),
                          field="duration_minutes")


def create_training(*, actor, institution, date, topic, place="", trainer="", duration_minutes=None, note="",
                    counts=(), attendee_cards=()):
    require(actor, CAPABILITY, institution)
    training = Training(institution=institution, institution_id=institution.id)
    _apply_training_fields(training, dict(date=date, topic=topic, place=place, trainer=trainer,
                                          duration_minutes=duration_minutes, note=note))
    training.counts = _clean_counts(counts)
    db.session.add(training)
    db.session.flush()
    for card in attendee_cards:
        if card and card.strip():
            add_attendee(training, card, actor=actor)
    _changed(institution.id)
    return training


def update_training(training, *, actor, counts=None, **fields):
    require(actor, CAPABILITY, training.institution)
    with db.session.no_autoflush:
        _apply_training_fields(training, fields)
    if counts is not None:
        training.counts = _clean_counts(counts)
    db.session.flush()
    _changed(training.institution_id)
    return training


def delete_training(training, *, actor):
    require(actor, CAPABILITY, training.institution)
    institution_id = training.institution_id
    db.session.delete(training)
    db.session.flush()
    _changed(institution_id)


def add_attendee(training, card, *, actor):
    """A reader with a card attended: counted on top of the rows of counts, with their group and sex."""
    require(actor, CAPABILITY, training.institution)
    patron = patron_by_barcode(card)
    key = reader_key(patron.id)
    if any(a.reader_key == key for a in training.attendees):
        raise Conflict(_l("%(name)s is already on the list of this class.", name=patron.name), field="card")
    attendee = TrainingAttendee(patron=patron, patron_id=patron.id, reader_key=key,
                                ethnicity=patron.ethnicity or None,
                                sex=getattr(patron.sex, "value", patron.sex) or None)
    training.attendees.append(attendee)
    db.session.flush()
    _changed(training.institution_id)
    return attendee


def remove_attendee(training, attendee_id, *, actor):
    require(actor, CAPABILITY, training.institution)
    attendee = next((a for a in training.attendees if a.id == attendee_id), None)
    if attendee is None:
        raise NotFound(_l("This attendee is not on the list of this class."))
    training.attendees.remove(attendee)
    db.session.flush()
    _changed(training.institution_id)


def attendance_table(training):
    """Rows of (ethnic group name, women, men, unknown sex, total), named attendees included."""
    table = {}
    for group, sex, count in ([(c.ethnicity, c.sex, c.count) for c in training.counts]
                              + [(a.ethnicity, a.sex, 1) for a in training.attendees]):
        row = table.setdefault(group, {"F": 0, "M": 0, None: 0})
        row[sex if sex in ("F", "M") else None] += count
    rows = []
    for group in sorted(table, key=lambda g: g or "99"):
        row = table[group]
        rows.append({"ethnicity": group, "name": ethnicity.name_of(group) if group else None,
                     "F": row["F"], "M": row["M"], "unknown": row[None], "total": sum(row.values())})
    return rows


# -- connectivity ----------------------------------------------------------------

def record_connectivity(*, actor, institution, date, connected, link_type=None, speed_mbps=None, note=""):
    """The state of the institution's link from ``date`` on; a second record the same day replaces the first."""
    require(actor, CAPABILITY, institution)
    if date is None:
        raise DomainError(_l("Give the date of the check."), field="date")
    if date > local_date(utcnow()):
        raise DomainError(_l("The date %(day)s is in the future.", day=_fmt_date(date)), field="date")
    if link_type is not None and not isinstance(link_type, LinkType):
        try:
            link_type = LinkType(link_type)
        except ValueError:
            raise DomainError(_l("Unknown link type “%(value)s”.", value=link_type), field="link_type")
    if speed_mbps is not None and (speed_mbps < 0 or speed_mbps > 100000):
        raise DomainError(_l("The speed is a number of Mbit/s, at least 0."), field="speed_mbps")
    record = db.session.scalar(sa.select(ConnectivityRecord).where(
        ConnectivityRecord.institution_id == institution.id, ConnectivityRecord.date == date))
    if record is None:
        record = ConnectivityRecord(institution_id=institution.id, date=date)
        db.session.add(record)
    record.connected = bool(connected)
    record.link_type = link_type
    record.speed_mbps = speed_mbps
    record.note = clean(note or "")[:300]
    db.session.flush()
    _changed(institution.id)
    return record


def delete_connectivity(record, *, actor):
    require(actor, CAPABILITY, record.institution)
    institution_id = record.institution_id
    db.session.delete(record)
    db.session.flush()
    _changed(institution_id)


def get_connectivity(record_id):
    record = db.session.get(ConnectivityRecord, record_id)
    if record is None:
        raise NotFound(_l("This connectivity record does not exist."))
    return record


def connectivity_log(institution_id):
    return db.session.scalars(sa.select(ConnectivityRecord).where(ConnectivityRecord.institution_id == institution_id)
                              .order_by(ConnectivityRecord.date.desc())).all()


def latest_connectivity_query(on, institution_ids=None):
    """Select of each institution's latest record on or before ``on`` (one row per institution)."""
    latest = sa.select(ConnectivityRecord.institution_id, sa.func.max(ConnectivityRecord.date).label("date")) \
        .where(ConnectivityRecord.date <= on)
    if institution_ids is not None:
        latest = latest.where(ConnectivityRecord.institution_id.in_(list(institution_ids)))
    latest = latest.group_by(ConnectivityRecord.institution_id).subquery("latest")
    return (sa.select(ConnectivityRecord)
            .join(latest, sa.and_(latest.c.institution_id == ConnectivityRecord.institution_id,
                                  latest.c.date == ConnectivityRecord.date)))


def latest_connectivity(on=None):
    """``{institution_id: ConnectivityRecord}`` of the latest records on or before ``on`` (today)."""
    on = on or local_date(utcnow())
    return {r.institution_id: r for r in db.session.scalars(latest_connectivity_query(on))}


# -- utilisation ---------------------------------------------------------------

def utilisation(institution_ids, year):
    """``{institution_id: {month: (hours used, hours available)}}`` for the year.

    Hours available on a day = public computers in service that day × the
    institution's opening hours for that weekday; hours used = ended,
    non-voided sessions started in the month. Public holidays are not
    known to ILMS and count as open days.
    """
    ids = list(institution_ids)
    period = Period.year(year)
    start, end = period.utc_bounds()
    month = sa.extract("month", local_date_of(InternetSession.started_at))
    used_rows = db.session.execute(
        sa.select(InternetSession.institution_id, month.label("month"),
                  sa.func.sum(InternetSession.duration_seconds))
        .where(InternetSession.institution_id.in_(ids), InternetSession.state == SessionState.ENDED,
               InternetSession.started_at >= start, InternetSession.started_at < end)
        .group_by(InternetSession.institution_id, month)).all()
    used = {(inst, int(m)): (seconds or 0) / 3600 for inst, m, seconds in used_rows}
    stations = db.session.scalars(sa.select(Station).where(
        Station.institution_id.in_(ids), Station.training_only.is_(False),
        Station.in_service_from <= period.end,
        sa.or_(Station.in_service_to.is_(None), Station.in_service_to >= period.start))).all()
    schedules = schedules_for(ids)
    out = {}
    for inst_id in ids:
        mine = [s for s in stations if s.institution_id == inst_id]
        months = {}
        for m in range(1, 13):
            available = 0.0
            for day_number in range(1, calendar.monthrange(year, m)[1] + 1):
                day = dt.date(year, m, day_number)
                in_service = sum(1 for s in mine if s.in_service_on(day))
                if in_service:
                    available += in_service * hours_open(schedules[inst_id], day.weekday())
            months[m] = (used.get((inst_id, m), 0.0), available)
        out[inst_id] = months
    return out


def institutions_with_stations(ids=None):
    query = (sa.select(Institution).where(Institution.id.in_(sa.select(Station.institution_id)))
             .order_by(Institution.name_sort))
    if ids is not None:
        query = query.where(Institution.id.in_(list(ids)))
    return db.session.scalars(query).all()


def scope_of(actor):
    """Institution ids the actor manages for internet work (``None``: the whole province)."""
    if getattr(actor, "province_wide", False) or getattr(actor, "is_system", False):
        return None
    return scope_ids(actor.institution_id)

