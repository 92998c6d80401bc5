"""Ranking what the reader typed: diacritics as typed and syllables side by side first, on both backends;
quoted phrases on both backends."""
import pytest

from ilms.catalog import services
from ilms.catalog.ranking import query_syllables, score
from ilms.catalog.search import SearchQuery
from ilms.extensions import db
from tests.conftest import SEARCH_BACKENDS

each_backend = pytest.mark.parametrize("app", SEARCH_BACKENDS, indirect=True)

BOOKS = [  # newest first would be the backends' tie-break: the ranking must not depend on it
    ("Nuôi cá nước lạnh ở hồ thủy điện", "Lò Văn Biến", 2025),
    ("Dien Bien mua hoa ban", "Lo Van A", 2024),
    ("Biên niên điện ảnh Việt Nam", "Trần Điện", 2023),
    ("Chuyện kể Điện Biên Phủ", "Đỗ Quế", 2014),
    ("Biến hóa của dân ca Thái", "Lò Văn Hoa", 2022),
]


@pytest.fixture
def books(app):
    made = {}
    for title, author, year in BOOKS:
        made[services.create_minimal_record(title=title, authors=[author], year=year).id] = title
    db.session.commit()
    return made


def titles(books, text, **kw):
    result, records, ok = services.search(SearchQuery(text=text, **kw))
    assert ok
    return [books[i] for i in result.ids]


@each_backend
def test_dien_bien_typed_with_diacritics_puts_the_exact_adjacent_words_first(books):
    found = titles(books, "Điện Biên")
    assert found[0] == "Chuyện kể Điện Biên Phủ"
    assert found[1] == "Dien Bien mua hoa ban", "side by side without diacritics before scattered syllables"
    assert found.index("Biên niên điện ảnh Việt Nam") < found.index("Nuôi cá nước lạnh ở hồ thủy điện"), \
        "both syllables as typed (scattered) before one of them being another word (Biến)"


@each_backend
def test_typed_without_diacritics_adjacency_decides_and_diacritics_do_not(books):
    found = titles(books, "dien bien")
    assert set(found[:2]) == {"Chuyện kể Điện Biên Phủ", "Dien Bien mua hoa ban"}
    assert found[-1] == "Nuôi cá nước lạnh ở hồ thủy điện" or found[-1] == "Biên niên điện ảnh Việt Nam"


@each_backend
def test_one_syllable_with_its_diacritics_ranks_its_own_word_first(books):
    found = titles(books, "Biến")
    assert set(found[:2]) == {"Nuôi cá nước lạnh ở hồ thủy điện", "Biến hóa của dân ca Thái"}


@each_backend
def test_quoted_phrases_find_only_the_syllables_side_by_side(books):
    found = titles(books, '"Điện Biên"')
    assert set(found) == {"Chuyện kể Điện Biên Phủ", "Dien Bien mua hoa ban"}
    assert found[0] == "Chuyện kể Điện Biên Phủ"
    assert titles(books, '"bien dien"') == []
    assert titles(books, 'tacgia:"Lò Văn Biến"') == ["Nuôi cá nước lạnh ở hồ thủy điện"]


@each_backend
def test_pages_of_a_reranked_search_neither_repeat_nor_lose_a_record(books):
    pages = [titles(books, "Điện Biên", per_page=2, page=n) for n in (1, 2, 3)]
    seen = [title for page in pages for title in page]
    assert len(seen) == len(set(seen)) == 4


def test_the_score_counts_typed_pairs_folded_pairs_and_typed_syllables():
    syllables = query_syllables('Điện Biên -phủ tacgia:Quế')
    assert syllables == ["điện", "biên", "quế"]
    assert score(["điện", "biên"], ["Chuyện kể Điện Biên Phủ", ""]) == (1, 1, 2)
    assert score(["điện", "biên"], ["Dien Bien", ""]) == (0, 1, 0)
    assert score(["điện", "biên"], ["hồ thủy điện", "Lò Văn Biến"]) == (0, 0, 1)
    assert score(["dien", "bien"], ["Điện Biên", ""]) == (1, 1, 2)


def test_a_page_larger_than_the_window_keeps_its_size_and_the_backends_order(app):
    from ilms.catalog.ranking import WINDOW, applies
    assert applies(SearchQuery(text="Điện Biên", per_page=20, page=3))
    assert not applies(SearchQuery(text="Điện Biên", per_page=20, page=WINDOW // 20 + 1))
    assert not applies(SearchQuery(text="Điện Biên", per_page=100))
    assert not applies(SearchQuery(text="Điện Biên", sort="title"))
    assert not applies(SearchQuery(text="-bien"))
