"""Rules for exhibitions, venues and stops, visitors, artifacts, festivals, clubs, activities and courses.

Every change checks ``events.edit`` at the institution whose record changes
(staff change only their institution's records and those of its dependent
units), flushes, never commits, and refuses bad input with a ``DomainError``
that says what to fix.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from ..catalog.models import Record
from ..common import ethnicity
from ..common.enums import enum_value
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean, fold, nfc
from ..common.time import local_today
from ..extensions import db
from ..org.models import Institution, InstitutionKind, Level
from ..signals import data_changed
from . import recurrence
from .models import (EXHIBITION_TRANSITIONS, VENUE_EXCLUSIVE_KINDS, Activity, ActivityKind, ActivitySeries,
                     Artifact, ArtifactImage, ArtifactMovement, Audience, Club, ClubSetting, Collection,
                     Completeness, Condition, Course, Exhibition, ExhibitionKind, ExhibitionStatus,
                     ExhibitionStop, FeaturedArtifact, FeaturedRecord, Festival, FestivalKind, Heritage,
                     LocationKind, Repeat, Venue, VisitorCount, venue_key)

CAPABILITY = "events.edit"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-./_]{0,39}$")

#: Kinds of institution that hold festivals, clubs and cultural-house activities (indicators.md).
CULTURAL_KINDS = (InstitutionKind.CULTURAL_CENTER, InstitutionKind.CULTURAL_HOUSE)

#: How often the plan wants a festival at each level, in years (plan 1133, III.3): province and
#: district every two years, commune every year. Village houses have no duty in the plan; they are
#: shown with the commune's yearly rhythm, and no target concerns them.
FESTIVAL_CYCLE_YEARS = {Level.PROVINCE: 2, Level.DISTRICT: 2, Level.COMMUNE: 1, Level.VILLAGE: 1}


def day_text(day):
    return format_date(day, "dd/MM/yyyy") if day else ""


def _changed(*institution_ids):
    data_changed.send("events", institution_ids=sorted({i for i in institution_ids if i is not None}))


def _edit(actor, institution):
    require(actor, CAPABILITY, institution)


def _institution(value, field="institution"):
    if isinstance(value, Institution):
        return value
    inst = db.session.get(Institution, value) if value is not None else None
    if inst is None:
        raise DomainError(_l("Choose the organising institution."), field=field)
    return inst


def _required_text(value, message, field, limit):
    text = clean(value or "")
    if not text:
        raise DomainError(message, field=field)
    if len(text) > limit:
        raise DomainError(_l("This text is too long (at most %(n)d characters).", n=limit), field=field)
    return text


def _optional_text(value, field, limit):
    text = clean(value or "") or ""
    if len(text) > limit:
        raise DomainError(_l("This text is too long (at most %(n)d characters).", n=limit), field=field)
    return text


def _long_text(value):
    return nfc((value or "").replace("\r\n", "\n")).strip()


def _date(value, field, message=None):
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(message or _l("Give a date (dd/mm/yyyy)."), field=field)
    if not 1900 <= value.year <= 2100:
        raise DomainError(_l("The date %(day)s is not plausible; check the year.", day=day_text(value)),
                          field=field)
    return value


def _date_range(start, end, *, start_field="start", end_field="end"):
    start = _date(start, start_field, _l("Give the first day (dd/mm/yyyy)."))
    end = _date(end if end is not None else start, end_field)
    if end < start:
        raise DomainError(_l("The last day (%(end)s) is before the first day (%(start)s).",
                             end=day_text(end), start=day_text(start)), field=end_field)
    return start, end


def _count(value, field, *, minimum=0, required=True):
    if value is None or value == "":
        if required:
            raise DomainError(_l("Give a number."), field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_l("Give a whole number."), field=field)
    if value < minimum:
        raise DomainError(_l("The number cannot be below %(n)d.", n=minimum), field=field)
    if value > 10_000_000:
        raise DomainError(_l("This number is too large; check it."), field=field)
    return value


def _times(start_time, end_time):
    if start_time is not None and not isinstance(start_time, dt.time):
        raise DomainError(_l("Give the time as hh:mm."), field="opens_at")
    if end_time is not None and start_time is None:
        raise DomainError(_l("Give the starting time too."), field="opens_at")
    if start_time is not None and end_time is not None and end_time <= start_time:
        raise DomainError(_l("The end time must be after the starting time."), field="closes_at")
    return start_time, end_time


def _code(value, field="code"):
    code = (value or "").strip()
    if not _CODE.match(code):
        raise DomainError(_l("A code is 1–40 letters, digits or - . / _ (e.g. BTT-2024-003)."), field=field)
    return code


def _ethnic_code(value):
    if value in (None, ""):
        return None
    if ethnicity.by_code(value):
        return value
    group = ethnicity.match(value)
    if group is None:
        raise DomainError(_l("“%(name)s” is not one of Vietnam's 54 ethnic groups.", name=value),
                          field="ethnicity")
    return group.code


def scoped_institutions(actor):
    """Institutions whose events records ``actor`` may change, in name order (the choices of a form)."""
    query = sa.select(Institution).where(Institution.active.is_(True)).order_by(Institution.name_sort)
    return [inst for inst in db.session.scalars(query) if actor.can(CAPABILITY, inst)]


# -- venues --------------------------------------------------------------------------------

def get_venue(venue_id):
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(_l("This venue does not exist."))
    return venue


def find_venue(name):
    """The venue called ``name``, compared with ``models.venue_key`` (diacritics, case, dashes and spaces aside)."""
    key = venue_key(name)
    if not key:
        return None
    venue = db.session.scalar(sa.select(Venue).where(Venue.name_folded == key))
    if venue is None:  # rows keyed before dashes were normalised: few venues, compare them all
        venue = next((v for v in db.session.scalars(sa.select(Venue).order_by(Venue.id)) if venue_key(v.name) == key),
                     None)
    return venue


def find_or_create_venue(name, *, address="", institution=None, field="venue", create=True):
    """The venue of that name (see ``find_venue``); made on first use only when ``create``.

    Staff pages pass ``create`` only when the person ticked "new venue": a venue is chosen from the list,
    and a name that matches none is refused with the nearest names, so a typo cannot book a hall twice
    (imports and the demo keep naming venues freely).
    """
    text = _required_text(name, _l("Give the venue."), field, 200)
    venue = find_venue(text)
    if venue is None:
        if not create:
            names = {venue_key(n): n for n in venue_names()}
            near = difflib.get_close_matches(venue_key(text), names, n=3, cutoff=0.75)
            if near:
                raise DomainError(_l("No venue is called “%(name)s”. Did you mean %(names)s? Choose it from the list, "
                                  "or tick “New venue” to add this one.", name=text,
                                  names=", ".join(f"“{names[k]}”" for k in near)), field=field)
            raise DomainError(_l("No venue is called “%(name)s”. Choose one from the list, or tick “New venue” "
                              "to add it.", name=text), field=field)
        venue = Venue(name=text, address=_optional_text(address, "venue_address", 300),
                      institution_id=institution.id if institution is not None else None)
        db.session.add(venue)
        db.session.flush()
    elif address and not venue.address:
        venue.address = _optional_text(address, "venue_address", 300)
    return venue


def venue_names():
    return db.session.scalars(sa.select(Venue.name).order_by(Venue.name_folded)).all()


def venue_bookings(venue, *, start=None, end=None):
    """What ``venue`` hosts: ``(exhibition, stop or None, first day, last day)``, earliest first.

    Cancelled exhibitions free their venue and are left out.
    """
    live = Exhibition.status != ExhibitionStatus.CANCELLED
    whole = sa.select(Exhibition).where(Exhibition.venue_id == venue.id, live)
    stops = (sa.select(ExhibitionStop).join(Exhibition)
             .where(ExhibitionStop.venue_id == venue.id, live))
    if start is not None:
        whole = whole.where(Exhibition.end >= start)
        stops = stops.where(ExhibitionStop.end >= start)
    if end is not None:
        whole = whole.where(Exhibition.start <= end)
        stops = stops.where(ExhibitionStop.start <= end)
    rows = [(e, None, e.start, e.end) for e in db.session.scalars(whole)]
    rows += [(s.exhibition, s, s.start, s.end) for s in db.session.scalars(stops)]
    return sorted(rows, key=lambda row: (row[2], row[3], row[0].id))


def check_venue_free(venue, start, end, *, exhibition=None, stop=None, field="venue"):
    """Refuse when ``venue`` already hosts another exhibition on any day of ``[start, end]``.

    Two bookings clash when they share at least one day; one ending on the
    10th and the next starting on the 11th do not. Heritage events do not
    block a venue (they are often held inside an exhibition), nor do
    cancelled exhibitions.
    """
    for other, other_stop, first, last in venue_bookings(venue, start=start, end=end):
        if other.kind not in VENUE_EXCLUSIVE_KINDS:
            continue
        if other_stop is None and exhibition is not None and other.id == exhibition.id and stop is None:
            continue
        if other_stop is not None and stop is not None and other_stop.id == stop.id:
            continue
        raise Conflict(_l("%(venue)s is already booked from %(start)s to %(end)s for “%(title)s” (%(code)s). "
                          "Choose other dates or another venue.", venue=venue.name, start=day_text(first),
                          end=day_text(last), title=other.title, code=other.code), field=field)


# -- exhibitions -----------------------------------------------------------------------------

def get_exhibition(exhibition_id):
    exhibition = db.session.get(Exhibition, exhibition_id)
    if exhibition is None:
        raise NotFound(_l("This exhibition does not exist."))
    return exhibition


def exhibition_by_code(code, *, required=True):
    exhibition = db.session.scalar(sa.select(Exhibition).where(Exhibition.code == (code or "").strip()))
    if exhibition is None and required:
        raise NotFound(_l("No exhibition has the code %(code)s.", code=code))
    return exhibition


def next_exhibition_code(institution, year):
    prefix = f"{institution.code}-{year}-"
    taken = set(db.session.scalars(sa.select(Exhibition.code).where(Exhibition.code.like(prefix + "%"))))
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _exhibition_fields(exhibition, data):
    if "title" in data:
        exhibition.title = _required_text(data["title"], _l("Give the exhibition a title."), "title", 300)
    if "theme" in data:
        exhibition.theme = _optional_text(data["theme"], "theme", 300)
    if "description" in data:
        exhibition.description = _long_text(data["description"])
    if "partners" in data:
        partners = data["partners"]
        if isinstance(partners, (list, tuple)):
            partners = "\n".join(partners)
        lines = [clean(line) for line in _long_text(partners).splitlines()]
        exhibition.partners = "\n".join(line for line in lines if line)
    if "start" in data or "end" in data:
        exhibition.start, exhibition.end = _date_range(data.get("start", exhibition.start),
                                                       data.get("end", exhibition.end))
    if "opens_at" in data or "closes_at" in data:
        exhibition.opens_at, exhibition.closes_at = _times(data.get("opens_at", exhibition.opens_at),
                                                           data.get("closes_at", exhibition.closes_at))


EXHIBITION_FIELDS = {"title", "theme", "description", "partners", "start", "end", "opens_at", "closes_at",
                     "venue", "venue_address", "kind", "institution", "code"}


def create_exhibition(*, actor, institution, kind, title, start, end, code=None, venue=None, venue_address="",
                      new_venue=True, **fields):
    """Plan an exhibition. A travelling one given a venue gets it as its first stop."""
    institution = _institution(institution)
    _edit(actor, institution)
    unknown = set(fields) - EXHIBITION_FIELDS
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    kind = enum_value(ExhibitionKind, kind, "kind")
    exhibition = Exhibition(kind=kind, institution_id=institution.id, status=ExhibitionStatus.PLANNED,
                            theme="", description="", partners="")
    with db.session.no_autoflush:
        _exhibition_fields(exhibition, dict(fields, title=title, start=start, end=end))
        if code:
            exhibition.code = _code(code)
            if exhibition_by_code(exhibition.code, required=False) is not None:
                raise Conflict(_l("Another exhibition already has the code %(code)s.", code=exhibition.code),
                               field="code")
        else:
            exhibition.code = next_exhibition_code(institution, exhibition.start.year)
        place = None
        if venue:
            place = venue if isinstance(venue, Venue) else find_or_create_venue(
                venue, address=venue_address, institution=None if kind == ExhibitionKind.MOBILE else institution,
                create=new_venue)
            if kind != ExhibitionKind.MOBILE:
                if kind in VENUE_EXCLUSIVE_KINDS:
                    check_venue_free(place, exhibition.start, exhibition.end)
                exhibition.venue_id = place.id
    db.session.add(exhibition)
    db.session.flush()
    if place is not None and kind == ExhibitionKind.MOBILE:
        add_stop(exhibition, actor=actor, venue=place, start=exhibition.start, end=exhibition.end)
    _changed(institution.id)
    return exhibition


def update_exhibition(exhibition, *, actor, venue=..., venue_address="", new_venue=True, **fields):
    """Change what was planned; the venue stays free-checked for the new dates."""
    _edit(actor, exhibition.institution)
    unknown = set(fields) - EXHIBITION_FIELDS
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    if exhibition.status == ExhibitionStatus.CANCELLED:
        raise Conflict(_l("This exhibition was cancelled; it can no longer be changed."))
    institution = exhibition.institution
    with db.session.no_autoflush:
        if "institution" in fields and fields["institution"] is not None:
            institution = _institution(fields.pop("institution"))
            _edit(actor, institution)
            exhibition.institution_id = institution.id
        if "kind" in fields:
            kind = enum_value(ExhibitionKind, fields.pop("kind"), "kind")
            if kind != exhibition.kind and (kind == ExhibitionKind.MOBILE or exhibition.is_travelling) \
                    and exhibition.stops:
                raise Conflict(_l("This exhibition has venue stops; remove them before changing its kind."),
                               field="kind")
            exhibition.kind = kind
        if "code" in fields:
            code = _code(fields.pop("code"))
            other = exhibition_by_code(code, required=False)
            if other is not None and other.id != exhibition.id:
                raise Conflict(_l("Another exhibition already has the code %(code)s.", code=code), field="code")
            exhibition.code = code
        _exhibition_fields(exhibition, fields)
        if venue is not ...:
            if not venue:
                exhibition.venue_id = None
            elif exhibition.is_travelling:
                raise DomainError(_l("A travelling exhibition is held at its stops: add them on its page."),
                                  field="venue")
            else:
                place = venue if isinstance(venue, Venue) else find_or_create_venue(
                    venue, address=venue_address, institution=institution, create=new_venue)
                exhibition.venue_id = place.id
        if exhibition.venue_id and exhibition.kind in VENUE_EXCLUSIVE_KINDS:
            check_venue_free(db.session.get(Venue, exhibition.venue_id), exhibition.start, exhibition.end,
                             exhibition=exhibition)
        for stop in exhibition.stops:
            if stop.start < exhibition.start or stop.end > exhibition.end:
                raise DomainError(_l("The stop at %(venue)s (%(start)s–%(end)s) falls outside the new dates; "
                                     "change the stop first.", venue=stop.venue.name, start=day_text(stop.start),
                                     end=day_text(stop.end)), field="start")
        for count in exhibition.visitor_counts:
            if not exhibition.start <= count.date <= exhibition.end:
                raise DomainError(_l("Visitors are recorded on %(day)s, outside the new dates.",
                                     day=day_text(count.date)), field="start")
    db.session.flush()
    _changed(institution.id)
    return exhibition


def set_exhibition_status(exhibition, status, *, actor, on=None):
    """Open, close or cancel. Closing sends the exhibition's artifacts still on display back to the store."""
    _edit(actor, exhibition.institution)
    status = enum_value(ExhibitionStatus, status, "status")
    EXHIBITION_TRANSITIONS.check(exhibition.status, status)
    exhibition.status = status
    day = on or local_today()
    if status in (ExhibitionStatus.CLOSED, ExhibitionStatus.CANCELLED):
        for featured in exhibition.featured_artifacts:
            artifact = featured.artifact
            if status == ExhibitionStatus.CANCELLED:
                _drop_planned_moves(artifact, exhibition, after=day)
            where = current_location(artifact, on=day)
            if where is not None and where.kind == LocationKind.DISPLAY and where.exhibition_id == exhibition.id:
                db.session.add(ArtifactMovement(artifact=artifact, date=max(day, where.date),
                                                kind=LocationKind.STORE, place="",
                                                note=str(_l("Back from “%(title)s”", title=exhibition.title))))
    db.session.flush()
    _changed(exhibition.institution_id)
    return exhibition


def _live(exhibition):
    if exhibition.status == ExhibitionStatus.CANCELLED:
        raise Conflict(_l("This exhibition was cancelled; it can no longer be changed."))


# -- stops ---------------------------------------------------------------------------------------

def get_stop(exhibition, stop_id):
    stop = db.session.get(ExhibitionStop, stop_id)
    if stop is None or stop.exhibition_id != exhibition.id:
        raise NotFound(_l("This stop does not exist."))
    return stop


def add_stop(exhibition, *, actor, venue, start, end, host="", note="", widen=False, new_venue=True):
    """Add a venue stop to a travelling exhibition; ``widen`` stretches the exhibition's dates (imports)."""
    _edit(actor, exhibition.institution)
    _live(exhibition)
    if not exhibition.is_travelling:
        raise DomainError(_l("Only a travelling exhibition has venue stops; this one is held at one venue."))
    start, end = _date_range(start, end)
    place = venue if isinstance(venue, Venue) else find_or_create_venue(venue, create=new_venue)
    if widen:
        exhibition.start, exhibition.end = min(exhibition.start, start), max(exhibition.end, end)
    elif start < exhibition.start or end > exhibition.end:
        raise DomainError(_l("A stop must fall within the exhibition's dates (%(start)s–%(end)s); "
                             "change the exhibition's dates first.", start=day_text(exhibition.start),
                             end=day_text(exhibition.end)), field="start")
    check_venue_free(place, start, end, exhibition=exhibition)
    stop = ExhibitionStop(exhibition=exhibition, venue=place, start=start, end=end,
                          host=_optional_text(host, "host", 200), note=_optional_text(note, "note", 500))
    db.session.add(stop)
    db.session.flush()
    _changed(exhibition.institution_id)
    return stop


def update_stop(stop, *, actor, venue=None, start=None, end=None, host=None, note=None, new_venue=True):
    exhibition = stop.exhibition
    _edit(actor, exhibition.institution)
    _live(exhibition)
    with db.session.no_autoflush:
        place = stop.venue
        if venue:
            place = venue if isinstance(venue, Venue) else find_or_create_venue(venue, create=new_venue)
        first, last = _date_range(start or stop.start, end or stop.end)
        if first < exhibition.start or last > exhibition.end:
            raise DomainError(_l("A stop must fall within the exhibition's dates (%(start)s–%(end)s); "
                                 "change the exhibition's dates first.", start=day_text(exhibition.start),
                                 end=day_text(exhibition.end)), field="start")
        for count in stop.visitor_counts:
            if not first <= count.date <= last:
                raise DomainError(_l("Visitors are recorded on %(day)s, outside the new dates.",
                                     day=day_text(count.date)), field="start")
        check_venue_free(place, first, last, exhibition=exhibition, stop=stop)
        stop.venue, stop.start, stop.end = place, first, last
        if host is not None:
            stop.host = _optional_text(host, "host", 200)
        if note is not None:
            stop.note = _optional_text(note, "note", 500)
    db.session.flush()
    _changed(exhibition.institution_id)
    return stop


def remove_stop(stop, *, actor):
    exhibition = stop.exhibition
    _edit(actor, exhibition.institution)
    _live(exhibition)
    if stop.visitor_counts:
        raise Conflict(_l("Visitors are recorded at this stop; delete those counts first."))
    exhibition.stops.remove(stop)
    db.session.flush()
    _changed(exhibition.institution_id)


# -- visitors -------------------------------------------------------------------------------------

def record_visitors(exhibition, *, actor, date, visitors, students=0, school="", stop=None, note="",
                    allow_future=False):
    """Count the visitors of one day (students among them, a school group named by its school)."""
    _edit(actor, exhibition.institution)
    _live(exhibition)
    date = _date(date, "date")
    visitors = _count(visitors, "visitors", minimum=1)
    students = _count(students or 0, "students")
    if students > visitors:
        raise DomainError(_l("Students (%(students)d) are counted among the visitors (%(visitors)d): "
                             "there cannot be more of them.", students=students, visitors=visitors),
                          field="students")
    if stop is not None and stop.exhibition_id != exhibition.id:
        raise NotFound(_l("This stop does not exist."))
    if stop is None and exhibition.is_travelling and exhibition.stops:
        raise DomainError(_l("Choose the stop where these visitors came."), field="stop")
    first, last = (stop.start, stop.end) if stop is not None else (exhibition.start, exhibition.end)
    if not first <= date <= last:
        raise DomainError(_l("%(day)s is not a day of this exhibition (%(start)s–%(end)s).", day=day_text(date),
                             start=day_text(first), end=day_text(last)), field="date")
    if not allow_future and date > local_today():
        raise DomainError(_l("%(day)s has not come yet; count visitors on the day or after.",
                             day=day_text(date)), field="date")
    count = VisitorCount(exhibition=exhibition, stop=stop, date=date, visitors=visitors, students=students,
                         school=_optional_text(school, "school", 200), note=_optional_text(note, "note", 300))
    db.session.add(count)
    db.session.flush()
    _changed(exhibition.institution_id)
    return count


def get_visitor_count(exhibition, count_id):
    count = db.session.get(VisitorCount, count_id)
    if count is None or count.exhibition_id != exhibition.id:
        raise NotFound(_l("This visitor count does not exist."))
    return count


def delete_visitor_count(count, *, actor):
    exhibition = count.exhibition
    _edit(actor, exhibition.institution)
    exhibition.visitor_counts.remove(count)
    db.session.flush()
    _changed(exhibition.institution_id)


def schools_of(exhibition):
    """School groups of an exhibition: ``[(school, visits, students)]``, most students first."""
    rows = {}
    for count in exhibition.visitor_counts:
        if count.school:
            visits, students = rows.get(count.school, (0, 0))
            rows[count.school] = (visits + 1, students + count.students)
    return sorted(((name, v, s) for name, (v, s) in rows.items()), key=lambda r: (-r[2], fold(r[0])))


# -- featured records and artifacts ------------------------------------------------------------------

_LIKE_SPECIALS = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
#: Letters that carry diacritics in Vietnamese (or đ): in a LIKE prefilter they match any one character.
_VARIANT_LETTERS = set("aeiouyd")


def _title_like(folded):
    out = []
    for ch in folded:
        out.append("_" if ch in _VARIANT_LETTERS or ord(ch) > 127 else ch.translate(_LIKE_SPECIALS))
    return "%" + "".join(out) + "%"


def search_records(query, *, limit=20):
    """Catalogue records for the display picker: by ISBN, or by title ignoring diacritics and case.

    The database narrows titles with a LIKE pattern in which every letter
    that can carry a diacritic matches any one character (NFC stores each
    Vietnamese letter as one character), then ``fold`` decides.
    """
    text = clean(query or "")
    if not text:
        return []
    digits = re.sub(r"[\s\-]", "", text).upper()
    if re.fullmatch(r"\d{9}[\dX]|\d{13}", digits):
        return db.session.scalars(sa.select(Record).where(Record.isbn == digits).order_by(Record.title_sort)
                                  .limit(limit)).all()
    folded = fold(text)
    candidates = (sa.select(Record).where(Record.title.ilike(_title_like(folded), escape="\\"))
                  .order_by(Record.title_sort).execution_options(yield_per=200))
    found = []
    for record in db.session.scalars(candidates):
        if folded in fold(record.title):
            found.append(record)
            if len(found) >= limit:
                break
    return found


def feature_record(exhibition, record, *, actor):
    _edit(actor, exhibition.institution)
    _live(exhibition)
    if any(f.record_id == record.id for f in exhibition.featured_records):
        raise Conflict(_l("“%(title)s” is already in this display.", title=record.title))
    featured = FeaturedRecord(exhibition=exhibition, record=record)
    db.session.add(featured)
    db.session.flush()
    return featured


def unfeature_record(exhibition, record_id, *, actor):
    _edit(actor, exhibition.institution)
    for featured in list(exhibition.featured_records):
        if featured.record_id == record_id:
            exhibition.featured_records.remove(featured)
    db.session.flush()


def feature_artifact(exhibition, artifact, *, actor):
    """Show an artifact in an exhibition; its location history says "on display" from the opening day."""
    _edit(actor, exhibition.institution)
    _edit(actor, artifact.institution)
    _live(exhibition)
    if any(f.artifact_id == artifact.id for f in exhibition.featured_artifacts):
        raise Conflict(_l("%(code)s is already in this exhibition.", code=artifact.code))
    featured = FeaturedArtifact(exhibition=exhibition, artifact=artifact)
    db.session.add(featured)
    where = current_location(artifact, on=exhibition.start)
    if where is None or not (where.kind == LocationKind.DISPLAY and where.exhibition_id == exhibition.id):
        place = exhibition.venue.name if exhibition.venue else ""
        db.session.add(ArtifactMovement(artifact=artifact, date=max(exhibition.start, artifact.accessioned),
                                        kind=LocationKind.DISPLAY, exhibition=exhibition, place=place))
    db.session.flush()
    return featured


def _drop_planned_moves(artifact, exhibition, *, after):
    for move in list(artifact.movements):
        if move.exhibition_id == exhibition.id and move.date > after:
            artifact.movements.remove(move)


def unfeature_artifact(exhibition, artifact_id, *, actor, on=None):
    _edit(actor, exhibition.institution)
    day = on or local_today()
    for featured in list(exhibition.featured_artifacts):
        if featured.artifact_id != artifact_id:
            continue
        artifact = featured.artifact
        exhibition.featured_artifacts.remove(featured)
        _drop_planned_moves(artifact, exhibition, after=day)
        where = current_location(artifact, on=day)
        if where is not None and where.kind == LocationKind.DISPLAY and where.exhibition_id == exhibition.id:
            db.session.add(ArtifactMovement(artifact=artifact, date=day, kind=LocationKind.STORE, place=""))
    db.session.flush()


# -- collections and artifacts ---------------------------------------------------------------------

def get_collection(collection_id):
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(_l("This collection does not exist."))
    return collection


def _collection_fields(collection, data):
    if "name" in data:
        collection.name = _required_text(data["name"], _l("Give the collection a name."), "name", 200)
    if "description" in data:
        collection.description = _long_text(data["description"])
    if "completeness" in data:
        collection.completeness = enum_value(Completeness, data["completeness"] or "incomplete", "completeness")
    if "completeness_note" in data:
        collection.completeness_note = _long_text(data["completeness_note"])


def create_collection(*, actor, institution, name, **fields):
    institution = _institution(institution)
    _edit(actor, institution)
    collection = Collection(institution_id=institution.id, description="", completeness_note="")
    _collection_fields(collection, dict(fields, name=name))
    db.session.add(collection)
    db.session.flush()
    return collection


def update_collection(collection, *, actor, **fields):
    _edit(actor, collection.institution)
    _collection_fields(collection, fields)
    db.session.flush()
    return collection


def collections_of(institution_ids=None):
    query = sa.select(Collection).order_by(Collection.name_sort)
    if institution_ids is not None:
        query = query.where(Collection.institution_id.in_(list(institution_ids)))
    return db.session.scalars(query).all()


def get_artifact(artifact_id):
    artifact = db.session.get(Artifact, artifact_id)
    if artifact is None:
        raise NotFound(_l("This artifact does not exist."))
    return artifact


def artifact_by_code(code, *, required=True):
    artifact = db.session.scalar(sa.select(Artifact).where(Artifact.code == (code or "").strip()))
    if artifact is None and required:
        raise NotFound(_l("No artifact has the accession code %(code)s.", code=code))
    return artifact


ARTIFACT_FIELDS = {"name", "collection", "object_type", "material", "heritage", "ethnicity", "provenance",
                   "condition", "description", "accessioned", "code"}


def _artifact_fields(artifact, data, institution):
    if "code" in data:
        code = _code(data["code"])
        other = artifact_by_code(code, required=False)
        if other is not None and other is not artifact:
            raise Conflict(_l("Another artifact already has the accession code %(code)s.", code=code),
                           field="code")
        artifact.code = code
    if "name" in data:
        artifact.name = _required_text(data["name"], _l("Give the artifact a name."), "name", 300)
    if "collection" in data:
        collection = data["collection"]
        if collection is not None and not isinstance(collection, Collection):
            collection = get_collection(collection)
        if collection is not None and collection.institution_id != institution.id:
            raise DomainError(_l("The collection “%(name)s” belongs to another institution.", name=collection.name),
                              field="collection")
        artifact.collection = collection
    for key, limit in (("object_type", 120), ("material", 120)):
        if key in data:
            setattr(artifact, key, _optional_text(data[key], key, limit))
    if "heritage" in data:
        artifact.heritage = enum_value(Heritage, data["heritage"] or "tangible", "heritage")
    if "condition" in data:
        artifact.condition = enum_value(Condition, data["condition"] or "good", "condition")
    if "ethnicity" in data:
        artifact.ethnicity = _ethnic_code(data["ethnicity"])
    for key in ("provenance", "description"):
        if key in data:
            setattr(artifact, key, _long_text(data[key]))
    if "accessioned" in data:
        artifact.accessioned = _date(data["accessioned"], "accessioned", _l("Give the accession date."))


def create_artifact(*, actor, institution, code, name, accessioned, **fields):
    """Enter an artifact in the accession register; it starts in the store on its accession day."""
    institution = _institution(institution)
    _edit(actor, institution)
    unknown = set(fields) - ARTIFACT_FIELDS
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    artifact = Artifact(institution_id=institution.id, object_type="", material="", provenance="",
                        description="", heritage=Heritage.TANGIBLE, condition=Condition.GOOD)
    with db.session.no_autoflush:
        _artifact_fields(artifact, dict(fields, code=code, name=name, accessioned=accessioned), institution)
    db.session.add(artifact)
    artifact.movements.append(ArtifactMovement(date=artifact.accessioned, kind=LocationKind.STORE, place=""))
    db.session.flush()
    _changed(institution.id)
    return artifact


def update_artifact(artifact, *, actor, **fields):
    _edit(actor, artifact.institution)
    unknown = set(fields) - ARTIFACT_FIELDS
    if unknown:
        raise DomainError(_l("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    with db.session.no_autoflush:
        _artifact_fields(artifact, fields, artifact.institution)
        first = artifact.movements[0] if artifact.movements else None
        if first is not None and first.date < artifact.accessioned:
            if len(artifact.movements) == 1:
                first.date = artifact.accessioned
            else:
                raise DomainError(_l("The artifact has moved before %(day)s; check the accession date.",
                                     day=day_text(artifact.accessioned)), field="accessioned")
        elif first is not None and len(artifact.movements) == 1 and first.kind == LocationKind.STORE:
            first.date = artifact.accessioned
    db.session.flush()
    _changed(artifact.institution_id)
    return artifact


def upsert_artifact(*, actor, institution, code, name, accessioned):
    """Imports: create the artifact with this accession code, or bring its name and date in line."""
    existing = artifact_by_code(code, required=False)
    if existing is None:
        return create_artifact(actor=actor, institution=institution, code=code, name=name, accessioned=accessioned)
    if existing.institution_id != _institution(institution).id:
        raise Conflict(_l("The accession code %(code)s belongs to an artifact of %(name)s.", code=code,
                          name=existing.institution.name))
    return update_artifact(existing, actor=actor, name=name, accessioned=accessioned)


def current_location(artifact, *, on=None):
    """The movement in force on ``on`` (default today): the latest one dated on or before it."""
    day = on or local_today()
    moves = [m for m in artifact.movements if m.date <= day]
    if not moves:
        return None
    return max(moves, key=lambda m: (m.date, m.id or 0))


def move_artifact(artifact, *, actor, kind, date, exhibition=None, place="", note=""):
    """Record where an artifact goes from ``date`` on: the store, an exhibition, a borrower, a restorer."""
    _edit(actor, artifact.institution)
    kind = enum_value(LocationKind, kind, "kind")
    date = _date(date, "date")
    if date < artifact.accessioned:
        raise DomainError(_l("The artifact was accessioned on %(day)s; a move cannot come before that.",
                             day=day_text(artifact.accessioned)), field="date")
    place = _optional_text(place, "place", 200)
    if kind == LocationKind.DISPLAY:
        if exhibition is None:
            raise DomainError(_l("Choose the exhibition that shows it."), field="exhibition")
        if exhibition.status == ExhibitionStatus.CANCELLED:
            raise Conflict(_l("This exhibition was cancelled; it can no longer be changed."), field="exhibition")
        if not any(f.artifact_id == artifact.id for f in exhibition.featured_artifacts):
            db.session.add(FeaturedArtifact(exhibition=exhibition, artifact=artifact))
        place = place or (exhibition.venue.name if exhibition.venue else "")
    elif kind == LocationKind.LOAN and not place:
        raise DomainError(_l("Say who borrows it (the venue or institution)."), field="place")
    else:
        exhibition = None
    move = ArtifactMovement(artifact=artifact, kind=kind, date=date, exhibition=exhibition, place=place,
                            note=_optional_text(note, "note", 300))
    db.session.add(move)
    db.session.flush()
    return move


def add_artifact_image(artifact, *, actor, stored, caption=""):
    """Attach a photograph already checked and saved by ``common.uploads``."""
    _edit(actor, artifact.institution)
    image = ArtifactImage(artifact=artifact, stored_name=stored.name, original_name=stored.original_name,
                          content_type=stored.content_type, size=stored.size,
                          caption=_optional_text(caption, "caption", 300))
    db.session.add(image)
    db.session.flush()
    return image


def get_artifact_image(image_id):
    image = db.session.get(ArtifactImage, image_id)
    if image is None:
        raise NotFound(_l("This image does not exist."))
    return image


def remove_artifact_image(image, *, actor):
    """Remove the record; the caller deletes the file once the removal is committed."""
    _edit(actor, image.artifact.institution)
    image.artifact.images.remove(image)
    db.session.flush()
    return image.stored_name


def search_artifacts(*, q="", institution_ids=None, collection_id=None, heritage=None, ethnicity_code=None):
    query = sa.select(Artifact).order_by(Artifact.code)
    if institution_ids is not None:
        query = query.where(Artifact.institution_id.in_(list(institution_ids)))
    if collection_id:
        query = query.where(Artifact.collection_id == collection_id)
    if heritage:
        query = query.where(Artifact.heritage == heritage)
    if ethnicity_code:
        query = query.where(Artifact.ethnicity == ethnicity_code)
    text = clean(q or "")
    if text:
        folded = fold(text).translate(_LIKE_SPECIALS)
        query = query.where(sa.or_(Artifact.name_folded.like(f"%{folded}%", escape="\\"),
                                   Artifact.code.ilike(f"%{text.translate(_LIKE_SPECIALS)}%", escape="\\")))
    return query


# -- festivals ----------------------------------------------------------------------------------

def get_festival(festival_id):
    festival = db.session.get(Festival, festival_id)
    if festival is None:
        raise NotFound(_l("This festival does not exist."))
    return festival


#: Words in a festival's title that tell its kind, for imports (whose lines carry no kind).
_KIND_WORDS = (
    ("dan ca", FestivalKind.FOLK_SONG),
    ("dai doan ket", FestivalKind.NATIONAL_UNITY_DAY),
    ("ngay hoi van hoa", FestivalKind.ETHNIC_CULTURE_DAY),
    ("hoi dien", FestivalKind.MASS_ART_SHOW),
    ("van nghe quan chung", FestivalKind.MASS_ART_FESTIVAL),
    ("lien hoan", FestivalKind.MASS_ART_FESTIVAL),
)


def festival_kind_from_title(title):
    folded = fold(title)
    for words, kind in _KIND_WORDS:
        if words in folded:
            return kind
    return FestivalKind.OTHER


def _check_cultural(institution, what):
    if institution.kind not in CULTURAL_KINDS:
        raise DomainError(_l("%(what)s are held by cultural centres and cultural houses; %(name)s is a %(kind)s.",
                             what=what, name=institution.name, kind=institution.kind.label), field="institution")


def _festival_fields(festival, data):
    if "title" in data:
        festival.title = _required_text(data["title"], _l("Give the festival a title."), "title", 300)
    if "kind" in data:
        festival.kind = enum_value(FestivalKind, data["kind"] or festival_kind_from_title(festival.title), "kind")
    if "date" in data or "end" in data:
        first, last = _date_range(data.get("date", festival.date), data.get("end", festival.end) or None,
                                  start_field="date")
        festival.date, festival.end = first, (last if last != first else None)
    if "venue" in data:
        festival.venue = _optional_text(data["venue"], "venue", 200)
    if "participants" in data:
        festival.participants = _count(data["participants"], "participants", required=False)
    if "note" in data:
        festival.note = _long_text(data["note"])


def create_festival(*, actor, institution, title, date, kind=None, **fields):
    institution = _institution(institution)
    _edit(actor, institution)
    _check_cultural(institution, _l("Festivals"))
    festival = Festival(institution_id=institution.id, venue="", note="")
    with db.session.no_autoflush:
        _festival_fields(festival, dict(fields, title=title, date=date, kind=kind))
    db.session.add(festival)
    db.session.flush()
    _changed(institution.id)
    return festival


def update_festival(festival, *, actor, **fields):
    _edit(actor, festival.institution)
    with db.session.no_autoflush:
        _festival_fields(festival, fields)
    db.session.flush()
    _changed(festival.institution_id)
    return festival


def delete_festival(festival, *, actor):
    _edit(actor, festival.institution)
    db.session.delete(festival)
    db.session.flush()
    _changed(festival.institution_id)


def upsert_festival(*, actor, institution, date, title):
    """Imports: the same institution, day and title is the same festival."""
    institution = _institution(institution)
    existing = db.session.scalar(sa.select(Festival).where(
        Festival.institution_id == institution.id, Festival.date == date, Festival.title == clean(title)))
    if existing is not None:
        _edit(actor, institution)
        return existing
    return create_festival(actor=actor, institution=institution, title=title, date=date)


def festival_window(level, year, *, until=None):
    """The days of the cycle ending with ``year`` for institutions of ``level``: ``(first, last)``.

    The cycle is the ``FESTIVAL_CYCLE_YEARS[level]`` calendar years ending with
    ``year`` (2023–2024 for a district in 2024); ``until`` cuts it at a day
    (the end of a half-year report), so a festival still to come is not
    counted as held.
    """
    years = FESTIVAL_CYCLE_YEARS[Level(level)]
    first, last = dt.date(year - years + 1, 1, 1), dt.date(year, 12, 31)
    if until is not None:
        last = min(last, until)
    return first, last


def festival_compliance(year, *, until=None, levels=(Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)):
    """For each level: every active cultural institution of that level and its latest festival in the cycle.

    Returns ``[(level, (first, last), [(institution, latest festival date or None)])]``.
    """
    out = []
    for level in levels:
        first, last = festival_window(level, year, until=until)
        institutions = db.session.scalars(
            sa.select(Institution).where(Institution.active.is_(True), Institution.level == level,
                                         Institution.kind.in_(CULTURAL_KINDS)).order_by(Institution.name_sort)).all()
        latest = dict(db.session.execute(
            sa.select(Festival.institution_id, sa.func.max(Festival.date))
            .where(Festival.date >= first, Festival.date <= last,
                   Festival.institution_id.in_([i.id for i in institutions]))
            .group_by(Festival.institution_id)).all()) if institutions else {}
        out.append((level, (first, last), [(inst, latest.get(inst.id)) for inst in institutions]))
    return out


# -- clubs ------------------------------------------------------------------------------------------

def get_club(club_id):
    club = db.session.get(Club, club_id)
    if club is None:
        raise NotFound(_l("This club does not exist."))
    return club


def club_by_code(code, *, required=True):
    club = db.session.scalar(sa.select(Club).where(Club.code == (code or "").strip()))
    if club is None and required:
        raise NotFound(_l("No club has the code %(code)s.", code=code))
    return club


def next_club_code(institution):
    prefix = f"CLB-{institution.code}-"
    taken = set(db.session.scalars(sa.select(Club.code).where(Club.code.like(prefix + "%"))))
    n = len(taken) + 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def _club_fields(club, data):
    if "code" in data and data["code"]:
        code = _code(data["code"])
        other = club_by_code(code, required=False)
        if other is not None and other is not club:
            raise Conflict(_l("Another club already has the code %(code)s.", code=code), field="code")
        club.code = code
    if "name" in data:
        club.name = _required_text(data["name"], _l("Give the club a name."), "name", 200)
    for key, limit in (("interest", 200), ("place", 200), ("head", 120), ("meetings", 200)):
        if key in data:
            setattr(club, key, _optional_text(data[key], key, limit))
    if "setting" in data:
        club.setting = enum_value(ClubSetting, data["setting"] or "village", "setting")
    if "members" in data:
        club.members = _count(data["members"], "members")
    if "active_from" in data or "active_to" in data:
        first = _date(data.get("active_from", club.active_from), "active_from",
                      _l("Give the day the club started."))
        last = data.get("active_to", club.active_to) or None
        if last is not None:
            last = _date(last, "active_to")
            if last < first:
                raise DomainError(_l("The club cannot stop (%(end)s) before it started (%(start)s).",
                                     end=day_text(last), start=day_text(first)), field="active_to")
        club.active_from, club.active_to = first, last


def create_club(*, actor, institution, name, active_from, members, code=None, **fields):
    institution = _institution(institution)
    _edit(actor, institution)
    club = Club(institution_id=institution.id, interest="", place="", head="", meetings="",
                setting=ClubSetting.VILLAGE)
    with db.session.no_autoflush:
        _club_fields(club, dict(fields, code=code, name=name, active_from=active_from, members=members))
        if not club.code:
            club.code = next_club_code(institution)
    db.session.add(club)
    db.session.flush()
    _changed(institution.id)
    return club


def update_club(club, *, actor, **fields):
    _edit(actor, club.institution)
    if "institution" in fields:
        institution = _institution(fields.pop("institution"))
        _edit(actor, institution)
        club.institution_id = institution.id
    with db.session.no_autoflush:
        _club_fields(club, fields)
    db.session.flush()
    _changed(club.institution_id)
    return club


def upsert_club(*, actor, code, institution, name, members, active_from, active_to=None):
    existing = club_by_code(code, required=False)
    if existing is None:
        return create_club(actor=actor, institution=institution, code=code, name=name, members=members,
                           active_from=active_from, active_to=active_to)
    return update_club(existing, actor=actor, institution=_institution(institution), name=name, members=members,
                       active_from=active_from, active_to=active_to)


def clubs_active_on(day, institution_ids=None):
    query = (sa.select(Club).where(Club.active_from <= day, sa.or_(Club.active_to.is_(None), Club.active_to >= day))
             .order_by(Club.name_sort))
    if institution_ids is not None:
        query = query.where(Club.institution_id.in_(list(institution_ids)))
    return db.session.scalars(query).all()


# -- activities --------------------------------------------------------------------------------------

def get_activity(activity_id):
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(_l("This activity does not exist."))
    return activity


def _activity_fields(activity, data):
    if "kind" in data:
        activity.kind = enum_value(ActivityKind, data["kind"], "kind")
    if "title" in data:
        activity.title = _optional_text(data["title"], "title", 300)
    if "date" in data:
        activity.date = _date(data["date"], "date")
    if "starts_at" in data or "ends_at" in data:
        try:
            activity.starts_at, activity.ends_at = _times(data.get("starts_at", activity.starts_at),
                                                          data.get("ends_at", activity.ends_at))
        except DomainError as error:
            error.field = {"opens_at": "starts_at", "closes_at": "ends_at"}.get(error.field, error.field)
            raise
    if "place" in data:
        activity.place = _optional_text(data["place"], "place", 200)
    if "participants" in data:
        activity.participants = _count(data["participants"], "participants", required=False)
    if "note" in data:
        activity.note = _optional_text(data["note"], "note", 500)
    if "club" in data:
        club = data["club"]
        if club is not None and not isinstance(club, Club):
            club = get_club(club)
        activity.club_id = club.id if club is not None else None


def schedule_activity(*, actor, institution, kind, date, repeat=None, until=None, **fields):
    """One activity, or a whole series when ``repeat`` is given (every occurrence up to ``until``).

    Occurrences are ordinary activities sharing a series: each gets its own
    participants, and the rest of the series can be cancelled at once.
    """
    institution = _institution(institution)
    _edit(actor, institution)
    first = _date(date, "date")
    days = [first]
    series = None
    if repeat:
        repeat = enum_value(Repeat, repeat, "repeat")
        until = _date(until, "until", _l("Give the last day of the series."))
        if until <= first:
            raise DomainError(_l("The series must end after its first day."), field="until")
        days = recurrence.occurrences(first, repeat, until)
        if len(days) >= recurrence.MAX_OCCURRENCES and days[-1] < until:
            raise DomainError(_l("A series holds at most %(n)d occurrences; choose an earlier last day.",
                                 n=recurrence.MAX_OCCURRENCES), field="until")
        series = ActivitySeries(repeat=repeat, until=until)
        db.session.add(series)
    made = []
    with db.session.no_autoflush:
        for day in days:
            activity = Activity(institution_id=institution.id, title="", place="", note="", series=series)
            _activity_fields(activity, dict(fields, kind=kind, date=day))
            db.session.add(activity)
            made.append(activity)
    db.session.flush()
    _changed(institution.id)
    return made


def update_activity(activity, *, actor, **fields):
    _edit(actor, activity.institution)
    with db.session.no_autoflush:
        _activity_fields(activity, fields)
    db.session.flush()
    _changed(activity.institution_id)
    return activity


def delete_activity(activity, *, actor):
    _edit(actor, activity.institution)
    db.session.delete(activity)
    db.session.flush()
    _changed(activity.institution_id)


def cancel_rest_of_series(activity, *, actor):
    """Delete this occurrence and every later one of its series that has no participants recorded."""
    _edit(actor, activity.institution)
    if activity.series_id is None:
        raise DomainError(_l("This activity is not part of a series."))
    later = db.session.scalars(sa.select(Activity).where(
        Activity.series_id == activity.series_id, Activity.date >= activity.date,
        Activity.participants.is_(None))).all()
    for item in later:
        db.session.delete(item)
    db.session.flush()
    _changed(activity.institution_id)
    return len(later)


# -- courses --------------------------------------------------------------------------------------------

def get_course(course_id):
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_l("This course does not exist."))
    return course


def _course_fields(course, data):
    if "title" in data:
        course.title = _required_text(data["title"], _l("Give the course's topic."), "title", 300)
    if "audience" in data:
        course.audience = enum_value(Audience, data["audience"] or "mixed", "audience")
    if "start" in data or "end" in data:
        course.start, course.end = _date_range(data.get("start", course.start), data.get("end", course.end))
    if "place" in data:
        course.place = _optional_text(data["place"], "place", 200)
    if "trainees" in data:
        course.trainees = _count(data["trainees"], "trainees")
    if "minority_trainees" in data:
        course.minority_trainees = _count(data["minority_trainees"] or 0, "minority_trainees")
    if "note" in data:
        course.note = _long_text(data["note"])
    if (course.minority_trainees or 0) > (course.trainees or 0):
        raise DomainError(_l("Ethnic-minority trainees (%(m)d) are counted among the trainees (%(n)d): "
                             "there cannot be more of them.", m=course.minority_trainees, n=course.trainees),
                          field="minority_trainees")


def create_course(*, actor, institution, title, start, trainees, end=None, **fields):
    institution = _institution(institution)
    _edit(actor, institution)
    course = Course(institution_id=institution.id, place="", note="", minority_trainees=0,
                    audience=Audience.MIXED)
    with db.session.no_autoflush:
        _course_fields(course, dict(fields, title=title, start=start, end=end, trainees=trainees))
    db.session.add(course)
    db.session.flush()
    _changed(institution.id)
    return course


def update_course(course, *, actor, **fields):
    _edit(actor, course.institution)
    with db.session.no_autoflush:
        _course_fields(course, fields)
    db.session.flush()
    _changed(course.institution_id)
    return course


def delete_course(course, *, actor):
    _edit(actor, course.institution)
    db.session.delete(course)
    db.session.flush()
    _changed(course.institution_id)
