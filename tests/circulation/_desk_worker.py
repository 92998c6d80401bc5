"""One desk in its own process (for the concurrency test): sign in, wait for the others, scan one copy."""
import re


def desk_process(db_path, data_dir, username, password, reader_id, barcode, barrier, results):
    from ilms import create_app
    from tests.conftest import make_config

    app = create_app(make_config(db_path, data_dir))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    desk = client.get(f"/circulation/desk?reader={reader_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', desk).group(1)
    barrier.wait(timeout=300)
    response = client.post("/circulation/desk/scan", headers={"Accept": "application/json"},
                           data={"csrf_token": token, "code": barcode, "mode": "checkout", "reader": reader_id})
    data = response.get_json()
    results.put({"status": response.status_code, "level": data["level"], "code": data["code"],
                 "message": data["message"]})
