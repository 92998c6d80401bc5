"""The point's phone page: each label leads to its own box, and a crate still on the road is not "here"."""
import re
from collections import Counter

import pytest
from flask_babel import force_locale

from ilms.common.time import utcnow
from ilms.extensions import db
from ilms.rotation import services as rot
from tests.conftest import login, post_form


@pytest.fixture(autouse=True)
def vietnamese():
    with force_locale("vi"):
        yield


def signed_in(app, user):
    client = app.test_client()
    login(client, user.username)
    return client


def test_every_box_on_the_point_page_has_its_own_id_and_each_label_points_to_it(app, net):
    html = signed_in(app, net.point_staff).get(f"/rotation/points/{net.bl.id}").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [name for name, n in ids.items() if n > 1] == []
    labels = dict((text.strip(), target) for target, text in re.findall(r'<label for="([^"]+)">([^<]+)</label>', html))
    assert labels["Bản sách bạn đọc trả"] == "back-barcode"
    assert re.search(r'<input[^>]+id="back-barcode"[^>]+name="barcode"|<input[^>]+name="barcode"[^>]+id="back-barcode"',
                     html)


def test_before_the_crate_is_received_its_copies_are_on_the_way_not_at_the_point(app, net, packed):
    crate, items = packed(5)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=utcnow())
    db.session.commit()
    point = signed_in(app, net.point_staff)
    page = f"/rotation/points/{net.bl.id}"
    html = point.get(page).get_data(as_text=True)
    summary = re.search(r'data-testid="point-summary">(.*?)</p>', html, re.S).group(1)
    assert "bản sách tại điểm" not in summary
    assert "5 bản sách đang trên đường tới điểm" in summary
    home = point.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="crates-out">0<', home) and re.search(r'data-testid="crates-to-receive">1<', home)

    post_form(point, f"/rotation/crates/{crate.id}/receive", {"next": page}, page=page)
    html = point.get(page).get_data(as_text=True)
    summary = re.search(r'data-testid="point-summary">(.*?)</p>', html, re.S).group(1)
    assert "Đang có 5 bản sách tại điểm" in summary and "trên đường" not in summary
    home = point.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="crates-out">1<', home) and re.search(r'data-testid="crates-to-receive">0<', home)
