"""The exhibition, festival, club, activity, course and artifact lines of the JSON Lines exchange."""
import json

import sqlalchemy as sa

from ilms.common.time import Period
from ilms.events import services
from ilms.events.models import Activity, Artifact, Club, Course, Exhibition, ExhibitionStop, Festival, VisitorCount
from ilms.extensions import db
from ilms.ops import services as ops
from ilms.stats import registry


def lines(*objects):
    return [json.dumps(o, ensure_ascii=False) for o in objects]


EXHIBITION = {"type": "exhibition", "code": "BTT-2024-001", "kind": "thematic", "institution": "BTT",
              "title": "Trang phục các dân tộc", "start": "2024-03-01", "end": "2024-03-31",
              "venue": "Nhà trưng bày – tầng 1", "visitors": 450, "students": 300}
TOUR = [{"type": "exhibition", "code": "BTT-2024-LD", "kind": "mobile", "institution": "BTT",
         "title": "Văn hóa các dân tộc – lưu động", "start": f"2024-0{m}-01", "end": f"2024-0{m}-10",
         "venue": venue, "visitors": 100 * m, "students": 90 * m}
        for m, venue in ((3, "Trường PTDTNT tỉnh"), (4, "Nhà văn hóa huyện Sìn Hồ"), (5, "Trường Bum Nưa"))]
OTHERS = [
    {"type": "festival", "institution": "TTVH-TD", "date": "2024-09-15", "title": "Liên hoan tiếng hát dân ca huyện"},
    {"type": "club", "code": "CLB-01", "institution": "NVH-TD-NK", "name": "CLB xòe Thái", "members": 25,
     "active_from": "2020-01-01"},
    {"type": "activity", "id": "a1", "institution": "NVH-TD-BL", "date": "2024-02-10", "kind": "arts",
     "participants": 80},
    {"type": "course", "institution": "TTVH", "date": "2024-03-14", "title": "Bồi dưỡng cán bộ văn hóa xã",
     "trainees": 68, "minority_trainees": 49},
    {"type": "artifact", "code": "BTLC-2024.001", "institution": "BTT", "name": "Khèn Mông",
     "accessioned": "2024-05-01"},
]


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_every_type_through_the_services(network):
    report = ops.import_lines(lines(EXHIBITION, *TOUR, *OTHERS))
    assert report.ok, [str(e) for e in report.errors]
    exhibition = services.exhibition_by_code("BTT-2024-001")
    assert exhibition.venue.name == "Nhà trưng bày – tầng 1" and exhibition.status.value == "closed"
    assert (exhibition.total_visitors, exhibition.total_students) == (450, 300)
    tour = services.exhibition_by_code("BTT-2024-LD")
    assert [(s.venue.name, s.total_visitors) for s in tour.stops] == [
        ("Trường PTDTNT tỉnh", 300), ("Nhà văn hóa huyện Sìn Hồ", 400), ("Trường Bum Nưa", 500)]
    assert (tour.start.isoformat(), tour.end.isoformat()) == ("2024-03-01", "2024-05-10")
    festival = db.session.scalar(sa.select(Festival))
    assert festival.kind.value == "folk_song" and festival.institution.code == "TTVH-TD"
    year = Period.year(2024)
    assert registry.get("MUS.MOBILE_EXHIBITIONS").compute(year, [network["museum"].id]) == {network["museum"].id: 3}
    assert registry.get("MUS.VISITORS").compute(year, [network["museum"].id]) == {network["museum"].id: 1650}
    assert registry.get("TRN.TRAINEES").breakdowns["minority"](year, [network["centre"].id]) == {
        "minority": 49, "other": 19}


def test_importing_the_same_lines_again_adds_nothing(network):
    data = lines(EXHIBITION, *TOUR, *OTHERS)
    assert ops.import_lines(data).ok
    before = [count(m) for m in (Exhibition, ExhibitionStop, VisitorCount, Festival, Club, Activity, Course, Artifact)]
    again = ops.import_lines(data)
    assert again.ok and again.already == 1          # the activity line has an id
    assert [count(m) for m in (Exhibition, ExhibitionStop, VisitorCount, Festival, Club, Activity, Course,
                               Artifact)] == before


def test_bad_lines_are_explained_and_nothing_is_imported(network):
    clash = dict(EXHIBITION, code="BTT-2024-002", title="Nhạc cụ", start="2024-03-31", end="2024-04-15",
                 visitors=None, students=None)
    clash = {k: v for k, v in clash.items() if v is not None}
    report = ops.import_lines(lines(
        EXHIBITION, clash,
        dict(EXHIBITION, code="X-1", venue="Tầng 2", students=500),
        {"type": "festival", "institution": "BTT", "date": "2024-01-01", "title": "Ngày hội"},
        {"type": "club", "code": "C", "institution": "NVH-TD-NK", "name": "CLB", "members": -1,
         "active_from": "2020-01-01"},
        {"type": "activity", "institution": "NVH-TD-BL", "date": "2024-02-10", "kind": "dance"},
        {"type": "course", "institution": "TTVH", "date": "2024-03-14", "title": "T", "trainees": 5,
         "minority_trainees": 9},
        {"type": "exhibition", "code": "Y", "kind": "thematic", "institution": "NOPE", "title": "T",
         "start": "2024-01-01", "end": "2023-01-01"},
    ))
    messages = {e.line: e.message for e in report.errors}
    assert not report.committed and report.applied == 1
    assert "Trang phục các dân tộc" in messages[2] and "BTT-2024-001" in messages[2]
    assert "Students (500)" in messages[3]
    assert "cultural centres and cultural houses" in messages[4]
    assert "'members'" in messages[5] and "'kind'" in messages[6]
    assert "Ethnic-minority trainees" in messages[7]
    assert "NOPE" in messages[8]
    db.session.rollback()
    assert count(Exhibition) == 0


def test_a_different_visitor_total_for_an_imported_exhibition_is_refused(network):
    assert ops.import_lines(lines(EXHIBITION)).ok
    report = ops.import_lines(lines(dict(EXHIBITION, visitors=500)))
    assert "already has 450 visitors" in report.errors[0].message


def test_export_writes_the_same_lines_back(network):
    data = [EXHIBITION, *TOUR, *OTHERS]
    assert ops.import_lines(lines(*data)).ok
    exported = [json.loads(line) for line in ops.export_lines(Period.year(2024))]
    ours = [line for line in exported if line["type"] != "institution"]
    expected = [{k: v for k, v in line.items() if k != "id"} for line in data
                if line["type"] != "club"
                and line.get("date", line.get("start", line.get("accessioned", ""))) >= "2024"]
    club = next(line for line in ours if line["type"] == "club")
    assert club == OTHERS[1]
    assert sorted(json.dumps(line, sort_keys=True) for line in ours if line["type"] != "club") == sorted(
        json.dumps(line, sort_keys=True) for line in expected)
    days = [line.get("date") or line.get("start") or line.get("accessioned") or line.get("active_from")
            for line in ours]
    assert days == sorted(days), "lines are written in time order"
