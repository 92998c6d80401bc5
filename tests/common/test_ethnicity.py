from ilms.common import ethnicity


def test_the_54_groups_are_all_there_once():
    groups = ethnicity.groups()
    assert len(groups) == 54
    assert len({g.code for g in groups}) == 54
    assert len({g.name for g in groups}) == 54
    assert [g.code for g in groups] == [f"{n:02d}" for n in range(1, 55)]


def test_spellings_people_write_match_one_group():
    assert ethnicity.match("Mông") == ethnicity.match("H'Mông") == ethnicity.match("Hmông") == ethnicity.by_code("08")
    assert ethnicity.match("Khơ Mú") == ethnicity.match("Khơ-mú") == ethnicity.by_code("29")
    assert ethnicity.match("thái") == ethnicity.by_code("03")
    assert ethnicity.match("ha nhi") == ethnicity.by_code("35")  # no diacritics, only one candidate


def test_unknown_names_do_not_match():
    assert ethnicity.match("Klingon") is None
    assert ethnicity.match("") is None


def test_kinh_is_not_a_minority():
    assert not ethnicity.by_code("01").is_minority
    assert ethnicity.by_code("08").is_minority
