"""Enums stored as strings, and state machines with one transition table each."""
from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .errors import DomainError, InvalidTransition


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a translatable label.

    Subclasses define ``__labels__ = {member_value: lazy label}``.
    """

    @property
    def label(self):
        return self.__labels__.get(self.value, self.value)

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]

    def __str__(self):
        return self.value


def enum_value(enum_cls, value, field):
    """``value`` as a member of ``enum_cls`` (a member passes through), or a ``DomainError`` on ``field``
    that lists the values allowed (forms, imports and the API give the same answer)."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise DomainError(_l("Unknown value “%(value)s”; use one of: %(allowed)s.", value=value, allowed=allowed),
                          field=field) from None


def enum_column_type(enum_cls, length=32):
    """Column type for a ``LabelledEnum``: stored as its value, checked in Python.

    No CHECK constraint, so adding a member later needs no table rebuild.
    """
    return sa.Enum(
        enum_cls, native_enum=False, create_constraint=False, length=length,
        values_callable=lambda e: [m.value for m in e], validate_strings=True,
    )


class Transitions:
    """The one table of allowed state changes for a stateful model.

    ``Transitions({A: {B, C}, B: {C}})``; ``check(current, target)`` raises
    ``InvalidTransition`` with a readable message when the edge is missing.
    """

    def __init__(self, table, *, noun=None):
        self.table = {state: frozenset(targets) for state, targets in table.items()}
        self.noun = noun

    def allowed(self, current, target) -> bool:
        return target in self.table.get(current, ())

    def targets(self, current):
        return sorted(self.table.get(current, ()), key=lambda s: s.value)

    def check(self, current, target):
        if not self.allowed(current, target):
            raise InvalidTransition(
                _l("Cannot change %(noun)s from “%(current)s” to “%(target)s”.",
                   noun=self.noun or _l("the state"),
                   current=getattr(current, "label", current),
                   target=getattr(target, "label", target)),
                code="invalid_transition",
            )
