"""A guest's age band, sex and ethnic group are asked (the minority figures count them), "not asked" on purpose."""
import re

import sqlalchemy as sa

from ilms.extensions import db
from ilms.internet.models import InternetSession
from tests.conftest import csrf_token, login


def signed_in(app, username="mai"):
    client = app.test_client()
    login(client, username)
    return client


def test_the_guest_form_offers_quick_buttons_for_lai_chau_groups_and_not_asked(app, net):
    html = signed_in(app).get("/internet/").get_data(as_text=True)
    tile = html[html.index('data-testid="tile-TD-PC2"'):]
    ethnic = re.search(r'data-testid="guest-ethnicity">(.*?)</fieldset>', tile, re.S).group(1)
    quick = re.findall(r'<input type="radio" name="ethnicity" value="([^"]+)"[^>]*>\s*([^<]+?)\s*</label>', ethnic)
    assert [name for _, name in quick] == ["Thái", "Mông", "Kinh", "Dao", "Hà Nhì", "Giáy", "Chưa hỏi"]
    assert "Dân tộc khác" in ethnic
    for question in ("age_band", "sex"):
        box = re.search(rf'data-testid="guest-{question}">(.*?)</fieldset>', tile, re.S).group(1)
        assert "Chưa hỏi" in box and "required" in box


def test_a_guest_with_unanswered_questions_is_not_started(app, net):
    client = signed_in(app)
    token = csrf_token(client, "/internet/")
    answer = client.post("/internet/start", data={"csrf_token": token, "station": net.pc2.id, "guest": "1"},
                         follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Hãy chọn độ tuổi của khách" in html and "Hãy chọn dân tộc của khách" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InternetSession)) == 0


def test_not_asked_is_a_deliberate_answer_and_another_group_comes_from_the_list(app, net):
    client = signed_in(app)
    token = csrf_token(client, "/internet/")
    client.post("/internet/start", data={"csrf_token": token, "station": net.pc2.id, "guest": "1",
                                         "age_band": "-", "sex": "-", "ethnicity": "-"})
    client.post("/internet/start", data={"csrf_token": token, "station": net.pc1.id, "guest": "1",
                                         "age_band": "15_24", "sex": "M", "ethnicity_other": "12"})
    rows = db.session.execute(sa.select(InternetSession.guest_age_band, InternetSession.guest_sex,
                                        InternetSession.guest_ethnicity).order_by(InternetSession.id)).all()
    assert [(a.value if a else None, s, e) for a, s, e in rows] == [(None, None, None), ("15_24", "M", "12")]
