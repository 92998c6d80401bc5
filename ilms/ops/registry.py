"""Record types of the JSON Lines exchange format (shared/spec/exchange.md).

Each domain registers its types in its own ``exchange.py``: the fields a line
must carry and an ``apply`` function that calls the domain's services (the
same ones the screens call), plus an ``export`` generator for the way back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..common import ethnicity
from ..common.time import parse_date, parse_iso_datetime


class FieldError(ValueError):
    """A field of a line does not have the expected form."""


@dataclass(frozen=True)
class Field:
    """How one field of a line is read: ``parse(raw) -> value`` or ``FieldError``."""

    parse: Callable[[Any], Any]
    required: bool = True
    expected: str = ""


def _text(raw):
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError("expected non-empty text")
    return raw.strip()


def _integer(minimum):
    def parse(raw):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise FieldError("expected a whole number")
        if minimum is not None and raw < minimum:
            raise FieldError(f"expected a number of at least {minimum}")
        return raw
    return parse


def _number(raw):
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise FieldError("expected a number")
    if raw < 0:
        raise FieldError("expected a number of at least 0")
    return raw


def _date(raw):
    if not isinstance(raw, str):
        raise FieldError("expected a date YYYY-MM-DD")
    try:
        return parse_date(raw)
    except ValueError as error:
        raise FieldError(str(error))


def _instant(raw):
    if not isinstance(raw, str):
        raise FieldError("expected a time like 2024-03-02T08:15:00+07:00")
    try:
        return parse_iso_datetime(raw)
    except ValueError as error:
        raise FieldError(str(error))


def _boolean(raw):
    if not isinstance(raw, bool):
        raise FieldError("expected true or false")
    return raw


def _choice(values):
    def parse(raw):
        if raw not in values:
            raise FieldError("expected one of: " + ", ".join(values))
        return raw
    return parse


def _ethnicity(raw):
    group = ethnicity.match(raw) if isinstance(raw, str) else None
    if group is None:
        raise FieldError(f"unknown ethnic group {raw!r}; use the Vietnamese name of one of the 54 groups")
    return group.code


def _list_of(item_field: Field):
    def parse(raw):
        if not isinstance(raw, list):
            raise FieldError("expected a list")
        out = []
        for n, entry in enumerate(raw, start=1):
            try:
                out.append(item_field.parse(entry))
            except FieldError as error:
                raise FieldError(f"item {n}: {error}")
        return out
    return parse


def _object(schema: Mapping[str, Field]):
    def parse(raw):
        if not isinstance(raw, dict):
            raise FieldError("expected an object")
        return parse_fields(raw, schema)
    return parse


def text(required=True):
    return Field(_text, required)


def integer(required=True, minimum=0):
    return Field(_integer(minimum), required)


def number(required=True):
    return Field(_number, required)


def date(required=True):
    return Field(_date, required)


def instant(required=True):
    return Field(_instant, required)


def boolean(required=True):
    return Field(_boolean, required)


def choice(*values, required=True):
    return Field(_choice(values), required)


def ethnic_group(required=True):
    return Field(_ethnicity, required)


def list_of(item: Field, required=True):
    return Field(_list_of(item), required)


def obj(schema: Mapping[str, Field], required=True):
    return Field(_object(schema), required)


def parse_fields(raw: Mapping, schema: Mapping[str, Field]) -> dict:
    """Read every field of ``raw`` by ``schema``; unknown fields are an error (typos lose data)."""
    out = {}
    for name, spec in schema.items():
        if name not in raw or raw[name] is None:
            if spec.required:
                raise FieldError(f"field {name!r} is missing")
            out[name] = None
            continue
        try:
            out[name] = spec.parse(raw[name])
        except FieldError as error:
            raise FieldError(f"field {name!r}: {error}")
    unknown = sorted(set(raw) - set(schema) - {"type", "id"})
    if unknown:
        raise FieldError("unknown field(s): " + ", ".join(repr(u) for u in unknown))
    return out


@dataclass(frozen=True)
class RecordType:
    """One ``type`` of line.

    ``apply(data, ctx)`` makes the change through the domain's services and
    raises ``DomainError`` when a rule refuses it. ``export(period)`` yields
    ``(sort_key, line)`` in sort-key order; keys are ``(phase, time, ...)``:
    phase 0 for reference data (needed before any event), 1 for events in
    time order.
    """

    name: str
    fields: Mapping[str, Field]
    apply: Callable[[dict, Any], Any]
    export: Callable[[Any], Iterable[tuple]] | None = None
    order: int = 100
    description: str = ""
    extra: dict = field(default_factory=dict)


_TYPES: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    _TYPES[record_type.name] = record_type
    return record_type


def get(name) -> RecordType | None:
    return _TYPES.get(name)


def all_types() -> list[RecordType]:
    return sorted(_TYPES.values(), key=lambda t: (t.order, t.name))
