"""Readers: registration, card numbers, Vietnamese name search, cards, blocks, and who may see and change what."""
import datetime as dt

import pytest
from flask_babel import force_locale

from ilms.common.errors import Conflict, DomainError, PermissionDenied
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.patrons import services
from ilms.patrons.models import BlockKind


@pytest.fixture
def libs(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", barcode_prefix="TVT")
    td = factories.institution("TVH-TD", parent=tvt, barcode_prefix="HTD")
    return tvt, td


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def test_card_numbers_follow_the_library_and_never_repeat(app, libs, factories):
    tvt, td = libs
    desk = factories.user(role="desk", institution=tvt)
    first = services.register_patron(actor=desk, institution=tvt, name="Lò Thị Ín")
    second = services.register_patron(actor=desk, institution=tvt, name="Tòng Văn Ơn")
    other = services.register_patron(actor=SYSTEM, institution=td, name="Giàng A Páo")
    assert (first.barcode, second.barcode, other.barcode) == ("BDTVT000001", "BDTVT000002", "BDHTD000001")
    assert first.card_issued is not None and first.card_expires == services.add_years(first.card_issued, 1)
    # A copy already labelled with the next number is skipped, not shared.
    factories.item(tvt, barcode="BDTVT000003")
    assert services.register_patron(actor=desk, institution=tvt, name="Cầm Thị Hoan").barcode == "BDTVT000004"


def test_registration_cleans_and_checks_what_is_typed(app, libs):
    tvt, _td = libs
    patron = services.register_patron(actor=SYSTEM, institution=tvt, name="  Hoa\u0300ng   Thi\u0323 Mai ",
                                      ethnicity="H'Mông", sex="F", birth_year="1999", barcode=" bd-77 ")
    assert patron.name == "Hoàng Thị Mai" and patron.ethnicity == "08" and patron.barcode == "BD-77"
    assert patron.ethnicity_name == "Mông" and patron.name_folded == "hoang thi mai"
    db.session.commit()
    for fields, fragment in [(dict(name=" "), "needs a name"), (dict(name="A", birth_year=1850), "between 1900"),
                             (dict(name="A", ethnicity="Martian"), "54 groups"),
                             (dict(name="A", category="alien"), "category"), (dict(name="A", sex="X"), "F or M"),
                             (dict(name="A", barcode="BD-77"), "already used"),
                             (dict(name="A", barcode="có dấu"), "not a usable card number"),
                             (dict(name="A", card_issued=dt.date(2025, 1, 2), card_expires=dt.date(2025, 1, 1)),
                              "expire before")]:
        with pytest.raises(DomainError, match=fragment):
            services.register_patron(actor=SYSTEM, institution=tvt, **fields)
        db.session.rollback()


def test_name_search_folds_vietnamese_and_stays_within_the_library(app, libs, factories):
    tvt, td = libs
    dao = services.register_patron(actor=SYSTEM, institution=tvt, name="Đặng Thị Đào")
    services.register_patron(actor=SYSTEM, institution=tvt, name="Lò Văn Dương")
    elsewhere = services.register_patron(actor=SYSTEM, institution=td, name="Đào Văn Tuấn")
    db.session.commit()
    desk = factories.user(role="desk", institution=tvt)
    admin = factories.user(role="admin")

    def names(q, actor):
        return [p.name for p in db.session.scalars(services.search_query(q, actor=actor))]

    assert names("dao", desk) == ["Đặng Thị Đào"]
    assert names("ĐÀO", desk) == ["Đặng Thị Đào"]
    assert names("thi dao", desk) == ["Đặng Thị Đào"]
    assert names(dao.barcode.lower(), desk) == ["Đặng Thị Đào"]
    assert names(elsewhere.barcode, desk) == []
    assert names("dao", admin) == ["Đào Văn Tuấn", "Đặng Thị Đào"]       # Vietnamese order: Đào < Đặng
    assert names("", desk) == ["Đặng Thị Đào", "Lò Văn Dương"]


def test_staff_change_only_their_own_readers(app, libs, factories):
    tvt, td = libs
    reader = services.register_patron(actor=SYSTEM, institution=td, name="Sùng A Chứ")
    tvt_desk = factories.user(role="desk", institution=tvt)
    td_desk = factories.user(role="desk", institution=td)
    assert not services.can_see_personal(tvt_desk, reader) and services.can_see_personal(td_desk, reader)
    with pytest.raises(PermissionDenied):
        services.update_patron(reader, actor=tvt_desk, phone="0912000111")
    with pytest.raises(PermissionDenied):
        services.register_patron(actor=tvt_desk, institution=td, name="Ai đó")
    with pytest.raises(PermissionDenied):
        services.add_block(reader, actor=tvt_desk, kind="manual", reason="x")
    with pytest.raises(PermissionDenied):
        services.update_patron(reader, actor=td_desk, institution=tvt)        # moving needs rights at both
    services.update_patron(reader, actor=td_desk, phone="0912000111", address="bản Nà Khum")
    assert reader.phone == "0912000111"


def test_renewing_a_card(app, libs):
    tvt, _td = libs
    reader = services.register_patron(actor=SYSTEM, institution=tvt, name="Vàng Thị Mỷ",
                                      card_issued=dt.date(2024, 1, 1), card_expires=dt.date(2024, 12, 31))
    services.renew_card(reader, actor=SYSTEM, today=dt.date(2024, 11, 20))
    assert reader.card_expires == dt.date(2025, 12, 31)          # a year from the old expiry, still ahead
    services.renew_card(reader, actor=SYSTEM, today=dt.date(2027, 3, 5))
    assert reader.card_expires == dt.date(2028, 3, 5)            # expired long ago: a year from today
    with pytest.raises(DomainError, match="already past"):
        services.renew_card(reader, actor=SYSTEM, until=dt.date(2020, 1, 1), today=dt.date(2027, 3, 5))


def test_blocks_are_kept_with_their_dates(app, libs):
    tvt, _td = libs
    reader = services.register_patron(actor=SYSTEM, institution=tvt, name="Phàn Mý Mẩy")
    with pytest.raises(DomainError, match="Say why"):
        services.add_block(reader, actor=SYSTEM, kind="manual", reason="")
    block = services.add_block(reader, actor=SYSTEM, kind="manual", reason="Chưa bồi thường sách",
                               at=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(Conflict, match="already has"):
        services.add_block(reader, actor=SYSTEM, kind="manual", reason="lần nữa")
    services.lift_block(block, actor=SYSTEM, at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(Conflict, match="already lifted"):
        services.lift_block(block, actor=SYSTEM)
    assert reader.blocks_at(dt.datetime(2024, 5, 15, tzinfo=dt.timezone.utc)) == [block]
    assert reader.blocks_at(dt.datetime(2024, 6, 15, tzinfo=dt.timezone.utc)) == []


def test_a_lost_card_is_replaced(app, libs):
    tvt, _td = libs
    reader = services.register_patron(actor=SYSTEM, institution=tvt, name="Lý Xá Chừ")
    old = reader.barcode
    services.report_card_lost(reader, actor=SYSTEM)
    assert [b.kind for b in reader.blocks if b.active] == [BlockKind.LOST_CARD]
    services.replace_card(reader, actor=SYSTEM, new_barcode="BD-NEW-1")
    assert reader.barcode == "BD-NEW-1" and not [b for b in reader.blocks if b.active]
    assert services.patron_by_barcode("bd-new-1") is reader
    with pytest.raises(Conflict, match="replaced on") as refused:
        services.patron_by_barcode(old)
    assert refused.value.code == "replaced_card"
    with pytest.raises(DomainError, match="already used"):
        services.register_patron(actor=SYSTEM, institution=tvt, name="Người khác", barcode=old)


def test_imported_readers_without_dates_have_a_card_for_every_date(app, libs):
    tvt, td = libs
    reader = services.upsert_patron(actor=SYSTEM, barcode="BD-9", institution=tvt, name="Quàng Văn Chăn",
                                    category="adult", ethnicity=None, sex=None, birth_year=None,
                                    card_issued=None, card_expires=None)
    assert reader.card_issued is None and reader.card_valid_on(dt.date(1990, 1, 1))
    again = services.upsert_patron(actor=SYSTEM, barcode="BD-9", institution=td, name="Quàng Văn Chăn",
                                   category="student", ethnicity="Thái", sex="M", birth_year=2001,
                                   card_issued=None, card_expires=None)
    assert again is reader and reader.institution_id == td.id and reader.ethnicity == "03"
