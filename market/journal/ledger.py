"""The marketplace's handle on the pure ledger: one Ledger per app, appends inside the
caller's transaction (the business change and its event commit together or not at all)."""
from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy.orm import Session

from ledger.anchor import Anchorer
from ledger.cosign import with_cosignatures
from ledger.errors import StoreError
from ledger.events import Event
from ledger.log import Ledger
from ledger.signing import NoteSigner, load_or_create_private_key, load_private_key
from ledger.sql_store import SqlLedgerStore
from ledger.store import AppendedEntry, StoredCheckpoint
from market import errors


def init_app(app: Flask) -> None:
    # LEDGER_ORIGIN, LEDGER_SIGNING_KEY, ANCHOR_*: market/settings.py
    app.extensions["ledger"] = None  # built on first use: keys and chains are not made at start-up


def get_ledger() -> Ledger:
    app = current_app
    if app.extensions.get("ledger") is None:
        text = app.config["LEDGER_SIGNING_KEY"]
        # dev default: a key generated once and kept under var/ (0600)
        key = load_private_key(text) if text else load_or_create_private_key(Path(app.config["VAR_DIR"]) / "ledger_ed25519.key")
        app.extensions["ledger"] = Ledger(SqlLedgerStore(), NoteSigner(app.config["LEDGER_ORIGIN"], key))
    return app.extensions["ledger"]


def get_anchorer() -> Anchorer:
    """The configured chain, or the in-process EVM (one per process: its state lives in memory)."""
    app = current_app
    if app.extensions.get("anchorer") is None:
        url = app.config["ANCHOR_RPC_URL"]
        app.extensions["anchorer"] = (
            Anchorer.from_rpc(url, app.config["ANCHOR_PRIVATE_KEY"],
                              contract_address=app.config.get("ANCHOR_CONTRACT_ADDRESS"),
                              confirmations=app.config.get("ANCHOR_CONFIRMATIONS", 6))
            if url else Anchorer.embedded())  # dev only: anchors nobody outside this process can see
    return app.extensions["anchorer"]


def proved_entries(session: Session, indices: list[int]) -> tuple[StoredCheckpoint, list[dict]]:
    """Entries `indices`, each with its inclusion proof against one signed checkpoint that
    covers them all: an evidence bundle's core. When the latest checkpoint does not cover
    them, one is signed now (and the session committed)."""
    ledger = get_ledger()
    conn = session.connection()
    cp = ledger.store.latest_checkpoint(conn)
    if cp is None or cp.tree_size <= max(indices):
        cp = ledger.sign_checkpoint(conn)
        session.commit()
        conn = session.connection()
    # the note with the witnesses' cosignatures (k-of-n verification of evidence bundles)
    cp = dataclasses.replace(cp, note=with_cosignatures(cp.note, ledger.store.cosignature_lines(conn, cp.seq)))
    try:
        return cp, [{"index": i, "entry": _b64(ledger.store.entry(conn, i)),
                     "inclusion_path": [_b64(h) for h in ledger.store.inclusion_proof(conn, i, cp.tree_size)]}
                    for i in indices]
    except StoreError as exc:
        raise errors.Conflict(str(exc)) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def record(session: Session, *events: Event) -> list[AppendedEntry]:
    """Append events in the session's transaction. Call it last, just before commit:
    the ledger lock is held until then."""
    return get_ledger().append(session.connection(), list(events))


OPEN_BATCH = "ledger_open_batch"


class Batch:
    """Events to append together, each with the row attribute that keeps its ledger index
    (a row knows the entry that proves it: trace pages and evidence link to it)."""

    def __init__(self) -> None:
        self.items: list[tuple[Event, object | None, str]] = []

    @classmethod
    def open(cls, session: Session) -> Batch:
        """A batch that handlers of the session's domain events add to (`Batch.of(session)`):
        an event carries only JSON-able fields, so it cannot carry the batch, but an
        in-unit-of-work handler gets the session. The entries are still appended last and
        together, by whoever opened the batch, when it calls `record`."""
        batch = session.info[OPEN_BATCH] = cls()
        return batch

    @staticmethod
    def of(session: Session) -> Batch:
        """The batch opened in this session (`Batch.open`)."""
        batch = session.info.get(OPEN_BATCH)
        if batch is None:
            raise RuntimeError("no ledger batch is open in this unit of work: the publisher opens it (Batch.open)")
        return batch

    def add(self, event: Event, row: object | None = None, attr: str = "ledger_index") -> None:
        self.items.append((event, row, attr))

    def record(self, session: Session) -> None:
        if session.info.get(OPEN_BATCH) is self:
            del session.info[OPEN_BATCH]  # closed: a later batch of this session starts afresh
        appended = record(session, *(event for event, _, _ in self.items))
        for (_, row, attr), entry in zip(self.items, appended):
            if row is not None:
                setattr(row, attr, entry.index)
