"""Walk the URL map, so every route added later is covered without writing a new test."""
import re

import pytest
import sqlalchemy as sa

from ilms.accounts.permissions import PROVINCE_WIDE, Role, role_can
from ilms.extensions import db
from tests.conftest import csrf_token, login

# Routes open to the public (no sign-in): the login page, language switch, health check, static files,
# and signing out (harmless for a stranger: it ends no one's session but the caller's).
PUBLIC_ENDPOINTS = {"accounts.login", "accounts.set_language", "accounts.logout", "main.healthz", "static"}
# Public patterns added by later modules (OPAC, calendar, OAI-PMH, SRU) are listed here by prefix.
# The reader account (opac_account.) has its own sign-in (card + PIN), tested in tests/circulation/test_opac_account.py.
PUBLIC_PREFIXES = ("opac.", "opac_account.", "public.", "oai.", "sru.")
# Protocols for other library systems that allow POST and only read (OAI-PMH): no cookies, no CSRF token.
CSRF_EXEMPT_ENDPOINTS = {"oai.endpoint"}


def _example_url(rule):
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.endpoint.startswith("api."):
            yield rule


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _write_routes(app):
    for method in WRITE_METHODS:
        for rule in _routes(app, method):
            if rule.endpoint not in CSRF_EXEMPT_ENDPOINTS:
                yield method, rule


def test_the_csrf_exempt_routes_only_read(app, factories):
    factories.user("admin1", role="admin")
    client = app.test_client()
    login(client, "admin1")
    before = _row_counts()
    for endpoint in CSRF_EXEMPT_ENDPOINTS:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        response = client.post(_example_url(rule), data={"verb": "Identify", "anything": "x"})
        assert response.status_code == 200 and b"<OAI-PMH" in response.data
    db.session.expire_all()
    assert _row_counts() == before


def test_every_write_route_refuses_a_missing_csrf_token(app, factories):
    factories.user("admin1", role="admin")
    client = app.test_client()
    login(client, "admin1")
    checked = 0
    for method, rule in _write_routes(app):
        response = client.open(_example_url(rule), method=method, data={"anything": "x"})
        assert response.status_code == 400, f"{method} {rule.rule} accepted a write without CSRF token"
        checked += 1
    assert checked >= 8


def test_every_write_route_refuses_a_token_from_another_session(app, factories):
    factories.user("admin1", role="admin")
    factories.user("admin2", role="admin")
    victim, attacker = app.test_client(), app.test_client()
    login(victim, "admin1")
    login(attacker, "admin2")
    stolen = csrf_token(attacker, "/profile")
    for method, rule in _write_routes(app):
        response = victim.open(_example_url(rule), method=method, data={"csrf_token": stolen})
        assert response.status_code == 400, f"{method} {rule.rule} accepted another session's CSRF token"


def test_every_staff_write_refuses_anonymous_visitors_even_with_a_valid_token(app):
    client = app.test_client()
    checked = 0
    for method, rule in _write_routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        token = csrf_token(client, "/login")  # a stranger can always get one from the login page
        response = client.open(_example_url(rule), method=method, data={"csrf_token": token})
        assert response.status_code in (302, 401), f"{method} {rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
        checked += 1
    assert checked >= 6


def test_every_private_view_declares_who_may_use_it(app):
    """Each non-public view goes through ``staff_required`` or ``token_required``: no hand-made checks."""
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        view = app.view_functions[rule.endpoint]
        if not (hasattr(view, "staff_capability") or hasattr(view, "api_capability")):
            undeclared.append(f"{rule.endpoint} ({rule.rule})")
    assert not undeclared, "views without @staff_required/@token_required: " + ", ".join(undeclared)


def _role_without(capability):
    for role in Role:
        if role not in PROVINCE_WIDE and not role_can(role, capability):
            return role
    return None


def test_every_capability_is_enforced_on_its_routes(app, factories):
    """A signed-in user whose role lacks a route's capability gets 403, on reads and writes alike."""
    clients = {}

    def client_for(role):
        if role not in clients:
            factories.user(f"role.{role.value}", role=role.value)
            clients[role] = app.test_client()
            login(clients[role], f"role.{role.value}")
        return clients[role]

    checked = 0
    for rule in app.url_map.iter_rules():
        capability = getattr(app.view_functions[rule.endpoint], "staff_capability", None)
        if not capability:
            continue
        role = _role_without(capability)
        if role is None:
            continue
        client = client_for(role)
        url = _example_url(rule)
        if "GET" in rule.methods:
            assert client.get(url).status_code == 403, f"{role.value} reached GET {rule.rule} ({capability})"
            checked += 1
        for method in WRITE_METHODS:
            if method in rule.methods:
                token = csrf_token(client, "/profile")
                response = client.open(url, method=method, data={"csrf_token": token})
                assert response.status_code == 403, f"{role.value} reached {method} {rule.rule} ({capability})"
                checked += 1
    assert checked >= 5


def _row_counts():
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


HOSTILE_QUERY = {
    "sort": "name; DROP TABLE users--", "order": "desc, (SELECT password_hash FROM users)", "dir": "sideways",
    "q": "' OR 1=1 --", "kind": "<script>alert(1)</script>", "status": "x' UNION SELECT 1--",
    "table": "users;--", "page": "-5", "per_page": "100000000", "year": "99999999999", "from": "31/31/2024",
    "institution": "0 OR 1=1",
}


def test_every_page_survives_hostile_sort_and_filter_parameters(app, factories):
    """Sort and filter values are allow-listed or parsed: never SQL, never an error, never echoed raw."""
    factories.user("admin1", role="admin")
    client = app.test_client()
    login(client, "admin1")
    before = _row_counts()
    checked = 0
    for rule in _routes(app, "GET"):
        if rule.endpoint == "static":
            continue
        response = client.get(_example_url(rule), query_string=HOSTILE_QUERY)
        assert response.status_code in (200, 302, 400, 403, 404), f"{rule.rule} answered {response.status_code}"
        body = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body, f"{rule.rule} echoes a filter value unescaped"
        for leak in ("Traceback", "sqlalchemy", "psycopg", "sqlite3", "syntax error"):
            assert leak not in body, f"{rule.rule} shows an internal error ({leak})"
        checked += 1
    assert checked >= 6
    db.session.expire_all()
    assert _row_counts() == before


def test_every_page_sends_the_security_headers(app_factory):
    app = app_factory(HTTPS=True)
    with app.app_context():
        from tests import factories
        factories.user("admin1", role="admin")
        client = app.test_client()
        login(client, "admin1")
        for rule in _routes(app, "GET"):
            response = client.get(_example_url(rule) if rule.endpoint != "static" else "/static/css/ilms.css")
            headers = response.headers
            where = f"{rule.rule} ({response.status_code})"
            assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), where
            assert "script-src 'self'" in headers["Content-Security-Policy"], where
            assert "unsafe-eval" not in headers["Content-Security-Policy"], where
            assert headers.get("X-Frame-Options") == "DENY", where
            assert headers.get("X-Content-Type-Options") == "nosniff", where
            assert headers.get("Referrer-Policy") == "same-origin", where
            assert headers.get("Strict-Transport-Security", "").startswith("max-age="), where
            public = rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES)
            if not public and response.status_code == 200:
                assert headers.get("Cache-Control") == "no-store", f"{where}: private pages must not be cached"
        db.session.remove()


def test_every_staff_page_refuses_anonymous_visitors(app):
    client = app.test_client()
    checked = 0
    for rule in _routes(app, "GET"):
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        response = client.get(_example_url(rule))
        assert response.status_code in (302, 401), f"{rule.rule} answered {response.status_code} to a stranger"
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
        checked += 1
    assert checked >= 6


def test_every_api_route_needs_a_token(app):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert client.get(_example_url(rule)).status_code == 401, rule.rule


@pytest.mark.parametrize("path", ["/login", "/"])
def test_security_headers(app, client, path):
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_are_friendly_pages_in_vietnamese(app, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_hsts_only_behind_https(app_factory):
    secure = app_factory(HTTPS=True)
    assert "Strict-Transport-Security" in secure.test_client().get("/login").headers
    plain = app_factory()
    assert "Strict-Transport-Security" not in plain.test_client().get("/login").headers
