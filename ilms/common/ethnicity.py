"""Vietnam's 54 recognised ethnic groups (data in data/ethnic_groups.csv) and name matching."""
import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from .text import fold, nfc

_DATA = Path(__file__).with_name("data") / "ethnic_groups.csv"
KINH = "01"


@dataclass(frozen=True)
class EthnicGroup:
    code: str          # GSO code, "01".."54"
    name: str          # Vietnamese name as published
    variants: tuple    # other spellings people write

    @property
    def is_minority(self) -> bool:
        return self.code != KINH


def _squash(text):
    """Case, spaces, hyphens and apostrophes ignored; diacritics kept."""
    text = nfc(text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


@functools.cache
def groups():
    with _DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        EthnicGroup(r["code"], nfc(r["name"]), tuple(nfc(v) for v in r["variants"].split("|") if v))
        for r in rows
    )


@functools.cache
def _indexes():
    exact, folded = {}, {}
    for group in groups():
        for spelling in (group.name, *group.variants):
            exact[_squash(spelling)] = group
            folded.setdefault(fold(_squash(spelling)), set()).add(group)
    return exact, folded


def by_code(code):
    for group in groups():
        if group.code == code:
            return group
    return None


def match(name):
    """The group a written name means, or ``None``.

    Matching ignores case, spaces, hyphens and apostrophes (``Mông`` =
    ``H'Mông`` = ``Hmông``, ``Khơ Mú`` = ``Khơ-mú``); a name typed without
    diacritics is accepted when it can only mean one group.
    """
    if not name or not name.strip():
        return None
    exact, folded = _indexes()
    key = _squash(name)
    if key in exact:
        return exact[key]
    candidates = folded.get(fold(key), set())
    if len(candidates) == 1:
        return next(iter(candidates))
    return None


def choices(include_blank=True):
    out = [("", "—")] if include_blank else []
    return out + [(g.code, g.name) for g in groups()]


def name_of(code):
    group = by_code(code)
    return group.name if group else ""

