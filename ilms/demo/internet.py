"""Demo: public computers at the libraries and several points, a year of sessions, trainings, connectivity."""
import datetime as dt

import sqlalchemy as sa

from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_datetime, local_today
from ..extensions import db
from ..internet import services
from ..internet.models import AgeBand, InternetSession, InternetSettings, LinkType, Station, Training
from ..org import services as org
from ..patrons.models import Patron

#: institution code -> (public computers, training machines, first day in service)
STATIONS = {
    "TVT": (6, 2, dt.date(2013, 9, 1)),
    "TVH-TP": (5, 0, dt.date(2014, 3, 1)), "TVH-TD": (4, 1, dt.date(2014, 3, 1)),
    "TVH-PT": (4, 0, dt.date(2014, 6, 1)), "TVH-SH": (3, 0, dt.date(2014, 6, 1)),
    "TVH-MT": (3, 0, dt.date(2015, 1, 5)), "TVH-THU": (4, 0, dt.date(2014, 6, 1)),
    "TVH-TNU": (3, 0, dt.date(2015, 1, 5)), "TVH-NN": (3, 0, dt.date(2016, 4, 1)),
    "BD-TD-BL": (2, 0, dt.date(2015, 5, 1)), "BD-TD-BB": (1, 0, dt.date(2015, 5, 1)),
    "BD-PT-MS": (2, 0, dt.date(2015, 8, 1)), "BD-SH-PT": (1, 0, dt.date(2015, 8, 1)),
    "BD-MT-BN": (1, 0, dt.date(2016, 2, 1)), "BD-THU-MK": (2, 0, dt.date(2015, 8, 1)),
    "BD-TNU-MK": (1, 0, dt.date(2016, 2, 1)), "BD-NN-LL": (1, 0, dt.date(2016, 6, 1)),
    "NET-TD-BL": (3, 0, dt.date(2016, 6, 1)),
}

#: The main ethnic groups of each district (GSO codes), most numerous first, for guests and trainees.
GROUPS = {
    "TVT": ["01", "03", "08", "25", "09"], "TP": ["01", "03", "08", "25"], "TD": ["25", "08", "03", "09", "01"],
    "PT": ["09", "08", "25", "35", "03"], "SH": ["08", "03", "09", "35"], "MT": ["35", "41", "48", "45", "03"],
    "THU": ["03", "01", "08", "29"], "TNU": ["03", "08", "29", "09", "01"], "NN": ["03", "08", "35", "48"],
}
#: How many sessions a computer gets on an open day, on average.
DAILY_USE = {"library": 0.45, "point": 0.25}

TOPICS = [
    "Hướng dẫn sử dụng máy tính cơ bản",
    "Tra cứu thông tin giá nông sản, giống cây trồng trên Internet",
    "Sử dụng thư điện tử và mạng xã hội an toàn",
    "Tìm kiếm việc làm và học nghề qua Internet",
    "Nộp hồ sơ dịch vụ công trực tuyến",
    "Tra cứu sách báo điện tử của thư viện",
    "Phòng tránh lừa đảo trên mạng cho đồng bào dân tộc",
    "Học tập trực tuyến cho học sinh và phụ huynh",
]
TRAINERS = ["Vàng Thị Mai", "Lò Văn Dũng", "Tao Thị Hoa", "Giàng A Chứ", "Lường Thị Nga", "Chảo Láo Tả"]
VILLAGE_HALLS = ["Nhà văn hóa bản Nà Khum", "Nhà văn hóa bản Phiêng Phát", "Nhà văn hóa bản Gia Khâu",
                 "Nhà văn hóa bản Nậm Cha"]
VOID_REASONS = ["Bấm nhầm máy", "Nhập trùng lượt", "Khách đổi sang máy khác"]

#: institution code -> [(date, connected, link type, Mbit/s, note)]
CONNECTIVITY = {
    "TVT": [(dt.date(2012, 5, 1), True, LinkType.DSL, 8, ""), (dt.date(2017, 3, 15), True, LinkType.FIBRE, 50, "")],
    "TVH-TP": [(dt.date(2014, 3, 1), True, LinkType.FIBRE, 20, "")],
    "TVH-TD": [(dt.date(2014, 3, 1), True, LinkType.DSL, 4, "Dự án BMGF-VN"),
               (dt.date(2019, 8, 20), True, LinkType.FIBRE, 30, "Chuyển sang cáp quang")],
    "TVH-PT": [(dt.date(2014, 6, 1), True, LinkType.DSL, 4, ""),
               (dt.date(2018, 7, 3), False, None, None, "Lũ cuốn trôi cột cáp"),
               (dt.date(2018, 9, 12), True, LinkType.MOBILE, 10, "Tạm dùng 3G"),
               (dt.date(2020, 5, 4), True, LinkType.FIBRE, 30, "")],
    "TVH-SH": [(dt.date(2015, 2, 1), True, LinkType.MOBILE, 3, ""), (dt.date(2020, 10, 6), True, LinkType.FIBRE, 20, "")],
    "TVH-MT": [(dt.date(2015, 1, 5), False, None, None, "Chưa có đường truyền"),
               (dt.date(2017, 4, 1), True, LinkType.SATELLITE, 2, "VSAT"),
               (dt.date(2020, 11, 25), True, LinkType.FIBRE, 20, "Kéo cáp quang về thị trấn")],
    "TVH-THU": [(dt.date(2014, 6, 1), True, LinkType.DSL, 6, ""), (dt.date(2019, 3, 1), True, LinkType.FIBRE, 30, "")],
    "TVH-TNU": [(dt.date(2015, 1, 5), True, LinkType.DSL, 4, ""), (dt.date(2020, 2, 10), True, LinkType.FIBRE, 30, "")],
    "TVH-NN": [(dt.date(2016, 4, 1), False, None, None, "Huyện mới, chưa có đường truyền"),
               (dt.date(2018, 12, 1), True, LinkType.MOBILE, 5, ""),
               (dt.date(2020, 9, 15), True, LinkType.FIBRE, 20, "")],
    "BD-TD-BL": [(dt.date(2015, 5, 1), True, LinkType.DSL, 2, "")],
    "BD-TD-BB": [(dt.date(2015, 5, 1), True, LinkType.MOBILE, 2, "")],
    "BD-PT-MS": [(dt.date(2015, 8, 1), True, LinkType.DSL, 2, "")],
    "BD-SH-PT": [(dt.date(2015, 8, 1), False, None, None, "Sóng yếu")],
    "BD-MT-BN": [(dt.date(2016, 2, 1), True, LinkType.SATELLITE, 1, "")],
    "BD-THU-MK": [(dt.date(2015, 8, 1), True, LinkType.FIBRE, 10, "")],
    "BD-TNU-MK": [(dt.date(2016, 2, 1), True, LinkType.MOBILE, 3, "")],
    "NET-TD-BL": [(dt.date(2016, 6, 1), True, LinkType.DSL, 4, ""), (dt.date(2021, 4, 1), True, LinkType.FIBRE, 30, "")],
}


def _district(code):
    return "TVT" if code == "TVT" else code.split("-")[1]


def _weighted_group(rng, district):
    groups = GROUPS[district]
    weights = [len(groups) - i for i in range(len(groups))]
    return rng.choices(groups, weights=weights)[0]


def _load_stations(rng):
    made = 0
    for code, (public, training, since) in STATIONS.items():
        inst = org.get_by_code(code, required=False)
        if inst is None:
            continue
        for n in range(1, public + training + 1):
            station_code = f"{code}-PC{n:02d}"
            if services.station_by_code(station_code, required=False) is not None:
                continue
            is_training = n > public
            services.create_station(actor=SYSTEM, institution=inst, code=station_code,
                                    label=f"Máy lớp {n - public}" if is_training else f"Máy {n}",
                                    in_service_from=since, training_only=is_training)
            made += 1
        if db.session.get(InternetSettings, inst.id) is None:
            point = not inst.is_library
            services.update_settings(inst, actor=SYSTEM, session_limit_minutes=45 if point else 60,
                                     daily_limit_minutes=120 if code == "TVT" else None)
    tvt = org.get_by_code("TVT", required=False)
    if tvt is not None and not services.has_own_schedule(tvt.id):
        weekday = [(dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0))]
        weekend = [(dt.time(8, 0), dt.time(11, 0))]
        services.set_schedule(tvt, {**{d: weekday for d in range(5)}, 5: weekend, 6: weekend}, actor=SYSTEM)
    return made


def _local_readers():
    """Readers by home institution, for the sessions and trainings of the year (none before readers exist)."""
    by_home = {}
    for patron in db.session.scalars(sa.select(Patron).order_by(Patron.id).limit(3000)):
        by_home.setdefault(patron.institution_id, []).append(patron)
    return by_home


def _readers_near(inst, by_home):
    ids = [inst.id] + ([inst.parent_id] if inst.parent_id else [])
    return [p for i in ids for p in by_home.get(i, [])]


def _load_sessions(rng, first, last):
    codes = [code for code in STATIONS if org.get_by_code(code, required=False) is not None]
    if not codes:
        return 0
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession).join(Station)
                                 .where(Station.institution_id.in_([org.get_by_code(c).id for c in codes])))
    if existing:
        return 0
    by_home = _local_readers()
    busy_by_day = {}   # a reader comes to one computer a day at most, so sessions never overlap
    made = 0
    for code in codes:
        inst = org.get_by_code(code)
        district = _district(code)
        schedule = services.schedules_for([inst.id])[inst.id]
        readers = _readers_near(inst, by_home)
        daily = DAILY_USE["library" if inst.is_library else "point"]
        stations = services.stations_of(inst.id, public_only=True)
        day = first
        while day <= last:
            intervals = schedule.get(day.weekday(), [])
            busy_readers = busy_by_day.setdefault(day, set())
            for station in stations:
                if not station.in_service_on(day):
                    continue
                for opens, closes in intervals:
                    clock = dt.datetime.combine(day, opens) + dt.timedelta(minutes=rng.randint(0, 40))
                    end_of_shift = dt.datetime.combine(day, closes)
                    rate = daily / len(intervals)
                    while rng.random() < rate / (1 + rate):
                        minutes = rng.choice([15, 20, 30, 30, 45, 45, 60, 60, 60, 75, 90])
                        finish = clock + dt.timedelta(minutes=minutes)
                        if finish > end_of_shift:
                            break
                        patron, guest = None, None
                        candidates = [p for p in readers if p.id not in busy_readers and p.card_valid_on(day)]
                        if candidates and rng.random() < 0.45:
                            patron = rng.choice(candidates)
                            busy_readers.add(patron.id)
                        else:
                            guest = {"age_band": rng.choice(list(AgeBand)).value, "sex": rng.choice(["F", "M"]),
                                     "ethnicity": _weighted_group(rng, district)}
                        session = services.record_session(
                            actor=SYSTEM, station=station, patron=patron, guest=guest,
                            start=local_datetime(day, clock.time()), end=local_datetime(day, finish.time()))
                        if rng.random() < 0.01:
                            services.void_session(session, actor=SYSTEM, reason=rng.choice(VOID_REASONS),
                                                  at=session.ended_at)
                        made += 1
                        clock = finish + dt.timedelta(minutes=rng.randint(2, 50))
            day += dt.timedelta(days=1)
        db.session.flush()
    return made


def _load_trainings(rng, first, last):
    if db.session.scalar(sa.select(sa.func.count()).select_from(Training)):
        return 0
    by_home = _local_readers()
    made = 0
    hosts = [code for code in STATIONS if code != "NET-TD-BL"]
    for code in hosts:
        inst = org.get_by_code(code, required=False)
        if inst is None:
            continue
        district = _district(code)
        classes = 3 if inst.is_library else 1
        for _n in range(classes):
            day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
            groups = GROUPS[district][:3]
            counts = [(group, sex, rng.randint(1, 6)) for group in groups for sex in ("F", "M") if rng.random() < 0.85]
            readers = [p for p in _readers_near(inst, by_home) if p.card_valid_on(day)]
            cards = [p.barcode for p in rng.sample(readers, min(len(readers), rng.randint(0, 3)))]
            services.create_training(
                actor=SYSTEM, institution=inst, date=day, topic=rng.choice(TOPICS),
                place=inst.name if rng.random() < 0.6 else rng.choice(VILLAGE_HALLS),
                trainer=rng.choice(TRAINERS), duration_minutes=rng.choice([90, 120, 180, 240]),
                counts=counts, attendee_cards=cards)
            made += 1
    # One class is announced for next week, with its sheet ready to print and no attendance yet.
    tvt = org.get_by_code("TVT", required=False)
    if tvt is not None:
        services.create_training(actor=SYSTEM, institution=tvt, date=last + dt.timedelta(days=8),
                                 topic="Hướng dẫn sử dụng máy tính cơ bản", place="Phòng máy Thư viện tỉnh",
                                 trainer="Lò Văn Dũng", duration_minutes=120)
        made += 1
    return made


def _load_connectivity(rng):
    made = 0
    for code, records in CONNECTIVITY.items():
        inst = org.get_by_code(code, required=False)
        if inst is None:
            continue
        known = {r.date for r in services.connectivity_log(inst.id)}
        for day, connected, link, speed, note in records:
            if day in known:
                continue
            services.record_connectivity(actor=SYSTEM, institution=inst, date=day, connected=connected,
                                         link_type=link, speed_mbps=speed, note=note)
            made += 1
    return made


def load_internet(rng):
    last = local_today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=364)
    stations = _load_stations(rng)
    sessions = _load_sessions(rng, first, last)
    trainings = _load_trainings(rng, first, last)
    links = _load_connectivity(rng)
    return (f"{stations} computers, {sessions} sessions, {trainings} trainings, "
            f"{links} connectivity records")


register_demo(DemoLoader("internet", load_internet, order=60))
