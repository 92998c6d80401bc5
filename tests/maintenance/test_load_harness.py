"""The load test of ``benchmarks/load`` runs for a few seconds here, so it cannot rot: every request of the
desks, the race for one copy, the searches, the crawler and the internet staff is answered, with no error and
no copy lent twice. Timing is the benchmark's business, not this test's."""
import pytest

from benchmarks.load.run import run


@pytest.mark.sqlite_only
def test_everyone_at_once_gives_no_error_and_no_copy_lent_twice(tmp_path):
    rows, errors, duplicates, _wall = run(6, tmp_path)
    assert errors == []
    assert duplicates == 0
    done = {row.name: row.items for row in rows}
    for name in ("desk: checkout", "desk: return", "race: two desks, one copy", "staff catalogue search",
                 "OPAC crawler: search", "internet: start a session"):
        assert done.get(name, 0) > 0, f"nobody did {name!r}"
