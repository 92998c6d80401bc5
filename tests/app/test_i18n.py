"""Every string of the interface has a Vietnamese translation, and the compiled catalogues are current."""
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("ilms/**/translations/vi/LC_MESSAGES/messages.po"))


def _extract(tmp_path):
    """Run the project's extraction (scripts/i18n's rules) into a scratch copy of the .pot files."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.catalog import Catalog
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.do"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = Catalog()
    for base in ("ilms", "templates"):
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / base, method_map, options, keywords=keywords):
            found.add(message, locations=[(f"{base}/{filename}", lineno)])
    return found


def test_catalogues_exist():
    assert ROOT / "ilms/translations/vi/LC_MESSAGES/messages.po" in CATALOGUES


def test_every_interface_string_is_translated_to_vietnamese(tmp_path):
    translated = {}
    for path in CATALOGUES:
        with path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    translated[key] = message.string
    missing = []
    for message in _extract(tmp_path):
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key and key not in translated:
            missing.append(f"{message.locations[0][0]}: {key!r}")
    assert not missing, "strings without a Vietnamese translation (run scripts/i18n update):\n" + "\n".join(missing)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_its_source(po_path):
    def key(value):  # plural entries come as lists or tuples
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with po_path.open("rb") as fh:
        source = {key(m.id): key(m.string) for m in read_po(fh) if m.id and m.string and not m.fuzzy}
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run scripts/i18n compile"
    with mo_path.open("rb") as fh:
        compiled = {key(m.id): key(m.string) for m in read_mo(fh) if m.id}
    assert compiled == source, f"{mo_path} is stale: run scripts/i18n compile"
