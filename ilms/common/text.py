"""Vietnamese text: NFC storage, diacritic folding for search, dictionary sort keys."""
import re
import unicodedata

_SPACES = re.compile(r"\s+")

# Combining marks that change a Vietnamese vowel into another letter (ă â ê ô ơ ư)
# and the five tone marks, in dictionary order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
_MODIFIERS = {"\u0306": "breve", "\u0302": "circumflex", "\u031b": "horn"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# The Vietnamese alphabet with the Latin letters it lacks (f j w z) put where
# Latin order would put them, so foreign words still sort sensibly.
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l",
    "m", "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]
_DIGITS = "0123456789"
# Sort-key alphabet: word separator, then digits, then letters. Every symbol is
# one printable ASCII character so that byte order equals Vietnamese order.
_KEY_CHARS = "#" + "".join(chr(ord("0") + i) for i in range(10)) + "".join(
    chr(ord("A") + i) for i in range(len(_ALPHABET))
)
_LETTER_KEY = {letter: _KEY_CHARS[11 + i] for i, letter in enumerate(_ALPHABET)}
_DIGIT_KEY = {d: _KEY_CHARS[1 + i] for i, d in enumerate(_DIGITS)}
_COMPOSED = {
    ("a", "breve"): "ă", ("a", "circumflex"): "â", ("e", "circumflex"): "ê",
    ("o", "circumflex"): "ô", ("o", "horn"): "ơ", ("u", "horn"): "ư",
}


def nfc(value):
    """Return ``value`` in Unicode NFC, the form ILMS stores; ``None`` stays ``None``."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value)


#: Characters no typed text needs and that change how it shows: C0 controls but tab and line feed (NUL,
#: BEL, ESC...; a carriage return is first made a line feed), DEL, C1 controls, and the bidirectional
#: embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what follows them.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(value):
    """``value`` without the characters of ``_CONTROLS``; tabs and line breaks kept (as ``\n``)."""
    if not value:
        return value
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean(value):
    """NFC, no control characters, trimmed, inner whitespace collapsed: the form typed text is stored in."""
    if value is None:
        return None
    return _SPACES.sub(" ", strip_controls(nfc(value))).strip()


def clean_long(value):
    """Long text (notes, descriptions): NFC and no control characters, tabs and line breaks kept."""
    if value is None:
        return None
    return strip_controls(nfc(value))


def fold(value):
    """Fold text for matching: no diacritics, đ→d, lower case, single spaces.

    ``fold("Điện Biên") == fold("dien bien") == "dien bien"``. NFD and NFC
    input fold alike. đ/Đ need their own rule because they have no
    decomposition in Unicode.
    """
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value)
    out = []
    for ch in decomposed:
        if unicodedata.category(ch) == "Mn":
            continue
        if ch in "đĐ":
            ch = "d"
        out.append(ch)
    return _SPACES.sub(" ", "".join(out).lower()).strip()


def _letters(value):
    """Yield (letter, tone) pairs of ``value`` in Vietnamese terms."""
    base, modifier, tone = None, None, 0
    for ch in unicodedata.normalize("NFD", value.lower()):
        if ch in _MODIFIERS:
            modifier = _MODIFIERS[ch]
            continue
        if ch in _TONES:
            tone = _TONES[ch]
            continue
        if unicodedata.category(ch) == "Mn":
            continue
        if base is not None:
            yield _COMPOSED.get((base, modifier), base), tone
        base, modifier, tone = ch, None, 0
    if base is not None:
        yield _COMPOSED.get((base, modifier), base), tone


def sort_key(value):
    """A plain ASCII key whose byte order is Vietnamese dictionary order.

    Letters compare first (a < ă < â < b ... d < đ ...), then tones (ngang <
    huyền < hỏi < ngã < sắc < nặng), so ``Bà`` sorts after ``Ba`` and before
    ``Bác``. Punctuation is ignored; words are compared one after another.
    Suitable for a database column (binary / "C" collation).
    """
    if not value:
        return ""
    primary, tones = [], []
    for letter, tone in _letters(value):
        if letter in _LETTER_KEY:
            primary.append(_LETTER_KEY[letter])
            tones.append(str(tone))
        elif letter in _DIGIT_KEY:
            primary.append(_DIGIT_KEY[letter])
            tones.append("0")
        elif letter.isspace() or letter in "-_/":
            if primary and primary[-1] != "#":
                primary.append("#")
        # other punctuation and scripts without a Vietnamese place: skipped
    key = "".join(primary).strip("#")
    return key + "!" + "".join(tones)


def contains_folded(haystack, needle):
    """True when ``needle`` occurs in ``haystack`` ignoring diacritics and case."""
    return fold(needle) in fold(haystack)
