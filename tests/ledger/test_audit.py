"""Audit: a clean ledger passes; tampering behind the database's back is caught at its first index."""

from __future__ import annotations

import pytest
from sqlalchemy import text

import ledger.audit as ledger_audit
from ledger.audit import audit
from ledger.sql_guard import drop_append_only_guard_ddl

SIZE = 40


@pytest.fixture(autouse=True, params=["read ahead", "read in turn"])
def read_mode(request, monkeypatch, engine):
    """SQLite files are read ahead by a second connection; in-memory databases in turn, on ``conn``."""
    if request.param == "read in turn":
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL always reads ahead")
        monkeypatch.setattr(ledger_audit, "_sqlite_file", lambda conn: None)
    return request.param


@pytest.fixture
def filled(engine, ledger, events):
    with engine.begin() as conn:
        for start in range(0, SIZE, 10):
            ledger.append(conn, events(10, start=start))
            ledger.sign_checkpoint(conn)
    return engine


def tamper(engine, *statements, **params):
    """Run statements with the append-only guard removed (what a rogue DBA could do)."""
    with engine.begin() as conn:
        for statement in drop_append_only_guard_ddl(engine.dialect.name):
            conn.execute(text(statement))
        for statement in statements:
            conn.execute(text(statement), params)


def run_audit(engine, signer=None):
    with engine.connect() as conn:
        return audit(conn, public_key=None if signer is None else signer.public_key, page_size=7)


def test_an_untouched_ledger_audits_clean(filled, signer):
    report = run_audit(filled, signer)
    assert report.ok, report.summary()
    assert (report.size, report.checkpoints) == (SIZE, 4)
    assert report.summary().startswith(f"OK {SIZE} entries")


def test_an_empty_ledger_audits_clean(engine):
    assert run_audit(engine).ok


def test_deep_audit_parses_every_entry(filled):
    with filled.connect() as conn:
        assert audit(conn, deep=True).ok


@pytest.mark.parametrize("index", [0, 13, SIZE - 1])
def test_a_changed_byte_in_an_entry_is_named(filled, store, index):
    with filled.connect() as conn:
        original = store.entry(conn, index)
    changed = original.replace(b'"passed":', b'"passed" :', 1)
    tamper(filled, "UPDATE ledger_entries SET entry = :e WHERE idx = :i", e=changed, i=index)
    report = run_audit(filled)
    assert not report.ok
    assert report.first_bad.index == index
    assert f"first bad index {index}" in report.summary()


def test_a_changed_entry_with_a_recomputed_leaf_hash_is_still_caught(filled, store):
    import hashlib

    with filled.connect() as conn:
        original = store.entry(conn, 21)
    changed = original.replace(b'"passed":true', b'"passed":false', 1).replace(b'"passed":false', b'"passed":true', 0)
    if changed == original:
        changed = original.replace(b'"passed":false', b'"passed":true', 1)
    tamper(filled, "UPDATE ledger_entries SET entry = :e, leaf_hash = :h WHERE idx = 21",
           e=changed, h=hashlib.sha256(b"\x00" + changed).digest())
    report = run_audit(filled)
    assert not report.ok
    assert report.first_bad.index in (20, 21, 22)  # the subtree (1, 10) over [20, 22) or the chain link at 22


def test_two_swapped_entries_are_caught_at_the_first(filled, store):
    with filled.connect() as conn:
        a, b = store.entry(conn, 5), store.entry(conn, 9)
    tamper(filled,
           "UPDATE ledger_entries SET entry = :e WHERE idx = 5", e=b)
    tamper(filled,
           "UPDATE ledger_entries SET entry = :e WHERE idx = 9", e=a)
    assert run_audit(filled).first_bad.index == 5


def test_two_swapped_rows_with_their_hashes_are_caught_at_the_first(filled):
    tamper(filled,
           "UPDATE ledger_entries SET idx = 1000 WHERE idx = 17",
           "UPDATE ledger_entries SET idx = 17 WHERE idx = 30",
           "UPDATE ledger_entries SET idx = 30 WHERE idx = 1000")
    report = run_audit(filled)
    assert report.first_bad.index == 17
    assert "says it is entry 30" in report.first_bad.reason


def test_a_deleted_entry_is_named_as_missing(filled):
    tamper(filled, "DELETE FROM ledger_entries WHERE idx = 26")
    report = run_audit(filled)
    assert report.first_bad.index == 26
    assert "missing" in report.first_bad.reason


def test_a_truncated_tail_is_named_at_the_cut(filled):
    tamper(filled, "DELETE FROM ledger_entries WHERE idx >= 33")
    report = run_audit(filled)
    assert report.first_bad.index == 33


def test_deleted_subtree_hashes_are_named_by_their_first_entry(filled):
    tamper(filled, "DELETE FROM ledger_nodes WHERE level = 1 AND idx = 4")
    report = run_audit(filled)
    assert report.first_bad.index == 8
    assert "missing" in report.first_bad.reason


def test_a_truncated_tail_with_its_subtrees_is_named_at_the_cut(filled):
    tamper(filled, "DELETE FROM ledger_entries WHERE idx >= 33",
           "DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > 33" if filled.dialect.name == "sqlite"
           else "DELETE FROM ledger_nodes WHERE (idx + 1) * (1::bigint << level) > 33")
    report = run_audit(filled)
    assert report.first_bad.index == 33
    assert "covers 40 entries but only 33" in report.first_bad.reason


def test_a_changed_subtree_hash_is_named_by_its_first_entry(filled):
    tamper(filled, "UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND idx = 3", h=b"\x00" * 32)
    report = run_audit(filled)
    assert report.first_bad.index == 12
    assert "(2, 3)" in report.first_bad.reason


def test_a_checkpoint_with_a_foreign_signature_fails_the_audit(filled, signer):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.signing import NoteSigner

    other = NoteSigner(signer.name, Ed25519PrivateKey.generate())
    assert not run_audit(filled, other).ok


def test_audit_of_a_ledger_growing_meanwhile_is_clean(filled, store, ledger):
    import threading

    from ledger_fixtures import make_events

    done = threading.Event()

    def keep_appending():
        start = SIZE
        while not done.is_set():
            with filled.begin() as conn:
                store.append(conn, make_events(9, start=start))
                if start % 2:
                    ledger.sign_checkpoint(conn)
            start += 9

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        reports = [run_audit(filled) for _ in range(5)]
    finally:
        done.set()
        writer.join()
    assert all(r.ok for r in reports), [r.summary() for r in reports]
    assert run_audit(filled).ok


def test_subtree_hashes_shifted_across_rows_are_caught(filled):
    """Concatenated, (1, 0) cut to 31 bytes and (1, 1) carrying the rest read the same: lengths count too."""
    with filled.connect() as conn:
        h0, h1 = (bytes(conn.execute(text("SELECT hash FROM ledger_nodes WHERE level = 1 AND idx = :i"), {"i": i}).scalar())
                  for i in (0, 1))
    tamper(filled, "UPDATE ledger_nodes SET hash = :h WHERE level = 1 AND idx = 0", h=h0[:31])
    tamper(filled, "UPDATE ledger_nodes SET hash = :h WHERE level = 1 AND idx = 1", h=h0[31:] + h1)
    with filled.connect() as conn:
        report = audit(conn)
    assert report.first_bad.index == 0
    assert "(1, 0)" in report.first_bad.reason


def test_a_clean_ledger_passes_on_the_fast_path(filled, monkeypatch, read_mode, is_postgres):
    """No clean page falls back to a slower check: still right, but the audit would crawl."""
    def slower(*_args):
        raise AssertionError("a clean page fell back to a slower check")

    monkeypatch.setattr(ledger_audit, "_check_one_by_one", slower)
    if read_mode == "read ahead" and not is_postgres:
        monkeypatch.setattr(ledger_audit, "_clean_chunk_hashes", slower)
    assert run_audit(filled).ok


def test_a_page_the_sqlite_reader_cannot_read_is_read_row_by_row(filled, monkeypatch, read_mode, is_postgres):
    if read_mode != "read ahead" or is_postgres:
        pytest.skip("the second connection reads SQLite files only")
    monkeypatch.setattr(ledger_audit, "_ENTRY_BLOBS", "SELECT no_such_column FROM ledger_entries WHERE ? < ?")
    report = run_audit(filled)
    assert report.ok and report.size == SIZE
