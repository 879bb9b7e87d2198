"""Confirmation before an irreversible action (accept a quote, cancel an order, revoke a token).

One mechanism for every page: the `confirm` macro (templates/macros.html) renders the action's
button inside a GET form to `/confirm` carrying a signed ticket, and a `<dialog>` holding the
real POST form. With JavaScript (static/confirm.js) the button opens the dialog in place;
without it, the GET opens the confirm page, which shows the same question and the same POST
form. The ticket is signed (HMAC-SHA256) with the app's secret, so a link made elsewhere cannot put words of
its choosing above one of our buttons, and its action is a path on this site.

An action on typed input (a decision with an amount, a dispute with its reason) cannot carry
its values in a ticket made when the page was drawn: its form posts what was typed, the view
checks it (a mistake comes back on the form) and, unless the post says `confirmed`, answers
with the same confirm page whose POST form carries the typed values through as hidden fields
(`typed`). With JavaScript the `confirm_typed` macro's <dialog> asks in place and adds
`confirmed` itself.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request

from market.errors import NotFound
from market.web.redirects import local_path

_SALT = "confirm-v1"


@dataclass(frozen=True)
class Confirmation:
    action: str  # the path the confirmed form posts to
    label: str  # the button's words ("Accept this quote")
    question: str  # what will happen, in the reader's language
    fields: dict  # hidden fields the action needs (besides the CSRF token)
    back: str  # where "Cancel" returns to: the page that asked


def _mac(body: bytes) -> bytes:
    key = hashlib.sha256((_SALT + str(current_app.config["SECRET_KEY"])).encode()).digest()
    return hmac.new(key, body, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ticket(action: str, label, question, fields: dict | None = None) -> str:
    """The signed ticket of one confirmation, asked from the current page."""
    if local_path(action, "") != action:
        raise ValueError(f"a confirmed action posts to a path on this site, not {action!r}")
    back = _asking_page()
    body = json.dumps({"a": action, "l": str(label), "q": str(question), "b": back,
                       "f": {str(k): str(v) for k, v in (fields or {}).items()}},
                      ensure_ascii=False, separators=(",", ":")).encode()
    return f"{_b64(body)}.{_b64(_mac(body))}"


def _asking_page() -> str:
    """Where "Cancel" returns: the page showing the button; a page rendered for a POST (a form
    shown again with its errors) returns to the page the form was on, which a GET can open."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    return local_path(referrer.path + (f"?{referrer.query}" if referrer.query else ""), "/")


def read(text: str | None) -> Confirmation:
    """A ticket back from the browser; a forged or mangled one is a 404, like an unknown page."""
    try:
        body_text, mac_text = (text or "").split(".")
        body = _unb64(body_text)
        if not hmac.compare_digest(_unb64(mac_text), _mac(body)):
            raise ValueError("bad signature")
        data = json.loads(body)
    except (ValueError, TypeError, UnicodeDecodeError):  # binascii.Error and JSONDecodeError are ValueErrors
        raise NotFound("no such confirmation") from None
    return Confirmation(action=local_path(data["a"], "/"), label=data["l"], question=data["q"],
                        fields=dict(data["f"]), back=local_path(data["b"], "/"))


CONFIRMED = "confirmed"  # the field a confirmed post of typed input carries


def typed(label, question):
    """The confirm page for the typed input of this POST, or None once it is confirmed.
    The page's form posts every field back (lists whole) with `confirmed`; its Cancel
    returns to the page the form was on."""
    if request.form.get(CONFIRMED) == "1":
        return None
    fields = {k: request.form.getlist(k) for k in request.form if k not in ("csrf_token", CONFIRMED)}
    fields[CONFIRMED] = "1"
    c = Confirmation(action=request.path, label=str(label), question=str(question), fields=fields, back=_asking_page())
    return render_template("confirm.html", c=c)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(confirm_ticket=ticket)
