"""Composing a message: the caller's templates rendered in the recipient's language, queued
in the caller's unit of work so the mail commits (or not) with the change it tells about."""
from __future__ import annotations

from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from market.db import after_commit
from market.i18n import LANGUAGES
from market.mail import delivery
from market.mail.addresses import mail_domain
from market.mail.models import OutboxEmail


def render(template: str, *, to: str, subject, language: str | None, **context) -> OutboxEmail:
    """The message `templates/mail/<template>.txt` (text part) and `.html` (HTML part) make
    for `to`, in `language` ("en" or "zh_CN"; anything else is English). `subject` is a lazy
    string (flask_babel.lazy_gettext), translated here in that language. Links in `context`
    are the caller's, built with market.web.links.external_url (never from the request)."""
    language = language if language in LANGUAGES else "en"
    with force_locale(language):
        subject_text = str(subject)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", subject=subject_text, language=language, **context)
    return OutboxEmail(to_address=to[:254], subject=subject_text[:300], body=text, html_body=html, language=language,
                       message_id=make_msgid(domain=mail_domain()))


def queue(session: Session, template: str, *, to: str, subject, language: str | None, **context) -> OutboxEmail:
    """Render the message and add it to `session`; once that session commits, a background
    job sends it (unless MAIL_SEND_AFTER_COMMIT is off: then the periodic sweep does)."""
    return enqueue(session, render(template, to=to, subject=subject, language=language, **context))


def queue_composed(session: Session, *, to: str, subject: str, text: str, html: str, language: str | None) -> OutboxEmail:
    """Like `queue`, for a message its caller has already written in `language` (notifications
    render their own texts from the catalogue)."""
    return enqueue(session, OutboxEmail(to_address=to[:254], subject=subject[:300], body=text, html_body=html,
                                        language=language if language in LANGUAGES else "en",
                                        message_id=make_msgid(domain=mail_domain())))


def enqueue(session: Session, message: OutboxEmail) -> OutboxEmail:
    session.add(message)
    session.flush()
    after_commit(session, "mail_pending", message.id, _send_after_commit)
    return message


def _send_after_commit(ids: list[int]) -> None:
    if current_app.config["MAIL_SEND_AFTER_COMMIT"]:
        delivery.send_later(ids)
