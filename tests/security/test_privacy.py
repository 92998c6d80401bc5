"""Privacy: anonymising detaches a reader from every past event in every table, and changes no figure.

The tables are found by walking the schema (every column named ``patron_id``
or pointing at ``patrons``), so a table added later is covered without
editing this test. What a reader *is* now (their card, their blocks) is not
history and stays with them.
"""
import datetime as dt

import sqlalchemy as sa

from ilms.catalog import services as catalog
from ilms.circulation import services as circulation
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_datetime, local_today
from ilms.extensions import db
from ilms.internet import services as internet
from ilms.patrons.cli import anonymise
from ilms.stats import services as stats

#: The reader's present, not their history: kept while they are a reader.
CURRENT_STATE = {"patrons", "patron_cards", "patron_blocks"}


def _reader_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            points_at_patrons = any(fk.column.table.name == "patrons" for fk in column.foreign_keys)
            if column.name == "patron_id" or points_at_patrons:
                yield table, column


def test_anonymising_reaches_every_table_that_names_a_reader_and_no_figure_moves(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library")
    td = factories.institution("TVH-TD", parent=tvt)
    reader = factories.patron(td, name="Lò Thị Riêng Tư", card_issued=dt.date(2023, 1, 1),
                              card_expires=dt.date(2030, 12, 31))
    record = catalog.create_minimal_record(title="Truyện Kiều")
    copy, other = catalog.add_copies(record, institution=td, actor=SYSTEM, source="purchase",
                                     accessioned=dt.date(2024, 1, 2), count=2)
    day = dt.date(2024, 3, 8)

    def at(hour):
        return local_datetime(day, dt.time(hour))

    circulation.check_in_visit(reader, institution=td, actor=SYSTEM, at=at(8))
    circulation.checkout(reader, copy, institution=td, actor=SYSTEM, at=at(9))
    circulation.check_in(copy, institution=td, actor=SYSTEM, at=at(16))
    hold = circulation.place_hold(reader, record, pickup=td, institution=td, actor=SYSTEM, at=at(10))
    circulation.cancel_hold(hold, actor=SYSTEM, at=at(11))
    station = internet.create_station(actor=SYSTEM, institution=td, code="TD-PC1", in_service_from=dt.date(2020, 1, 1))
    internet.record_session(actor=SYSTEM, station=station, patron=reader, start=at(12), end=at(13))
    internet.create_training(actor=SYSTEM, institution=td, date=day, topic="Tra cứu Internet",
                             attendee_cards=[reader.barcode])
    db.session.commit()

    columns = list(_reader_columns())
    history = {table.name for table, _column in columns} - CURRENT_STATE
    assert {"loans", "visits", "holds", "internet_sessions", "internet_training_attendees"} <= history

    def linked():
        found = {}
        for table, column in columns:
            if table.name in history:
                n = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(column == reader.id))
                if n:
                    found[table.name] = n
        return found

    assert set(linked()) == {"loans", "visits", "holds", "internet_sessions", "internet_training_attendees"}
    before = stats.indicator_document(Period.year(2024))
    anonymise(days=30)
    db.session.expire_all()
    assert linked() == {}
    assert stats.indicator_document(Period.year(2024)) == before
    assert db.session.get(type(reader), reader.id).name == "Lò Thị Riêng Tư"     # the reader stays a reader


def test_a_reader_gets_a_printout_of_everything_linked_to_them(app, factories):
    from tests.conftest import login
    tvt = factories.institution("TVT", kind="provincial_library")
    td = factories.institution("TVH-TD", parent=tvt)
    pt = factories.institution("TVH-PT", parent=tvt)
    factories.user("thuthu.td", institution=td)
    factories.user("thuthu.pt", institution=pt)
    reader = factories.patron(td, name="Lò Thị Riêng Tư", phone="0987654321", card_issued=dt.date(2023, 1, 1),
                              card_expires=dt.date(2030, 12, 31))
    record = catalog.create_minimal_record(title="Dế Mèn phiêu lưu ký")
    copy = catalog.add_copies(record, institution=td, actor=SYSTEM, source="purchase",
                              accessioned=dt.date(2024, 1, 2))[0]
    old, recent = dt.date(2024, 3, 8), local_today() - dt.timedelta(days=3)
    for day in (old, recent):
        circulation.check_in_visit(reader, institution=td, actor=SYSTEM, at=local_datetime(day, dt.time(8)))
    circulation.checkout(reader, copy, institution=td, actor=SYSTEM, at=local_datetime(old, dt.time(9)))
    circulation.check_in(copy, institution=td, actor=SYSTEM, at=local_datetime(old, dt.time(15)))
    station = internet.create_station(actor=SYSTEM, institution=td, code="TD-PC1", in_service_from=dt.date(2020, 1, 1))
    internet.record_session(actor=SYSTEM, station=station, patron=reader, start=local_datetime(recent, dt.time(10)),
                            end=local_datetime(recent, dt.time(11)))
    db.session.commit()

    home = app.test_client()
    login(home, "thuthu.td")
    page = home.get(f"/readers/{reader.id}/data")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Lò Thị Riêng Tư" in text and "0987654321" in text and "Dế Mèn phiêu lưu ký" in text
    assert "08/03/2024" in text and recent.strftime("%d/%m/%Y") in text and "TD-PC1" in text
    other = app.test_client()
    login(other, "thuthu.pt")
    refused = other.get(f"/readers/{reader.id}/data")
    assert refused.status_code == 403 and "0987654321" not in refused.get_data(as_text=True)

    anonymise(days=30)                                  # the old loan and visit are no longer the reader's
    text = home.get(f"/readers/{reader.id}/data").get_data(as_text=True)
    assert "Dế Mèn phiêu lưu ký" not in text and "08/03/2024" not in text
    assert recent.strftime("%d/%m/%Y") in text
