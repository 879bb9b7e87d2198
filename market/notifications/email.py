"""The e-mail channel's one exit: `send_email`. Everything else about notification mail (which
kinds, quiet hours, digest) is decided in notifications; sending, retries and the dev inbox
belong to the mail kernel (market/mail/)."""
from __future__ import annotations

from markupsafe import escape

from market.accounts.models import User
from market.db import unit_of_work
from market.mail.compose import queue_composed


def send_email(user: User, subject: str, text: str, html: str, language: str) -> None:
    """Queue the mail in the mail kernel's outbox; it is sent after the commit (SMTP_URL, or
    the dev inbox), retried there on a temporary refusal."""
    with unit_of_work() as s:
        queue_composed(s, to=user.email, subject=subject, text=text, html=html, language=language)
        s.commit()


def html_part(title: str, body: str, link: str) -> str:
    return (f"<!doctype html><html><body><h1 style=\"font-size:18px\">{escape(title)}</h1>"
            f"<p>{escape(body)}</p><p><a href=\"{escape(link)}\">{escape(link)}</a></p></body></html>")


def queue_email(session, user: User, subject: str, text: str, html: str, language: str) -> None:
    """The same, in the caller's unit of work: the mail commits with what it reports (the digest)."""
    queue_composed(session, to=user.email, subject=subject, text=text, html=html, language=language)
