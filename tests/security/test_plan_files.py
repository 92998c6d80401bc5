"""The probe's YAML amplification: a plan file cannot unfold into millions of characters."""
import io
from pathlib import Path

import pytest

from ilms.extensions import db
from ilms.stats import services as stats
from ilms.stats.models import Plan
from tests.conftest import csrf_token, login, shared_path

#: 335 bytes that made a title of 5.2 million characters (nine levels of nine aliases).
LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f'{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},'
       f'*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]' for i in range(8)]
    + ["plan: {code: X, title: *i, years: [2021, 2025]}"])


def test_aliases_are_refused_with_the_line_and_nothing_is_stored(app, factories):
    factories.user("kehoach", role="planner")
    client = app.test_client()
    login(client, "kehoach")
    response = client.post("/stats/plans/upload", data={"csrf_token": csrf_token(client, "/stats/plans"),
                                                        "file": (io.BytesIO(LAUGHS.encode()), "plan.yaml")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code in (200, 400)
    assert "alias" in response.get_data(as_text=True) or "bí danh" in response.get_data(as_text=True)
    assert db.session.query(Plan).count() == 0


@pytest.mark.parametrize("text,fragment", [
    ("plan: {code: X, title: " + "t" * 501 + ", years: [2021, 2025]}", "dài hơn 500"),
    ("plan: {code: " + "C" * 61 + ", title: T, years: [2021, 2025]}", "dài hơn 60"),
    ("plan: {code: X, title: T, years: [2021, 2025]}\ntargets: 5", "phải là một danh sách"),
    ("# " + "x" * (300 * 1024), "lớn hơn 256 KB"),
])
def test_lengths_and_shapes_are_checked(app, text, fragment):
    with pytest.raises(stats.PlanFileError) as refused:
        stats.parse_plan(text)
    assert fragment in str(refused.value.message)


@pytest.mark.parametrize("name", ["lai-chau-1133-2015.yaml"])
def test_the_real_plans_still_load(app, name):
    assert stats.load_plan(Path(shared_path("plan", name)).read_text(encoding="utf-8")).targets
