"""LIB.VISITS, LIB.LOANS, LIB.RENEWALS and LIB.ACTIVE_READERS: the edge cases of the definitions."""
import datetime as dt

import pytest
import sqlalchemy as sa

from ilms.circulation import services as circ
from ilms.circulation.models import Loan, Visit
from ilms.common.time import UTC, Period, local_datetime
from ilms.extensions import db
from ilms.patrons.cli import anonymise
from ilms.stats import registry
from ilms.stats.services import indicator_document
from tests.circulation.conftest import at

DAY = dt.date(2024, 4, 8)     # a Monday
YEAR = Period.year(2024)


def value(code, period, institution):
    return registry.get(code).compute(period, [institution.id]).get(institution.id, 0)


def test_check_in_borrow_and_return_on_one_day_is_one_visit(app, net, reader, copy):
    patron, first, second = reader(), copy(), copy()
    circ.check_in_visit(patron, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8))
    circ.checkout(patron, first, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8, 5))
    circ.checkout(patron, second, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8, 6))
    circ.check_in(first, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 16))
    db.session.commit()
    assert value("LIB.VISITS", YEAR, net.tvt) == 1
    assert value("LIB.LOANS", YEAR, net.tvt) == 2
    assert value("LIB.ACTIVE_READERS", YEAR, net.tvt) == 1
    # Coming back the next day to return the other book is a second visit.
    circ.check_in(second, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=1), 9))
    assert value("LIB.VISITS", YEAR, net.tvt) == 2
    assert value("LIB.ACTIVE_READERS", YEAR, net.tvt) == 1


def test_two_libraries_on_one_day_are_two_visits_but_one_active_reader(app, net, reader, copy):
    patron = reader()
    circ.check_in_visit(patron, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8))
    circ.checkout(patron, copy(net.td), institution=net.td, actor=net.desk_td, at=at(DAY, 15))
    db.session.commit()
    assert value("LIB.VISITS", YEAR, net.tvt) == 1 and value("LIB.VISITS", YEAR, net.td) == 1
    document = indicator_document(YEAR)
    groups = {(g["indicator"], g["group"]): g["value"] for g in document["groups"]}
    figures = {(f["indicator"], f["institution"]): f["value"] for f in document["figures"]}
    assert figures[("LIB.VISITS", "TVT")] == 1 and figures[("LIB.VISITS", "TVH-TD")] == 1
    assert registry.get("LIB.VISITS").compute(YEAR, [net.tvt.id, net.td.id]) == {net.tvt.id: 1, net.td.id: 1}
    assert registry.get("LIB.ACTIVE_READERS").group(YEAR, [net.tvt.id, net.td.id]) == 1
    assert groups[("LIB.ACTIVE_READERS", "district_library")] == 1


def test_a_return_counts_for_the_loans_reader_where_the_copy_came_back(app, net, reader, copy):
    patron, item = reader(), copy(net.td)
    circ.checkout(patron, item, institution=net.td, actor=net.desk_td, at=at(DAY))
    circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=3)))
    db.session.commit()
    assert value("LIB.VISITS", YEAR, net.td) == 1 and value("LIB.VISITS", YEAR, net.tvt) == 1
    assert value("LIB.LOANS", YEAR, net.td) == 1 and value("LIB.LOANS", YEAR, net.tvt) == 0
    assert value("LIB.ACTIVE_READERS", YEAR, net.tvt) == 1


def test_00_30_on_new_years_day_belongs_to_the_new_year(app, net, reader, copy):
    patron = reader()
    instant = local_datetime(dt.date(2025, 1, 1), dt.time(0, 30))
    assert instant == dt.datetime(2024, 12, 31, 17, 30, tzinfo=UTC)
    circ.check_in_visit(patron, institution=net.tvt, actor=net.desk_tvt, at=instant)
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=instant)
    late = reader()
    circ.check_in_visit(late, institution=net.tvt, actor=net.desk_tvt,
                        at=local_datetime(dt.date(2024, 12, 31), dt.time(23, 30)))
    db.session.commit()
    for code, in_2024, in_2025 in (("LIB.VISITS", 1, 1), ("LIB.LOANS", 0, 1), ("LIB.ACTIVE_READERS", 1, 1)):
        assert value(code, Period.year(2024), net.tvt) == in_2024, code
        assert value(code, Period.year(2025), net.tvt) == in_2025, code
    series = registry.get("LIB.LOANS").series(Period(dt.date(2024, 12, 1), dt.date(2025, 1, 31)), [net.tvt.id])
    assert series == {(net.tvt.id, "2025-01"): 1}
    visits = registry.get("LIB.VISITS").series(Period(dt.date(2024, 12, 1), dt.date(2025, 1, 31)), [net.tvt.id])
    assert visits == {(net.tvt.id, "2024-12"): 1, (net.tvt.id, "2025-01"): 1}


def test_renewals_are_not_visits_and_voided_loans_count_nowhere(app, net, reader, copy):
    patron, kept, mistaken = reader(), copy(), copy()
    loan = circ.checkout(patron, kept, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.renew(loan, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=15)))     # by telephone, another day
    wrong = circ.checkout(reader(), mistaken, institution=net.tvt, actor=net.desk_tvt,
                          at=at(DAY + dt.timedelta(days=2)))
    circ.renew(wrong, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=16)))
    circ.void_loan(wrong, actor=net.desk_tvt)
    db.session.commit()
    assert value("LIB.VISITS", YEAR, net.tvt) == 1
    assert value("LIB.LOANS", YEAR, net.tvt) == 1
    assert value("LIB.RENEWALS", YEAR, net.tvt) == 1
    assert value("LIB.ACTIVE_READERS", YEAR, net.tvt) == 1
    assert registry.get("LIB.RENEWALS").series(YEAR, [net.tvt.id]) == {(net.tvt.id, "2024-04"): 1}


def test_tallies_add_anonymous_visitors_and_paper_loans(app, net, reader):
    circ.check_in_visit(reader(), institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.add_tally(institution=net.tvt, date=DAY, kind="visits", count=25, actor=net.desk_tvt)
    circ.add_tally(institution=net.tvt, date=DAY, kind="visits", count=5, actor=net.desk_tvt)
    circ.add_tally(institution=net.tvt, date=DAY, kind="loans", count=7, actor=net.desk_tvt)
    circ.add_tally(institution=net.td, date=DAY, kind="visits", count=3, actor=net.desk_td)
    db.session.commit()
    assert value("LIB.VISITS", YEAR, net.tvt) == 31 and value("LIB.VISITS", YEAR, net.td) == 3
    assert value("LIB.LOANS", YEAR, net.tvt) == 7
    assert value("LIB.ACTIVE_READERS", YEAR, net.tvt) == 1
    with pytest.raises(Exception, match="whole number"):
        circ.add_tally(institution=net.tvt, date=DAY, kind="visits", count=-1, actor=net.desk_tvt)


def test_drilldowns_name_no_reader(app, net, reader, copy):
    patron = reader(name="Sùng A Chứ")
    item = copy(title="Cây lúa nương")
    loan = circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.renew(loan, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=15)))
    db.session.commit()
    for code in ("LIB.VISITS", "LIB.LOANS", "LIB.RENEWALS", "LIB.ACTIVE_READERS"):
        rows = db.session.execute(registry.get(code).drilldown(YEAR, [net.tvt.id])).mappings().all()
        assert len(rows) == 1, code
        text = " ".join(str(v) for v in rows[0].values())
        assert "Sùng A Chứ" not in text and patron.barcode not in text, code
    loans = db.session.execute(registry.get("LIB.LOANS").drilldown(YEAR, [net.tvt.id])).mappings().one()
    assert loans["title"] == "Cây lúa nương" and loans["institution_id"] == net.tvt.id
    assert loans["barcode"] == item.barcode


def test_anonymising_changes_no_figure(app, net, reader, copy, runner):
    readers = [reader() for _ in range(3)]
    for n, patron in enumerate(readers):
        day = DAY + dt.timedelta(days=n)
        item = copy(net.td if n == 2 else None)
        circ.check_in_visit(patron, institution=net.tvt, actor=net.desk_tvt, at=at(day, 8))
        loan = circ.checkout(patron, item, institution=net.td if n == 2 else net.tvt,
                             actor=net.desk_td if n == 2 else net.desk_tvt, at=at(day, 9))
        circ.renew(loan, actor=net.desk_tvt if n != 2 else net.desk_td, at=at(day + dt.timedelta(days=15)))
        circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(day + dt.timedelta(days=20)))
    still_out = copy()
    circ.checkout(readers[0], still_out, institution=net.tvt, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=30)))
    db.session.commit()
    codes = ("LIB.VISITS", "LIB.LOANS", "LIB.RENEWALS", "LIB.ACTIVE_READERS")
    ids = [net.tvt.id, net.td.id]

    def figures():
        out = {"document": indicator_document(YEAR)}
        for code in codes:
            indicator = registry.get(code)
            out[code] = (indicator.compute(YEAR, ids), indicator.series(YEAR, ids),
                         indicator.group(YEAR, ids) if indicator.group else None)
        return out

    before = figures()
    assert before["LIB.VISITS"][0] == {net.tvt.id: 7, net.td.id: 1}
    result = runner.invoke(args=["privacy", "anonymise", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "circulation.loans: 3" in result.output and "circulation.visits: 3" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.patron_id.is_not(None))) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.patron_id.is_not(None))) == 0
    assert figures() == before
    # The loan still open keeps its reader; running again detaches nothing more.
    again = anonymise(30)
    assert {k: v for k, v in again.items() if k.startswith("circulation.")} == {
        "circulation.holds": 0, "circulation.loans": 0, "circulation.notices": 0, "circulation.visits": 0}
    assert sum(again.values()) == 0


def test_privacy_command_needs_a_number_of_days(app, runner):
    result = runner.invoke(args=["privacy", "anonymise"])
    assert result.exit_code == 2 and "--days" in result.output and "Traceback" not in result.output


def test_privacy_setting_gives_the_default_days(app_factory, factories):
    configured = app_factory(ANONYMISE_AFTER_DAYS=365)
    with configured.app_context():
        result = configured.test_cli_runner().invoke(args=["privacy", "anonymise"])
        assert result.exit_code == 0, result.output
        assert "365 day(s)" in result.output
        db.session.remove()


def test_the_indicator_pages_open_every_desk_figure_without_naming_readers(app, net, reader, copy, factories):
    from tests.conftest import login
    patron = reader(name="Sùng A Chứ")
    item = copy(title="Cây lúa nương")
    circ.check_in_visit(patron, institution=net.tvt, actor=net.desk_tvt, at=at(DAY, 8))
    loan = circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(DAY))
    circ.renew(loan, actor=net.desk_tvt, at=at(DAY + dt.timedelta(days=15)))
    db.session.commit()
    factories.user("sep.tinh", role="manager")
    client = app.test_client()
    login(client, "sep.tinh")
    assert client.get("/stats/?year=2024").status_code == 200
    for code in ("LIB.VISITS", "LIB.LOANS", "LIB.RENEWALS", "LIB.ACTIVE_READERS"):
        page = client.get(f"/stats/records/{code}?year=2024").get_data(as_text=True)
        assert "TVT" in page, code
        assert "Sùng A Chứ" not in page and patron.barcode not in page, code
    loans = client.get("/stats/records/LIB.LOANS?year=2024").get_data(as_text=True)
    assert "Cây lúa nương" in loans and item.barcode in loans
