"""The chain's node down: anchoring fails and is recorded as pending, the ledger keeps
appending and serving proofs, /readyz and /metrics show the backlog, and the periodic
checkpoint anchors it once the node answers again, confirmed after ANCHOR_CONFIRMATIONS
blocks. The node is a real one (anvil, tests/anvil.py) with the Anchor contract."""
import pytest

from ledger.anchor import deploy_anchor_contract, verify_anchor
from tests.anvil import FUNDED_KEY
from tests.conftest import order_body
from tests.market.test_ops_metrics import _value


@pytest.fixture
def chain(app, anvil_node):
    anvil_node.start()
    contract = deploy_anchor_contract(anvil_node.w3, FUNDED_KEY)
    anvil_node.stop()  # the node is down; its chain (with the contract) comes back with it
    app.config.update(ANCHOR_RPC_URL=anvil_node.url, ANCHOR_PRIVATE_KEY=FUNDED_KEY,
                      ANCHOR_CONTRACT_ADDRESS=contract, ANCHOR_CONFIRMATIONS=2)
    return anvil_node


def _tick(app):
    from market.ops import periodic

    with app.app_context():
        return periodic.run("ledger_checkpoint")


def test_with_the_chain_down_the_ledger_keeps_working_and_anchoring_catches_up(app, client, api, tenant, chain):
    buyer = api(tenant("buyer"))
    assert buyer.post("/api/v1/orders", json=order_body()).status_code == 201

    down = _tick(app)
    assert down["signed"] is not None and down["anchored"] is None and down["pending"] == 1
    assert "failed" in down["error"]

    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["chain"] != "ok"
    assert ready.get_json()["checks"]["database"] == "ok"
    assert ready.get_json()["anchoring"]["pending_checkpoints"] == 1

    # the ledger goes on: new orders append, public proofs are served
    assert buyer.post("/api/v1/orders", json=order_body()).status_code == 201
    assert client.get("/api/v1/ledger/entries/0/proof").status_code == 200
    assert _tick(app)["pending"] == 2  # a second checkpoint, still waiting
    metrics = client.get("/metrics").get_data(as_text=True)
    assert _value(metrics, "market_anchor_pending_checkpoints") == 2
    assert _value(metrics, "market_ledger_unanchored_entries") == _value(metrics, "market_ledger_entries") > 0

    chain.start()
    up = _tick(app)
    # mined: 1 block of 2, so both checkpoints are still pending
    assert up["anchored"] is None and up["submitted"]["checkpoint"] == down["signed"] + 1 and up["pending"] == 2
    assert _tick(app)["anchored"] is None  # no new block, no new confirmation
    chain.mine(1)
    final = _tick(app)
    assert final["anchored"]["tx"] == up["submitted"]["tx"] and final["pending"] == 0
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["anchoring"] == {"pending_checkpoints": 0, "unanchored_entries": 0,
                                                                "lag_seconds": 0.0}
    from tests.market.test_ops_periodic import _checkpoints_and_anchors

    checkpoints, anchors = _checkpoints_and_anchors(app)
    assert [a.status for a in anchors] == ["failed", "failed", "submitted", "confirmed"]
    latest = checkpoints[-1]
    assert len(checkpoints) == 2 and anchors[-1].checkpoint_seq == latest.seq  # the newest covers both
    assert verify_anchor(chain.w3, anchors[-1].tx_hash, latest.note)  # on the chain, for the newest checkpoint
