"""Named domain errors. One handler (market.problems) maps them to HTTP."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or ({field: [detail]} if field else None)
        self.extra: dict = {}  # more members of the problem document (RFC 9457 extensions)


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

    def __init__(self, current: str, target: str, reason: str | None = None):
        msg = f"cannot move an order from '{current}' to '{target}'"
        super().__init__(f"{msg}: {reason}" if reason else msg, field="to")
        self.current, self.target = current, target
