"""The audit trail follows the privacy rules: old entries lose what links them to a reader.

``flask privacy anonymise`` (``common.privacy.anonymisers``) detaches readers
from their history after the retention period. The trail must not keep the
link the other tables lose, so its anonymiser rewrites entries older than
the cutoff: every value of a reader's own record (``patrons``), and every
``patron_id`` elsewhere (a loan, a visit, a session), become ``[removed]``.
Who did what and when stays.
"""
import json

import sqlalchemy as sa

from ..extensions import db
from .models import AuditEntry

REMOVED = "[removed]"
#: Tables whose rows are a person's own data: all their values are removed.
PERSONAL_TABLES = {"patrons"}
#: Columns that point at a person, in any table.
PERSONAL_COLUMNS = {"patron_id"}


def mark_personal_table(name):
    PERSONAL_TABLES.add(name)


def mark_personal_column(name):
    PERSONAL_COLUMNS.add(name)


def _scrub(entry):
    changes = entry.changes_dict()
    if entry.table_name in PERSONAL_TABLES:
        names = [name for name in changes if name != "rows"]
    else:
        names = [name for name in changes if name in PERSONAL_COLUMNS]
    changed = False
    for name in names:
        value = changes[name]
        new = [REMOVED, REMOVED] if isinstance(value, list) else REMOVED
        if value != new:
            changes[name] = new
            changed = True
    if changed:
        entry.changes = json.dumps(changes, ensure_ascii=False, sort_keys=True)
    return changed


def anonymise_audit(cutoff):
    """Remove reader data from entries made before ``cutoff``; return how many entries changed."""
    mentions = [AuditEntry.changes.like(f'%"{name}"%') for name in sorted(PERSONAL_COLUMNS)]
    stmt = (sa.select(AuditEntry)
            .where(AuditEntry.at < cutoff, AuditEntry.action != "bulk",
                   sa.or_(AuditEntry.table_name.in_(sorted(PERSONAL_TABLES)), *mentions))
            .order_by(AuditEntry.id))
    changed = 0
    for entry in db.session.scalars(stmt):
        changed += _scrub(entry)
    db.session.flush()
    return changed
