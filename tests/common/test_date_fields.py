"""Every date box is typed day/month/year, whatever the browser's language (a browser's own date picker shows
mm/dd/yyyy in English, and "12/08/2026" was read as 8 December)."""
import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from ilms.common.fields import DateField, parse_day

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["12/08/2026", "12/8/2026", "12-08-2026", "12.08.2026", " 12/08/2026 ", "2026-08-12"])
def test_day_month_year_and_iso_are_read_as_12_august(text):
    assert parse_day(text) == dt.date(2026, 8, 12)


@pytest.mark.parametrize("text", ["08/13/2026", "31/02/2026", "12/08/26", "tomorrow", "2026/08/12"])
def test_anything_else_is_refused_with_the_format_to_type(app, text):
    with app.test_request_context(), pytest.raises(ValueError) as refused:
        parse_day(text)
    assert "12/08/2026" in str(refused.value) or "/" in str(refused.value)


def test_a_form_shows_a_text_box_with_the_format_and_reads_it_day_first(app):
    class Form(FlaskForm):
        class Meta:
            csrf = False
        day = DateField("Day")

    with app.test_request_context():
        form = Form(formdata=MultiDict({"day": "12/08/2026"}))
        assert form.validate()
        assert form.day.data == dt.date(2026, 8, 12)
        html = str(Form(data={"day": dt.date(2026, 8, 12)}).day())
        assert 'type="text"' in html and 'value="12/08/2026"' in html and "dd/mm/yyyy" in html
        bad = Form(formdata=MultiDict({"day": "08/13/2026"}))
        assert not bad.validate()
        assert "12/08/2026" in bad.day.errors[0]


def test_no_page_or_form_uses_the_browsers_date_picker():
    pickers = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
               if re.search(r"type=[\"']?(date|datetime-local)[\"' >]", path.read_text(encoding="utf-8"))]
    wtforms_dates = [f"{path.relative_to(ROOT)}: {alias.name}" for path in (ROOT / "ilms").rglob("*.py")
                     for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wtforms")
                     for alias in node.names if alias.name in ("DateField", "DateTimeLocalField", "DateTimeField")]
    assert not pickers and not wtforms_dates, (pickers, wtforms_dates)


def test_a_tally_typed_12_08_2026_is_counted_on_12_august(app, factories):
    from ilms.circulation.models import Tally
    from ilms.extensions import db
    from tests.conftest import login, post_form
    library = factories.institution("TV-DMY")
    factories.user("desk.dmy", institution=library)
    db.session.commit()
    client = app.test_client()
    login(client, "desk.dmy")
    page = client.get("/circulation/visits").get_data(as_text=True)
    assert 'type="date"' not in page and "dd/mm/yyyy" in page
    answer = post_form(client, "/circulation/visits", {"date": "12/08/2026", "kind": "visits", "count": "3"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert db.session.scalars(db.select(Tally.date)).all() == [dt.date(2026, 8, 12)]


def test_a_day_and_time_is_typed_day_month_year_on_the_24_hour_clock(app):
    from ilms.common.fields import parse_day_time
    assert parse_day_time("05/03/2024 07:00") == parse_day_time("2024-03-05T07:00") == dt.datetime(2024, 3, 5, 7, 0)
    assert parse_day_time("5/3/2024 19:05") == dt.datetime(2024, 3, 5, 19, 5)
    with app.test_request_context():
        for text in ("05/03/2024", "05/03/2024 7pm", "05/03/2024 24:00", "03/05/2024T25:00"):
            with pytest.raises(ValueError):
                parse_day_time(text)
