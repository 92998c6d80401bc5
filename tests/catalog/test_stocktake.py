"""The stocktake (kiểm kê) on a library of 5,000 copies: found, missing, misplaced, on loan, seen twice;
two staff scanning at once; the scanner's file; withdrawal figures afterwards; scope; the report."""
import datetime as dt
import io
import threading

import openpyxl
import pypdf
import pytest
import sqlalchemy as sa

from ilms.catalog import services as catalog
from ilms.catalog import stocktake as st
from ilms.catalog.models import Item, ItemStatus
from ilms.catalog.stocktake_report import safe_text
from ilms.circulation import services as circulation
from ilms.common.permissions import SYSTEM
from ilms.common.time import Period, local_today
from ilms.extensions import db
from ilms.stats import registry
from tests.conftest import csrf_token, login, post_form

JSON = {"Accept": "application/json"}


SMALL = pytest.mark.parametrize("library", [200], indirect=True)


@pytest.fixture
def library(app, network, factories, request):
    """Thư viện tỉnh with 5,000 copies (or ``param``) on two shelves, three lent, two withdrawn;
    Tam Đường with ten.

    Four titles of equal size: two of call number 895.922 on shelf “Kho mở A”, two on “Kho mở B”.
    """
    size = getattr(request, "param", 5000)
    half = size // 8
    accessioned = dt.date(2020, 1, 1)
    shelves = {"Kho mở A": [("Truyện Kiều", "895.922 NG-D"), ("Dế Mèn phiêu lưu ký", "895.922 T-H")],
               "Kho mở B": [("Kỹ thuật trồng chè Shan tuyết", "633.72 K"),
                            ("=HYPERLINK(\"x\")", "390.09 L")]}
    copies = {}
    for shelf, titles in shelves.items():
        for title, call in titles:
            record = catalog.create_minimal_record(title=title)
            made = []
            for _ in range(2):
                made += catalog.add_copies(record, institution=network.tvt, actor=SYSTEM, source="purchase",
                                           accessioned=accessioned, count=half, shelf=shelf, call_number=call)
            copies[title] = made
    db.session.commit()
    every = [item for made in copies.values() for item in made]
    assert len(every) == size
    reader = factories.patron(network.tvt, card_expires=local_today() + dt.timedelta(days=300))
    lent = every[10:13]
    for item in lent:
        circulation.checkout(reader, item, institution=network.tvt, actor=SYSTEM)
    withdrawn = every[20:22]
    for item in withdrawn:
        catalog.withdraw_item(item, actor=SYSTEM, reason="worn", date=dt.date(2024, 5, 5))
    other = catalog.add_copies(catalog.create_minimal_record(title="Sách huyện"), institution=network.td,
                               actor=SYSTEM, source="purchase", accessioned=accessioned, count=10)
    db.session.commit()
    on_shelf = [i for i in every if i not in lent and i not in withdrawn]
    return {"size": size, "every": every, "on_shelf": on_shelf, "lent": lent, "withdrawn": withdrawn, "other": other,
            "copies": copies}


def _counts(stocktake_id):
    """The kept figures, after checking them against a count of the entries."""
    db.session.expire_all()
    stocktake = db.session.get(st.Stocktake, stocktake_id)
    kept = st.counts(stocktake)
    assert kept == st.recount(stocktake)
    return kept


def _open(client, **fields):
    response = post_form(client, "/catalog/stocktakes/new", fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _scan(client, stocktake_id, code, token):
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/scan", data={"csrf_token": token, "code": code},
                           headers=JSON)
    assert response.status_code == 200
    return response.get_json()


def _value(code, institution):
    return registry.get(code).compute(Period.year(local_today().year), [institution.id]).get(institution.id, 0)


@pytest.mark.slow
def test_a_stocktake_of_5000_copies_from_opening_to_withdrawal(app, network, library, factories):
    client = app.test_client()
    login(client, "thuthu.tvt")
    stocktake_id = _open(client, institution=str(network.tvt.id), name="Kiểm kê 2026")
    assert _counts(stocktake_id)["expected"] == 4995          # lent and withdrawn copies are not on the shelves

    on_shelf = library["on_shelf"]
    seen, never = on_shelf[:4900], on_shelf[4900:]
    scanner_file = "\r\n".join(i.barcode.lower() for i in seen).encode() + b"\r\n\r\n"
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/upload", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "file": (io.BytesIO(scanner_file), "may-quet.txt")}, follow_redirects=True)
    assert "4900" in response.get_data(as_text=True).replace(".", "")

    token = csrf_token(client, f"/catalog/stocktakes/{stocktake_id}")
    answers = {
        "lent": _scan(client, stocktake_id, library["lent"][0].barcode, token),
        "other": _scan(client, stocktake_id, library["other"][0].barcode, token),
        "withdrawn": _scan(client, stocktake_id, library["withdrawn"][0].barcode, token),
        "unknown": _scan(client, stocktake_id, "TVT999999", token),
        "again": _scan(client, stocktake_id, seen[0].barcode, token),
    }
    assert answers["lent"]["kind"] == "on_loan" and answers["lent"]["level"] == "warn"
    assert answers["other"]["kind"] == "other_library" and "Tam Đường" in answers["other"]["message"]
    assert answers["withdrawn"]["kind"] == "withdrawn"
    assert answers["unknown"]["kind"] == "unknown" and answers["unknown"]["level"] == "error"
    assert answers["again"]["kind"] == "found" and answers["again"]["detail"]
    counts = answers["again"]["counts"]
    assert counts == _counts(stocktake_id)
    assert counts == {**counts, "expected": 4995, "found": 4900, "not_seen": 95, "on_loan": 1, "other_library": 1,
                      "withdrawn": 1, "unknown": 1, "misplaced": 0, "twice": 1, "scans": 4905}
    page = client.get(f"/catalog/stocktakes/{stocktake_id}").get_data(as_text=True)
    assert library["other"][0].barcode in page and "TVT999999" in page

    holdings, withdrawn_before = _value("LIB.HOLDINGS", network.tvt), _value("LIB.COPIES_WITHDRAWN", network.tvt)
    assert holdings == 4998
    # one copy never seen was lent at the desk during the count: accounted for, so not missing
    circulation.checkout(factories.patron(network.tvt, card_expires=local_today() + dt.timedelta(days=30)),
                         never[-1], institution=network.tvt, actor=SYSTEM)
    db.session.commit()
    assert post_form(client, f"/catalog/stocktakes/{stocktake_id}/close", {},
                     page=f"/catalog/stocktakes/{stocktake_id}").status_code == 302
    missing = st.missing(db.session.get(st.Stocktake, stocktake_id))
    assert sorted(e.item_id for e in missing) == sorted(i.id for i in never[:-1])
    closed_page = client.get(f"/catalog/stocktakes/{stocktake_id}").get_data(as_text=True)
    assert closed_page.count('name="items"') == 94 and 'id="scan"' not in closed_page
    chosen = [str(i.id) for i in never[:90]]
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/withdraw", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "date": local_today().isoformat(), "items": chosen})
    assert response.status_code == 302
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Item.status, sa.func.count()).where(
        Item.id.in_([i.id for i in never])).group_by(Item.status)).all())
    assert statuses == {ItemStatus.WITHDRAWN: 90, ItemStatus.AVAILABLE: 4, ItemStatus.ON_LOAN: 1}
    closed_page = client.get(f"/catalog/stocktakes/{stocktake_id}").get_data(as_text=True)
    assert closed_page.count('name="items"') == 4
    reasons = {i.withdrawal_reason.value for i in db.session.scalars(sa.select(Item).where(
        Item.id.in_([int(c) for c in chosen])))}
    assert reasons == {"lost"}
    assert _value("LIB.HOLDINGS", network.tvt) == holdings - 90
    assert _value("LIB.COPIES_WITHDRAWN", network.tvt) == withdrawn_before + 90
    # a copy already withdrawn, or one never missing, cannot be withdrawn through the stocktake
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/withdraw", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "date": local_today().isoformat(), "items": [chosen[0], str(seen[1].id)]}, follow_redirects=True)
    assert "không" in response.get_data(as_text=True) or "not missing" in response.get_data(as_text=True)
    assert _value("LIB.COPIES_WITHDRAWN", network.tvt) == withdrawn_before + 90
    # scanning a closed stocktake is refused, nothing counted
    answer = _scan(client, stocktake_id, never[-2].barcode, csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"))
    assert answer["level"] == "error" and answer["counts"]["scans"] == 4905


@pytest.mark.slow
def test_two_staff_scanning_at_once_lose_nothing_and_count_doubles_once(app, network, library, factories):
    factories.user("thuthu.tvt2", institution=network.tvt)
    first, second = app.test_client(), app.test_client()
    login(first, "thuthu.tvt")
    login(second, "thuthu.tvt2")
    stocktake_id = _open(first, institution=str(network.tvt.id), location="Kho mở A")
    copies = library["copies"]["Truyện Kiều"][100:350]
    # 100 copies each, 50 of them scanned by both at the same time
    lists = [[c.barcode for c in copies[:150]], [c.barcode for c in copies[100:250]]]
    tokens = [csrf_token(client, f"/catalog/stocktakes/{stocktake_id}") for client in (first, second)]
    failures, start = [], threading.Barrier(2)

    def work(client, token, codes):
        try:
            start.wait()
            for code in codes:
                response = client.post(f"/catalog/stocktakes/{stocktake_id}/scan",
                                       data={"csrf_token": token, "code": code}, headers=JSON)
                if response.status_code != 200 or response.get_json()["level"] == "error":
                    failures.append((code, response.status_code, response.get_data(as_text=True)[:200]))
        except Exception as error:     # noqa: BLE001  (reported below)
            failures.append(repr(error))

    db.session.commit()
    threads = [threading.Thread(target=work, args=(client, token, codes))
               for client, token, codes in zip((first, second), tokens, lists)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    counts = _counts(stocktake_id)
    assert counts["scans"] == 300 and counts["found"] == 250 and counts["twice"] == 50
    assert counts["expected"] == 2500 - 5 and counts["not_seen"] == counts["expected"] - 250
    rows = db.session.execute(sa.select(st.StocktakeEntry.scans, sa.func.count()).where(
        st.StocktakeEntry.stocktake_id == stocktake_id, st.StocktakeEntry.scans > 0)
        .group_by(st.StocktakeEntry.scans)).all()
    assert dict(rows) == {1: 200, 2: 50}


@SMALL
def test_scopes_and_the_misplaced_copy(app, network, library):
    shelf = library["size"] // 2
    client = app.test_client()
    login(client, "thuthu.tvt")
    by_call = _open(client, institution=str(network.tvt.id), call_from="895.9", call_to="895.92")
    assert _counts(by_call)["expected"] == shelf - 5      # both 895.922 titles; the upper end counts as a prefix
    by_shelf = _open(client, institution=str(network.tvt.id), shelf_from="Kho mo B", shelf_to="kho mở b")
    assert _counts(by_shelf)["expected"] == shelf
    token = csrf_token(client, f"/catalog/stocktakes/{by_shelf}")
    answer = _scan(client, by_shelf, library["copies"]["Truyện Kiều"][30].barcode, token)
    assert answer["kind"] == "misplaced" and "Kho mở A" in answer["message"]
    answer = _scan(client, by_shelf, library["copies"]["Kỹ thuật trồng chè Shan tuyết"][0].barcode, token)
    assert answer["kind"] == "found" and answer["counts"]["found"] == 1
    # a range that ends before it starts, and a scope with nothing in it, are refused on the form
    response = post_form(client, "/catalog/stocktakes/new", {"institution": str(network.tvt.id),
                                                             "call_from": "900", "call_to": "100"})
    assert response.status_code == 200 and "100" in response.get_data(as_text=True)
    response = post_form(client, "/catalog/stocktakes/new", {"institution": str(network.tvt.id),
                                                             "location": "Kho sách quý"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(st.Stocktake.id))) == 2


@SMALL
def test_a_scanner_file_with_a_bad_line_is_refused_whole(app, network, library):
    client = app.test_client()
    login(client, "thuthu.tvt")
    stocktake_id = _open(client, institution=str(network.tvt.id))
    good = [i.barcode for i in library["on_shelf"][:3]]
    content = f"{good[0]}\n{good[1]}\nTVT 000 12\n\n=SUM(A1)\n{good[2]}\n".encode()
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/upload", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "file": (io.BytesIO(content), "scanner.txt")}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3" in text and "5" in text and "TVT 000 12" in text and "=SUM(A1)" in text
    assert _counts(stocktake_id)["scans"] == 0                 # nothing of the file was counted
    too_big = b"TVT000001\n" * (st.MAX_UPLOAD_BYTES // 10 + 10)
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/upload", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "file": (io.BytesIO(too_big), "scanner.txt")}, follow_redirects=True)
    assert response.status_code == 200 and _counts(stocktake_id)["scans"] == 0
    binary = b"\xff\xfe\x00\x01garbage"
    response = client.post(f"/catalog/stocktakes/{stocktake_id}/upload", data={
        "csrf_token": csrf_token(client, f"/catalog/stocktakes/{stocktake_id}"),
        "file": (io.BytesIO(binary), "scanner.txt")}, follow_redirects=True)
    assert response.status_code == 200 and _counts(stocktake_id)["scans"] == 0


@SMALL
def test_pause_and_resume(app, network, library):
    client = app.test_client()
    login(client, "thuthu.tvt")
    stocktake_id = _open(client, institution=str(network.tvt.id))
    page = f"/catalog/stocktakes/{stocktake_id}"
    token = csrf_token(client, page)
    assert _scan(client, stocktake_id, library["on_shelf"][0].barcode, token)["kind"] == "found"
    assert post_form(client, f"{page}/pause", {}, page=page).status_code == 302
    answer = _scan(client, stocktake_id, library["on_shelf"][1].barcode, csrf_token(client, page))
    assert answer["level"] == "error" and answer["counts"]["scans"] == 1
    assert post_form(client, f"{page}/resume", {}, page=page).status_code == 302
    answer = _scan(client, stocktake_id, library["on_shelf"][1].barcode, csrf_token(client, page))
    assert answer["kind"] == "found" and answer["counts"]["found"] == 2
    # without the page's script: a plain form post, then the page shows the answer
    response = client.post(f"{page}/scan", data={"csrf_token": csrf_token(client, page),
                                                "code": library["on_shelf"][2].barcode}, follow_redirects=True)
    assert library["on_shelf"][2].barcode in response.get_data(as_text=True)
    assert _counts(stocktake_id)["found"] == 3


@SMALL
def test_another_librarys_staff_are_refused(app, network, library):
    owner, stranger, desk = app.test_client(), app.test_client(), app.test_client()
    login(owner, "thuthu.tvt")
    stocktake_id = _open(owner, institution=str(network.tvt.id))
    login(stranger, "thuthu.td")
    login(desk, "quay.tvt")
    page = f"/catalog/stocktakes/{stocktake_id}"
    token = csrf_token(stranger, "/profile")
    for client in (stranger, desk):
        assert client.get(page).status_code == 403
        assert client.get(f"{page}/counts").status_code == 403
        assert client.get(f"{page}/report.xlsx").status_code == 403
        for action in ("scan", "pause", "close", "withdraw"):
            response = client.post(f"{page}/{action}", data={"csrf_token": token if client is stranger
                                                             else csrf_token(desk, "/profile"),
                                                             "code": library["on_shelf"][0].barcode})
            assert response.status_code == 403, action
    assert f"/catalog/stocktakes/{stocktake_id}" not in stranger.get("/catalog/stocktakes").get_data(as_text=True)
    # the stranger cannot open a stocktake of the provincial library either
    response = post_form(stranger, "/catalog/stocktakes/new", {"institution": str(network.tvt.id)})
    assert response.status_code == 200
    assert _counts(stocktake_id)["scans"] == 0
    assert db.session.get(st.Stocktake, stocktake_id).status == st.StocktakeStatus.OPEN
    assert db.session.scalar(sa.select(sa.func.count(st.Stocktake.id))) == 1


@SMALL
def test_the_report_in_xlsx_and_pdf(app, network, library):
    shelf = library["size"] // 2
    client = app.test_client()
    login(client, "thuthu.tvt")
    stocktake_id = _open(client, institution=str(network.tvt.id), location="Kho mở B")
    page = f"/catalog/stocktakes/{stocktake_id}"
    token = csrf_token(client, page)
    _scan(client, stocktake_id, library["copies"]["Truyện Kiều"][0].barcode, token)    # misplaced
    post_form(client, f"{page}/close", {}, page=page)
    response = client.get(f"{page}/report.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    missing_sheet = book.worksheets[1]
    assert missing_sheet.max_row == shelf + 1
    titles = {cell.value for cell in missing_sheet["B"][1:]}
    assert "\u200b=HYPERLINK(\"x\")" in titles and not any(str(t).startswith("=") for t in titles)
    assert all(cell.data_type == "s" for cell in missing_sheet["B"])
    elsewhere = book.worksheets[2]
    assert elsewhere.max_row == 2 and elsewhere["A2"].value == library["copies"]["Truyện Kiều"][0].barcode
    summary = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(min_row=3) if row[0].value}
    assert shelf in summary.values()
    response = client.get(f"{page}/report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert "Kho mở B" in text and library["copies"]["Truyện Kiều"][0].barcode in text


def test_safe_text_keeps_formulas_out_of_cells():
    for text in ("=1+1", "+7 days", "-5", "@SUM(A1)", "\tx", "\rx", "＝1"):
        assert safe_text(text).startswith("\u200b") and safe_text(text)[1:] == text
    assert safe_text("Truyện Kiều") == "Truyện Kiều" and safe_text(None) == "" and safe_text(12) == "12"


@SMALL
def test_flask_check_finds_and_repairs_figures_that_drifted(app, network, library, runner):
    client = app.test_client()
    login(client, "thuthu.tvt")
    stocktake_id = _open(client, institution=str(network.tvt.id))
    token = csrf_token(client, f"/catalog/stocktakes/{stocktake_id}")
    _scan(client, stocktake_id, library["on_shelf"][0].barcode, token)
    assert st.figure_problems() == []
    db.session.execute(sa.update(st.Stocktake.__table__).values(n_found=7))
    db.session.commit()
    assert "found 7 ≠ 1" in st.figure_problems()[0]
    result = runner.invoke(args=["check", "--repair"])
    assert "stocktake figures" in result.output
    db.session.expire_all()
    assert st.figure_problems() == [] and _counts(stocktake_id)["found"] == 1
