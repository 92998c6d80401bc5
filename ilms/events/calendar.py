"""What is on, and when: exhibitions (a travelling one at each stop), festivals, activities and courses as one list."""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import Activity, Course, Exhibition, ExhibitionStatus, ExhibitionStop, Festival


@dataclass
class CalendarItem:
    """One entry of a calendar, whatever it comes from."""

    uid: str                      # stable across feeds and edits
    source: str                   # exhibition | festival | activity | course
    record_id: int
    kind_label: object
    title: str
    start: dt.date
    end: dt.date
    starts_at: dt.time | None
    ends_at: dt.time | None
    place: str
    institution: object
    status: str                   # tentative | confirmed | cancelled
    description: str
    updated_at: dt.datetime | None
    public: bool = True

    @property
    def all_day(self):
        return self.starts_at is None

    @property
    def multi_day(self):
        return self.end > self.start

    @property
    def cancelled(self):
        return self.status == "cancelled"


_EXHIBITION_STATUS = {ExhibitionStatus.PLANNED: "tentative", ExhibitionStatus.OPEN: "confirmed",
                      ExhibitionStatus.CLOSED: "confirmed", ExhibitionStatus.CANCELLED: "cancelled"}


def _exhibition_items(first, last, institution_ids):
    query = (sa.select(Exhibition).where(Exhibition.end >= first, Exhibition.start <= last)
             .options(selectinload(Exhibition.stops).selectinload(ExhibitionStop.venue),
                      selectinload(Exhibition.venue), selectinload(Exhibition.institution)))
    if institution_ids is not None:
        query = query.where(Exhibition.institution_id.in_(list(institution_ids)))
    for exhibition in db.session.scalars(query):
        status = _EXHIBITION_STATUS[exhibition.status]
        common = dict(source="exhibition", record_id=exhibition.id, kind_label=exhibition.kind.label,
                      starts_at=exhibition.opens_at, ends_at=exhibition.closes_at,
                      institution=exhibition.institution, status=status,
                      description=exhibition.description or exhibition.theme, updated_at=exhibition.updated_at)
        if exhibition.stops:
            for stop in exhibition.stops:
                if stop.end < first or stop.start > last:
                    continue
                place = stop.venue.name + (f" ({stop.host})" if stop.host else "")
                yield CalendarItem(uid=f"exhibition-{exhibition.id}-stop-{stop.id}", title=exhibition.title,
                                   start=stop.start, end=stop.end, place=place, **common)
        else:
            place = exhibition.venue.name if exhibition.venue else ""
            if exhibition.venue and exhibition.venue.address:
                place += ", " + exhibition.venue.address
            yield CalendarItem(uid=f"exhibition-{exhibition.id}", title=exhibition.title, start=exhibition.start,
                               end=exhibition.end, place=place, **common)


def _festival_items(first, last, institution_ids):
    end = sa.func.coalesce(Festival.end, Festival.date)
    query = (sa.select(Festival).where(end >= first, Festival.date <= last)
             .options(selectinload(Festival.institution)))
    if institution_ids is not None:
        query = query.where(Festival.institution_id.in_(list(institution_ids)))
    for festival in db.session.scalars(query):
        yield CalendarItem(uid=f"festival-{festival.id}", source="festival", record_id=festival.id,
                           kind_label=festival.kind.label, title=festival.title, start=festival.date,
                           end=festival.last_day, starts_at=None, ends_at=None, place=festival.venue,
                           institution=festival.institution, status="confirmed", description=festival.note,
                           updated_at=festival.updated_at)


def _activity_items(first, last, institution_ids):
    query = (sa.select(Activity).where(Activity.date >= first, Activity.date <= last)
             .options(selectinload(Activity.institution)))
    if institution_ids is not None:
        query = query.where(Activity.institution_id.in_(list(institution_ids)))
    for activity in db.session.scalars(query):
        yield CalendarItem(uid=f"activity-{activity.id}", source="activity", record_id=activity.id,
                           kind_label=activity.kind.label, title=activity.label, start=activity.date,
                           end=activity.date, starts_at=activity.starts_at, ends_at=activity.ends_at,
                           place=activity.place, institution=activity.institution, status="confirmed",
                           description=activity.note, updated_at=activity.updated_at)


def _course_items(first, last, institution_ids):
    query = (sa.select(Course).where(Course.end >= first, Course.start <= last)
             .options(selectinload(Course.institution)))
    if institution_ids is not None:
        query = query.where(Course.institution_id.in_(list(institution_ids)))
    for course in db.session.scalars(query):
        yield CalendarItem(uid=f"course-{course.id}", source="course", record_id=course.id,
                           kind_label=_l("Staff training"), title=course.title, start=course.start,
                           end=course.end, starts_at=None, ends_at=None, place=course.place,
                           institution=course.institution, status="confirmed", description=course.audience.label,
                           updated_at=course.updated_at, public=False)


def items_between(first: dt.date, last: dt.date, institution_ids=None, *, public=False, sources=None):
    """Everything on between two local dates (inclusive), in order of first day and time.

    ``public`` leaves out what is not for readers (staff training courses);
    ``sources`` limits the list to some of exhibition, festival, activity, course.
    """
    makers = {"exhibition": _exhibition_items, "festival": _festival_items, "activity": _activity_items,
              "course": _course_items}
    items = []
    for name, maker in makers.items():
        if sources is not None and name not in sources:
            continue
        items.extend(item for item in maker(first, last, institution_ids) if item.public or not public)
    return sorted(items, key=lambda i: (i.start, i.starts_at or dt.time(0), i.end, str(i.title), i.uid))


@dataclass
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text, default: dt.date):
        try:
            year, month = (int(part) for part in (text or "").split("-"))
            if 1900 <= year <= 2100 and 1 <= month <= 12:
                return cls(year, month)
        except ValueError:
            pass
        return cls(default.year, default.month)

    @property
    def first(self):
        return dt.date(self.year, self.month, 1)

    @property
    def last(self):
        return dt.date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])

    @property
    def grid_first(self):
        return self.weeks()[0][0]

    @property
    def grid_last(self):
        return self.weeks()[-1][-1]

    @property
    def key(self):
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, n):
        month0 = self.month - 1 + n
        return Month(self.year + month0 // 12, month0 % 12 + 1)

    def weeks(self):
        """The weeks of the month as lists of seven dates, Monday first (days of nearby months included)."""
        return _calendar.Calendar(firstweekday=0).monthdatescalendar(self.year, self.month)


def month_view(month: Month, items):
    """``(weeks, ongoing)``: each week a list of ``(day, items starting that day)``; ``ongoing`` what began before."""
    weeks = month.weeks()
    by_day = {}
    ongoing = []
    for item in items:
        if item.start < weeks[0][0]:
            ongoing.append(item)
        else:
            by_day.setdefault(item.start, []).append(item)
    return [[(day, by_day.get(day, [])) for day in week] for week in weeks], ongoing
