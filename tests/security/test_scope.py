"""Institution scope across pages, the API, drill-downs and report exports (issue 10).

A librarian of Phong Thổ district library asks, by URL and by API token, for
the readers, loans, internet sessions, figures and reports of Tam Đường
district library: every answer is a refusal (403/404), and no answer carries
the other library's reader's name, phone or card number.
"""
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pypdf
import pytest

from ilms.accounts import services as accounts
from ilms.catalog import services as catalog
from ilms.circulation import services as circulation
from ilms.common.permissions import SYSTEM
from ilms.common.time import local_datetime
from ilms.extensions import db
from ilms.internet import services as internet
from ilms.stats import services as stats
from tests.conftest import csrf_token, login

PLAN = Path(__file__).resolve().parents[1] / "stats" / "data" / "plan-2021-2025.yaml"
SECRET_NAME, SECRET_PHONE, SECRET_CARD = "Hoàng Thị Bí Mật", "0912345678", "TD-BIMAT-01"
SECRET_ADDRESS = "Bản Nà Khum, xã Bình Lư"


@pytest.fixture
def world(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh Lai Châu")
    td = factories.institution("TVH-TD", parent=tvt, name="Thư viện huyện Tam Đường")
    pt = factories.institution("TVH-PT", parent=tvt, name="Thư viện huyện Phong Thổ")
    factories.user("thuthu.td", institution=td)
    factories.user("thuthu.pt", institution=pt)
    manager = factories.user("giamdoc", role="manager")
    reader = factories.patron(td, name=SECRET_NAME, barcode=SECRET_CARD, phone=SECRET_PHONE, address=SECRET_ADDRESS,
                              birth_year=1987,
                              card_issued=dt.date(2023, 1, 1), card_expires=dt.date(2030, 12, 31))
    copy = catalog.add_copies(catalog.create_minimal_record(title="Truyện Kiều"), institution=td, actor=SYSTEM,
                              source="purchase", accessioned=dt.date(2024, 1, 2))[0]
    day = dt.date(2024, 3, 8)
    loan = circulation.checkout(reader, copy, institution=td, actor=SYSTEM, at=local_datetime(day, dt.time(9)))
    circulation.check_in_visit(reader, institution=td, actor=SYSTEM, at=local_datetime(day, dt.time(8)))
    station = internet.create_station(actor=SYSTEM, institution=td, code="TD-PC1", in_service_from=dt.date(2020, 1, 1))
    session = internet.record_session(actor=SYSTEM, station=station, patron=reader,
                                      start=local_datetime(day, dt.time(10)), end=local_datetime(day, dt.time(11)))
    plan = stats.load_plan(PLAN.read_text(encoding="utf-8"))
    tokens = {}
    for user in (db.session.query(type(manager)).filter_by(username="thuthu.pt").one(), manager):
        _token, tokens[user.username] = accounts.create_token(user, name="thử phạm vi")
    db.session.commit()
    return {"td": td, "pt": pt, "reader": reader, "loan": loan, "session": session, "plan": plan,
            "tokens": tokens}


def _text_of(response):
    """What a person would read in the answer: the page, the workbook's cells, the PDF's text."""
    kind = response.content_type or ""
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        return " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
                        if c.value is not None)
    if "pdf" in kind:
        return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    return response.get_data(as_text=True)


def _no_secret(response, *, lending=False):
    """No personal data of the reader; figures, drill-downs and reports do not even name them. A refusal
    about the reader (``lending``) may name them: any desk of the network sees the name and card to lend."""
    body = _text_of(response)
    named = not lending and (SECRET_NAME in body or SECRET_CARD in body)
    return not named and SECRET_PHONE not in body and SECRET_ADDRESS not in body


def test_pages_drilldowns_and_exports_of_another_library_are_refused(app, world):
    client = app.test_client()
    login(client, "thuthu.pt")
    reader, plan = world["reader"], world["plan"]
    urls = [
        f"/readers/{reader.id}/edit", f"/readers/{reader.id}/card",
        f"/internet/sessions/{world['session'].id}",
        "/stats/?year=2024&scope=inst:TVH-TD", "/stats/?year=2024&scope=province",
        "/stats/?year=2024&scope=kind:district_library",
        "/stats/records/LIB.VISITS?year=2024&scope=inst:TVH-TD",
        "/stats/records/LIB.LOANS?year=2024&scope=inst:TVH-TD",
        "/stats/records/NET.SESSIONS?year=2024&scope=inst:TVH-TD",
        "/stats/records/LIB.VISITS?year=2024&scope=province",
        f"/stats/reports/{plan.id}/annual/2024?scope=inst:TVH-TD",
        f"/stats/reports/{plan.id}/annual/2024.xlsx?scope=inst:TVH-TD",
        f"/stats/reports/{plan.id}/annual/2024.pdf?scope=inst:TVH-TD",
        f"/stats/reports/{plan.id}/annual/2024.xlsx?scope=province",
    ]
    home = app.test_client()
    login(home, "thuthu.td")
    for url in urls:
        response = client.get(url)
        assert response.status_code in (403, 404), f"{url} answered {response.status_code}"
        assert _no_secret(response, lending=url.startswith("/readers/")), url
        if "scope=province" not in url and "kind:" not in url:
            assert home.get(url).status_code == 200, f"{url} does not open for the home library either"
    # any desk of the network may lend to the reader (one card for the province): the reader's page opens
    # with what lending needs, and none of the personal data (phone, address, birth year)
    lending_view = client.get(f"/readers/{reader.id}").get_data(as_text=True)
    assert SECRET_PHONE not in lending_view and SECRET_ADDRESS not in lending_view and "1987" not in lending_view
    home_view = home.get(f"/readers/{reader.id}").get_data(as_text=True)
    assert SECRET_PHONE in home_view and SECRET_ADDRESS in home_view
    # their own library's pages open, and name no reader of the other library
    for url in ("/stats/?year=2024&scope=inst:TVH-PT", "/stats/records/LIB.VISITS?year=2024&scope=inst:TVH-PT",
                f"/stats/reports/{plan.id}/annual/2024.xlsx?scope=inst:TVH-PT", "/readers/?q=hoang"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_secret(response), url


def test_the_home_librarys_staff_see_their_reader_but_drilldowns_never_name_them(app, world):
    client = app.test_client()
    login(client, "thuthu.td")
    assert SECRET_NAME in client.get(f"/readers/{world['reader'].id}").get_data(as_text=True)
    for code in ("LIB.VISITS", "LIB.LOANS", "NET.SESSIONS", "NET.USERS", "LIB.ACTIVE_READERS"):
        response = client.get(f"/stats/records/{code}?year=2024&scope=inst:TVH-TD")
        assert response.status_code == 200 and _no_secret(response), code


def test_an_api_token_reads_only_what_its_user_may_see(app, world):
    api = app.test_client()

    def get(query, user):
        return api.get(f"/api/v1/indicators?{query}", headers={"Authorization": f"Bearer {world['tokens'][user]}"})

    own = get("year=2024", "thuthu.pt")                          # without institution: their own library
    assert own.status_code == 200
    assert {f["institution"] for f in own.json["figures"]} == {"TVH-PT"}
    assert get("year=2024&institution=TVH-PT", "thuthu.pt").status_code == 200
    for query in ("year=2024&institution=TVH-TD", "year=2024&institution=TVT"):
        refused = get(query, "thuthu.pt")
        assert refused.status_code == 403 and "TVH-TD" not in refused.get_data(as_text=True)
    whole = get("year=2024", "giamdoc")
    assert whole.status_code == 200
    visits = {f["institution"]: f["value"] for f in whole.json["figures"] if f["indicator"] == "LIB.VISITS"}
    assert visits["TVH-TD"] == 1 and visits["TVH-PT"] == 0
    assert _no_secret(whole)


def test_another_librarys_loan_and_transit_are_not_changed_by_id(app, world, factories):
    """The probe, from the Phong Thổ desk: renew a Tam Đường loan, receive a transit bound for Tam Đường, by
    their ids. Both refused, nothing changed, and neither the title nor the reader is named."""
    from ilms.circulation.models import Transit

    tvt = world["td"].parent
    factories.user("quay.pt", role="desk", institution=world["pt"])
    factories.user("quay.tvt", role="desk", institution=tvt)
    loan = world["loan"]
    moving = catalog.add_copies(catalog.create_minimal_record(title="Đất rừng phương Nam"), institution=world["td"],
                                actor=SYSTEM, source="purchase", accessioned=dt.date(2024, 1, 2))[0]
    circulation.checkout(world["reader"], moving, institution=world["td"], actor=SYSTEM,
                         at=local_datetime(dt.date(2024, 3, 9), dt.time(9)))
    transit = circulation.check_in(moving, institution=tvt, actor=SYSTEM,
                                   at=local_datetime(dt.date(2024, 3, 10), dt.time(9))).transit
    assert transit is not None and transit.to_institution_id == world["td"].id
    db.session.commit()
    renewals, due = loan.renewals, loan.due_date

    desk = app.test_client()
    login(desk, "quay.pt")
    token = csrf_token(desk, "/circulation/")
    renewed = desk.post(f"/circulation/loans/{loan.id}/renew", data={"csrf_token": token}, follow_redirects=True)
    received = desk.post(f"/circulation/transits/{transit.id}/receive", data={"csrf_token": token},
                         follow_redirects=True)
    for response in (renewed, received):
        body = response.get_data(as_text=True)
        assert "Truyện Kiều" not in body and "Đất rừng phương Nam" not in body and SECRET_NAME not in body
        assert "Tam Đường" in body   # the refusal says whose it is
    db.session.expire_all()
    assert (loan.renewals, loan.due_date) == (renewals, due)
    assert db.session.get(Transit, transit.id).received_at is None

    home = app.test_client()
    login(home, "thuthu.td")   # a librarian of Tam Đường works its desk
    assert circulation.get_loan(loan.id).renewals == renewals
    response = home.post(f"/circulation/transits/{transit.id}/receive", data={"csrf_token": csrf_token(home, "/circulation/")})
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Transit, transit.id).received_at is not None


def test_another_librarys_import_job_is_not_shown(app, world):
    """The probe: ``/catalog/import/1`` of another library opened for any catalogue librarian."""
    import sqlalchemy as sa

    from ilms.accounts.models import User
    from ilms.catalog.models import ImportJob

    td_user = db.session.scalar(sa.select(User).where(User.username == "thuthu.td"))
    job = ImportJob(user_id=td_user.id, institution_id=world["td"].id, filename="kho-tam-duong-bi-mat.mrc",
                    stored_name="x.mrc", size=10)
    db.session.add(job)
    db.session.commit()
    other = app.test_client()
    login(other, "thuthu.pt")
    for url in (f"/catalog/import/{job.id}", f"/catalog/import/{job.id}/status"):
        assert other.get(url).status_code == 404, url
    restart = other.post(f"/catalog/import/{job.id}/restart", data={"csrf_token": csrf_token(other, "/profile")})
    assert restart.status_code == 404
    assert "kho-tam-duong-bi-mat" not in other.get("/catalog/import").get_data(as_text=True)
    home = app.test_client()
    login(home, "thuthu.td")
    assert home.get(f"/catalog/import/{job.id}").status_code == 200
    assert "kho-tam-duong-bi-mat" in home.get("/catalog/import").get_data(as_text=True)
