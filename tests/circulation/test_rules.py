"""Every policy rule of the desk: loan periods, limits, renewals, holds allowed, closed days, cards, blocks."""
import datetime as dt

import pytest

from ilms.catalog import services as catalog
from ilms.catalog.models import ItemStatus, MaterialType
from ilms.circulation import policy
from ilms.circulation import services as circ
from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.patrons import services as patrons
from tests.circulation.conftest import at

MONDAY = dt.date(2024, 3, 4)


def test_default_rule_lends_for_three_weeks_and_children_two(app, net, reader, copy):
    adult, child = reader(), reader(category="child")
    loan = circ.checkout(adult, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert loan.due_date == MONDAY + dt.timedelta(days=21)
    kid_loan = circ.checkout(child, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert kid_loan.due_date == MONDAY + dt.timedelta(days=14)
    assert loan.item.status == ItemStatus.ON_LOAN


def test_due_date_on_a_sunday_moves_to_monday(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=6, max_loans=5, max_renewals=1)
    loan = circ.checkout(reader(), copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert MONDAY + dt.timedelta(days=6) == dt.date(2024, 3, 10)          # a Sunday
    assert loan.due_date == dt.date(2024, 3, 11)


def test_due_date_skips_public_holidays_and_the_sunday_after(app, net, reader, copy):
    # Tết 2024: 8–14 February are closed for the whole network (loaded from the holiday data).
    assert policy.load_national_holidays(actor=net.admin, year=2024) > 0
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=10, max_loans=5, max_renewals=1)
    loan = circ.checkout(reader(), copy(), institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 1, 29)))
    assert loan.due_date == dt.date(2024, 2, 15)    # 8 Feb + the whole Tết week
    # An institution's own closed day only moves its own due dates.
    policy.add_closed_day(actor=net.librarian_tvt, institution=net.tvt, date=dt.date(2024, 2, 15), name="Kiểm kê")
    assert circ.checkout(reader(), copy(), institution=net.tvt, actor=net.desk_tvt,
                         at=at(dt.date(2024, 1, 29))).due_date == dt.date(2024, 2, 16)
    assert policy.due_date(net.td.id, dt.date(2024, 1, 29), 17) == dt.date(2024, 2, 15)


def test_closed_weekdays_are_a_setting(app, net, reader, copy):
    policy.save_settings(actor=net.librarian_tvt, institution=net.tvt, closed_weekdays="67")
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=5, max_loans=5, max_renewals=1)
    loan = circ.checkout(reader(), copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert loan.due_date == dt.date(2024, 3, 11)    # Saturday 9th → Monday 11th
    with pytest.raises(DomainError, match="every day"):
        policy.save_settings(actor=net.librarian_tvt, institution=net.tvt, closed_weekdays="1234567")


def test_limit_on_open_loans_counts_this_library_only(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=14, max_loans=2, max_renewals=1)
    patron = reader()
    for _ in range(2):
        circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    third = copy()
    with pytest.raises(Conflict, match=r"already has 2 item\(s\) on loan here, the most allowed \(2\)") as refused:
        circ.checkout(patron, third, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert refused.value.code == "over_limit"
    assert third.status == ItemStatus.AVAILABLE
    # The district library keeps its own count (default rule: 5).
    circ.checkout(patron, copy(net.td), institution=net.td, actor=net.desk_td, at=at(MONDAY))


def test_most_specific_rule_wins(app, net, reader, copy):
    policy.save_rule(actor=net.admin, institution=None, loan_days=30, max_loans=9, max_renewals=3)
    policy.save_rule(actor=net.admin, institution=None, category="student", loan_days=20, max_loans=9,
                     max_renewals=3)
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, category="student", material_type="video",
                     loan_days=3, max_loans=1, max_renewals=0)
    assert policy.rule_for(net.td.id, "adult", "book").loan_days == 30
    assert policy.rule_for(net.td.id, "student", "book").loan_days == 20
    assert policy.rule_for(net.tvt.id, "student", "book").loan_days == 20
    assert policy.rule_for(net.tvt.id, "student", "video").loan_days == 3
    with pytest.raises(Conflict, match="already exists"):
        policy.save_rule(actor=net.admin, institution=None, category="student", loan_days=1, max_loans=1,
                         max_renewals=1)


def test_material_rule_counts_only_that_material(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, material_type="video", loan_days=3,
                     max_loans=1, max_renewals=0)
    patron = reader()
    video = catalog.create_minimal_record(title="Phim tài liệu Lai Châu")
    video.material_type = MaterialType.VIDEO
    db.session.commit()
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    first = circ.checkout(patron, copy(record=video), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert first.due_date == MONDAY + dt.timedelta(days=3)
    with pytest.raises(Conflict, match="most allowed"):
        circ.checkout(patron, copy(record=video), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))


def test_reading_room_only_material(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, category="child", loan_days=0, max_loans=0,
                     max_renewals=0)
    with pytest.raises(Conflict, match="in the library only") as refused:
        circ.checkout(reader(category="child"), copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert refused.value.code == "not_for_loan"


def test_renewals_extend_from_the_due_date_up_to_the_rule(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, loan_days=14, max_loans=5, max_renewals=2)
    loan = circ.checkout(reader(), copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert loan.due_date == dt.date(2024, 3, 18)
    circ.renew(loan, actor=net.desk_tvt, at=at(MONDAY + dt.timedelta(days=10)))
    assert loan.due_date == dt.date(2024, 4, 1) and loan.renewals == 1
    # Renewed when already overdue: a full period from the day of the renewal.
    circ.renew(loan, actor=net.desk_tvt, at=at(dt.date(2024, 4, 10)))
    assert loan.due_date == dt.date(2024, 4, 24) and loan.renewals == 2
    with pytest.raises(Conflict, match="renewed 2 time") as refused:
        circ.renew(loan, actor=net.desk_tvt, at=at(dt.date(2024, 4, 20)))
    assert refused.value.code == "max_renewals"
    assert [(r.previous_due, r.new_due) for r in loan.renewal_events] == [
        (dt.date(2024, 3, 18), dt.date(2024, 4, 1)), (dt.date(2024, 4, 1), dt.date(2024, 4, 24))]


def test_renewal_refused_when_another_reader_waits(app, net, reader, copy):
    item = copy()
    loan = circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    circ.place_hold(reader(), item.record, pickup=net.tvt, institution=net.tvt, actor=net.desk_tvt,
                    at=at(MONDAY, 11))
    with pytest.raises(Conflict, match="another reader is waiting"):
        circ.renew(loan, actor=net.desk_tvt, at=at(MONDAY + dt.timedelta(days=15)))


def test_holds_allowed_is_a_rule(app, net, reader, copy):
    policy.save_rule(actor=net.librarian_tvt, institution=net.tvt, category="child", loan_days=14, max_loans=3,
                     max_renewals=1, holds_allowed=False)
    item = copy()
    with pytest.raises(Conflict, match="Holds are not taken"):
        circ.place_hold(reader(category="child"), item.record, pickup=net.tvt, institution=net.tvt,
                        actor=net.desk_tvt)
    hold = circ.place_hold(reader(category="child"), item.record, pickup=net.td, institution=net.tvt,
                           actor=net.desk_tvt)
    assert hold.status.value == "waiting"


def test_expired_card_and_card_not_yet_valid_are_refused_until_renewed(app, net, reader, copy):
    patron = reader(card_issued=dt.date(2023, 1, 1), card_expires=dt.date(2023, 12, 31))
    item = copy()
    with pytest.raises(Conflict, match="expired on 31/12/2023") as refused:
        circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert refused.value.code == "card"
    with pytest.raises(Conflict, match="valid only from 01/01/2023"):
        circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2022, 6, 1)))
    # The same card was fine during 2023 (an import is judged at its own time).
    old = circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2023, 6, 1)))
    circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2023, 6, 10)))
    assert old.returned_at is not None
    patrons.renew_card(patron, actor=net.desk_tvt, today=MONDAY)
    assert patron.card_expires == dt.date(2025, 3, 4)
    circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))


def test_a_reader_without_card_dates_may_borrow_on_any_date(app, net, reader, copy):
    patron = reader(card_issued=None, card_expires=None)
    patron.card_issued = patron.card_expires = None
    db.session.commit()
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(1999, 5, 5)))


def test_blocks_stop_borrowing_while_in_force(app, net, reader, copy):
    patron = reader()
    block = patrons.add_block(patron, actor=net.desk_tvt, kind="manual", reason="Làm rách sách",
                              at=at(dt.date(2024, 3, 1)))
    with pytest.raises(Conflict, match="blocked: Blocked by staff \\(Làm rách sách\\)") as refused:
        circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    assert refused.value.code == "blocked"
    # A loan of before the block (an import of paper records) is not refused.
    early = circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 2, 1)))
    circ.check_in(early.item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 2, 10)))
    patrons.lift_block(block, actor=net.desk_tvt, at=at(dt.date(2024, 3, 2)))
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))


def test_lost_card_blocks_and_the_old_card_is_explained_after_replacement(app, net, reader, copy):
    patron = reader()
    old_card = patron.barcode
    patrons.report_card_lost(patron, actor=net.desk_tvt)
    with pytest.raises(Conflict, match="Card reported lost"):
        circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt)
    patrons.replace_card(patron, actor=net.desk_tvt)
    assert patron.barcode != old_card
    with pytest.raises(Conflict, match="was replaced on"):
        patrons.patron_by_barcode(old_card)
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt)


def test_long_overdue_loans_block_new_ones(app, net, reader, copy):
    patron = reader()
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    later = MONDAY + dt.timedelta(days=40)
    with pytest.raises(Conflict, match=r"1 overdue item\(s\)") as refused:
        circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(later))
    assert refused.value.code == "overdue"
    policy.save_settings(actor=net.librarian_tvt, institution=net.tvt, overdue_block_days="")
    circ.checkout(patron, copy(), institution=net.tvt, actor=net.desk_tvt, at=at(later))


def test_item_refusals_say_why(app, net, reader, copy):
    patron, other = reader(), reader()
    lent = copy()
    circ.checkout(other, lent, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    with pytest.raises(Conflict, match="already on loan to another reader, due 25/03/2024") as refused:
        circ.checkout(patron, lent, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY, 10))
    assert refused.value.code == "on_loan"
    assert other.name not in str(refused.value)
    with pytest.raises(Conflict, match="already on loan to this reader"):
        circ.checkout(other, lent, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY, 10))
    withdrawn = copy()
    catalog.set_item_status(withdrawn, ItemStatus.WITHDRAWN)
    with pytest.raises(Conflict, match="Withdrawn") as refused:
        circ.checkout(patron, withdrawn, institution=net.tvt, actor=net.desk_tvt)
    assert refused.value.code == "not_lendable"
    theirs = copy(net.td)
    with pytest.raises(Conflict, match="belongs to Thư viện huyện Tam Đường") as refused:
        circ.checkout(patron, theirs, institution=net.tvt, actor=net.desk_tvt)
    assert refused.value.code == "other_library"


def test_desk_staff_lend_only_at_their_own_desk(app, net, reader, copy):
    with pytest.raises(PermissionDenied):
        circ.checkout(reader(), copy(net.td), institution=net.td, actor=net.desk_tvt)


def test_a_reader_of_another_library_borrows_with_the_same_card(app, net, reader, copy):
    visitor = reader(net.td)
    loan = circ.checkout(visitor, copy(), institution=net.tvt, actor=net.desk_tvt)
    assert loan.institution_id == net.tvt.id and loan.patron.institution_id == net.td.id


def test_undoing_a_loan_puts_the_copy_back(app, net, reader, copy):
    item = copy()
    loan = circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
    circ.void_loan(loan, actor=net.desk_tvt)
    assert loan.voided_at is not None and item.status == ItemStatus.AVAILABLE
    circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
    with pytest.raises(Conflict):
        circ.void_loan(loan, actor=net.desk_tvt)


def test_fines_only_where_a_library_turns_them_on(app, net, reader, copy):
    patron = reader()
    item = copy()
    circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY))
    result = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(MONDAY + dt.timedelta(days=31)))
    assert result.overdue_days == 10 and result.fine is None
    policy.save_settings(actor=net.librarian_tvt, institution=net.tvt, fines_enabled=True, fine_per_day=2000,
                         fine_max=15000)
    circ.checkout(patron, item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 5, 6)))
    result = circ.check_in(item, institution=net.tvt, actor=net.desk_tvt, at=at(dt.date(2024, 6, 3)))
    assert result.overdue_days == 7 and result.fine.amount == 14000
    assert [f.amount for f in circ.unpaid_fines(patron)] == [14000]
    circ.settle_fine(result.fine, actor=net.desk_tvt, how="paid")
    assert circ.unpaid_fines(patron) == []


def test_rules_are_edited_only_by_the_institution_or_administrators(app, net):
    with pytest.raises(PermissionDenied):
        policy.save_rule(actor=net.desk_tvt, institution=net.tvt, loan_days=1, max_loans=1, max_renewals=1)
    with pytest.raises(PermissionDenied):
        policy.save_rule(actor=net.librarian_tvt, institution=net.td, loan_days=1, max_loans=1, max_renewals=1)
    with pytest.raises(PermissionDenied):
        policy.save_rule(actor=net.librarian_tvt, institution=None, loan_days=1, max_loans=1, max_renewals=1)
    with pytest.raises(DomainError, match="between 0 and 365"):
        policy.save_rule(actor=SYSTEM, institution=net.tvt, loan_days=400, max_loans=1, max_renewals=1)
