"""Ids of imported lines, so importing the same file twice adds nothing."""
import sqlalchemy as sa

from ..common.dbtypes import UTCDateTime
from ..common.time import utcnow
from ..extensions import db


class ImportKey(db.Model):
    __tablename__ = "import_keys"

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(200), nullable=False, unique=True)
    record_type = sa.Column(sa.String(40), nullable=False)
    digest = sa.Column(sa.String(64), nullable=False)   # SHA-256 of the line's content
    imported_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
