"""The e-mail channel's one exit: `send_email`. Everything else about notification mail (which
kinds, quiet hours, digest, retries) is decided here, in notifications; the sending belongs to
the mail kernel (market/mail/), which the lead connects at this single call site."""
from __future__ import annotations

from markupsafe import escape

from market.accounts.models import OutboxEmail, User
from market.db import unit_of_work


def send_email(user: User, subject: str, text: str, html: str, language: str) -> None:
    """THE call site to connect to market.mail at merge (one line: market.mail's send with
    these arguments). Until then the message is queued in `outbox_emails`, where every other
    mail of the platform waits (the HTML part and the language are not kept there)."""
    with unit_of_work() as s:
        s.add(OutboxEmail(to_address=user.email, subject=subject[:300], body=text))
        s.commit()


def html_part(title: str, body: str, link: str) -> str:
    return (f"<!doctype html><html><body><h1 style=\"font-size:18px\">{escape(title)}</h1>"
            f"<p>{escape(body)}</p><p><a href=\"{escape(link)}\">{escape(link)}</a></p></body></html>")
