"""Readers' own sign-in to the OPAC: card number and PIN, throttled, with sessions apart from staff ones.

A reader account is a card with a PIN. Staff of the reader's home library set
or reset the PIN (a new random one is printed on a slip for the reader); the
reader may change it afterwards. PINs are hashed like staff passwords.

Throttling is kept here, on its own table, on purpose: it must not depend on
how staff sign-in is throttled, and a reader's failures never lock a staff
account (or the reverse). After ``READER_LOGIN_MAX_FAILURES`` failures within
``READER_LOGIN_WINDOW_SECONDS``, for the same card or from the same address,
every attempt is refused until the window has passed, even with the right PIN.

A reader session is a server-side record whose random id sits in the browser
session under its own key (``reader_sid``); staff sessions use ``sid`` and
Flask-Login. Neither ever reads the other's key, so a signed-in librarian is
not a reader and a signed-in reader is not staff.
"""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..common.barcodes import normalise_barcode
from ..common.errors import DomainError
from ..common.permissions import require
from ..common.time import utcnow
from ..extensions import db
from .models import Patron, ReaderLoginFailure, ReaderSession

PIN_MIN, PIN_MAX = 4, 12
SLIP_PIN_DIGITS = 6


class TooManyReaderAttempts(DomainError):
    status_code = 429


class BadReaderCredentials(DomainError):
    status_code = 401


def _setting(name, default):
    return int(current_app.config.get(name) or default)


def _hash(pin):
    return generate_password_hash(pin, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


_DUMMY = {}


def _dummy_hash():
    """Checked when the card is unknown or has no PIN, so every path costs the same time."""
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = _hash(secrets.token_hex(8))
    return _DUMMY["hash"]


def check_pin_rules(pin):
    """A PIN is 4 to 12 digits, not one digit repeated and not a run like 1234 or 4321."""
    pin = (pin or "").strip()
    if not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX or not pin.isascii():
        raise DomainError(_l("The PIN must be %(min)d to %(max)d digits.", min=PIN_MIN, max=PIN_MAX), field="pin")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):
        raise DomainError(_l("This PIN is too easy to guess (%(pin)s); choose other digits.", pin=pin),
                          field="pin")
    return pin


def random_pin():
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(SLIP_PIN_DIGITS))
        try:
            return check_pin_rules(pin)
        except DomainError:
            continue


def set_pin(patron, *, actor, pin=None):
    """Staff of the reader's home library set the PIN (``None``: a random one, to print on the slip).

    Every open reader session of the card ends. Returns the PIN in clear, once.
    """
    require(actor, "patrons.edit", patron.institution)
    pin = check_pin_rules(pin) if pin else random_pin()
    patron.pin_hash = _hash(pin)
    patron.pin_set_at = utcnow()
    end_all_reader_sessions(patron)
    db.session.flush()
    return pin


def change_own_pin(patron, *, current_pin, new_pin, keep_session_id=None):
    """The signed-in reader changes their PIN (the current one is asked again); other sessions end."""
    if not patron.pin_hash or not check_password_hash(patron.pin_hash, current_pin or ""):
        raise DomainError(_l("The current PIN is not right."), field="current_pin")
    new_pin = check_pin_rules(new_pin)
    if check_password_hash(patron.pin_hash, new_pin):
        raise DomainError(_l("The new PIN is the same as the current one."), field="new_pin")
    patron.pin_hash = _hash(new_pin)
    patron.pin_set_at = utcnow()
    db.session.execute(sa.delete(ReaderSession).where(ReaderSession.patron_id == patron.id,
                                                      ReaderSession.id != (keep_session_id or "")))
    db.session.flush()


def _recent_failures(column, value, since):
    return db.session.scalar(sa.select(sa.func.count()).select_from(ReaderLoginFailure)
                             .where(column == value, ReaderLoginFailure.at >= since))


def authenticate_reader(card, pin, *, address):
    """The reader whose card and PIN match, or a refusal (the caller commits a failure so it counts)."""
    code = (normalise_barcode(card or "") or "")[:40]
    address = (address or "")[:64]
    now = utcnow()
    window = timedelta(seconds=_setting("READER_LOGIN_WINDOW_SECONDS", 300))
    limit = _setting("READER_LOGIN_MAX_FAILURES", 5)
    db.session.execute(sa.delete(ReaderLoginFailure).where(ReaderLoginFailure.at < now - 10 * window))
    if (_recent_failures(ReaderLoginFailure.card, code, now - window) >= limit
            or _recent_failures(ReaderLoginFailure.address, address, now - window) >= limit):
        raise TooManyReaderAttempts(_l("Too many wrong attempts. Wait %(minutes)d minutes, then try again, or "
                                       "ask the library to print you a new PIN.",
                                       minutes=max(1, window.seconds // 60)))
    patron = db.session.scalar(sa.select(Patron).where(Patron.barcode == code)) if code else None
    ok = check_password_hash(patron.pin_hash if patron is not None and patron.pin_hash else _dummy_hash(),
                             pin or "")
    if not ok or patron is None or not patron.pin_hash:
        db.session.add(ReaderLoginFailure(card=code, address=address, at=now))
        db.session.flush()
        raise BadReaderCredentials(_l("Wrong card number or PIN. No PIN yet? Ask at your library's desk."))
    return patron


def start_reader_session(patron):
    hours = _setting("READER_SESSION_HOURS", 2)
    record = ReaderSession(id=secrets.token_urlsafe(32), patron_id=patron.id,
                           expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(record)
    db.session.flush()
    return record


def session_reader(session_id):
    """The reader of a live reader session, or ``None`` (signed out, expired, PIN reset since)."""
    if not session_id or not isinstance(session_id, str):
        return None
    record = db.session.get(ReaderSession, session_id)
    if record is None or record.expires_at <= utcnow():
        return None
    return record.patron


def end_reader_session(session_id):
    if session_id and isinstance(session_id, str):
        db.session.execute(sa.delete(ReaderSession).where(ReaderSession.id == session_id))


def end_all_reader_sessions(patron):
    db.session.execute(sa.delete(ReaderSession).where(ReaderSession.patron_id == patron.id))
