"""The staff pages: forms go through the services, refusals come back on the form, scope is enforced."""
import datetime as dt

import sqlalchemy as sa

from ilms.common.permissions import SYSTEM
from ilms.events import services
from ilms.events.models import Activity, Exhibition, ExhibitionStop, VisitorCount
from ilms.extensions import db
from tests.conftest import login, post_form

D = dt.date


def staff(factories, network, username="events1", where="museum", role="events"):
    """A staff user reading the pages in English (the messages below are checked in English)."""
    return factories.user(username, role=role, institution=network[where], locale="en")


def test_plan_an_exhibition_and_see_a_venue_conflict_on_the_form(client, factories, network, exhibit):
    first = exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31), venue="Nhà trưng bày – tầng 1")
    staff(factories, network)
    login(client, "events1")
    form = {"kind": "thematic", "institution": network["museum"].id, "title": "Nhạc cụ dân tộc",
            "start": "2024-03-20", "end": "20/04/2024", "venue": "Nhà trưng bày – tầng 1"}
    response = post_form(client, "/events/exhibitions/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Trang phục các dân tộc" in html and first.code in html and "20/04/2024" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exhibition)) == 1
    response = post_form(client, "/events/exhibitions/new", dict(form, start="2024-04-01"))
    assert response.status_code == 302
    made = db.session.scalar(sa.select(Exhibition).where(Exhibition.title == "Nhạc cụ dân tộc"))
    assert made.code == "BTT-2024-002" and made.end == D(2024, 4, 20) and made.venue_id == first.venue_id


def test_travelling_exhibition_stops_and_visitors_through_the_pages(client, factories, network, exhibit):
    tour = exhibit("Lưu động", kind="mobile", start=D(2024, 3, 1), end=D(2024, 5, 31), venue=None)
    staff(factories, network)
    login(client, "events1")
    page = f"/events/exhibitions/{tour.id}"
    ok = post_form(client, f"{page}/stops", {"stop-venue": "Trường PTDTNT tỉnh", "stop-new_venue": "y",
                                             "stop-host": "Trường PTDTNT",
                                             "stop-start": "2024-03-01", "stop-end": "2024-03-10"}, page=page)
    assert ok.status_code == 302
    bad = post_form(client, f"{page}/stops", {"stop-venue": "Trường B", "stop-new_venue": "y",
                                              "stop-start": "2024-05-25",
                                              "stop-end": "2024-06-05"}, page=page)
    assert bad.status_code == 400 and "within the exhibition" in bad.get_data(as_text=True)
    stop = db.session.scalar(sa.select(ExhibitionStop))
    counted = post_form(client, f"{page}/visitors", {"visit-date": "2024-03-02", "visit-stop": stop.id,
                                                     "visit-visitors": "180", "visit-students": "150",
                                                     "visit-school": "Trường PTDTNT tỉnh"}, page=page)
    assert counted.status_code == 302
    refused = post_form(client, f"{page}/visitors", {"visit-date": "2024-03-02", "visit-stop": stop.id,
                                                     "visit-visitors": "10", "visit-students": "20"}, page=page)
    assert refused.status_code == 400 and "cannot be more of them" in refused.get_data(as_text=True)
    assert [(c.visitors, c.students) for c in db.session.scalars(sa.select(VisitorCount))] == [(180, 150)]


def test_staff_of_another_institution_cannot_change_an_exhibition(client, factories, network, exhibit):
    display = exhibit("Sách mùa xuân", kind="library_display", institution=network["library"], venue="Phòng đọc")
    staff(factories, network)
    login(client, "events1")
    assert client.get(f"/events/exhibitions/{display.id}").status_code == 200     # anyone on staff may look
    assert client.get(f"/events/exhibitions/{display.id}/edit").status_code == 403
    response = post_form(client, f"/events/exhibitions/{display.id}/status", {"status": "cancelled"},
                         page=f"/events/exhibitions/{display.id}", follow_redirects=True)
    assert "Thư viện tỉnh Lai Châu is not yours" in response.get_data(as_text=True)
    assert services.get_exhibition(display.id).status.value == "planned"
    factories.user("desk1", role="desk", institution=network["library"])
    desk = client.application.test_client()
    login(desk, "desk1")
    assert desk.get("/events/exhibitions/new").status_code == 403


def test_book_display_picker_adds_catalogue_records(client, factories, network, exhibit):
    from ilms.catalog import services as catalog
    record = catalog.create_minimal_record(title="Văn hóa dân gian dân tộc Thái")
    db.session.commit()
    display = exhibit("Sách về văn hóa", kind="library_display", institution=network["library"], venue="Phòng đọc")
    staff(factories, network, "lib1", "library", "librarian")
    login(client, "lib1")
    page = f"/events/exhibitions/{display.id}?q=van+hoa+dan+gian"
    assert "Văn hóa dân gian dân tộc Thái" in client.get(page).get_data(as_text=True)
    post_form(client, f"/events/exhibitions/{display.id}/records", {"record_id": record.id}, page=page)
    assert [f.record_id for f in services.get_exhibition(display.id).featured_records] == [record.id]
    again = post_form(client, f"/events/exhibitions/{display.id}/records", {"record_id": record.id}, page=page,
                      follow_redirects=True)
    assert "already in this display" in again.get_data(as_text=True)


def test_festival_compliance_page_names_who_has_not_held_one(client, factories, network):
    services.create_festival(actor=SYSTEM, institution=network["district_b"], title="Hội diễn nghệ thuật quần chúng",
                             date=D(2023, 6, 1))
    db.session.commit()
    staff(factories, network, "sep", "museum", "events")
    login(client, "sep")
    html = client.get("/events/festivals/compliance?year=2024").get_data(as_text=True)
    district = html.split('data-level="district"')[1].split("</section>")[0]
    assert "1 of 2 held a festival" in district
    assert "Trung tâm Văn hóa huyện Tam Đường" in district and "01/06/2023" in district


def test_an_activity_repeats_monthly_from_the_form(client, factories, network):
    staff(factories, network, "lib1", "library", "librarian")
    login(client, "lib1")
    response = post_form(client, "/events/activities/new", {
        "institution": network["library"].id, "kind": "recreation", "title": "Giờ kể chuyện cho thiếu nhi",
        "date": "2024-01-13", "starts_at": "09:00", "ends_at": "10:30", "repeat": "monthly_weekday",
        "until": "2024-06-30"})
    assert response.status_code == 302
    days = db.session.scalars(sa.select(Activity.date).order_by(Activity.date)).all()
    assert days == [D(2024, 1, 13), D(2024, 2, 10), D(2024, 3, 9), D(2024, 4, 13), D(2024, 5, 11), D(2024, 6, 8)]
    bad = post_form(client, "/events/activities/new", {
        "institution": network["library"].id, "kind": "arts", "date": "2024-01-13", "starts_at": "10:00",
        "ends_at": "09:00"})
    assert bad.status_code == 200 and "must be after the starting time" in bad.get_data(as_text=True)


def test_every_events_page_answers_for_staff(client, factories, network, exhibit):
    exhibition = exhibit()
    services.create_artifact(actor=SYSTEM, institution=network["museum"], code="BTLC-1", name="Khèn",
                             accessioned=D(2020, 1, 1))
    services.create_collection(actor=SYSTEM, institution=network["museum"], name="Nhạc cụ")
    services.create_festival(actor=SYSTEM, institution=network["centre"], title="Liên hoan", date=D(2024, 1, 1))
    services.create_club(actor=SYSTEM, institution=network["village"], name="CLB xòe", members=20,
                         active_from=D(2020, 1, 1))
    services.schedule_activity(actor=SYSTEM, institution=network["village"], kind="arts", date=D(2024, 1, 1))
    services.create_course(actor=SYSTEM, institution=network["centre"], title="Tập huấn", start=D(2024, 1, 1),
                           trainees=10)
    db.session.commit()
    factories.user("boss", role="admin")
    login(client, "boss")
    for url in ["/events/", "/events/?view=list", "/events/exhibitions", "/events/exhibitions/new",
                f"/events/exhibitions/{exhibition.id}", f"/events/exhibitions/{exhibition.id}/edit", "/events/venues",
                f"/events/venues/{exhibition.venue_id}", "/events/artifacts", "/events/artifacts/new",
                "/events/artifacts/1", "/events/artifacts/1/edit", "/events/collections", "/events/collections/1",
                "/events/collections/1/edit", "/events/festivals", "/events/festivals/new", "/events/festivals/1/edit",
                "/events/festivals/compliance", "/events/clubs", "/events/clubs/1", "/events/clubs/1/edit",
                "/events/activities", "/events/activities/1/edit", "/events/courses", "/events/courses/1/edit", "/"]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/events/exhibitions/999").status_code == 404


def test_a_dash_typed_differently_names_the_same_hall_so_it_is_not_booked_twice(client, factories, network, exhibit):
    from ilms.events.models import Venue
    first = exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31), venue="Nhà trưng bày – tầng 1")
    staff(factories, network)
    login(client, "events1")
    form = {"kind": "thematic", "institution": network["museum"].id, "title": "Nhạc cụ dân tộc",
            "start": "20/03/2024", "end": "20/04/2024", "venue": "nha trung bay-Tầng  1", "new_venue": "y"}
    response = post_form(client, "/events/exhibitions/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and first.code in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Exhibition)) == 1


def test_a_venue_is_chosen_from_the_list_and_a_new_one_is_added_only_deliberately(client, factories, network,
                                                                                   exhibit):
    from ilms.events.models import Venue
    exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31), venue="Nhà trưng bày – tầng 1")
    staff(factories, network)
    login(client, "events1")
    form = {"kind": "thematic", "institution": network["museum"].id, "title": "Nhạc cụ dân tộc",
            "start": "01/05/2024", "end": "20/05/2024", "venue": "Nhà trưng bày tầng 1"}
    refused = post_form(client, "/events/exhibitions/new", form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "No venue is called “Nhà trưng bày tầng 1”" in html and "“Nhà trưng bày – tầng 1”" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == 1
    assert post_form(client, "/events/exhibitions/new", dict(form, venue="Sân Bảo tàng",
                                                             new_venue="y")).status_code == 302
    assert sorted(db.session.scalars(sa.select(Venue.name))) == ["Nhà trưng bày – tầng 1", "Sân Bảo tàng"]


def test_a_refusal_is_shown_at_the_top_beside_its_field_and_takes_the_focus(client, factories, network, exhibit):
    """At 1366x768 a message beside the venue field is below the fold: the top of the page says it too."""
    import re
    first = exhibit("Trang phục các dân tộc", start=D(2024, 3, 1), end=D(2024, 3, 31), venue="Nhà trưng bày – tầng 1")
    staff(factories, network)
    login(client, "events1")
    form = {"kind": "thematic", "institution": network["museum"].id, "title": "Nhạc cụ dân tộc",
            "start": "20/03/2024", "end": "20/04/2024", "venue": "Nhà trưng bày – tầng 1"}
    html = post_form(client, "/events/exhibitions/new", form).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "no summary at the top"
    assert "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert 'href="#venue"' in summary.group(1) and first.code in summary.group(1)
    assert html.index("error-summary") < html.index('id="title"'), "the summary comes before the form"
    beside = re.search(r'<div class="field has-error[^"]*">\s*<label for="venue">.*?</div>', html, re.S)
    assert beside and first.code in beside.group(0)

    page = f"/events/exhibitions/{first.id}"
    refused = post_form(client, f"{page}/visitors", {"visit-date": "2024-03-02", "visit-visitors": "10",
                                                     "visit-students": "20"}, page=page)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary and "cannot be more of them" in summary.group(1) and 'href="#visit-students"' in summary.group(1)
