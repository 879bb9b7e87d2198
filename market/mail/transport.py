"""Where a message goes: the SMTP server of SMTP_URL, or the local dev inbox.

SMTP_URL forms:
- `smtp://[user:password@]host[:port]` (port 25): STARTTLS when the server offers it;
  `?starttls=1` requires it (refuses to send in clear), `?starttls=0` never asks.
- `smtps://[user:password@]host[:port]` (port 465): TLS from the first byte.
User and password are percent-encoded in the URL. The server's certificate is checked
against the system's CAs unless `?verify=0` (a test server with a self-signed certificate).
"""
from __future__ import annotations

import hashlib
import os
import smtplib
import socket
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class TemporaryFailure(Exception):
    """Try again later: a 4xx answer, a server that cannot be reached or timed out."""


class PermanentFailure(Exception):
    """Do not try again: the server refused this message for good (5xx)."""


def _classify(exc: Exception) -> Exception:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in exc.recipients.items())
        return (PermanentFailure if codes and all(c >= 500 for c in codes) else TemporaryFailure)(f"refused: {detail}")
    # a wrong password is the operator's to fix: the message waits for it instead of failing
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, smtplib.SMTPAuthenticationError):
        kind = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
        return kind(f"{exc.smtp_code} {exc.smtp_error!r}")
    return TemporaryFailure(f"{type(exc).__name__}: {exc}")


class Smtp:
    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
        if not parts.hostname:
            raise ValueError("SMTP_URL names no host")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.implicit_tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password or "")
        self.starttls = {"1": True, "0": False}.get(query.get("starttls", ""), None)  # None: when offered
        self.timeout = timeout
        self.context = ssl.create_default_context()
        if query.get("verify") == "0":
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def describe(self) -> str:
        """For the operator: where mail goes, without the password."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not self.implicit_tls and self.starttls is not False:
                    if client.has_extn("starttls"):
                        client.starttls(context=self.context)
                        client.ehlo()
                    elif self.starttls:
                        raise TemporaryFailure(f"{self.host} does not offer STARTTLS and SMTP_URL requires it")
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(message)
        except (TemporaryFailure, PermanentFailure):
            raise
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise _classify(exc) from exc


class DevInbox:
    """The embedded default: each message is an .eml file in `directory`, named by its
    Message-ID, so sending one again after a crash rewrites the same file."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def describe(self) -> str:
        return f"dev inbox {self.directory}"

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = file_name(message)
        # written aside and renamed: a reader never sees half a message
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(message.as_bytes())
        os.replace(tmp, self.directory / name)


def file_name(message: EmailMessage) -> str:
    when = parsedate_to_datetime(message["Date"]).strftime("%Y%m%dT%H%M%SZ")
    return f"{when}-{hashlib.sha256(str(message['Message-ID']).encode()).hexdigest()[:16]}.eml"


def for_app(config) -> Smtp | DevInbox:
    if config.get("SMTP_URL"):
        return Smtp(config["SMTP_URL"], float(config["SMTP_TIMEOUT_S"]))
    return DevInbox(config["MAIL_DIR"])
