"""Reading the audit trail: filtered, newest first, for administrators."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ..common.permissions import require
from ..common.time import end_of_local_day, local_midnight
from ..extensions import db
from .capture import EXCLUDED_TABLES
from .models import AuditEntry

ACTIONS = ("insert", "update", "delete", "bulk")


@dataclass
class AuditFilter:
    """What the trail page may filter on; every value is checked against an allow-list or parsed."""

    actor: str = ""
    table: str = ""
    record: str = ""
    action: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def audited_tables():
    """The tables an entry can name: every table of the models, less the excluded ones."""
    return sorted(name for name in db.metadata.tables if name not in EXCLUDED_TABLES)


def actors():
    """Names that appear in the trail (for the filter's suggestions)."""
    return list(db.session.scalars(sa.select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)))


def query(filters: AuditFilter, *, actor):
    """A select of the entries matching ``filters``, newest first. Needs ``audit.view``."""
    require(actor, "audit.view")
    stmt = sa.select(AuditEntry)
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor == filters.actor)
    if filters.table:
        if filters.table == "*":
            stmt = stmt.where(AuditEntry.action == "bulk")
        else:
            stmt = stmt.where(AuditEntry.table_name == filters.table)
    if filters.record:
        stmt = stmt.where(AuditEntry.record_id == filters.record)
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.start:
        stmt = stmt.where(AuditEntry.at >= local_midnight(filters.start))
    if filters.end:
        stmt = stmt.where(AuditEntry.at < end_of_local_day(filters.end))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


