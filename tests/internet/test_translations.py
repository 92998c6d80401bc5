"""The internet pages show their own Vietnamese: no other catalogue's translation of the same English wins."""
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

CATALOGUE = Path(__file__).resolve().parents[2] / "ilms/internet/translations/vi/LC_MESSAGES/messages.po"


def test_every_internet_string_reads_as_translated_here(app):
    """All catalogues are merged at run time, so one English text has one Vietnamese text everywhere."""
    with CATALOGUE.open("rb") as fh:
        ours = {m.id: m.string for m in read_po(fh) if m.id and isinstance(m.id, str) and m.string}
    clashes = []
    with app.test_request_context(), force_locale("vi"):
        for msgid, expected in ours.items():
            shown = gettext(msgid)      # without variables: the translation as it is
            if shown != expected:
                clashes.append(f"{msgid!r}: shown {shown!r}, ours {expected!r}")
    assert not clashes, "another catalogue translates these differently:\n" + "\n".join(clashes)
