"""Backup and restore through the real commands: a seeded database (with checkpoints, an
anchor and an uploaded file) is backed up, restored into a fresh database and var/, the
ledger audit passes, every checkpoint verifies with the restored key, and the restored key
goes on signing checkpoints that extend the old ones."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


def _market(*args, database_url, var, check=True):
    env = {**os.environ, "DATABASE_URL": database_url, "MARKET_VAR_DIR": str(var), "LOG_LEVEL": "ERROR"}
    for name in ("LEDGER_SIGNING_KEY", "UPLOAD_DIR", "CELERY_BROKER_URL"):
        env.pop(name, None)
    done = subprocess.run([str(Path(sys.executable).parent / "market"), *args], env=env, capture_output=True, text=True,
                          timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture
def fresh_database(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored' / 'market.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_backup_restores_into_a_fresh_database_and_the_ledger_verifies_with_the_restored_key(
        app, tmp_path, fresh_database):
    from ledger.checkpoint import verify_checkpoint
    from ledger.signing import load_private_key, public_key_bytes
    from market.demo import seed
    from market.ops import periodic

    with app.app_context():
        seed.seed_world(history_days=7)
        periodic.run("ledger_checkpoint")
    upload = Path(app.config["UPLOAD_DIR"]) / "drawings" / "bracket.step"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"ISO-10303-21; a drawing")
    archive = tmp_path / "out" / "backup.tar.gz"
    made = _market("backup", str(archive), database_url=app.config["DATABASE_URL"], var=tmp_path)
    assert "ledger entries" in made.stdout and archive.stat().st_mode & 0o077 == 0  # holds keys: owner only

    restored_var = tmp_path / "restored"
    done = _market("restore", str(archive), database_url=fresh_database, var=restored_var)
    assert "restored" in done.stdout
    audit = _market("ledger", "audit", database_url=fresh_database, var=restored_var)
    assert audit.stdout.startswith("OK")
    assert (restored_var / "uploads" / "drawings" / "bracket.step").read_bytes() == upload.read_bytes()
    key_file = restored_var / "ledger_ed25519.key"
    assert key_file.read_bytes() == (tmp_path / "ledger_ed25519.key").read_bytes()
    assert key_file.stat().st_mode & 0o077 == 0

    public_key = public_key_bytes(load_private_key(key_file.read_bytes()))
    old, new = create_engine(app.config["DATABASE_URL"]), create_engine(fresh_database)
    with old.connect() as a, new.connect() as b:
        for table in ("orders", "capacity_windows", "ledger_entries", "ledger_checkpoints", "ledger_anchors"):
            assert a.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == \
                   b.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar(), table
        notes = b.execute(text("SELECT note FROM ledger_checkpoints ORDER BY seq")).scalars().all()
    old.dispose(), new.dispose()
    assert notes and all(verify_checkpoint(note, public_key=public_key) for note in notes)

    # the restored platform goes on: new entries, a checkpoint signed with the restored key
    from market import create_app

    restored = create_app({"DATABASE_URL": fresh_database, "VAR_DIR": str(restored_var), "SECRET_KEY": "t",
                           "UPLOAD_DIR": str(restored_var / "uploads"), "LOG_LEVEL": "ERROR"})
    from tests.conftest import make_tenant, order_body

    with restored.app_context():
        buyer = make_tenant("buyer")
    created = restored.test_client().post("/api/v1/orders", json=order_body(),
                                          headers={"Authorization": f"Bearer {buyer.token}"})
    assert created.status_code == 201
    with restored.app_context():
        result = periodic.run("ledger_checkpoint")
    restored.extensions["db"].dispose()
    assert result["signed"] is not None and result["anchored"] is not None
    assert _market("ledger", "audit", database_url=fresh_database, var=restored_var).stdout.startswith("OK")


def test_restore_refuses_a_database_that_is_not_empty(app, tmp_path):
    archive = tmp_path / "b.tar.gz"
    _market("backup", str(archive), database_url=app.config["DATABASE_URL"], var=tmp_path)
    refused = _market("restore", str(archive), database_url=app.config["DATABASE_URL"], var=tmp_path, check=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr
