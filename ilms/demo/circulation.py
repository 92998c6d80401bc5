"""Demo: readers of every library, with the names of Lai Châu's peoples, and a year at the desks.

Readers are registered through the reader services; the year of history
(visits, loans, renewals, returns, tallies) is simulated copy by copy so it
is consistent (a copy is never out twice, returns come after loans) and then
written in bulk, which keeps ``flask demo load`` quick. Copies still out
today are moved to "on loan" through the catalogue service, and a few holds,
transits and blocks are made through the desk services, so every screen has
something to show.
"""
import datetime as dt

import sqlalchemy as sa

from ..catalog import services as catalog
from ..catalog.models import Accession, Item, ItemStatus
from ..circulation import policy
from ..circulation import services as circulation
from ..circulation.models import Loan, Renewal, Tally, TallyKind, Visit
from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..common.privacy import reader_key
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_datetime, local_today, utcnow
from ..extensions import db
from ..org import services as org
from ..patrons import services as patrons
from ..patrons import signin
from ..patrons.models import Patron
from ..signals import data_changed
from .network import DISTRICTS

#: Readers per library (the provincial library has the most).
READERS = {"TVT": 900, "TVH-TP": 320, "TVH-TD": 300, "TVH-PT": 260, "TVH-SH": 240, "TVH-MT": 220,
           "TVH-THU": 280, "TVH-TNU": 260, "TVH-NN": 200}
#: Copies a library should have for the demo year to make sense; made here only if the catalogue has fewer.
MIN_COPIES = {"TVT": 500}
DEFAULT_MIN_COPIES = 160

# Names by people: (family names, male middle names, male given names, female middle names, female given names).
PEOPLES = {
    "01": (["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương", "Đinh"],
           ["Văn", "Đức", "Minh", "Hữu", "Quang"], ["Hùng", "Dũng", "Tuấn", "Nam", "Long", "Hải", "Quân", "Thắng",
                                                   "Phúc", "Khánh", "Sơn", "Bình"],
           ["Thị", "Thu", "Ngọc", "Thanh", "Minh"], ["Lan", "Hương", "Mai", "Hoa", "Thảo", "Linh", "Trang", "Huyền",
                                                     "Ngân", "Yến", "Hà", "Nhung"]),
    "03": (["Lò", "Lường", "Quàng", "Tòng", "Cầm", "Điêu", "Vì", "Lù", "Hoàng", "Lê"], ["Văn"],
           ["Piêng", "Xiêng", "Ún", "Khăm", "Pánh", "Thắm", "Ơn", "Hặc", "Chăn", "Ngoan", "Tiến", "Chung"],
           ["Thị"], ["Ín", "Pọm", "Xuân", "Ỏn", "Đôi", "Phăn", "Bun", "Ngân", "Hoan", "Ánh", "Lả", "Ươi"]),
    "08": (["Giàng", "Vàng", "Sùng", "Thào", "Lý", "Hạng", "Mùa", "Lầu", "Chang", "Vừ", "Cứ", "Hầu"], ["A"],
           ["Páo", "Chứ", "Dế", "Sử", "Tủa", "Lử", "Chía", "Sình", "Pó", "Dơ", "Lồng", "Chu"],
           ["Thị"], ["Mỷ", "Sua", "Dua", "Chờ", "Máy", "Súa", "Pằng", "Mỉ", "Dợ", "Sú", "Chia", "Say"]),
    "09": (["Tẩn", "Phàn", "Chảo", "Lý", "Đặng", "Triệu", "Tần"], ["Láo", "Văn", "A"],
           ["Sành", "Lở", "Chàn", "Phù", "Kiềm", "Quáng", "Xoay", "Chòi"],
           ["Mý", "Thị", "Tả"], ["Mẩy", "Chạm", "Dín", "Xiêm", "Chiêu", "Nái", "Sử"]),
    "35": (["Lý", "Chu", "Pờ", "Lò", "Phu", "Ly", "Hù"], ["A", "Xá"], ["Xé", "Gạ", "Chừ", "Pừ", "Tư", "Hừ", "Lé"],
           ["Mỳ", "Thị"], ["Mé", "Xá", "Chạ", "Hờ", "Gạ", "Dế", "Sứ"]),
    "25": (["Lò", "Hoàng", "Vương", "Sằn", "Lù", "Pàn"], ["Văn"], ["Chính", "Vần", "Sỉnh", "Thái", "Dìn"],
           ["Thị"], ["Mỷ", "Liên", "Mai", "Sợi", "Dẩu"]),
    "42": (["Lò", "Tao", "Chẻo", "Lường"], ["Văn"], ["Sẻng", "Cương", "Phát", "Ón"], ["Thị"],
           ["Xiêng", "Bun", "Ỏn", "Pẻng"]),
    "29": (["Lò", "Quàng", "Vì", "Cầm"], ["Văn"], ["Kiên", "Tổng", "Xiên", "Phăng"], ["Thị"],
           ["Thoa", "Năm", "Xuân", "Kim"]),
    "41": (["Lò", "Chảo", "Lý", "Phìn", "Pờ", "Giàng"], ["A"], ["Giá", "Xe", "Hừ", "Lù", "Pa"], ["Na", "Thị"],
           ["Xá", "Mé", "Pu", "Chè"]),
    "48": (["Chang", "Lò", "Pờ", "Chìn", "Hờ"], ["Văn"], ["Lả", "Chia", "Khăm", "Sơn"], ["Thị"],
           ["Xăm", "Pằng", "Mai"]),
    "50": (["Lò", "Pờ", "Hù", "Ly", "Chu"], ["Văn"], ["Sơ", "Chừ", "Xé", "Lả"], ["Thị"], ["Pà", "Sinh", "Mé"]),
    "45": (["Lò", "Chìn", "Lý", "Chang"], ["Văn"], ["Phong", "Sừ", "Pằng"], ["Thị"], ["Tà", "Pụt", "Xíu"]),
    "37": (["Lò", "Vì", "Lường", "Tòng"], ["Văn"], ["Cẩm", "Biên", "Khăm"], ["Thị"], ["Bua", "Kham", "Ọn"]),
    "33": (["Lò", "Quàng", "Vì"], ["Văn"], ["Thanh", "Phinh", "Sơn"], ["Thị"], ["Sương", "Ỏn"]),
}

#: Which peoples live where (share of readers), roughly as in the province.
MIX = {
    "TVT": {"01": 40, "03": 25, "08": 15, "09": 6, "25": 5, "35": 3, "29": 2, "41": 2, "42": 2},
    "TVH-TP": {"01": 45, "03": 25, "08": 15, "09": 5, "25": 5, "42": 2, "29": 3},
    "TVH-TD": {"08": 35, "03": 25, "09": 15, "25": 10, "01": 10, "42": 5},
    "TVH-PT": {"08": 40, "09": 25, "03": 15, "35": 5, "25": 5, "01": 10},
    "TVH-SH": {"08": 50, "03": 20, "09": 12, "01": 10, "42": 4, "35": 4},
    "TVH-MT": {"35": 30, "41": 20, "50": 5, "48": 10, "03": 15, "08": 10, "01": 10},
    "TVH-THU": {"03": 50, "08": 20, "01": 20, "29": 7, "33": 3},
    "TVH-TNU": {"03": 40, "08": 25, "01": 20, "29": 10, "37": 5},
    "TVH-NN": {"08": 30, "03": 25, "48": 10, "45": 10, "35": 10, "01": 10, "09": 5},
}

TITLES = [
    ("Truyện Kiều", "Nguyễn Du"), ("Dế Mèn phiêu lưu ký", "Tô Hoài"), ("Vợ chồng A Phủ", "Tô Hoài"),
    ("Tắt đèn", "Ngô Tất Tố"), ("Số đỏ", "Vũ Trọng Phụng"), ("Đất rừng phương Nam", "Đoàn Giỏi"),
    ("Chiếc lược ngà", "Nguyễn Quang Sáng"), ("Nhật ký Đặng Thùy Trâm", "Đặng Thùy Trâm"),
    ("Tiễn dặn người yêu (Xống chụ xon xao)", "Khuyết danh"), ("Truyện cổ dân tộc Thái", "Nhiều tác giả"),
    ("Truyện cổ dân tộc Mông", "Nhiều tác giả"), ("Dân ca Hà Nhì", "Nhiều tác giả"),
    ("Kỹ thuật trồng chè Shan tuyết", "Trung tâm Khuyến nông"), ("Nuôi lợn đen bản địa", "Trung tâm Khuyến nông"),
    ("Trồng và chăm sóc cây thảo quả", "Viện Dược liệu"), ("Kỹ thuật trồng lúa nương", "Trung tâm Khuyến nông"),
    ("Phòng chống bệnh cho trâu bò mùa rét", "Cục Thú y"), ("Trồng cây mắc ca ở vùng cao", "Viện Khoa học Lâm nghiệp"),
    ("Lịch sử Đảng bộ tỉnh Lai Châu", "Tỉnh ủy Lai Châu"), ("Địa chí Lai Châu", "UBND tỉnh Lai Châu"),
    ("Sổ tay pháp luật cho đồng bào dân tộc thiểu số", "Bộ Tư pháp"), ("Hỏi đáp về bảo hiểm y tế", "BHXH Việt Nam"),
    ("Nuôi con khỏe, dạy con ngoan", "Nhiều tác giả"), ("Tiếng Việt lớp 5", "Bộ Giáo dục và Đào tạo"),
    ("Toán lớp 9", "Bộ Giáo dục và Đào tạo"), ("Mười vạn câu hỏi vì sao", "Nhiều tác giả"),
    ("Doraemon tập 1", "Fujiko F. Fujio"), ("Hoàng tử bé", "Antoine de Saint-Exupéry"),
    ("Không gia đình", "Hector Malot"), ("Những tấm lòng cao cả", "Edmondo De Amicis"),
    ("Cho tôi xin một vé đi tuổi thơ", "Nguyễn Nhật Ánh"), ("Mắt biếc", "Nguyễn Nhật Ánh"),
    ("Tôi thấy hoa vàng trên cỏ xanh", "Nguyễn Nhật Ánh"), ("Đắc nhân tâm", "Dale Carnegie"),
    ("Tin học văn phòng cơ bản", "Nhiều tác giả"),
    ("Sử dụng điện thoại thông minh an toàn", "Bộ Thông tin và Truyền thông"),
    ("Văn hóa dân gian dân tộc Dao", "Nhiều tác giả"), ("Lễ hội Then Kin Pang", "Sở VHTTDL Lai Châu"),
    ("Nghề dệt thổ cẩm của người Lự", "Nhiều tác giả"), ("Ẩm thực vùng cao Tây Bắc", "Nhiều tác giả"),
]
COMMUNES = {f"TVH-{slug}": communes for slug, _district, communes, _villages in DISTRICTS}
VILLAGES = ["Nà Khum", "Sì Thâu Chải", "Hon", "Nậm Cha", "Pa Ủ", "Phiêng Phát", "Nà Ít", "Mì", "Lun", "Gia Khâu",
            "Thành Công", "Hoang Thèn", "Sin Súi Hồ", "Nậm Củm", "Lai Hà", "Phăng Sô Lin"]


def _pick(rng, weights):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def reader_name(rng, people, sex):
    family, m_middle, m_given, f_middle, f_given = PEOPLES[people]
    if sex == "M":
        return f"{rng.choice(family)} {rng.choice(m_middle)} {rng.choice(m_given)}"
    return f"{rng.choice(family)} {rng.choice(f_middle)} {rng.choice(f_given)}"


def _ensure_copies(rng, libraries, today):
    """Copies for the demo year where the catalogue has too few (the catalogue demo usually made them)."""
    made = 0
    records = []
    for code, inst in libraries.items():
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Item).where(
            Item.institution_id == inst.id, Item.status == ItemStatus.AVAILABLE))
        need = MIN_COPIES.get(code, DEFAULT_MIN_COPIES) - have
        if need <= 0:
            continue
        if not records:
            records = [catalog.create_minimal_record(title=title, authors=[author], year=rng.randint(1995, 2023))
                       for title, author in TITLES]
        per_title = max(1, need // len(records) + 1)
        for record in records:
            catalog.add_copies(record, institution=inst, actor=SYSTEM, source=rng.choice(["purchase", "donation"]),
                               accessioned=today - dt.timedelta(days=rng.randint(400, 3000)), count=per_title)
            made += per_title
    return made


def _register_readers(rng, libraries, today):
    made = []
    for code, inst in libraries.items():
        communes = COMMUNES.get(code) or ["San Thàng", "Nậm Loỏng", "Đông Phong", "Quyết Thắng"]
        for _ in range(READERS[code]):
            people = _pick(rng, MIX[code])
            sex = rng.choice("MF")
            category = _pick(rng, {"student": 40, "adult": 40, "child": 15, "staff": 5})
            born = {"child": (2013, 2019), "student": (2002, 2012), "adult": (1955, 2001), "staff": (1965, 1998)}
            issued = today - dt.timedelta(days=rng.randint(30, 900))
            expires = patrons.add_years(issued, rng.choice([1, 1, 2, 3]))
            made.append(patrons.register_patron(
                actor=SYSTEM, institution=inst, name=reader_name(rng, people, sex), category=category,
                ethnicity=people, sex=sex, birth_year=rng.randint(*born[category]),
                address=f"bản {rng.choice(VILLAGES)}, xã {rng.choice(communes)}",
                phone=f"09{rng.randint(10000000, 99999999)}" if rng.random() < 0.6 else "",
                card_issued=issued, card_expires=expires))
    return made


def _open_days(inst_id, first, last):
    settings = policy.settings_for(inst_id)
    closed = policy.closed_dates(inst_id, first, last)
    day, out = first, []
    while day <= last:
        if day not in closed and not settings.closed_weekday(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


class _Calendar:
    """Open days and due dates of one library, computed once for the whole simulated year."""

    def __init__(self, inst_id, first, last):
        self.settings = policy.settings_for(inst_id)
        self.closed = policy.closed_dates(inst_id, first, last + dt.timedelta(days=400))

    def is_open(self, day):
        return day not in self.closed and not self.settings.closed_weekday(day)

    def next_open(self, day):
        while not self.is_open(day):
            day += dt.timedelta(days=1)
        return day


def _simulate(rng, libraries, readers_by_lib, today):
    """A year of desk work per library until yesterday, consistent copy by copy; rows for bulk insert."""
    first, last = today - dt.timedelta(days=365), today - dt.timedelta(days=1)
    loans, renewals, visits, tallies = [], [], [], []
    out_now = []    # item ids still on loan today
    keys = {}
    for code, inst in libraries.items():
        readers = readers_by_lib[code]
        if not readers:
            continue
        calendar = _Calendar(inst.id, first, last)
        items = db.session.scalars(sa.select(Item.id).where(
            Item.institution_id == inst.id, Item.status == ItemStatus.AVAILABLE)).all()
        # the copy is on this library's shelf from the day it came here (bought, or passed on by a transfer)
        arrived = dict(db.session.execute(sa.select(Accession.item_id, sa.func.max(Accession.date))
                                          .where(Accession.item_id.in_(items)).group_by(Accession.item_id)).all())
        free_on = {item_id: max(first, arrived.get(item_id) or first) for item_id in items}
        loan_days = policy.rule_for(inst.id, "adult", "book").loan_days
        daily = max(3, len(readers) // 40)
        walk_ins = (4, 14) if code == "TVT" else (0, 4)
        day = first
        while day <= last:
            if not calendar.is_open(day):
                day += dt.timedelta(days=1)
                continue
            for _ in range(rng.randint(daily // 2, daily + daily // 2)):
                reader = rng.choice(readers)
                if not (reader.card_issued <= day <= reader.card_expires):
                    continue
                key = keys.setdefault(reader.id, reader_key(reader.id))
                when = local_datetime(day, dt.time(rng.choice([7, 8, 9, 10, 14, 15, 16]), rng.randint(0, 59)))
                if rng.random() < 0.6:
                    visits.append(dict(patron_id=reader.id, reader_key=key, institution_id=inst.id, at=when))
                if rng.random() < 0.45:
                    continue                                        # came to read only
                for _n in range(rng.choice([1, 1, 2, 3])):
                    shelf = [i for i in rng.sample(items, min(12, len(items))) if free_on[i] <= day]
                    if not shelf:
                        break
                    item_id = shelf[0]
                    due = calendar.next_open(day + dt.timedelta(days=loan_days))
                    loan = dict(item_id=item_id, patron_id=reader.id, reader_key=key, institution_id=inst.id,
                                checked_out_at=when + dt.timedelta(minutes=rng.randint(1, 20)), due_date=due,
                                renewals=0, from_rotation=False, reminders_sent=0, void_reason="")
                    back_day = day + dt.timedelta(days=rng.choice([5, 9, 12, 18, 20, 24, 30, 45]))
                    renew_day = due - dt.timedelta(days=2)
                    if back_day > due and renew_day > day and renew_day <= last and rng.random() < 0.5:
                        new_due = calendar.next_open(renew_day + dt.timedelta(days=loan_days))
                        renewals.append((len(loans), dict(institution_id=inst.id, previous_due=due, new_due=new_due,
                                                           at=local_datetime(renew_day, dt.time(10, 0)))))
                        loan.update(due_date=new_due, renewals=1)
                    if back_day <= last:
                        loan.update(returned_at=local_datetime(back_day, dt.time(rng.choice([8, 9, 15, 16]), 30)),
                                    return_institution_id=inst.id)
                        free_on[item_id] = back_day + dt.timedelta(days=1)
                    else:
                        free_on[item_id] = today + dt.timedelta(days=3650)
                        out_now.append(item_id)
                    loans.append(loan)
            tallies.append(dict(institution_id=inst.id, date=day, kind=TallyKind.VISITS, count=rng.randint(*walk_ins),
                                note="", created_at=local_datetime(day, dt.time(17, 0))))
            day += dt.timedelta(days=1)
    return loans, renewals, visits, tallies, out_now


def _insert(loans, renewals, visits, tallies):
    ids = []
    for start in range(0, len(loans), 2000):
        chunk = loans[start:start + 2000]
        ids += list(db.session.scalars(sa.insert(Loan).returning(Loan.id, sort_by_parameter_order=True), chunk))
    if renewals:
        db.session.execute(sa.insert(Renewal), [dict(row, loan_id=ids[index]) for index, row in renewals])
    if visits:
        db.session.execute(sa.insert(Visit), visits)
    if tallies:
        db.session.execute(sa.insert(Tally), tallies)
    return ids


def _desk_life(rng, libraries, readers_by_lib, today):
    """A few holds, transits and blocks, made through the desk services."""
    now = utcnow()
    tvt, district = libraries["TVT"], libraries["TVH-TD"]
    made = 0
    for code in ("TVT", "TVH-TD", "TVH-PT"):
        inst = libraries[code]
        out = db.session.scalars(sa.select(Loan).where(Loan.institution_id == inst.id, Loan.returned_at.is_(None))
                                 .limit(6)).all()
        for loan in out[:3]:
            other = rng.choice(readers_by_lib[code])
            try:
                circulation.place_hold(other, loan.item.record, pickup=inst, institution=inst, actor=SYSTEM, at=now)
                made += 1
            except DomainError:
                continue
    # Copies of Tam Đường returned at the provincial library travel home.
    lent_there = db.session.scalars(sa.select(Loan).where(Loan.institution_id == district.id,
                                                          Loan.returned_at.is_(None)).limit(3)).all()
    for loan in lent_there:
        circulation.check_in(loan.item, institution=tvt, actor=SYSTEM, at=now)
        made += 1
    for code in ("TVT", "TVH-SH"):
        patron = rng.choice(readers_by_lib[code])
        patrons.add_block(patron, actor=SYSTEM, kind="manual", reason="Làm hỏng sách, hẹn bồi thường", at=now)
        lost = rng.choice(readers_by_lib[code])
        if lost.id != patron.id:
            patrons.report_card_lost(lost, actor=SYSTEM, at=now)
    return made


#: The PIN of the demo readers who have an OPAC account (documented in the demo loader's output).
DEMO_READER_PIN = "2016"


def load_circulation(rng):
    if db.session.scalar(sa.select(sa.func.count()).select_from(Patron)) >= sum(READERS.values()):
        return "already loaded"
    libraries = {code: org.get_by_code(code) for code in READERS}
    today = local_today()
    for year in {today.year - 1, today.year}:
        if policy.national_holidays(year):
            policy.load_national_holidays(actor=SYSTEM, year=year)
    if not db.session.scalar(sa.select(sa.func.count()).select_from(policy.LoanRule)):
        policy.save_rule(actor=SYSTEM, institution=None, material_type="serial", loan_days=7, max_loans=2,
                         max_renewals=0, holds_allowed=False)
        policy.save_rule(actor=SYSTEM, institution=libraries["TVT"], category="student", loan_days=21, max_loans=6,
                         max_renewals=2)
    copies = _ensure_copies(rng, libraries, today)
    readers = _register_readers(rng, libraries, today)
    by_lib = {code: [p for p in readers if p.institution_id == inst.id] for code, inst in libraries.items()}
    # the first reader of each library can try the OPAC account (card number + this PIN, as on a printed slip)
    for people in by_lib.values():
        if people:
            signin.set_pin(people[0], actor=SYSTEM, pin=DEMO_READER_PIN)
    loans, renewals, visits, tallies, out_now = _simulate(rng, libraries, by_lib, today)
    ids = _insert(loans, renewals, visits, tallies)
    for item in db.session.scalars(sa.select(Item).where(Item.id.in_(out_now))):
        catalog.set_item_status(item, ItemStatus.ON_LOAN)
    db.session.flush()
    extra = _desk_life(rng, libraries, by_lib, today)
    # The history went in by bulk SQL, past the services: tell the figure cache.
    data_changed.send("circulation", institution_ids=[inst.id for inst in libraries.values()])
    return (f"{len(readers)} readers, {len(ids)} loans ({len(out_now)} still out), {len(renewals)} renewals, "
            f"{len(visits)} check-ins, {len(tallies)} tallies, {copies} copies added, {extra} holds and transits; "
            f"OPAC account: card {by_lib['TVT'][0].barcode}, PIN {DEMO_READER_PIN}")


register_demo(DemoLoader("circulation", load_circulation, order=30))
