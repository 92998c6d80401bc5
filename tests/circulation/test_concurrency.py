"""Race-free by construction: several desks in several processes scan the same copy at the same moment."""
import multiprocessing
import queue

import pytest
import sqlalchemy as sa

from ilms.catalog.models import ItemStatus
from ilms.circulation import services as circ
from ilms.circulation.models import Loan
from ilms.common.errors import Conflict
from ilms.common.privacy import reader_key
from ilms.common.time import utcnow
from ilms.extensions import db
from tests.circulation._desk_worker import desk_process
from tests.factories import PASSWORD

DESKS = 4


@pytest.mark.slow
def test_several_processes_scan_one_copy_and_exactly_one_loan_exists(app, net, reader, copy, tmp_path):
    item = copy(title="Lịch sử Lai Châu")
    barcode, item_id = item.barcode, item.id
    reader_ids = [reader().id for _ in range(DESKS)]
    db.session.commit()
    db.session.close()        # this process must not hold SQLite's write lock while the desks work
    db_path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(DESKS)
    results = context.Queue()
    processes = [context.Process(target=desk_process, args=(db_path, str(tmp_path / f"desk{n}"), "desk.tvt", PASSWORD,
                                                            reader_ids[n], barcode, barrier, results))
                 for n in range(DESKS)]
    for process in processes:
        process.start()
    answers = []
    try:
        for _ in range(DESKS):
            answers.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"only {len(answers)} of {DESKS} desks answered")
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    lent = [a for a in answers if a["code"] == "checkout"]
    refused = [a for a in answers if a["level"] == "error"]
    assert len(lent) == 1 and len(refused) == DESKS - 1, answers
    for answer in refused:
        assert answer["code"] == "on_loan" and barcode in answer["message"], answer
        assert "Lịch sử Lai Châu" in answer["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.item_id == item_id)) == 1
    assert db.session.get(type(item), item_id).status == ItemStatus.ON_LOAN


def test_the_database_itself_refuses_a_second_open_loan(app, net, reader, copy):
    """Two desks that both saw the copy free (PostgreSQL takes no write lock up front): the index decides.

    The other desk's loan is written at the last moment, just before this
    desk's own insert, as a second desk on PostgreSQL would.
    """
    item, first, second = copy(), reader(), reader()
    rival = dict(item_id=item.id, patron_id=first.id, reader_key=reader_key(first.id), institution_id=net.tvt.id,
                 checked_out_at=utcnow(), due_date=utcnow().date(), renewals=0,
                 reminders_sent=0, from_rotation=False, void_reason="")

    def other_desk_lends_first(connection, name):
        connection.execute(sa.insert(Loan.__table__).values(**rival))

    sa.event.listen(db.engine, "savepoint", other_desk_lends_first, once=True)
    try:
        with pytest.raises(Conflict, match="a moment ago at another desk") as refused:
            circ.checkout(second, item, institution=net.tvt, actor=net.desk_tvt)
    finally:
        if sa.event.contains(db.engine, "savepoint", other_desk_lends_first):
            sa.event.remove(db.engine, "savepoint", other_desk_lends_first)
    assert refused.value.code == "on_loan"
    db.session.commit()
    loans = db.session.scalars(sa.select(Loan).where(Loan.item_id == item.id)).all()
    assert [loan.patron_id for loan in loans] == [first.id]


def test_closed_loans_do_not_hold_the_copy(app, net, reader, copy):
    item = copy()
    for _ in range(3):
        circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
        circ.check_in(item, institution=net.tvt, actor=net.desk_tvt)
    loan = circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
    circ.void_loan(loan, actor=net.desk_tvt)
    circ.checkout(reader(), item, institution=net.tvt, actor=net.desk_tvt)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(Loan.item_id == item.id)) == 5
