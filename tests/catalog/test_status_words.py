"""The copy statuses read the same Vietnamese everywhere (desk, crate contents, OPAC).

Every domain's catalogue is merged into one at run time, so a msgid that another
domain translates differently (a fund's "Available" balance was "Còn lại")
silently replaces the catalogue's word on every page.
"""
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale

from ilms.catalog.models import ItemStatus

ROOT = Path(__file__).resolve().parents[2]


def test_a_copy_on_the_shelf_reads_co_san_as_libraries_say(app):
    with app.test_request_context(), force_locale("vi"):
        assert str(ItemStatus.AVAILABLE.label) == "Có sẵn"
        assert str(ItemStatus.MISSING.label) == "Thất lạc"


def test_no_catalogue_gives_a_copy_status_another_word():
    ids = {label._args[0] for label in ItemStatus.__labels__.values()}  # the lazy strings' msgids
    words = {}
    for path in sorted(ROOT.glob("ilms/**/translations/vi/LC_MESSAGES/messages.po")):
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id in ids and message.string:
                    words.setdefault(message.id, {}).setdefault(message.string, []).append(path.parts[-5])
    clashes = {msgid: found for msgid, found in words.items() if len(found) > 1}
    assert not clashes, f"copy statuses translated two ways: {clashes}"
