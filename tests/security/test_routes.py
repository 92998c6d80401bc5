"""Walk the URL map, so every route added later is covered without writing a new test."""
import re

import pytest

from tests.conftest import login

# Routes open to the public (no sign-in): the login page, language switch, health check, static files.
PUBLIC_ENDPOINTS = {"accounts.login", "accounts.set_language", "main.healthz", "static"}
# Public patterns added by later modules (OPAC, calendar, OAI-PMH, SRU) are listed here by prefix.
PUBLIC_PREFIXES = ("opac.", "public.", "oai.", "sru.")


def _example_url(rule):
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.endpoint.startswith("api."):
            yield rule


def test_every_post_route_refuses_a_missing_csrf_token(app, factories):
    factories.user("admin1", role="admin")
    client = app.test_client()
    login(client, "admin1")
    checked = 0
    for rule in _routes(app, "POST"):
        response = client.post(_example_url(rule), data={"anything": "x"})
        assert response.status_code == 400, f"{rule.rule} accepted a POST without CSRF token"
        checked += 1
    assert checked >= 8


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
