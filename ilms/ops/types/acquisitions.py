"""The ``subscription`` and ``issue_received`` record types of the exchange format (periodicals).

A title is matched by its name ignoring case and diacritics (or its ISSN) and
made when it is new. A subscription already recorded with the same title and
dates, and an issue already checked in, are not added twice.
"""
import sqlalchemy as sa

from ...acquisitions import services
from ...acquisitions.models import IssueReceipt, Serial, Subscription
from ...common.time import local_midnight
from ...extensions import db
from ...org import services as org
from ...org.models import Institution
from .. import registry as ops


# -- subscription --------------------------------------------------------------

def apply_subscription(data, ctx):
    institution = org.get_by_code(data["institution"])
    serial = services.serial_by_title(data["title"], issn=data["issn"] or "", create_as=ctx.actor)
    same = db.session.scalar(sa.select(Subscription).where(
        Subscription.serial_id == serial.id, Subscription.institution_id == institution.id,
        Subscription.start == data["start"], Subscription.end == data["end"]))
    if same is None:
        services.subscribe(actor=ctx.actor, institution=institution, serial=serial, start=data["start"],
                           end=data["end"])


def export_subscriptions(period):
    """Subscriptions covering at least one day of the period (the ones LIB.PERIODICAL_TITLES reads)."""
    rows = db.session.execute(
        sa.select(Subscription, Serial, Institution.code).join(Serial, Serial.id == Subscription.serial_id)
        .join(Institution, Institution.id == Subscription.institution_id)
        .where(Subscription.start <= period.end, Subscription.end >= period.start)
        .order_by(Subscription.start, Subscription.id)).all()
    for subscription, serial, code in rows:
        line = {"type": "subscription", "institution": code, "title": serial.title}
        if serial.issn:
            line["issn"] = serial.issn
        line.update({"start": subscription.start.isoformat(), "end": subscription.end.isoformat()})
        yield (1, local_midnight(subscription.start), subscription.id), line


ops.register(ops.RecordType(
    name="subscription", order=35, apply=apply_subscription, export=export_subscriptions,
    description="A periodical subscription of an institution from start to end (dates included).",
    fields={"institution": ops.text(), "title": ops.text(), "issn": ops.text(required=False),
            "start": ops.date(), "end": ops.date()}))


# -- issue_received --------------------------------------------------------------

def apply_issue_received(data, ctx):
    institution = org.get_by_code(data["institution"])
    serial = services.serial_by_title(data["title"], create_as=ctx.actor)
    same = db.session.scalar(sa.select(IssueReceipt.id).where(
        IssueReceipt.serial_id == serial.id, IssueReceipt.institution_id == institution.id,
        IssueReceipt.issue_date == data["date"]))
    if same is None:
        services.check_in(actor=ctx.actor, institution=institution, serial=serial, issue_date=data["date"],
                          received_on=data["date"])


def export_issues(period):
    rows = db.session.execute(
        sa.select(IssueReceipt, Serial.title, Institution.code).join(Serial, Serial.id == IssueReceipt.serial_id)
        .join(Institution, Institution.id == IssueReceipt.institution_id)
        .where(IssueReceipt.received_on >= period.start, IssueReceipt.received_on <= period.end)
        .order_by(IssueReceipt.received_on, IssueReceipt.id)).all()
    for receipt, title, code in rows:
        yield ((1, local_midnight(receipt.received_on), receipt.id),
               {"type": "issue_received", "institution": code, "title": title,
                "date": receipt.received_on.isoformat()})


ops.register(ops.RecordType(
    name="issue_received", order=36, apply=apply_issue_received, export=export_issues,
    description="An issue of a newspaper or magazine received by an institution on a date.",
    fields={"institution": ops.text(), "title": ops.text(), "date": ops.date()}))
