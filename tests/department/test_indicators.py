"""The Department's figures (shared/spec/indicators.md, "The Department's follow-up"), each on data with
edge cases around the period and the institutions, against a computation by hand."""
import datetime as dt
import json

from ilms.common.permissions import SYSTEM
from ilms.common.time import Period
from ilms.department import services
from ilms.extensions import db
from ilms.stats import registry

D = dt.date
YEAR = Period.year(2025)
H1 = Period.half_year(2026)
TODAY = D(2026, 12, 31)


def value(code, institution, period=YEAR):
    return registry.get(code).compute(period, [institution.id]).get(institution.id, 0)


def test_inspections_and_recommendations_closed_by_their_deadline(network):
    district, museum = network["district"], network["museum"]

    def inspect(inst, day, deadlines_and_done):
        visit = services.record_inspection(actor=SYSTEM, institution=inst, kind="check", date=day,
                                           inspectors="Sở VHTTDL", today=TODAY)
        for deadline, done in deadlines_and_done:
            rec = services.add_recommendation(visit, actor=SYSTEM, text="Khắc phục", responsible="A",
                                              deadline=deadline)
            if done:
                services.answer_recommendation(rec, actor=SYSTEM, note="Đã làm", done_on=done, today=TODAY)
        return visit

    # 2024-12-31 is the year before; 2026-01-01 the year after
    inspect(district, D(2024, 12, 31), [(D(2025, 1, 31), D(2025, 1, 2))])
    inspect(district, D(2025, 1, 1), [(D(2025, 2, 1), D(2025, 2, 1)),       # on the deadline: on time
                                      (D(2025, 2, 1), D(2025, 2, 2)),       # a day late
                                      (D(2025, 3, 1), None)])               # never answered
    inspect(district, D(2025, 11, 20), [(D(2025, 12, 31), D(2026, 1, 5)),   # answered after the year: open
                                        (D(2026, 1, 31), D(2025, 12, 1))])  # early
    inspect(museum, D(2025, 12, 31), [])
    inspect(museum, D(2026, 1, 1), [(D(2026, 2, 1), None)])
    db.session.commit()
    assert value("DEP.INSPECTIONS", district) == 2
    assert value("DEP.INSPECTIONS", museum) == 1
    indicator = registry.get("DEP.INSPECTIONS")
    # given 5; on time: 2025-02-01 and the early one = 2; late: 2025-02-02 = 1; open: the rest = 2
    assert indicator.breakdowns["recommendations"](YEAR, [district.id, museum.id]) == {
        "given": 5, "closed_on_time": 2, "closed_late": 1, "open": 2}
    # judged today (2026) the answer of 2026-01-05 is late, no longer open
    assert indicator.breakdowns["recommendations"](Period(D(2025, 1, 1), D(2026, 12, 31)), [district.id]) == {
        "given": 5, "closed_on_time": 2, "closed_late": 2, "open": 1}
    assert indicator.series(YEAR, [district.id]) == {(district.id, "2025-01"): 1, (district.id, "2025-11"): 1}
    assert indicator.breakdowns["kind"](YEAR, [district.id]) == {"check": 2}


def test_media_items_by_medium_and_by_the_institution_that_made_them(network):
    district, museum = network["district"], network["museum"]
    rows = [(district, "press", D(2025, 1, 1)), (district, "press", D(2025, 12, 31)), (district, "radio", D(2025, 6, 30)),
            (district, "banner", D(2024, 12, 31)), (museum, "tv", D(2025, 7, 1)), (museum, "social", D(2026, 1, 1)),
            (network["other_district"], "website", D(2025, 3, 3))]
    for inst, medium, day in rows:
        services.record_media_item(actor=SYSTEM, institution=inst, medium=medium, date=day, title="Tin", today=TODAY)
    db.session.commit()
    assert value("DEP.MEDIA_ITEMS", district) == 3
    assert value("DEP.MEDIA_ITEMS", museum) == 1
    indicator = registry.get("DEP.MEDIA_ITEMS")
    assert indicator.breakdowns["medium"](YEAR, [district.id, museum.id]) == {"press": 2, "radio": 1, "tv": 1}
    assert value("DEP.MEDIA_ITEMS", district, Period.half_year(2025)) == 2


def test_funding_by_source_with_the_socialised_share_and_donated_books_apart(network, factories):
    district, museum = network["district"], network["museum"]
    for inst, source, amount, day in [(district, "state_budget", 120_000_000, D(2025, 1, 1)),
                                      (district, "socialisation", 30_000_000, D(2025, 12, 31)),
                                      (district, "socialisation", 99_000_000, D(2026, 1, 1)),
                                      (museum, "other", 50_000_000, D(2025, 6, 1)),
                                      (museum, "socialisation", 50_000_000, D(2024, 12, 31))]:
        services.record_funding(actor=SYSTEM, institution=inst, source=source, amount=amount, date=day,
                                purpose="Hoạt động của kế hoạch", today=TODAY)
    # books donated: acquisitions' copies, never money
    for n in range(3):
        factories.item(district, accessioned=D(2025, 4, 1))
    db.session.commit()
    from ilms.catalog.models import AcquisitionSource, Item
    for item in db.session.scalars(db.select(Item)):
        item.source, item.price = AcquisitionSource.DONATION, 85_000
    db.session.commit()
    assert value("DEP.FUNDING", district) == 150_000_000
    assert value("DEP.FUNDING", museum) == 50_000_000
    indicator = registry.get("DEP.FUNDING")
    both = [district.id, museum.id]
    assert indicator.breakdowns["source"](YEAR, both) == {"state_budget": 120_000_000, "socialisation": 30_000_000,
                                                          "other": 50_000_000}
    # 30 of 200 million: 15 %
    assert indicator.breakdowns["socialised"](YEAR, both) == {"share": 15.0}
    assert indicator.breakdowns["socialised"](Period.year(2023), both) == {"share": 0.0}
    assert services.book_donations(YEAR, [district.id]) == {"copies": 3, "value": 255_000.0}


def test_school_sessions_schools_and_students(network):
    museum, district = network["museum"], network["district"]
    heritage = services.create_programme(actor=SYSTEM, institution=museum, title="Di sản", start=D(2024, 9, 1))
    reading = services.create_programme(actor=SYSTEM, institution=district, title="Tiết đọc", start=D(2024, 9, 1))
    for programme, school, day, place, students in [
            (heritage, "Trường THCS Đoàn Kết", D(2025, 3, 1), "museum", 40),
            (heritage, "Trường THCS Đoàn Kết", D(2025, 4, 1), "school", 38),     # same school again
            (heritage, "Trường Tiểu học Quyết Thắng", D(2025, 12, 31), "school", 25),
            (heritage, "Trường Tiểu học Quyết Thắng", D(2024, 12, 31), "museum", 99),
            (reading, "Trường PTDTBT Sìn Hồ", D(2025, 5, 5), "library", 30)]:
        services.record_session(programme, actor=SYSTEM, school=school, date=day, place=place, students=students,
                                today=TODAY)
    db.session.commit()
    assert value("MUS.SCHOOL_PROGRAMMES", museum) == 3
    assert value("MUS.SCHOOL_PROGRAMMES", district) == 1
    indicator = registry.get("MUS.SCHOOL_PROGRAMMES")
    assert indicator.breakdowns["reach"](YEAR, [museum.id]) == {"schools": 2, "students": 40 + 38 + 25}
    assert indicator.breakdowns["reach"](YEAR, [museum.id, district.id]) == {"schools": 3, "students": 133}
    assert indicator.breakdowns["place"](YEAR, [museum.id]) == {"museum": 1, "school": 2}
    assert indicator.series(YEAR, [museum.id]) == {(museum.id, "2025-03"): 1, (museum.id, "2025-04"): 1,
                                                   (museum.id, "2025-12"): 1}


def test_permanent_displays_open_at_period_end_and_their_completed_sections(network):
    museum = network["museum"]

    def display(code, opened, closed=None, sections=()):
        made = services.create_display(actor=SYSTEM, institution=museum, kind="permanent", title=code, code=code,
                                       opened_on=opened, closed_on=closed)
        for completed in sections:
            services.add_section(made, actor=SYSTEM, title="Phần", completed_on=completed)
        return made

    display("A", D(2024, 5, 1), sections=[D(2024, 5, 1), D(2025, 12, 31), None])           # open, 2 of 3
    display("B", D(2025, 12, 31), sections=[D(2026, 1, 2), None])                          # opened on the last day
    display("C", D(2024, 1, 1), closed=D(2025, 12, 31), sections=[D(2024, 1, 1)])          # closed on the last day
    display("D", D(2026, 1, 1), sections=[D(2025, 11, 1)])                                 # not yet open
    display("E", None, sections=[D(2025, 11, 1)])                                          # never opened
    db.session.commit()
    assert value("MUS.PERMANENT_DISPLAYS", museum) == 2                                   # A and B
    indicator = registry.get("MUS.PERMANENT_DISPLAYS")
    # sections of A and B: 5 planned, completed by 31/12/2025: A's two = 2 → 40 %
    assert indicator.breakdowns["sections"](YEAR, [museum.id]) == {"planned": 5, "completed": 2,
                                                                  "completed_share": 40.0}
    assert value("MUS.PERMANENT_DISPLAYS", museum, Period.year(2024)) == 2                # A and C
    assert value("MUS.PERMANENT_DISPLAYS", museum, H1) == 3                               # A, B, D


def test_exchange_visits_in_and_out_of_the_province(network):
    district, library = network["district"], network["library"]
    for inst, direction, outside, day in [(district, "made", True, D(2025, 1, 1)),
                                          (district, "received", False, D(2025, 12, 31)),
                                          (district, "made", False, D(2026, 1, 1)),
                                          (library, "received", True, D(2025, 5, 5))]:
        services.record_exchange(actor=SYSTEM, institution=inst, direction=direction, out_of_province=outside,
                                 date=day, title="Học tập kinh nghiệm", partners="Thư viện tỉnh Yên Bái", today=TODAY)
    db.session.commit()
    assert value("DEP.EXCHANGES", district) == 2
    assert value("DEP.EXCHANGES", library) == 1
    indicator = registry.get("DEP.EXCHANGES")
    both = [district.id, library.id]
    assert indicator.breakdowns["direction"](YEAR, both) == {"made": 1, "received": 2}
    assert indicator.breakdowns["area"](YEAR, both) == {"in_province": 1, "out_of_province": 2}


def test_the_indicators_command_lists_the_new_figures(runner, network):
    services.record_media_item(actor=SYSTEM, institution=network["museum"], medium="tv", date=D(2025, 7, 1),
                               title="Phóng sự", today=TODAY)
    services.record_funding(actor=SYSTEM, institution=network["museum"], source="state_budget",
                            amount=7_000_000, date=D(2025, 7, 1), purpose="Trưng bày", today=TODAY)
    db.session.commit()
    result = runner.invoke(args=["indicators", "--year", "2025", "--json"])
    figures = {(f["indicator"], f["institution"]): f["value"] for f in json.loads(result.output)["figures"]}
    assert figures[("DEP.MEDIA_ITEMS", "BTT")] == 1 and figures[("DEP.FUNDING", "BTT")] == 7_000_000
    assert figures[("DEP.MEDIA_ITEMS", "TVH-TD")] == 0 and figures[("MUS.PERMANENT_DISPLAYS", "BTT")] == 0
    assert ("MUS.PERMANENT_DISPLAYS", "TVH-TD") not in figures
