"""Reader rules: registering and editing readers, cards, blocks, finding readers, who sees what.

Privacy: a reader's personal data (birth year, address, phone, ethnic group,
notes, history) is shown to and changed by staff of the reader's home
institution only (``patrons.view`` / ``patrons.edit`` in scope). The desk of
any library of the network may lend to any reader; it sees only what lending
needs (``circulation.services.desk_summary``).
"""
import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common import ethnicity
from ..common.barcodes import is_valid_barcode, normalise_barcode
from ..common.errors import Conflict, DomainError, NotFound, PermissionDenied
from ..common.permissions import require
from ..common.text import clean, fold
from ..common.time import local_date, local_today, utcnow
from ..extensions import db
from .models import BlockKind, CardSequence, NoticeChannel, Patron, PatronBlock, PatronCard, PatronCategory, Sex

#: How long a new or renewed card is valid.
CARD_YEARS = 1
CARD_DIGITS = 6
#: Item barcodes live in the catalogue; a lightweight table clause keeps patrons independent of it.
_ITEMS = sa.table("items", sa.column("barcode"))
FIELDS = ("name", "category", "ethnicity", "sex", "birth_year", "address", "phone", "institution",
          "card_issued", "card_expires", "note", "barcode", "email", "notice_channel")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# -- finding readers ---------------------------------------------------------------

def get_patron(patron_id):
    patron = db.session.get(Patron, patron_id)
    if patron is None:
        raise NotFound(_l("This reader does not exist."))
    return patron


def patron_by_barcode(barcode, *, required=True):
    """The reader whose card carries ``barcode`` (as a scanner sends it).

    A card that was replaced (lost) is refused with the date it was replaced,
    so the desk knows to ask for the new card.
    """
    code = normalise_barcode(barcode)
    patron = db.session.scalar(sa.select(Patron).where(Patron.barcode == code)) if code else None
    if patron is None and code:
        old = db.session.scalar(sa.select(PatronCard).where(PatronCard.barcode == code))
        if old is not None and required:
            raise Conflict(_l("The card %(barcode)s was replaced on %(date)s (reported lost). "
                              "Ask the reader for the new card.",
                              barcode=code, date=local_date(old.replaced_at).strftime("%d/%m/%Y")),
                           code="replaced_card")
    if patron is None and required:
        raise NotFound(_l("No reader card has the barcode %(barcode)s. Check the card or register the reader.",
                          barcode=code or "—"), code="unknown_patron")
    return patron


def can_see_personal(actor, patron) -> bool:
    """Staff of the reader's home institution (and province-wide roles with the right) see personal data."""
    return bool(actor and getattr(actor, "is_authenticated", False)
                and actor.can("patrons.view", patron.institution_id))


def require_personal(actor, patron):
    if not can_see_personal(actor, patron):
        raise PermissionDenied(_l("%(name)s is a reader of %(home)s; only their staff see and change "
                                  "the reader's personal data.",
                                  name=patron.name, home=patron.institution.name))


def search_query(q, *, actor, institution_ids=None):
    """Readers ``actor`` may see, matching ``q`` (a card number or words of the name, with or without
    diacritics), in Vietnamese name order."""
    query = sa.select(Patron).order_by(Patron.name_sort, Patron.id)
    if not getattr(actor, "province_wide", False) and not getattr(actor, "is_system", False):
        query = query.where(Patron.institution_id.in_(list(actor.scope_ids())))
    if institution_ids:
        query = query.where(Patron.institution_id.in_(list(institution_ids)))
    text = (q or "").strip()
    if text:
        code = normalise_barcode(text)
        words = fold(text).split()
        conditions = [Patron.name_folded.contains(word, autoescape=True) for word in words]
        query = query.where(sa.or_(Patron.barcode == code, sa.and_(*conditions)))
    return query


# -- card numbers --------------------------------------------------------------------

def card_prefix(institution):
    return "BD" + (institution.barcode_prefix or institution.code.replace("-", ""))


def _barcode_taken(code, *, patron_id=None):
    if db.session.scalar(sa.select(Patron.id).where(Patron.barcode == code, Patron.id != (patron_id or -1))):
        return True
    if db.session.scalar(sa.select(PatronCard.id).where(PatronCard.barcode == code)):
        return True
    return db.session.scalar(sa.select(_ITEMS.c.barcode).where(_ITEMS.c.barcode == code)) is not None


def next_card_barcode(institution):
    """The next free card number of the institution: BDTVT000001, BDTVT000002...

    The sequence row is changed inside the caller's write transaction, so two
    desks registering readers at once never get the same number.
    """
    prefix = card_prefix(institution)[:16]
    seq = db.session.get(CardSequence, prefix, with_for_update=True)
    if seq is None:
        seq = CardSequence(prefix=prefix, last=0)
        db.session.add(seq)
        db.session.flush()
    number = seq.last
    while True:
        number += 1
        code = f"{prefix}{number:0{CARD_DIGITS}d}"
        if not _barcode_taken(code):
            break
    seq.last = number
    return code


def add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# -- registering and editing ------------------------------------------------------------

def _coerce(fields):
    data = {}
    for key, value in fields.items():
        if key not in FIELDS:
            raise DomainError(_l("Unknown fields: %(fields)s", fields=key))
        data[key] = value
    for key in ("name", "address", "phone", "note"):
        if key in data:
            data[key] = clean(data[key] or "")
    if "category" in data:
        try:
            data["category"] = PatronCategory(data["category"] or "adult")
        except ValueError:
            raise DomainError(_l("Unknown reader category “%(value)s”; use adult, student, child or staff.",
                                 value=data["category"]), field="category")
    if "sex" in data:
        value = data["sex"] or None
        try:
            data["sex"] = Sex(value) if value else None
        except ValueError:
            raise DomainError(_l("Sex must be F or M (or left empty)."), field="sex")
    if "ethnicity" in data:
        value = (data["ethnicity"] or "").strip()
        if value and ethnicity.by_code(value) is None:
            group = ethnicity.match(value)
            if group is None:
                raise DomainError(_l("Unknown ethnic group “%(value)s”; choose one of the 54 groups.",
                                     value=value), field="ethnicity")
            value = group.code
        data["ethnicity"] = value or None
    if "birth_year" in data and data["birth_year"] not in (None, ""):
        try:
            data["birth_year"] = int(data["birth_year"])
        except (TypeError, ValueError):
            raise DomainError(_l("The birth year must be a number like 1998."), field="birth_year")
    elif "birth_year" in data:
        data["birth_year"] = None
    if "barcode" in data:
        data["barcode"] = normalise_barcode(data["barcode"])
    if "email" in data:
        data["email"] = check_email(data["email"])
    if "notice_channel" in data:
        try:
            data["notice_channel"] = NoticeChannel(data["notice_channel"] or "auto")
        except ValueError:
            raise DomainError(_l("Unknown way of sending reminders “%(value)s”; use auto, email, sms or letter.",
                                 value=data["notice_channel"]), field="notice_channel")
    return data


def check_email(value):
    value = (value or "").strip()
    if value and (len(value) > 200 or not _EMAIL.match(value)):
        raise DomainError(_l("“%(value)s” is not an e-mail address (name@example.vn).", value=value[:200]),
                          field="email")
    return value


def set_own_preferences(patron, *, channel, email, phone, keep_history):
    """The signed-in reader chooses how reminders reach them and whether their history is kept.

    Turning the history off forgets the list kept so far at once (readers of
    ``patrons.history_cleared`` signal do it), as Koha's "never" privacy does.
    """
    data = _coerce(dict(notice_channel=channel, email=email, phone=phone))
    if len(data["phone"]) > 40:
        raise DomainError(_l("The phone number is too long."), field="phone")
    if data["notice_channel"] == NoticeChannel.EMAIL and not data["email"]:
        raise DomainError(_l("Give an e-mail address to receive reminders by e-mail."), field="email")
    if data["notice_channel"] == NoticeChannel.SMS and not data["phone"]:
        raise DomainError(_l("Give a phone number to receive reminders by SMS."), field="phone")
    for key, value in data.items():
        setattr(patron, key, value)
    was_kept = patron.keep_history
    patron.keep_history = bool(keep_history)
    db.session.flush()
    return was_kept and not patron.keep_history


def _validate(patron, *, today):
    if not patron.name:
        raise DomainError(_l("The reader needs a name."), field="name")
    if patron.birth_year is not None and not (1900 <= patron.birth_year <= today.year):
        raise DomainError(_l("The birth year must be between 1900 and %(year)d.", year=today.year),
                          field="birth_year")
    if not is_valid_barcode(patron.barcode or ""):
        raise DomainError(_l("“%(barcode)s” is not a usable card number (letters, digits, - . /).",
                             barcode=patron.barcode or ""), field="barcode")
    if _barcode_taken(patron.barcode, patron_id=patron.id):
        raise Conflict(_l("The card number %(barcode)s is already used (by a reader, an old card or a copy).",
                          barcode=patron.barcode), field="barcode")
    if patron.card_issued and patron.card_expires and patron.card_expires < patron.card_issued:
        raise DomainError(_l("The card cannot expire before it is issued."), field="card_expires")


def register_patron(*, actor, institution, name, category="adult", ethnicity=None, sex=None,
                    birth_year=None, address="", phone="", barcode=None, card_issued=None, card_expires=None,
                    note="", default_card_dates=True, email="", notice_channel="auto"):
    """Register a reader of ``institution`` and give them a card.

    Without a card number the next one of the institution is used. Without
    dates the card runs from today for ``CARD_YEARS`` (imports pass
    ``default_card_dates=False``: no dates means a card valid on every date).
    """
    require(actor, "patrons.edit", institution)
    data = _coerce(dict(name=name, category=category, ethnicity=ethnicity, sex=sex, birth_year=birth_year,
                        address=address, phone=phone, barcode=barcode, note=note, email=email,
                        notice_channel=notice_channel))
    today = local_today()
    if default_card_dates and card_issued is None:
        card_issued = today
    if default_card_dates and card_expires is None:
        card_expires = add_years(card_issued, CARD_YEARS)
    patron = Patron(institution_id=institution.id, card_issued=card_issued, card_expires=card_expires)
    patron.institution = institution
    for key, value in data.items():
        if key != "barcode":
            setattr(patron, key, value)
    patron.barcode = data.get("barcode") or next_card_barcode(institution)
    with db.session.no_autoflush:
        _validate(patron, today=today)
    db.session.add(patron)
    db.session.flush()
    return patron


def update_patron(patron, *, actor, **fields):
    """Change a reader's data; moving a reader to another home institution needs rights at both."""
    require(actor, "patrons.edit", patron.institution)
    require_personal(actor, patron)
    data = _coerce(fields)
    new_home = data.pop("institution", None)
    if new_home is not None and new_home.id != patron.institution_id:
        require(actor, "patrons.edit", new_home)
        patron.institution = new_home
        patron.institution_id = new_home.id
    for key, value in data.items():
        if key == "barcode" and not value:
            continue
        setattr(patron, key, value)
    with db.session.no_autoflush:
        _validate(patron, today=local_today())
    db.session.flush()
    return patron


def upsert_patron(*, actor, barcode, institution, **fields):
    """Create the reader with card ``barcode`` or bring it in line with ``fields`` (imports)."""
    existing = patron_by_barcode(barcode, required=False)
    if existing is None:
        return register_patron(actor=actor, institution=institution, barcode=barcode,
                               default_card_dates=False, **fields)
    return update_patron(existing, actor=actor, institution=institution, **fields)


def renew_card(patron, *, actor, until=None, today=None):
    """Extend the card: to ``until``, or ``CARD_YEARS`` from today (or from its expiry, if later)."""
    require(actor, "patrons.edit", patron.institution)
    today = today or local_today()
    if until is None:
        base = max(today, patron.card_expires) if patron.card_expires else today
        until = add_years(base, CARD_YEARS)
    if until < today:
        raise DomainError(_l("The new expiry date is already past."), field="until")
    if patron.card_issued is None:
        patron.card_issued = today
    patron.card_expires = until
    db.session.flush()
    return patron


def replace_card(patron, *, actor, new_barcode=None, reason="", at=None):
    """Give the reader a new card number; the old one is kept so a scan of it is explained.

    A lost-card block ends with the new card.
    """
    require(actor, "patrons.edit", patron.institution)
    at = at or utcnow()
    old = patron.barcode
    code = normalise_barcode(new_barcode) if new_barcode else next_card_barcode(patron.institution)
    from .signin import end_all_reader_sessions
    end_all_reader_sessions(patron)          # a lost card's OPAC sessions end with it
    if code == old:
        raise DomainError(_l("The new card number is the same as the old one."), field="barcode")
    db.session.add(PatronCard(patron_id=patron.id, barcode=old, replaced_at=at,
                              reason=clean(reason) or str(_l("Card replaced"))))
    db.session.flush()
    patron.barcode = code
    with db.session.no_autoflush:
        _validate(patron, today=local_today())
    for block in patron.blocks:
        if block.kind == BlockKind.LOST_CARD and block.lifted_at is None:
            block.lifted_at = at
            block.lifted_by_id = getattr(actor, "id", None)
    db.session.flush()
    return patron


# -- blocks ------------------------------------------------------------------------

def add_block(patron, *, actor, kind, reason="", at=None):
    require(actor, "patrons.edit", patron.institution)
    try:
        kind = BlockKind(kind)
    except ValueError:
        raise DomainError(_l("Unknown kind of block."), field="kind")
    reason = clean(reason or "")
    if kind == BlockKind.MANUAL and not reason:
        raise DomainError(_l("Say why the reader is blocked; the desk will show it."), field="reason")
    for block in patron.blocks:
        if block.kind == kind and block.lifted_at is None:
            raise Conflict(_l("The reader already has this block."), field="kind")
    block = PatronBlock(kind=kind, reason=reason, created_at=at or utcnow(), created_by_id=getattr(actor, "id", None))
    patron.blocks.append(block)
    db.session.flush()
    return block


def report_card_lost(patron, *, actor, at=None):
    """Block the card at once (nobody can borrow with it) until a new card is issued; its OPAC sessions end."""
    from .signin import end_all_reader_sessions
    end_all_reader_sessions(patron)
    return add_block(patron, actor=actor, kind=BlockKind.LOST_CARD, reason=str(_l("Reported by the reader")),
                     at=at)


def lift_block(block, *, actor, at=None):
    require(actor, "patrons.edit", block.patron.institution)
    if block.lifted_at is not None:
        raise Conflict(_l("This block was already lifted."))
    block.lifted_at = at or utcnow()
    block.lifted_by_id = getattr(actor, "id", None)
    db.session.flush()
    return block


def get_block(patron, block_id):
    block = db.session.get(PatronBlock, block_id)
    if block is None or block.patron_id != patron.id:
        raise NotFound(_l("This block does not exist."))
    return block


def card_problem(patron, day):
    """Why the card cannot be used on ``day`` (a message), or ``None``."""
    if patron.card_issued and day < patron.card_issued:
        return _l("The card of %(name)s is valid only from %(date)s.", name=patron.name,
                  date=patron.card_issued.strftime("%d/%m/%Y"))
    if patron.card_expires and day > patron.card_expires:
        return _l("The card of %(name)s expired on %(date)s. Renew the card first.", name=patron.name,
                  date=patron.card_expires.strftime("%d/%m/%Y"))
    return None


def card_expires_soon(patron, today=None, days=30):
    today = today or local_today()
    return bool(patron.card_expires and today <= patron.card_expires <= today + dt.timedelta(days=days))
