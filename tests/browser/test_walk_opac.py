"""A reader on a 390x844 phone with JavaScript off: "Điện Biên" typed with its diacritics finds the book about
Điện Biên first, a quoted phrase keeps the syllables together, and the record says where a copy is on the shelf."""
import datetime as dt

import pytest

from tests.browser.walk import PHONE, Shots, open_window, sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def shelves(live_app):
    from ilms.catalog import services
    from ilms.common.permissions import SYSTEM
    from ilms.extensions import db
    from ilms.org import services as org
    with live_app.app_context():
        tvt = org.get_by_code("TVT")
        for title, author, year in (("Nuôi cá nước lạnh ở hồ thủy điện", "Lò Văn Biến", 2025),
                                    ("Biên niên điện ảnh Việt Nam", "Trần Điện", 2023),
                                    ("Chuyện kể Điện Biên Phủ", "Đỗ Quế", 2014)):
            record = services.create_minimal_record(title=title, authors=[author], year=year)
            services.add_copies(record, institution=tvt, actor=SYSTEM, source="purchase",
                                accessioned=dt.date(2024, 1, 2), shelf="Kho mở")
        db.session.commit()
        db.session.remove()


@pytest.fixture
def phone_without_js(browser):
    context = open_window(browser, PHONE, phone=True, javascript=False)
    yield context.new_page()
    context.close()


def test_the_readers_search_on_a_phone(phone_without_js, live_server, shelves):
    page, shots, base = phone_without_js, Shots("opac"), live_server.url
    page.goto(f"{base}/opac/")
    shots(page, "opac")
    page.fill("input[name=q]", "Điện Biên")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/opac/?q=*")
    hits = page.locator("ol.hits > li")
    assert hits.count() == 3
    assert "Chuyện kể Điện Biên Phủ" in hits.first.inner_text()
    assert "thủy điện" in hits.last.inner_text(), "one syllable of another word (Biến) comes last"
    assert not sideways_scroll(page)
    shots(page, "dien-bien")

    page.fill("input[name=q]", '"Điện Biên"')
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state()
    hits = page.locator("ol.hits > li")
    assert hits.count() == 1 and "Chuyện kể Điện Biên Phủ" in hits.first.inner_text()
    shots(page, "quoted-phrase")

    page.get_by_role("link", name="Chuyện kể Điện Biên Phủ").click()
    page.wait_for_url("**/opac/record/*")
    where = page.locator("#availability").inner_text()
    assert "Có sẵn" in where and "Còn lại" not in where and "Kho mở" in where
    assert not sideways_scroll(page)
    shots(page, "record")
