"""Ledger events: what / when / where / why, aligned with GS1 EPCIS 2.0 and CBV 2.0.

An ``Event`` records one business fact.  Its dimensions follow EPCIS:

* ``what`` — the objects: order, lot, part number, quantities (``epcList``,
  ``quantityList`` or our own opaque ids);
* ``when`` — timezone-aware UTC instant, ISO 8601 on the wire;
* ``where`` — ``readPoint`` / ``bizLocation`` (factory, machine, site ids);
* ``why`` — ``bizStep`` and ``disposition`` from the CBV vocabularies, and
  ``bizTransactionList`` entries ``{"type": "po", "bizTransaction": "..."}``.

``data`` holds type-specific details (QC measurements, amounts in minor units).
Events are never edited: a correction is a new event whose ``corrects`` names
the ledger index and leaf hash of the entry it corrects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from typing import Any

from ledger.encoding import canonical_bytes_unchecked, check_canonical
from ledger.errors import EncodingError, EventError

# CBV 2.0 §7.1 business steps.
BIZ_STEPS = frozenset("""
accepting arriving assembling collecting commissioning consigning creating_class_instance
cycle_counting decommissioning departing destroying disassembling dispensing encoding
entering_exiting holding inspecting installing killing loading other packing picking
receiving removing repackaging repairing replacing reserving retail_selling sampling
sensor_reporting shipping staging_outbound stock_taking stocking storing transporting
unloading unpacking void_shipping
""".split())

# CBV 2.0 §7.2 dispositions.
DISPOSITIONS = frozenset("""
active available completeness_inferred completeness_verified conformant container_closed
container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement
no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved
retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown
""".split())

# CBV 2.0 §7.3 business transaction types.
BIZ_TRANSACTION_TYPES = frozenset("bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt".split())

# Our event types and the CBV business step each one corresponds to (None: no EPCIS step).
EVENT_TYPES: dict[str, str | None] = {
    "order.posted": None,
    "order.state_changed": None,
    "order.cancelled": None,
    "quote.issued": None,
    "quote.accepted": "accepting",
    "booking.reserved": "reserving",
    "booking.released": None,
    "lot.commissioned": "commissioning",
    "operation.started": "assembling",
    "operation.completed": "assembling",
    "qc.recorded": "inspecting",
    "material.received": "receiving",
    "lot.consumed": "commissioning",  # an EPCIS TransformationEvent: inputs consumed into a lot
    "document.attached": None,
    "shipment.shipped": "shipping",
    "delivery.confirmed": "receiving",
    "telemetry.daily_summary": "sensor_reporting",
    "telemetry.machine_day_summary": "sensor_reporting",
    "credit.report_issued": None,
    "consent.granted": None,
    "consent.revoked": None,
    "consent.viewed": None,
    "payment.intent_created": None,
    "payment.captured": None,
    "payment.released": None,
    "payment.transferred": None,
    "payment.refunded": None,
    "payment.reversed": None,
    "payment.commission_charged": None,
    "dispute.opened": None,
    "dispute.resolved": None,
    "financing.applied": None,
    "financing.decided": None,
    "financing.disbursed": None,
    "financing.repaid": None,
    "lease.offered": None,
    "lease.signed": None,
    "lease.disbursed": None,
    "lease.rent_invoiced": None,
    "lease.rent_paid": None,
    "lease.rent_overdue": None,
    "insurance.policy_offered": None,
    "insurance.policy_issued": None,
    "insurance.premium_invoiced": None,
    "insurance.premium_paid": None,
    "insurance.claim_filed": None,
    "insurance.claim_decided": None,
}

# Further types are accepted when they are well formed and live in one of these namespaces,
# so a new payment or order step does not need a ledger release.
EVENT_NAMESPACES = frozenset(t.split(".")[0] for t in EVENT_TYPES)

_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def format_when(when: datetime) -> str:
    """Return ``when`` in UTC as ISO 8601 with a ``Z`` suffix (microseconds if any).

    Preconditions: ``when`` is timezone-aware.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise EventError(f"event time {when.isoformat()} has no time zone; use an aware UTC datetime")
    text = when.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    return text + "Z"


def parse_when(text: str) -> datetime:
    """Parse an ISO 8601 instant with a ``Z`` or numeric offset into an aware UTC datetime."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError) as exc:
        raise EventError(f"event time {text!r} is not ISO 8601") from exc
    if when.tzinfo is None:
        raise EventError(f"event time {text!r} has no time zone")
    return when.astimezone(timezone.utc)


@dataclass(frozen=True)
class Correction:
    """Reference from a correcting event to the ledger entry it corrects."""

    index: int
    leaf_hash: str  # hex SHA-256 leaf hash of the corrected entry

    def __post_init__(self) -> None:
        if not isinstance(self.index, int) or isinstance(self.index, bool) or self.index < 0:
            raise EventError(f"corrected index {self.index!r} must be a non-negative integer")
        if not re.fullmatch(r"[0-9a-f]{64}", str(self.leaf_hash)):
            raise EventError(f"corrected leaf hash {self.leaf_hash!r} must be 64 lowercase hex digits")

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leaf_hash": self.leaf_hash}


@dataclass(frozen=True)
class Event:
    """One business fact; validates itself on construction (raises ``EventError``)."""

    type: str
    org: str
    when: datetime | str
    what: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Any] = field(default_factory=dict)
    why: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    corrects: Correction | None = None

    def __post_init__(self) -> None:
        self._check_type()
        if not isinstance(self.org, str) or not self.org:
            raise EventError(f"event org {self.org!r} must be a non-empty string")
        when = parse_when(self.when) if isinstance(self.when, str) else self.when
        if not isinstance(when, datetime):
            raise EventError(f"event time {self.when!r} must be a datetime or ISO 8601 string")
        object.__setattr__(self, "_when_text", format_when(when))
        object.__setattr__(self, "when", when.astimezone(timezone.utc))
        for name in ("what", "where", "why", "data"):
            value = getattr(self, name)
            if not isinstance(value, dict):
                raise EventError(f"event {name} must be a dict, got {type(value).__name__}")
            try:
                check_canonical(value, f"$.{name}")
            except EncodingError as exc:
                raise EventError(str(exc)) from exc
        self._check_why()
        if self.corrects is not None and not isinstance(self.corrects, Correction):
            raise EventError("event corrects must be a Correction")

    def _check_type(self) -> None:
        if not isinstance(self.type, str) or not _TYPE_RE.match(self.type):
            raise EventError(f"event type {self.type!r} is not of the form namespace.name")
        if self.type not in EVENT_TYPES and self.type.split(".")[0] not in EVENT_NAMESPACES:
            raise EventError(f"event type {self.type!r} is not in the vocabulary")

    def _check_why(self) -> None:
        step = self.why.get("bizStep")
        if step is not None and step not in BIZ_STEPS:
            raise EventError(f"bizStep {step!r} is not a CBV business step")
        disposition = self.why.get("disposition")
        if disposition is not None and disposition not in DISPOSITIONS:
            raise EventError(f"disposition {disposition!r} is not a CBV disposition")
        transactions = self.why.get("bizTransactionList", [])
        if not isinstance(transactions, list):
            raise EventError("bizTransactionList must be a list")
        for i, tx in enumerate(transactions):
            if not isinstance(tx, dict) or not isinstance(tx.get("bizTransaction"), str):
                raise EventError(f"bizTransactionList[{i}] needs a bizTransaction string")
            if tx.get("type") not in BIZ_TRANSACTION_TYPES:
                raise EventError(f"bizTransactionList[{i}] type {tx.get('type')!r} is not a CBV transaction type")

    @cached_property
    def canonical(self) -> bytes:
        """The canonical JSON bytes of ``to_dict()``, computed once (the event is immutable)."""
        return canonical_bytes_unchecked(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON-ready values (the ``event`` of an entry)."""
        out: dict[str, Any] = {
            "type": self.type,
            "org": self.org,
            "when": self._when_text,  # type: ignore[attr-defined]
            "what": self.what,
            "where": self.where,
            "why": self.why,
            "data": self.data,
        }
        if self.corrects is not None:
            out["corrects"] = self.corrects.to_dict()
        return out

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Event:
        """Rebuild an event from ``to_dict`` output (raises ``EventError`` if malformed)."""
        if not isinstance(value, dict):
            raise EventError("event must be a JSON object")
        known = {"type", "org", "when", "what", "where", "why", "data", "corrects"}
        unknown = set(value) - known
        if unknown:
            raise EventError(f"unknown event fields {sorted(unknown)}")
        corrects = value.get("corrects")
        try:
            return cls(
                type=value.get("type"),  # type: ignore[arg-type]
                org=value.get("org"),  # type: ignore[arg-type]
                when=value.get("when"),  # type: ignore[arg-type]
                what=value.get("what", {}),
                where=value.get("where", {}),
                why=value.get("why", {}),
                data=value.get("data", {}),
                corrects=Correction(**corrects) if isinstance(corrects, dict) else corrects,
            )
        except TypeError as exc:
            raise EventError(f"malformed event: {exc}") from exc

    def correction(self, *, index: int, leaf_hash: bytes | str, **changes: Any) -> Event:
        """Return a new event correcting ledger entry ``index``; ``changes`` replace fields."""
        ref = Correction(index=index, leaf_hash=leaf_hash.hex() if isinstance(leaf_hash, bytes) else leaf_hash)
        fields = {
            "type": self.type, "org": self.org, "when": self.when, "what": self.what,
            "where": self.where, "why": self.why, "data": self.data,
        }
        fields.update(changes)
        return Event(**fields, corrects=ref)
