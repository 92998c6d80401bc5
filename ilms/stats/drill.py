"""Drill-down: the records behind a figure, and the rows of activity lists, shown and exported.

Indicators give a SQLAlchemy ``Select`` (``Indicator.drilldown``), activity
lists likewise (``ActivityList.rows``). Column conventions, shared by both:
columns are labelled with the names in ``COLUMN_LABELS`` where one fits (any
other label is shown as it is); ``institution_id`` is shown as the
institution's code; dates as dd/mm/yyyy, instants in local time; enum values by
their label; ``reader_key`` shortened to 8 characters. Columns that would show
who a reader is (``PRIVATE_COLUMNS``) are never shown, whatever a query gives.
"""
from __future__ import annotations

import datetime as dt
import enum
import io
import math
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.spreadsheet import csv_writer
from ..common.errors import NotFound
from ..common.time import to_local
from ..extensions import db
from . import registry
from . import scope as scopes

PRIVATE_COLUMNS = frozenset({"patron_id", "patron_name", "patron_barcode", "reader_name", "card",
                             "card_number", "phone", "address", "birth_year", "email"})

COLUMN_LABELS = {
    "id": _l("No."), "institution_id": _l("Institution"), "institution": _l("Institution"),
    "barcode": _l("Barcode"), "item": _l("Copy"), "item_barcode": _l("Copy barcode"), "title": _l("Title"),
    "record_id": _l("Catalogue record"), "date": _l("Date"), "day": _l("Day"), "at": _l("Time"), "start": _l("Start"),
    "end": _l("End"), "accessioned": _l("Accessioned"), "source": _l("Source"), "status": _l("Status"),
    "reason": _l("Reason"), "price": _l("Price (VND)"), "kind": _l("Kind"), "topic": _l("Topic"),
    "venue": _l("Venue"), "visitors": _l("Visitors"), "students": _l("Students"), "attendees": _l("Attendees"),
    "participants": _l("Participants"), "trainees": _l("Trainees"), "count": _l("Count"), "hours": _l("Hours"),
    "station": _l("Computer"), "crate": _l("Crate"), "point": _l("Point"), "code": _l("Code"),
    "name": _l("Name"), "members": _l("Members"), "event": _l("Event"), "reader_key": _l("Reader (pseudonym)"),
    "category": _l("Reader category"), "ethnicity": _l("Ethnic group"), "sex": _l("Sex"),
    "withdrawn_on": _l("Withdrawn on"), "due": _l("Due"), "returned_at": _l("Returned"),
    "issn": _l("ISSN"), "isbn": _l("ISBN"), "call_number": _l("Call number"), "note": _l("Note"),
}


def column_label(key):
    return COLUMN_LABELS.get(key, key.replace("_", " ").capitalize())


class Formatter:
    """Turns query values into text for pages (dd/mm/yyyy) or files (ISO dates)."""

    def __init__(self, *, iso=False):
        self.iso = iso
        self._codes = None

    def institution(self, inst_id):
        if self._codes is None:
            from ..org.models import Institution
            self._codes = dict(db.session.execute(sa.select(Institution.id, Institution.code)).all())
        return self._codes.get(inst_id, str(inst_id))

    def __call__(self, key, value):
        if value is None:
            return ""
        if key == "institution_id" or (key.endswith("_institution_id")):
            return self.institution(value)
        if key == "reader_key":
            return str(value)[:8]
        if isinstance(value, dt.datetime):
            local = to_local(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
            return local.strftime("%Y-%m-%d %H:%M" if self.iso else "%d/%m/%Y %H:%M")
        if isinstance(value, dt.date):
            return value.isoformat() if self.iso else value.strftime("%d/%m/%Y")
        if isinstance(value, enum.Enum):
            label = getattr(value, "label", None)
            return str(value.value) if self.iso or label is None else str(label)
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return f"{value:.2f}".rstrip("0").rstrip(".")
        return str(value)


def visible_columns(select):
    return [c.key for c in select.selected_columns if c.key not in PRIVATE_COLUMNS]


@dataclass
class DrillPage:
    indicator: object
    scope: object
    scope_label: str
    period: object
    columns: list       # (key, label)
    rows: list          # [[text]]
    total: int
    page: int
    pages: int
    per_page: int
    reconciliation: object = None


def _query(code, period, scope, user):
    indicator = registry.get(code)
    if indicator is None:
        raise NotFound(_l("No indicator %(code)s is computed by ILMS yet.", code=code))
    if indicator.drilldown is None:
        raise NotFound(_l("The records behind %(code)s cannot be listed yet.", code=code))
    network = scopes.network()
    members = [m for m in scope.members(network) if indicator.applies_to(m)]
    if not members:
        raise NotFound(_l("%(code)s does not apply to this choice of institutions.", code=code))
    scopes.check_scope(user, scope, members)
    select = indicator.drilldown(period, [m.id for m in members])
    if not select._order_by_clauses:
        select = select.order_by(*list(select.selected_columns)[:1])
    return indicator, select, network, [m.id for m in members]


def drill_page(code, period, scope, *, user, page=1, per_page=50):
    indicator, select, network, ids = _query(code, period, scope, user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    keys = visible_columns(select)
    fmt = Formatter()
    rows = [[fmt(k, row._mapping[k]) for k in keys]
            for row in db.session.execute(select.limit(per_page).offset((page - 1) * per_page))]
    return DrillPage(indicator=indicator, scope=scope, scope_label=str(scope.label(network)), period=period,
                     columns=[(k, column_label(k)) for k in keys], rows=rows, total=total, page=page,
                     pages=pages, per_page=per_page,
                     reconciliation=reconcile(indicator, select, period, ids, total))


def drill_csv(code, period, scope, *, user):
    """The whole list as CSV text chunks (UTF-8 with BOM, so spreadsheet programs read Vietnamese)."""
    indicator, select, _network, _ids = _query(code, period, scope, user)
    keys = visible_columns(select)
    fmt = Formatter(iso=True)

    def generate():
        buffer = io.StringIO()
        writer = csv_writer(buffer)   # text cells never become formulas
        buffer.write("\ufeff")
        writer.writerow([str(column_label(k)) for k in keys])
        for row in db.session.execute(select.execution_options(yield_per=1000)):
            writer.writerow([fmt(k, row._mapping[k]) for k in keys])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return indicator, generate()


def activity_rows(activity_list, period, ids, *, iso=False, limit=None):
    """``(columns, rows)`` of an activity list for these institutions (formatted text)."""
    select = activity_list.rows(period, list(ids))
    keys = visible_columns(select)
    if limit:
        select = select.limit(limit)
    fmt = Formatter(iso=iso)
    rows = [[fmt(k, row._mapping[k]) for k in keys] for row in db.session.execute(select)]
    return keys, rows


# -- how the records add up to the figure ------------------------------------------------

#: Indicators whose figure adds the anonymous counts staff keep on paper (circulation's tallies:
#: walk-in visitors, loans noted by hand) to the identified records: ``code -> TallyKind value``.
TALLIED = {"LIB.VISITS": "visits", "ROT.POINT_VISITS": "visits", "LIB.LOANS": "loans", "ROT.POINT_LOANS": "loans"}

#: Columns whose sum may be the figure (visitors counted per day, trainees per course...).
SUMMED_COLUMNS = ("visitors", "count", "trainees", "participants", "attendees", "hours")

TALLY_ROWS_SHOWN = 200


@dataclass
class Reconciliation:
    """The figure against the records listed: ``sentence`` says how they add up (or what else it is)."""

    figure: float
    records: int
    sentence: str
    adds_up: bool
    tallies: int | None = None            # the tallies' total, when they are part of the figure
    tally_kind: object = None
    tally_rows: list = None               # [[date, institution, count, note]], the first TALLY_ROWS_SHOWN
    tally_entries: int = 0


def reconcile(indicator, select, period, ids, records):
    """Check how the listed records make the scope's figure, and say it in one line.

    Only what is verified is said: records + tallies = figure for the tallied
    indicators, records = figure for plain counts, the sum of a column for
    counts entered in bulk (visitors per day); any other figure (distinct
    readers, shares, states at the period's end) is said to be worked out
    from the records, not to be their number.
    """
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    from .engine import Engine

    def num(value):
        return format_decimal(value, format="#,##0.#")

    figure = Engine().group(indicator, period, ids)
    out = Reconciliation(figure=figure, records=records, sentence="", adds_up=False)
    kind = TALLIED.get(indicator.code)
    if kind is not None:
        from ..circulation.models import Tally, TallyKind
        where = (Tally.kind == TallyKind(kind), Tally.date >= period.start, Tally.date <= period.end,
                 Tally.institution_id.in_(list(ids)))
        total, entries = db.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(Tally.count), 0), sa.func.count(Tally.id)).where(*where)).one()
        if entries and records + int(total) == figure:
            fmt = Formatter()
            out.tallies, out.tally_kind, out.tally_entries = int(total), TallyKind(kind), entries
            out.tally_rows = [[fmt("date", row.date), fmt("institution_id", row.institution_id),
                               num(row.count), row.note or ""]
                              for row in db.session.execute(
                                  sa.select(Tally.date, Tally.institution_id, Tally.count, Tally.note)
                                  .where(*where).order_by(Tally.date, Tally.id).limit(TALLY_ROWS_SHOWN))]
            out.adds_up = True
            out.sentence = _("%(figure)s = %(records)s from the records listed + %(tallies)s from %(entries)s "
                             "tally entries (%(kind)s)", figure=num(figure), records=num(records),
                             tallies=num(total), entries=num(entries), kind=TallyKind(kind).label)
            return out
    if figure == records:
        out.adds_up = True
        out.sentence = _("%(figure)s = the %(records)s records listed, one for each.", figure=num(figure),
                         records=num(records))
        return out
    sub = select.order_by(None).subquery()
    for column in SUMMED_COLUMNS:
        if column in sub.c:
            summed = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(sub.c[column]), 0)))
            if summed is not None and round(float(summed), 2) == round(float(figure), 2):
                out.adds_up = True
                out.sentence = _("%(figure)s = the sum of “%(column)s” over the %(records)s records listed.",
                                 figure=num(figure), column=column_label(column), records=num(records))
                return out
    out.sentence = _("%(figure)s is worked out from the %(records)s records listed as its definition says "
                     "(for example each reader counted once); it is not their number.",
                     figure=num(figure), records=num(records))
    return out
