"""The Vietnamese indicator page, drill-down and report show no English: every string of the msgid
catalogue that has a Vietnamese translation, every raw enum value (house_heads, ethnic_culture_day...)
and every ``markup`` of a docstring is caught if it reaches the page's visible text."""
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

from ilms.circulation.models import Tally, TallyKind
from ilms.common.enums import LabelledEnum
from ilms.events.models import (Activity, ActivityKind, Audience, Club, ClubSetting, Course, Exhibition,
                                ExhibitionKind, ExhibitionStatus, Festival, FestivalKind, VisitorCount)
from ilms.extensions import db
from ilms.stats import definitions, registry, services
from tests.conftest import login, shared_path

ROOT = Path(__file__).resolve().parents[2]
#: The language switcher names each language in itself.
LANGUAGE_NAMES = {"English"}


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside script/style, plus button and option labels."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html):
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_pieces():
    """Pieces of every msgid translated differently into Vietnamese (placeholders cut out)."""
    pieces = set()
    for path in ROOT.glob("ilms/**/translations/vi/LC_MESSAGES/messages.po"):
        with path.open("rb") as fh:
            for message in read_po(fh):
                msgid = message.id if isinstance(message.id, str) else (message.id or [""])[0]
                msgstr = message.string if isinstance(message.string, str) else (message.string or [""])[0]
                if not msgid or not msgstr or msgstr == msgid:
                    continue
                for piece in re.split(r"%\(\w+\)[sdf]|%%|[“”\"():;,.!?…]", msgid):
                    piece = piece.strip(" -–·/")
                    if re.search(r"[A-Za-z]{3,}", piece) and piece not in msgstr:
                        pieces.add(piece)
    return pieces


def enum_values():
    values = set()

    def walk(cls):
        for sub in cls.__subclasses__():
            values.update(m.value for m in sub if "_" in m.value)
            walk(sub)
    walk(LabelledEnum)
    return values


def assert_vietnamese(html, where):
    text = visible_text(html)
    found = sorted(p for p in english_pieces() - LANGUAGE_NAMES if re.search(r"(?<![\w.])" + re.escape(p) + r"(?![\w.])", text))
    raw = sorted(v for v in enum_values() if re.search(r"(?<![\w.])" + re.escape(v) + r"(?![\w.])", text))
    markup = "``" in text
    assert not found and not raw and not markup, (
        f"{where}: English left in the Vietnamese page: {found}; raw values: {raw}; markup: {markup}")


def _network_with_records(factories):
    tvt = factories.institution("TVT", kind="provincial_library", name="Thư viện tỉnh")
    tvh = factories.institution("TVH-A", parent=tvt, name="Thư viện huyện A")
    museum = factories.institution("BTT", kind="museum", name="Bảo tàng tỉnh")
    centre = factories.institution("TTVH", kind="cultural_center", level="province", name="Trung tâm Văn hóa tỉnh")
    house = factories.institution("NVH-A", kind="cultural_house", level="commune", parent=centre,
                                  name="Nhà văn hóa xã A")
    day = dt.date(2025, 5, 10)
    db.session.add_all([
        Tally(institution_id=tvh.id, date=day, kind=TallyKind.VISITS, count=12),
        Club(code="CLB-1", institution_id=house.id, name="Câu lạc bộ dân ca", setting=ClubSetting.VILLAGE,
             members=20, active_from=dt.date(2020, 1, 1)),
        Club(code="CLB-2", institution_id=centre.id, name="Câu lạc bộ thơ", setting=ClubSetting.OTHER,
             members=9, active_from=dt.date(2020, 1, 1)),
        Activity(institution_id=house.id, kind=ActivityKind.INFORMATION, title="Tuyên truyền", date=day,
                 participants=40),
        Course(institution_id=centre.id, title="Tập huấn trưởng nhà văn hóa", audience=Audience.HOUSE_HEADS,
               start=day, end=day, trainees=25, minority_trainees=20),
        Festival(institution_id=house.id, kind=FestivalKind.ETHNIC_CULTURE_DAY, title="Ngày hội văn hóa", date=day),
    ])
    exhibition = Exhibition(code="TB-1", kind=ExhibitionKind.THEMATIC, status=ExhibitionStatus.CLOSED,
                            institution_id=museum.id, title="Trưng bày Di sản", start=day, end=day)
    db.session.add(exhibition)
    db.session.flush()
    db.session.add(VisitorCount(exhibition_id=exhibition.id, date=day, visitors=50, students=30,
                                school="Trường THCS A"))
    db.session.commit()
    return {"TVT": tvt, "TVH-A": tvh, "BTT": museum, "TTVH": centre, "NVH-A": house}


def test_the_vietnamese_indicator_page_drilldown_and_report_have_no_english(app, client, factories):
    _network_with_records(factories)
    plan = services.load_plan(shared_path("plan", "qd-1520-2022.yaml").read_text(encoding="utf-8"))
    factories.user("giamdoc", role="manager")
    db.session.commit()
    login(client, "giamdoc")

    page = client.get("/stats/?year=2025&scope=province")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "LIB.LLL_SERVICE_SHARE" in html and "Tỷ lệ thư viện cung cấp dịch vụ học tập suốt đời" in html
    assert "Trưởng nhà văn hóa".lower() in html.lower() or "nhà văn hóa" in html   # the audience, in words
    assert_vietnamese(html, "indicator page 2025")
    assert_vietnamese(client.get("/stats/?year=2026&scope=province").get_data(as_text=True),
                      "indicator page of the current year (projections)")

    for code in ("CUL.CLUBS", "MUS.LEARNING_VISITORS", "LIB.LLL_SERVICE_SHARE", "TRN.COURSES"):
        drill = client.get(f"/stats/records/{code}?year=2025&scope=province")
        assert drill.status_code == 200, code
        assert_vietnamese(drill.get_data(as_text=True), f"drill-down of {code}")

    for url in (f"/stats/reports/{plan.id}/annual/2025?scope=province",
                f"/stats/reports/{plan.id}/half_year/2025?scope=province",
                "/stats/reports/0/annual/2021?scope=province"):
        report = client.get(url)
        assert report.status_code == 200, url
        assert_vietnamese(report.get_data(as_text=True), url)


def test_every_indicator_has_a_vietnamese_definition_without_markup(app):
    for indicator in registry.all_indicators():
        text = definitions.definition(indicator, "vi")
        assert indicator.code in definitions.DEFINITIONS_VI, indicator.code
        assert "``" not in text and text, indicator.code
        english = definitions.definition(indicator, "en")
        assert "``" not in english and not english.startswith(indicator.code)
