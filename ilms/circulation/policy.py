"""The rule matrix, desk settings and closed days: loan periods, limits, due dates that fall on open days."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from ..common.errors import Conflict, DomainError, NotFound
from ..common.permissions import require
from ..common.text import clean
from ..extensions import db
from .models import CirculationSettings, ClosedDay, LoanRule

#: The network's rules when nobody has written any: three weeks, five books, two renewals.
DEFAULT_RULE = dict(loan_days=21, max_loans=5, max_renewals=2, holds_allowed=True)
#: Built-in differences by reader category (children borrow fewer books for two weeks).
DEFAULT_BY_CATEGORY = {"child": dict(loan_days=14, max_loans=3)}
DEFAULT_SETTINGS = dict(closed_weekdays="7", hold_pickup_days=7, overdue_block_days=0, fines_enabled=False,
                        fine_per_day=1000, fine_max=None)
#: How far a due date may be pushed over closed days before we give up (a year of closures is a data error).
MAX_CLOSED_RUN = 366


@dataclass(frozen=True)
class Rule:
    loan_days: int
    max_loans: int
    max_renewals: int
    holds_allowed: bool
    material_type: str | None = None     # the rule is about this material type only
    source: str = "default"              # "default" or the LoanRule id, for the screen


@dataclass(frozen=True)
class Settings:
    closed_weekdays: str
    hold_pickup_days: int
    overdue_block_days: int | None
    fines_enabled: bool
    fine_per_day: int
    fine_max: int | None

    def closed_weekday(self, day: dt.date) -> bool:
        return str(day.isoweekday()) in (self.closed_weekdays or "")


def _memo(key, compute):
    """Remember a lookup for the rest of the web request (a desk scan asks several times); elsewhere
    (imports, commands, tests that change rules as they go) always read afresh."""
    if not has_request_context():
        return compute()
    memo = g.setdefault("circulation_policy", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _forget():
    if has_request_context():
        g.pop("circulation_policy", None)


def _value(enum_or_str):
    return getattr(enum_or_str, "value", enum_or_str)


def rule_for(institution_id, category, material_type) -> Rule:
    """The most specific rule for a loan at ``institution_id`` to a reader of ``category`` of a
    ``material_type`` copy (institution beats category beats material type)."""
    category, material_type = _value(category), _value(material_type)
    return _memo(("rule", institution_id, category, material_type),
                 lambda: _rule_for(institution_id, category, material_type))


def _rule_for(institution_id, category, material_type):
    rows = db.session.scalars(sa.select(LoanRule).where(
        sa.or_(LoanRule.institution_id == institution_id, LoanRule.institution_id.is_(None)),
        sa.or_(LoanRule.category == category, LoanRule.category.is_(None)),
        sa.or_(LoanRule.material_type == material_type, LoanRule.material_type.is_(None)))).all()
    if rows:
        best = max(rows, key=lambda r: (r.institution_id is not None, r.category is not None,
                                        r.material_type is not None))
        return Rule(best.loan_days, best.max_loans, best.max_renewals, best.holds_allowed,
                    material_type=best.material_type, source=str(best.id))
    values = dict(DEFAULT_RULE, **DEFAULT_BY_CATEGORY.get(category, {}))
    return Rule(**values)


def settings_for(institution_id) -> Settings:
    return _memo(("settings", institution_id), lambda: _settings_for(institution_id))


def _settings_for(institution_id):
    rows = {row.institution_id: row for row in db.session.scalars(sa.select(CirculationSettings).where(
        sa.or_(CirculationSettings.institution_id == institution_id,
               CirculationSettings.institution_id.is_(None))))}
    row = rows.get(institution_id) or rows.get(None)
    if row is None:
        return Settings(**DEFAULT_SETTINGS)
    return Settings(closed_weekdays=row.closed_weekdays, hold_pickup_days=row.hold_pickup_days,
                    overdue_block_days=row.overdue_block_days, fines_enabled=row.fines_enabled,
                    fine_per_day=row.fine_per_day, fine_max=row.fine_max)


def closed_dates(institution_id, start: dt.date, end: dt.date) -> set:
    return _memo(("closed", institution_id, start, end), lambda: _closed_dates(institution_id, start, end))


def _closed_dates(institution_id, start, end):
    return set(db.session.scalars(sa.select(ClosedDay.date).where(
        ClosedDay.date >= start, ClosedDay.date <= end,
        sa.or_(ClosedDay.institution_id == institution_id, ClosedDay.institution_id.is_(None)))))


def next_open_day(institution_id, day: dt.date, settings: Settings | None = None) -> dt.date:
    """``day`` itself when the institution is open then, else the first open day after it."""
    settings = settings or settings_for(institution_id)
    if len(settings.closed_weekdays or "") >= 7 and all(str(d) in settings.closed_weekdays for d in range(1, 8)):
        raise DomainError(_l("The library is set as closed on every day of the week; fix its opening days."))
    closed = closed_dates(institution_id, day, day + dt.timedelta(days=MAX_CLOSED_RUN))
    for _ in range(MAX_CLOSED_RUN):
        if day not in closed and not settings.closed_weekday(day):
            return day
        day += dt.timedelta(days=1)
    raise DomainError(_l("No open day within a year after %(date)s; check the closed days.",
                         date=day.strftime("%d/%m/%Y")))


def due_date(institution_id, start: dt.date, loan_days: int, settings: Settings | None = None) -> dt.date:
    return next_open_day(institution_id, start + dt.timedelta(days=loan_days), settings)


# -- editing rules (librarians of the institution; network defaults: administrators) -------

def _rule_scope(actor, institution):
    if institution is None:
        require(actor, "org.edit")          # network-wide defaults: administrators
    else:
        require(actor, "circulation.rules", institution)


def save_rule(*, actor, institution=None, category=None, material_type=None, loan_days, max_loans,
              max_renewals, holds_allowed=True, rule=None):
    _rule_scope(actor, institution if rule is None else rule.institution)
    if rule is not None and (institution.id if institution else None) != rule.institution_id:
        _rule_scope(actor, institution)
    for name, label, value, top in (("loan_days", _l("The loan period"), loan_days, 365),
                                    ("max_loans", _l("The most items on loan"), max_loans, 100),
                                    ("max_renewals", _l("The most renewals"), max_renewals, 20)):
        if value is None or not (0 <= int(value) <= top):
            raise DomainError(_l("%(field)s must be between 0 and %(top)d.", field=label, top=top), field=name)
    category, material_type = category or None, material_type or None
    clash = db.session.scalar(sa.select(LoanRule.id).where(
        (LoanRule.institution_id == institution.id) if institution else LoanRule.institution_id.is_(None),
        (LoanRule.category == category) if category else LoanRule.category.is_(None),
        (LoanRule.material_type == material_type) if material_type else LoanRule.material_type.is_(None),
        LoanRule.id != (rule.id if rule else -1)))
    if clash:
        raise Conflict(_l("A rule for this institution, reader category and material type already exists; "
                          "edit that one."))
    if rule is None:
        rule = LoanRule()
        db.session.add(rule)
    rule.institution_id = institution.id if institution else None
    rule.category, rule.material_type = category, material_type
    rule.loan_days, rule.max_loans, rule.max_renewals = int(loan_days), int(max_loans), int(max_renewals)
    rule.holds_allowed = bool(holds_allowed)
    _forget()
    db.session.flush()
    return rule


def delete_rule(rule, *, actor):
    _rule_scope(actor, rule.institution)
    db.session.delete(rule)
    db.session.flush()
    _forget()


def get_rule(rule_id):
    rule = db.session.get(LoanRule, rule_id)
    if rule is None:
        raise NotFound(_l("This rule does not exist."))
    return rule


def save_settings(*, actor, institution=None, **values):
    _rule_scope(actor, institution)
    row = db.session.scalar(sa.select(CirculationSettings).where(
        (CirculationSettings.institution_id == institution.id) if institution
        else CirculationSettings.institution_id.is_(None)))
    if row is None:
        row = CirculationSettings(institution_id=institution.id if institution else None, **DEFAULT_SETTINGS)
        db.session.add(row)
    weekdays = "".join(sorted(set(str(values.get("closed_weekdays", row.closed_weekdays) or ""))))
    if any(ch not in "1234567" for ch in weekdays):
        raise DomainError(_l("Closed weekdays are digits 1 (Monday) to 7 (Sunday)."), field="closed_weekdays")
    if len(weekdays) == 7:
        raise DomainError(_l("A library cannot be closed on every day of the week."), field="closed_weekdays")
    row.closed_weekdays = weekdays
    if "hold_pickup_days" in values:
        value = int(values["hold_pickup_days"] or 0)
        if not 1 <= value <= 60:
            raise DomainError(_l("Give readers 1 to 60 days to collect a hold."), field="hold_pickup_days")
        row.hold_pickup_days = value
    if "fine_per_day" in values:
        value = int(values["fine_per_day"] or 0)
        if value < 0:
            raise DomainError(_l("A fine cannot be negative."), field="fine_per_day")
        row.fine_per_day = value
    for key in ("overdue_block_days", "fine_max"):
        if key in values:
            value = values[key]
            value = None if value in (None, "") else int(value)
            if value is not None and value < 0:
                raise DomainError(_l("Days and amounts cannot be negative."), field=key)
            setattr(row, key, value)
    if "fines_enabled" in values:
        row.fines_enabled = bool(values["fines_enabled"])
    _forget()
    db.session.flush()
    return row


def add_closed_day(*, actor, date, name="", institution=None):
    _rule_scope(actor, institution)
    clash = db.session.scalar(sa.select(ClosedDay.id).where(
        ClosedDay.date == date,
        (ClosedDay.institution_id == institution.id) if institution else ClosedDay.institution_id.is_(None)))
    if clash:
        raise Conflict(_l("%(date)s is already a closed day.", date=date.strftime("%d/%m/%Y")), field="date")
    day = ClosedDay(date=date, name=clean(name or ""), institution_id=institution.id if institution else None)
    db.session.add(day)
    _forget()
    db.session.flush()
    return day


def delete_closed_day(day, *, actor):
    _rule_scope(actor, day.institution)
    db.session.delete(day)
    db.session.flush()
    _forget()


def national_holidays(year):
    """Vietnam's public holidays of ``year`` from the data file (Tết follows the lunar calendar,
    so only years listed there are known)."""
    import csv
    from pathlib import Path
    path = Path(__file__).with_name("data") / "holidays_vn.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [(dt.date.fromisoformat(r["date"]), r["name"]) for r in csv.DictReader(fh)]
    return [(day, name) for day, name in rows if day.year == year]


def load_national_holidays(*, actor, year):
    """Add the year's public holidays as network-wide closed days (those already there are kept)."""
    holidays = national_holidays(year)
    if not holidays:
        raise DomainError(_l("ILMS does not know the public holidays of %(year)d yet (Tết follows the lunar "
                             "calendar); add them one by one.", year=year), field="year")
    _rule_scope(actor, None)
    existing = set(db.session.scalars(sa.select(ClosedDay.date).where(ClosedDay.institution_id.is_(None))))
    added = 0
    for day, name in holidays:
        if day not in existing:
            db.session.add(ClosedDay(date=day, name=name, institution_id=None))
            added += 1
    db.session.flush()
    _forget()
    return added
