"""Walk the URL map, so every route added later is covered without writing a new test."""
import re
import traceback

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


# -- out-of-range numbers and dates (the probe's 500s) ------------------------------------------------

#: Values a probe sends to every parameter: past 32 and 64 bits, negative, the ends of the calendar,
#: dates that do not exist, floats Python reads but no column holds.
EXTREME_VALUES = ("99999999999999999999", "9223372036854775808", "2147483648", "-1", "-99999999999999999999",
                  "0", "0001-01-01", "9999-12-31", "0000-00-00", "1e308", "NaN")
#: Parameter names read through helpers the scan below cannot see.
EXTRA_PARAMETERS = ("from", "to", "start", "end", "date", "day", "as_of", "since", "until", "year", "month",
                    "page", "per_page", "id", "limit", "offset", "week", "due", "at")


def _query_parameter_names():
    """Every query-string name the application reads (``args.get("x")``, ``args["x"]``, ``_arg("x")``...)."""
    from pathlib import Path
    names = set(EXTRA_PARAMETERS)
    pattern = re.compile(r"""(?:args\.get|args\.getlist|getlist|args|_arg|_date_arg|_int_arg)[\[(]\s*["']([a-z_]+)["']""")
    for path in Path(__file__).resolve().parents[2].joinpath("ilms").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def _extreme_urls(rule):
    """The rule's URL with each path parameter set to each extreme value (one at a time)."""
    arguments = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule)
    if not arguments:
        return [rule.rule]
    urls = []
    for value in EXTREME_VALUES:
        for wanted in arguments:
            urls.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>",
                               lambda m: value if m.group(1) == wanted else "1", rule.rule))
    return urls


def test_no_route_fails_on_huge_negative_or_extreme_values(app, factories):
    """Every route, with every path parameter and every query parameter the code reads set to numbers past
    any column's range and to the ends of the calendar: an answer (a page, a 400, a 404), never a 500."""
    from ilms.accounts import services as accounts

    admin = factories.user("admin1", role="admin")
    _token, secret = accounts.create_token(admin, name="probe")
    db.session.commit()
    client = app.test_client()
    login(client, "admin1")
    names = _query_parameter_names()
    failures = []
    checked = 0

    class Failed:
        status_code = 500

    def get(url, **kwargs):
        try:
            response = client.get(url, **kwargs)
            response.get_data()   # a streamed download runs to its end, and its contexts are popped
            response.close()
            return response
        except Exception as error:   # the test app propagates what would be a 500
            db.session.rollback()
            frames = [f for f in traceback.extract_tb(error.__traceback__) if "/ilms/" in f.filename]
            where = f"{frames[-1].filename.split('/ilms/')[-1]}:{frames[-1].lineno}" if frames else "?"
            failures.append(f"{url} {type(error).__name__} at {where}")
            return Failed()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        headers = {"Authorization": f"Bearer {secret}"} if rule.endpoint.startswith("api.") else {}
        for url in _extreme_urls(rule):
            response = get(url, headers=headers)
            if response.status_code >= 500 and not isinstance(response, Failed):
                failures.append(f"{url} {response.status_code}")
            checked += 1
        for value in EXTREME_VALUES:
            url = _example_url(rule)
            response = get(url, headers=headers, query_string={name: value for name in names})
            if response.status_code >= 500 and not isinstance(response, Failed):
                failures.append(f"{url}?…={value} {response.status_code}")
            checked += 1
        for name in ("from", "to", "year"):   # alone too: an earlier bad one could hide a later one
            for value in ("99999999999999999999", "0001-01-01", "9999-12-31"):
                response = get(url, headers=headers, query_string={name: value})
                if response.status_code >= 500 and not isinstance(response, Failed):
                    failures.append(f"{url}?{name}={value} {response.status_code}")
    assert checked > 100
    assert not failures, "server errors: " + "; ".join(failures)
