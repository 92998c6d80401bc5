"""Indicators registered by the tests, over real tables: the copies of the catalogue and a visits log.

The domains register the real indicators; these small ones follow the same
contract (aggregate SQL per institution, ``series``, ``drilldown``,
``breakdowns``, activity lists) so the pages, drill-down, reports and cache
are tested on real SQLite data.
"""
import datetime as dt

import pytest
import sqlalchemy as sa

from ilms.catalog import services as catalog
from ilms.catalog.models import ACQUIRING_SOURCES, Item
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.extensions import db
from ilms.signals import data_changed
from ilms.stats import registry

LIBRARIES = frozenset({"provincial_library", "district_library"})

#: A stand-in for circulation's visits: one row per identified visit.
META = sa.MetaData()
VISITS = sa.Table("test_visits", META,
                  sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("institution_id", sa.Integer, nullable=False, index=True),
                  sa.Column("day", sa.Date, nullable=False, index=True),
                  sa.Column("reader_key", sa.String(24), nullable=False),
                  sa.Column("patron_id", sa.Integer))
DISPLAYS = sa.Table("test_displays", META,
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("institution_id", sa.Integer, nullable=False),
                    sa.Column("start", sa.Date, nullable=False),
                    sa.Column("title", sa.String(200), nullable=False))


def _copies_added_filter(period, ids):
    return (Item.institution_id.in_(list(ids)), Item.accessioned >= period.start, Item.accessioned <= period.end,
            Item.source.in_(ACQUIRING_SOURCES))


def copies_added(period, ids):
    rows = db.session.execute(sa.select(Item.institution_id, sa.func.count(Item.id))
                              .where(*_copies_added_filter(period, ids)).group_by(Item.institution_id))
    return {inst: count for inst, count in rows}


def copies_added_series(period, ids):
    year, month = sa.extract("year", Item.accessioned), sa.extract("month", Item.accessioned)
    rows = db.session.execute(sa.select(Item.institution_id, year, month, sa.func.count(Item.id))
                              .where(*_copies_added_filter(period, ids)).group_by(Item.institution_id, year, month))
    return {(inst, f"{int(y):04d}-{int(m):02d}"): count for inst, y, m, count in rows}


def copies_added_drilldown(period, ids):
    return (sa.select(Item.barcode.label("barcode"), Item.institution_id.label("institution_id"),
                      Item.accessioned.label("accessioned"), Item.source.label("source"),
                      Item.price.label("price"))
            .where(*_copies_added_filter(period, ids)).order_by(Item.accessioned, Item.barcode))


def copies_by_source(period, ids):
    rows = db.session.execute(sa.select(Item.source, sa.func.count(Item.id))
                              .where(*_copies_added_filter(period, ids)).group_by(Item.source))
    return {source.value: count for source, count in rows}


def holdings(period, ids):
    rows = db.session.execute(sa.select(Item.institution_id, sa.func.count(Item.id)).where(
        Item.institution_id.in_(list(ids)), Item.accessioned <= period.end,
        sa.or_(Item.withdrawn_on.is_(None), Item.withdrawn_on > period.end)).group_by(Item.institution_id))
    return {inst: count for inst, count in rows}


def visits(period, ids):
    rows = db.session.execute(sa.select(VISITS.c.institution_id, sa.func.count()).where(
        VISITS.c.institution_id.in_(list(ids)), VISITS.c.day.between(period.start, period.end))
        .group_by(VISITS.c.institution_id))
    return {inst: count for inst, count in rows}


def visits_drilldown(period, ids):
    return (sa.select(VISITS.c.day.label("day"), VISITS.c.institution_id.label("institution_id"),
                      VISITS.c.reader_key.label("reader_key"), VISITS.c.patron_id.label("patron_id"))
            .where(VISITS.c.institution_id.in_(list(ids)), VISITS.c.day.between(period.start, period.end))
            .order_by(VISITS.c.day, VISITS.c.id))


def displays(period, ids):
    return (sa.select(DISPLAYS.c.start.label("start"), DISPLAYS.c.institution_id.label("institution_id"),
                      DISPLAYS.c.title.label("title"))
            .where(DISPLAYS.c.institution_id.in_(list(ids)), DISPLAYS.c.start.between(period.start, period.end))
            .order_by(DISPLAYS.c.start))


def make_indicators():
    return {
        "LIB.COPIES_ADDED": registry.Indicator(
            code="LIB.COPIES_ADDED", name_vi="Bản sách bổ sung", name_en="Copies acquired", kinds=LIBRARIES,
            compute=copies_added, series=copies_added_series, drilldown=copies_added_drilldown,
            breakdowns={"source": copies_by_source}),
        "LIB.HOLDINGS": registry.Indicator(
            code="LIB.HOLDINGS", name_vi="Vốn tài liệu cuối kỳ", name_en="Holdings at period end",
            kinds=LIBRARIES, compute=holdings),
        "LIB.VISITS": registry.Indicator(
            code="LIB.VISITS", name_vi="Lượt bạn đọc", name_en="Reader visits", kinds=LIBRARIES,
            compute=visits, drilldown=visits_drilldown),
    }


@pytest.fixture
def indicators(app, monkeypatch):
    """Only the tests' indicators and activity list are registered while the test runs."""
    META.create_all(db.engine)
    made = make_indicators()
    monkeypatch.setattr(registry, "_REGISTRY", dict(made))
    monkeypatch.setattr(registry, "_ACTIVITY_LISTS", {})
    registry.register_activity_list(registry.ActivityList(
        key="displays", title_vi="Trưng bày, giới thiệu sách", title_en="Book displays", kinds=LIBRARIES,
        rows=displays))
    return made


class Data:
    """Writes operational rows the way a domain's service would: then it sends ``data_changed``."""

    def __init__(self):
        self.record = None

    def copies(self, inst, day, count=1, source="purchase"):
        if self.record is None:
            self.record = catalog.create_minimal_record(title="Sách thử thống kê")
        items = []
        while count > 0:   # the service adds at most 1000 at a time
            items += catalog.add_copies(self.record, institution=inst, actor=SYSTEM, source=source,
                                        accessioned=day, count=min(count, 1000))
            count -= 1000
        data_changed.send("catalog", institution_ids=[inst.id])
        db.session.commit()
        return items

    def withdraw(self, item, day):
        item.withdrawn_on = day
        item.withdrawal_reason = "worn"
        db.session.flush()
        data_changed.send("catalog", institution_ids=[item.institution_id])
        db.session.commit()

    def visits(self, inst, day, count=1, reader="r"):
        db.session.execute(VISITS.insert(), [{"institution_id": inst.id, "day": day,
                                              "reader_key": f"{reader}{n:023d}"[:24], "patron_id": n}
                                             for n in range(count)])
        data_changed.send("circulation", institution_ids=[inst.id])
        db.session.commit()

    def display(self, inst, day, title):
        db.session.execute(DISPLAYS.insert(), [{"institution_id": inst.id, "start": day, "title": title}])
        data_changed.send("events", institution_ids=[inst.id])
        db.session.commit()


@pytest.fixture
def data(indicators):
    return Data()


@pytest.fixture
def province(app, factories):
    """A small network: the provincial library, two district libraries, a museum."""
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    a = factories.institution("TVH-A", parent=tvt, name="Thư viện huyện A")
    b = factories.institution("TVH-B", parent=tvt, name="Thư viện huyện B")
    museum = factories.institution("BTT", kind="museum", name="Bảo tàng tỉnh")
    return {"TVT": tvt, "TVH-A": a, "TVH-B": b, "BTT": museum}


def year(y):
    return Period.year(y)


def day(y, m, d):
    return dt.date(y, m, d)
