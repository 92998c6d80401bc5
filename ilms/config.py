"""Settings, read from ``ILMS_*`` environment variables with safe defaults."""
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path


def _flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def load_secret_key(instance_path, *, filename="secret_key", env_name="ILMS_SECRET_KEY"):
    """``$env_name``, or a key generated once and kept in the instance folder.

    Several gunicorn workers may start together: the file is created with
    O_EXCL so only one key is ever written and every worker reads it.
    """
    if env_name and os.environ.get(env_name):
        return os.environ[env_name]
    path = Path(instance_path) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"secret key file {path} is empty; delete it and start again")


class Config:
    """Production defaults. ``create_app`` fills the instance-folder paths."""

    SQLALCHEMY_DATABASE_URI = os.environ.get("ILMS_DATABASE_URL")
    DATA_DIR = os.environ.get("ILMS_DATA_DIR")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _int("ILMS_SQLITE_BUSY_TIMEOUT_MS", 15000)

    # Sessions: server-side records, a working day long, cookies not readable by scripts.
    SESSION_LIFETIME = timedelta(hours=_int("ILMS_SESSION_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_LIFETIME
    SESSION_COOKIE_NAME = "ilms_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    HTTPS = _flag("ILMS_HTTPS")
    # The public address of the server (https://thuvien.laichau.gov.vn): every absolute link (calendar feeds,
    # OAI-PMH and SRU base URLs, record links) is built from it, never from the request's Host header.
    BASE_URL = os.environ.get("ILMS_BASE_URL") or None
    SESSION_COOKIE_SECURE = HTTPS
    REMEMBER_COOKIE_SECURE = HTTPS
    PREFERRED_URL_SCHEME = "https" if HTTPS else "http"

    WTF_CSRF_TIME_LIMIT = None  # tied to the session, which already expires
    WTF_CSRF_SSL_STRICT = HTTPS

    # Login throttling (accounts.services.authenticate): within the window, LOGIN_MAX_FAILURES failures
    # per (address, username); four times as many per address, and per username from every address
    # together (browsers where the user signed in before are exempt from the per-username bound).
    LOGIN_MAX_FAILURES = _int("ILMS_LOGIN_MAX_FAILURES", 5)
    LOGIN_FAILURE_WINDOW_SECONDS = _int("ILMS_LOGIN_WINDOW_SECONDS", 900)

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    CLI_LANGUAGE = os.environ.get("ILMS_CLI_LANGUAGE", "vi")

    MAX_CONTENT_LENGTH = _int("ILMS_MAX_UPLOAD_MB", 200) * 1024 * 1024
    ANONYMISE_AFTER_DAYS = _int("ILMS_ANONYMISE_DAYS", 0)  # 0: keep until the command is run
    PAGE_SIZE = 50
    PROXY_COUNT = _int("ILMS_PROXY_COUNT", 0)  # reverse proxies in front (nginx: 1)
    # Catalogue search: "whoosh" (files under DATA_DIR/search, one server) or "postgres" (PostgreSQL only:
    # a table of the database, shared by every application server). See docs/postgresql.md.
    SEARCH_BACKEND = os.environ.get("ILMS_SEARCH_BACKEND", "whoosh")

    # Readers' own accounts in the OPAC (card + PIN): throttling apart from staff sign-in, session length.
    READER_LOGIN_MAX_FAILURES = _int("ILMS_READER_LOGIN_MAX_FAILURES", 5)
    READER_LOGIN_WINDOW_SECONDS = _int("ILMS_READER_LOGIN_WINDOW_SECONDS", 300)
    READER_SESSION_HOURS = _int("ILMS_READER_SESSION_HOURS", 2)
    # Notices to readers (flask circulation send-notices); see circulation/notices/gateways.py.
    SMTP_HOST = os.environ.get("ILMS_SMTP_HOST", "")
    SMTP_PORT = _int("ILMS_SMTP_PORT", 25)
    SMTP_USER = os.environ.get("ILMS_SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("ILMS_SMTP_PASSWORD", "")
    SMTP_STARTTLS = _flag("ILMS_SMTP_STARTTLS")
    SMTP_SSL = _flag("ILMS_SMTP_SSL")
    MAIL_FROM = os.environ.get("ILMS_MAIL_FROM", "")
    SMS_GATEWAY = os.environ.get("ILMS_SMS_GATEWAY", "")          # "http", "outbox" (test) or empty
    SMS_URL = os.environ.get("ILMS_SMS_URL", "")                  # e.g. https://sms.example.vn/send?to={phone}&text={message}
    SMS_METHOD = os.environ.get("ILMS_SMS_METHOD", "GET")
    SMS_BODY = os.environ.get("ILMS_SMS_BODY", "")
    SMS_OUTBOX = os.environ.get("ILMS_SMS_OUTBOX", "")
    SMS_TIMEOUT = _int("ILMS_SMS_TIMEOUT", 10)
    NOTICE_DUE_SOON_DAYS = _int("ILMS_NOTICE_DUE_SOON_DAYS", 2)
    NOTICE_SECOND_OVERDUE_DAYS = _int("ILMS_NOTICE_SECOND_OVERDUE_DAYS", 14)
    NOTICE_MAX_ATTEMPTS = _int("ILMS_NOTICE_MAX_ATTEMPTS", 5)
    OPAC_URL = os.environ.get("ILMS_OPAC_URL", "")               # the public address, for links in notices


class TestConfig(Config):
    TESTING = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests; production keeps scrypt
    SECRET_KEY = "test-secret-key-not-for-production"
    READER_KEY_SECRET = "test-reader-key-secret"
    SQLITE_BUSY_TIMEOUT_MS = 30000
    HTTPS = False
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_SSL_STRICT = False
    SEARCH_BACKEND = "whoosh"  # tests that use the PostgreSQL backend ask for it
