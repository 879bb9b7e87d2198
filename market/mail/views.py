"""The operator's mail page: where mail goes, the queue (status, attempts, last error) and,
when no SMTP server is configured, the dev inbox (list and read each message)."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup, escape

from market import policy
from market.auth import portal_actor
from market.mail import delivery, inbox, transport

bp = Blueprint("mail", __name__)
URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Plain text with its http(s) links clickable; everything else escaped."""
    out, last = [], 0
    for match in URL.finditer(text):
        out += [escape(text[last:match.start()]), Markup('<a href="{0}">{0}</a>').format(match.group(0))]
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def dev_inbox_in_use() -> bool:
    return not current_app.config.get("SMTP_URL")


def flash_where_mail_goes() -> None:
    """After a page queued a mail: with no mail server configured, say where it really is."""
    if dev_inbox_in_use():
        flash(_("No mail server is configured: the message is in this server's dev inbox, which the platform "
                "operator reads on the Mail page of the operator console."), "info")


def _operator() -> None:
    policy.require_kind(portal_actor(), "operator")


@bp.get("/operator/mail")
@login_required
def index():
    _operator()
    config = current_app.config
    try:
        destination = transport.for_app(config).describe()
    except ValueError as exc:  # a mistyped SMTP_URL: every send fails and waits; say why here
        destination = f"SMTP_URL ({exc})"
    return render_template("mail/operator/index.html", destination=destination,
                           dev_inbox=dev_inbox_in_use(), queue=delivery.recent(),
                           messages=inbox.list_messages(config["MAIL_DIR"]) if dev_inbox_in_use() else [])


@bp.get("/operator/mail/<name>")
@login_required
def message(name: str):
    _operator()
    found = inbox.read_message(current_app.config["MAIL_DIR"], name)
    if found is None:
        abort(404)
    return render_template("mail/operator/message.html", message=found, linkify=linkify)


@bp.post("/operator/mail/queue/<int:mail_id>/retry")
@login_required
def retry(mail_id: int):
    _operator()
    if delivery.retry_now(mail_id):
        delivery.send_later([mail_id])
        flash(_("The message will be sent again."), "success")
    return redirect(url_for("mail.index"))
