"""Ledger operations the marketplace offers: status for the operator, checkpoints and
anchors (a periodic job or the operator's button), audit, and public proof bundles."""
from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.anchor import AnchorUnavailableError
from ledger.audit import AuditReport, audit
from ledger.cosign import with_cosignatures
from ledger.entry import decode_entry
from ledger.errors import StoreError
from ledger.store import AnchorRecord, StoredCheckpoint

from market import errors, policy
from market.auth import Actor
from market.db import unit_of_work
from market.orders.models import Order
from market.production import codes, genealogy
from market.production.models import Lot
from market.journal.ledger import get_anchorer, get_ledger
from market.subcontracting.queries import name_disclosed

log = logging.getLogger("market.ledger")


@dataclass(frozen=True)
class LedgerStatus:
    size: int
    root_hex: str
    checkpoints: list[tuple[StoredCheckpoint, list[AnchorRecord]]]


def status(actor: Actor, *, last: int = 10) -> LedgerStatus:
    policy.require_kind(actor, "operator")
    ledger = get_ledger()
    with unit_of_work() as s:
        conn = s.connection()
        head = ledger.store.head(conn)
        latest = ledger.store.checkpoints(conn)[-last:][::-1]
        return LedgerStatus(head.size, head.root.hex(), [(cp, ledger.store.anchors(conn, cp.seq)) for cp in latest])


def checkpoint(*, anchor: bool = True) -> tuple[StoredCheckpoint, AnchorRecord | None, str | None]:
    """Sign a checkpoint of the current tree, then try to anchor it. A chain that cannot be
    reached leaves a 'failed' anchor row to retry later; the ledger itself is unaffected."""
    ledger = get_ledger()
    with unit_of_work() as s:
        cp = ledger.sign_checkpoint(s.connection())
        s.commit()
    if not anchor:
        return cp, None, None
    with unit_of_work() as s:
        try:
            record = ledger.anchor_checkpoint(s.connection(), get_anchorer(), seq=cp.seq)
            s.commit()
            return cp, record, None
        except AnchorUnavailableError as exc:
            s.commit()  # keep the 'failed' row: it is the retry's to-do
            log.warning("anchoring failed; will retry", extra={"checkpoint": cp.seq, "error": str(exc)})
            return cp, None, str(exc)


def run_audit(actor: Actor | None = None) -> AuditReport:
    """The whole ledger, every checkpoint's signature checked with the platform's key (an
    unkeyed audit would take a garbled or re-dated note for a good one)."""
    if actor is not None:
        policy.require_kind(actor, "operator")
    public_key = get_ledger().signer.public_key
    with unit_of_work() as s:
        return audit(s.connection(), public_key=public_key)


def proof_bundle(index: int) -> dict:
    """Public: entry `index` with its inclusion proof against the latest signed checkpoint."""
    ledger = get_ledger()
    with unit_of_work() as s:
        conn = s.connection()
        if not 0 <= index < ledger.store.size(conn):
            raise errors.NotFound(f"no ledger entry {index}")
        try:
            return ledger.export_bundle(conn, index)
        except StoreError as exc:
            raise errors.Conflict(str(exc)) from None


# how the trace page calls a sub-tier that did not consent to show its name (subcontracting's
# rule, the same as on the tiers page); spelled per tier, since Chinese counts in words (一级, 二级)
TIER_SUPPLIER = {1: _l("Tier 1 supplier"), 2: _l("Tier 2 supplier"), 3: _l("Tier 3 supplier"),
                 4: _l("Tier 4 supplier"), 5: _l("Tier 5 supplier")}
TIER_MACHINE = _l("a machine of this supplier")


def _unnamed_tier(s: Session, order: Order) -> tuple[str, str] | None:
    if name_disclosed(s, order):
        return None
    return str(TIER_SUPPLIER.get(order.tier, _l("Tier %(n)s supplier", n=order.tier))), str(TIER_MACHINE)


def lot_trace(code_text: str) -> dict:
    """Public: a lot's ledger entries, each with its inclusion proof against one signed
    checkpoint that covers them all (signed now if the latest one is older than the lot's
    last event), so a visitor can check everything without trusting us."""
    code = codes.normalize(code_text)
    with unit_of_work() as s:
        lot = s.scalar(select(Lot).where(Lot.trace_code == code)) if code else None
        if lot is None:
            raise errors.NotFound(f"no lot has trace code {code_text}")
        order = s.get(Order, lot.order_id)
        own = genealogy.lot_indices(s, lot)
        inputs, tree_indices, names, cut = genealogy.tree(s, lot, _unnamed_tier)
        names.update(genealogy.lot_names(s, lot))
        indices = sorted(set(own) | set(tree_indices))
        facts = {"trace_code": codes.display(lot.trace_code), "part_number": order.part_number,
                 "quantity": lot.quantity, "status": lot.status, "own_entries": own,
                 "documents": genealogy.lot_documents_shown(s, lot), "genealogy": inputs, "genealogy_cut": cut}
    ledger = get_ledger()
    with unit_of_work() as s:
        cp = ledger.store.latest_checkpoint(s.connection())
    if indices and (cp is None or cp.tree_size <= indices[-1]):
        cp = checkpoint(anchor=False)[0]
    with unit_of_work() as s:
        conn = s.connection()
        entries = [{"index": i, "entry": base64.b64encode(ledger.store.entry(conn, i)).decode(),
                    "inclusion_path": [base64.b64encode(h).decode()
                                       for h in ledger.store.inclusion_proof(conn, i, cp.tree_size)]}
                   for i in indices]
        anchors = [a for a in ledger.store.anchors(conn, cp.seq) if a.status == "confirmed"] if cp else []
        note = with_cosignatures(cp.note, ledger.store.cosignature_lines(conn, cp.seq)) if cp else ""
    for e in entries:
        e["event"] = decode_entry(base64.b64decode(e["entry"])).event
    return {**facts, "names": names, "entries": entries, "size": cp.tree_size if cp else 0,
            "witness_keys": list(current_app.config.get("LEDGER_WITNESS_KEYS") or []),
            "witness_quorum": int(current_app.config.get("LEDGER_WITNESS_QUORUM") or 0),
            "checkpoint": note, "public_key": cp.verifier_key if cp else "",
            "anchor": ({"chain_id": anchors[-1].chain_id, "tx_hash": anchors[-1].tx_hash,
                        "block_number": anchors[-1].block_number} if anchors else None)}


def _published_size(conn) -> int:
    return get_ledger().store.published_size(conn)


def consistency(old: int, new: int) -> dict:
    """Public: the RFC 9162 proof that tree `old` is a prefix of tree `new` (both published)."""
    store = get_ledger().store
    with unit_of_work() as s:
        conn = s.connection()
        published = _published_size(conn)
        if not old <= new <= published:
            raise errors.Invalid(f"need old <= new <= {published} (the latest checkpoint's size)",
                                 field="new")
        b64 = lambda h: base64.b64encode(h).decode()  # noqa: E731
        return {"old_size": old, "new_size": new, "old_root": b64(store.root(conn, old)),
                "new_root": b64(store.root(conn, new)),
                "proof": [b64(h) for h in store.consistency_proof(conn, old, new)]}


def inclusion(index: int, size: int) -> dict:
    """Public: the RFC 9162 inclusion proof of entry `index` in the published tree `size`."""
    store = get_ledger().store
    with unit_of_work() as s:
        conn = s.connection()
        published = _published_size(conn)
        if not index < size <= published:
            raise errors.Invalid(f"need index < size <= {published} (the latest checkpoint's size)",
                                 field="size")
        b64 = lambda h: base64.b64encode(h).decode()  # noqa: E731
        return {"index": index, "size": size, "leaf_hash": b64(store.level_hashes(conn, 0, index, index + 1)[0]),
                "root": b64(store.root(conn, size)),
                "proof": [b64(h) for h in store.inclusion_proof(conn, index, size)]}
