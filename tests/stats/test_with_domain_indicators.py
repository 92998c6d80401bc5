"""The pages, drill-down and reports work with the indicators the domains have registered, on the demo province."""
import re

import pytest

from ilms.common.time import local_today
from ilms.stats import registry
from tests.conftest import login


@pytest.fixture
def demo(app):
    from ilms.demo.cli import load_all
    load_all(echo=lambda *_: None)
    return app


def test_every_registered_figure_renders_and_opens(demo, client):
    assert registry.all_indicators(), "no domain indicator is registered on this branch"
    login(client, "manager", "laichau2016")
    year = local_today().year
    for y in (year - 1, year):
        page = client.get(f"/stats/?year={y}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        links = sorted(set(re.findall(r'href="(/stats/records/[^"]+)"', html)))
        assert links or y == year
        for link in links[:60]:
            link = link.replace("&amp;", "&")
            response = client.get(link)
            assert response.status_code == 200, link
            assert client.get(link + "&format=csv").status_code == 200, link
    plan_id = re.search(r'/stats/plans/(\d+)', client.get("/stats/plans").get_data(as_text=True)).group(1)
    for suffix in ("", ".xlsx", ".pdf"):
        assert client.get(f"/stats/reports/{plan_id}/annual/2020{suffix}?scope=province").status_code == 200
        assert client.get(f"/stats/reports/{plan_id}/annual/2020{suffix}?scope=inst:BTT").status_code == 200
    assert client.get("/").status_code == 200
