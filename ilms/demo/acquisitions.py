"""Demo: a year of orders, donations and legal deposit, one transfer, funds, and periodical subscriptions
with their recent issues, for the provincial library and the district libraries."""
import datetime as dt

import sqlalchemy as sa

from ..acquisitions import services
from ..acquisitions.models import Frequency, FundKind, IssueReceipt, PartyKind, SerialKind, Supplier
from ..catalog.models import AcquisitionSource, Item, ItemStatus, Record
from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_today
from ..extensions import db
from ..org import services as org
from ..signals import data_changed

VENDORS = ["Công ty Cổ phần Phát hành sách Lai Châu", "Nhà xuất bản Văn hóa dân tộc",
           "Công ty Cổ phần Sách Việt Nam", "Nhà xuất bản Kim Đồng"]
DONORS = [("Quỹ Sách cho vùng cao", PartyKind.ORGANISATION), ("Hội Khuyến học tỉnh Lai Châu", PartyKind.ORGANISATION),
          ("Ông Lò Văn Pọm", PartyKind.PERSON), ("Bà Tao Thị Xuân", PartyKind.PERSON)]

#: (title, ISSN, kind, frequency)
SERIALS = [
    ("Báo Nhân Dân", "0866-7659", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Lai Châu", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Quân đội nhân dân", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Lao Động", "0866-7500", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Tiền Phong", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Dân tộc và Phát triển", "", SerialKind.NEWSPAPER, Frequency.WEEKLY),
    ("Báo Nông thôn ngày nay", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Văn hóa", "", SerialKind.NEWSPAPER, Frequency.WEEKLY),
    ("Báo Pháp luật Việt Nam", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Công an nhân dân", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Giáo dục và Thời đại", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Sức khỏe và Đời sống", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Khoa học và Đời sống", "", SerialKind.NEWSPAPER, Frequency.WEEKLY),
    ("Báo Phụ nữ Việt Nam", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Thiếu niên Tiền phong và Nhi đồng", "", SerialKind.NEWSPAPER, Frequency.WEEKLY),
    ("Báo Biên phòng", "", SerialKind.NEWSPAPER, Frequency.WEEKLY),
    ("Báo Đại đoàn kết", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Tuổi Trẻ", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Báo Thanh Niên", "", SerialKind.NEWSPAPER, Frequency.DAILY),
    ("Tạp chí Cộng sản", "0866-7276", SerialKind.MAGAZINE, Frequency.BIWEEKLY),
    ("Tạp chí Thư viện Việt Nam", "1859-1450", SerialKind.MAGAZINE, Frequency.QUARTERLY),
    ("Tạp chí Văn hóa Nghệ thuật", "", SerialKind.MAGAZINE, Frequency.MONTHLY),
    ("Tạp chí Xây dựng Đảng", "", SerialKind.MAGAZINE, Frequency.MONTHLY),
    ("Tạp chí Dân tộc", "", SerialKind.MAGAZINE, Frequency.MONTHLY),
    ("Tạp chí Văn nghệ Lai Châu", "", SerialKind.MAGAZINE, Frequency.QUARTERLY),
    ("Tạp chí Toán học và Tuổi trẻ", "0866-8035", SerialKind.MAGAZINE, Frequency.MONTHLY),
    ("Tạp chí Kiến thức ngày nay", "", SerialKind.MAGAZINE, Frequency.BIWEEKLY),
    ("Tạp chí Nông nghiệp và Phát triển nông thôn", "", SerialKind.MAGAZINE, Frequency.BIWEEKLY),
    ("Tạp chí Di sản văn hóa", "", SerialKind.MAGAZINE, Frequency.QUARTERLY),
]
#: How many titles each library takes (the plan: 20–30 at the province, 10–20 in a district).
TITLES_TAKEN = {"TVT": 26}
DISTRICT_TITLES = (11, 17)


def _random_date(rng, first, last):
    return first + dt.timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


def _libraries():
    return [i for i in org.all_institutions(active_only=True)
            if getattr(i.kind, "value", i.kind) in ("provincial_library", "district_library")]


def _records(rng, count):
    ids = db.session.scalars(sa.select(Record.id).order_by(Record.id).limit(400)).all()
    return [db.session.get(Record, i) for i in rng.sample(ids, k=min(count, len(ids)))] if ids else []


def _orders(rng, library, vendors, funds, first, today):
    """Orders over the year: most received, the latest partly received, one still a draft, one cancelled."""
    count = 6 if library.code == "TVT" else 2
    made = 0
    for n in range(count):
        ordered_on = _random_date(rng, first + dt.timedelta(days=n * 300 // count),
                                  first + dt.timedelta(days=(n + 1) * 300 // count))
        order = services.create_order(actor=SYSTEM, institution=library, vendor=rng.choice(vendors),
                                      ordered_on=ordered_on, note="")
        fund = funds[ordered_on.year]
        for record in _records(rng, rng.randint(3, 6)):
            services.add_line(order, actor=SYSTEM, record=record,
                              quantity=rng.randint(4, 25) if library.code == "TVT" else rng.randint(2, 8),
                              unit_price=rng.choice([38000, 45000, 56000, 68000, 85000, 120000]), fund=fund)
        last = n == count - 1
        if last and library.code == "TVT":
            continue                                          # a draft being prepared
        services.send_order(order, actor=SYSTEM, on=ordered_on + dt.timedelta(days=2))
        if n == 1 and library.code == "TVT":
            services.cancel_order(order, actor=SYSTEM, on=ordered_on + dt.timedelta(days=20))
            continue
        arrival = min(today, ordered_on + dt.timedelta(days=rng.randint(15, 40)))
        for i, line in enumerate(order.lines):
            partly = last or (n == count - 2 and library.code == "TVT" and i == 0)
            amount = max(1, line.quantity // 2) if partly else line.quantity
            services.receive(line, actor=SYSTEM, count=amount, on=arrival)
        made += 1
    return made


def _gifts(rng, library, donors, first, today):
    gifts = 3 if library.code == "TVT" else 1
    for n in range(gifts):
        source = AcquisitionSource.LEGAL_DEPOSIT if (library.code == "TVT" and n == 0) else AcquisitionSource.DONATION
        entries = [(record, rng.randint(1, 5)) for record in _records(rng, rng.randint(2, 5))]
        services.record_donation(actor=SYSTEM, institution=library, donor=rng.choice(donors), entries=entries,
                                 source=source, on=_random_date(rng, first, today - dt.timedelta(days=1)),
                                 note="Xã hội hóa" if source == AcquisitionSource.DONATION else "")
    return gifts


def _transfer(rng, province, district, today):
    codes = db.session.scalars(sa.select(Item.barcode).where(Item.institution_id == province.id,
                                                             Item.status == ItemStatus.AVAILABLE,
                                                             Item.accessioned < today - dt.timedelta(days=30))
                               .order_by(Item.id).limit(300)).all()
    chosen = rng.sample(codes, k=min(20, len(codes)))
    if chosen:
        services.transfer_copies(actor=SYSTEM, from_institution=province, to_institution=district, barcodes=chosen,
                                 on=today - dt.timedelta(days=rng.randint(10, 40)),
                                 note="Tăng cường vốn sách cho thư viện huyện")
    return len(chosen)


def _periodicals(rng, libraries, funds_by_library, today):
    serials = [services.save_serial(actor=SYSTEM, title=t, issn=issn, kind=kind, frequency=freq)
               for t, issn, kind, freq in SERIALS]
    receipts = 0
    for library in libraries:
        taken = TITLES_TAKEN.get(library.code) or rng.randint(*DISTRICT_TITLES)
        chosen = serials[:2] + rng.sample(serials[2:], k=taken - 2)
        for index, serial in enumerate(chosen):
            if library.code != "TVT" and index == 3:
                # a district that subscribes from July to June: each term counts in both years
                terms = [(dt.date(y - 1, 7, 1), dt.date(y, 6, 30)) for y in (today.year - 1, today.year, today.year + 1)]
            else:
                terms = [(dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in (today.year - 1, today.year)]
            for start, end in terms:
                if start > today:
                    continue
                services.subscribe(actor=SYSTEM, institution=library, serial=serial, start=start, end=end,
                                   fund=funds_by_library[library.id].get(start.year), copies=1,
                                   price=rng.choice([360000, 540000, 1200000, 1850000]))
        # issues of the last weeks (a few did not come: the missing-issues list has something to show)
        window = 45
        for serial in chosen:
            for first, _last in services.expected_slots(serial.frequency, today - dt.timedelta(days=window), today):
                if rng.random() < 0.04:
                    continue
                db.session.add(IssueReceipt(serial_id=serial.id, institution_id=library.id, issue_date=first,
                                            received_on=min(today, first + dt.timedelta(days=rng.choice([0, 0, 1, 2]))),
                                            number=""))
                receipts += 1
    db.session.flush()
    data_changed.send("acquisitions", institution_ids=[lib.id for lib in libraries])
    return len(serials), receipts


def load_acquisitions(rng):
    if db.session.scalar(sa.select(sa.func.count(Supplier.id))):
        return "acquisitions already there"
    today = local_today()
    first = today - dt.timedelta(days=364)
    libraries = _libraries()
    if not libraries or not db.session.scalar(sa.select(sa.func.count(Record.id))):
        return "no libraries or no records: nothing to acquire"
    vendors = [services.save_supplier(actor=SYSTEM, name=n, is_vendor=True) for n in VENDORS]
    donors = [services.save_supplier(actor=SYSTEM, name=n, kind=k, is_donor=True) for n, k in DONORS]
    funds_by_library, orders, gifts = {}, 0, 0
    for library in libraries:
        big = library.code == "TVT"
        funds = {}
        for year in (today.year - 1, today.year):
            funds[year] = services.save_fund(actor=SYSTEM, institution=library, year=year, code=f"NS{year}",
                                             name=f"Ngân sách bổ sung tài liệu {year}", kind=FundKind.STATE_BUDGET,
                                             allocated=(250 if big else 60) * 1_000_000)
        if big:
            services.save_fund(actor=SYSTEM, institution=library, year=today.year, code=f"XHH{today.year}",
                               name="Quỹ xã hội hóa sách", kind=FundKind.DONATION, allocated=30_000_000)
        funds_by_library[library.id] = funds
        orders += _orders(rng, library, vendors, funds, first, today)
        gifts += _gifts(rng, library, donors, first, today)
    province = next((lib for lib in libraries if lib.code == "TVT"), libraries[0])
    district = next((lib for lib in libraries if lib.code == "TVH-TD"), libraries[-1])
    moved = _transfer(rng, province, district, today)
    titles, issues = _periodicals(rng, libraries, funds_by_library, today)
    db.session.commit()
    return (f"{orders} orders received, {gifts} donations, {moved} copies transferred, {titles} periodical "
            f"titles, {issues} issues checked in")


register_demo(DemoLoader("acquisitions", load_acquisitions, order=25, depends=("catalog",)))
