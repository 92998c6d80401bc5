"""Stored XSS: a reader's name and an exhibition's title holding markup are shown as text on every page that
shows them, staff and public (MARC titles and uploaded file names have their own tests in catalog and events)."""
import datetime as dt

from ilms.common.permissions import SYSTEM
from ilms.common.time import local_today
from ilms.events import services as events
from ilms.extensions import db
from tests.conftest import login

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _escaped(html):
    return "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


def test_a_readers_name_with_markup_is_text_on_the_reader_pages(app, factories):
    tvt = factories.institution("TVT", kind="provincial_library")
    factories.user("thuthu.tvt", institution=tvt)
    reader = factories.patron(tvt, name=f"Lò Văn {EVIL}")
    db.session.commit()
    client = app.test_client()
    login(client, "thuthu.tvt")
    for url in (f"/readers/{reader.id}", f"/readers/{reader.id}/edit", f"/readers/{reader.id}/card",
                f"/readers/{reader.id}/data", "/readers/?q=lo+van"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert _escaped(response.get_data(as_text=True)), url


def test_an_exhibition_title_with_markup_is_text_for_staff_and_the_public(app, factories):
    museum = factories.institution("BTT", kind="museum")
    factories.user("bao.tang", role="events", institution=museum)
    today = local_today()
    exhibition = events.create_exhibition(actor=SYSTEM, institution=museum, kind="thematic",
                                          title=f"Di sản Thái {EVIL}", start=today,
                                          end=today + dt.timedelta(days=30))
    db.session.commit()
    public = app.test_client()
    for url in ("/calendar/", f"/calendar/exhibitions/{exhibition.id}"):
        response = public.get(url)
        assert response.status_code == 200, url
        assert _escaped(response.get_data(as_text=True)), url
    staff = app.test_client()
    login(staff, "bao.tang")
    for url in (f"/events/exhibitions/{exhibition.id}", "/events/exhibitions", "/events/"):
        response = staff.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert _escaped(response.get_data(as_text=True)), url
