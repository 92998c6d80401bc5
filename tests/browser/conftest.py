"""Browser tests: Debian's Chromium driven by Playwright against a live ILMS server in a thread."""
import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import LiveServer

CHROMIUM = os.environ.get("ILMS_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network and a root user (see the env notes): no background traffic, no sandbox.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: ./scripts/test installs Debian's chromium package")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_app(app_factory):
    """An app with the demo network (institutions, demo staff) loaded."""
    from ilms.demo.cli import load_all
    from ilms.extensions import db
    app = app_factory()
    with app.app_context():
        load_all(echo=lambda *_: None, only={"network", "plan"})
        db.session.remove()
    return app


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    yield pg
    context.close()


def sign_in(page, base_url, username, password="laichau2016"):
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url(lambda url: "/login" not in url)
