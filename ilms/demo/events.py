"""Demo: a year of library displays, museum exhibitions (one travelling to three venues), heritage events
for students, artifacts of Lai Châu's ethnic heritage, festivals at every level, clubs, activities and courses.

Everything is dated in the current year (and, for the festival cycle, the year before), so the calendar
has things to come and the indicators have a year to count. Visitors are only recorded for days that
have passed. Loading twice adds nothing: the loader stops when its first exhibition exists.
"""
import datetime as dt

from ..common import ethnicity
from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_today
from ..events import services
from ..events.models import ExhibitionStatus, Repeat
from ..org import services as org

LIBRARY_THEMES = [
    # month, day, days, title, theme
    (1, 20, 20, "Mừng Đảng, mừng Xuân", "Sách về Đảng Cộng sản Việt Nam và phong tục Tết các dân tộc"),
    (3, 1, 15, "Phụ nữ Việt Nam – giỏi việc nước, đảm việc nhà", "Sách về phụ nữ nhân Ngày Quốc tế Phụ nữ 8/3"),
    (4, 15, 14, "Ngày Sách và Văn hóa đọc Việt Nam", "Giới thiệu sách hay nhân ngày 21/4"),
    (5, 10, 15, "Bác Hồ với đồng bào các dân tộc Tây Bắc", "Sách về Chủ tịch Hồ Chí Minh nhân ngày 19/5"),
    (6, 1, 20, "Sách cho thiếu nhi mùa hè", "Truyện tranh, sách khoa học cho thiếu nhi"),
    (7, 20, 10, "Tri ân các anh hùng liệt sĩ", "Sách về thương binh, liệt sĩ nhân ngày 27/7"),
    (8, 25, 14, "Mùa thu Cách mạng", "Sách về Cách mạng Tháng Tám và Quốc khánh 2/9"),
    (10, 10, 14, "Lai Châu – đất và người", "Sách, tài liệu địa chí Lai Châu"),
    (11, 10, 14, "Tri ân thầy cô", "Sách về nghề giáo nhân ngày 20/11"),
    (12, 12, 14, "Quân đội nhân dân anh hùng", "Sách về Quân đội nhân dân Việt Nam nhân ngày 22/12"),
]
DISTRICT_DISPLAYS = [
    ("TVH-TD", 3, 20, "Sách kỹ thuật trồng chè và cây ăn quả", "Sách khuyến nông cho bà con"),
    ("TVH-PT", 4, 18, "Văn hóa đọc trong nhà trường", "Sách tham khảo cho học sinh"),
    ("TVH-SH", 5, 25, "Pháp luật cho đồng bào dân tộc thiểu số", "Sách phổ biến pháp luật"),
    ("TVH-MT", 6, 10, "Dân tộc Si La, La Hủ, Cống", "Sách về các dân tộc ít người ở Mường Tè"),
    ("TVH-THU", 9, 5, "Khuyến học, khuyến tài", "Sách nhân ngày khai giảng"),
    ("TVH-TNU", 10, 20, "Phòng chống thiên tai", "Sách về phòng chống lũ quét, sạt lở đất"),
    ("TVH-NN", 11, 15, "Ngày hội Đại đoàn kết toàn dân tộc", "Sách về khối đại đoàn kết"),
]
MUSEUM_THEMATIC = [
    (2, 1, 75, "Trang phục truyền thống các dân tộc tỉnh Lai Châu", "Nhà trưng bày Bảo tàng tỉnh – tầng 1"),
    (5, 1, 60, "Nhạc cụ dân tộc Thái, Mông, Dao", "Nhà trưng bày Bảo tàng tỉnh – tầng 2"),
    (8, 1, 60, "Lai Châu – hành trình xây dựng và phát triển", "Nhà trưng bày Bảo tàng tỉnh – tầng 1"),
    (11, 1, 45, "Nghề dệt thổ cẩm của đồng bào Lự", "Nhà trưng bày Bảo tàng tỉnh – tầng 2"),
]
TRAVELLING = ("Văn hóa các dân tộc Lai Châu – trưng bày lưu động", [
    (3, 10, 12, "Hội trường Trường PTDT Nội trú tỉnh Lai Châu", "Trường PTDT Nội trú tỉnh"),
    (4, 5, 10, "Hội trường Trung tâm VH-TT-TT huyện Sìn Hồ", "Trung tâm Văn hóa, Thông tin và Thể thao huyện Sìn Hồ"),
    (5, 10, 8, "Trường PTDT Bán trú THCS Bum Nưa", "Trường PTDT Bán trú THCS Bum Nưa, Mường Tè"),
])
HERITAGE_EVENTS = [
    (3, 26, "Học sinh tìm hiểu nghề dệt thổ cẩm của người Thái", "Trường THCS Đoàn Kết"),
    (4, 18, "Trò chơi dân gian các dân tộc cho học sinh", "Trường Tiểu học Quyết Thắng"),
    (9, 25, "Hát Then – đàn Tính: giới thiệu cho học sinh", "Trường THPT Chuyên Lê Quý Đôn"),
    (11, 23, "Ngày Di sản văn hóa Việt Nam 23/11", "Trường THCS Quyết Thắng"),
    (12, 10, "Nghề rèn của người Mông", "Trường PTDT Nội trú tỉnh Lai Châu"),
]
COLLECTIONS = [
    ("Trang phục các dân tộc", "in_progress",
     "Còn thiếu trang phục của dân tộc Cống và Si La; đang sưu tầm ở Mường Tè."),
    ("Nhạc cụ truyền thống", "in_progress", "Đủ nhạc cụ của người Thái, Mông, Dao; thiếu nhạc cụ của người Hà Nhì."),
    ("Công cụ sản xuất và đời sống", "incomplete", "Mới có công cụ làm nương rẫy; chưa có bộ dụng cụ dệt đầy đủ."),
    ("Tư liệu di sản văn hóa phi vật thể", "complete", "Đã ghi âm, ghi hình đủ các làn điệu dân ca tiêu biểu."),
]
ARTIFACTS = [
    # collection index, name, type, material, ethnic group, intangible?
    (0, "Áo cóm phụ nữ Thái trắng", "Trang phục", "Vải bông", "Thái", False),
    (0, "Khăn piêu thêu tay", "Trang phục", "Vải bông, chỉ màu", "Thái", False),
    (0, "Váy xòe phụ nữ Mông hoa", "Trang phục", "Vải lanh", "Mông", False),
    (0, "Bộ trang phục nữ Dao đỏ", "Trang phục", "Vải chàm, bạc", "Dao", False),
    (0, "Áo nữ Hà Nhì", "Trang phục", "Vải chàm", "Hà Nhì", False),
    (0, "Trang phục nữ Lự", "Trang phục", "Vải thổ cẩm", "Lự", False),
    (0, "Vòng cổ bạc người Mông", "Trang sức", "Bạc", "Mông", False),
    (0, "Mũ thêu trẻ em người Giáy", "Trang phục", "Vải, chỉ màu", "Giáy", False),
    (1, "Khèn Mông", "Nhạc cụ", "Trúc, gỗ", "Mông", False),
    (1, "Đàn tính", "Nhạc cụ", "Bầu khô, gỗ", "Thái", False),
    (1, "Sáo dọc", "Nhạc cụ", "Trúc", "Dao", False),
    (1, "Trống da người Dao", "Nhạc cụ", "Gỗ, da trâu", "Dao", False),
    (1, "Pí pặp", "Nhạc cụ", "Trúc", "Thái", False),
    (2, "Gùi mây", "Công cụ", "Mây", "Hà Nhì", False),
    (2, "Khung dệt thổ cẩm", "Công cụ", "Gỗ", "Lự", False),
    (2, "Dao quắm", "Công cụ", "Sắt, gỗ", "Mông", False),
    (2, "Ống đựng hạt giống", "Công cụ", "Tre", "Si La", False),
    (2, "Cối giã gạo", "Công cụ", "Gỗ", "Kháng", False),
    (3, "Hát Khắp của người Thái (bản ghi âm)", "Tư liệu ghi âm", "", "Thái", True),
    (3, "Lễ cấp sắc của người Dao (phim tư liệu)", "Tư liệu ghi hình", "", "Dao", True),
    (3, "Múa xòe Thái (phim tư liệu)", "Tư liệu ghi hình", "", "Thái", True),
    (3, "Lễ cúng bản người Cống (ghi chép điền dã)", "Tư liệu điền dã", "", "Cống", True),
]
SCHOOLS = ["Trường THCS Đoàn Kết", "Trường Tiểu học Quyết Thắng", "Trường THPT Chuyên Lê Quý Đôn",
           "Trường THCS Quyết Thắng", "Trường PTDT Nội trú tỉnh Lai Châu", "Trường THPT Thành phố Lai Châu"]


def _day(year, month, day):
    return dt.date(year, month, min(day, 28 if month == 2 else 30))


def _open_close(exhibition, today):
    """Bring a past or running exhibition to the state its dates say."""
    if exhibition.start <= today:
        services.set_exhibition_status(exhibition, ExhibitionStatus.OPEN, actor=SYSTEM, on=exhibition.start)
    if exhibition.end < today:
        services.set_exhibition_status(exhibition, ExhibitionStatus.CLOSED, actor=SYSTEM, on=exhibition.end)


def _visitors(exhibition, rng, today, *, stop=None, per_day=(20, 80), school_share=0.5, days=4):
    first, last = (stop.start, stop.end) if stop is not None else (exhibition.start, exhibition.end)
    last = min(last, today)
    if last < first:
        return 0
    span = (last - first).days
    total = 0
    for n in range(days):
        day = first + dt.timedelta(days=rng.randint(0, span))
        visitors = rng.randint(*per_day)
        school = rng.choice(SCHOOLS) if rng.random() < school_share else ""
        students = rng.randint(visitors // 2, visitors) if school else rng.randint(0, visitors // 4)
        services.record_visitors(exhibition, actor=SYSTEM, date=day, visitors=visitors, students=students,
                                 school=school, stop=stop)
        total += visitors
    return total


def load_events(rng):
    year = local_today().year
    today = local_today()
    if services.exhibition_by_code(f"TVT-{year}-001", required=False) is not None:
        return "already loaded"
    museum, library = org.get_by_code("BTT"), org.get_by_code("TVT")
    counts = {"exhibitions": 0, "visitors": 0}

    # Library displays: ten at the provincial library, seven in the districts.
    for month, day, days, title, theme in LIBRARY_THEMES:
        start = _day(year, month, day)
        exhibition = services.create_exhibition(
            actor=SYSTEM, institution=library, kind="library_display", title=title, theme=theme,
            start=start, end=start + dt.timedelta(days=days - 1), venue="Phòng đọc tổng hợp – Thư viện tỉnh",
            venue_address="Phường Tân Phong, thành phố Lai Châu", opens_at=dt.time(7, 30), closes_at=dt.time(17, 0))
        for record in services.search_records(theme.split()[-1], limit=3):
            services.feature_record(exhibition, record, actor=SYSTEM)
        _open_close(exhibition, today)
        counts["visitors"] += _visitors(exhibition, rng, today, per_day=(10, 45), school_share=0.3, days=3)
        counts["exhibitions"] += 1
    for code, month, day, title, theme in DISTRICT_DISPLAYS:
        inst = org.get_by_code(code)
        start = _day(year, month, day)
        exhibition = services.create_exhibition(
            actor=SYSTEM, institution=inst, kind="library_display", title=title, theme=theme, start=start,
            end=start + dt.timedelta(days=13), venue=f"Phòng đọc – {inst.name}")
        _open_close(exhibition, today)
        counts["exhibitions"] += 1

    # The museum: thematic exhibitions with artifacts from its collections.
    collections = [services.create_collection(actor=SYSTEM, institution=museum, name=name, completeness=state,
                                              completeness_note=note,
                                              description=f"Sưu tập {name.lower()} của Bảo tàng tỉnh Lai Châu.")
                   for name, state, note in COLLECTIONS]
    artifacts = []
    for n, (index, name, kind, material, group, intangible) in enumerate(ARTIFACTS, start=1):
        accession_year = year if n % 5 == 0 else rng.randint(2012, year - 1)
        artifacts.append(services.create_artifact(
            actor=SYSTEM, institution=museum, code=f"BTLC-{accession_year}.{n:03d}", name=name,
            accessioned=min(today, dt.date(accession_year, rng.randint(1, 12), rng.randint(1, 28))),
            collection=collections[index], object_type=kind, material=material,
            ethnicity=ethnicity.match(group).code, heritage="intangible" if intangible else "tangible",
            provenance=rng.choice(["Sưu tầm tại bản", "Hiến tặng của gia đình nghệ nhân", "Mua của người dân"])
            + f" ({ethnicity.match(group).name})", condition=rng.choice(["good", "good", "fair", "poor"])))
    artifacts.sort(key=lambda a: a.accessioned)
    for n, (month, day, days, title, hall) in enumerate(MUSEUM_THEMATIC):
        start = _day(year, month, day)
        exhibition = services.create_exhibition(
            actor=SYSTEM, institution=museum, kind="thematic", title=title, start=start,
            end=start + dt.timedelta(days=days - 1), venue=hall, venue_address="Phường Đông Phong, thành phố Lai Châu",
            opens_at=dt.time(8, 0), closes_at=dt.time(17, 0), partners="Sở Văn hóa, Thể thao và Du lịch",
            description="Trưng bày giới thiệu hiện vật, hình ảnh và tư liệu của Bảo tàng tỉnh.")
        for artifact in artifacts[n * 4:n * 4 + 4]:
            if artifact.accessioned <= exhibition.start:
                services.feature_artifact(exhibition, artifact, actor=SYSTEM)
        _open_close(exhibition, today)
        counts["visitors"] += _visitors(exhibition, rng, today, per_day=(30, 150), days=6)
        counts["exhibitions"] += 1

    # One travelling exhibition, shown at three venues in partnership with schools and a district.
    title, stops = TRAVELLING
    first = _day(year, stops[0][0], stops[0][1])
    last_month, last_day, last_days, _v, _h = stops[-1]
    travelling = services.create_exhibition(
        actor=SYSTEM, institution=museum, kind="mobile", title=title, start=first,
        end=_day(year, last_month, last_day) + dt.timedelta(days=last_days - 1),
        partners="Sở Giáo dục và Đào tạo\nTrung tâm Văn hóa, Thông tin và Thể thao huyện Sìn Hồ\n"
                 "Phòng Văn hóa và Thông tin huyện Mường Tè",
        theme="Đời sống, trang phục và nhạc cụ của các dân tộc", opens_at=dt.time(7, 30), closes_at=dt.time(16, 30),
        description="Trưng bày lưu động đưa hiện vật và hình ảnh của Bảo tàng đến với học sinh vùng cao.")
    for month, day, days, venue, host in stops:
        start = _day(year, month, day)
        stop = services.add_stop(travelling, actor=SYSTEM, venue=venue, host=host, start=start,
                                 end=start + dt.timedelta(days=days - 1))
        counts["visitors"] += _visitors(travelling, rng, today, stop=stop, per_day=(60, 200), school_share=0.8,
                                        days=3)
    _open_close(travelling, today)
    counts["exhibitions"] += 1

    # Heritage events for students.
    for month, day, title, school in HERITAGE_EVENTS:
        start = _day(year, month, day)
        event = services.create_exhibition(
            actor=SYSTEM, institution=museum, kind="heritage_event", title=title, start=start, end=start,
            venue="Sân Bảo tàng tỉnh", opens_at=dt.time(8, 0), closes_at=dt.time(11, 0), partners=school,
            description="Hoạt động giới thiệu di sản văn hóa cho học sinh, có nghệ nhân trình diễn.")
        _open_close(event, today)
        if start <= today:
            visitors = rng.randint(80, 250)
            services.record_visitors(event, actor=SYSTEM, date=start, visitors=visitors,
                                     students=visitors - rng.randint(5, 20), school=school)
            counts["visitors"] += visitors
        counts["exhibitions"] += 1

    festivals = _festivals(rng, year)
    clubs = _clubs(rng, year)
    activities = _activities(rng, year)
    courses = _courses(year)
    return (f"{counts['exhibitions']} exhibitions and events, {counts['visitors']} visitors, {len(artifacts)} "
            f"artifacts, {festivals} festivals, {clubs} clubs, {activities} activities, {courses} courses")


def _cultural_houses(level):
    return [inst for inst in org.all_institutions(active_only=True, kinds=services.CULTURAL_KINDS)
            if inst.level.value == level]


def _festivals(rng, year):
    made = 0
    centre = org.get_by_code("TTVH")
    services.create_festival(actor=SYSTEM, institution=centre, kind="folk_song",
                             title="Liên hoan tiếng hát dân ca các dân tộc tỉnh Lai Châu",
                             date=dt.date(year - 1, 9, 15),
                             end=dt.date(year - 1, 9, 17), venue="Quảng trường nhân dân tỉnh", participants=620)
    services.create_festival(actor=SYSTEM, institution=centre, kind="ethnic_culture_day",
                             title=f"Ngày hội Văn hóa các dân tộc tỉnh Lai Châu lần thứ {year - 2000}",
                             date=dt.date(year, 10, 2), end=dt.date(year, 10, 4), venue="Quảng trường nhân dân tỉnh",
                             participants=1500)
    made += 2
    districts = _cultural_houses("district")
    for n, inst in enumerate(districts):
        if n == len(districts) - 1:
            continue  # one district has not held its festival in this cycle: the compliance view shows it
        held = year - (n % 2)
        kind = rng.choice(["mass_art_festival", "mass_art_show", "folk_song"])
        title = {"mass_art_festival": "Liên hoan văn nghệ quần chúng",
                 "mass_art_show": "Hội diễn nghệ thuật quần chúng",
                 "folk_song": "Liên hoan tiếng hát dân ca"}[kind]
        services.create_festival(actor=SYSTEM, institution=inst, kind=kind,
                                 title=f"{title} {inst.name.split('huyện ')[-1].split('thành phố ')[-1]}",
                                 date=dt.date(held, rng.randint(3, 9), rng.randint(1, 28)),
                                 venue="Nhà văn hóa trung tâm", participants=rng.randint(150, 400))
        made += 1
    for n, inst in enumerate(_cultural_houses("commune")):
        if n % 4 == 3:
            continue
        for held in (year - 1, year):
            services.create_festival(actor=SYSTEM, institution=inst, kind="national_unity_day",
                                     title="Ngày hội Đại đoàn kết toàn dân tộc", date=dt.date(held, 11, 18),
                                     venue=inst.name, participants=rng.randint(80, 300))
            made += 1
    for n, inst in enumerate(_cultural_houses("village")):
        if n % 3 != 2:
            services.create_festival(actor=SYSTEM, institution=inst, kind="ethnic_culture_day",
                                     title=f"Ngày hội văn hóa {inst.name.replace('Nhà văn hóa ', '')}",
                                     date=dt.date(year, rng.randint(1, 3), rng.randint(1, 28)),
                                     venue="Sân nhà văn hóa", participants=rng.randint(60, 200))
            made += 1
    return made


CLUBS = [
    ("Câu lạc bộ hát dân ca Thái", "Dân ca, dân vũ Thái", "village", "Lò Văn Ún"),
    ("Câu lạc bộ khèn Mông", "Thổi khèn, múa khèn", "village", "Giàng A Páo"),
    ("Câu lạc bộ đọc sách", "Đọc sách, kể chuyện", "school", "Nguyễn Thị Hoa"),
    ("Câu lạc bộ xòe Thái", "Múa xòe", "village", "Lường Thị Ơn"),
    ("Câu lạc bộ bóng chuyền", "Bóng chuyền hơi", "village", "Tao Văn Thành"),
    ("Câu lạc bộ thêu thổ cẩm", "Thêu, dệt thổ cẩm", "village", "Tẩn Mý Chiêm"),
    ("Câu lạc bộ em yêu di sản", "Tìm hiểu di sản văn hóa", "school", "Vàng Thị Dung"),
]


def _clubs(rng, year):
    made = 0
    for n, inst in enumerate(_cultural_houses("village") + _cultural_houses("commune")):
        name, interest, setting, head = CLUBS[n % len(CLUBS)]
        place = inst.name.replace("Nhà văn hóa ", "")
        if setting == "school":
            place = f"Trường THCS {place.replace('bản ', '').replace('xã ', '')}"
        active_to = dt.date(year - 1, 12, 31) if n % 9 == 8 else None
        services.create_club(actor=SYSTEM, institution=inst, name=f"{name} {place}", interest=interest,
                             setting=setting, place=place, head=head, members=rng.randint(12, 45),
                             meetings=rng.choice(["Tối thứ Bảy hằng tuần", "Chủ nhật đầu tháng", "Hai buổi mỗi tháng"]),
                             active_from=dt.date(rng.randint(2015, year - 1), rng.randint(1, 12), 1),
                             active_to=active_to)
        made += 1
    return made


ACTIVITY_TITLES = {
    "information": ["Tuyên truyền phòng chống ma túy", "Phổ biến pháp luật về đất đai", "Chiếu phim tài liệu"],
    "arts": ["Sinh hoạt văn nghệ", "Tập luyện múa xòe", "Giao lưu hát dân ca"],
    "sports": ["Giải bóng chuyền hơi", "Kéo co, đẩy gậy", "Giải việt dã"],
    "recreation": ["Trò chơi dân gian cho thiếu nhi", "Đêm hội trăng rằm", "Sinh hoạt cộng đồng"],
}


def _activities(rng, year):
    made = 0
    clubs = services.clubs_active_on(dt.date(year, 1, 1))
    for inst in _cultural_houses("village") + _cultural_houses("commune") + _cultural_houses("district"):
        for month in range(1, 13, 2):
            kind = rng.choice(list(ACTIVITY_TITLES))
            day = dt.date(year, month, rng.randint(1, 28))
            club = next((c for c in clubs if c.institution_id == inst.id), None) if kind == "arts" else None
            participants = rng.randint(20, 150) if day <= local_today() else None
            services.schedule_activity(actor=SYSTEM, institution=inst, kind=kind,
                                       title=rng.choice(ACTIVITY_TITLES[kind]), date=day,
                                       starts_at=dt.time(19, 30) if kind != "sports" else dt.time(15, 0),
                                       ends_at=dt.time(21, 30) if kind != "sports" else dt.time(17, 30),
                                       place=inst.name, participants=participants, club=club)
            made += 1
    # A monthly story hour at the provincial library, scheduled once for the whole year.
    first_saturday = next(dt.date(year, 1, d) for d in range(1, 8) if dt.date(year, 1, d).weekday() == 5)
    made += len(services.schedule_activity(
        actor=SYSTEM, institution=org.get_by_code("TVT"), kind="recreation", title="Giờ kể chuyện cho thiếu nhi",
        date=first_saturday, repeat=Repeat.MONTHLY_WEEKDAY, until=dt.date(year, 12, 31), starts_at=dt.time(9, 0),
        ends_at=dt.time(10, 30), place="Phòng đọc thiếu nhi – Thư viện tỉnh"))
    return made


COURSES = [
    ("TTVH", 3, 14, 3, "Bồi dưỡng nghiệp vụ cho cán bộ văn hóa cấp xã", "commune_officers", 68, 49),
    ("TTVH", 6, 6, 2, "Tập huấn chủ nhiệm nhà văn hóa thôn, bản", "house_heads", 85, 71),
    ("TTVH-PT", 8, 21, 2, "Tập huấn chủ nhiệm câu lạc bộ văn hóa", "club_heads", 42, 37),
    ("TTVH-SH", 10, 16, 3, "Bồi dưỡng đội trưởng đội văn nghệ quần chúng", "troupe_leaders", 36, 33),
]


def _courses(year):
    for code, month, day, days, title, audience, trainees, minority in COURSES:
        start = dt.date(year, month, day)
        services.create_course(actor=SYSTEM, institution=org.get_by_code(code), title=title, audience=audience,
                               start=start, end=start + dt.timedelta(days=days - 1),
                               place="Hội trường Trung tâm Văn hóa – Thông tin – Triển lãm tỉnh",
                               trainees=trainees, minority_trainees=minority)
    return len(COURSES)


register_demo(DemoLoader("events", load_events, order=70, depends=("network",)))
