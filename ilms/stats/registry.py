"""The indicator registry: every figure ILMS reports, declared by the domain that owns its data.

Codes and definitions follow ``shared/spec/indicators.md``. A domain declares
an indicator with ``register(Indicator(...))`` in its own ``indicators.py``;
``stats`` only reads the registry, so nothing imports ``stats``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from ..common.time import Period

#: Every code the specification defines, so a plan file with a typo is caught
#: even before the domain computing that indicator exists.
SPEC_CODES = frozenset({
    "LIB.VISITS", "LIB.LOANS", "LIB.RENEWALS", "LIB.ACTIVE_READERS", "LIB.COPIES_ADDED",
    "LIB.TITLES_ADDED", "LIB.COPIES_WITHDRAWN", "LIB.HOLDINGS", "LIB.PERIODICAL_TITLES",
    "LIB.DISPLAYS", "LIB.INTERNET_CONNECTED",
    "ROT.CRATES_SENT", "ROT.COPIES_SENT", "ROT.POINTS_SERVED", "ROT.POINT_VISITS",
    "ROT.POINT_LOANS", "ROT.COPIES_MISSING",
    "NET.SESSIONS", "NET.HOURS", "NET.USERS", "NET.TRAININGS", "NET.TRAINEES", "NET.STATIONS",
    "MUS.EXHIBITIONS", "MUS.MOBILE_EXHIBITIONS", "MUS.HERITAGE_EVENTS", "MUS.VISITORS",
    "MUS.ARTIFACTS_ADDED",
    "CUL.FESTIVALS", "CUL.FESTIVAL_COMPLIANCE", "CUL.CLUBS", "CUL.ACTIVITIES",
    "TRN.COURSES", "TRN.TRAINEES",
    # Programme 1520/QĐ-TTg (2022)
    "LIB.LLL_SERVICE_SHARE", "MUS.EDU_PROGRAMME_SHARE", "MUS.LEARNING_VISITORS", "MUS.LEARNING_VISITORS_GROWTH",
    "CUL.LLL_SERVICE_SHARE",
    # The Department's follow-up (ilms/stats/indicators/department.py)
    "DEP.INSPECTIONS", "DEP.MEDIA_ITEMS", "DEP.FUNDING", "MUS.SCHOOL_PROGRAMMES", "MUS.PERMANENT_DISPLAYS",
    "DEP.EXCHANGES",
})

PerInstitution = Callable[[Period, Sequence[int]], Mapping[int, float]]
GroupValue = Callable[[Period, Sequence[int]], float]
#: ``series(period, institution_ids) -> {(institution_id, "YYYY-MM"): value}``
Series = Callable[[Period, Sequence[int]], Mapping[tuple, float]]


@dataclass(frozen=True)
class Indicator:
    """One figure of the plan.

    ``compute(period, institution_ids)`` returns ``{institution_id: value}``
    for the institutions given (missing ids count as zero); it must be one
    aggregate query, not a loop over rows. ``group`` computes a group's value
    when it is not the plain sum (``distinct`` figures, shares); ``group_by``
    says whether groups are institution kinds or levels.

    Optional parts, used by the indicator pages and reports:
    ``series`` gives monthly values in one GROUP BY query (otherwise the pages
    call ``compute`` once per month); ``drilldown(period, institution_ids)``
    returns a SQLAlchemy ``Select`` of the records behind the figure, with
    labelled columns and no reader names or card numbers (the page scopes and
    paginates it); ``breakdowns`` maps a name (``source``, ``ethnicity``,
    ``sex``, ``students``...) to ``fn(period, institution_ids) -> {key: value}``.
    """

    code: str
    name_vi: str
    name_en: str
    kinds: frozenset
    compute: PerInstitution
    unit: str = "count"            # count | hours | percent
    group: GroupValue | None = None
    group_by: str = "kind"         # kind | level
    distinct: bool = False
    decimals: int = 0
    series: Series | None = None
    drilldown: Callable | None = None
    breakdowns: Mapping[str, Callable] = field(default_factory=dict)
    definition: str = ""
    #: The figure may have no value (``None``): a change against a year that had none. Such a value
    #: is shown as "–" and judged against no target.
    nullable: bool = False

    def name(self, locale="vi"):
        return self.name_vi if str(locale).startswith("vi") else self.name_en

    def applies_to(self, institution) -> bool:
        return getattr(institution.kind, "value", institution.kind) in self.kinds

    def rounded(self, value):
        if value is None and self.nullable:
            return None
        value = float(value or 0)
        if self.decimals:
            return round(value, self.decimals)
        return int(round(value))


_REGISTRY: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    if indicator.code not in SPEC_CODES:
        raise ValueError(f"{indicator.code} is not an indicator of the specification")
    if indicator.distinct and indicator.group is None:
        raise ValueError(f"{indicator.code} is distinct: it needs a group function")
    _REGISTRY[indicator.code] = indicator
    return indicator


def get(code) -> Indicator | None:
    return _REGISTRY.get(code)


def all_indicators() -> list[Indicator]:
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


# -- identified reader events -------------------------------------------------

#: Where readers are seen: desk check-ins, checkouts, returns (circulation),
#: internet sessions (internet), point desks (rotation). Each source is
#: ``fn(period, institution_ids) -> Select`` of three labelled columns
#: ``reader_key``, ``institution_id``, ``day`` (the local date), restricted to
#: the period and institutions and to non-voided events. LIB.VISITS,
#: ROT.POINT_VISITS and LIB.ACTIVE_READERS count over their union.
_VISIT_SOURCES: dict[str, Callable] = {}


def register_visit_source(name, fn):
    _VISIT_SOURCES[name] = fn
    return fn


def visit_events(period: Period, institution_ids: Sequence[int]):
    """All identified reader events of the period as one UNION ALL subquery (or ``None``)."""
    import sqlalchemy as sa
    selects = [fn(period, institution_ids) for _name, fn in sorted(_VISIT_SOURCES.items())]
    if not selects:
        return None
    return sa.union_all(*selects).subquery("visit_events")


# -- activity lists of the reports ----------------------------------------------

@dataclass(frozen=True)
class ActivityList:
    """A list of activities held in a period, printed in the 6-month and annual reports.

    A domain registers one from its module in ``stats/indicators/`` (for
    example thematic displays, exhibitions, trainings, festivals held).
    ``rows(period, institution_ids)`` returns a SQLAlchemy ``Select`` with
    labelled columns, one row per activity, restricted to the period and the
    institutions, ordered (usually by date); it follows the same column
    conventions as ``Indicator.drilldown`` (an ``institution_id`` column is
    shown as the institution, dates as dd/mm/yyyy, no readers' personal data).
    ``kinds`` are the institution kinds whose reports carry the list.
    """

    key: str
    title_vi: str
    title_en: str
    kinds: frozenset
    rows: Callable
    order: int = 100

    def title(self, locale="vi"):
        return self.title_vi if str(locale).startswith("vi") else self.title_en


_ACTIVITY_LISTS: dict[str, ActivityList] = {}


def register_activity_list(activity_list: ActivityList) -> ActivityList:
    _ACTIVITY_LISTS[activity_list.key] = activity_list
    return activity_list


def activity_lists() -> list[ActivityList]:
    return sorted(_ACTIVITY_LISTS.values(), key=lambda a: (a.order, a.key))
