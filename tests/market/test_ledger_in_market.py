"""Order events land on the ledger in the same transaction as the change; the operator
signs and anchors checkpoints; anyone fetches a proof that verifies in a separate process."""
import json
import subprocess
import sys

from tests.conftest import order_body


def _ledger_size(app):
    from market.trace.ledger import get_ledger
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
    assert "OK 2 entries" in portal.get("/operator/ledger?audit=1").get_data(as_text=True)

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
