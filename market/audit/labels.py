"""What the security log shows for each recorded action and detail (en, zh_CN through Babel);
the log stores the codes of market/accounts/domain_events.py ACTIONS."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "account.created": _l("Account created"), "login.succeeded": _l("Signed in"), "login.failed": _l("Sign-in failed"),
    "login.refused_locked": _l("Sign-in refused: account locked"), "account.locked": _l("Account locked"),
    "logout": _l("Signed out"), "password.reset_requested": _l("Password reset requested"),
    "password.reset": _l("Password reset"), "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"), "member.added": _l("Member added"),
}
DETAILS = {
    "org_kind": _l("Kind"), "role": _l("Role"), "failures": _l("Failed attempts"), "minutes": _l("Locked for (minutes)"),
    "address": _l("IP"), "unknown_login": _l("Unknown login (digest)"), "prefix": _l("Prefix"), "scope": _l("Scope"),
    "name": _l("Name"),
}
# values that are codes (an organization's kind, a member's role, a token's scope); the rest
# (counts, addresses, prefixes, names people gave their tokens) are shown as recorded
VALUES = {
    "factory": _l("Factory"), "buyer": _l("Buyer"), "lender": _l("Lender"), "operator": _l("Operator"),
    "owner": _l("owner"), "member": _l("member"), "read": _l("read only"), "write": _l("read and write"),
}
CODED = {"org_kind", "role", "scope"}


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def detail(key: str, value) -> str:
    shown = VALUES.get(value, value) if key in CODED else value
    return f"{DETAILS.get(key, key)}: {shown}"
