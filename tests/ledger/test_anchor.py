"""Chain anchoring on the in-process EVM, and failure when the chain is away."""

from __future__ import annotations

import sys

import pytest

from ledger.anchor import ANCHOR_MAGIC, Anchorer, anchor_payload, verify_anchor, verify_raw_anchor
from ledger.errors import AnchorUnavailableError


@pytest.fixture(scope="module")
def anchorer():
    return Anchorer.embedded()


@pytest.fixture
def checkpointed(engine, ledger, events):
    with engine.begin() as conn:
        ledger.append(conn, events(5))
        return ledger.sign_checkpoint(conn)


def test_payload_is_the_magic_followed_by_the_checkpoint_sha256():
    payload = anchor_payload("x\n")
    assert payload.startswith(ANCHOR_MAGIC) and len(payload) == len(ANCHOR_MAGIC) + 32


def test_an_anchored_checkpoint_is_found_on_chain(engine, ledger, store, anchorer, checkpointed):
    with engine.begin() as conn:
        record = ledger.anchor_checkpoint(conn, anchorer)
    assert record.status == "confirmed" and record.chain == "embedded"
    assert record.block_number >= 1 and record.tx_hash.startswith("0x")
    assert verify_anchor(anchorer.w3, record.tx_hash, checkpointed.note)
    assert not verify_anchor(anchorer.w3, record.tx_hash, checkpointed.note + " ")
    with engine.connect() as conn:
        assert store.anchors(conn, checkpointed.seq) == [record]


def test_the_raw_anchor_transaction_proves_its_payload_offline(engine, ledger, anchorer, checkpointed):
    with engine.begin() as conn:
        record = ledger.anchor_checkpoint(conn, anchorer)
    assert verify_raw_anchor(record.raw_tx, record.tx_hash, checkpointed.note)
    assert not verify_raw_anchor(record.raw_tx, record.tx_hash, "another checkpoint\n")
    assert not verify_raw_anchor(record.raw_tx[:-1] + bytes([record.raw_tx[-1] ^ 1]), record.tx_hash, checkpointed.note)


def test_an_unknown_transaction_does_not_verify(anchorer):
    assert not verify_anchor(anchorer.w3, "0x" + "11" * 32, "x\n")


def test_an_unreachable_chain_raises_a_named_error_and_is_recorded(engine, ledger, store, checkpointed, events):
    away = Anchorer.from_rpc("http://127.0.0.1:9/", "0x" + "42" * 32, timeout=2)
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
        verify_anchor(w3, "0x" + "11" * 32, "x\n")


def test_the_in_process_chain_without_the_chain_extra_names_the_extra(monkeypatch):
    # the default install has no eth-tester/py-evm: a None entry makes the import fail as then
    monkeypatch.setitem(sys.modules, "eth_tester.backends.pyevm.main", None)
    with pytest.raises(AnchorUnavailableError, match=r"install the 'chain' extra: pip install -e '\.\[chain\]'"):
        Anchorer.embedded()


def test_the_public_chain_label_keeps_no_secret_of_the_rpc_url():
    from ledger.anchor import public_chain_label

    assert public_chain_label("https://user:pw@mainnet.infura.io:443/v3/0123abcd?key=x#f") == "https://mainnet.infura.io:443"
    assert public_chain_label("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
