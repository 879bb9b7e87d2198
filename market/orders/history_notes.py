"""The notes the system writes on an order's history ("cheapest quote ready", "lot … started").
They are stored and served by the API in English, as written; the portal shows each in the
reader's language (`shown`, the `history_note` filter). A note a person typed (a cancellation
reason) matches no template and is shown as typed.

Every domain that writes a note calls one of the templates below, so what is written and what
is recognised for translation cannot drift apart (tests/market/test_history_notes.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask
from flask_babel import lazy_gettext as _l

# the words a note carries as parameters that are themselves the system's (quote labels, outcomes)
WORDS = {"cheapest": _l("Cheapest"), "fastest": _l("Fastest"), "balanced": _l("Balanced"), "bid": _l("Bid"),
         "released": _l("payment released"), "partial refund": _l("partial refund"), "full refund": _l("full refund")}


@dataclass(frozen=True)
class Note:
    english: str  # a str.format template: what is written to the history
    shown_as: object  # the same with %(name)s placeholders, translated when shown
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = re.split(r"\{(\w+)\}", self.english)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        object.__setattr__(self, "pattern", re.compile(regex, re.DOTALL))

    def __call__(self, **params) -> str:
        return self.english.format(**params)


QUOTE_READY = Note("{label} quote ready", _l("%(label)s quote ready"))
QUOTE_ACCEPTED = Note("quote {label} accepted", _l("quote %(label)s accepted"))
QUOTES_EXPIRED = Note("quotes expired", _l("quotes expired"))
REPLANNED = Note("re-planned after a machine breakdown; work now ends {at}",
                 _l("re-planned after a machine breakdown; work now ends %(at)s"))
NOT_REPLANNED = Note("could not be re-planned: no other machine of the factory can take operation(s) {where}; the work "
                     "stays booked on a machine that is not running. The buyer may re-quote the order elsewhere.",
                     _l("could not be re-planned: no other machine of the factory can take operation(s) %(where)s; the "
                        "work stays booked on a machine that is not running. The buyer may re-quote the order "
                        "elsewhere."))
# orders are named by their title, never by an id (notes written before named the order's UUID:
# REPOSTED_BY_ID and REQUOTED_BY_ID still recognise those)
REPOSTED = Note("re-posted from the earlier order “{title}” after its re-plan failed",
                _l("re-posted from the earlier order “%(title)s” after its re-plan failed"))
REQUOTED = Note("re-quoted as a new order “{title}”: its work was stuck on a machine that is down",
                _l("re-quoted as a new order “%(title)s”: its work was stuck on a machine that is down"))
REPOSTED_BY_ID = Note("re-posted from order {order} after its re-plan failed",
                      _l("re-posted from order %(order)s after its re-plan failed"))
REQUOTED_BY_ID = Note("re-quoted as order {order}: its work was stuck on a machine that is down",
                      _l("re-quoted as order %(order)s: its work was stuck on a machine that is down"))
SUBCONTRACTED = Note("subcontracted: operation(s) {operations} of a tier-{tier} order",
                     _l("subcontracted: operation(s) %(operations)s of a tier-%(tier)s order"))
SUB_TIER_STOPS = Note("the sub-tier agreed to stop (the operator settles the work done)",
                      _l("the sub-tier agreed to stop (the operator settles the work done)"))
SUB_TIER_FINISHES = Note("the sub-tier finishes the work it started (the operator mediates)",
                         _l("the sub-tier finishes the work it started (the operator mediates)"))
PARENT_CANCELLED = Note("the order it was subcontracted from was cancelled",
                        _l("the order it was subcontracted from was cancelled"))
LOT_STARTED = Note("lot {code} started", _l("lot %(code)s started"))
EVERY_LOT_SHIPPED = Note("every lot shipped", _l("every lot shipped"))
EVERY_LOT_RECEIVED = Note("every lot received", _l("every lot received"))
DISPUTE_RESOLVED = Note("dispute resolved: {outcome}", _l("dispute resolved: %(outcome)s"))
AUTO_DELIVERED = Note("delivery confirmed automatically after {days} days",
                      _l("delivery confirmed automatically after %(days)s days"))

NOTES = (QUOTE_READY, QUOTE_ACCEPTED, QUOTES_EXPIRED, REPLANNED, NOT_REPLANNED, REPOSTED, REQUOTED, REPOSTED_BY_ID,
         REQUOTED_BY_ID, SUBCONTRACTED,
         SUB_TIER_STOPS, SUB_TIER_FINISHES, PARENT_CANCELLED, LOT_STARTED, EVERY_LOT_SHIPPED, EVERY_LOT_RECEIVED,
         DISPUTE_RESOLVED, AUTO_DELIVERED)


def _instant(text: str) -> str:
    """A time a note carries (ISO 8601, UTC) as the portal shows times: local, never UTC."""
    from market.i18n import iso_local

    try:
        return iso_local(text)
    except ValueError:
        return text


def shown(note: str | None) -> str:
    """The note in the reader's language: a system note translated, a typed one as typed."""
    if not note:
        return ""
    for template in NOTES:
        m = template.pattern.fullmatch(note)
        if m:
            params = {k: _instant(v) if k == "at" else str(WORDS.get(v, v)) for k, v in m.groupdict().items()}
            return str(template.shown_as) % params
    return note


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(history_note=shown)
