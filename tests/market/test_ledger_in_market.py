"""Order events land on the ledger in the same transaction as the change; the operator
signs and anchors checkpoints; anyone fetches a proof that verifies in a separate process."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.sql_guard import drop_append_only_guard_ddl
from tests.conftest import order_body


def _ledger_size(app):
    from market.journal.ledger import get_ledger
    from market.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        return get_ledger().store.size(s.connection())


def test_every_order_step_is_a_ledger_event_and_refusals_leave_none(app, api, tenant):
    buyer, operator = api(tenant("buyer")), api(tenant("operator"))
    order = buyer.post("/api/v1/orders", json=order_body()).get_json()
    assert _ledger_size(app) == 1
    url = f"/api/v1/orders/{order['id']}/transitions"
    assert buyer.post(url, json={"to": "shipped"}).status_code == 409
    assert _ledger_size(app) == 1  # the refused move wrote nothing
    operator.post(url, json={"to": "quoted"})
    buyer.post(url, json={"to": "cancelled"})
    assert _ledger_size(app) == 3


def test_operator_checkpoint_anchors_and_a_public_proof_verifies_in_another_process(app, api, tenant, client, tmp_path):
    buyer, operator_t = api(tenant("buyer")), tenant("operator")
    buyer.post("/api/v1/orders", json=order_body())
    buyer.post("/api/v1/orders", json=order_body(title="Second"))
    assert client.get("/api/v1/ledger/entries/0/proof").status_code == 409  # nothing signed yet

    portal = app.test_client()
    portal.post("/login", data={"email": operator_t.email, "password": "correct-horse-1"})
    page = portal.post("/operator/ledger/checkpoint", follow_redirects=True).get_data(as_text=True)
    assert "signed and anchored in block" in page
    assert 'id="dev-chain"' in page  # the in-process chain (no ANCHOR_RPC_URL) says it is dev only
    assert "Verified: 2 entries" in portal.get("/operator/ledger?audit=1").get_data(as_text=True)

    bundle = client.get("/api/v1/ledger/entries/1/proof").get_json()
    entry = json.loads(__import__("base64").b64decode(bundle["entry"]))
    assert entry["event"]["type"] == "order.posted" and "budget" not in json.dumps(entry)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({k: v for k, v in bundle.items() if k != "anchor"}))
    result = subprocess.run([sys.executable, "-m", "ledger", "verify-proof", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    bundle["entry"] = bundle["entry"][:-4] + ("AAAA" if not bundle["entry"].endswith("AAAA") else "BBBB")
    path.write_text(json.dumps({k: v for k, v in bundle.items() if k != "anchor"}))
    assert subprocess.run([sys.executable, "-m", "ledger", "verify-proof", str(path)]).returncode == 1
    assert client.get("/api/v1/ledger/entries/99/proof").status_code == 404


def test_only_operators_see_the_ledger_console(app, tenant):
    portal = app.test_client()
    buyer = tenant("buyer")
    portal.post("/login", data={"email": buyer.email, "password": "correct-horse-1"})
    assert portal.get("/operator/ledger").status_code == 403


def _garble_signature(note: str) -> str:
    body, _, line = note.rstrip("\n").rpartition("\n")
    head, sig = line.rsplit(" ", 1)
    sig = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    return f"{body}\n{head} {sig}\n"


def _flip_origin(note: str) -> str:
    _origin, rest = note.split("\n", 1)
    return f"evil.example/ledger\n{rest}"


def _flip_timestamp(note: str) -> str:
    from datetime import timedelta

    from ledger.events import format_when, parse_when

    return re.sub(r"(?m)^timestamp (\S+)$",
                  lambda m: "timestamp " + format_when(parse_when(m.group(1)) - timedelta(days=3)), note, count=1)


@pytest.mark.parametrize("tamper", [_garble_signature, _flip_origin, _flip_timestamp])
def test_a_checkpoint_whose_signed_note_was_altered_fails_the_cli_audit_and_the_operator_page(
        app, api, tenant, tmp_path, tamper):
    from market.db import unit_of_work
    from market.trace import services

    buyer, operator = api(tenant("buyer")), tenant("operator")
    buyer.post("/api/v1/orders", json=order_body())
    with app.app_context():
        services.checkpoint(anchor=False)
    buyer.post("/api/v1/orders", json=order_body(title="Second"))
    with app.app_context():
        services.checkpoint(anchor=False)
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "MARKET_VAR_DIR": str(tmp_path),
           "LOG_LEVEL": "ERROR"}
    env.pop("LEDGER_SIGNING_KEY", None)
    market = [str(Path(sys.executable).parent / "market"), "ledger", "audit"]
    clean = subprocess.run(market, env=env, capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "OK 2 entries" in clean.stdout, clean.stdout + clean.stderr

    with app.app_context(), unit_of_work() as s:  # what a rogue DBA could do behind the app's back
        if s.bind.dialect.name == "postgresql":
            s.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for statement in drop_append_only_guard_ddl("sqlite"):
                s.execute(text(statement))
        note = s.execute(text("SELECT note FROM ledger_checkpoints WHERE seq = 1")).scalar_one()
        assert tamper(note) != note
        s.execute(text("UPDATE ledger_checkpoints SET note = :n WHERE seq = 1"), {"n": tamper(note)})
        s.commit()

    audited = subprocess.run(market, env=env, capture_output=True, text=True, timeout=120)
    assert audited.returncode == 1 and "checkpoint #1" in audited.stdout, audited.stdout + audited.stderr
    portal = app.test_client()
    portal.post("/login", data={"email": operator.email, "password": "correct-horse-1"})
    page = portal.get("/operator/ledger?audit=1").get_data(as_text=True)
    assert "The ledger is broken from entry" in page and "checkpoint #1" in page
