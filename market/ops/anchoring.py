"""The periodic checkpoint: sign when the ledger grew, then anchor whatever is pending.

A checkpoint is *pending* while no confirmed anchor exists for it or for a later one (a
later checkpoint extends the earlier, proven by a consistency proof, so anchoring the
latest covers them all). An anchor is confirmed only once ANCHOR_CONFIRMATIONS blocks are
on it; each run checks a submitted one again, and one a reorg dropped is sent anew
(Ledger.advance_anchor). When the chain is down the attempt is recorded as a 'failed'
anchor row, the ledger keeps appending, /readyz and /metrics show the backlog, and the
next run anchors the latest checkpoint once the chain answers again.
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from ledger.errors import AnchorUnavailableError
from ledger.sql_tables import ledger_anchors
from market.db import unit_of_work
from market.metrics import ANCHOR_ATTEMPTS
from market.journal.ledger import get_anchorer, get_ledger

log = logging.getLogger("market.ledger")


def _confirmed_seq(conn) -> int | None:
    return conn.execute(select(func.max(ledger_anchors.c.checkpoint_seq))
                        .where(ledger_anchors.c.status == "confirmed")).scalar()


def checkpoint_and_anchor() -> dict:
    ledger = get_ledger()
    with unit_of_work() as s:
        conn = s.connection()
        latest = ledger.store.latest_checkpoint(conn)
        size = ledger.store.size(conn)
        if size and (latest is None or latest.tree_size < size):
            latest = ledger.sign_checkpoint(conn)
            s.commit()
            signed = latest.seq
        else:
            signed = None
    out = {"signed": signed, "anchored": None, "pending": 0}
    if latest is None:
        return out
    with unit_of_work() as s:
        conn = s.connection()
        confirmed = _confirmed_seq(conn)
        if confirmed is not None and confirmed >= latest.seq:
            return out
        try:
            record = ledger.advance_anchor(conn, get_anchorer(), seq=latest.seq)
        except AnchorUnavailableError as exc:
            out["pending"] = _pending(ledger, conn, confirmed)
            s.commit()  # keep the 'failed' row: the attempt is on record, the next run retries
            ANCHOR_ATTEMPTS.labels("failed").inc()
            log.warning("anchoring failed; will retry", extra={"checkpoint": latest.seq, "error": str(exc)[:300]})
            out["error"] = str(exc)[:300]
            return out
        if record.status != "confirmed":  # mined, awaiting confirmations: still pending
            out["pending"] = _pending(ledger, conn, confirmed)
            s.commit()
            out["submitted"] = {"checkpoint": latest.seq, "tx": record.tx_hash, "block": record.block_number}
            return out
        s.commit()
    ANCHOR_ATTEMPTS.labels("confirmed").inc()
    out["anchored"] = {"checkpoint": latest.seq, "tx": record.tx_hash, "block": record.block_number}
    return out


def _pending(ledger, conn, confirmed: int | None) -> int:
    return len([cp for cp in ledger.store.checkpoints(conn) if confirmed is None or cp.seq > confirmed])
