"""The reader-days table that LIB.VISITS and LIB.ACTIVE_READERS read: kept by the database, checked, repaired.

Every step goes through the real services (or plain SQL, as an import
script might), and after each one the table must equal the union of the
visit sources that define it, and the figures must follow.
"""
import datetime as dt

import sqlalchemy as sa

from ilms.circulation import services as circ
from ilms.circulation.models import Loan, Visit
from ilms.common.permissions import SYSTEM
from ilms.common.privacy import reader_key
from ilms.common.time import Period, utcnow
from ilms.extensions import db
from ilms.internet import services as net_services
from ilms.maintenance.checks import run_checks
from ilms.patrons.cli import anonymise
from ilms.stats import reader_days, registry
from ilms.stats.engine import Engine
from ilms.stats.models import ReaderDay, ReaderYear
from tests.circulation.conftest import at

DAY = dt.date(2024, 4, 8)
YEAR = Period.year(2024)


def stored():
    return {(r.reader_key, r.institution_id, r.day, r.events) for r in db.session.scalars(sa.select(ReaderDay))}


def consistent():
    db.session.commit()
    assert reader_days.problems() == []


def figure(code, institution):
    return registry.get(code).compute(YEAR, [institution.id]).get(institution.id, 0)


def test_every_desk_operation_keeps_the_table_equal_to_its_definition(app, net, reader, copy):
    lan, pao = reader(), reader()
    first, second = copy(), copy(net.td)
    circ.check_in_visit(lan, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8))
    consistent()
    assert stored() == {(reader_key(lan.id), net.tvt.id, DAY, 1)}
    # Borrowing on the same day is the same visit: one row, two events behind it.
    loan = circ.checkout(lan, first, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8, 5))
    consistent()
    assert stored() == {(reader_key(lan.id), net.tvt.id, DAY, 2)}
    # Returned at another library two days later: a visit there.
    circ.check_in(first, institution=net.td, actor=net.desk_td, at=at(DAY + dt.timedelta(days=2), 10))
    consistent()
    assert (reader_key(lan.id), net.td.id, DAY + dt.timedelta(days=2), 1) in stored()
    assert figure("LIB.VISITS", net.td) == 1 and figure("LIB.VISITS", net.tvt) == 1
    # Whole years read the readers-per-year table, other periods the days: both see the same reader.
    years = {(r.reader_key, r.institution_id, r.year, r.days) for r in db.session.scalars(sa.select(ReaderYear))}
    assert years == {(reader_key(lan.id), net.tvt.id, 2024, 1), (reader_key(lan.id), net.td.id, 2024, 1)}
    readers = registry.get("LIB.ACTIVE_READERS")
    assert readers.group(YEAR, [net.tvt.id, net.td.id]) == 1
    assert readers.group(Period(dt.date(2024, 4, 1), dt.date(2024, 4, 30)), [net.tvt.id, net.td.id]) == 1
    assert readers.compute(Period(dt.date(2024, 4, 10), dt.date(2024, 12, 31)), [net.tvt.id, net.td.id]) \
        == {net.td.id: 1}
    # A loan undone at the desk while still open counts nowhere.
    undone = circ.checkout(lan, second, institution=net.td, actor=net.desk_td, at=at(DAY + dt.timedelta(days=3)))
    consistent()
    assert figure("LIB.VISITS", net.td) == 2
    circ.void_loan(undone, actor=net.desk_td, reason="scanned the wrong card")
    consistent()
    assert figure("LIB.VISITS", net.td) == 1
    # Voiding a returned loan (a correction) takes away its checkout and its return, and leaves the check-in.
    db.session.execute(sa.update(Loan).where(Loan.id == loan.id).values(voided_at=at(DAY + dt.timedelta(days=5))))
    consistent()
    assert stored() == {(reader_key(lan.id), net.tvt.id, DAY, 1)}
    assert figure("LIB.VISITS", net.td) == 0
    visit = db.session.scalar(sa.select(Visit))
    circ.void_visit(visit, actor=net.desk_tvt)
    consistent()
    assert stored() == set() and figure("LIB.VISITS", net.tvt) == 0
    # 23:30 local on 31 December is still 2024; 00:30 on 1 January is 2025.
    circ.checkout(pao, second, institution=net.td, actor=net.desk_td, at=at(dt.date(2024, 12, 31), 23, 30))
    circ.check_in_visit(pao, institution=net.td, actor=net.desk_td, at=at(dt.date(2025, 1, 1), 0, 30))
    consistent()
    months = {(r.day, r.month) for r in db.session.scalars(sa.select(ReaderDay))}
    assert months == {(dt.date(2024, 12, 31), 202412), (dt.date(2025, 1, 1), 202501)}
    assert registry.get("LIB.VISITS").series(Period(dt.date(2024, 12, 1), dt.date(2025, 1, 31)), [net.td.id]) \
        == {(net.td.id, "2024-12"): 1, (net.td.id, "2025-01"): 1}
    # The pages' monthly chart of a group counts a reader seen at two of its libraries in a month once.
    circ.check_in_visit(lan, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 12, 2), 9))
    circ.check_in_visit(lan, institution=net.td, actor=net.desk_td, at=at(dt.date(2024, 12, 3), 9))
    db.session.commit()
    readers, ids = registry.get("LIB.ACTIVE_READERS"), [net.tvt.id, net.td.id]
    assert readers.group(Period.month(2024, 12), ids) == 2     # Lan and Páo
    chart = dict(Engine(cached=False).monthly(readers, YEAR, ids))
    assert chart["2024-12"] == 2 and chart["2024-04"] == 0      # not 3: Lan counts once in December


def test_internet_sessions_by_readers_count_and_guests_and_voided_ones_do_not(app, net, reader):
    lan = reader()
    station = net_services.create_station(actor=SYSTEM, institution=net.td, code="TD-PC1",
                                          in_service_from=dt.date(2020, 1, 1))
    net_services.record_session(actor=SYSTEM, station=station, patron=lan, start=at(DAY, 8), end=at(DAY, 9))
    net_services.record_session(actor=SYSTEM, station=station, patron=None, start=at(DAY, 10), end=at(DAY, 11))
    wrong = net_services.record_session(actor=SYSTEM, station=station, patron=lan,
                                        start=at(DAY + dt.timedelta(days=1), 8), end=at(DAY + dt.timedelta(days=1), 9))
    consistent()
    assert len(stored()) == 2
    net_services.void_session(wrong, actor=SYSTEM, reason="wrong reader")
    consistent()
    assert stored() == {(reader_key(lan.id), net.td.id, DAY, 1)}
    assert figure("LIB.ACTIVE_READERS", net.td) == 1


def test_anonymising_keeps_the_rows_and_plain_sql_writes_are_counted_too(app, net, reader, copy):
    lan = reader()
    item = copy()
    circ.checkout(lan, item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2020, 3, 2)))
    circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2020, 3, 9)))
    db.session.commit()
    before = stored()
    assert anonymise(30, now=utcnow())["circulation.loans"] == 1
    assert db.session.scalar(sa.select(Loan.patron_id)) is None
    consistent()
    assert stored() == before
    # A row written by hand (a script, a restore) is counted by the database itself.
    db.session.execute(sa.insert(Visit).values(reader_key="R-SCRIPT", institution_id=net.td.id,
                                               at=at(DAY, 9)))
    consistent()
    assert ("R-SCRIPT", net.td.id, DAY, 1) in stored()


def test_check_finds_a_lost_trigger_and_a_drifted_table_and_repair_mends_both(app, net, reader, copy):
    lan = reader()
    circ.check_in_visit(lan, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8))
    db.session.commit()
    assert [p for p in run_checks(echo=lambda *_: None) if p[0] == "reader visits table"] == []
    # As a careless table rebuild would: the insert trigger of visits is gone, and a row is lost.
    dialect = db.engine.dialect.name
    db.session.execute(sa.text("DROP TRIGGER trg_visits_reader_days_insert"
                               + (" ON visits" if dialect == "postgresql" else "")))
    db.session.execute(sa.delete(ReaderDay))
    circ.check_in_visit(lan, institution=net.td, actor=net.desk_td, at=at(DAY, 9))
    db.session.commit()
    found = [p for name, p in run_checks(echo=lambda *_: None) if name == "reader visits table"]
    assert any("trg_visits_reader_days_insert" in p for p in found)
    assert any("2 (reader, institution, day) missing" in p for p in found)
    assert figure("LIB.VISITS", net.tvt) == 0          # what the drift costs until repaired
    messages = []
    assert [p for p in run_checks(repair=True, echo=messages.append) if p[0] == "reader visits table"] == []
    assert any(m.startswith("REPAIR reader visits table") for m in messages)
    assert figure("LIB.VISITS", net.tvt) == 1 and figure("LIB.VISITS", net.td) == 1
    # The trigger is back: the next visit counts without another repair.
    circ.check_in_visit(lan, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=1), 8))
    consistent()
    assert figure("LIB.VISITS", net.tvt) == 2
