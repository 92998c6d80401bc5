import unicodedata

from ilms.common.text import clean, fold, sort_key


def test_folding_matches_with_and_without_diacritics():
    assert fold("Lai Chau") == fold("Lai Châu")
    assert fold("dien bien") == fold("Điện Biên")
    assert fold("ĐẶNG") == fold("dang")


def test_nfd_input_folds_like_nfc():
    for text in ["Nguyễn Du", "Điện Biên", "Mường Tè", "Sìn Hồ"]:
        nfd = unicodedata.normalize("NFD", text)
        assert nfd != text
        assert fold(nfd) == fold(text)
        assert clean(nfd) == text


def test_clean_stores_nfc_and_collapses_spaces():
    assert clean("  Thư   viện\u00a0tỉnh ") == "Thư viện tỉnh"
    assert unicodedata.is_normalized("NFC", clean(unicodedata.normalize("NFD", "Tiếng Việt")))


def test_sort_key_follows_vietnamese_dictionary_order():
    words = ["đá", "dê", "ăn", "anh", "ba", "bà", "bả", "bã", "bá", "bạ", "bác", "âm", "ơi", "ô", "o", "ư", "u"]
    expected = ["anh", "ăn", "âm", "ba", "bà", "bả", "bã", "bá", "bạ", "bác", "dê", "đá", "o", "ô", "ơi", "u", "ư"]
    assert sorted(words, key=sort_key) == expected


def test_sort_key_is_form_independent_and_word_by_word():
    assert sort_key(unicodedata.normalize("NFD", "Điện Biên")) == sort_key("Điện Biên")
    assert sorted(["Lai Châu mới", "Lai", "Lai Châu"], key=sort_key) == ["Lai", "Lai Châu", "Lai Châu mới"]
    assert sort_key("ABC") == sort_key("abc")
