"""LIB.PERIODICAL_TITLES: newspaper and magazine titles a library takes.

Definition (shared/spec/indicators.md, "Libraries"): distinct serial titles
with a subscription covering at least one day of the period, or with at least
one issue received in it. Choices where the text leaves room:

- "Received in it" is the issue's date of receipt (``received_on``, a local
  date), not the date printed on the issue: a January issue that arrives on
  3 February counts in February.
- A title counts once per institution however many subscriptions, copies or
  issues it has; an issue received without any subscription counts its title.
- The indicator is not marked ``distinct``, so a group's value is the sum over
  its institutions (two district libraries taking Báo Nhân Dân count two).
- Its monthly series is the number of titles taken in each month (a title
  subscribed for the whole year counts in every month), so months do not add
  up to the year.
"""
from __future__ import annotations

import sqlalchemy as sa

from ...acquisitions.models import IssueReceipt, Serial, Subscription
from ...extensions import db
from ...org.models import Institution
from ..engine import months_of
from ..registry import Indicator, register

LIBRARY_KINDS = frozenset({"provincial_library", "district_library", "commune_library"})


def _taken(period, ids):
    """``(institution_id, serial_id, how)`` of every subscription and receipt that makes a title count."""
    ids = list(ids)
    subscribed = (sa.select(Subscription.institution_id.label("institution_id"),
                            Subscription.serial_id.label("serial_id"))
                  .where(Subscription.institution_id.in_(ids), Subscription.start <= period.end,
                         Subscription.end >= period.start))
    received = (sa.select(IssueReceipt.institution_id.label("institution_id"),
                          IssueReceipt.serial_id.label("serial_id"))
                .where(IssueReceipt.institution_id.in_(ids), IssueReceipt.received_on >= period.start,
                       IssueReceipt.received_on <= period.end))
    return sa.union(subscribed, received).subquery("taken")


def titles(period, ids):
    taken = _taken(period, ids)
    rows = db.session.execute(sa.select(taken.c.institution_id, sa.func.count(sa.distinct(taken.c.serial_id)))
                              .group_by(taken.c.institution_id)).all()
    return {inst: float(n) for inst, n in rows}


def titles_series(period, ids):
    """Titles taken in each month: a stock-like figure, one grouped query per month."""
    out = {}
    for key, month in months_of(period):
        for inst, value in titles(month, ids).items():
            out[(inst, key)] = value
    return out


def titles_drilldown(period, ids):
    """One row per institution and title, with the subscription dates or the first and last issue received."""
    ids = list(ids)
    subscribed = (sa.select(Subscription.institution_id.label("institution_id"),
                            Subscription.serial_id.label("serial_id"),
                            sa.literal("subscription").label("kind"),
                            Subscription.start.label("start"), Subscription.end.label("end"),
                            sa.literal(0).label("count"))
                  .where(Subscription.institution_id.in_(ids), Subscription.start <= period.end,
                         Subscription.end >= period.start))
    received = (sa.select(IssueReceipt.institution_id.label("institution_id"),
                          IssueReceipt.serial_id.label("serial_id"),
                          sa.literal("issues").label("kind"),
                          sa.func.min(IssueReceipt.received_on).label("start"),
                          sa.func.max(IssueReceipt.received_on).label("end"),
                          sa.func.count(IssueReceipt.id).label("count"))
                .where(IssueReceipt.institution_id.in_(ids), IssueReceipt.received_on >= period.start,
                       IssueReceipt.received_on <= period.end)
                .group_by(IssueReceipt.institution_id, IssueReceipt.serial_id))
    rows = sa.union_all(subscribed, received).subquery("rows")
    return (sa.select(Institution.code.label("institution"), Serial.title.label("title"),
                      Serial.issn.label("code"), rows.c.kind.label("kind"), rows.c.start.label("start"),
                      rows.c.end.label("end"), rows.c.count.label("count"))
            .join(Serial, Serial.id == rows.c.serial_id).join(Institution, Institution.id == rows.c.institution_id)
            .order_by(Institution.code, Serial.title_key, rows.c.kind))


register(Indicator(
    code="LIB.PERIODICAL_TITLES", name_vi="Số tên báo, tạp chí", name_en="Periodical titles", kinds=LIBRARY_KINDS,
    compute=titles, series=titles_series, drilldown=titles_drilldown,
    definition="Distinct newspaper and magazine titles with a subscription covering at least one day of the "
               "period, or with at least one issue received in it; a group's figure is the sum over its "
               "institutions."))
