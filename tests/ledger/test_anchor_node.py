"""Anchoring in the Anchor contract on a real node (anvil, tests/anvil.py): finality after N
confirmations, the node down (pending, retried), a reorg before finality (re-anchored), the
owner-only contract, and verification from another process with only an RPC URL and the
contract's address."""
from __future__ import annotations

import pytest

from ledger.anchor import Anchorer, deploy_anchor_contract, find_anchor_events, verify_anchor, verify_raw_anchor
from ledger.errors import AnchorUnavailableError
from tests.anvil import FUNDED_KEY, OTHER_KEY
from tests.ledger.test_cli import run_cli


@pytest.fixture
def checkpointed(engine, ledger, events):
    with engine.begin() as conn:
        ledger.append(conn, events(5))
        return ledger.sign_checkpoint(conn)


def _anchorer(node, contract, confirmations=3, key=FUNDED_KEY) -> Anchorer:
    return Anchorer.from_rpc(node.url, key, contract_address=contract, confirmations=confirmations, timeout=5)


def _advance(engine, ledger, anchorer, seq):
    with engine.connect() as conn:
        try:
            return ledger.advance_anchor(conn, anchorer, seq=seq)
        finally:
            conn.commit()  # a failed attempt's row too, as the periodic checkpoint keeps it


def _statuses(engine, store):
    with engine.connect() as conn:
        return [a.status for a in store.anchors(conn)]


def test_an_anchor_is_final_only_after_n_confirmations(engine, ledger, store, anvil, checkpointed):
    anchorer = _anchorer(anvil, deploy_anchor_contract(anvil.w3, FUNDED_KEY), confirmations=3)
    sent = _advance(engine, ledger, anchorer, checkpointed.seq)
    assert sent.status == "submitted" and sent.chain == anvil.url and sent.chain_id == 31337
    assert _advance(engine, ledger, anchorer, checkpointed.seq) == sent  # 1 confirmation of 3: still waiting
    anvil.mine(1)
    assert _advance(engine, ledger, anchorer, checkpointed.seq).status == "submitted"  # 2 of 3
    anvil.mine(1)
    final = _advance(engine, ledger, anchorer, checkpointed.seq)
    assert final.status == "confirmed" and final.tx_hash == sent.tx_hash and final.block_number == sent.block_number
    assert _advance(engine, ledger, anchorer, checkpointed.seq) == final  # nothing more to do
    assert _statuses(engine, store) == ["submitted", "confirmed"]
    assert verify_anchor(anvil.w3, final.tx_hash, checkpointed.note)
    assert verify_raw_anchor(final.raw_tx, final.tx_hash, checkpointed.note)


def test_with_the_node_down_the_anchor_is_pending_and_retried(engine, ledger, store, anvil_node, checkpointed):
    anvil_node.start()
    contract = deploy_anchor_contract(anvil_node.w3, FUNDED_KEY)
    anvil_node.stop()  # the chain is kept (anvil --state) while the node is away
    anchorer = _anchorer(anvil_node, contract, confirmations=2)
    with pytest.raises(AnchorUnavailableError, match=str(anvil_node.port)):
        _advance(engine, ledger, anchorer, checkpointed.seq)
    assert _statuses(engine, store) == ["failed"]

    anvil_node.start()
    assert _advance(engine, ledger, anchorer, checkpointed.seq).status == "submitted"
    anvil_node.stop()  # down again while the anchor awaits its confirmations: no row, just a retry
    with pytest.raises(AnchorUnavailableError):
        _advance(engine, ledger, anchorer, checkpointed.seq)
    anvil_node.start()
    anvil_node.mine(1)
    assert _advance(engine, ledger, anchorer, checkpointed.seq).status == "confirmed"
    assert _statuses(engine, store) == ["failed", "submitted", "confirmed"]


def test_a_reorg_before_finality_re_anchors(engine, ledger, store, anvil, checkpointed):
    anchorer = _anchorer(anvil, deploy_anchor_contract(anvil.w3, FUNDED_KEY), confirmations=3)
    fork_point = anvil.rpc("evm_snapshot")
    first = _advance(engine, ledger, anchorer, checkpointed.seq)
    anvil.mine(1)
    assert _advance(engine, ledger, anchorer, checkpointed.seq) == first
    anvil.rpc("evm_revert", fork_point)  # the blocks holding the anchor are gone from the chain
    anvil.mine(3)  # the other branch grows past where the anchor was
    again = _advance(engine, ledger, anchorer, checkpointed.seq)
    assert again.status == "submitted" and again.block_number > first.block_number
    assert _statuses(engine, store) == ["submitted", "failed", "submitted"]
    with engine.connect() as conn:
        dropped = store.anchors(conn)[1]
    assert dropped.tx_hash == first.tx_hash and "reorg" in dropped.detail
    anvil.mine(2)
    assert _advance(engine, ledger, anchorer, checkpointed.seq).status == "confirmed"
    events = find_anchor_events(anvil.w3, anchorer.contract_address, checkpointed.root, checkpointed.tree_size)
    assert [e.tx_hash for e in events] == [again.tx_hash] and events[0].confirmations == 3


def test_only_the_owner_anchors(anvil, checkpointed):
    contract = deploy_anchor_contract(anvil.w3, FUNDED_KEY)
    stranger = _anchorer(anvil, contract, key=OTHER_KEY)
    with pytest.raises(AnchorUnavailableError, match="failed"):
        stranger.anchor(checkpointed.note)
    assert find_anchor_events(anvil.w3, contract, checkpointed.root, checkpointed.tree_size) == []


def test_an_address_that_is_not_the_contract_is_refused(anvil, checkpointed):
    from eth_account import Account

    not_a_contract = Account.from_key(OTHER_KEY).address  # calls to it succeed and emit nothing
    with pytest.raises(AnchorUnavailableError, match="emitted no Anchored event"):
        _anchorer(anvil, not_a_contract).anchor(checkpointed.note)


def test_another_process_verifies_the_anchor_from_the_event_log(anvil, checkpointed, capsys):
    contract = deploy_anchor_contract(anvil.w3, FUNDED_KEY)
    receipt = _anchorer(anvil, contract).anchor(checkpointed.note)
    anvil.mine(2)
    args = ["verify-anchor", "--rpc", anvil.url, "--contract", contract, "--size", str(checkpointed.tree_size)]
    root_b64 = checkpointed.note.split("\n")[2]  # as the checkpoint note states it
    ok = run_cli(*args, "--root", root_b64, "--confirmations", "3")
    assert ok.returncode == 0 and ok.stdout.startswith(f"OK anchored in tx {receipt.tx_hash}"), ok.stdout + ok.stderr
    assert "3 confirmations" in ok.stdout

    # the refusals, in this process (the same command; a process costs seconds of imports)
    from ledger.__main__ import main

    def refused(*argv) -> str:
        assert main(list(argv)) == 1
        return capsys.readouterr().out

    assert "fewer than 4" in refused(*args, "--root", "0x" + checkpointed.root.hex(), "--confirmations", "4")
    assert refused(*args, "--root", "0x" + bytes(32).hex()).startswith("BAD no Anchored")
    assert refused("verify-anchor", "--rpc", anvil.url, "--contract", contract, "--root", root_b64,
                   "--size", str(checkpointed.tree_size + 1)).startswith("BAD no Anchored")
    assert refused(*args, "--root", "0xabc").startswith("BAD root")
    anvil.stop()
    assert refused(*args, "--root", root_b64).startswith("ERROR cannot read the event log")
