"""Column types that keep the storage rules: UTC instants, NFC text, byte-ordered sort keys."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from .text import clean, clean_long
from .time import UTC


class UTCDateTime(TypeDecorator):
    """An instant: stored as naive UTC, returned timezone-aware in UTC.

    Naive datetimes are refused on the way in, so local wall-clock times
    can never be stored by mistake.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class NFCText(TypeDecorator):
    """Text stored in Unicode NFC, trimmed, whatever form it arrived in."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return clean(value) if isinstance(value, str) else value


class NFCLongText(TypeDecorator):
    """Long text (notes, descriptions) in NFC; line breaks are kept."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return clean_long(value) if isinstance(value, str) else value


class SortKey(TypeDecorator):
    """A key from ``text.sort_key``: compared byte by byte on every database.

    PostgreSQL gets the "C" collation; SQLite compares bytes by default.
    """

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.String(self.impl.length, collation="C"))
        return dialect.type_descriptor(sa.String(self.impl.length))


class TextSearchVector(TypeDecorator):
    """PostgreSQL's ``tsvector``; plain text elsewhere (the table exists on SQLite but stays empty there)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TSVECTOR
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(sa.Text())
