"""The desk's panel on the start page: today's work at the user's desk."""
import sqlalchemy as sa

from ..common.time import local_today
from ..extensions import db
from . import services
from .models import Hold, HoldStatus, Loan


def desk_panel_context(user):
    from .views import desk_institution
    institution = desk_institution()
    if institution is None:
        return {"desk": None}
    today = local_today()
    start, end = services.day_bounds(today)
    loans_today = db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(
        Loan.institution_id == institution.id, Loan.checked_out_at >= start, Loan.checked_out_at < end,
        Loan.voided_at.is_(None)))
    returns_today = db.session.scalar(sa.select(sa.func.count()).select_from(Loan).where(
        Loan.return_institution_id == institution.id, Loan.returned_at >= start, Loan.returned_at < end))
    overdue = db.session.scalar(sa.select(sa.func.count()).select_from(services.overdue_query(
        institution.id, today).subquery()))
    ready = db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
        Hold.pickup_institution_id == institution.id, Hold.status == HoldStatus.READY))
    return {"desk": institution, "loans_today": loans_today, "returns_today": returns_today,
            "visits_today": len(services.visits_today(institution.id, today)), "overdue": overdue,
            "holds_ready": ready, "transits_in": len(services.transits(institution.id))}
