"""What a signed-in reader may do from the OPAC: see and renew their loans, place and cancel holds, keep a
reading list. Every rule is the desk's: these functions find the reader's own record and call the desk
services with a ``ReaderActor``.

A loan or hold that is not the reader's is answered exactly like one that does not exist (``NotFound``),
so trying ids tells a reader nothing about other readers.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..catalog.models import Record
from ..common.errors import DomainError, NotFound
from ..common.time import utcnow
from ..extensions import db
from ..org.models import Institution, InstitutionKind
from . import services
from .models import ACTIVE_HOLD_STATES, Hold, HoldStatus, Loan, ReadingHistoryEntry

PICKUP_KINDS = (InstitutionKind.PROVINCIAL_LIBRARY, InstitutionKind.DISTRICT_LIBRARY,
                InstitutionKind.POSTAL_CULTURAL_POINT)


class ReaderActor:
    """A reader acting on their own loans and holds through the OPAC.

    It passes the desk services' ``circulation.desk`` check (the reader does
    at home what the desk would do for them), and nothing else: the functions
    of this module have already made sure the loan or hold is the reader's.
    It has no staff id, so renewals and holds it makes record no staff member.
    """

    is_authenticated = True
    is_system = False
    province_wide = False
    id = None
    institution_id = None

    def __init__(self, patron):
        self.patron = patron
        self.username = f"reader:{patron.barcode}"
        self.display_name = patron.name

    def can(self, capability, institution=None):
        return capability == "circulation.desk"

    def in_scope(self, institution):
        return False


def standing(patron):
    """Why the reader cannot borrow or renew right now (card expired, blocked...), as the desk would say."""
    return [message for _code, message in services.reader_problems(patron, utcnow())]


def my_loans(patron):
    return services.open_loans(patron)


def my_holds(patron):
    """Active holds, each with the reader's place in the queue (``None`` once a copy is on its way)."""
    holds = db.session.scalars(sa.select(Hold).where(Hold.patron_id == patron.id,
                                                     Hold.status.in_(ACTIVE_HOLD_STATES))
                               .options(joinedload(Hold.record), joinedload(Hold.pickup_institution))
                               .order_by(Hold.placed_at, Hold.id)).all()
    return [(hold, services.queue_position(hold)) for hold in holds]


def _my_loan(patron, loan_id):
    loan = db.session.get(Loan, loan_id) if isinstance(loan_id, int) else None
    if loan is None or loan.patron_id != patron.id or not loan.is_open:
        raise NotFound(_l("You have no such loan. Your loans are listed on your account page."))
    return loan


def _my_hold(patron, hold_id):
    hold = db.session.get(Hold, hold_id) if isinstance(hold_id, int) else None
    if hold is None or hold.patron_id != patron.id:
        raise NotFound(_l("You have no such hold. Your holds are listed on your account page."))
    return hold


def renew_my_loan(patron, loan_id):
    """Renew one of the reader's loans under the desk's rules (renewals allowed, nobody waiting, card valid)."""
    return services.renew(_my_loan(patron, loan_id), actor=ReaderActor(patron))


def pickup_places():
    """Where a reader may collect a hold: the network's lending libraries and postal cultural points."""
    return db.session.scalars(sa.select(Institution).where(Institution.active.is_(True),
                                                           Institution.kind.in_(list(PICKUP_KINDS)))
                              .order_by(Institution.name_sort)).all()


def holdable_record(record_id):
    record = db.session.get(Record, record_id) if isinstance(record_id, int) else None
    if record is None or getattr(record, "deleted_at", None) is not None:
        raise NotFound(_l("This title is not in the catalogue."))
    return record


def place_my_hold(patron, record_id, pickup_id):
    """Join the queue for a title, to collect at ``pickup_id`` (the desk's rules: card, blocks, loan rules)."""
    record = holdable_record(record_id)
    pickup = db.session.get(Institution, pickup_id) if isinstance(pickup_id, int) else None
    if pickup is None or not pickup.active or pickup.kind not in PICKUP_KINDS:
        raise DomainError(_l("Choose the library where you will collect the book."), field="pickup")
    return services.place_hold(patron, record, pickup=pickup, institution=pickup, actor=ReaderActor(patron))


def cancel_my_hold(patron, hold_id):
    hold = _my_hold(patron, hold_id)
    if hold.status not in ACTIVE_HOLD_STATES:
        raise DomainError(_l("This hold has already ended (%(status)s).", status=hold.status.label))
    return services.cancel_hold(hold, actor=ReaderActor(patron), reason=str(_l("Cancelled by the reader")))


def ready_holds(patron):
    return [hold for hold, _position in my_holds(patron) if hold.status == HoldStatus.READY]


def my_history(patron, limit=500):
    return db.session.scalars(sa.select(ReadingHistoryEntry).where(ReadingHistoryEntry.patron_id == patron.id)
                              .order_by(ReadingHistoryEntry.returned_on.desc(), ReadingHistoryEntry.id.desc())
                              .limit(limit)).all()


def forget_history(patron):
    """Delete the reader's reading list (asked by the reader, or when they stop keeping one)."""
    return db.session.execute(sa.delete(ReadingHistoryEntry)
                              .where(ReadingHistoryEntry.patron_id == patron.id)).rowcount


def reader_history_data(patron):
    """The reading list, for the printable "what ILMS holds about me" page."""
    from flask_babel import gettext as _
    rows = my_history(patron, limit=100_000)
    return ([_("Borrowed"), _("Returned"), _("Title")],
            [(e.borrowed_on.strftime("%d/%m/%Y"), e.returned_on.strftime("%d/%m/%Y"), e.title) for e in rows])
