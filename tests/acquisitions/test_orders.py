"""Orders, receiving, funds, donations, transfers and the accession register (issue 5)."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from ilms.acquisitions import services
from ilms.acquisitions.models import OrderStatus
from ilms.catalog.models import AcquisitionSource, Item, ItemStatus
from ilms.common.errors import DomainError, InvalidTransition, PermissionDenied
from ilms.common.time import Period
from ilms.extensions import db
from ilms.stats import registry
from tests.conftest import login, post_form

YEAR = Period.year(2024)


def copies_added(*institutions, period=YEAR):
    found = registry.get("LIB.COPIES_ADDED").compute(period, [i.id for i in institutions])
    return {i.code: found.get(i.id, 0) for i in institutions}


def order_of(lib, *lines, send=True):
    """An order of TVT with ``(record, quantity, unit_price)`` lines on the 2024 fund."""
    order = services.create_order(actor=lib.tvt_librarian, institution=lib.tvt, vendor=lib.vendor,
                                  ordered_on=dt.date(2024, 3, 1))
    for record, quantity, price in lines:
        services.add_line(order, actor=lib.tvt_librarian, record=record, quantity=quantity, unit_price=price,
                          fund=lib.fund)
    if send:
        services.send_order(order, actor=lib.tvt_librarian, on=dt.date(2024, 3, 2))
    db.session.commit()
    return order


def test_partial_receiving_makes_copies_and_moves_the_order_along(lib):
    order = order_of(lib, (lib.kieu, 10, 50_000), (lib.de_men, 4, 80_000))
    kieu_line, de_men_line = order.lines
    items = services.receive(kieu_line, actor=lib.tvt_librarian, count=6, on=dt.date(2024, 3, 20))
    db.session.commit()
    assert order.status == OrderStatus.PARTLY_RECEIVED
    assert (kieu_line.received, kieu_line.outstanding) == (6, 4)
    assert [i.barcode for i in items] == [f"TVT{n:06d}" for n in range(1, 7)]
    assert {(i.source, i.price, i.accessioned, i.institution_id, i.status) for i in items} == {
        (AcquisitionSource.PURCHASE, 50_000, dt.date(2024, 3, 20), lib.tvt.id, ItemStatus.AVAILABLE)}
    assert copies_added(lib.tvt) == {"TVT": 6}

    services.receive(kieu_line, actor=lib.tvt_librarian, count=4, on=dt.date(2024, 4, 2))
    assert order.status == OrderStatus.PARTLY_RECEIVED          # the second line still waits
    services.receive(de_men_line, actor=lib.tvt_librarian, count=4, on=dt.date(2024, 4, 2))
    db.session.commit()
    assert order.status == OrderStatus.RECEIVED and order.closed_on == dt.date(2024, 4, 2)
    assert copies_added(lib.tvt) == {"TVT": 14}
    assert len(services.copies_of_order(order)) == 14


def test_over_receiving_is_refused_and_nothing_is_received(lib):
    order = order_of(lib, (lib.kieu, 5, 50_000))
    line = order.lines[0]
    services.receive(line, actor=lib.tvt_librarian, count=3, on=dt.date(2024, 3, 20))
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.receive(line, actor=lib.tvt_librarian, count=3, on=dt.date(2024, 3, 21))
    db.session.rollback()
    message = str(refused.value.message)
    assert "Truyện Kiều" in message and "2" in message and order.number in message
    assert line.received == 3
    assert db.session.scalar(sa.select(sa.func.count(Item.id))) == 3


def test_a_draft_cannot_be_received_and_a_sent_order_cannot_change_its_lines(lib):
    draft = order_of(lib, (lib.kieu, 2, 10_000), send=False)
    with pytest.raises(DomainError):
        services.receive(draft.lines[0], actor=lib.tvt_librarian, count=1, on=dt.date(2024, 3, 20))
    db.session.rollback()
    sent = order_of(lib, (lib.kieu, 2, 10_000))
    with pytest.raises(DomainError):
        services.add_line(sent, actor=lib.tvt_librarian, record=lib.de_men, quantity=1, unit_price=1, fund=lib.fund)
    with pytest.raises(InvalidTransition):
        services.send_order(sent, actor=lib.tvt_librarian)
    with pytest.raises(DomainError):                                  # an empty order is not sent
        services.send_order(services.create_order(actor=lib.tvt_librarian, institution=lib.tvt,
                                                  vendor=lib.vendor), actor=lib.tvt_librarian)


def test_funds_commit_on_sending_spend_on_receiving_and_cancelling_releases_the_rest(lib):
    def balance():
        return services.fund_balances([lib.fund])[lib.fund.id]

    order = order_of(lib, (lib.kieu, 10, 50_000), (lib.de_men, 5, 100_000), send=False)
    assert balance() == {"allocated": 10_000_000, "committed": 0, "spent": 0, "available": 10_000_000}
    services.send_order(order, actor=lib.tvt_librarian)
    assert balance()["committed"] == 10 * 50_000 + 5 * 100_000
    services.receive(order.lines[0], actor=lib.tvt_librarian, count=4, on=dt.date(2024, 3, 10))
    assert balance() == {"allocated": 10_000_000, "committed": 6 * 50_000 + 500_000, "spent": 4 * 50_000,
                         "available": 10_000_000 - 1_000_000}
    assert [(f.code, n, v) for f, n, v in services.acquired_by_fund([lib.tvt.id], 2024)] == [("NS2024", 4, 200_000)]
    services.cancel_order(order, actor=lib.tvt_librarian)
    db.session.commit()
    assert order.status == OrderStatus.CANCELLED
    assert balance() == {"allocated": 10_000_000, "committed": 0, "spent": 200_000, "available": 9_800_000}
    with pytest.raises(DomainError):
        services.receive(order.lines[1], actor=lib.tvt_librarian, count=1)


def test_a_line_is_paid_by_a_fund_of_the_ordering_library(lib):
    order = order_of(lib, send=False)
    with pytest.raises(DomainError) as refused:
        services.add_line(order, actor=lib.tvt_librarian, record=lib.kieu, quantity=1, unit_price=1,
                          fund=lib.td_fund)
    assert refused.value.field == "fund"


def test_a_transfer_changes_the_owner_and_no_acquisition_figure(lib):
    order = order_of(lib, (lib.kieu, 5, 50_000))
    items = services.receive(order.lines[0], actor=lib.tvt_librarian, count=5, on=dt.date(2024, 3, 20))
    db.session.commit()
    before = copies_added(lib.tvt, lib.td)
    assert before == {"TVT": 5, "TVH-TD": 0}
    transfer = services.transfer_copies(actor=lib.tvt_librarian, from_institution=lib.tvt, to_institution=lib.td,
                                        barcodes=[items[0].barcode, items[1].barcode.lower()],
                                        on=dt.date(2024, 6, 1))
    db.session.commit()
    assert {i.institution_id for i in items[:2]} == {lib.td.id}
    assert len(transfer.copies) == 2
    assert copies_added(lib.tvt, lib.td) == before                     # nobody acquired anything
    holdings = registry.get("LIB.HOLDINGS").compute(YEAR, [lib.tvt.id, lib.td.id])
    assert holdings == {lib.tvt.id: 3, lib.td.id: 2}
    register = services.accession_register(lib.td, 2024)
    assert register["acquired"] == 0 and register["transferred_in"] == 2


def test_a_transfer_with_one_wrong_barcode_moves_nothing(lib):
    order = order_of(lib, (lib.kieu, 2, 50_000))
    items = services.receive(order.lines[0], actor=lib.tvt_librarian, count=2, on=dt.date(2024, 3, 20))
    td_copy = services.record_donation(actor=lib.td_librarian, institution=lib.td, donor=lib.donor,
                                       entries=[(lib.de_men, 1)], on=dt.date(2024, 3, 1)).copies[0].item
    db.session.commit()
    for barcodes, expected in (([items[0].barcode, "NOPE-1"], ("2", "NOPE-1")),
                               ([items[0].barcode, td_copy.barcode], ("2", td_copy.barcode, "TVH-TD"))):
        with pytest.raises(DomainError) as refused:
            services.transfer_copies(actor=lib.tvt_librarian, from_institution=lib.tvt, to_institution=lib.td,
                                     barcodes=barcodes)
        db.session.rollback()
        assert all(part in str(refused.value.message) for part in expected)
        assert db.session.get(Item, items[0].id).institution_id == lib.tvt.id


def test_donations_and_legal_deposit_count_and_print_a_thank_you_letter(app, client, lib):
    donation = services.record_donation(actor=lib.tvt_librarian, institution=lib.tvt, donor=lib.donor,
                                        entries=[(lib.kieu, 3), (lib.de_men, 2)], on=dt.date(2024, 5, 5))
    services.record_donation(actor=lib.tvt_librarian, institution=lib.tvt, donor=lib.donor,
                             entries=[(lib.kieu, 1)], source="legal_deposit", on=dt.date(2024, 5, 6))
    db.session.commit()
    assert {c.item.source for c in donation.copies} == {AcquisitionSource.DONATION}
    assert copies_added(lib.tvt) == {"TVT": 6}
    assert registry.get("LIB.COPIES_ADDED").breakdowns["source"](YEAR, [lib.tvt.id]) == {
        "donation": 5, "legal_deposit": 1}
    login(client, "thuthu.tvt")
    letter = client.get(f"/acquisitions/donations/{donation.id}/letter").get_data(as_text=True)
    assert "Quỹ Sách cho vùng cao" in letter and "Truyện Kiều" in letter and "5" in letter
    other = app.test_client()
    login(other, "thuthu.td")
    assert other.get(f"/acquisitions/donations/{donation.id}/letter").status_code == 403


def test_the_gift_form_reads_titles_and_isbns_and_names_a_bad_line(app, client, lib):
    login(client, "thuthu.tvt")
    url = f"/acquisitions/donations/new?institution={lib.tvt.id}"
    bad = post_form(client, url, {"donor": str(lib.donor.id), "source": "donation", "on": "2024-05-05",
                                  "entries": "9786042000001; 2\nSách mới về bản Mường; lots"})
    assert bad.status_code == 200
    assert "Line 2" in bad.get_data(as_text=True) or "Dòng 2" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Item.id))) == 0
    good = post_form(client, url, {"new_donor": "Ông Lò Văn Pọm", "source": "donation", "on": "2024-05-05",
                                   "entries": "9786042000001; 2\nSách mới về bản Mường; 3"})
    assert good.status_code == 302
    titles = sorted(i.record.title for i in db.session.scalars(sa.select(Item)))
    assert titles == ["Sách mới về bản Mường"] * 3 + ["Truyện Kiều"] * 2


def test_the_printed_register_total_equals_copies_added(app, client, lib):
    order = order_of(lib, (lib.kieu, 7, 50_000))
    services.receive(order.lines[0], actor=lib.tvt_librarian, count=7, on=dt.date(2024, 3, 20))
    services.record_donation(actor=lib.tvt_librarian, institution=lib.tvt, donor=lib.donor,
                             entries=[(lib.de_men, 4)], on=dt.date(2024, 12, 31))
    services.record_donation(actor=lib.tvt_librarian, institution=lib.tvt, donor=lib.donor,
                             entries=[(lib.de_men, 2)], source="legal_deposit", on=dt.date(2024, 8, 8))
    services.record_donation(actor=lib.tvt_librarian, institution=lib.tvt, donor=lib.donor,
                             entries=[(lib.de_men, 9)], on=dt.date(2025, 1, 1))          # next year
    td_gift = services.record_donation(actor=lib.td_librarian, institution=lib.td, donor=lib.donor,
                                       entries=[(lib.kieu, 3)], on=dt.date(2024, 2, 2))
    services.transfer_copies(actor=lib.td_librarian, from_institution=lib.td, to_institution=lib.tvt,
                             barcodes=[c.item.barcode for c in td_gift.copies], on=dt.date(2024, 9, 9))
    db.session.commit()
    login(client, "thuthu.tvt")
    page = client.get(f"/acquisitions/register?institution={lib.tvt.id}&year=2024").get_data(as_text=True)
    printed = int(re.search(r'data-acquired="(\d+)"', page).group(1))
    assert printed == copies_added(lib.tvt)["TVT"] == 7 + 4 + 2
    assert page.count("<tr><td class=\"num\">") == 7 + 4 + 2 + 3               # transfers in are listed too
    assert re.search(r'data-source="transfer"><td>[^<]+</td><td class="num">3<', page)
    result = client.application.test_cli_runner().invoke(args=["acquisitions", "register", "--institution", "TVT",
                                                               "--year", "2024"])
    assert "acquired\t13\t" in result.output


def test_staff_see_and_change_only_their_own_librarys_orders(app, client, lib):
    order = order_of(lib, (lib.kieu, 2, 10_000))
    with pytest.raises(PermissionDenied):
        services.receive(order.lines[0], actor=lib.td_librarian, count=1)
    db.session.rollback()
    login(client, "thuthu.td")
    assert client.get(f"/acquisitions/orders/{order.id}").status_code == 403
    assert client.get(f"/acquisitions/orders/{order.id}/print").status_code == 403
    assert client.get(f"/acquisitions/?institution={lib.tvt.id}").status_code == 403
    assert client.get(f"/acquisitions/funds/{lib.fund.id}").status_code == 403
    response = post_form(client, f"/acquisitions/orders/{order.id}/lines/{order.lines[0].id}/receive",
                         {"line%d-count" % order.lines[0].id: "1", "line%d-on" % order.lines[0].id: "2024-03-03"},
                         page="/acquisitions/")
    assert response.status_code == 403 and order.lines[0].received == 0
    assert order.number not in client.get("/acquisitions/").get_data(as_text=True)
    desk = app.test_client()
    login(desk, "quay.tvt")
    assert desk.get("/acquisitions/").status_code == 403


def test_the_order_pages_from_draft_to_received(app, client, lib):
    login(client, "thuthu.tvt")
    created = post_form(client, "/acquisitions/orders/new", {"vendor": str(lib.vendor.id), "ordered_on": "2024-03-01"})
    assert created.status_code == 302
    order_url = created.headers["Location"]
    found = client.get(order_url + "?find=truyen kieu").get_data(as_text=True)
    assert "Truyện Kiều" in found
    fund = str(lib.fund.id)
    added = post_form(client, order_url + "/lines", {"record": "9786042000001", "quantity": "3",
                                                     "unit_price": "45000", "fund": fund}, page=order_url)
    assert added.status_code == 302
    new_title = post_form(client, order_url + "/lines", {"title": "Tiếng hát then Tày", "author": "Lò Văn Pọm",
                                                         "quantity": "2", "unit_price": "60000", "fund": fund},
                          page=order_url)
    assert new_title.status_code == 302
    bad = post_form(client, order_url + "/lines", {"record": "99999", "quantity": "2", "unit_price": "1",
                                                   "fund": fund}, page=order_url)
    assert bad.status_code == 422 and "99999" in bad.get_data(as_text=True)
    assert post_form(client, order_url + "/send", page=order_url).status_code == 302
    page = client.get(order_url).get_data(as_text=True)
    assert "Tiếng hát then Tày" in page and "Truyện Kiều" in page
    printed = client.get(order_url + "/print").get_data(as_text=True)
    assert "135.000 đ" in printed and "120.000 đ" in printed


def test_the_figure_cache_follows_receipts_transfers_and_subscriptions(app, lib):
    from ilms.stats.engine import Engine
    order = order_of(lib, (lib.kieu, 5, 50_000))
    copies, titles = registry.get("LIB.COPIES_ADDED"), registry.get("LIB.PERIODICAL_TITLES")
    ids = [lib.tvt.id, lib.td.id]
    assert Engine().values(copies, YEAR, ids) == {lib.tvt.id: 0, lib.td.id: 0}          # now in the cache
    assert Engine().values(titles, YEAR, ids) == {lib.tvt.id: 0, lib.td.id: 0}
    items = services.receive(order.lines[0], actor=lib.tvt_librarian, count=5, on=dt.date(2024, 3, 20))
    db.session.commit()
    assert Engine().values(copies, YEAR, ids) == {lib.tvt.id: 5, lib.td.id: 0}
    holdings = registry.get("LIB.HOLDINGS")
    assert Engine().values(holdings, YEAR, ids) == {lib.tvt.id: 5, lib.td.id: 0}
    services.transfer_copies(actor=lib.tvt_librarian, from_institution=lib.tvt, to_institution=lib.td,
                             barcodes=[items[0].barcode], on=dt.date(2024, 4, 1))
    db.session.commit()
    assert Engine().values(holdings, YEAR, ids) == {lib.tvt.id: 4, lib.td.id: 1}
    serial = services.save_serial(actor=lib.td_librarian, title="Báo Lai Châu")
    services.subscribe(actor=lib.td_librarian, institution=lib.td, serial=serial, start=dt.date(2024, 1, 1),
                       end=dt.date(2024, 12, 31))
    db.session.commit()
    assert Engine().values(titles, YEAR, ids) == {lib.tvt.id: 0, lib.td.id: 1}
