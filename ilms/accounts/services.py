"""Staff accounts: sign-in with throttling, server-side sessions, passwords, API tokens."""
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from ..common.errors import Conflict, DomainError, NotFound, PermissionDenied
from ..common.permissions import require
from ..common.text import clean
from ..common.time import utcnow
from ..extensions import db
from ..signals import user_credentials_revoked
from .models import ApiToken, FormSubmission, LoginFailure, StaffSession, User
from .permissions import PROVINCE_WIDE, Role

MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "ilms_"


class TooManyAttempts(DomainError):
    status_code = 429


class BadCredentials(DomainError):
    status_code = 401


def _hash_password(password):
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


# Checked when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = None


def _dummy_hash():
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hash_password(secrets.token_hex(8))
    return _DUMMY_HASH


def check_password_rules(password, *, username=""):
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                          field="password")
    if username and password.lower() == username.lower():
        raise DomainError(_l("The password must not be the username."), field="password")


def get_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("This staff account does not exist."))
    return user


def find_user(username):
    return db.session.scalar(sa.select(User).where(User.username == (username or "").strip().lower()))


# -- signing in -------------------------------------------------------------

def _recent_failures(column, value, since):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginFailure).where(column == value, LoginFailure.at >= since))


#: Failures from one address (over every username), and against one username (from every address), allowed
#: per window, as a multiple of ``LOGIN_MAX_FAILURES``.
WIDE_FACTOR = 4


def authenticate(username, password, *, address, known_device=False):
    """Return the user for a correct username and password, or raise.

    Within ``LOGIN_FAILURE_WINDOW_SECONDS`` (15 minutes by default), an
    attempt is refused, even with the right password, after:

    - ``LOGIN_MAX_FAILURES`` (5) failures for this username from this
      address: one guesser, one account;
    - 4 × that (20) failures from this address, whatever the usernames:
      one guesser trying many accounts;
    - 4 × that (20) failures for this username from every address
      together: many addresses against one account. This bound does not
      apply to ``known_device``, a browser where this username signed in
      before (a signed cookie, OWASP's "device cookie"): a stranger who
      fails on purpose cannot lock the owner out of their own browser,
      while a new browser waits for the window.

    So an attacker gets at most 20 guesses per account per 15 minutes
    (under 2,000 a day) however many addresses they use, and 5 per
    account from one address; the owner keeps signing in where they
    usually do. Failures older than ten windows are deleted.
    """
    cfg = current_app.config
    username = (username or "").strip().lower()[:64]
    address = (address or "")[:64]
    now = utcnow()
    window = timedelta(seconds=cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    since = now - window
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.at < now - 10 * window))
    limit = cfg["LOGIN_MAX_FAILURES"]
    pair = db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure).where(
        LoginFailure.username == username, LoginFailure.address == address, LoginFailure.at >= since))
    if (pair >= limit
            or _recent_failures(LoginFailure.address, address, since) >= WIDE_FACTOR * limit
            or (not known_device
                and _recent_failures(LoginFailure.username, username, since) >= WIDE_FACTOR * limit)):
        raise TooManyAttempts(_l("Too many failed sign-ins. Wait a few minutes, then try again."))
    user = find_user(username)
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if not ok or user is None or not user.active:
        db.session.add(LoginFailure(username=username, address=address, at=now))
        db.session.flush()
        raise BadCredentials(_l("Wrong username or password, or the account is deactivated."))
    user.last_login_at = now
    return user


def start_session(user, *, address="", user_agent=""):
    lifetime = current_app.config["SESSION_LIFETIME"]
    record = StaffSession(
        id=secrets.token_urlsafe(32), user=user, expires_at=utcnow() + lifetime,
        address=(address or "")[:64], user_agent=(user_agent or "")[:200],
    )
    db.session.add(record)
    db.session.flush()
    return record


def session_user(session_id, user_id):
    """The user of a live session, or ``None`` (logged out, expired, deactivated)."""
    if not session_id or user_id is None:
        return None
    record = db.session.get(StaffSession, session_id)
    if record is None or record.user_id != user_id or record.expires_at <= utcnow():
        return None
    user = record.user
    return user if user.active else None


def end_session(session_id):
    if session_id:
        db.session.execute(sa.delete(StaffSession).where(StaffSession.id == session_id))


def end_all_sessions(user):
    db.session.execute(sa.delete(StaffSession).where(StaffSession.user_id == user.id))


# -- managing users --------------------------------------------------------

def _check_home(role, institution):
    if role not in PROVINCE_WIDE and institution is None:
        raise DomainError(_l("Staff with this role need a home institution."), field="institution")


def create_user(*, actor, username, full_name, password, role, institution=None, email="", locale="vi"):
    require(actor, "accounts.manage")
    username = (username or "").strip().lower()
    if not username or not all(ch.isalnum() or ch in "._-" for ch in username) or len(username) > 64:
        raise DomainError(_l("A username is letters, digits, dots, hyphens or underscores."), field="username")
    if find_user(username):
        raise Conflict(_l("The username %(name)s is taken.", name=username), field="username")
    role = Role(role)
    _check_home(role, institution)
    check_password_rules(password, username=username)
    user = User(username=username, full_name=clean(full_name) or username, role=role,
                institution=institution, email=(email or "").strip(), locale=locale,
                password_hash=_hash_password(password), password_changed_at=utcnow(),
                active=True, must_change_password=False)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user, *, actor, full_name=None, role=None, institution=None, email=None):
    require(actor, "accounts.manage")
    new_role = Role(role) if role is not None else user.role
    if user.id == getattr(actor, "id", None) and new_role != Role.ADMIN and user.role == Role.ADMIN:
        raise DomainError(_l("You cannot take the administrator role away from yourself."), field="role")
    _check_home(new_role, institution if institution is not None else user.institution)
    if full_name is not None:
        user.full_name = clean(full_name) or user.username
    if email is not None:
        user.email = email.strip()
    user.role = new_role
    if institution is not None:
        user.institution = institution
    user._scope_cache = None
    db.session.flush()
    return user


def set_active(user, active, *, actor):
    require(actor, "accounts.manage")
    if not active and user.id == getattr(actor, "id", None):
        raise DomainError(_l("You cannot deactivate your own account."))
    user.active = bool(active)
    if not active:
        end_all_sessions(user)
        revoke_all_tokens(user)
        user_credentials_revoked.send(user)
    db.session.flush()
    return user


def reset_password(user, new_password, *, actor):
    """An administrator sets a temporary password; the user must change it at next sign-in."""
    require(actor, "accounts.manage")
    check_password_rules(new_password, username=user.username)
    user.password_hash = _hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    end_all_sessions(user)
    revoke_all_tokens(user)   # a password reset ends the API tokens too, as deactivation does
    user_credentials_revoked.send(user)
    db.session.flush()


def change_own_password(user, *, current_password, new_password, keep_session_id=None):
    if not check_password_hash(user.password_hash, current_password or ""):
        raise DomainError(_l("The current password is not right."), field="current_password")
    check_password_rules(new_password, username=user.username)
    if check_password_hash(user.password_hash, new_password):
        raise DomainError(_l("Choose a password different from the current one."), field="new_password")
    user.password_hash = _hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    # Other browsers signed in as this user are signed out; this one stays. API tokens end, as on
    # deactivation: a token made by someone who had the old password must not outlive it.
    db.session.execute(sa.delete(StaffSession).where(
        StaffSession.user_id == user.id, StaffSession.id != (keep_session_id or "")))
    revoke_all_tokens(user)
    user_credentials_revoked.send(user)
    db.session.flush()


def set_locale(user, locale):
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Unknown language."))
    user.locale = locale
    db.session.flush()


# -- one-time form keys --------------------------------------------------------

def new_submission_key():
    """A key for a form's hidden ``submission`` field (see ``FormSubmission``)."""
    return secrets.token_urlsafe(24)


def claim_submission(key, *, user):
    """Take ``key`` for this submit: ``None`` when it is new (go on), or the earlier ``FormSubmission``.

    Flushed at once: on SQLite the write transaction of a second submit
    starts after the first commits and finds the row; on PostgreSQL a
    simultaneous one waits on the primary key and fails with an
    ``IntegrityError`` when the first commits (the caller then reads the row).
    """
    key = (key or "").strip()[:64]
    if not key:
        return None
    done = db.session.get(FormSubmission, key)
    if done is not None:
        return done
    db.session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < utcnow() - timedelta(days=1)))
    db.session.add(FormSubmission(key=key, user_id=user.id, created_at=utcnow()))
    db.session.flush()
    return None


def finish_submission(key, result_url):
    done = db.session.get(FormSubmission, (key or "").strip()[:64])
    if done is not None:
        done.result_url = result_url[:300]


# -- API tokens -------------------------------------------------------------

def create_token(user, *, name, days=None):
    """Make a token for ``user``. Returns ``(token, secret)``; the secret is shown once."""
    name = clean(name)
    if not name:
        raise DomainError(_l("Give the token a name, e.g. the program that will use it."), field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80], prefix=secret[:12], token_hash=ApiToken.hash(secret),
                     expires_at=utcnow() + timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token, *, actor):
    if token.user_id != getattr(actor, "id", None) and not actor.can("accounts.manage"):
        raise PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def revoke_all_tokens(user):
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def token_user(secret):
    """The active user a bearer token belongs to, or ``None``."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(secret)))
    if token is None or not token.is_live or not token.user.active:
        return None
    return token.user


def tokens_of(user):
    return db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                              .order_by(ApiToken.created_at.desc())).all()
