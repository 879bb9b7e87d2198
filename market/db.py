"""Engine, sessions and the unit of work. Nothing is created at import time."""
from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import JSON, DateTime, Float, MetaData, Text, any_, bindparam, cast, create_engine, event, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # SQLAlchemy 2.1 maps `float` to Double; the migrations made Float (2.0's mapping): keep it,
    # so the models match the schema under both (test_upgrade_from_empty_matches_the_models)
    type_annotation_map = {float: Float()}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: store aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """SQLite: the stored text straight from the value (what process_bind_param and the
        dialect's DATETIME formatting give, in one step), and the last value's text kept: a
        batch INSERT binds one timestamp to every row and column (the fan-out's created_at,
        send_after, sent_at), which SQLAlchemy formatted anew each time, a tenth of a fan-out
        batch's time."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        utc = timezone.utc
        last: tuple = (None, None)  # (value, its text), swapped whole: threads share this processor

        def process(value):
            nonlocal last
            if value is None:
                return None
            seen = last
            if seen[0] is value:
                return seen[1]
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r} refused: store aware UTC")
            # the SQLite dialect's storage format, "YYYY-MM-DD HH:MM:SS.ffffff"
            stored = value.astimezone(utc).replace(tzinfo=None).isoformat(" ", "microseconds")
            last = (value, stored)
            return stored

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_public_id() -> uuid.UUID:
    return uuid.uuid4()


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's error (and so the log) never carries its values,
    # e.g. the reset link in an outbox mail body
    kwargs: dict = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


class FairLock:
    """A reentrant lock handed out in the order it was asked for (tickets), so a thread that
    releases and asks again at once queues behind those already waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            ticket, self._next = self._next, self._next + 1
            while self._serving != ticket:
                self._cond.wait()
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("released by a thread that does not hold it")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._serving += 1
                self._cond.notify_all()

    def waiting(self) -> int:
        """Threads queued for it (holder excluded)."""
        with self._cond:
            return self._next - self._serving - (1 if self._owner is not None else 0)


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one write lock per database and its busy handler is not fair: a thread that
        # commits and begins again at once (a fan-out delivering batch after batch) can keep it
        # for minutes while another (the webhook sender) sleeps and retries. The writers that run
        # back to back take turns through this lock first (see `sqlite_writer`).
        self.writers = FairLock() if self.engine.dialect.name == "sqlite" else None

    def dispose(self) -> None:
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions["db"] = Database(app.config["DATABASE_URL"])


def get_db() -> Database:
    return current_app.extensions["db"]


_ENCLOSING = "_market_enclosing_transaction"


class EnclosingTransaction:
    """One database transaction around several units of work (see `enclosing_transaction`)."""

    def __init__(self, connection):
        self.connection = connection
        self.transaction = connection.begin()
        self.callbacks: list = []
        self.batched: dict[str, list] = {}  # after_commit key -> its items, run once (see `after_commit`)
        self.committed = False

    def commit(self) -> None:
        self.transaction.commit()
        self.committed = True

    def defer(self, key: str, items: list, run: Callable[[list], None]) -> None:
        """`run(items)` after the real commit, merged with what other sessions deferred under
        `key`: one hand-off for the whole transaction, not one per unit of work inside it."""
        batch = self.batched.get(key)
        if batch is None:
            batch = self.batched[key] = []
            self.callbacks.append(lambda: run(batch))
        batch.extend(items)

    @contextmanager
    def part(self) -> Iterator[None]:
        """A piece of the transaction that may fail alone: on an exception its writes roll
        back to a savepoint and the work it deferred is forgotten; the rest goes on."""
        nested = self.connection.begin_nested()
        callbacks, sizes = len(self.callbacks), {key: len(items) for key, items in self.batched.items()}
        try:
            yield
        except BaseException:
            nested.rollback()
            del self.callbacks[callbacks:]
            for key in list(self.batched):
                if key in sizes:
                    del self.batched[key][sizes[key]:]
                else:
                    del self.batched[key]
            raise
        nested.commit()


@contextmanager
def enclosing_transaction() -> Iterator[EnclosingTransaction]:
    """Everything the enclosed code commits through `unit_of_work` (its commits become
    savepoints) commits or rolls back at once, when the caller calls `.commit()` or not.
    Used to commit an Idempotency-Key's stored response with the request's effect. Work
    that must follow a real commit (a job for another process, a provider call) goes
    through `when_committed`; it runs once the enclosing transaction has committed."""
    connection = get_db().engine.connect()
    enclosing = EnclosingTransaction(connection)
    setattr(g, _ENCLOSING, enclosing)
    try:
        yield enclosing
    finally:
        g.pop(_ENCLOSING, None)
        try:
            if enclosing.transaction.is_active:
                enclosing.transaction.rollback()
        finally:
            connection.close()
    for fn in enclosing.callbacks if enclosing.committed else ():
        try:
            fn()
        except Exception:  # committed already: the request's answer stands
            logging.getLogger("market.db").exception("a step after the commit failed")


def _enclosing() -> EnclosingTransaction | None:
    return g.get(_ENCLOSING) if has_app_context() else None


def when_committed(fn) -> None:
    """Run `fn()` now, or once the enclosing transaction (if any) has committed; never if it
    rolls back. Call it after your own unit of work committed."""
    enclosing = _enclosing()
    if enclosing is None:
        fn()
    else:
        enclosing.callbacks.append(fn)


def after_commit(session: Session, key: str, item, run: Callable[[list], None]) -> None:
    """Remember `item` under `key` on `session`; once the session commits, `run(items)` gets
    everything remembered since its last commit, through `when_committed` (inside an enclosing
    transaction it waits for the real commit, and never runs if that rolls back). A rollback
    of the session forgets them. One `run` per key and session: the first one given; inside an
    enclosing transaction, one per key for all its sessions (a batch of outbox handlers hands
    its webhook deliveries off at once).

    For work that must follow the commit of the rows it reads (an outbox row's handler, a mail,
    a webhook delivery): the ids go in, the job is started once they are visible to others."""
    items = session.info.get(key)
    if items is None:
        items = session.info[key] = []

        def committed(s: Session) -> None:
            done, s.info[key] = s.info[key], []
            if not done:
                return
            enclosing = _enclosing()
            if enclosing is None:
                run(done)
            else:  # the sessions of one enclosing transaction share one hand-off per key
                enclosing.defer(key, done, run)

        def rolled_back(s: Session) -> None:
            s.info[key] = []

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_rollback", rolled_back)
    items.append(item)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction: the caller commits explicitly; anything else rolls back. Inside an
    enclosing transaction it is a savepoint of that transaction."""
    enclosing = _enclosing()
    if enclosing is None:
        session = get_db().sessions()
    else:
        session = Session(bind=enclosing.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        # close() rolls back whatever was not committed, and leaves loaded objects usable.
        session.close()


@contextmanager
def sqlite_writer() -> Iterator[None]:
    """On SQLite, queue for this process's writers' turn (FIFO) before a write transaction of a
    background loop (outbox batches, webhook sender), so each gets the database's write lock
    between the others' transactions instead of starving. On PostgreSQL (row locks) nothing.
    Take it before the transaction begins, never while holding the write lock."""
    writers = get_db().writers if has_app_context() else None
    if writers is None:
        yield
        return
    writers.acquire()
    try:
        yield
    finally:
        writers.release()


def insert_ids(session: Session, table, rows: list[dict], *, statement=None) -> list[int]:
    """INSERT `rows` into `table` (an integer `id` primary key) and return their ids, in order.
    SQLite: the first row with RETURNING, the others with the ids after it (see below). PostgreSQL: the ids are
    drawn from the table's sequence first (one statement) and the rows go in as a plain
    executemany: psycopg prepares that statement once, where a RETURNING of many rows is one
    long statement that psycopg parses anew each time (its cache stops at 50 parameters), the
    main cost of a fan-out batch there. `statement`: the INSERT to use (e.g. with a column's
    bound parameter of its own type, json_text), default `table.insert()`."""
    if not rows:
        return []
    statement = table.insert() if statement is None else statement
    if session.get_bind().dialect.name == "postgresql":
        if len(rows) * len(rows[0]) <= 50:  # few: one RETURNING, which psycopg still prepares
            return list(session.scalars(statement.returning(table.c.id, sort_by_parameter_order=True), rows))
        ids = list(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                        "FROM generate_series(1, :n)"), {"t": table.name, "n": len(rows)}))
        session.execute(statement, [{**row, "id": row_id} for row, row_id in zip(rows, ids)])
        return ids
    # SQLite from here on; its ids come after the table's highest, with no sequence to skip
    if len(rows) == 1:
        return [session.scalar(statement.returning(table.c.id), rows[0])]
    # SQLite: a RETURNING whose rows must come back in the parameters' order is sent one row
    # per statement (SQLite does not promise RETURNING's order): 9,000 INSERTs for a fan-out of
    # 3,000. Instead the first row is inserted alone, which takes the database's write lock
    # (held until this transaction ends, so no other connection inserts meanwhile), and SQLite
    # gave it max(id) + 1 (with AUTOINCREMENT, past any id ever used): the ids after it are
    # free, and the other rows go in with them as one executemany.
    first = session.scalar(statement.returning(table.c.id), rows[0])
    ids = list(range(first, first + len(rows)))
    session.execute(statement, [{**row, "id": row_id} for row, row_id in zip(rows[1:], ids[1:])])
    return ids


def among(bind, column, values):
    """`column IN values` for a long list of ids in a batch statement. On PostgreSQL it is
    `column = ANY(:array)`: one parameter whatever the count, so the statement text is the
    same each time and psycopg prepares it once, where `IN (:p1, ..., :p500)` is a new text
    for each count that psycopg parses anew (its cache stops at 50 parameters). `bind` is a
    Session or a Connection."""
    values = list(values)
    dialect = bind.dialect if hasattr(bind, "dialect") else bind.get_bind().dialect
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def json_text(bind, name: str):
    """A bound parameter `name` carrying JSON already encoded (a str), for an INSERT into a
    JSON column: stored as given, not encoded again, so what is read back as text (cast to
    Text) is byte for byte what was encoded once (the webhook bodies we sign and send)."""
    dialect = bind.dialect if hasattr(bind, "dialect") else bind.get_bind().dialect
    param = bindparam(name, type_=Text)
    return cast(param, JSON) if dialect.name == "postgresql" else param


def write_lock(session: Session) -> None:
    """SQLite: take the database write lock now, before the reads a decision rests on
    (pysqlite starts its transaction only at the first write, so reads before it could be
    stale). PostgreSQL uses row locks (SELECT ... FOR UPDATE) instead: nothing to do."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE organizations SET id = id WHERE 0"))
