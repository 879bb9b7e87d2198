"""The message bus: how a lower domain tells higher ones that something happened, without
knowing them (Architecture Patterns with Python, ch. 8-9).

A domain publishes an event (a frozen dataclass in its `domain_events.py`) inside its unit of
work. Listeners register at app start-up (`market/<domain>/handlers.py`), in one of two kinds:

- `in_unit_of_work(Event, handler)`: `handler(session, event)` runs at once, in the
  publisher's transaction. It may refuse the change (raise a DomainError: the publisher's
  transaction rolls back) or write rows that must commit with it.
- `after_commit(Event, handler)`: `handler(event)` runs only once the change committed, in
  its own unit of work. Publishing writes one outbox row per handler into the publisher's
  transaction, so a crash between the commit and the handler loses nothing: the row waits
  and `deliver_due()` (a periodic task) runs it later. By default the handler runs right
  after the commit in the same thread (EVENTS_INLINE), which keeps a request's effects
  visible to its answer; a handler that fails is retried with back-off, up to
  MAX_ATTEMPTS, and then left "failed" for the operator.

Rows run in batches (`deliver_batch`): one transaction claims up to BATCH rows, runs their
handlers (each handler's units of work are savepoints in it) and marks them, so a handler's
writes commit exactly when its row is marked done; a fan-out of many events pays one commit
and one webhook hand-off per batch, not three transactions and a job per event.

A handler registered with `after_commit(Event, handler, batch=True)` gets the batch's events
of its type at once, `handler([(outbox_id, event), ...])`, so it can read and write for all of
them with a few statements (the notification fan-out does). If it raises, each event is run
alone (its own savepoint), so one bad event fails alone and is retried, not its batch-mates.

Handlers should still check the state they would change (a row can be run again by hand,
and a row claimed before batching existed may be run again after its lease).
"""
from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import BigInteger, Index, Integer, String, Text, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import JSON

from market import db
from market.db import Base, UTCDateTime, unit_of_work, utcnow

log = logging.getLogger("market.bus")

MAX_ATTEMPTS = 8
BATCH = 100  # outbox rows run in one transaction (on SQLite it holds the write lock meanwhile: ~0.1-0.3 s)
LEASE = timedelta(minutes=5)  # a "running" row older than this was lost with its worker
KEEP_DELIVERED = timedelta(days=7)

# the outbox row whose handler runs now: a handler that writes per event (notifications)
# keys its rows by it, so running the same row twice writes them once
_delivering: ContextVar[int | None] = ContextVar("delivering", default=None)


def delivering() -> int | None:
    """The id of the outbox row being delivered, inside an after-commit handler; else None."""
    return _delivering.get()


class OutboxMessage(Base):
    """One event waiting for (or delivered to) one after-commit handler."""

    __tablename__ = "event_outbox"
    __table_args__ = (Index("ix_event_outbox_due", "status", "available_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    handler: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, running, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # for the operator's log, never shown to a user


class PublishedOnce(Base):
    """A key of something that must be told once (a reminder: "payment 12 is overdue"), kept
    with the events it published, so a periodic scan that finds the same fact again is silent."""

    __tablename__ = "event_once"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


class MessageBus:
    """The app's registry of handlers (one per app, built by `init_app`)."""

    def __init__(self) -> None:
        self.in_uow: dict[type, list[Callable]] = defaultdict(list)
        self.after: dict[type, list[Callable]] = defaultdict(list)
        self.handlers: dict[str, Callable] = {}  # after-commit handlers by name (outbox rows name them)
        self.batched: set[str] = set()  # names of the handlers that take a list of (outbox id, event)
        self.events: dict[str, type] = {}

    def in_unit_of_work(self, event_type: type, handler: Callable[[Session, Any], None]) -> None:
        self._check(event_type)
        self.in_uow[event_type].append(handler)

    def after_commit(self, event_type: type, handler: Callable[[Any], None], *, batch: bool = False) -> None:
        """`handler(event)` after the commit; with `batch`, `handler([(outbox_id, event), ...])`
        for all the events of this type in one delivery batch (see the module's doc)."""
        self._check(event_type)
        name = _name(handler)
        if self.handlers.get(name, handler) is not handler:
            raise ValueError(f"two after-commit handlers are named {name}")
        self.handlers[name] = handler
        if batch:
            self.batched.add(name)
        self.after[event_type].append(handler)

    def _check(self, event_type: type) -> None:
        if not (dataclasses.is_dataclass(event_type) and event_type.__dataclass_params__.frozen):
            raise TypeError(f"{_name(event_type)} is not a frozen dataclass: events are plain, immutable records")
        self.events[_name(event_type)] = event_type

    def listeners(self) -> dict[str, list[str]]:
        """Event name -> handler names with their kind, for docs and the operator."""
        out: dict[str, list[str]] = defaultdict(list)
        for kind, table in (("in unit of work", self.in_uow), ("after commit", self.after)):
            for event_type, handlers in table.items():
                out[_name(event_type)] += [f"{_name(h)} ({kind})" for h in handlers]
        return dict(out)


def init_app(app: Flask, handler_modules=()) -> MessageBus:
    app.config.setdefault("EVENTS_INLINE", True)
    bus = app.extensions["bus"] = MessageBus()
    for module in handler_modules:
        module.register(bus)
    return bus


def get_bus() -> MessageBus:
    return current_app.extensions["bus"]


def publish(session: Session, *events) -> None:
    """Tell the listeners: in-unit-of-work handlers run now (and may refuse by raising);
    after-commit handlers get an outbox row in `session`, run once it commits."""
    bus = get_bus()
    rows: list[dict] = []
    now = utcnow()
    for event in events:
        for handler in bus.in_uow.get(type(event), ()):
            handler(session, event)
        handlers = bus.after.get(type(event), ())
        if not handlers:
            continue
        payload = dataclasses.asdict(event)
        json.dumps(payload)  # refuse a field that would not survive the outbox, here and not at delivery
        event_name = _name(type(event))
        rows += [{"event_type": event_name, "handler": _name(h), "payload": payload, "status": "pending",
                  "attempts": 0, "available_at": now, "created_at": now} for h in handlers]
    if not rows:
        return
    # one Core INSERT for all the events' rows (a fan-out publishes many): no ORM flush per row
    table = OutboxMessage.__table__
    session.flush()  # the business rows first, as an ORM flush of the outbox rows did
    for row_id in db.insert_ids(session, table, rows):
        db.after_commit(session, "bus_pending", row_id, _deliver_after_commit)


def publish_once(session: Session, key: str, *events) -> bool:
    """`publish` unless `key` was published before (committed); returns whether it published.
    The key commits with the events, in `session`: two scans racing on one key conflict on
    its primary key and one of them rolls back."""
    if len(key) > 200:
        raise ValueError(f"once-key of {len(key)} characters; at most 200")
    if session.get(PublishedOnce, key) is not None:
        return False
    session.add(PublishedOnce(key=key, created_at=utcnow()))
    session.flush()
    publish(session, *events)
    return True


def _deliver_after_commit(ids: list[int]) -> None:
    """Outbox rows this session wrote, now committed: run their handlers (EVENTS_INLINE)."""
    if current_app.config["EVENTS_INLINE"]:
        _deliver_inline(current_app._get_current_object(), ids)


def _deliver_inline(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        for start in range(0, len(ids), BATCH):
            deliver_batch(ids[start:start + BATCH])


def deliver(message_id: int, now: datetime | None = None) -> str | None:
    """Run one outbox row's handler if it is due and nobody else has it; returns the row's
    new status ("done", "pending" for a retry, "failed"), or None when it was not claimed."""
    return deliver_batch([message_id], now).get(message_id)


def deliver_batch(ids: list[int] | None, now: datetime | None = None, limit: int = BATCH) -> dict[int, str]:
    """Claim the due rows among `ids` (or the `limit` oldest due rows) and run their handlers,
    all in ONE transaction: the claim, every handler's writes (its units of work become
    savepoints) and each row's new status commit together. So a crash anywhere leaves the
    whole batch pending with nothing of it written, and a row marked done has its effects
    committed: a handler's writes are never committed twice. A failing handler rolls back
    to its own savepoint (with the hand-offs it deferred) and is retried with back-off; the
    others in the batch go on. What the handlers hand off after their commit (webhook
    deliveries, further events) runs once for the batch, after the real commit.
    Returns {row id: new status} for the rows this call claimed."""
    now = now or utcnow()
    if ids is not None and not ids:
        return {}
    due = (OutboxMessage.status == "pending", OutboxMessage.available_at <= now)
    if ids is None:  # PostgreSQL: rows another worker holds are skipped, not waited for
        ids = select(OutboxMessage.id).where(*due).order_by(OutboxMessage.id).limit(limit) \
            .with_for_update(skip_locked=True)
    bus = get_bus()
    outcome: dict[int, str] = {}
    with db.enclosing_transaction() as tx, db.sqlite_writer():  # released before the hand-offs run
        # the WHERE is evaluated again under the row lock: of two workers, one gets each row
        claimed = tx.connection.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids) if not isinstance(ids, list)
                                        else db.among(tx.connection, OutboxMessage.id, ids), *due)
            .values(status="running", attempts=OutboxMessage.attempts + 1, available_at=now + LEASE)
            .returning(OutboxMessage.id, OutboxMessage.event_type, OutboxMessage.handler, OutboxMessage.payload,
                       OutboxMessage.attempts)).all()
        done, failed = [], []

        def run_alone(message_id, event_type, handler_name, payload, attempts) -> None:
            token = _delivering.set(message_id)
            try:
                with tx.part():
                    handler = bus.handlers[handler_name]
                    event = bus.events[event_type](**payload)
                    handler([(message_id, event)]) if handler_name in bus.batched else handler(event)
            except Exception as exc:
                status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
                log.error("event handler failed", exc_info=exc, extra={
                    "handler": handler_name, "event": event_type, "outbox_id": message_id, "attempts": attempts})
                failed.append({"b_id": message_id, "b_status": status,
                               "b_error": f"{type(exc).__name__}: {exc}"[:2000],
                               "b_at": now + timedelta(seconds=min(3600, 5 * 2 ** attempts))})
                outcome[message_id] = status
            else:
                done.append({"b_id": message_id})
                outcome[message_id] = "done"
            finally:
                _delivering.reset(token)

        groups: dict[str, list] = defaultdict(list)  # a batch handler's rows, run together
        for row in sorted(claimed):
            if row[2] in bus.batched:
                groups[row[2]].append(row)
            else:
                run_alone(*row)
        for handler_name, rows in groups.items():
            if len(rows) > 1:
                try:
                    with tx.part():
                        bus.handlers[handler_name]([(row[0], bus.events[row[1]](**row[3])) for row in rows])
                except Exception as exc:  # one bad event must not hold back the others: each alone
                    log.warning("batch handler failed; running its events one by one", exc_info=exc,
                                extra={"handler": handler_name, "events": len(rows)})
                else:
                    done.extend({"b_id": row[0]} for row in rows)
                    outcome.update((row[0], "done") for row in rows)
                    continue
            for row in rows:
                run_alone(*row)
        table = OutboxMessage.__table__
        if done:
            tx.connection.execute(update(table).where(table.c.id == bindparam("b_id"))
                                  .values(status="done", delivered_at=utcnow(), last_error=None), done)
        if failed:
            tx.connection.execute(update(table).where(table.c.id == bindparam("b_id"))
                                  .values(status=bindparam("b_status"), last_error=bindparam("b_error"),
                                          available_at=bindparam("b_at")), failed)
        tx.commit()
    return outcome


def deliver_due(now: datetime | None = None, limit: int = 500) -> dict:
    """The periodic sweep: rows left behind (a crash, a failed handler whose back-off is
    over, a worker lost while running one) are delivered, BATCH at a time; old delivered
    rows are purged."""
    now = now or utcnow()
    with unit_of_work() as s:
        # a running row past its lease lost its worker: due again
        s.execute(update(OutboxMessage).where(OutboxMessage.status == "running", OutboxMessage.available_at <= now)
                  .values(status="pending"))
        s.execute(OutboxMessage.__table__.delete().where(OutboxMessage.status == "done",
                                                         OutboxMessage.delivered_at < now - KEEP_DELIVERED))
        s.commit()
    counts: dict[str, int] = defaultdict(int)
    while limit > 0:
        outcome = deliver_batch(None, now, min(BATCH, limit))
        for status in outcome.values():
            counts[status] += 1
        if not outcome:
            break
        limit -= len(outcome)
    return dict(counts)
