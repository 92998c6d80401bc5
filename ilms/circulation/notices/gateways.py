"""How a notice leaves ILMS: an SMTP mail server, or an SMS gateway (HTTP by URL template, or an outbox file).

Settings come from ``ILMS_*`` variables (``config.Config``):

- e-mail: ``ILMS_SMTP_HOST`` (empty: no e-mail), ``ILMS_SMTP_PORT``, ``ILMS_SMTP_USER`` /
  ``ILMS_SMTP_PASSWORD``, ``ILMS_SMTP_STARTTLS`` or ``ILMS_SMTP_SSL``, ``ILMS_MAIL_FROM``;
- SMS: ``ILMS_SMS_GATEWAY`` = ``http`` (a provider's web API), ``outbox`` (the test gateway: one JSON
  line per message in ``ILMS_SMS_OUTBOX``, for training servers and demonstrations) or empty (no SMS).
  The HTTP gateway sends ``ILMS_SMS_URL`` with ``{phone}`` and ``{message}`` filled in (URL-encoded),
  by ``ILMS_SMS_METHOD`` GET or POST; a POST carries ``ILMS_SMS_BODY`` (same placeholders, form-encoded
  by default). Any 2xx answer is success; anything else, or no answer in ``ILMS_SMS_TIMEOUT`` seconds,
  is a failure that the next run retries.

One mail connection is kept open for a whole run (and opened again after an error), which is what
makes thousands of notices quick; see ``benchmarks/notices.py``.
"""
from __future__ import annotations

import abc
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path


class SendFailed(Exception):
    """The message did not go; ``str()`` says why, for the notice log."""


class MailSender:
    """Sends e-mails through one SMTP connection, reopened when the server drops it."""

    def __init__(self, *, host, port=25, user="", password="", starttls=False, use_ssl=False, sender="",
                 timeout=30):
        self.host, self.port, self.user, self.password = host, int(port), user, password
        self.starttls, self.use_ssl, self.sender, self.timeout = starttls, use_ssl, sender, timeout
        self._smtp = None

    def _connect(self):
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    def send(self, *, to, subject, body, from_name=""):
        message = EmailMessage()
        message["From"] = formataddr((from_name, self.sender)) if from_name else self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        for attempt in (1, 2):     # a connection left idle may have been closed by the server: reconnect once
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(message)
                return
            except smtplib.SMTPServerDisconnected as error:
                self._smtp = None
                if attempt == 2:
                    raise SendFailed(f"mail server closed the connection: {error}") from error
            except smtplib.SMTPRecipientsRefused as error:
                raise SendFailed(f"address refused by the mail server: {to}") from error
            except smtplib.SMTPResponseException as error:
                raise SendFailed(f"mail server answered {error.smtp_code}: "
                                 f"{error.smtp_error.decode(errors='replace')[:200]}") from error
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                raise SendFailed(f"cannot reach the mail server {self.host}:{self.port}: {error}") from error

    def close(self):
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


class SmsGateway(abc.ABC):
    """What every SMS gateway does: send ``message`` to ``phone`` or raise ``SendFailed``."""

    @abc.abstractmethod
    def send(self, *, phone, message):
        """Hand one message to the gateway."""

    def close(self):
        pass


class HttpSmsGateway(SmsGateway):
    """A provider's web API, described by a URL template (and a body template for POST)."""

    def __init__(self, *, url, method="GET", body="", timeout=10):
        if "{phone}" not in url and "{phone}" not in body:
            raise ValueError("ILMS_SMS_URL or ILMS_SMS_BODY must contain {phone}")
        self.url, self.method, self.body, self.timeout = url, method.upper(), body, timeout

    @staticmethod
    def _fill(template, phone, message):
        return template.replace("{phone}", urllib.parse.quote(phone, safe="+")) \
                       .replace("{message}", urllib.parse.quote(message, safe=""))

    def send(self, *, phone, message):
        url = self._fill(self.url, phone, message)
        data = None
        if self.method == "POST":
            data = self._fill(self.body or "to={phone}&text={message}", phone, message).encode()
        request = urllib.request.Request(url, data=data, method=self.method, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "User-Agent": "ILMS notices"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if not 200 <= answer.status < 300:
                    raise SendFailed(f"SMS gateway answered {answer.status}")
        except urllib.error.HTTPError as error:
            raise SendFailed(f"SMS gateway answered {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise SendFailed(f"cannot reach the SMS gateway: {getattr(error, 'reason', error)}") from error


class OutboxSmsGateway(SmsGateway):
    """The test gateway: every message is a JSON line in a file, nothing leaves the server."""

    def __init__(self, path):
        self.path = Path(path)

    def send(self, *, phone, message):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"phone": phone, "message": message}, ensure_ascii=False) + "\n")
        except OSError as error:
            raise SendFailed(f"cannot write the SMS outbox {self.path}: {error}") from error


def mail_sender(config):
    """The configured mail sender, or ``None`` when no mail server is set."""
    if not config.get("SMTP_HOST"):
        return None
    return MailSender(host=config["SMTP_HOST"], port=config.get("SMTP_PORT", 25), user=config.get("SMTP_USER", ""),
                      password=config.get("SMTP_PASSWORD", ""), starttls=config.get("SMTP_STARTTLS", False),
                      use_ssl=config.get("SMTP_SSL", False), sender=config.get("MAIL_FROM") or "thuvien@localhost")


def sms_gateway(config, data_dir=None):
    """The configured SMS gateway, or ``None`` when there is none."""
    kind = (config.get("SMS_GATEWAY") or "").lower()
    if kind == "http" and config.get("SMS_URL"):
        return HttpSmsGateway(url=config["SMS_URL"], method=config.get("SMS_METHOD") or "GET",
                              body=config.get("SMS_BODY") or "", timeout=config.get("SMS_TIMEOUT", 10))
    if kind == "outbox":
        return OutboxSmsGateway(config.get("SMS_OUTBOX") or Path(data_dir or ".") / "sms-outbox.jsonl")
    return None
