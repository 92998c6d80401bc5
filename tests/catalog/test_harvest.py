"""Harvesting over real HTTP on loopback: Sickle (an OAI-PMH client from PyPI) harvests ILMS in pages, then only
the changes; ``flask catalog harvest`` copies ILMS A into a fresh ILMS B, which then equals A and searches alike."""
import json
import math
import time

import sqlalchemy as sa
from sickle import Sickle

from ilms.catalog import indexing, marc, services
from ilms.catalog.models import HarvestedRecord, Item, OaiTombstone, Record
from ilms.catalog.search import SearchQuery
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from tests.catalog import interop
from tests.conftest import LiveServer

OAI = "{http://www.openarchives.org/OAI/2.0/}"


class CountingSickle(Sickle):
    """Sickle, counting the HTTP requests it makes."""

    calls = 0

    def harvest(self, **kwargs):
        self.calls += 1
        return super().harvest(**kwargs)


def _oai_id(record_id):
    return f"oai:ilms.local:{record_id}"


def _without_copies():
    return db.session.scalar(sa.select(Record).where(~Record.id.in_(sa.select(Item.record_id)))
                             .order_by(Record.id).limit(1))


def test_sickle_harvests_everything_in_pages_then_only_what_changed(app_factory):
    app = app_factory(OAI_PAGE_SIZE=50)
    with app.app_context():
        interop.load_demo_like()
        all_ids = set(db.session.scalars(sa.select(Record.id)))
        assert len(all_ids) > 250
        time.sleep(1.1)     # the harvest starts in a later second than the last change
        with LiveServer(app) as server:
            sickle = CountingSickle(f"{server.url}/oai")
            listing = sickle.ListRecords(metadataPrefix="marc21", ignore_deleted=False)
            started = listing.oai_response.xml.findtext(f"{OAI}responseDate")
            records = list(listing)
            assert sickle.calls == math.ceil(len(all_ids) / 50) >= 5
            stamps = [r.header.datestamp for r in records]
            assert stamps == sorted(stamps)     # in datestamp order, the order the tokens follow
            assert {r.header.identifier for r in records} == {_oai_id(i) for i in all_ids}
            assert len(records) == len(all_ids) and not any(r.header.deleted for r in records)
            kieu = next(r for r in records if "Truyện Kiều" in r.raw)
            assert "Nguyễn Du" in kieu.raw

            time.sleep(1.1)
            changed = db.session.scalar(sa.select(Record).where(Record.control_number.like("LCDEMO%"))
                                        .order_by(Record.id).limit(1))
            parsed = marc.from_json(changed.marc)
            parsed["245"]["a"] = parsed["245"]["a"] + " (tái bản)"
            services.save_record(parsed, record=changed)
            gone = _without_copies()
            gone_id = gone.id
            services.delete_record(gone, actor=SYSTEM)
            added = services.create_minimal_record(title="Sách mới: Tiếng gà trưa", authors=["Xuân Quỳnh"])
            db.session.commit()

            since = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False, **{"from": started}))
            assert {r.header.identifier: r.header.deleted for r in since} == {
                _oai_id(changed.id): False, _oai_id(added.id): False, _oai_id(gone_id): True}
            updated = next(r for r in since if r.header.identifier == _oai_id(changed.id))
            assert updated.metadata["title"][0].endswith("(tái bản)")
            headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True, **{"from": started}))
            assert {h.identifier for h in headers} == {_oai_id(changed.id), _oai_id(added.id)}


def _catalogue(app):
    """Every record as its content: the columns people see and the MARC fields (the leader aside)."""
    with app.app_context():
        rows = []
        for record in db.session.scalars(sa.select(Record)):
            fields = json.loads(record.marc)["fields"]
            rows.append(json.dumps([record.control_number, record.title, record.authors, record.subjects,
                                    record.isbn, record.year, record.publisher, record.language,
                                    record.material_type.value, record.classification, fields],
                                   ensure_ascii=False, sort_keys=True))
        db.session.remove()
        return sorted(rows)


def _hits(app, text):
    with app.app_context():
        ids = indexing.backend().ids(SearchQuery(text=text, facets=False))
        found = sorted(db.session.scalars(sa.select(Record.control_number).where(Record.id.in_(ids))))
        db.session.remove()
        return found


def _harvest(app, *args):
    result = app.test_cli_runner().invoke(args=["catalog", "harvest", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_ilms_b_harvests_ilms_a_and_then_equals_it(app_factory):
    a = app_factory(OAI_PAGE_SIZE=40)
    b = app_factory(CLI_LANGUAGE="en")
    with a.app_context():
        interop.load_demo_like()
        services.delete_record(_without_copies(), actor=SYSTEM)     # a deletion B never had
        db.session.commit()
        db.session.remove()
    with LiveServer(a) as server:
        url = f"{server.url}/oai"
        output = _harvest(b, url)
        assert "0 skipped" in output and "1 deletions not applied" in output
        assert _catalogue(a) == _catalogue(b)
        for with_marks, without in (("Truyện Kiều", "truyen kieu"), ("Nguyễn Du", "nguyen du"),
                                    ("Đất rừng phương Nam", "dat rung phuong nam"), ("Đạo đức", "dao duc"),
                                    ("Tô Hoài", "TO HOAI")):
            found = _hits(a, with_marks)
            assert found, with_marks
            assert found == _hits(a, without) == _hits(b, with_marks) == _hits(b, without)

        # again: nothing changes; then A deletes a record B got from it, and B follows
        output = _harvest(b, url)
        assert " 0 created" in output and "0 updated" in output
        with b.app_context():
            started = db.session.scalar(sa.select(sa.func.max(HarvestedRecord.harvested_at)))
            db.session.remove()
        time.sleep(1.1)
        with a.app_context():
            doomed = _without_copies()
            doomed_number = doomed.control_number
            services.delete_record(doomed, actor=SYSTEM)
            db.session.commit()
            db.session.remove()
        output = _harvest(b, url, "--from", started.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert "1 deleted" in output
        with b.app_context():
            assert db.session.scalar(sa.select(Record).where(Record.control_number == doomed_number)) is None
            assert db.session.scalar(sa.select(sa.func.count(OaiTombstone.id))) == 1   # B's harvesters learn too
            db.session.remove()
        assert _catalogue(a) == _catalogue(b)


def test_a_deletion_at_the_source_keeps_records_made_here(app_factory):
    a = app_factory()
    b = app_factory(CLI_LANGUAGE="en")
    with a.app_context():
        shared = services.create_minimal_record(title="Chuyện kể Điện Biên Phủ", isbn="978-604-1-00001-6")
        db.session.commit()
        shared_id = shared.id
        db.session.remove()
    with b.app_context():
        mine = services.create_minimal_record(title="Chuyện kể Điện Biên Phủ", isbn="978-604-1-00001-6")
        db.session.commit()
        mine_id = mine.id
        db.session.remove()
    with LiveServer(a) as server:
        _harvest(b, f"{server.url}/oai")      # matched by ISBN: B's own record is updated, not doubled
        with a.app_context():
            services.delete_record(db.session.get(Record, shared_id), actor=SYSTEM)
            db.session.commit()
            db.session.remove()
        output = _harvest(b, f"{server.url}/oai")
        assert "1 deletions not applied" in output and "catalogued here" in output
    with b.app_context():
        assert db.session.get(Record, mine_id) is not None
        assert db.session.scalar(sa.select(sa.func.count(Record.id))) == 1
        db.session.remove()
