"""The events indicators, as shared/spec/indicators.md defines them."""
import datetime as dt

import pytest
import sqlalchemy as sa

from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.events import services
from ilms.extensions import db
from ilms.stats import registry
from ilms.stats import services as stats
from tests.conftest import shared_path

D = dt.date
YEAR = Period.year(2024)


def value(code, institution, period=YEAR):
    return registry.get(code).compute(period, [institution.id]).get(institution.id, 0)


def test_each_stop_of_a_travelling_exhibition_counts_once(network, exhibit):
    tour = exhibit("Văn hóa các dân tộc – lưu động", kind="mobile", start=D(2024, 3, 1), end=D(2024, 6, 30),
                   venue=None)
    for n, venue in enumerate(["Trường PTDTNT tỉnh", "Nhà văn hóa huyện Sìn Hồ", "Trường Bum Nưa"]):
        services.add_stop(tour, actor=SYSTEM, venue=venue, start=D(2024, 3 + n, 1), end=D(2024, 3 + n, 10))
    exhibit("Không có điểm dừng", kind="mobile", start=D(2024, 9, 1), end=D(2024, 9, 5), venue=None)
    exhibit("Chuyên đề", start=D(2024, 3, 1))
    db.session.commit()
    museum = network["museum"]
    assert value("MUS.MOBILE_EXHIBITIONS", museum) == 4      # three stops + one exhibition without stops
    assert value("MUS.EXHIBITIONS", museum) == 1             # a travelling exhibition is not a thematic one
    indicator = registry.get("MUS.MOBILE_EXHIBITIONS")
    assert indicator.series(YEAR, [museum.id]) == {(museum.id, "2024-03"): 1, (museum.id, "2024-04"): 1,
                                                   (museum.id, "2024-05"): 1, (museum.id, "2024-09"): 1}
    rows = db.session.execute(indicator.drilldown(YEAR, [museum.id])).mappings().all()
    assert [r["venue"] for r in rows] == ["Trường PTDTNT tỉnh", "Nhà văn hóa huyện Sìn Hồ", "Trường Bum Nưa", None]
    assert value("MUS.MOBILE_EXHIBITIONS", museum, Period(D(2024, 4, 1), D(2024, 4, 30))) == 1
    services.set_exhibition_status(tour, "cancelled", actor=SYSTEM)
    db.session.commit()
    assert value("MUS.MOBILE_EXHIBITIONS", museum) == 1


def test_an_exhibition_opening_in_december_does_not_count_the_next_year(network, exhibit):
    exhibit("Mùa xuân biên giới", start=D(2023, 12, 20), end=D(2024, 1, 31))
    exhibit("Trang phục", start=D(2024, 2, 1), end=D(2024, 2, 28))
    exhibit("Cuối năm", start=D(2024, 12, 31), end=D(2025, 1, 15))
    display = exhibit("Sách về Tết", kind="library_display", institution=network["library"], start=D(2023, 12, 28),
                      end=D(2024, 1, 10), venue="Phòng đọc")
    db.session.commit()
    assert value("MUS.EXHIBITIONS", network["museum"], Period.year(2024)) == 2
    assert value("MUS.EXHIBITIONS", network["museum"], Period.year(2023)) == 1
    assert value("LIB.DISPLAYS", network["library"], Period.year(2024)) == 0
    assert value("LIB.DISPLAYS", network["library"], Period.year(2023)) == 1
    assert display.institution.code == "TVT"


def test_heritage_events_and_visitors_with_students_apart(network, exhibit):
    museum = network["museum"]
    event = exhibit("Nghề dệt thổ cẩm", kind="heritage_event", start=D(2024, 3, 26), end=D(2024, 3, 26))
    hall = exhibit("Trang phục", start=D(2024, 6, 1), end=D(2024, 7, 31))
    last_year = exhibit("Năm trước", start=D(2023, 12, 1), end=D(2024, 1, 31), venue="Tầng 2")
    services.record_visitors(event, actor=SYSTEM, date=D(2024, 3, 26), visitors=150, students=140,
                             school="Trường THCS Đoàn Kết")
    services.record_visitors(hall, actor=SYSTEM, date=D(2024, 6, 5), visitors=60, students=20,
                             school="Trường Tiểu học Quyết Thắng")
    services.record_visitors(hall, actor=SYSTEM, date=D(2024, 7, 5), visitors=40)
    services.record_visitors(last_year, actor=SYSTEM, date=D(2023, 12, 31), visitors=99)
    services.record_visitors(last_year, actor=SYSTEM, date=D(2024, 1, 2), visitors=11, students=3)
    db.session.commit()
    assert value("MUS.HERITAGE_EVENTS", museum) == 1
    assert value("MUS.VISITORS", museum) == 150 + 60 + 40 + 11
    indicator = registry.get("MUS.VISITORS")
    assert indicator.breakdowns["students"](YEAR, [museum.id]) == {"students": 163, "other": 98}
    assert indicator.breakdowns["schools"](YEAR, [museum.id]) == {"Trường THCS Đoàn Kết": 140,
                                                                "Trường Tiểu học Quyết Thắng": 20}
    assert indicator.series(YEAR, [museum.id])[(museum.id, "2024-06")] == 60
    first_half = Period.half_year(2024)
    assert value("MUS.VISITORS", museum, first_half) == 150 + 60 + 11


def test_artifacts_added_by_accession_date(network):
    for n, day in enumerate([D(2023, 12, 31), D(2024, 1, 1), D(2024, 8, 8)], start=1):
        services.create_artifact(actor=SYSTEM, institution=network["museum"], code=f"BTLC-{n}", name=f"Hiện vật {n}",
                                 accessioned=day, heritage="intangible" if n == 3 else "tangible")
    db.session.commit()
    assert value("MUS.ARTIFACTS_ADDED", network["museum"]) == 2
    assert registry.get("MUS.ARTIFACTS_ADDED").breakdowns["heritage"](YEAR, [network["museum"].id]) == {
        "tangible": 1, "intangible": 1}


def _festival(institution, day, title="Liên hoan văn nghệ quần chúng"):
    services.create_festival(actor=SYSTEM, institution=institution, title=title, date=day)


def test_festival_compliance_over_a_two_year_cycle(network):
    """Province and districts every two years, communes every year, the cycle ending with the period's year."""
    _festival(network["centre"], D(2023, 9, 15), "Liên hoan tiếng hát dân ca tỉnh")   # last year: still in cycle
    _festival(network["district_a"], D(2022, 12, 31))                               # three years ago: out
    _festival(network["district_b"], D(2024, 5, 1))
    _festival(network["commune"], D(2023, 11, 18), "Ngày hội Đại đoàn kết toàn dân tộc")  # last year: out for a commune
    db.session.commit()
    indicator = registry.get("CUL.FESTIVAL_COMPLIANCE")
    ids = [network[k].id for k in ("centre", "district_a", "district_b", "commune")]
    values = indicator.compute(YEAR, ids)
    assert values == {network["centre"].id: 100, network["district_a"].id: 0, network["district_b"].id: 100,
                      network["commune"].id: 0}
    assert indicator.group(YEAR, [network["district_a"].id, network["district_b"].id]) == 50
    # 2023: the district's 2022 festival is inside 2022–2023, and the commune held its own in 2023.
    assert indicator.compute(Period.year(2023), ids) == {network["centre"].id: 100, network["district_a"].id: 100,
                                                         network["district_b"].id: 0, network["commune"].id: 100}
    # 2025: the province's 2023 festival has fallen out of its cycle (2024–2025).
    assert indicator.compute(Period.year(2025), [network["centre"].id]) == {network["centre"].id: 0}
    # A half-year report only counts festivals held by its last day.
    assert indicator.compute(Period(D(2024, 1, 1), D(2024, 4, 30)), [network["district_b"].id]) == {
        network["district_b"].id: 0}

    rows = {level.value: (window, [(inst.code, bool(latest)) for inst, latest in members])
            for level, window, members in services.festival_compliance(2024)}
    assert rows["district"] == ((D(2023, 1, 1), D(2024, 12, 31)), [("TTVH-PT", True), ("TTVH-TD", False)])
    assert rows["commune"][0] == (D(2024, 1, 1), D(2024, 12, 31))


def test_festival_compliance_in_the_indicator_document_against_the_plan(network):
    """The plan's targets use ``level:``; a level's value is the share of its institutions that comply."""
    _festival(network["centre"], D(2019, 6, 1))
    _festival(network["district_a"], D(2020, 3, 1))
    _festival(network["commune"], D(2020, 11, 18))
    db.session.commit()
    stats.load_plan(shared_path("plan", "lai-chau-1133-2015.yaml").read_text(encoding="utf-8"))
    doc = stats.indicator_document(Period.year(2020))
    groups = {g["level"]: g["value"] for g in doc["groups"] if g["indicator"] == "CUL.FESTIVAL_COMPLIANCE"}
    assert groups == {"province": 100, "district": 50, "commune": 100, "village": 0}
    targets = {t["level"]: t for t in doc["targets"] if t["indicator"] == "CUL.FESTIVAL_COMPLIANCE"}
    assert targets["province"]["status"] == "within" and targets["province"]["value"] == 100
    assert targets["district"]["status"] == "below" and targets["district"]["value"] == 50
    festivals = {g["level"]: g["value"] for g in doc["groups"] if g["indicator"] == "CUL.FESTIVALS"}
    assert festivals == {"province": 0, "district": 1, "commune": 1, "village": 0}


def test_festivals_need_a_cultural_organiser(network):
    with pytest.raises(Exception, match="cultural centres and cultural houses"):
        services.create_festival(actor=SYSTEM, institution=network["museum"], title="Ngày hội", date=D(2024, 1, 1))


def test_clubs_active_at_period_end_with_their_members(network):
    house = network["village"]
    services.create_club(actor=SYSTEM, institution=house, name="CLB xòe Thái", members=25, active_from=D(2020, 1, 1))
    services.create_club(actor=SYSTEM, institution=house, name="CLB đọc sách", members=30, setting="school",
                         active_from=D(2024, 12, 31))
    services.create_club(actor=SYSTEM, institution=house, name="CLB đã giải thể", members=40,
                         active_from=D(2019, 1, 1), active_to=D(2024, 12, 30))
    services.create_club(actor=SYSTEM, institution=house, name="CLB năm sau", members=50, active_from=D(2025, 1, 1))
    db.session.commit()
    assert value("CUL.CLUBS", house) == 2
    assert registry.get("CUL.CLUBS").breakdowns["members"](YEAR, [house.id]) == {"village": 25, "school": 30}
    assert value("CUL.CLUBS", house, Period.half_year(2024)) == 2   # on 30 June: the dissolved one still ran


def test_activities_by_kind_and_courses_with_minority_trainees(network):
    house = network["commune"]
    for kind, day, people in [("arts", D(2024, 2, 10), 80), ("arts", D(2024, 3, 10), None),
                              ("sports", D(2024, 4, 1), 120), ("information", D(2025, 1, 1), 10)]:
        services.schedule_activity(actor=SYSTEM, institution=house, kind=kind, date=day, participants=people)
    centre = network["centre"]
    services.create_course(actor=SYSTEM, institution=centre, title="Bồi dưỡng cán bộ văn hóa xã",
                           audience="commune_officers", start=D(2024, 3, 14), end=D(2024, 3, 16), trainees=68,
                           minority_trainees=49)
    services.create_course(actor=SYSTEM, institution=centre, title="Tập huấn chủ nhiệm CLB", start=D(2023, 12, 30),
                           end=D(2024, 1, 2), trainees=40, minority_trainees=30)
    db.session.commit()
    activities = registry.get("CUL.ACTIVITIES")
    assert value("CUL.ACTIVITIES", house) == 3
    assert activities.breakdowns["kind"](YEAR, [house.id]) == {"arts": 2, "sports": 1}
    assert activities.breakdowns["participants"](YEAR, [house.id]) == {"arts": 80, "sports": 120}
    assert value("TRN.COURSES", centre) == 1 and value("TRN.TRAINEES", centre) == 68
    assert registry.get("TRN.TRAINEES").breakdowns["minority"](YEAR, [centre.id]) == {"minority": 49, "other": 19}
    with pytest.raises(Exception, match="Ethnic-minority trainees"):
        services.create_course(actor=SYSTEM, institution=centre, title="Sai", start=D(2024, 5, 1), trainees=5,
                               minority_trainees=6)


def test_series_agree_with_monthly_computations(network, exhibit):
    """Where an indicator gives a monthly series, each month equals ``compute`` over that month."""
    exhibit("A", kind="library_display", institution=network["library"], start=D(2024, 1, 31), end=D(2024, 2, 2),
            venue="Phòng đọc")
    exhibit("B", kind="library_display", institution=network["library"], start=D(2024, 2, 3), end=D(2024, 2, 9),
            venue="Phòng đọc")
    services.schedule_activity(actor=SYSTEM, institution=network["commune"], kind="arts", date=D(2024, 2, 29))
    db.session.commit()
    ids = [i.id for i in network.values()]
    for indicator in registry.all_indicators():
        if indicator.series is None or indicator.code not in {"LIB.DISPLAYS", "CUL.ACTIVITIES", "TRN.COURSES"}:
            continue
        series = indicator.series(YEAR, ids)
        for month in range(1, 13):
            computed = indicator.compute(Period.month(2024, month), ids)
            for inst_id in ids:
                assert series.get((inst_id, f"2024-{month:02d}"), 0) == computed.get(inst_id, 0), indicator.code


def test_every_events_indicator_on_the_demo_year(app):
    """On the demo province: monthly series add up to the year, drill-downs list the records behind the
    figure, breakdowns add up to it where they split it, and no reader column appears anywhere."""
    from ilms.common.time import local_today
    from ilms.demo.cli import load_all
    load_all(echo=lambda *_: None, only={"network", "events"})
    year = Period.year(local_today().year)
    from ilms.org.models import Institution
    institutions = db.session.scalars(sa.select(Institution)).all()
    codes = ["LIB.DISPLAYS", "MUS.EXHIBITIONS", "MUS.MOBILE_EXHIBITIONS", "MUS.HERITAGE_EVENTS", "MUS.VISITORS",
             "MUS.ARTIFACTS_ADDED", "CUL.FESTIVALS", "CUL.FESTIVAL_COMPLIANCE", "CUL.CLUBS", "CUL.ACTIVITIES",
             "TRN.COURSES", "TRN.TRAINEES"]
    splits = {("MUS.VISITORS", "students"), ("MUS.VISITORS", "kind"), ("CUL.FESTIVALS", "kind"),
              ("CUL.FESTIVALS", "level"), ("CUL.ACTIVITIES", "kind"), ("TRN.TRAINEES", "minority"),
              ("TRN.COURSES", "audience"), ("MUS.ARTIFACTS_ADDED", "heritage"), ("CUL.CLUBS", "setting"),
              ("LIB.DISPLAYS", "status"), ("MUS.EXHIBITIONS", "status"), ("MUS.MOBILE_EXHIBITIONS", "host")}
    for code in codes:
        indicator = registry.get(code)
        ids = [i.id for i in institutions if indicator.applies_to(i)]
        values = indicator.compute(year, ids)
        total = sum(values.values())
        if code == "MUS.VISITORS" and local_today() < dt.date(year.start.year, 1, 21):
            continue    # the demo's first visitors come on 20 January
        assert total > 0, f"{code}: the demo year should give it something to count"
        if indicator.series is not None:
            monthly = indicator.series(year, ids)
            for inst_id in ids:
                assert sum(v for (i, _m), v in monthly.items() if i == inst_id) == values.get(inst_id, 0), code
        rows = db.session.execute(indicator.drilldown(year, ids)).mappings().all()
        assert rows, code
        assert not {"patron_id", "reader_key", "barcode", "name_folded"} & set(rows[0].keys()), code
        for name, breakdown in indicator.breakdowns.items():
            parts = breakdown(year, ids)
            if (code, name) in splits:
                assert sum(parts.values()) == total, (code, name)
