"""One row per change: who, when, what, from where. Never read by the indicators."""
import json

import sqlalchemy as sa

from ..common.dbtypes import UTCDateTime
from ..common.time import utcnow
from ..extensions import db


class AuditEntry(db.Model):
    """A write to one record, or the summary of a bulk job (``action == "bulk"``).

    ``changes`` is JSON: for an insert the new values, for a delete the old
    ones, for an update ``{column: [old, new]}``; for a bulk job the number of
    rows per table and action. Secret columns (password and token hashes) are
    never stored, only the fact that they changed. ``user_id`` has no foreign
    key on purpose: the trail outlives the accounts it mentions, and
    ``actor`` keeps the name.
    """

    __tablename__ = "audit_entries"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    user_id = sa.Column(sa.Integer, index=True)
    actor = sa.Column(sa.String(64), nullable=False, index=True)
    action = sa.Column(sa.String(10), nullable=False)
    table_name = sa.Column(sa.String(64), nullable=False)
    record_id = sa.Column(sa.String(64), nullable=False, default="")
    changes = sa.Column(sa.Text, nullable=False, default="{}")
    summary = sa.Column(sa.String(300), nullable=False, default="")
    source = sa.Column(sa.String(200), nullable=False, default="")
    address = sa.Column(sa.String(64), nullable=False, default="")

    __table_args__ = (sa.Index("ix_audit_entries_table_record", "table_name", "record_id"),)

    def changes_dict(self):
        try:
            value = json.loads(self.changes or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def __repr__(self):
        return f"<AuditEntry {self.action} {self.table_name}#{self.record_id} by {self.actor}>"
