"""Periodicals: titles, subscriptions, issue check-in, missing issues, LIB.PERIODICAL_TITLES, exchange lines."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from ilms.acquisitions import services
from ilms.acquisitions.models import Frequency, IssueReceipt, Subscription
from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.common.time import Period, local_today
from ilms.extensions import db
from ilms.stats import registry
from tests.conftest import login, post_form


def titles(period, *institutions):
    found = registry.get("LIB.PERIODICAL_TITLES").compute(period, [i.id for i in institutions])
    return {i.code: found.get(i.id, 0) for i in institutions}


@pytest.fixture
def papers(lib):
    actor = lib.tvt_librarian
    ns = {"nhan_dan": services.save_serial(actor=actor, title="Báo Nhân Dân", issn="08667659"),
          "lai_chau": services.save_serial(actor=actor, title="Báo Lai Châu"),
          "cong_san": services.save_serial(actor=actor, title="Tạp chí Cộng sản", kind="magazine",
                                           frequency="monthly"),
          "dan_toc": services.save_serial(actor=actor, title="Báo Dân tộc và Phát triển", frequency="weekly")}
    db.session.commit()
    return ns


def test_a_subscription_from_july_to_june_counts_in_both_years(lib, papers):
    services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                       start=dt.date(2024, 7, 1), end=dt.date(2025, 6, 30))
    db.session.commit()
    assert titles(Period.year(2024), lib.td) == {"TVH-TD": 1}
    assert titles(Period.year(2025), lib.td) == {"TVH-TD": 1}
    assert titles(Period.year(2023), lib.td) == {"TVH-TD": 0}
    assert titles(Period.year(2026), lib.td) == {"TVH-TD": 0}
    # the first six months of 2024 do not see it; the last day of the term does
    assert titles(Period(dt.date(2024, 1, 1), dt.date(2024, 6, 30)), lib.td) == {"TVH-TD": 0}
    assert titles(Period(dt.date(2025, 6, 30), dt.date(2025, 12, 31)), lib.td) == {"TVH-TD": 1}


def test_an_issue_received_without_a_subscription_counts_its_title(lib, papers):
    services.check_in(actor=lib.tvt_librarian, institution=lib.tvt, serial=papers["lai_chau"],
                      issue_date=dt.date(2024, 12, 30), received_on=dt.date(2024, 12, 31))
    db.session.commit()
    assert titles(Period.year(2024), lib.tvt) == {"TVT": 1}
    # the day of receipt counts, not the date printed on the issue
    services.check_in(actor=lib.tvt_librarian, institution=lib.tvt, serial=papers["cong_san"],
                      issue_date=dt.date(2024, 12, 15), received_on=dt.date(2025, 1, 2))
    db.session.commit()
    assert titles(Period.year(2024), lib.tvt) == {"TVT": 1}
    assert titles(Period.year(2025), lib.tvt) == {"TVT": 1}


def test_a_title_counts_once_per_library_and_once_per_library_in_a_group(lib, papers):
    for inst, librarian in ((lib.tvt, lib.tvt_librarian), (lib.td, lib.td_librarian)):
        services.subscribe(actor=librarian, institution=inst, serial=papers["nhan_dan"],
                           start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30))
        services.subscribe(actor=librarian, institution=inst, serial=papers["nhan_dan"],
                           start=dt.date(2024, 7, 1), end=dt.date(2024, 12, 31), copies=2)
        services.check_in(actor=librarian, institution=inst, serial=papers["nhan_dan"], issue_date=dt.date(2024, 3, 3),
                          received_on=dt.date(2024, 3, 3))
    services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["dan_toc"],
                       start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))          # over before 2024
    db.session.commit()
    assert titles(Period.year(2024), lib.tvt, lib.td, lib.pt) == {"TVT": 1, "TVH-TD": 1, "TVH-PT": 0}
    assert titles(Period.year(2023), lib.td) == {"TVH-TD": 1}
    series = registry.get("LIB.PERIODICAL_TITLES").series(Period.year(2024), [lib.td.id])
    assert series[(lib.td.id, "2024-01")] == 1 and series[(lib.td.id, "2024-12")] == 1
    rows = db.session.execute(registry.get("LIB.PERIODICAL_TITLES").drilldown(Period.year(2024), [lib.td.id])).all()
    assert {(r.institution, r.title, r.kind) for r in rows} == {("TVH-TD", "Báo Nhân Dân", "subscription"),
                                                                ("TVH-TD", "Báo Nhân Dân", "issues")}


def test_subscription_rules(lib, papers):
    services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                       start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    with pytest.raises(Conflict):                                           # overlapping terms
        services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                           start=dt.date(2024, 6, 1), end=dt.date(2025, 5, 31))
    with pytest.raises(DomainError) as backwards:
        services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["lai_chau"],
                           start=dt.date(2024, 6, 1), end=dt.date(2024, 5, 31))
    assert backwards.value.field == "end"
    with pytest.raises(DomainError):                                        # another library's fund
        services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["lai_chau"],
                           start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), fund=lib.fund)
    with pytest.raises(PermissionDenied):
        services.subscribe(actor=lib.td_librarian, institution=lib.tvt, serial=papers["lai_chau"],
                           start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    with pytest.raises(DomainError):
        services.save_serial(actor=lib.td_librarian, title="bao nhan dan")   # same title, other spelling
    with pytest.raises(DomainError):
        services.save_serial(actor=lib.td_librarian, title="Báo mới", issn="1234-56")


def test_the_same_issue_is_checked_in_once(lib, papers):
    services.check_in(actor=lib.td_librarian, institution=lib.td, serial=papers["lai_chau"],
                      issue_date=dt.date(2024, 3, 3), received_on=dt.date(2024, 3, 3))
    with pytest.raises(Conflict) as twice:
        services.check_in(actor=lib.td_librarian, institution=lib.td, serial=papers["lai_chau"],
                          issue_date=dt.date(2024, 3, 3))
    assert "03/03/2024" in str(twice.value.message)


def test_missing_issues_follow_the_frequency(lib, papers):
    daily = services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                               start=dt.date(2024, 3, 1), end=dt.date(2024, 12, 31))
    monthly = services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["cong_san"],
                                 start=dt.date(2024, 1, 15), end=dt.date(2024, 12, 31))
    for day in (1, 2, 4, 5):
        services.check_in(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                          issue_date=dt.date(2024, 3, day), received_on=dt.date(2024, 3, 6))
    services.check_in(actor=lib.td_librarian, institution=lib.td, serial=papers["cong_san"],
                      issue_date=dt.date(2024, 2, 20), received_on=dt.date(2024, 3, 6))
    assert services.missing_issues(daily, until=dt.date(2024, 3, 6)) == [dt.date(2024, 3, 3), dt.date(2024, 3, 6)]
    # expected on the 15th of each month; an issue dated within the month fills it
    assert services.missing_issues(monthly, until=dt.date(2024, 4, 20)) == [dt.date(2024, 1, 15),
                                                                              dt.date(2024, 3, 15),
                                                                              dt.date(2024, 4, 15)]
    assert services.expected_slots(Frequency.WEEKLY, dt.date(2024, 1, 1), dt.date(2024, 1, 31))[-1] == (
        dt.date(2024, 1, 29), dt.date(2024, 2, 4))
    assert services.expected_slots(Frequency.IRREGULAR, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == []


def test_exchange_lines_import_and_export_the_same_periodicals(app, runner, lib, papers, tmp_path):
    lines = [
        {"type": "subscription", "institution": "TVH-TD", "title": "Báo Nhân Dân", "issn": "0866-7659",
         "start": "2024-07-01", "end": "2025-06-30"},
        {"type": "subscription", "institution": "TVH-TD", "title": "Tạp chí Văn nghệ Lai Châu",
         "start": "2024-01-01", "end": "2024-12-31"},
        {"type": "issue_received", "institution": "TVT", "title": "bao lai chau", "date": "2024-05-05"},
    ]
    source = tmp_path / "periodicals.jsonl"
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    first = runner.invoke(args=["ops", "import", str(source)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["ops", "import", str(source)])            # nothing is added twice
    assert again.exit_code == 0, again.output
    assert db.session.scalar(sa.select(sa.func.count(Subscription.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(IssueReceipt.id))) == 1
    assert titles(Period.year(2024), lib.tvt, lib.td) == {"TVT": 1, "TVH-TD": 2}
    exported = runner.invoke(args=["ops", "export", "--from", "2024-01-01", "--to", "2024-12-31"])
    out = [json.loads(line) for line in exported.output.splitlines() if '"subscription"' in line or
           '"issue_received"' in line]
    assert sorted(out, key=json.dumps) == sorted([lines[0], lines[1], {**lines[2], "title": "Báo Lai Châu"}],
                                                 key=json.dumps)


def test_a_bad_periodical_line_imports_nothing_and_names_the_line(app, runner, lib, tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text(
        json.dumps({"type": "subscription", "institution": "TVH-TD", "title": "Báo Nhân Dân",
                    "start": "2024-01-01", "end": "2024-12-31"}, ensure_ascii=False) + "\n" +
        json.dumps({"type": "subscription", "institution": "TVH-TD", "title": "Báo Lai Châu",
                    "start": "2024-07-01", "end": "2024-06-30"}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(args=["ops", "import", str(source)])
    assert result.exit_code != 0
    assert "2:" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Subscription.id))) == 0


def test_the_check_in_page_is_for_the_librarys_own_staff(app, client, lib, papers):
    year = local_today().year
    services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=papers["nhan_dan"],
                       start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    db.session.commit()
    login(client, "thuthu.td")
    url = "/acquisitions/periodicals/check-in"
    response = post_form(client, url, {"serial": str(papers["nhan_dan"].id), "issue_date": "2024-02-02",
                                       "number": "45"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(IssueReceipt.institution_id)) == lib.td.id
    twice = post_form(client, url, {"serial": str(papers["nhan_dan"].id), "issue_date": "2024-02-02",
                                    "number": "45"})
    assert twice.status_code == 200 and "02/02/2024" in twice.get_data(as_text=True)
    other = app.test_client()
    login(other, "thuthu.pt")
    refused = post_form(other, url + f"?institution={lib.td.id}", {"serial": str(papers["nhan_dan"].id),
                                                                    "issue_date": "2024-02-03"}, page=url)
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(IssueReceipt.id))) == 1
