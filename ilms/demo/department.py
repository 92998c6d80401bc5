"""Demo: a year and a half of the Department's follow-up (last year in full and this year to date):
inspections of libraries, the museum and cultural centres with their recommendations (most answered on time,
some late, a few overdue), publicity items, funding by source, the museum's and libraries' school
programmes, the museum's permanent and outdoor displays, and study visits.

Only days that have passed are recorded. Loading twice adds nothing: the loader stops when its first
inspection exists.
"""
import datetime as dt

import sqlalchemy as sa

from ..common.permissions import SYSTEM
from ..common.registry import DemoLoader, register_demo
from ..common.time import local_today
from ..department import services
from ..department.models import Inspection
from ..extensions import db
from ..org import services as org

INSPECTORS = ["Đoàn kiểm tra Sở Văn hóa, Thể thao và Du lịch", "Thanh tra Sở Văn hóa, Thể thao và Du lịch",
              "Đoàn giám sát Ban Văn hóa – Xã hội HĐND tỉnh"]
SCOPES = ["Phục vụ bạn đọc, luân chuyển sách báo", "Bảo quản hiện vật và trưng bày",
          "Hoạt động của nhà văn hóa, câu lạc bộ", "Thực hiện Kế hoạch 1133/KH-UBND"]
RECOMMENDATIONS = [
    ("Bổ sung sổ đăng ký tổng quát và sổ đăng ký cá biệt", 45),
    ("Chống ẩm, chống mối cho kho sách", 60),
    ("Xây dựng kế hoạch luân chuyển sách về các điểm Bưu điện văn hóa xã", 30),
    ("Cập nhật số liệu bạn đọc dân tộc thiểu số vào báo cáo 6 tháng", 20),
    ("Bố trí cán bộ theo dõi điểm truy cập Internet công cộng", 40),
    ("Lập hồ sơ hiện vật mới sưu tầm", 90),
]
VISITED = ["TVH-TD", "TVH-PT", "TVH-SH", "TVH-MT", "TVH-THU", "TVH-TNU", "TVH-NN", "TVH-TP", "TVT", "BTT", "TTVH"]
MEDIA = [
    ("press", "Báo Lai Châu", "Thư viện tỉnh đẩy mạnh luân chuyển sách về vùng cao"),
    ("radio", "Đài Phát thanh – Truyền hình tỉnh", "Xây dựng xã hội học tập từ thư viện cơ sở"),
    ("tv", "Đài Phát thanh – Truyền hình tỉnh", "Bảo tàng tỉnh – điểm đến của học sinh"),
    ("website", "Cổng thông tin điện tử tỉnh", "Ngày Sách và Văn hóa đọc Việt Nam tại Lai Châu"),
    ("social", "Trang Facebook Thư viện tỉnh", "Giới thiệu sách hay tháng này"),
    ("banner", "", "Băng rôn hưởng ứng Ngày Sách và Văn hóa đọc Việt Nam 21/4"),
]
SCHOOLS = [("Trường THCS Đoàn Kết", "Đoàn Kết"), ("Trường Tiểu học Quyết Thắng", "Quyết Thắng"),
           ("Trường PTDT Nội trú tỉnh", "Tân Phong"), ("Trường THPT Chuyên Lê Quý Đôn", "Đông Phong"),
           ("Trường PTDT Bán trú THCS Bum Nưa", "Bum Nưa"), ("Trường Tiểu học Bình Lư", "Bình Lư")]


def _past(day, today):
    return day if day <= today else None


def load_department(rng):
    if db.session.scalar(sa.select(Inspection.id).limit(1)) is not None:
        return "already loaded"
    today = local_today()
    years = (today.year - 1, today.year)
    counts = dict(inspections=0, recommendations=0, media=0, funding=0, sessions=0, exchanges=0)
    museum = org.get_by_code("BTT")
    library = org.get_by_code("TVT")

    # Inspections: two or three a quarter, each with one to three recommendations.
    for year in years:
        for month in range(1, 13):
            day = _past(dt.date(year, month, rng.randint(3, 25)), today - dt.timedelta(days=2))
            if day is None or month % 2:
                continue
            code = VISITED[(month // 2 + year) % len(VISITED)]
            inspection = services.record_inspection(
                actor=SYSTEM, institution=org.get_by_code(code), kind=rng.choice(["check", "check", "inspection",
                                                                                  "supervision"]),
                date=day, inspectors=rng.choice(INSPECTORS), scope=rng.choice(SCOPES), today=today,
                findings="Đơn vị thực hiện tương đối tốt kế hoạch; còn một số tồn tại cần khắc phục.")
            counts["inspections"] += 1
            for text, days in rng.sample(RECOMMENDATIONS, rng.randint(1, 3)):
                rec = services.add_recommendation(inspection, actor=SYSTEM, text=text, responsible="Giám đốc đơn vị",
                                                  deadline=day + dt.timedelta(days=days))
                counts["recommendations"] += 1
                fate = rng.random()
                done_on = rec.deadline - dt.timedelta(days=rng.randint(0, days - 1)) if fate < 0.7 else \
                    rec.deadline + dt.timedelta(days=rng.randint(1, 20)) if fate < 0.85 else None
                if done_on is not None and done_on <= today:
                    services.answer_recommendation(rec, actor=SYSTEM, note="Đơn vị đã khắc phục, có biên bản kèm theo.",
                                                   done_on=done_on, today=today)

    # Publicity: a few items a month, made or requested by the provincial library, the museum or a district.
    makers = [library, museum] + [org.get_by_code(c) for c in ("TVH-TD", "TVH-PT", "TVH-SH", "TTVH")]
    for year in years:
        for month in range(1, 13):
            for _n in range(rng.randint(1, 3)):
                day = _past(dt.date(year, month, rng.randint(1, 28)), today)
                if day is None:
                    continue
                medium, made_by, title = rng.choice(MEDIA)
                services.record_media_item(actor=SYSTEM, institution=rng.choice(makers), medium=medium, date=day,
                                           title=title, made_by=made_by, today=today)
                counts["media"] += 1

    # Funding: the state budget each quarter, socialisation now and then, other sources rarely.
    for year in years:
        for quarter in range(4):
            day = _past(dt.date(year, 3 * quarter + 1, 15), today)
            if day is None:
                continue
            for inst in (library, museum):
                services.record_funding(actor=SYSTEM, institution=inst, date=day, source="state_budget",
                                        amount=rng.randint(8, 20) * 5_000_000, purpose="Hoạt động thường xuyên của kế hoạch",
                                        donor="Ngân sách tỉnh", today=today)
                counts["funding"] += 1
            if rng.random() < 0.6:
                services.record_funding(actor=SYSTEM, institution=rng.choice(makers), date=day, source="socialisation",
                                        amount=rng.randint(2, 12) * 2_500_000, purpose="Tủ sách, giá sách cho điểm đọc",
                                        donor=rng.choice(["Công ty CP Thủy điện Lai Châu", "Hội Khuyến học tỉnh",
                                                          "Ngân hàng Nông nghiệp chi nhánh Lai Châu"]), today=today)
                counts["funding"] += 1
        day = _past(dt.date(year, 9, 5), today)
        if day is not None:
            services.record_funding(actor=SYSTEM, institution=museum, date=day, source="other", amount=15_000_000,
                                    purpose="Sưu tầm hiện vật", donor="Dự án bảo tồn văn hóa dân tộc", today=today)
            counts["funding"] += 1

    # School programmes: the museum's heritage lessons and the provincial library's reading lessons.
    heritage = services.create_programme(actor=SYSTEM, institution=museum, title="Đưa di sản vào trường học",
                                         agreement="Hướng dẫn 73/HD-BGDĐT-BVHTTDL", start=dt.date(years[0], 1, 1))
    reading = services.create_programme(actor=SYSTEM, institution=library, title="Tiết học thư viện",
                                         agreement="Kế hoạch phối hợp với Sở Giáo dục và Đào tạo",
                                         start=dt.date(years[0], 1, 1))
    for year in years:
        for month in (3, 4, 5, 9, 10, 11, 12):
            for programme, place in ((heritage, rng.choice(["museum", "school"])), (reading, "library")):
                day = _past(dt.date(year, month, rng.randint(2, 26)), today)
                if day is None:
                    continue
                school, commune = rng.choice(SCHOOLS)
                services.record_session(programme, actor=SYSTEM, school=school, commune=commune, date=day, place=place,
                                        students=rng.randint(25, 45), topic=programme.title, today=today)
                counts["sessions"] += 1

    # The museum's permanent and outdoor displays, section by section.
    displays = [("TB-CD-01", "permanent", "Hệ thống trưng bày cố định Bảo tàng tỉnh",
                 ["Thiên nhiên Lai Châu", "Lịch sử hình thành tỉnh", "Văn hóa các dân tộc", "Lai Châu hôm nay"],
                 dt.date(years[0], 5, 19)),
                ("TB-NT-01", "outdoor", "Trưng bày ngoài trời: không gian nhà truyền thống",
                 ["Nhà sàn Thái", "Nhà trình tường Hà Nhì", "Nhà gỗ Mông"], dt.date(years[0], 9, 2))]
    from ..events.models import Artifact
    artifacts = db.session.scalars(sa.select(Artifact).where(Artifact.institution_id == museum.id)
                                   .order_by(Artifact.code).limit(8)).all()
    for n, (code, kind, title, sections, opened) in enumerate(displays):
        display = services.create_display(actor=SYSTEM, institution=museum, kind=kind, code=code, title=title,
                                          opened_on=opened if opened <= today else None)
        for k, name in enumerate(sections):
            planned = opened + dt.timedelta(days=120 * k)
            section = services.add_section(display, actor=SYSTEM, title=name, planned_by=planned)
            done = planned + dt.timedelta(days=rng.randint(-20, 40))
            if k < len(sections) - 1 and done <= today:
                services.complete_section(section, actor=SYSTEM, on=done, today=today)
        for artifact in artifacts[n::2]:
            services.add_display_artifact(display, actor=SYSTEM, artifact=artifact)

    # Study and exchange visits.
    visits = [("TVT", "made", True, 4, 10, "Học tập mô hình thư viện thân thiện", "Thư viện tỉnh Lào Cai"),
              ("BTT", "received", True, 6, 12, "Đón đoàn Bảo tàng tỉnh Điện Biên", "Bảo tàng tỉnh Điện Biên"),
              ("TVH-TD", "made", False, 8, 20, "Trao đổi kinh nghiệm luân chuyển sách", "Thư viện huyện Phong Thổ"),
              ("TTVH", "made", True, 10, 15, "Học tập tổ chức ngày hội văn hóa", "Trung tâm Văn hóa tỉnh Sơn La")]
    for year in years:
        for code, direction, outside, month, day_of_month, title, partner in visits:
            day = _past(dt.date(year, month, day_of_month), today)
            if day is None:
                continue
            services.record_exchange(actor=SYSTEM, institution=org.get_by_code(code), direction=direction,
                                     out_of_province=outside, date=day, title=title, partners=partner,
                                     participants=rng.randint(4, 12), today=today)
            counts["exchanges"] += 1
    db.session.flush()
    return ", ".join(f"{n} {name}" for name, n in counts.items())


register_demo(DemoLoader("department", load_department, order=80, depends=("network", "events")))
