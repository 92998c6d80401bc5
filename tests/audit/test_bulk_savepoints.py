"""The bulk job's bookkeeping of savepoints stays as small as the nesting (issue 17): an import whose
lines are refused one after another used to scan every frame recorded so far on each rollback."""
import sqlalchemy as sa

from ilms.audit import bulk
from ilms.audit.models import AuditEntry
from ilms.common.permissions import SYSTEM
from ilms.extensions import db
from ilms.org import services as org


def _village(code):
    org.create_institution(actor=SYSTEM, code=code, name=f"Bản {code}", kind="cultural_house", level="village")
    db.session.flush()


def test_released_savepoints_fold_into_their_parent_and_refused_ones_leave_nothing(app):
    largest = 0
    with bulk("ops import many.jsonl") as job:
        for n in range(300):
            line = db.session.begin_nested()
            _village(f"V{n}")
            inner = db.session.begin_nested()     # a service's own savepoint inside the line's
            _village(f"W{n}")
            if n % 3 == 0:
                inner.rollback()                  # the inner write undone, the line kept
            else:
                inner.commit()
            if n % 2:
                line.rollback()                   # a refused line
            else:
                line.commit()
            largest = max(largest, len(job.frames))
        db.session.commit()
    assert largest <= 1          # one counter for the transaction; never one per line
    kept = sum(1 for n in range(300) if n % 2 == 0) + sum(1 for n in range(300) if n % 2 == 0 and n % 3)
    summary = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bulk")
                                .order_by(AuditEntry.id.desc()).limit(1))
    assert summary.changes_dict() == {"institutions": {"insert": kept}}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("institutions"))
                             .where(sa.text("code like 'V%' or code like 'W%'"))) == kept
