"""The follow-up's JSON Lines types: import through the services, refusals explained, and the round trip
(export one database, import into an empty one: the same figures and the same lines)."""
import datetime as dt
import json

import sqlalchemy as sa

from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.department import services
from ilms.department.models import Inspection, MediaItem, Recommendation, RecommendationStatus, SchoolSession
from ilms.events import services as events
from ilms.extensions import db
from ilms.ops import services as ops
from ilms.stats import registry

D = dt.date
SPAN = Period(D(2025, 1, 1), D(2026, 12, 31))
TODAY = D(2026, 12, 31)
CODES = ("DEP.INSPECTIONS", "DEP.MEDIA_ITEMS", "DEP.FUNDING", "MUS.SCHOOL_PROGRAMMES", "MUS.PERMANENT_DISPLAYS",
         "DEP.EXCHANGES")


def lines(*objects):
    return [json.dumps(o, ensure_ascii=False) for o in objects]


def build(network):
    """A year and a half of every record, through the services."""
    district, museum = network["district"], network["museum"]
    visit = services.record_inspection(actor=SYSTEM, institution=district, kind="inspection", date=D(2025, 3, 4),
                                       inspectors="Thanh tra Sở", scope="Kho sách", findings="Kho ẩm\nThiếu sổ",
                                       today=TODAY)
    first = services.add_recommendation(visit, actor=SYSTEM, text="Chống ẩm kho", responsible="Lò Văn Tâm",
                                        deadline=D(2025, 5, 1))
    services.add_recommendation(visit, actor=SYSTEM, text="Lập sổ", responsible="Lò Văn Tâm", deadline=D(2025, 4, 1))
    services.answer_recommendation(first, actor=SYSTEM, note="Đã lắp máy hút ẩm", done_on=D(2025, 4, 28),
                                   today=TODAY)
    services.record_media_item(actor=SYSTEM, institution=district, medium="press", date=D(2025, 4, 23),
                               title="Ngày Sách Việt Nam", made_by="Báo Lai Châu", link="https://baolaichau.vn/a",
                               today=TODAY)
    services.record_media_item(actor=SYSTEM, institution=museum, medium="tv", date=D(2026, 2, 2), title="Bảo tàng",
                               today=TODAY)
    services.record_funding(actor=SYSTEM, institution=museum, date=D(2025, 6, 1), source="socialisation",
                            amount=40_000_000, purpose="Trưng bày ngoài trời", donor="Công ty CP Thủy điện",
                            today=TODAY)
    services.record_funding(actor=SYSTEM, institution=district, date=D(2026, 1, 15), source="state_budget",
                            amount=60_000_000, purpose="Luân chuyển sách", today=TODAY)
    programme = services.create_programme(actor=SYSTEM, institution=museum, code="CT-BTT-01", title="Di sản",
                                          agreement="73/HD-BGDĐT-BVHTTDL", start=D(2025, 1, 1), end=D(2026, 5, 31))
    services.record_session(programme, actor=SYSTEM, school="Trường THCS Đoàn Kết", commune="Đoàn Kết",
                            date=D(2025, 10, 3), place="museum", students=42, topic="Trang phục", today=TODAY)
    services.record_session(programme, actor=SYSTEM, school="Trường THCS Đoàn Kết", date=D(2026, 3, 3),
                            place="school", students=39, today=TODAY)
    events.create_artifact(actor=SYSTEM, institution=museum, code="BTLC-2025.01", name="Khèn",
                           accessioned=D(2025, 2, 1))
    display = services.create_display(actor=SYSTEM, institution=museum, kind="outdoor", code="TB-NT",
                                      title="Không gian nhà sàn", opened_on=D(2025, 9, 2))
    section = services.add_section(display, actor=SYSTEM, title="Nhà sàn Thái", planned_by=D(2025, 8, 31))
    services.add_section(display, actor=SYSTEM, title="Nhà trình tường")
    services.complete_section(section, actor=SYSTEM, on=D(2025, 8, 20), today=TODAY)
    services.add_display_artifact(display, actor=SYSTEM, artifact="BTLC-2025.01")
    services.record_exchange(actor=SYSTEM, institution=district, direction="made", date=D(2025, 11, 11),
                             title="Học tập", partners="Thư viện tỉnh Yên Bái\nThư viện huyện Văn Chấn",
                             out_of_province=True, participants=5, today=TODAY)
    db.session.commit()


def figures(ids):
    out = {}
    for code in CODES:
        indicator = registry.get(code)
        for period in (Period.year(2025), Period.year(2026)):
            out[(code, period.start.year)] = indicator.compute(period, ids)
            for name, breakdown in indicator.breakdowns.items():
                out[(code, period.start.year, name)] = breakdown(period, ids)
    return out


def ours(exported):
    return [line for line in exported if json.loads(line)["type"] not in ("institution", "artifact")]


def test_export_then_import_into_an_empty_database_gives_the_same_figures_and_lines(app_factory, network):
    build(network)
    ids = sorted(i.id for i in network.values())
    before = figures(ids)
    exported = list(ops.export_lines(SPAN))
    types = {json.loads(line)["type"] for line in exported}
    assert {"inspection", "recommendation_answer", "media_item", "funding", "school_programme", "school_session",
            "display", "display_section", "display_artifacts", "exchange_visit"} <= types

    other = app_factory()
    with other.app_context():
        report = ops.import_lines(exported)
        assert report.ok, [str(e) for e in report.errors]
        from ilms.org import services as org
        other_ids = sorted(org.get_by_code(inst.code).id for inst in network.values())
        after = figures(other_ids)
        again = list(ops.export_lines(SPAN))
        recs = db.session.scalars(sa.select(Recommendation).order_by(Recommendation.position)).all()
        assert [(r.status, r.done_on) for r in recs] == [(RecommendationStatus.DONE, D(2025, 4, 28)),
                                                         (RecommendationStatus.OPEN, None)]
        # importing the same file again adds nothing
        counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m))
                  for m in (Inspection, Recommendation, MediaItem, SchoolSession)]
        assert ops.import_lines(exported).ok
        assert [db.session.scalar(sa.select(sa.func.count()).select_from(m))
                for m in (Inspection, Recommendation, MediaItem, SchoolSession)] == counts
        db.session.remove()

    def remap(values):
        code_of = {inst.id: inst.code for inst in network.values()}
        return values if not isinstance(values, dict) else {code_of.get(k, k): v for k, v in values.items()}

    with other.app_context():
        from ilms.org import services as org
        by_code = {org.get_by_code(inst.code).id: inst.code for inst in network.values()}
        after = {key: ({by_code.get(k, k): v for k, v in value.items()}) for key, value in after.items()}
        db.session.remove()
    before = {key: remap(value) for key, value in before.items()}
    assert after == before
    assert before[("DEP.FUNDING", 2025, "socialised")] == {"share": 100.0}
    # ids name the other database's rows; everything else is the same line
    strip = [{k: v for k, v in json.loads(line).items() if k != "id"} for line in ours(exported)]
    strip_again = [{k: v for k, v in json.loads(line).items() if k != "id"} for line in ours(again)]
    assert strip_again == strip


def test_bad_lines_are_explained_and_nothing_is_imported(network):
    report = ops.import_lines(lines(
        {"type": "inspection", "code": "TT-1", "institution": "TVH-TD", "kind": "check", "date": "2025-03-04",
         "inspectors": "Sở", "recommendations": [{"text": "Sửa", "responsible": "A", "deadline": "2025-03-01"}]},
        {"type": "recommendation_answer", "inspection": "TT-9", "recommendation": 1, "done_on": "2025-04-01",
         "note": "x"},
        {"type": "funding", "institution": "BTT", "date": "2025-01-01", "source": "lottery", "amount": 5,
         "purpose": "x"},
        {"type": "school_session", "programme": "NOPE", "school": "A", "date": "2025-01-01", "place": "museum",
         "students": 3},
        {"type": "display", "code": "TB-1", "institution": "TVH-TD", "kind": "permanent", "title": "T"},
        {"type": "media_item", "institution": "NOPE", "medium": "press", "date": "2025-01-01", "title": "T"},
    ))
    messages = {e.line: e.message for e in report.errors}
    assert not report.committed
    assert "before the visit" in messages[1]
    assert "TT-9" in messages[2]
    assert "'source'" in messages[3]
    assert "NOPE" in messages[4]
    assert "museum" in messages[5]
    assert "NOPE" in messages[6]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 0
