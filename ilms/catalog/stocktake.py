"""The stocktake (kiểm kê): count an institution's shelves against the register, then withdraw what is lost.

How it works, and the choices made where the issue is silent (Koha's
inventory tool and Evergreen's "mark missing" are the anchors):

- **Opening** takes a snapshot of the copies expected on the shelves: copies
  of the institution in the scope (all of it, a location = shelf names that
  begin with the given text, a shelf range, a call-number range; ranges are
  inclusive and the upper bound counts as a prefix, so ``895.9`` to ``895.99``
  takes ``895.922 N``), whose status says they should stand there:
  available, being processed, damaged, missing, lost. Copies on loan, in
  transit or at a rotation point are accounted for elsewhere and are not
  expected. Ranges are compared on folded text (no diacritics, case-blind)
  in Python, so SQLite and PostgreSQL agree whatever their collations.
- **A scan** locks the barcode's row, adds one to its scans (or inserts
  it, for a copy that was not expected) and moves the stocktake's figures
  by ``n = n + d`` in the same transaction, so two staff scanning at once
  lose no scan, the figures are read in one row whatever the size of the
  stocktake, and a copy scanned twice is counted once as found and once as
  "seen twice". What a scanned copy is judged to be
  is read from the copy at that moment: found; on this library's shelves but
  outside the scope (misplaced); another library's; withdrawn; on loan (a
  loan never returned at the desk); away (in transit or in rotation); or an
  unknown barcode.
- **Pause and resume**: a paused stocktake refuses scans with a message
  saying so; any staff of the institution may resume it, and several staff
  may scan the same open stocktake at once.
- **Closing** lists the copies expected and never seen that are still on a
  shelf status (a copy lent or sent away since the opening is not missing).
  The librarian ticks those to withdraw as lost: each goes through the
  catalogue's ``withdraw_item`` with reason ``lost``, so LIB.COPIES_WITHDRAWN
  and LIB.HOLDINGS follow. Copies not ticked are left as they were (they may
  still turn up); nothing is withdrawn without that confirmation.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, relationship

from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.dbtypes import NFCText, UTCDateTime
from ..common.enums import LabelledEnum, Transitions, enum_column_type
from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean, fold
from ..common.time import local_today, utcnow
from ..extensions import db
from .models import Item, ItemStatus, WithdrawalReason

#: Statuses of a copy that should be standing on its library's shelves.
SHELF_STATUSES = (ItemStatus.AVAILABLE, ItemStatus.PROCESSING, ItemStatus.DAMAGED, ItemStatus.MISSING,
                  ItemStatus.LOST)
#: A handheld scanner's file: at most this many bytes and barcodes.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_LINES = 50_000
#: How many bad lines an upload refusal names.
BAD_LINES_SHOWN = 10


class StocktakeStatus(LabelledEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


StocktakeStatus.__labels__ = {"open": _l("Scanning"), "paused": _l("Paused"), "closed": _l("Count closed")}

STOCKTAKE_TRANSITIONS = Transitions({
    StocktakeStatus.OPEN: {StocktakeStatus.PAUSED, StocktakeStatus.CLOSED},
    StocktakeStatus.PAUSED: {StocktakeStatus.OPEN, StocktakeStatus.CLOSED},
    StocktakeStatus.CLOSED: set(),
}, noun=_l("the stocktake's state"))


class SeenAs(LabelledEnum):
    """What a scanned barcode turned out to be."""

    FOUND = "found"
    MISPLACED = "misplaced"
    OTHER_LIBRARY = "other_library"
    WITHDRAWN = "withdrawn"
    ON_LOAN = "on_loan"
    AWAY = "away"
    UNKNOWN = "unknown"


SeenAs.__labels__ = {
    "found": _l("Found on the shelf"),
    "misplaced": _l("Outside this stocktake's shelves"),
    "other_library": _l("Belongs to another library"),
    "withdrawn": _l("Withdrawn copy"),
    "on_loan": _l("On loan: the loan was never returned"),
    "away": _l("Recorded as in transit or in rotation"),
    "unknown": _l("No copy has this barcode"),
}


class Stocktake(db.Model):
    """One count of an institution's shelves (or part of them), from opening to the signed report."""

    __tablename__ = "stocktakes"

    id = sa.Column(sa.Integer, primary_key=True)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True)
    name = sa.Column(NFCText(200), nullable=False)
    #: Scope; all empty = the whole institution.
    location = sa.Column(NFCText(120), nullable=False, default="")
    shelf_from = sa.Column(NFCText(120), nullable=False, default="")
    shelf_to = sa.Column(NFCText(120), nullable=False, default="")
    call_from = sa.Column(NFCText(120), nullable=False, default="")
    call_to = sa.Column(NFCText(120), nullable=False, default="")
    status = sa.Column(enum_column_type(StocktakeStatus), nullable=False, default=StocktakeStatus.OPEN)
    expected_count = sa.Column(sa.Integer, nullable=False, default=0)
    #: The live figures, kept by each scan in its own transaction (``recount`` gives them from the entries).
    n_not_seen = sa.Column(sa.Integer, nullable=False, default=0)
    n_found = sa.Column(sa.Integer, nullable=False, default=0)
    n_misplaced = sa.Column(sa.Integer, nullable=False, default=0)
    n_other_library = sa.Column(sa.Integer, nullable=False, default=0)
    n_withdrawn = sa.Column(sa.Integer, nullable=False, default=0)
    n_on_loan = sa.Column(sa.Integer, nullable=False, default=0)
    n_away = sa.Column(sa.Integer, nullable=False, default=0)
    n_unknown = sa.Column(sa.Integer, nullable=False, default=0)
    n_twice = sa.Column(sa.Integer, nullable=False, default=0)
    n_scans = sa.Column(sa.Integer, nullable=False, default=0)
    opened_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    opened_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    closed_at = sa.Column(UTCDateTime)
    closed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    institution = relationship("Institution")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])

    @property
    def scope_text(self):
        parts = []
        if self.location:
            parts.append(str(_l("location “%(text)s”", text=self.location)))
        if self.shelf_from or self.shelf_to:
            parts.append(str(_l("shelves %(start)s – %(end)s", start=self.shelf_from or "…",
                                end=self.shelf_to or "…")))
        if self.call_from or self.call_to:
            parts.append(str(_l("call numbers %(start)s – %(end)s", start=self.call_from or "…",
                                end=self.call_to or "…")))
        return "; ".join(parts) or str(_l("the whole collection"))


class StocktakeEntry(db.Model):
    """A barcode of a stocktake: expected at the opening, scanned since, or both."""

    __tablename__ = "stocktake_entries"

    id = sa.Column(sa.Integer, primary_key=True)
    stocktake_id = sa.Column(sa.Integer, sa.ForeignKey("stocktakes.id", ondelete="CASCADE"), nullable=False)
    barcode = sa.Column(sa.String(40), nullable=False)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"), index=True)
    expected = sa.Column(sa.Boolean, nullable=False, default=False)
    #: Judged at the latest scan; empty while the barcode has not been scanned.
    seen_as = sa.Column(enum_column_type(SeenAs))
    scans = sa.Column(sa.Integer, nullable=False, default=0)
    first_seen_at = sa.Column(UTCDateTime)
    last_seen_at = sa.Column(UTCDateTime)
    first_seen_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    #: Withdrawn as lost when the stocktake was closed.
    withdrawn = sa.Column(sa.Boolean, nullable=False, default=False)

    item = relationship("Item")

    __table_args__ = (sa.UniqueConstraint("stocktake_id", "barcode"),
                      sa.Index("ix_stocktake_entries_stocktake_seen", "stocktake_id", "seen_as", "scans"))


# -- scope ------------------------------------------------------------------------------------------

def _key(text):
    return fold(text or "").upper()


def _in_range(value, start, end):
    key = _key(value)
    if start and key < _key(start):
        return False
    # the upper bound is a prefix: everything that begins with it is inside
    return not end or key <= _key(end) or key.startswith(_key(end))


def in_scope(stocktake, shelf, call_number):
    """Whether a copy standing on ``shelf`` with ``call_number`` belongs to the stocktake's scope."""
    if stocktake.location and not _key(shelf).startswith(_key(stocktake.location)):
        return False
    if (stocktake.shelf_from or stocktake.shelf_to) and not _in_range(shelf, stocktake.shelf_from,
                                                                       stocktake.shelf_to):
        return False
    if (stocktake.call_from or stocktake.call_to) and not _in_range(call_number, stocktake.call_from,
                                                                     stocktake.call_to):
        return False
    return True


# -- opening, pausing, closing ------------------------------------------------------------------------

def get_stocktake(stocktake_id, *, actor):
    """A stocktake the actor may see and work on: staff of its institution (cataloguers), never others."""
    stocktake = db.session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound(_l("This stocktake does not exist."))
    require(actor, "catalog.edit", stocktake.institution)
    return stocktake


def open_stocktake(institution, *, actor, name="", location="", shelf_from="", shelf_to="", call_from="",
                   call_to="", at=None):
    """Open a stocktake and take the snapshot of the copies expected on the shelves in its scope."""
    require(actor, "catalog.edit", institution)
    at = at or utcnow()
    values = {k: (clean(v) or "")[:120] for k, v in dict(location=location, shelf_from=shelf_from, shelf_to=shelf_to,
                                                      call_from=call_from, call_to=call_to).items()}
    for low, high, field in (("shelf_from", "shelf_to", "shelf_to"), ("call_from", "call_to", "call_to")):
        if values[low] and values[high] and _key(values[high]) < _key(values[low]):
            raise DomainError(_l("The range ends (%(end)s) before it starts (%(start)s); swap the two values.",
                                 start=values[low], end=values[high]), field=field)
    name = (clean(name) or "")[:200] or str(_l("Stocktake of %(day)s", day=local_today().strftime("%d/%m/%Y")))
    stocktake = Stocktake(institution_id=institution.id, name=name, status=StocktakeStatus.OPEN, opened_at=at,
                          opened_by_id=getattr(actor, "id", None), **values)
    db.session.add(stocktake)
    db.session.flush()
    rows = db.session.execute(sa.select(Item.id, Item.barcode, Item.shelf, Item.call_number).where(
        Item.institution_id == institution.id, Item.status.in_(SHELF_STATUSES))).all()
    expected = [{"stocktake_id": stocktake.id, "barcode": barcode, "item_id": item_id, "expected": True,
                 "scans": 0, "withdrawn": False}
                for item_id, barcode, shelf, call_number in rows if in_scope(stocktake, shelf, call_number)]
    if not expected:
        raise DomainError(_l("No copy of %(name)s on the shelves matches this scope: check the location and the "
                             "ranges, or leave them empty to count the whole collection.", name=institution.name))
    for start in range(0, len(expected), 5000):
        db.session.execute(sa.insert(StocktakeEntry.__table__), expected[start:start + 5000])
    stocktake.expected_count = stocktake.n_not_seen = len(expected)
    db.session.flush()
    return stocktake


def _move(stocktake, status, *, actor):
    require(actor, "catalog.edit", stocktake.institution)
    STOCKTAKE_TRANSITIONS.check(stocktake.status, status)
    stocktake.status = status
    if status == StocktakeStatus.CLOSED:
        stocktake.closed_at = utcnow()
        stocktake.closed_by_id = getattr(actor, "id", None)
    db.session.flush()
    return stocktake


def pause_stocktake(stocktake, *, actor):
    return _move(stocktake, StocktakeStatus.PAUSED, actor=actor)


def resume_stocktake(stocktake, *, actor):
    return _move(stocktake, StocktakeStatus.OPEN, actor=actor)


def close_stocktake(stocktake, *, actor):
    """Stop the count: no more scans; the missing copies can then be withdrawn as lost."""
    return _move(stocktake, StocktakeStatus.CLOSED, actor=actor)


# -- scanning -------------------------------------------------------------------------------------------

@dataclass
class ScanResult:
    barcode: str
    seen_as: SeenAs
    scans: int
    item: Item | None
    expected: bool

    @property
    def repeated(self):
        return self.scans > 1


def judge(stocktake, item):
    """What a scanned copy is, for this stocktake, judged from the copy as it is now."""
    if item is None:
        return SeenAs.UNKNOWN
    if item.institution_id != stocktake.institution_id:
        return SeenAs.OTHER_LIBRARY
    if item.status == ItemStatus.WITHDRAWN:
        return SeenAs.WITHDRAWN
    if item.status == ItemStatus.ON_LOAN:
        return SeenAs.ON_LOAN
    if item.status in (ItemStatus.IN_TRANSIT, ItemStatus.IN_ROTATION):
        return SeenAs.AWAY
    if not in_scope(stocktake, item.shelf, item.call_number):
        return SeenAs.MISPLACED
    return SeenAs.FOUND


def _require_scanning(stocktake):
    if stocktake.status == StocktakeStatus.PAUSED:
        raise Conflict(_l("This stocktake is paused: resume it, then scan again."), code="paused")
    if stocktake.status == StocktakeStatus.CLOSED:
        raise Conflict(_l("This stocktake is closed: no more copies can be scanned into it."), code="closed")


def record_scan(stocktake, barcode, *, actor, at=None, checked=False, tally=None):
    """Count one scan of ``barcode``; returns a ``ScanResult``.

    The barcode's row is locked while it is read and incremented, and the
    figures on the stocktake move by ``n = n + d`` in the same transaction,
    so concurrent scans of the same stocktake all count, exactly once.
    ``checked`` skips the permission and state checks (an upload made them);
    ``tally`` (a dict) collects the figures' changes instead of writing them,
    for the caller to write once.
    """
    if not checked:
        require(actor, "catalog.edit", stocktake.institution)
        _require_scanning(stocktake)
    code = normalise_barcode(barcode)
    if not code:
        raise DomainError(_l("The scan was empty; scan the barcode again."), code="empty")
    if not is_valid_barcode(code):
        raise DomainError(_l("“%(barcode)s” is not a barcode (letters, digits, - . / only); scan the label again.",
                             barcode=code[:60]), code="invalid")
    at = at or utcnow()
    item = db.session.scalar(sa.select(Item).where(Item.barcode == code)
                             .options(joinedload(Item.record), joinedload(Item.institution)))
    seen_as = judge(stocktake, item)
    actor_id = getattr(actor, "id", None)
    table = StocktakeEntry.__table__
    match = sa.and_(table.c.stocktake_id == stocktake.id, table.c.barcode == code)
    # the row is locked (PostgreSQL; SQLite's write lock is already held) so its old state is exact
    before = db.session.execute(sa.select(table.c.seen_as, table.c.scans, table.c.expected).where(match)
                                .with_for_update()).first()
    if before is None:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(table).values(
                    stocktake_id=stocktake.id, barcode=code, item_id=item.id if item else None, expected=False,
                    seen_as=seen_as, scans=1, first_seen_at=at, last_seen_at=at, first_seen_by_id=actor_id,
                    withdrawn=False))
        except sa.exc.IntegrityError:
            # another desk inserted the same barcode a moment ago: count this scan on its row
            before = db.session.execute(sa.select(table.c.seen_as, table.c.scans, table.c.expected).where(match)
                                        .with_for_update()).first()
    delta = {seen_as.value: 1, "scans": 1}
    if before is not None:
        db.session.execute(sa.update(table).where(match).values(
            scans=table.c.scans + 1, seen_as=seen_as, last_seen_at=at,
            first_seen_at=sa.func.coalesce(table.c.first_seen_at, at),
            first_seen_by_id=sa.func.coalesce(table.c.first_seen_by_id, actor_id)))
        old_kind = before.seen_as.value if before.seen_as is not None else "not_seen"
        delta[old_kind] = delta.get(old_kind, 0) - 1
        if before.scans == 1:
            delta["twice"] = 1
    if tally is None:
        _add_to_figures(stocktake, delta)
    else:
        for key, n in delta.items():
            tally[key] = tally.get(key, 0) + n
    scans = before.scans + 1 if before is not None else 1
    expected = bool(before.expected) if before is not None else False
    return ScanResult(barcode=code, seen_as=seen_as, scans=scans, item=item, expected=expected)


def parse_scanner_file(data: bytes):
    """The barcodes of a handheld scanner's file, one a line; blank lines are skipped.

    Refuses the whole file (``DomainError`` naming the lines) when a line is
    not a barcode, so a librarian fixes the file and sends it again and
    nothing is counted twice.
    """
    if not data:
        raise DomainError(_l("The file is empty: export the scanner's barcodes again."), field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_l("The file is larger than %(n)d MB; split it into smaller files.",
                             n=MAX_UPLOAD_BYTES // (1024 * 1024)), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("The file is not plain text (UTF-8): export the scanner's data as a text file with "
                             "one barcode a line."), field="file") from None
    codes, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        code = normalise_barcode(line.split(",")[0].split(";")[0].split("\t")[0])
        if not code:
            continue
        if not is_valid_barcode(code):
            bad.append((number, line.strip()[:40]))
            continue
        codes.append(code)
    if bad:
        shown = "; ".join(str(_l("line %(n)d: “%(text)s”", n=n, text=t)) for n, t in bad[:BAD_LINES_SHOWN])
        more = len(bad) - BAD_LINES_SHOWN
        raise DomainError(_l("%(count)d lines are not barcodes (%(lines)s%(more)s). Correct them and upload the "
                             "file again: nothing of it was counted.", count=len(bad), lines=shown,
                             more=str(_l(" and %(n)d more", n=more)) if more > 0 else ""), field="file")
    if not codes:
        raise DomainError(_l("The file holds no barcode: export the scanner's barcodes again."), field="file")
    if len(codes) > MAX_UPLOAD_LINES:
        raise DomainError(_l("The file holds %(n)d barcodes; at most %(max)d can be sent at once. Split the file.",
                             n=len(codes), max=MAX_UPLOAD_LINES), field="file")
    return codes


def record_upload(stocktake, data: bytes, *, actor, at=None):
    """Count every barcode of a scanner's file, in order; returns how many of each kind (``{SeenAs: n}``)."""
    require(actor, "catalog.edit", stocktake.institution)
    _require_scanning(stocktake)
    codes = parse_scanner_file(data)
    at = at or utcnow()
    from ..audit import bulk
    counts, tally = {}, {}
    with bulk(f"stocktake {stocktake.id} upload of {len(codes)} barcodes"):
        # in barcode order, so two uploads at once lock the rows in the same order (no deadlock on PostgreSQL)
        for code in sorted(codes):
            result = record_scan(stocktake, code, actor=actor, at=at, checked=True, tally=tally)
            counts[result.seen_as] = counts.get(result.seen_as, 0) + 1
        _add_to_figures(stocktake, tally)
    return counts


# -- what the count says -------------------------------------------------------------------------------------

#: The live figures and their columns on ``stocktakes``.
FIGURES = ("not_seen", *(kind.value for kind in SeenAs), "twice", "scans")


def _add_to_figures(stocktake, delta):
    """Move the figures by ``delta`` in the database (``n = n + d``: concurrent scans add up)."""
    table = Stocktake.__table__
    changes = {f"n_{key}": table.c[f"n_{key}"] + n for key, n in delta.items() if n}
    if changes:
        db.session.execute(sa.update(table).where(table.c.id == stocktake.id).values(**changes))


def counts(stocktake):
    """The live figures as the scans left them: one row read, whatever the size of the stocktake."""
    table = Stocktake.__table__
    row = db.session.execute(sa.select(table.c.expected_count, *(table.c[f"n_{key}"] for key in FIGURES))
                             .where(table.c.id == stocktake.id)).one()
    return {"expected": row[0], **dict(zip(FIGURES, row[1:]))}


def _figures_from_entries(execute, stocktake_ids):
    """``{stocktake id: figures}`` counted from the entries, with ``execute`` (a session's or a connection's).

    One pass over the index ``(stocktake_id, seen_as, scans)`` without touching the table: an entry
    not seen yet (``seen_as`` empty) is always an expected one, since a scan creates the others.
    """
    e = StocktakeEntry.__table__
    out = {i: {"not_seen": 0, "twice": 0, "scans": 0, **{kind.value: 0 for kind in SeenAs}} for i in stocktake_ids}
    rows = execute(
        sa.select(e.c.stocktake_id, e.c.seen_as, sa.func.count(), sa.func.sum(sa.case((e.c.scans > 1, 1), else_=0)),
                  sa.func.sum(e.c.scans))
        .where(e.c.stocktake_id.in_(list(stocktake_ids))).group_by(e.c.stocktake_id, e.c.seen_as)).all()
    for stocktake_id, seen_as, n, twice, scans in rows:
        figures = out[stocktake_id]
        if seen_as is None:
            figures["not_seen"] += n
            continue
        figures[seen_as.value] += n
        figures["twice"] += int(twice or 0)
        figures["scans"] += int(scans or 0)
    return out


def recount(stocktake):
    """The live figures counted again from the entries (the truth ``counts`` must agree with)."""
    return {"expected": stocktake.expected_count,
            **_figures_from_entries(db.session.execute, [stocktake.id])[stocktake.id]}


def _disagreements(execute):
    table = Stocktake.__table__
    kept = {row.id: row for row in execute(sa.select(table).order_by(table.c.id)).all()}
    truth = _figures_from_entries(execute, list(kept)) if kept else {}
    out = []
    for stocktake_id, row in kept.items():
        wrong = {key: (getattr(row, f"n_{key}"), truth[stocktake_id][key]) for key in FIGURES
                 if getattr(row, f"n_{key}") != truth[stocktake_id][key]}
        if wrong:
            out.append((row, wrong, truth[stocktake_id]))
    return out


def figure_problems():
    """``flask check``: stocktakes whose kept figures disagree with their entries.

    It reads on a connection of its own, closed at the end, so the check never holds SQLite's write lock.
    """
    with db.engine.connect() as connection:
        found = _disagreements(connection.execute)
    return [f"stocktake {row.id} ({row.name}): figures "
            + ", ".join(f"{key} {kept} ≠ {true}" for key, (kept, true) in wrong.items())
            + "; --repair counts them again" for row, wrong, _truth in found]


def repair_figures():
    """Set every stocktake's figures to what its entries say (the command commits)."""
    table = Stocktake.__table__
    found = _disagreements(db.session.execute)
    for row, _wrong, truth in found:
        db.session.execute(sa.update(table).where(table.c.id == row.id)
                           .values(**{f"n_{key}": truth[key] for key in FIGURES}))
    return f"{len(found)} stocktakes counted again"


def entries(stocktake, *, kinds=None, twice=False, limit=None):
    """Scanned entries (of ``kinds``, or seen more than once), latest first, with their copies."""
    query = sa.select(StocktakeEntry).where(StocktakeEntry.stocktake_id == stocktake.id,
                                            StocktakeEntry.scans > (1 if twice else 0))
    if kinds:
        query = query.where(StocktakeEntry.seen_as.in_(list(kinds)))
    query = query.options(joinedload(StocktakeEntry.item).joinedload(Item.record),
                          joinedload(StocktakeEntry.item).joinedload(Item.institution))
    query = query.order_by(StocktakeEntry.last_seen_at.desc(), StocktakeEntry.id.desc())
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


#: Kinds shown as "seen but belonging elsewhere".
ELSEWHERE = (SeenAs.MISPLACED, SeenAs.OTHER_LIBRARY, SeenAs.WITHDRAWN, SeenAs.ON_LOAN, SeenAs.AWAY, SeenAs.UNKNOWN)


def missing(stocktake, *, limit=None):
    """Copies expected and never seen that still stand on a shelf status (shelf, call number order).

    A copy lent or sent away since the opening is accounted for and left out;
    one withdrawn by this stocktake stays in the list, marked, for the report
    (after the others, so a page showing the first ones shows those to decide on).
    """
    e = StocktakeEntry
    query = (sa.select(e).join(Item, Item.id == e.item_id)
             .where(e.stocktake_id == stocktake.id, e.expected.is_(True), e.scans == 0,
                    sa.or_(Item.status.in_(SHELF_STATUSES), e.withdrawn.is_(True)))
             .options(contains_eager(e.item).joinedload(Item.record))
             .order_by(e.withdrawn, Item.shelf, Item.call_number, Item.barcode))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def withdraw_missing(stocktake, item_ids, *, actor, date=None):
    """Withdraw the ticked missing copies as lost, through the catalogue's withdrawal; returns them.

    Only copies this closed stocktake lists as missing can be withdrawn here;
    anything else is refused and nothing is withdrawn.
    """
    from .services import withdraw_item
    require(actor, "catalog.edit", stocktake.institution)
    if stocktake.status != StocktakeStatus.CLOSED:
        raise Conflict(_l("Close the stocktake first: copies are withdrawn as lost only once the count is over."))
    wanted = {int(i) for i in item_ids}
    if not wanted:
        raise DomainError(_l("Tick the missing copies to withdraw as lost."), field="items")
    found = {entry.item_id: entry for entry in missing(stocktake) if not entry.withdrawn}
    strangers = wanted - set(found)
    if strangers:
        raise DomainError(_l("%(n)d of the ticked copies are not missing in this stocktake (found since, or "
                             "already withdrawn); reload the page and tick again.", n=len(strangers)), field="items")
    date = date or local_today()
    note = str(_l("Lost: not found in the stocktake “%(name)s”", name=stocktake.name))
    done = []
    for item_id in sorted(wanted):
        entry = found[item_id]
        withdraw_item(entry.item, actor=actor, reason=WithdrawalReason.LOST, date=date, note=note)
        entry.withdrawn = True
        done.append(entry.item)
    db.session.flush()
    return done


def stocktakes_for(actor):
    """The latest stocktakes of the institutions the actor may count, newest first."""
    query = sa.select(Stocktake).options(joinedload(Stocktake.institution)).order_by(
        Stocktake.opened_at.desc(), Stocktake.id.desc()).limit(200)
    return [s for s in db.session.scalars(query) if actor.can("catalog.edit", s.institution)]
