"""Signed notes and checkpoints: C2SP formats, signatures, refusal of forks."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger_fixtures import ORIGIN
from ledger.checkpoint import Checkpoint, check_extends, parse_checkpoint_text, verify_checkpoint
from ledger.errors import CheckpointError, InconsistentCheckpointError, SigningKeyError
from ledger.hashing import EMPTY_ROOT
from ledger.signing import (
    NoteSigner,
    load_or_create_private_key,
    load_private_key,
    load_public_key,
    open_note,
    private_key_pem,
)
from sqlalchemy import text

WHEN = datetime(2026, 11, 22, 3, 0, 0, tzinfo=timezone.utc)


def test_signature_matches_the_go_sumdb_note_vector():
    # golang.org/x/mod/sumdb/note example key "PeterNeumann" and its published signature.
    seed = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
    signer = NoteSigner("PeterNeumann", load_private_key(base64.b64encode(seed).decode()))
    text_ = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.sign(text_) == text_ + (
        "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
        "dngotpRZb6KE6RyyBwJnAM=\n"
    )


def test_checkpoint_text_has_origin_size_root_and_timestamp_lines(signer):
    cp = Checkpoint(ORIGIN, 8, EMPTY_ROOT, WHEN)
    assert cp.text() == (
        f"{ORIGIN}\n8\n{base64.b64encode(EMPTY_ROOT).decode()}\ntimestamp 2026-11-22T03:00:00Z\n"
    )
    assert parse_checkpoint_text(cp.text()) == cp


def test_signed_checkpoint_verifies_and_parses_back(signer):
    note = Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN).sign(signer)
    assert verify_checkpoint(note, public_key=signer.public_key) == Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN)


@pytest.mark.parametrize("mutate", [
    lambda n: n.replace("\n3\n", "\n4\n"),
    lambda n: n.replace("timestamp 2026", "timestamp 2027"),
    lambda n: n.replace(ORIGIN, "evil.example/ledger"),
    # a signature character well inside the base64: the one before "=" also carries padding bits
    lambda n: n[:-10] + ("A" if n[-10] != "A" else "B") + n[-9:],
])
def test_any_change_to_a_signed_checkpoint_fails_verification(signer, mutate):
    note = Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN).sign(signer)
    with pytest.raises(CheckpointError):
        verify_checkpoint(mutate(note), public_key=signer.public_key)


def test_checkpoint_signed_by_another_key_is_rejected(signer):
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    note = Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN).sign(other)
    with pytest.raises(CheckpointError, match="no signature from"):
        verify_checkpoint(note, public_key=signer.public_key)


def test_signatures_from_unknown_keys_are_ignored(signer):
    witness = NoteSigner("witness.example", Ed25519PrivateKey.generate())
    note = Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN).sign(signer)
    cosigned = note + witness.sign(Checkpoint(ORIGIN, 3, EMPTY_ROOT, WHEN).text()).split("\n\n")[1]
    assert open_note(cosigned, name=ORIGIN, public_key=signer.public_key).startswith(ORIGIN)


def test_keys_load_from_pem_base64_and_verifier_key(signer, tmp_path):
    assert load_private_key(private_key_pem(signer.private_key).decode()).private_bytes_raw() == \
        signer.private_key.private_bytes_raw()
    assert load_public_key(signer.verifier_key()) == signer.public_key
    assert load_public_key(base64.b64encode(signer.public_key).decode()) == signer.public_key
    with pytest.raises(SigningKeyError):
        load_private_key("not a key")


def test_dev_key_is_generated_once_and_then_reused(tmp_path):
    path = tmp_path / "var" / "ledger_ed25519.key"
    first = load_or_create_private_key(path)
    second = load_or_create_private_key(path)
    assert first.private_bytes_raw() == second.private_bytes_raw()
    assert path.stat().st_mode & 0o777 == 0o600


def test_ledger_signs_checkpoints_that_extend_each_other(engine, ledger, store, events, signer):
    with engine.begin() as conn:
        ledger.append(conn, events(5))
        first = ledger.sign_checkpoint(conn, now=WHEN)
        ledger.append(conn, events(6, start=5))
        second = ledger.sign_checkpoint(conn, now=WHEN)
        proof = store.consistency_proof(conn, 5, 11)
    a = verify_checkpoint(first.note, public_key=signer.public_key)
    b = verify_checkpoint(second.note, public_key=signer.public_key)
    assert (a.size, b.size, first.seq, second.seq) == (5, 11, 0, 1)
    check_extends(a, b, proof)


def test_ledger_refuses_to_sign_a_tree_inconsistent_with_the_last_checkpoint(engine, ledger, store, events, is_postgres):
    from ledger.sql_guard import drop_append_only_guard_ddl

    with engine.begin() as conn:
        ledger.append(conn, events(6))
        ledger.sign_checkpoint(conn, now=WHEN)
    with engine.begin() as conn:  # rewrite history behind the ledger's back
        for statement in drop_append_only_guard_ddl(engine.dialect.name):
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM ledger_nodes"))
        conn.execute(text("DELETE FROM ledger_entries"))
    with engine.begin() as conn:
        ledger.append(conn, events(7, start=100))
        with pytest.raises(InconsistentCheckpointError, match="not consistent with checkpoint at size 6") as err:
            ledger.sign_checkpoint(conn, now=WHEN)
    assert (err.value.old_size, err.value.new_size) == (6, 7)


def test_ledger_refuses_to_sign_a_tree_smaller_than_the_last_checkpoint(engine, ledger, events):
    from ledger.sql_guard import drop_append_only_guard_ddl

    with engine.begin() as conn:
        ledger.append(conn, events(6))
        ledger.sign_checkpoint(conn, now=WHEN)
    with engine.begin() as conn:
        for statement in drop_append_only_guard_ddl(engine.dialect.name):
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM ledger_entries WHERE idx >= 4"))
    with engine.begin() as conn:
        with pytest.raises(InconsistentCheckpointError, match="tree size 4 is smaller than earlier checkpoint size 6"):
            ledger.sign_checkpoint(conn, now=WHEN)


def test_check_extends_rejects_a_forked_tree():
    from ledger import merkle

    a = [b"a", b"b", b"c"]
    b = [b"a", b"X", b"c", b"d"]
    old = Checkpoint(ORIGIN, 3, merkle.root(a), WHEN)
    new = Checkpoint(ORIGIN, 4, merkle.root(b), WHEN)
    with pytest.raises(InconsistentCheckpointError):
        check_extends(old, new, merkle.consistency_proof(b, 3))
