"""Ledger operations the marketplace offers: status for the operator, checkpoints and
anchors (a periodic job or the operator's button), audit, and public proof bundles."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ledger.anchor import AnchorUnavailableError
from ledger.audit import AuditReport, audit
from ledger.errors import StoreError
from ledger.store import AnchorRecord, StoredCheckpoint

from market import errors, policy
from market.auth import Actor
from market.db import unit_of_work
from market.trace.ledger import get_anchorer, get_ledger

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
    if actor is not None:
        policy.require_kind(actor, "operator")
    with unit_of_work() as s:
        return audit(s.connection())


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
