"""Notices to readers: which are due today, their wording, sending them once, and the log.

``send_notices`` (the daily ``flask circulation send-notices``) works in two steps:

1. **Write** a ``Notice`` row for every loan due within ``NOTICE_DUE_SOON_DAYS`` (due soon), every loan
   overdue (first notice; second notice once ``NOTICE_SECOND_OVERDUE_DAYS`` late) and every hold ready
   on the holds shelf, unless its unique key is already there. The key is what makes the command
   safe to run twice, or from two servers: the database refuses a second row for the same loan,
   kind and due date (or hold, ready day).
2. **Send** every row still waiting or failed (up to ``NOTICE_MAX_ATTEMPTS``), claimed first so two runs
   never send the same row, and record the outcome: ``sent``, or ``failed`` with the reason (retried next
   run), ``gave_up`` after the last attempt.

The channel follows the reader's choice: ``auto`` is e-mail if they gave an address, else SMS if they
gave a phone number, else a printed letter; a chosen channel that cannot be used here (no mail server,
no SMS gateway, no address) falls back the same way. Readers with neither get a ``letter`` row: the
desk prints the letters (the overdue letters page already exists). Like Koha, no letter is made for
"due soon": a paper reminder that arrives after the due date helps nobody.

One notice per loan, not one per reader: each loan has its own due date and key, so a renewal or return
of one book never changes what was said about another. The trade-off (a reader with three late books
gets three messages) is written here so it can be revisited with a digest later.

A crash between handing a message to the mail server and writing "sent" can send that one message
again on the next run (at least once, never silently lost); everything else is exactly once.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ...catalog.models import Item
from ...common.errors import DomainError, NotFound
from ...common.permissions import require
from ...common.time import local_today, utcnow
from ...extensions import db
from ...org.models import Institution
from ...patrons.models import NoticeChannel, Patron
from ..models import Hold, HoldStatus, Loan
from .gateways import SendFailed, mail_sender, sms_gateway
from .models import Notice, NoticeKind, NoticeStatus, NoticeTemplate, SendChannel

BATCH = 500
#: A row claimed by a run that never finished (killed) is retried after this long.
STALE_CLAIM = dt.timedelta(hours=1)

_SIGN = "\n\nTrân trọng,\n{{ library }}{% if library_phone %} – ĐT: {{ library_phone }}{% endif %}"

#: The wording used until a librarian writes their own (Vietnamese: it goes to readers as it is).
DEFAULTS = {
    (NoticeKind.DUE_SOON, SendChannel.EMAIL): (
        "{{ library }}: sách sắp đến hạn trả ngày {{ due }}",
        "Kính gửi bạn đọc {{ reader }} (thẻ {{ card }}),\n\n"
        "Cuốn “{{ title }}” bạn mượn tại {{ library }} sẽ đến hạn trả vào ngày {{ due }}.\n"
        "Bạn có thể trả sách, hoặc gia hạn tại quầy hay trên trang {{ account_url }}." + _SIGN),
    (NoticeKind.OVERDUE_1, SendChannel.EMAIL): (
        "{{ library }}: sách đã quá hạn trả",
        "Kính gửi bạn đọc {{ reader }} (thẻ {{ card }}),\n\n"
        "Cuốn “{{ title }}” bạn mượn tại {{ library }} đã quá hạn trả từ ngày {{ due }} ({{ days_late }} ngày).\n"
        "Xin bạn mang sách đến trả hoặc gia hạn sớm để bạn đọc khác cũng được đọc." + _SIGN),
    (NoticeKind.OVERDUE_2, SendChannel.EMAIL): (
        "{{ library }}: nhắc lần hai – sách quá hạn {{ days_late }} ngày",
        "Kính gửi bạn đọc {{ reader }} (thẻ {{ card }}),\n\n"
        "Thư viện đã nhắc bạn một lần: cuốn “{{ title }}” đến hạn trả ngày {{ due }}, nay đã quá hạn "
        "{{ days_late }} ngày. Xin bạn mang sách đến trả ngay. Nếu bạn đã trả, xin bỏ qua thư này." + _SIGN),
    (NoticeKind.HOLD_READY, SendChannel.EMAIL): (
        "{{ library }}: sách bạn đặt trước đã sẵn sàng",
        "Kính gửi bạn đọc {{ reader }} (thẻ {{ card }}),\n\n"
        "Cuốn “{{ title }}” bạn đặt trước đang chờ bạn tại {{ pickup }}.\n"
        "Xin đến nhận trước hết ngày {{ until }}; sau ngày đó sách sẽ được chuyển cho bạn đọc khác." + _SIGN),
    (NoticeKind.DUE_SOON, SendChannel.SMS): (
        "", "{{ library|plain }}: sach \"{{ title_short }}\" den han tra ngay {{ due }}. Gia han: {{ account_url }}"),
    (NoticeKind.OVERDUE_1, SendChannel.SMS): (
        "", "{{ library|plain }}: sach \"{{ title_short }}\" da qua han tra tu {{ due }}. Xin mang tra som."),
    (NoticeKind.OVERDUE_2, SendChannel.SMS): (
        "", "{{ library|plain }} nhac lan 2: sach \"{{ title_short }}\" qua han {{ days_late }} ngay. Xin tra ngay."),
    (NoticeKind.HOLD_READY, SendChannel.SMS): (
        "", "{{ library|plain }}: sach \"{{ title_short }}\" ban dat truoc da san sang tai {{ pickup|plain }}, "
            "nhan truoc {{ until }}."),
}
#: What a template may use, shown beside the editor.
PLACEHOLDERS = ("reader", "card", "library", "library_phone", "title", "title_short", "due", "days_late",
                "pickup", "until", "account_url")

_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
_ENV.filters["plain"] = lambda value: plain(value)


# -- templates --------------------------------------------------------------------------------

def _compile(text, *, field):
    try:
        return _ENV.from_string(text or "")
    except TemplateError as error:
        raise DomainError(_l("The template cannot be read: %(error)s. Write placeholders as {{ title }}.",
                             error=str(error)[:200]), field=field)


def template_for(institution_id, kind, channel):
    """``(subject, body)``: the institution's own wording, else the network's, else the built-in one."""
    channel = SendChannel.EMAIL if channel == SendChannel.LETTER else channel
    rows = db.session.scalars(sa.select(NoticeTemplate).where(
        NoticeTemplate.kind == kind, NoticeTemplate.channel == channel,
        sa.or_(NoticeTemplate.institution_id == institution_id, NoticeTemplate.institution_id.is_(None)))).all()
    rows.sort(key=lambda t: t.institution_id is None)
    if rows:
        return rows[0].subject, rows[0].body
    return DEFAULTS[(kind, channel)]


def save_template(*, actor, institution, kind, channel, subject, body):
    """A librarian words a notice for their library (``institution=None``: the whole network's default)."""
    if institution is None:
        require(actor, "org.edit")
    else:
        require(actor, "circulation.rules", institution)
    kind, channel = NoticeKind(kind), SendChannel(channel)
    if channel == SendChannel.LETTER:
        raise DomainError(_l("Letters use the e-mail wording; edit that one."), field="channel")
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("The message cannot be empty."), field="body")
    if channel == SendChannel.EMAIL and not (subject or "").strip():
        raise DomainError(_l("An e-mail needs a subject."), field="subject")
    sample = _sample_values(institution)
    for text, field in ((subject or "", "subject"), (body, "body")):
        try:
            _compile(text, field=field).render(**sample)
        except TemplateError as error:
            raise DomainError(_l("The template cannot be used: %(error)s.", error=str(error)[:200]), field=field)
    row = db.session.scalar(sa.select(NoticeTemplate).where(
        NoticeTemplate.kind == kind, NoticeTemplate.channel == channel,
        NoticeTemplate.institution_id == institution.id if institution is not None
        else NoticeTemplate.institution_id.is_(None)))
    if row is None:
        row = NoticeTemplate(institution_id=institution.id if institution is not None else None, kind=kind,
                             channel=channel, subject="", body="")
        db.session.add(row)
    row.subject = (subject or "").strip()[:300]
    row.body = body[:4000]
    db.session.flush()
    return row


def reset_template(*, actor, institution, kind, channel):
    """Go back to the wording of the network (or the built-in one)."""
    if institution is None:
        require(actor, "org.edit")
    else:
        require(actor, "circulation.rules", institution)
    db.session.execute(sa.delete(NoticeTemplate).where(
        NoticeTemplate.kind == NoticeKind(kind), NoticeTemplate.channel == SendChannel(channel),
        NoticeTemplate.institution_id == institution.id if institution is not None
        else NoticeTemplate.institution_id.is_(None)))


def _sample_values(institution):
    name = institution.name if institution is not None else "Thư viện tỉnh Lai Châu"
    return dict(reader="Lò Thị Mai", card="BDTVT000123", library=name, library_phone="0213 3876 543",
                title="Truyện Kiều", title_short="Truyen Kieu", due="15/06/2026", days_late=3,
                pickup=name, until="22/06/2026", account_url=_account_url())


def preview(institution, kind, channel):
    subject, body = template_for(institution.id if institution is not None else None, NoticeKind(kind),
                                 SendChannel(channel))
    values = _sample_values(institution)
    return _compile(subject, field="subject").render(**values), _compile(body, field="body").render(**values)


def _account_url():
    base = (current_app.config.get("OPAC_URL") or "").rstrip("/")
    return f"{base}/opac/account/" if base else "/opac/account/"


# -- step 1: which notices are due -------------------------------------------------------------

def plain(text):
    """Vietnamese without diacritics, case kept (“Số đỏ” → “So do”): an SMS in GSM letters costs a third."""
    decomposed = unicodedata.normalize("NFD", str(text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _short(title, length=40):
    text = plain(title)
    return text if len(text) <= length else text[:length - 3].rstrip() + "..."


def choose_channel(patron, *, can_mail, can_sms):
    """Where a notice to ``patron`` goes: the reader's choice when it can be used, else e-mail, SMS, letter."""
    has_mail = bool(can_mail and patron.email)
    has_sms = bool(can_sms and patron.phone)
    wanted = patron.notice_channel
    if wanted == NoticeChannel.EMAIL and has_mail or wanted == NoticeChannel.AUTO and has_mail:
        return SendChannel.EMAIL
    if wanted == NoticeChannel.SMS and has_sms:
        return SendChannel.SMS
    if wanted == NoticeChannel.LETTER:
        return SendChannel.LETTER
    if has_mail:
        return SendChannel.EMAIL
    if has_sms:
        return SendChannel.SMS
    return SendChannel.LETTER


def _loan_key(kind, loan):
    return f"{kind.value}:loan:{loan.id}:{loan.due_date:%Y%m%d}"


def _hold_key(hold):
    return f"{NoticeKind.HOLD_READY.value}:hold:{hold.id}:{(hold.ready_at or hold.placed_at):%Y%m%d}"


@dataclass(frozen=True)
class _Reader:
    id: int
    name: str
    barcode: str
    email: str
    phone: str
    notice_channel: NoticeChannel


@dataclass(frozen=True)
class _Place:
    id: int
    name: str
    phone: str


@dataclass(frozen=True)
class _Due:
    """One notice the day calls for, in plain values read once (the batches' commits expire ORM objects)."""
    key: str
    kind: NoticeKind
    reader: _Reader
    place: _Place
    values: dict
    loan_id: int | None = None
    hold_id: int | None = None


def _reader(patron):
    return _Reader(patron.id, patron.name, patron.barcode, patron.email or "", patron.phone or "",
                   patron.notice_channel)


def _place(institution):
    return _Place(institution.id, institution.name, institution.phone or "")


def _known_keys(keys):
    known = set()
    for start in range(0, len(keys), BATCH):
        known.update(db.session.scalars(sa.select(Notice.key).where(Notice.key.in_(keys[start:start + BATCH]))))
    return known


def _due_items(today, config):
    """Every notice the day calls for and not yet written (``_Due``), loans first then holds.

    Keys are worked out from ids and dates alone, so a second run the same day reads no reader, copy
    or library; only the loans and holds still to announce are loaded, a batch at a time.
    """
    soon = today + dt.timedelta(days=int(config.get("NOTICE_DUE_SOON_DAYS", 2)))
    second = int(config.get("NOTICE_SECOND_OVERDUE_DAYS", 14))
    wanted = {}
    for loan_id, due_date in db.session.execute(
            sa.select(Loan.id, Loan.due_date).where(Loan.returned_at.is_(None), Loan.voided_at.is_(None),
                                                    Loan.patron_id.is_not(None), Loan.due_date <= soon)
            .order_by(Loan.id)):
        if due_date >= today:
            kind = NoticeKind.DUE_SOON
        elif (today - due_date).days >= second:
            kind = NoticeKind.OVERDUE_2
        else:
            kind = NoticeKind.OVERDUE_1
        wanted[f"{kind.value}:loan:{loan_id}:{due_date:%Y%m%d}"] = (kind, loan_id)
    known = _known_keys(list(wanted))
    fresh = {loan_id: (key, kind) for key, (kind, loan_id) in wanted.items() if key not in known}
    places = {}
    out = []
    ids = sorted(fresh)
    for start in range(0, len(ids), BATCH):
        for loan in db.session.scalars(
                sa.select(Loan).where(Loan.id.in_(ids[start:start + BATCH]))
                .options(joinedload(Loan.patron), joinedload(Loan.institution),
                         joinedload(Loan.item).joinedload(Item.record)).order_by(Loan.id)):
            key, kind = fresh[loan.id]
            if key != _loan_key(kind, loan):      # renewed or returned meanwhile: the next run sees it
                continue
            title = loan.item.record.title
            place = places.setdefault(loan.institution_id, _place(loan.institution))
            out.append(_Due(key, kind, _reader(loan.patron), place, dict(
                title=title, title_short=_short(title), due=loan.due_date.strftime("%d/%m/%Y"),
                days_late=max(0, (today - loan.due_date).days), pickup="", until=""), loan_id=loan.id))
    holds = db.session.scalars(
        sa.select(Hold).where(Hold.status == HoldStatus.READY, Hold.patron_id.is_not(None))
        .options(joinedload(Hold.patron), joinedload(Hold.pickup_institution), joinedload(Hold.record))
        .order_by(Hold.id)).all()
    known = _known_keys([_hold_key(hold) for hold in holds])
    for hold in holds:
        if _hold_key(hold) in known:
            continue
        title = hold.record.title
        place = places.setdefault(hold.pickup_institution_id, _place(hold.pickup_institution))
        out.append(_Due(_hold_key(hold), NoticeKind.HOLD_READY, _reader(hold.patron), place, dict(
            title=title, title_short=_short(title), due="", days_late=0, pickup=place.name,
            until=hold.expires_on.strftime("%d/%m/%Y") if hold.expires_on else ""), hold_id=hold.id))
    return out


class _Renderer:
    """Templates compiled once per (institution, kind, channel) for the whole run."""

    def __init__(self):
        self.cache = {}
        self.account_url = _account_url()

    def render(self, place, kind, channel, values):
        key = (place.id, kind, channel)
        if key not in self.cache:
            subject, body = template_for(place.id, kind, channel)
            try:
                self.cache[key] = (_ENV.from_string(subject), _ENV.from_string(body))
            except TemplateError:       # a broken saved template: the built-in wording rather than nothing
                subject, body = DEFAULTS[(kind, SendChannel.EMAIL if channel == SendChannel.LETTER else channel)]
                self.cache[key] = (_ENV.from_string(subject), _ENV.from_string(body))
        subject, body = self.cache[key]
        values = dict(values, library=place.name, library_phone=place.phone, account_url=self.account_url)
        return subject.render(**values).strip(), body.render(**values).strip()


def _insert(rows):
    """Insert new notice rows; a row another run inserted meanwhile is skipped (its key is unique)."""
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
        return len(rows)
    except IntegrityError:
        made = 0
        for row in rows:
            try:
                with db.session.begin_nested():
                    db.session.add(Notice(**{c.key: getattr(row, c.key) for c in Notice.__table__.columns
                                             if c.key != "id"}))
                made += 1
            except IntegrityError:
                pass
        return made


def write_due_notices(*, today=None, can_mail=True, can_sms=True):
    """Step 1: add the notices the day calls for; returns how many were new."""
    today = today or local_today()
    config = current_app.config
    renderer = _Renderer()
    made = 0
    pending = _due_items(today, config)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start:start + BATCH]
        known = set(db.session.scalars(sa.select(Notice.key).where(Notice.key.in_([d.key for d in chunk]))))
        rows = []
        for due in chunk:
            if due.key in known:
                continue
            reader = due.reader
            channel = choose_channel(reader, can_mail=can_mail, can_sms=can_sms)
            if channel == SendChannel.LETTER and due.kind == NoticeKind.DUE_SOON:
                continue
            subject, body = renderer.render(due.place, due.kind, channel,
                                            dict(due.values, reader=reader.name, card=reader.barcode))
            recipient = {SendChannel.EMAIL: reader.email, SendChannel.SMS: reader.phone}.get(channel, "")
            rows.append(Notice(key=due.key, kind=due.kind, channel=channel, patron_id=reader.id,
                               loan_id=due.loan_id, hold_id=due.hold_id, institution_id=due.place.id,
                               recipient=recipient[:200], subject=subject[:300], body=body,
                               status=NoticeStatus.LETTER if channel == SendChannel.LETTER else NoticeStatus.PENDING,
                               attempts=0, last_error="", created_at=utcnow()))
        made += _insert(rows)
        db.session.commit()
    return made


# -- step 2: sending -----------------------------------------------------------------------------

def _claim(max_attempts):
    """Mark a batch of waiting notices as this run's (``sending``), so a parallel run leaves them alone."""
    now = utcnow()
    retry = sa.or_(Notice.status.in_([NoticeStatus.PENDING, NoticeStatus.FAILED]),
                   sa.and_(Notice.status == NoticeStatus.SENDING, Notice.last_attempt_at < now - STALE_CLAIM))
    ids = db.session.scalars(sa.select(Notice.id).where(retry, Notice.attempts < max_attempts)
                             .order_by(Notice.id).limit(BATCH)).all()
    if not ids:
        return []
    db.session.execute(sa.update(Notice).where(Notice.id.in_(ids), retry)
                       .values(status=NoticeStatus.SENDING, last_attempt_at=now))
    db.session.commit()
    return db.session.scalars(sa.select(Notice).where(Notice.id.in_(ids), Notice.status == NoticeStatus.SENDING,
                                                      Notice.last_attempt_at == now)
                              .options(joinedload(Notice.institution)).order_by(Notice.id)).all()


def send_waiting(*, mailer, sms, max_attempts=5):
    """Step 2: send every waiting or failed notice; returns ``{"sent": n, "failed": n, "gave_up": n}``."""
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    while True:
        batch = _claim(max_attempts)
        if not batch:
            return counts
        for notice in batch:
            notice.attempts += 1
            try:
                if notice.channel == SendChannel.EMAIL:
                    if mailer is None:
                        raise SendFailed("no mail server is set (ILMS_SMTP_HOST)")
                    mailer.send(to=notice.recipient, subject=notice.subject, body=notice.body,
                                from_name=notice.institution.name)
                elif notice.channel == SendChannel.SMS:
                    if sms is None:
                        raise SendFailed("no SMS gateway is set (ILMS_SMS_GATEWAY)")
                    sms.send(phone=notice.recipient, message=notice.body)
            except SendFailed as error:
                notice.last_error = str(error)[:500]
                gave_up = notice.attempts >= max_attempts
                notice.status = NoticeStatus.GAVE_UP if gave_up else NoticeStatus.FAILED
                counts["gave_up" if gave_up else "failed"] += 1
            else:
                notice.status = NoticeStatus.SENT
                notice.sent_at = utcnow()
                notice.last_error = ""
                counts["sent"] += 1
        db.session.commit()
        if counts["failed"] and all(n.status != NoticeStatus.SENT for n in batch):
            # a whole batch failed (the server is down): leave the rest for the next run
            return counts


def send_notices(*, today=None):
    """The daily run: write the day's notices, then send everything waiting. Returns a summary dict."""
    from ...audit import bulk
    config = current_app.config
    mailer = mail_sender(config)
    sms = sms_gateway(config, config.get("DATA_DIR"))
    with bulk("circulation send-notices"):
        made = write_due_notices(today=today, can_mail=mailer is not None, can_sms=sms is not None)
        try:
            counts = send_waiting(mailer=mailer, sms=sms, max_attempts=int(config.get("NOTICE_MAX_ATTEMPTS", 5)))
        finally:
            if mailer is not None:
                mailer.close()
            if sms is not None:
                sms.close()
    letters = db.session.scalar(sa.select(sa.func.count()).select_from(Notice)
                                .where(Notice.status == NoticeStatus.LETTER))
    return dict(new=made, letters=letters, **counts)


# -- the log ----------------------------------------------------------------------------------------

def log_query(institution_ids, *, status=None, kind=None):
    query = (sa.select(Notice).where(Notice.institution_id.in_(list(institution_ids)))
             .options(joinedload(Notice.patron)).order_by(Notice.created_at.desc(), Notice.id.desc()))
    if status:
        query = query.where(Notice.status == NoticeStatus(status))
    if kind:
        query = query.where(Notice.kind == NoticeKind(kind))
    return query


def get_notice(notice_id, institution_ids):
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.institution_id not in institution_ids:
        raise NotFound(_l("This notice does not exist."))
    return notice


def retry_notice(notice, *, actor):
    """Staff send a notice that failed too often once more (after fixing the address, say)."""
    require(actor, "circulation.desk", notice.institution)
    if notice.status not in (NoticeStatus.GAVE_UP, NoticeStatus.FAILED):
        raise DomainError(_l("Only a notice that failed can be sent again."))
    patron = notice.patron
    if patron is not None:
        notice.recipient = {SendChannel.EMAIL: patron.email, SendChannel.SMS: patron.phone}.get(notice.channel, "")
    notice.status = NoticeStatus.PENDING
    notice.attempts = 0
    db.session.flush()
    return notice


def anonymise_notices(cutoff):
    """Old notices lose their reader, address and wording (the log keeps that something was sent)."""
    return db.session.execute(sa.update(Notice).where(Notice.patron_id.is_not(None), Notice.created_at < cutoff)
                              .values(patron_id=None, recipient="", body="", subject="")).rowcount


def patron_notices_data(patron):
    """For the reader's own data page: the notices sent to them."""
    from flask_babel import gettext as _
    rows = db.session.scalars(sa.select(Notice).where(Notice.patron_id == patron.id)
                              .order_by(Notice.created_at)).all()
    from ...common.time import to_local
    return ([_("Written"), _("Notice"), _("Sent by"), _("To"), _("Status")],
            [(to_local(n.created_at).strftime("%d/%m/%Y %H:%M"), str(n.kind.label), str(n.channel.label),
              n.recipient, str(n.status.label)) for n in rows])


def institutions_by_id(ids):
    return {i.id: i for i in db.session.scalars(sa.select(Institution).where(Institution.id.in_(list(ids))))}


__all__ = ["send_notices", "write_due_notices", "send_waiting", "template_for", "save_template", "choose_channel",
           "log_query", "Patron"]
