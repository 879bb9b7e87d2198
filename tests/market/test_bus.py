"""The message bus (market/bus.py): in-unit-of-work handlers share the publisher's
transaction and may refuse it; after-commit handlers run only after a commit, survive a
crash through the outbox, and are retried with back-off when they fail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from market import bus, errors
from market.accounts.models import Organization
from market.bus import OutboxMessage
from market.db import enclosing_transaction, unit_of_work, utcnow


@dataclass(frozen=True)
class Renamed:
    org_id: int
    name: str


seen: list = []


def refuse_forbidden_names(session, event: Renamed) -> None:
    if event.name == "forbidden":
        raise errors.Invalid("that name is refused", field="name")
    seen.append(("in", event.name))


def remember(event: Renamed) -> None:
    if event.name == "flaky" and not any(kind == "after-failed" for kind, _ in seen):
        seen.append(("after-failed", event.name))
        raise RuntimeError("the mail server is down")
    seen.append(("after", event.name))


class Handlers:
    @staticmethod
    def register(b: bus.MessageBus) -> None:
        b.in_unit_of_work(Renamed, refuse_forbidden_names)
        b.after_commit(Renamed, remember)


@pytest.fixture
def wired(app):
    seen.clear()
    bus.init_app(app, [Handlers])
    with app.app_context():
        with unit_of_work() as s:
            org = Organization(name="Acme", kind="buyer")
            s.add(org)
            s.commit()
            yield org.id
    seen.clear()


def rename(org_id: int, name: str, *, commit: bool = True) -> None:
    with unit_of_work() as s:
        s.get(Organization, org_id).name = name
        bus.publish(s, Renamed(org_id, name))
        if commit:
            s.commit()


def outbox() -> list[OutboxMessage]:
    with unit_of_work() as s:
        return s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_in_unit_of_work_handlers_run_at_once_and_after_commit_handlers_once_committed(wired):
    rename(wired, "Acme Tooling")
    assert seen == [("in", "Acme Tooling"), ("after", "Acme Tooling")]
    [row] = outbox()
    assert (row.status, row.attempts, row.handler) == ("done", 1, remember.__module__ + ".remember")


def test_a_refusing_handler_rolls_the_change_back_and_nothing_is_delivered(wired):
    with pytest.raises(errors.Invalid):
        rename(wired, "forbidden")
    with unit_of_work() as s:
        assert s.get(Organization, wired).name == "Acme"
    assert seen == [] and outbox() == []


def test_nothing_is_delivered_for_a_change_that_never_commits(wired):
    rename(wired, "never", commit=False)
    assert seen == [("in", "never")] and outbox() == []


def test_a_crash_after_the_commit_loses_nothing_the_sweep_delivers_it(app, wired):
    app.config["EVENTS_INLINE"] = False  # as if the process died right after the commit
    rename(wired, "after the crash")
    assert [r.status for r in outbox()] == ["pending"] and ("after", "after the crash") not in seen
    assert bus.deliver_due() == {"done": 1}
    assert ("after", "after the crash") in seen and [r.status for r in outbox()] == ["done"]
    assert bus.deliver_due() == {}  # delivered once


def test_a_failing_handler_is_retried_after_its_back_off(wired):
    rename(wired, "flaky")
    [row] = outbox()
    assert row.status == "pending" and row.attempts == 1 and "mail server is down" in row.last_error
    assert bus.deliver_due() == {}  # not yet: it backs off
    assert bus.deliver_due(now=utcnow() + timedelta(seconds=11)) == {"done": 1}
    assert seen[-1] == ("after", "flaky")


def test_a_handler_that_keeps_failing_ends_failed_for_the_operator(app, wired, monkeypatch):
    app.config["EVENTS_INLINE"] = False
    monkeypatch.setattr(bus, "MAX_ATTEMPTS", 2)
    app.extensions["bus"].handlers[remember.__module__ + ".remember"] = lambda event: 1 / 0
    rename(wired, "doomed")
    later = utcnow()
    for _ in range(2):
        later += timedelta(hours=2)
        bus.deliver_due(now=later)
    [row] = outbox()
    assert (row.status, row.attempts) == ("failed", 2) and row.last_error.startswith("ZeroDivisionError")


def test_a_worker_lost_while_running_a_handler_is_taken_over_after_the_lease(app, wired):
    app.config["EVENTS_INLINE"] = False
    rename(wired, "lost")
    [row] = outbox()
    with unit_of_work() as s:  # a worker claimed it and died
        s.get(OutboxMessage, row.id).status, s.get(OutboxMessage, row.id).available_at = "running", utcnow() + bus.LEASE
        s.commit()
    assert bus.deliver_due() == {}
    assert bus.deliver_due(now=utcnow() + bus.LEASE + timedelta(seconds=1)) == {"done": 1}


def test_inside_an_enclosing_transaction_delivery_waits_for_the_real_commit(app, wired):
    with app.test_request_context():
        with enclosing_transaction() as tx:
            rename(wired, "idempotent")
            assert ("after", "idempotent") not in seen
            tx.commit()
        assert ("after", "idempotent") in seen
        with enclosing_transaction():
            rename(wired, "rolled back")
        assert ("after", "rolled back") not in seen


def test_an_event_must_be_a_frozen_dataclass_with_json_fields(wired):
    @dataclass
    class Mutable:
        x: int

    with pytest.raises(TypeError, match="frozen"):
        bus.get_bus().after_commit(Mutable, remember)
    with unit_of_work() as s, pytest.raises(TypeError):
        bus.publish(s, Renamed(wired, object()))


class Killed(BaseException):
    """The process dying in the middle of a batch (not an error a handler could catch)."""


def test_a_batch_commits_at_once_a_failing_handler_rolls_back_alone_and_hand_offs_go_once(app, wired):
    from market import db

    app.config["EVENTS_INLINE"] = False
    handed_off: list[list] = []

    def write_an_org(event: Renamed) -> None:
        with unit_of_work() as s:
            s.add(Organization(name=f"copy of {event.name}", kind="buyer"))
            db.after_commit(s, "test_hand_off", event.name, handed_off.append)
            s.commit()
        if event.name == "boom":
            raise RuntimeError("after its unit of work committed")

    app.extensions["bus"].handlers[remember.__module__ + ".remember"] = write_an_org
    for name in ("a", "boom", "c"):
        rename(wired, name)
    assert bus.deliver_due() == {"done": 2, "pending": 1}
    with unit_of_work() as s:
        copies = s.scalars(select(Organization.name).where(Organization.name.like("copy of %"))).all()
    assert sorted(copies) == ["copy of a", "copy of c"]  # the failed one's savepoint rolled back
    assert handed_off == [["a", "c"]]  # one hand-off for the batch, without the rolled-back item
    assert [(r.status, r.attempts) for r in outbox()] == [("done", 1), ("pending", 1), ("done", 1)]


def test_a_crash_mid_batch_leaves_the_whole_batch_pending_with_nothing_written(app, wired):
    app.config["EVENTS_INLINE"] = False
    calls: list[str] = []

    def dies_on_the_second(event: Renamed) -> None:
        with unit_of_work() as s:
            s.add(Organization(name=f"copy of {event.name}", kind="buyer"))
            s.commit()
        calls.append(event.name)
        if len(calls) == 2:
            raise Killed()

    app.extensions["bus"].handlers[remember.__module__ + ".remember"] = dies_on_the_second
    for name in ("a", "b", "c"):
        rename(wired, name)
    with pytest.raises(Killed):
        bus.deliver_due()
    with unit_of_work() as s:
        assert s.scalars(select(Organization.name).where(Organization.name.like("copy of %"))).all() == []
    assert [(r.status, r.attempts) for r in outbox()] == [("pending", 0)] * 3  # the claim rolled back too
    assert bus.deliver_due() == {"done": 3}  # after the restart: each once
    with unit_of_work() as s:
        copies = s.scalars(select(Organization.name).where(Organization.name.like("copy of %"))).all()
    assert sorted(copies) == ["copy of a", "copy of b", "copy of c"]


def test_a_batch_handler_gets_the_batchs_events_at_once_and_a_bad_one_fails_alone(app, wired):
    app.config["EVENTS_INLINE"] = False
    calls: list[list[str]] = []

    def write_copies(events: list) -> None:
        calls.append([event.name for _, event in events])
        with unit_of_work() as s:
            for outbox_id, event in events:
                assert isinstance(outbox_id, int)
                s.add(Organization(name=f"copy of {event.name}", kind="buyer"))
            if any(event.name == "poison" for _, event in events):
                raise RuntimeError("one bad event")
            s.commit()

    b = app.extensions["bus"]
    name = remember.__module__ + ".remember"
    b.handlers[name] = write_copies
    b.batched.add(name)
    for event_name in ("a", "b", "c"):
        rename(wired, event_name)
    assert bus.deliver_due() == {"done": 3}
    assert calls == [["a", "b", "c"]]  # one call for the batch

    calls.clear()
    for event_name in ("d", "poison", "e"):
        rename(wired, event_name)
    assert bus.deliver_due() == {"done": 2, "pending": 1}
    assert calls == [["d", "poison", "e"], ["d"], ["poison"], ["e"]]  # the batch failed: each alone
    with unit_of_work() as s:
        copies = s.scalars(select(Organization.name).where(Organization.name.like("copy of %"))).all()
    assert sorted(copies) == ["copy of a", "copy of b", "copy of c", "copy of d", "copy of e"]
    assert [r.status for r in outbox()][-3:] == ["done", "pending", "done"]


def test_insert_ids_writes_a_batch_in_a_few_statements_and_returns_each_rows_id_in_order(app, wired):
    """The outbox and the fan-out write their rows with db.insert_ids: one id per row, in the
    rows' order, and a batch costs a few statements, not one per row (SQLite's RETURNING
    with sort_by_parameter_order fell back to a statement per row: 9,000 INSERTs for a
    3,000-notification fan-out)."""
    from sqlalchemy import delete, event

    from market import db

    table = OutboxMessage.__table__
    at = utcnow()

    def rows(names):
        return [{"event_type": "test", "handler": "test", "payload": {"name": name}, "status": "done",
                 "attempts": 0, "available_at": at, "created_at": at} for name in names]

    statements: list[str] = []
    engine = app.extensions["db"].engine
    count = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    with app.app_context():
        with unit_of_work() as s:
            first = db.insert_ids(s, table, rows(["lone"]))
            s.commit()
        with unit_of_work() as s:  # the newest row gone: a new id may reuse its number, still one per row
            s.execute(delete(table).where(table.c.id == first[0]))
            s.commit()
        names = [f"row {i}" for i in range(300)]
        event.listen(engine, "before_cursor_execute", count)
        try:
            with unit_of_work() as s:
                ids = db.insert_ids(s, table, rows(names))
                s.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        with unit_of_work() as s:
            stored = dict(s.execute(select(table.c.id, table.c.payload).where(table.c.handler == "test")).all())
    assert len(set(ids)) == 300
    assert [stored[i]["name"] for i in ids] == names
    assert len([q for q in statements if q.lstrip().upper().startswith("INSERT")]) <= 2, statements[:5]


def test_a_few_rows_written_with_insert_ids_leave_the_next_insert_its_own_id(app, wired):
    """A batch too small for PostgreSQL's drawn ids (a few rows of few columns) takes its ids
    from the table's sequence too: an INSERT after it gets a fresh id, not one the batch used
    (ids written by hand past the sequence made the next payment's outbox row a duplicate key)."""
    from market import db

    table = OutboxMessage.__table__
    at = utcnow()
    row = {"event_type": "test", "handler": "test", "payload": {}, "status": "done", "attempts": 0,
           "available_at": at, "created_at": at}
    with app.app_context():
        with unit_of_work() as s:
            few = db.insert_ids(s, table, [row, row, row])
            s.commit()
        with unit_of_work() as s:
            after = s.scalar(table.insert().returning(table.c.id), row)
            s.commit()
    assert len(set(few)) == 3 and after not in few
