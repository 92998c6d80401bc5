"""iCalendar (RFC 5545) feeds of calendar items, for calendar programs to subscribe to.

Timed events are written with ``TZID=Asia/Ho_Chi_Minh`` and the zone's
definition (UTC+7, no daylight saving since 1975), so every program shows
the local time; events without a time are all-day (``VALUE=DATE``) with the
exclusive end date the standard asks for. A multi-day exhibition with daily
opening hours is one event from the first opening to the last closing.
"""
from __future__ import annotations

import datetime as dt

from ..common.time import UTC, utcnow

TZID = "Asia/Ho_Chi_Minh"
PRODID = "-//ILMS Lai Chau//Events calendar//VI"
UID_DOMAIN = "ilms.laichau"

_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19750613T000000",
    "TZOFFSETFROM:+0700",
    "TZOFFSETTO:+0700",
    "TZNAME:ICT",
    "END:STANDARD",
    "END:VTIMEZONE",
]

_STATUS = {"tentative": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}


def escape_text(value) -> str:
    """TEXT value escaping: backslash, semicolon, comma and line breaks."""
    text = str(value or "")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Split a content line into pieces of at most 75 octets (UTF-8), never inside a character."""
    out, current, size = [], [], 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74    # continuation lines start with a space
        current.append(ch)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(day: dt.date, time: dt.time) -> str:
    return dt.datetime.combine(day, time).strftime("%Y%m%dT%H%M%S")


def _event_lines(item, *, url=None, stamp):
    lines = ["BEGIN:VEVENT", f"UID:{item.uid}@{UID_DOMAIN}", f"DTSTAMP:{_utc(stamp)}"]
    if item.starts_at is not None:
        end_time = item.ends_at or item.starts_at
        end_day = item.end
        if item.ends_at is None:
            end = dt.datetime.combine(end_day, end_time) + dt.timedelta(hours=1)
            end_day, end_time = end.date(), end.time()
        lines.append(f"DTSTART;TZID={TZID}:{_local(item.start, item.starts_at)}")
        lines.append(f"DTEND;TZID={TZID}:{_local(end_day, end_time)}")
    else:
        lines.append(f"DTSTART;VALUE=DATE:{item.start.strftime('%Y%m%d')}")
        lines.append(f"DTEND;VALUE=DATE:{(item.end + dt.timedelta(days=1)).strftime('%Y%m%d')}")
    lines.append(f"SUMMARY:{escape_text(item.title)}")
    if item.place:
        lines.append(f"LOCATION:{escape_text(item.place)}")
    description = [str(item.kind_label), str(item.institution.name)]
    if item.description:
        description.append(item.description)
    lines.append(f"DESCRIPTION:{escape_text(chr(10).join(description))}")
    lines.append(f"CATEGORIES:{escape_text(item.kind_label)}")
    lines.append(f"STATUS:{_STATUS.get(item.status, 'CONFIRMED')}")
    lines.append("TRANSP:TRANSPARENT")
    if item.updated_at is not None:
        lines.append(f"LAST-MODIFIED:{_utc(item.updated_at)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def build_feed(items, *, name, url_for_item=None, now=None) -> str:
    """The text of a VCALENDAR holding ``items`` (``calendar.CalendarItem``), CRLF line ends."""
    stamp = now or utcnow()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}", f"X-WR-TIMEZONE:{TZID}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
    lines += _VTIMEZONE
    for item in items:
        lines += _event_lines(item, url=url_for_item(item) if url_for_item else None, stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)
