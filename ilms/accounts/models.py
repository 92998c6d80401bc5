"""Staff users, their sessions, API tokens and failed logins."""
import hashlib

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import relationship

from ..common.dbtypes import NFCText, UTCDateTime
from ..common.enums import enum_column_type
from ..common.time import utcnow
from ..extensions import db
from .permissions import PROVINCE_WIDE, Role, role_can


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False, unique=True)
    full_name = sa.Column(NFCText(120), nullable=False)
    email = sa.Column(sa.String(120), nullable=False, default="")
    password_hash = sa.Column(sa.String(256), nullable=False)
    role = sa.Column(enum_column_type(Role), nullable=False)
    institution_id = sa.Column(sa.Integer, sa.ForeignKey("institutions.id"), index=True)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    locale = sa.Column(sa.String(5), nullable=False, default="vi")
    must_change_password = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = sa.Column(UTCDateTime)
    password_changed_at = sa.Column(UTCDateTime)

    institution = relationship("Institution")

    is_system = False

    def __repr__(self):
        return f"<User {self.username}>"

    @property
    def is_active(self):  # Flask-Login: a deactivated user cannot be signed in
        return bool(self.active)

    @property
    def display_name(self):
        return self.full_name or self.username

    @property
    def province_wide(self):
        return self.role in PROVINCE_WIDE

    def scope_ids(self):
        """Institution ids whose data this user may change (cached per request)."""
        cached = getattr(self, "_scope_cache", None)
        if cached is None:
            from ..org.services import scope_ids
            cached = scope_ids(self.institution_id)
            self._scope_cache = cached
        return cached

    def in_scope(self, institution) -> bool:
        if self.province_wide:
            return True
        inst_id = institution if isinstance(institution, int) else getattr(institution, "id", None)
        return inst_id in self.scope_ids()

    def can(self, capability, institution=None) -> bool:
        """May this user use ``capability``, at ``institution`` when one is given?"""
        if not self.active or not role_can(self.role, capability):
            return False
        if institution is None:
            return True
        return self.in_scope(institution)


class StaffSession(db.Model):
    """One signed-in browser. Logging out deletes the row, so a copied cookie stops working."""

    __tablename__ = "staff_sessions"

    id = sa.Column(sa.String(64), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime, nullable=False)
    address = sa.Column(sa.String(64), nullable=False, default="")
    user_agent = sa.Column(sa.String(200), nullable=False, default="")
    #: The desk's last answer (JSON: a one-time key and the message naming the reader), shown once after the
    #: redirect that follows a scan; kept here, not in the signed (readable) session cookie.
    desk_result = sa.Column(sa.Text)

    user = relationship("User")


class FormSubmission(db.Model):
    """A form sent once: its one-time key (a hidden field of the page) and where its result is.

    A second submit of the same page (a double click, a reload, two tabs)
    finds the key and goes to the first result instead of doing the work
    again; the primary key makes two simultaneous ones collide in the
    database. Rows older than a day are deleted.
    """

    __tablename__ = "form_submissions"

    key = sa.Column(sa.String(64), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    result_url = sa.Column(sa.String(300), nullable=False, default="")


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(NFCText(80), nullable=False)
    prefix = sa.Column(sa.String(12), nullable=False)
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)

    user = relationship("User")

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    @property
    def is_live(self):
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > utcnow()


class LoginFailure(db.Model):
    """A failed sign-in, kept a short while to throttle guessing (shared by all workers)."""

    __tablename__ = "login_failures"

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False, index=True)
    address = sa.Column(sa.String(64), nullable=False, index=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
