"""The administrator's upload page: a JSON Lines file imported in the background, with the same progress,
line-numbered refusals and a downloadable ``.rejected.jsonl`` (issue 17)."""
import io
import json
import time

from ilms.catalog.services import item_by_barcode
from ilms.extensions import db
from tests.conftest import login, post_form
from tests.ops.test_history import NETWORK


def _finished(client, url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(url + "/status").get_json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError("the import did not finish")


def _upload(client, lines, partial=False, name="lich-su.jsonl"):
    body = ("\n".join(json.dumps(line, ensure_ascii=False) if isinstance(line, dict) else line
                      for line in lines) + "\n").encode("utf-8")
    data = {"file": (io.BytesIO(body), name)}
    if partial:
        data["partial"] = "y"
    return post_form(client, "/admin/ops-import/", data=data, content_type="multipart/form-data")


def test_an_administrator_uploads_a_file_and_follows_the_import(app, client, factories):
    factories.user("quantri", role="admin")
    login(client, "quantri")
    response = _upload(client, NETWORK + ["{broken", dict(NETWORK[3], barcode="X1", institution="NOWHERE")],
                       partial=True)
    assert response.status_code == 302
    url = response.headers["Location"]
    state = _finished(client, url)
    assert state["state"] == "done" and state["committed"] and state["applied"] == 4 and state["refused"] == 2
    page = client.get(url).get_data(as_text=True)
    assert "lich-su.jsonl" in page and ">5<" in page.replace(" ", "")  # the refused line numbers
    rejected = client.get(url + "/rejected.jsonl")
    assert rejected.status_code == 200
    assert rejected.get_data(as_text=True).splitlines()[0] == "{broken"
    db.session.rollback()
    assert item_by_barcode("TVT000001").institution.code == "TVT"


def test_without_partial_one_refused_line_imports_nothing(app, client, factories):
    factories.user("quantri", role="admin")
    login(client, "quantri")
    state = _finished(client, _upload(client, NETWORK + ["{broken"]).headers["Location"])
    assert state["state"] == "done" and not state["committed"] and state["errors"][0][0] == 5
    db.session.rollback()
    assert item_by_barcode("TVT000001", required=False) is None


def test_only_administrators_and_bounded_files(app, client, factories):
    factories.user("quay", role="desk")
    login(client, "quay")
    assert client.get("/admin/ops-import/").status_code == 403
    factories.user("quantri", role="admin")
    client = app.test_client()
    login(client, "quantri")
    app.config["OPS_UPLOAD_MAX_MB"] = 0
    refused = _upload(client, NETWORK)
    assert refused.status_code == 200 and "MB" in refused.get_data(as_text=True)
    not_jsonl = post_form(client, "/admin/ops-import/", data={"file": (io.BytesIO(b"a,b\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert not_jsonl.status_code == 200 and "JSON" in not_jsonl.get_data(as_text=True)
    assert client.get("/admin/ops-import/not-a-job").status_code == 404
