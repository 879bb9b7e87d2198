"""Chain anchoring on the in-process (dev-only) EVM, and failure when the chain is away.
The same code against a real node: tests/ledger/test_anchor_node.py."""

from __future__ import annotations

import sys

import pytest

from ledger.anchor import (Anchorer, anchor_calldata, anchor_payload, checkpoint_root_size, contract_artifact,
                          verify_anchor, verify_raw_anchor)
from ledger.errors import AnchorUnavailableError


_NOTE = "o\n1\n" + "A" * 43 + "=\n"  # origin, size 1, a 32-byte root of zeros


@pytest.fixture(scope="module")
def anchorer():
    return Anchorer.embedded()


@pytest.fixture
def checkpointed(engine, ledger, events):
    with engine.begin() as conn:
        ledger.append(conn, events(5))
        return ledger.sign_checkpoint(conn)


def test_payload_is_the_abi_encoded_anchor_call_of_the_checkpoint_root_and_size(checkpointed):
    from eth_utils import keccak

    root, size = checkpoint_root_size(checkpointed.note)
    assert (root, size) == (checkpointed.root, checkpointed.tree_size) == (checkpointed.root, 5)
    payload = anchor_payload(checkpointed.note)
    assert payload[:4] == keccak(text="anchor(bytes32,uint64)")[:4]
    assert payload[4:36] == root and int.from_bytes(payload[36:], "big") == 5 and len(payload) == 68
    # the committed ABI names the same function and event
    names = {(e["type"], e.get("name")) for e in contract_artifact()["abi"]}
    assert {("function", "anchor"), ("event", "Anchored"), ("function", "owner")} <= names
    with pytest.raises(ValueError):
        anchor_calldata(b"short", 1)


def test_an_anchored_checkpoint_is_found_on_chain(engine, ledger, store, anchorer, checkpointed):
    with engine.begin() as conn:
        record = ledger.anchor_checkpoint(conn, anchorer)
    assert record.status == "confirmed" and record.chain == "embedded"
    assert record.block_number >= 1 and record.tx_hash.startswith("0x")
    assert verify_anchor(anchorer.w3, record.tx_hash, checkpointed.note)
    other = checkpointed.note.replace("\n5\n", "\n6\n", 1)  # same root, another size
    assert other != checkpointed.note and not verify_anchor(anchorer.w3, record.tx_hash, other)
    with engine.connect() as conn:
        assert store.anchors(conn, checkpointed.seq) == [record]


def test_the_raw_anchor_transaction_proves_its_payload_offline(engine, ledger, anchorer, checkpointed):
    with engine.begin() as conn:
        record = ledger.anchor_checkpoint(conn, anchorer)
    assert verify_raw_anchor(record.raw_tx, record.tx_hash, checkpointed.note)
    assert not verify_raw_anchor(record.raw_tx, record.tx_hash, checkpointed.note.replace("\n5\n", "\n6\n", 1))
    assert not verify_raw_anchor(record.raw_tx, record.tx_hash, "not a checkpoint\n")
    assert not verify_raw_anchor(record.raw_tx[:-1] + bytes([record.raw_tx[-1] ^ 1]), record.tx_hash, checkpointed.note)


def test_an_unknown_transaction_does_not_verify(anchorer):
    assert not verify_anchor(anchorer.w3, "0x" + "11" * 32, _NOTE)


def test_an_unreachable_chain_raises_a_named_error_and_is_recorded(engine, ledger, store, checkpointed, events):
    away = Anchorer.from_rpc("http://127.0.0.1:9/", "0x" + "42" * 32, contract_address="0x" + "11" * 20, timeout=2)
    with pytest.raises(AnchorUnavailableError, match="127.0.0.1:9"):
        with engine.begin() as conn:
            ledger.anchor_checkpoint(conn, away)
    with engine.begin() as conn:  # the failure row was rolled back with the caller's transaction...
        assert store.anchors(conn) == []
        try:
            ledger.anchor_checkpoint(conn, away)
        except AnchorUnavailableError:
            pass  # ...unless the caller commits it, as a retry scheduler would
    with engine.begin() as conn:
        assert [a.status for a in store.anchors(conn)] == ["failed"]
        assert ledger.append(conn, events(1, start=5))[0].index == 5  # the ledger keeps working


def test_verifying_against_an_unreachable_chain_raises_a_named_error():
    from web3 import HTTPProvider, Web3

    w3 = Web3(HTTPProvider("http://127.0.0.1:9/", request_kwargs={"timeout": 2}))
    with pytest.raises(AnchorUnavailableError):
        verify_anchor(w3, "0x" + "11" * 32, _NOTE)


def test_the_in_process_chain_without_the_chain_extra_names_the_extra(monkeypatch):
    # the default install has no eth-tester/py-evm: a None entry makes the import fail as then
    monkeypatch.setitem(sys.modules, "eth_tester.backends.pyevm.main", None)
    with pytest.raises(AnchorUnavailableError, match=r"install the 'chain' extra: pip install -e '\.\[chain\]'"):
        Anchorer.embedded()


def test_the_public_chain_label_keeps_no_secret_of_the_rpc_url():
    from ledger.anchor import public_chain_label

    assert public_chain_label("https://user:pw@mainnet.infura.io:443/v3/0123abcd?key=x#f") == "https://mainnet.infura.io:443"
    assert public_chain_label("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


def test_the_in_process_chain_is_final_at_inclusion_and_marked_dev_only(anchorer):
    assert anchorer.confirmations == 1 and anchorer.chain == "embedded"
    assert "DEV ONLY" in Anchorer.embedded.__doc__


def test_a_chain_without_a_configured_contract_names_the_setting(engine, ledger, store, checkpointed):
    unset = Anchorer.from_rpc("http://127.0.0.1:9/", "0x" + "42" * 32, timeout=2)
    with pytest.raises(AnchorUnavailableError, match="ANCHOR_CONTRACT_ADDRESS"):
        unset.anchor(checkpointed.note)
