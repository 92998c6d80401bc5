"""The ``item`` and ``withdraw`` lines of the JSON Lines exchange (shared/spec/exchange.md)."""
import json

import sqlalchemy as sa

from ilms.catalog import services
from ilms.catalog.models import Item, ItemStatus, Record
from ilms.extensions import db
from ilms.ops import services as ops
from ilms.common.time import Period
from ilms.org.models import Institution
from ilms.stats import registry


def lines(*objects):
    return [json.dumps(o, ensure_ascii=False) for o in objects]


def test_item_lines_join_records_by_001_isbn_or_title(app, network):
    services.create_minimal_record(title="Truyện Kiều", isbn="978-604-69-1234-5")
    from ilms.catalog import marc
    record = marc.build_minimal(title="Số đỏ", control_number="VN-0002")
    services.save_record(record)
    db.session.commit()
    report = ops.import_lines(lines(
        {"type": "item", "barcode": "TVT-1", "institution": "TVT", "accessioned": "2024-03-01",
         "source": "purchase", "record": "VN-0002", "price": 45000},
        {"type": "item", "barcode": "TVT-2", "institution": "TVT", "accessioned": "2024-03-01",
         "source": "donation", "isbn": "9786046912345"},
        {"type": "item", "barcode": "HTD-3", "institution": "TVH-TD", "accessioned": "2024-04-01",
         "source": "legal_deposit", "title": "Tắt đèn"},
    ))
    assert report.ok and report.applied == 3, [str(e) for e in report.errors]
    items = {i.barcode: i for i in db.session.scalars(sa.select(Item))}
    assert items["TVT-1"].record.title == "Số đỏ" and items["TVT-1"].price == 45000
    assert items["TVT-2"].record.title == "Truyện Kiều" and items["TVT-2"].source.value == "donation"
    assert items["HTD-3"].record.title == "Tắt đèn" and items["HTD-3"].institution.code == "TVH-TD"
    # the same file again adds nothing
    again = ops.import_lines(lines({"type": "item", "barcode": "TVT-1", "institution": "TVT",
                                    "accessioned": "2024-03-01", "source": "purchase", "record": "VN-0002"}))
    assert again.ok and db.session.scalar(sa.select(sa.func.count(Item.id))) == 3
    elsewhere = ops.import_lines(lines({"type": "item", "barcode": "TVT-1", "institution": "TVH-TD",
                                        "accessioned": "2024-03-01", "source": "purchase", "title": "Số đỏ"}))
    assert not elsewhere.ok and "TVT-1" in str(elsewhere.errors[0]) and "transfer" in str(elsewhere.errors[0])


def test_bad_item_and_withdraw_lines_name_the_problem(app, network):
    report = ops.import_lines(lines(
        {"type": "item", "barcode": "X1", "institution": "TVT", "accessioned": "2024-03-01", "source": "purchase",
         "record": "NOPE"},
        {"type": "item", "barcode": "X2", "institution": "TVT", "accessioned": "2024-03-01", "source": "purchase"},
        {"type": "item", "barcode": "X3", "institution": "NOWHERE", "accessioned": "2024-03-01",
         "source": "purchase", "title": "A"},
        {"type": "item", "barcode": "X4", "institution": "TVT", "accessioned": "2024-03-01", "source": "bought",
         "title": "A"},
        {"type": "withdraw", "item": "UNKNOWN", "date": "2024-05-01", "reason": "lost"},
    ))
    assert not report.committed and [e.line for e in report.errors] == [1, 2, 3, 4, 5]
    text = " | ".join(str(e) for e in report.errors)
    assert "NOPE" in text and "'record'" in text and "NOWHERE" in text and "source" in text and "UNKNOWN" in text
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 0


def test_withdraw_lines_and_the_export_round_trip(app, app_factory, network, runner):
    report = ops.import_lines(lines(
        {"type": "item", "barcode": "TVT-1", "institution": "TVT", "accessioned": "2024-01-10",
         "source": "purchase", "title": "Dế Mèn phiêu lưu ký"},
        {"type": "item", "barcode": "TVT-2", "institution": "TVT", "accessioned": "2024-01-10",
         "source": "purchase", "title": "Dế Mèn phiêu lưu ký"},
        {"type": "withdraw", "item": "TVT-2", "date": "2024-06-30", "reason": "worn"},
        {"type": "withdraw", "item": "TVT-2", "date": "2024-07-01", "reason": "lost"},
    ), partial=True)
    assert report.applied == 3 and [e.line for e in report.errors] == [4]
    item = services.item_by_barcode("TVT-2")
    assert item.status == ItemStatus.WITHDRAWN and item.withdrawal_reason.value == "worn"
    assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 1
    exported = [json.loads(line) for line in ops.export_lines(Period.year(2024))]
    mine = [line for line in exported if line["type"] in ("item", "withdraw")]
    assert [line["type"] for line in mine] == ["item", "item", "withdraw"]
    assert mine[2] == {"type": "withdraw", "item": "TVT-2", "date": "2024-06-30", "reason": "worn"}
    # into another database: the same figures
    other = app_factory()
    with other.app_context():
        report = ops.import_lines([json.dumps(line, ensure_ascii=False) for line in exported])
        assert report.ok, [str(e) for e in report.errors]
        ids = list(db.session.scalars(sa.select(Institution.id)))
        for code in ("LIB.COPIES_ADDED", "LIB.COPIES_WITHDRAWN", "LIB.HOLDINGS"):
            figures = registry.get(code).compute(Period.year(2024), ids)
            assert sum(figures.values()) == {"LIB.COPIES_ADDED": 2, "LIB.COPIES_WITHDRAWN": 1, "LIB.HOLDINGS": 1}[code]
        db.session.remove()
