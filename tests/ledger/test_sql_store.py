"""The SQL store: gap-free appends, proofs from stored subtrees, transactions, the guard."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import ledger_reference as ref
from ledger_fixtures import make_events
from ledger import merkle
from ledger.entry import GENESIS_PREV_HASH, decode_entry
from ledger.errors import StoreError
from ledger.hashing import leaf_hash


def test_appends_get_consecutive_indices_starting_at_zero(engine, store, events):
    with engine.begin() as conn:
        first = store.append(conn, events(3))
        second = store.append(conn, events(2, start=3))
    assert [a.index for a in first + second] == [0, 1, 2, 3, 4]


def test_each_entry_links_to_the_previous_leaf_hash(engine, store, events):
    with engine.begin() as conn:
        appended = store.append(conn, events(4))
        entries = store.entries(conn, 0, 4)
    assert decode_entry(entries[0]).prev_hash == GENESIS_PREV_HASH
    for i in range(1, 4):
        assert decode_entry(entries[i]).prev_hash == appended[i - 1].leaf_hash == leaf_hash(entries[i - 1])


def test_signer_defaults_to_the_event_org_and_can_be_given(engine, store, events):
    evs = events(2)
    with engine.begin() as conn:
        store.append(conn, evs[:1])
        store.append(conn, evs[1:], signer="operator-1")
        first, second = (decode_entry(e) for e in store.entries(conn, 0, 2))
    assert first.signer == evs[0].org
    assert second.signer == "operator-1"


def test_appending_nothing_writes_nothing(engine, store):
    with engine.begin() as conn:
        assert store.append(conn, []) == []
        assert store.size(conn) == 0


def test_a_rolled_back_business_transaction_leaves_no_entry(engine, store, events):
    with engine.begin() as conn:
        store.append(conn, events(2))
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            store.append(conn, events(3, start=2))
            raise RuntimeError("business rule failed after the append")
    with engine.begin() as conn:
        assert store.size(conn) == 2
        assert [a.index for a in store.append(conn, events(1, start=2))] == [2]


def test_head_root_equals_the_in_memory_root(engine, store, events):
    with engine.begin() as conn:
        for n in (1, 2, 5, 13):
            store.append(conn, events(n))
        entries = store.entries(conn, 0, 21)
        head = store.head(conn)
    assert head.size == 21
    assert head.root == merkle.root(entries) == ref.mth(entries)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.integers(1, 9), min_size=1, max_size=6),
       picks=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)))
def test_store_proofs_equal_the_slow_reference_for_random_trees(engine, store, batches, picks):
    # The database grows across examples, so sizes are picked as fractions of what is there.
    with engine.begin() as conn:
        base = store.size(conn)
        for n in batches:
            store.append(conn, make_events(n, start=base))
            base += n
        size = store.size(conn)
        entries = store.entries(conn, 0, size)
        new_size = 1 + picks[0] % size
        index = picks[1] % new_size
        old_size = picks[2] % (new_size + 1)
        assert store.root(conn, new_size) == ref.mth(entries[:new_size])
        assert store.inclusion_proof(conn, index, new_size) == ref.path(index, entries[:new_size])
        assert store.consistency_proof(conn, old_size, new_size) == ref.proof(old_size, entries[:new_size])


def test_every_lookup_path_returns_the_same_subtree_hashes(engine, store, events):
    """The driver-level lookups (psycopg / sqlite3) and the SQLAlchemy one for other drivers agree."""
    from ledger import sql_store
    from ledger.compact import consistency_plan, inclusion_plan

    with engine.begin() as conn:
        store.append(conn, events(45))
        plans = [inclusion_plan(i, 45) for i in (0, 17, 44)] + [consistency_plan(13, 45), consistency_plan(32, 45)]
        for plan in plans:
            wanted = sorted({n for element in plan for n in element})
            fast = store._lookup(conn, wanted)
            generic = sql_store._lookup_generic(conn, wanted)
            assert fast == generic and set(fast) == set(wanted)
            assert all(len(h) == 32 for h in fast.values())
        with pytest.raises(StoreError, match=r"missing subtree hashes \[\(3, 6\)\]"):
            store._lookup(conn, [(0, 1), (3, 6)])


def test_proof_requests_beyond_the_stored_tree_are_refused_with_the_numbers(engine, store, events):
    with engine.begin() as conn:
        store.append(conn, events(8))
        with pytest.raises(StoreError, match="index 9 out of bounds for tree size 8"):
            store.inclusion_proof(conn, 9, 8)
        with pytest.raises(StoreError, match="tree size 9 out of bounds for stored size 8"):
            store.inclusion_proof(conn, 3, 9)
        with pytest.raises(StoreError, match="old size 5 out of bounds for new size 4"):
            store.consistency_proof(conn, 5, 4)


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET entry = leaf_hash WHERE idx = 0",
    "DELETE FROM ledger_entries WHERE idx = 0",
    "DELETE FROM ledger_nodes",
    "UPDATE ledger_checkpoints SET tree_size = 0",
    "DELETE FROM ledger_anchors",
    "UPDATE ledger_head SET created_at = created_at",
])
def test_the_database_itself_refuses_changes_to_ledger_rows(engine, store, ledger, events, statement):
    with engine.begin() as conn:
        store.append(conn, events(3))
        stored = ledger.sign_checkpoint(conn)
        store.add_anchor(conn, checkpoint_seq=stored.seq, status="failed", chain="embedded", detail="test")
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert store.size(conn) == 3


def test_emptying_the_ledger_wholesale_is_refused(engine, store, events, is_postgres):
    # SQLite has no TRUNCATE; its wholesale form is DELETE without WHERE.
    statement = "TRUNCATE ledger_entries CASCADE" if is_postgres else "DELETE FROM ledger_entries"
    with engine.begin() as conn:
        store.append(conn, events(2))
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement))


def test_concurrent_appenders_get_gap_free_unique_indices(engine, store):
    threads, batches, per_batch = 4, 5, 7
    errors: list[BaseException] = []
    got: list[int] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            for b in range(batches):
                with engine.begin() as conn:
                    appended = store.append(conn, make_events(per_batch, start=1000 * w + 10 * b))
                with lock:
                    got.extend(a.index for a in appended)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    if engine.dialect.name == "sqlite":
        engine.pool.dispose()
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _wait_for_lock(dbapi_conn, _record):  # sqlite3's default busy timeout is 5 s
            dbapi_conn.execute("PRAGMA busy_timeout = 30000")

    pool = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    total = threads * batches * per_batch
    assert sorted(got) == list(range(total))
    with engine.connect() as conn:
        entries = store.entries(conn, 0, total)
        assert store.root(conn, total) == merkle.root(entries)
    for i in range(1, total):
        assert decode_entry(entries[i]).prev_hash == leaf_hash(entries[i - 1])


def test_a_missing_head_row_is_recreated_by_the_next_append(engine, store, events):
    from ledger.sql_guard import drop_append_only_guard_ddl

    with engine.begin() as conn:
        for statement in drop_append_only_guard_ddl(engine.dialect.name):
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM ledger_head"))
    with engine.begin() as conn:
        assert [a.index for a in store.append(conn, events(2))] == [0, 1]
