"""What the role walks share: a browser window of the person's screen, screenshots to look through afterwards,
and the checks of what a person sees (in view, focused).

Screenshots go to ``$ILMS_SCREENSHOTS/<role>/`` (default ``.tmp/screenshots/<role>/`` in the checkout, ignored
by git), numbered in the order of the walk; each run replaces the previous one's.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("ILMS_SCREENSHOTS") or ROOT / ".tmp" / "screenshots")

DESK = {"width": 1366, "height": 768}     # the district library's PC
PHONE = {"width": 390, "height": 844}


class Shots:
    """``shots(page, "name")`` saves what the window shows now as ``NN-name.png``."""

    def __init__(self, role):
        self.folder = SCREENSHOTS / role
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page, name):
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path))
        return path


def open_window(browser, viewport, *, phone=False, javascript=True, locale="vi-VN"):
    """A fresh browser profile (its own cookies) with that screen and language."""
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale=locale,
                                  timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    return context


def in_view(page, locator):
    """The element is inside the window as it is scrolled now (the person sees it without scrolling)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= size["height"] \
        and box["x"] >= 0 and box["x"] < size["width"]


def focused(page):
    """The id (or test id, or tag) of the element that has the keyboard focus."""
    return page.evaluate("(() => { const e = document.activeElement; if (!e) return null;"
                         " return e.id || e.getAttribute('data-testid') || e.tagName.toLowerCase(); })()")


def sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"] + 1
