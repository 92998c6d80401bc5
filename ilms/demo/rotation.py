"""Demo: a year of book rotation in every district, with crates in every state.

Each district library gets its own rotation stock (copies of themed titles:
farming, children, ethnic culture, law and health) and four crates, whose
year is played through the rotation services at past times, so every trip,
receipt, return and missing copy is consistent:

- a farming crate on a route through all the district's points, three months
  at each, now at its last point (late in two districts);
- a children's crate on two-month trips, now on its way (even districts) or
  just back with a copy missing and one still lent at the point (odd ones);
- an ethnic-culture crate back twice, with one copy found and one lost,
  now unpacked, re-packed or waiting to be sorted;
- a new law-and-health crate being packed (retired in the last district).

Point staff keep paper counts (tallies) while a crate is with them and lend
a few copies to registered readers through the point desk. One point user
(``point.bl``, Bình Lư in Tam Đường) confirms receipts on a phone.
"""
import datetime as dt

import sqlalchemy as sa

from ..accounts import services as accounts
from ..accounts.models import User
from ..accounts.permissions import Role
from ..catalog import services as catalog
from ..catalog.models import ItemStatus, Record
from ..circulation.models import Tally, TallyKind
from ..common.errors import DomainError
from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_date, local_datetime, local_today
from ..extensions import db
from ..org import services as org
from ..org.models import InstitutionKind
from ..patrons.models import Patron
from ..rotation import services as rotation
from ..rotation.models import Crate, CrateState, MissingCause, Resolution
from ..signals import data_changed
from .network import DEMO_PASSWORD, DISTRICTS

THEMED_TITLES = {
    "farming": [
        ("Kỹ thuật nuôi gà thả vườn vùng cao", "Trung tâm Khuyến nông Quốc gia"),
        ("Trồng rau an toàn quanh năm", "Viện Nghiên cứu Rau quả"),
        ("Chăn nuôi dê núi", "Trung tâm Khuyến nông Quốc gia"),
        ("Kỹ thuật trồng ngô trên đất dốc", "Viện Nghiên cứu Ngô"),
        ("Ủ phân hữu cơ từ phụ phẩm nông nghiệp", "Nhiều tác giả"),
        ("Nuôi cá ruộng lúa", "Trung tâm Khuyến nông Quốc gia"),
        ("Trồng quế và chăm sóc rừng trồng", "Viện Khoa học Lâm nghiệp"),
    ],
    "children": [
        ("Truyện cổ tích Việt Nam chọn lọc", "Nhiều tác giả"),
        ("Thỏ và Rùa", "Phỏng theo Aesop"),
        ("Em học vẽ con vật", "Nhiều tác giả"),
        ("Những con vật thông minh", "Nhiều tác giả"),
        ("Góc sân và khoảng trời", "Trần Đăng Khoa"),
        ("Đội thiếu niên tình báo Bát Sắt", "Phạm Thắng"),
        ("Bé tập đọc tiếng Việt", "Nhiều tác giả"),
    ],
    "ethnic_culture": [
        ("Trang phục truyền thống người Mông", "Nhiều tác giả"),
        ("Xòe Thái", "Nhiều tác giả"),
        ("Lễ cấp sắc của người Dao", "Nhiều tác giả"),
        ("Sử thi và truyện thơ Thái", "Nhiều tác giả"),
        ("Nhà trình tường của người Hà Nhì", "Nhiều tác giả"),
        ("Tục ngữ, câu đố dân tộc Giáy", "Nhiều tác giả"),
    ],
    "law": [
        ("Hỏi đáp Luật Đất đai", "Bộ Tư pháp"),
        ("Phòng chống mua bán người", "Bộ Công an"),
        ("Luật Hôn nhân và gia đình cho đồng bào vùng cao", "Bộ Tư pháp"),
        ("Chăm sóc sức khỏe bà mẹ và trẻ em", "Bộ Y tế"),
        ("Phòng bệnh sốt rét", "Bộ Y tế"),
    ],
}
COPIES_PER_TITLE = 3
CRATE_SIZE = 14


def _stock(library, rng, today):
    """The library's rotation copies by theme: copies of themed titles, made once."""
    stock = {}
    for theme, titles in THEMED_TITLES.items():
        copies = []
        for title, author in titles:
            record = db.session.scalar(sa.select(Record).where(Record.title == title).limit(1))
            if record is None:
                record = catalog.create_minimal_record(title=title, authors=[author],
                                                       year=rng.randint(2008, 2022))
            copies += catalog.add_copies(record, institution=library, actor=SYSTEM, source=rng.choice(
                ["purchase", "donation"]), accessioned=today - dt.timedelta(days=rng.randint(420, 1500)),
                count=COPIES_PER_TITLE, shelf="Kho luân chuyển")
        rng.shuffle(copies)
        stock[theme] = copies
    return stock


def _readers(library):
    return db.session.scalars(sa.select(Patron).where(Patron.institution_id == library.id)
                              .order_by(Patron.id).limit(80)).all()


class _Year:
    """Plays one district's rotation year through the services; remembers the tallies to insert."""

    def __init__(self, rng, library, points, readers, today):
        self.rng, self.library, self.points, self.readers, self.today = rng, library, points, readers, today
        self.tallies = []
        self.loans = 0

    def at(self, day, hour=9):
        return local_datetime(day, dt.time(hour, self.rng.randint(0, 59)))

    def pack(self, crate, copies, day):
        for item in copies:
            rotation.pack(crate, item.barcode, actor=SYSTEM, at=self.at(day, 8))

    def trip(self, crate, point, start, days, *, receive=True, back=True, keep=0, missing=0):
        """Send ``crate`` on ``start`` for ``days``; received a day or two later; checked back around its due
        date unless ``back`` is false (still out). ``keep`` copies lent at the point are still out when it
        comes back, ``missing`` more are not found."""
        due = start + dt.timedelta(days=days)
        trip = rotation.dispatch(crate, point=point, actor=SYSTEM, at=self.at(start, 8), due_back=due)
        if not receive:
            return trip
        arrived = start + dt.timedelta(days=self.rng.randint(1, 2))
        rotation.confirm_receipt(crate, actor=SYSTEM, at=self.at(arrived, 10))
        last = self.today - dt.timedelta(days=2)
        end = min(due + dt.timedelta(days=self.rng.randint(-3, 3)), last) if back else last
        self.use(trip, arrived, end, keep=keep)
        if not back:
            return trip
        present = [line.item.barcode for line in trip.lines if line.item.status == ItemStatus.IN_ROTATION]
        lost = set(self.rng.sample(present, missing)) if missing else set()
        rotation.return_crate(crate, actor=SYSTEM, at=self.at(end + dt.timedelta(days=1), 15),
                              barcodes=[code for code in present if code not in lost])
        return trip

    def lend(self, trip, line, day):
        """Lend the copy at the point to a reader whose card is good that day (a few tries)."""
        for reader in self.rng.sample(self.readers, min(6, len(self.readers))):
            try:
                rotation.point_lend(trip.point, reader.barcode, line.item.barcode, actor=SYSTEM, at=self.at(day, 14))
            except DomainError:
                continue
            self.loans += 1
            return True
        return False

    def after(self, trip, days):
        """A day ``days`` after the trip came back."""
        return local_date(trip.returned_at) + dt.timedelta(days=days)

    def use(self, trip, first, last, keep=0):
        """Weekly paper counts at the point, and a few loans through the point desk (``keep`` stay out)."""
        day = first
        while day <= last:
            if day.weekday() == 5:
                self.tallies.append(dict(institution_id=trip.point_id, date=day, kind=TallyKind.VISITS,
                                         count=self.rng.randint(4, 18), note="Sổ theo dõi bạn đọc",
                                         created_at=self.at(day, 17)))
                self.tallies.append(dict(institution_id=trip.point_id, date=day, kind=TallyKind.LOANS,
                                         count=self.rng.randint(1, 7), note="Sổ mượn sách",
                                         created_at=self.at(day, 17)))
            day += dt.timedelta(days=1)
        if not self.readers or (last - first).days < 20:
            return
        lines = list(trip.lines)
        self.rng.shuffle(lines)
        for number, line in enumerate(lines[:3 + keep]):
            lend_day = first + dt.timedelta(days=self.rng.randint(2, max(3, (last - first).days // 3)))
            if not self.lend(trip, line, lend_day):
                continue
            if number >= keep:
                back_day = min(lend_day + dt.timedelta(days=self.rng.randint(7, 18)), last)
                rotation.point_return(trip.point, line.item.barcode, actor=SYSTEM, at=self.at(back_day, 15))


def _district(rng, slug, today):
    library = org.get_by_code(f"TVH-{slug}")
    points = [p for p in library.children if p.kind == InstitutionKind.POSTAL_CULTURAL_POINT and p.active]
    if not points:
        return None
    number = [d[0] for d in DISTRICTS].index(slug)
    stock = _stock(library, rng, today)
    year = _Year(rng, library, points, _readers(library), today)

    # A: farming, on a route through every point, three months at each; now at its last stop.
    farming = rotation.create_crate(actor=SYSTEM, institution=library, theme="farming",
                                    title="Sách kỹ thuật nông nghiệp", at=year.at(today - dt.timedelta(days=370)))
    rotation.set_route(farming, [(p, 3) for p in points], actor=SYSTEM, repeats=True)
    year.pack(farming, stock["farming"][:CRATE_SIZE], today - dt.timedelta(days=368))
    start = today - dt.timedelta(days=365)
    for trip_number in range(3):
        trip = year.trip(farming, rotation.next_stop(farming).point, start, 88, missing=int(trip_number == 1))
        rotation.repack(farming, actor=SYSTEM, at=year.at(year.after(trip, 1)))
        start = year.after(trip, 3)
    late = number in (1, 4)      # two districts have not brought it back in time
    due_days = (today - start).days - 6 if late else (today - start).days + 25
    year.trip(farming, rotation.next_stop(farming).point, start, due_days, back=False, keep=1)

    # B: children, two-month trips; now on its way (even districts) or just back (odd ones), a copy missing
    # and another still lent to a reader at the point.
    children = rotation.create_crate(actor=SYSTEM, institution=library, theme="children", title="Tủ sách thiếu nhi",
                                     at=year.at(today - dt.timedelta(days=300)))
    year.pack(children, stock["children"][:CRATE_SIZE], today - dt.timedelta(days=298))
    start = today - dt.timedelta(days=290)
    for trip_number in range(3):
        trip = year.trip(children, points[(trip_number + 1) % len(points)], start, 60)
        rotation.repack(children, actor=SYSTEM, at=year.at(year.after(trip, 1)))
        start = year.after(trip, 4)
    if number % 2 == 0:
        year.trip(children, points[0], today - dt.timedelta(days=2), 60, receive=False)
    else:
        year.trip(children, points[-1], start, (today - start).days - 6, keep=1, missing=1)

    # C: ethnic culture, back twice; one copy found later, one lost; then unpacked, re-packed or waiting.
    culture = rotation.create_crate(actor=SYSTEM, institution=library, theme="ethnic_culture",
                                    title="Văn hóa các dân tộc Lai Châu", at=year.at(today - dt.timedelta(days=250)))
    year.pack(culture, stock["ethnic_culture"][:CRATE_SIZE], today - dt.timedelta(days=248))
    first = year.trip(culture, points[-1], today - dt.timedelta(days=245), 90, missing=1)
    rotation.repack(culture, actor=SYSTEM, at=year.at(year.after(first, 1)))
    second = year.trip(culture, points[0], year.after(first, 5), 90, missing=1)
    for trip, resolution, after in ((first, Resolution.FOUND, 20), (second, Resolution.LOST, 10)):
        line = next(line for line in trip.lines if line.missing_cause == MissingCause.NOT_FOUND)
        # the first trip's copy is found while the crate is away on its second trip: it goes to the shelf
        # (settled now, dated then, so the crate must not take it: the history replays in time order)
        rotation.resolve_missing(line, resolution, actor=SYSTEM, at=year.at(year.after(trip, after)),
                                 into_crate=trip is not first)
    if number % 3 == 0:
        rotation.unpack(culture, actor=SYSTEM, at=year.at(year.after(second, 18)))
    elif number % 3 == 1:
        rotation.repack(culture, actor=SYSTEM, at=year.at(year.after(second, 18)))

    # D: law and health, being packed now (retired in the last district).
    law = rotation.create_crate(actor=SYSTEM, institution=library, theme="law", title="Pháp luật và sức khỏe",
                                at=year.at(today - dt.timedelta(days=3)))
    if number == len(DISTRICTS) - 1:
        rotation.retire(law, actor=SYSTEM, at=year.at(today - dt.timedelta(days=1)))
    else:
        year.pack(law, stock["law"][:8], today - dt.timedelta(days=1))

    if year.tallies:
        db.session.execute(sa.insert(Tally), year.tallies)
    return library, points, year


def _point_user():
    if db.session.scalar(sa.select(User.id).where(User.username == "point.bl")):
        return 0
    point = org.get_by_code("BD-TD-BL", required=False)
    if point is None:
        return 0
    accounts.create_user(actor=SYSTEM, username="point.bl", full_name="Lò Thị Xuân", password=DEMO_PASSWORD,
                         role=Role.ROTATION, institution=point)
    return 1


def load_rotation(rng):
    if db.session.scalar(sa.select(sa.func.count()).select_from(Crate)):
        return "already loaded"
    today = local_today()
    changed, crates, loans, tallies = set(), 0, 0, 0
    for slug, _name, _communes, _villages in DISTRICTS:
        made = _district(rng, slug, today)
        if made is None:
            continue
        library, points, year = made
        changed.update([library.id] + [p.id for p in points])
        loans += year.loans
        tallies += len(year.tallies)
    users = _point_user()
    crates = db.session.scalar(sa.select(sa.func.count()).select_from(Crate))
    states = dict(db.session.execute(sa.select(Crate.state, sa.func.count()).group_by(Crate.state)).all())
    # The tallies went in by bulk SQL, past the services: tell the figure cache.
    data_changed.send("rotation", institution_ids=sorted(changed))
    summary = ", ".join(f"{states.get(state, 0)} {state.value}" for state in CrateState)
    return f"{crates} crates ({summary}), {loans} loans at points, {tallies} tallies, {users} point user"


register_demo(DemoLoader("rotation", load_rotation, order=50))
