"""The shape of a Stripe event, checked before anything acts on it. A delivery can be
correctly signed and still malformed (a test tool, a proxy, an API version we do not speak):
it is refused with a 400 naming the field, never half-applied nor a 500. Only the fields
the webhook handlers read are checked, each for the type Stripe documents."""
from __future__ import annotations

from market import errors


class BadWebhook(errors.DomainError):
    status = 400
    title = "Webhook refused"


def _bad(path: str, what: str) -> BadWebhook:
    return BadWebhook(f"malformed event: {path} {what}", field=path)


def _obj(value, path: str, *, optional: bool = False) -> dict:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise _bad(path, "must be an object")
    return value


def _text(node: dict, key: str, path: str, *, optional: bool = False, max_len: int = 255) -> None:
    value = node.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _bad(f"{path}.{key}", f"must be a non-empty string of at most {max_len} characters")


def _int(node: dict, key: str, path: str, *, optional: bool = False) -> None:
    value = node.get(key)
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{path}.{key}", "must be a whole number of minor units, 0 or more")


def _metadata(node: dict, path: str) -> None:
    metadata = _obj(node.get("metadata"), f"{path}.metadata", optional=True)
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise _bad(f"{path}.metadata.{key}", "must be a string")


def _money(node: dict, path: str) -> None:
    """An object that moves money: id, amount, currency, our metadata."""
    _text(node, "id", path)
    _int(node, "amount", path)
    _text(node, "currency", path, max_len=3)
    _metadata(node, path)


def _list(node: dict, key: str, path: str) -> list[dict]:
    items = _obj(node.get(key), f"{path}.{key}", optional=True).get("data") or []
    if not isinstance(items, list):
        raise _bad(f"{path}.{key}.data", "must be a list")
    return [_obj(item, f"{path}.{key}.data.{n}") for n, item in enumerate(items)]


def _payment_intent(pi: dict, path: str) -> None:
    _money(pi, path)
    _int(pi, "amount_received", path, optional=True)
    _text(pi, "status", path, optional=True)
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        _text(charge, "id", f"{path}.latest_charge")
    elif charge is not None and not isinstance(charge, str):
        raise _bad(f"{path}.latest_charge", "must be a charge id or object")
    error = _obj(pi.get("last_payment_error"), f"{path}.last_payment_error", optional=True)
    _text(error, "message", f"{path}.last_payment_error", optional=True, max_len=5000)


def _refund(refund: dict, path: str) -> None:
    _money(refund, path)
    _text(refund, "status", path, optional=True)
    _text(refund, "failure_reason", path, optional=True)


def _account(acct: dict, path: str) -> None:
    _text(acct, "id", path)
    capabilities = _obj(acct.get("capabilities"), f"{path}.capabilities", optional=True)
    _text(capabilities, "transfers", f"{path}.capabilities", optional=True)
    requirements = _obj(acct.get("requirements"), f"{path}.requirements", optional=True)
    due = requirements.get("currently_due")
    if due is not None and not (isinstance(due, list) and all(isinstance(x, str) for x in due)):
        raise _bad(f"{path}.requirements.currently_due", "must be a list of strings")
    for flag in ("details_submitted", "payouts_enabled"):
        if acct.get(flag) is not None and not isinstance(acct[flag], bool):
            raise _bad(f"{path}.{flag}", "must be true or false")


def check_event(event) -> tuple[str, str, dict]:
    """(id, type, object) of a well-formed event, or BadWebhook naming the first bad field."""
    event = _obj(event, "event")
    _text(event, "id", "event", max_len=64)
    _text(event, "type", "event", max_len=64)
    obj = _obj(_obj(event.get("data"), "data").get("object"), "data.object")
    path, type_ = "data.object", event["type"]
    _text(obj, "id", path)
    if type_.startswith("payment_intent."):
        _payment_intent(obj, path)
    elif type_ in ("transfer.created", "transfer.updated"):
        _money(obj, path)
    elif type_ == "transfer.reversed":
        _money(obj, path)
        for n, reversal in enumerate(_list(obj, "reversals", path)):
            _money(reversal, f"{path}.reversals.data.{n}")
    elif type_ in ("refund.created", "refund.updated", "charge.refund.updated"):
        _refund(obj, path)
    elif type_ == "charge.refunded":
        for n, refund in enumerate(_list(obj, "refunds", path)):
            _refund(refund, f"{path}.refunds.data.{n}")
    elif type_ == "account.updated":
        _account(obj, path)
    return event["id"], type_, obj
