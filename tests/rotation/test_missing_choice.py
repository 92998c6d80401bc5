"""Settling a missing copy: nothing is preselected beside Save ("found" was, and one click settled a lost copy)."""
import re

import pytest
from flask_babel import force_locale

from ilms.catalog.models import ItemStatus
from ilms.common.time import utcnow
from ilms.extensions import db
from ilms.rotation import services as rot
from ilms.rotation.models import Outcome
from tests.conftest import login, post_form


@pytest.fixture(autouse=True)
def vietnamese():
    with force_locale("vi"):
        yield


def test_no_resolution_is_preselected_and_saving_without_one_changes_nothing(app, net, packed):
    crate, items = packed(2)
    rot.dispatch(crate, point=net.bl, actor=net.staff, at=utcnow())
    rot.confirm_receipt(crate, actor=net.point_staff)
    rot.return_crate(crate, actor=net.staff, barcodes=[items[0].barcode])
    db.session.commit()
    line = next(line for line in rot.last_dispatch(crate).lines if line.outcome == Outcome.MISSING)
    client = app.test_client()
    login(client, net.staff.username)

    html = client.get("/rotation/missing").get_data(as_text=True)
    select = re.search(rf'<select id="resolution-{line.id}"[^>]*>(.*?)</select>', html, re.S)
    assert select and "required" in select.group(0)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    assert [attrs for attrs, _ in options if "selected" in attrs] == [' value="" selected disabled']
    assert "Đã tìm thấy" in [label for _, label in options]

    answer = post_form(client, f"/rotation/missing/{line.id}", {"into_crate": "y", "next": "/rotation/missing"},
                       page="/rotation/missing", follow_redirects=True)
    assert answer.status_code == 200
    assert f"{items[1].barcode}: Hãy chọn" in answer.get_data(as_text=True)
    db.session.refresh(line)
    db.session.refresh(items[1])
    assert line.resolution is None and items[1].status == ItemStatus.MISSING
