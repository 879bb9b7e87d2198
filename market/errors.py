"""Named domain errors. One handler (market.problems) maps them to HTTP."""
from __future__ import annotations

from flask_babel import force_locale


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or ({field: [detail]} if field else None)
        self.extra: dict = {}  # more members of the problem document (RFC 9457 extensions)
        # the refusal in the reader's language (a lazy string; see `refusal`): the portal flashes
        # it; None = only the English detail exists
        self.message = None


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Invalid(DomainError):
    status = 422
    title = "Validation failed"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class IllegalTransition(Conflict):
    title = "Illegal state transition"

    def __init__(self, current: str, target: str, reason: str | None = None, *, by_accepting_a_quote: bool = False):
        from flask_babel import lazy_gettext as _l

        from market.i18n import LABELS

        msg = f"cannot move an order from '{current}' to '{target}'"
        super().__init__(f"{msg}: {reason}" if reason else msg, field="to")
        self.current, self.target = current, target
        # the portal's words (the API keeps `detail`, with the reason in English)
        names = {"current": LABELS.get(current, current), "target": LABELS.get(target, target)}
        self.message = (_l("An order becomes %(target)s when you accept one of its quotes.", **names)
                        if by_accepting_a_quote else _l("An order that is %(current)s cannot move to %(target)s.", **names))
        self.errors = {"to": [self.message]}


def refusal(cls: type[DomainError], message, *, field: str | None = None, detail: str | None = None) -> DomainError:
    """A refusal worded once, for every reader: `message` is a lazy string (flask_babel's
    lazy_gettext with its values). The problem's detail is its English text (the API speaks
    English), or `detail` where the API says more (exact states and dates); the field message
    and the portal's flash (`market.web.forms.flashing_errors`) render `message` in the
    reader's language."""
    if detail is None:
        with force_locale("en"):
            detail = str(message)
    exc = cls(detail, field=field)
    exc.message = message
    if field:
        exc.errors = {field: [message]}
    return exc
