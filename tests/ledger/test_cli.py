"""``python -m ledger`` in separate processes: export, verify, audit."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.anchor import Anchorer
from ledger.sql_guard import drop_append_only_guard_ddl

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def anchored(engine, ledger, events):
    with engine.begin() as conn:
        ledger.append(conn, events(12))
        ledger.sign_checkpoint(conn)
        ledger.anchor_checkpoint(conn, Anchorer.embedded())
    return engine


def export(database_url, tmp_path, index=7) -> Path:
    out = tmp_path / "bundle.json"
    result = run_cli("export-proof", "--database-url", database_url, "--index", str(index), "-o", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_an_exported_bundle_verifies_in_a_separate_process(anchored, database_url, tmp_path, signer):
    bundle = export(database_url, tmp_path)
    result = run_cli("verify-proof", str(bundle), "--public-key", signer.verifier_key())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK entry 7 (qc.recorded")
    assert "anchor tx 0x" in result.stdout


@pytest.mark.parametrize("tamper, reason", [
    (lambda b: b.update(entry=base64.b64encode(base64.b64decode(b["entry"]).replace(b"L7", b"L8")).decode()),
     "inclusion"),
    (lambda b: b.update(index=6), "inclusion"),
    (lambda b: b["inclusion_path"].reverse(), "inclusion"),
    (lambda b: b.update(checkpoint=b["checkpoint"].replace("\n12\n", "\n13\n")), "checkpoint signature"),
    (lambda b: b["anchor"].update(tx_hash="0x" + "00" * 32), "anchor"),
])
def test_a_tampered_bundle_fails_with_a_reason(anchored, database_url, tmp_path, tamper, reason):
    path = export(database_url, tmp_path)
    bundle = json.loads(path.read_text())
    tamper(bundle)
    path.write_text(json.dumps(bundle))
    result = run_cli("verify-proof", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith("BAD") and reason in result.stdout


def test_a_bundle_checked_against_a_different_trusted_key_fails(anchored, database_url, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger_fixtures import ORIGIN
    from ledger.signing import NoteSigner

    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier_key()
    result = run_cli("verify-proof", str(export(database_url, tmp_path)), "--public-key", other)
    assert result.returncode == 1 and "no signature from" in result.stdout


def test_export_refuses_an_index_no_checkpoint_covers(anchored, database_url):
    result = run_cli("export-proof", "--database-url", database_url, "--index", "12")
    assert result.returncode == 1 and "no checkpoint covers index 12" in result.stdout


def test_audit_command_reports_ok_then_the_first_bad_index(anchored, database_url, signer):
    result = run_cli("audit", "--database-url", database_url, "--public-key", signer.verifier_key())
    assert result.returncode == 0 and result.stdout.startswith("OK 12 entries"), result.stdout + result.stderr
    with anchored.begin() as conn:
        for statement in drop_append_only_guard_ddl(anchored.dialect.name):
            conn.execute(text(statement))
        conn.execute(text("DELETE FROM ledger_entries WHERE idx = 4"))
    result = run_cli("audit", "--database-url", database_url)
    assert result.returncode == 1
    assert "first bad index 4" in result.stdout


def test_checkpoint_command_signs_with_a_generated_dev_key(engine, database_url, tmp_path, ledger, events):
    with engine.begin() as conn:
        ledger.append(conn, events(3))
    key = tmp_path / "var" / "ledger_ed25519.key"
    result = run_cli("checkpoint", "--database-url", database_url, "--key-file", str(key), "--origin", "smm.test/ledger")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("smm.test/ledger\n3\n") and key.exists()
