"""Chain anchoring: a checkpoint's Merkle root and tree size written to the Anchor contract.

The contract (``ledger/contracts/Anchor.sol``, compiled with the pinned solc-js into
``Anchor.json``; docs/ledger.md says how) has one owner-only function
``anchor(bytes32 root, uint64 size)`` that emits ``Anchored(bytes32 indexed root, uint64
size)``.  Anyone holding an RPC URL and the contract's address can check an anchor from the
event log alone (``verify_anchor_event``, ``python -m ledger verify-anchor``); the root is
indexed so that look-up is one ``eth_getLogs`` by topic.

Transactions are signed locally with eth-account and sent raw, so the in-process chain and a
real node take the same code path, and the raw signed transaction can travel in a proof
bundle: ``keccak(raw) == tx hash`` binds the hash to the checkpoint even where the chain
itself is not reachable (the in-process chain lives inside one process).

Finality: an anchor is *submitted* once mined and *final* once ``confirmations`` blocks
(its own included) are on top of the chain's head; until then a reorg can drop it, and
``confirmations_of`` answers ``None`` for a transaction the canonical chain no longer holds
(the caller re-anchors).

* Dev only: ``Anchorer.embedded()`` — web3's ``EthereumTesterProvider`` (py-evm in process),
  the contract deployed at start, final at inclusion; gone when the process ends.
* Production: ``Anchorer.from_rpc(url, private_key, contract_address=…, confirmations=…)``.

Every chain failure raises ``AnchorUnavailableError``; the ledger keeps working and the
caller retries later.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ledger.errors import AnchorUnavailableError

EMBEDDED = "embedded"
ARTIFACT = Path(__file__).with_name("contracts") / "Anchor.json"
ANCHOR_SIGNATURE = "anchor(bytes32,uint64)"
ANCHORED_EVENT = "Anchored(bytes32,uint64)"


@cache
def contract_artifact() -> dict[str, Any]:
    """The committed compiler output: ``abi``, ``bytecode``, ``sourceSha256``, ``compiler``."""
    return json.loads(ARTIFACT.read_text(encoding="utf-8"))


def _keccak(text: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=text)


def anchored_topic() -> bytes:
    """topic0 of ``Anchored`` logs."""
    return _keccak(ANCHORED_EVENT)


def checkpoint_root_size(checkpoint_note: str) -> tuple[bytes, int]:
    """The Merkle root and tree size a (signed) checkpoint note states."""
    from ledger.checkpoint import parse_checkpoint_text

    text = checkpoint_note[: checkpoint_note.find("\n\n") + 1] if "\n\n" in checkpoint_note else checkpoint_note
    cp = parse_checkpoint_text(text)
    return cp.root, cp.size


def anchor_calldata(root: bytes, size: int) -> bytes:
    """ABI-encoded ``anchor(root, size)``: selector, root, size as a left-padded word."""
    if len(root) != 32 or not 0 <= size < 2**64:
        raise ValueError("root must be 32 bytes and size fit in uint64")
    return _keccak(ANCHOR_SIGNATURE)[:4] + root + size.to_bytes(32, "big")


def anchor_payload(checkpoint_note: str) -> bytes:
    """Return the call data of the transaction anchoring ``checkpoint_note``."""
    return anchor_calldata(*checkpoint_root_size(checkpoint_note))


def public_chain_label(url: str) -> str:
    """Return ``url``'s scheme, host and port only: hosted nodes put API keys in the user
    info, the query or the path (``/v3/<key>``), and the label goes into public bundles."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, "", "", ""))


@dataclass(frozen=True)
class AnchorReceipt:
    """A mined anchor transaction (final when ``confirmations >= Anchorer.confirmations``)."""

    chain: str
    chain_id: int
    tx_hash: str  # 0x-prefixed hex
    block_number: int
    raw_tx: bytes
    confirmations: int = 1


def _fees(eth: Any) -> dict[str, int]:
    base_fee = eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:
        return {"gasPrice": eth.gas_price}
    tip = 10**9
    return {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base_fee + tip}


def _send(w3: Any, account: Any, tx: dict[str, Any], timeout: float) -> tuple[Any, Any, Any]:
    eth = w3.eth
    tx = {**tx, "chainId": eth.chain_id, "nonce": eth.get_transaction_count(account.address, "pending"), **_fees(eth)}
    tx["gas"] = eth.estimate_gas({"from": account.address, **{k: tx[k] for k in ("to", "data", "value") if k in tx}})
    signed = account.sign_transaction(tx)
    tx_hash = eth.send_raw_transaction(signed.raw_transaction)
    return tx, signed, eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.05)


def deploy_anchor_contract(w3: Any, private_key: bytes | str, *, timeout: float = 120.0) -> str:
    """Deploy the committed Anchor bytecode from ``private_key``'s account (its owner);
    return the contract's checksummed address."""
    from eth_account import Account

    account = Account.from_key(private_key)
    try:
        _tx, _signed, receipt = _send(w3, account, {"value": 0, "data": contract_artifact()["bytecode"]}, timeout)
    except Exception as exc:
        raise AnchorUnavailableError(f"deploying the anchor contract failed: {type(exc).__name__}: {exc}") from exc
    if receipt["status"] != 1 or not receipt.get("contractAddress"):
        raise AnchorUnavailableError("the anchor contract's deployment reverted")
    return str(receipt["contractAddress"])


class Anchorer:
    """Sends ``anchor(root, size)`` to one contract from one account through one web3 connection."""

    def __init__(self, w3: Any, private_key: bytes | str, *, chain: str, contract_address: str | None,
                 confirmations: int = 1, timeout: float = 120.0) -> None:
        from eth_account import Account

        self.w3 = w3
        self.account = Account.from_key(private_key)
        self.chain = chain
        self.contract_address = contract_address
        self.confirmations = max(1, confirmations)  # 0 and 1 both mean: final once mined
        self.timeout = timeout

    @classmethod
    def embedded(cls) -> Anchorer:
        """DEV ONLY: an in-process chain (py-evm via eth-tester), its first funded test account,
        and the contract deployed on it now. Nobody outside this process can check its anchors
        (bundles carry the raw transaction for that), and they are gone when it ends.

        eth-tester and py-evm come with the ``chain`` extra only; without them this raises
        ``AnchorUnavailableError`` saying so, and anchoring is retried like any chain outage."""
        try:
            from eth_tester.backends.pyevm.main import get_default_account_keys
        except ImportError as exc:  # eth-tester missing, or present without py-evm
            raise AnchorUnavailableError(
                f"the in-process chain needs eth-tester and py-evm ({exc.name or exc} is not installed): "
                "install the 'chain' extra: pip install -e '.[chain]', or set ANCHOR_RPC_URL to a JSON-RPC node"
            ) from exc
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
        key = get_default_account_keys()[0].to_bytes()
        return cls(w3, key, chain=EMBEDDED, contract_address=deploy_anchor_contract(w3, key), confirmations=1)

    @classmethod
    def from_rpc(cls, url: str, private_key: bytes | str, *, contract_address: str | None = None,
                 confirmations: int = 6, timeout: float = 120.0) -> Anchorer:
        """Any Ethereum JSON-RPC endpoint over HTTP; ``private_key`` owns the contract and pays the gas."""
        return cls(rpc_web3(url, timeout), private_key, chain=public_chain_label(url),
                   contract_address=contract_address, confirmations=confirmations, timeout=timeout)

    def anchor(self, checkpoint_note: str) -> AnchorReceipt:
        """Send ``anchor(root, size)`` of ``checkpoint_note`` and await its inclusion.

        Raises ``AnchorUnavailableError`` if no contract is configured, the chain cannot be
        reached, refuses or reverts the transaction, it is not mined within ``timeout``, or
        its receipt holds no ``Anchored`` event of the contract (an address without it).
        """
        if not self.contract_address:
            raise AnchorUnavailableError(
                f"no anchor contract on {self.chain}: set ANCHOR_CONTRACT_ADDRESS "
                "(deploy one with: python -m ledger deploy-anchor --rpc URL --key-file FILE)")
        root, size = checkpoint_root_size(checkpoint_note)
        try:
            to = self.w3.to_checksum_address(self.contract_address)
            tx, signed, receipt = _send(self.w3, self.account, {"to": to, "value": 0,
                                                                "data": anchor_calldata(root, size)}, self.timeout)
            head = self.w3.eth.block_number
        except Exception as exc:  # web3 raises many unrelated types: connection, RPC, timeout
            raise AnchorUnavailableError(f"anchoring on {self.chain} failed: {type(exc).__name__}: {exc}") from exc
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        if receipt["status"] != 1:
            raise AnchorUnavailableError(f"anchor transaction {tx_hash} reverted on {self.chain}")
        if not any(_is_anchored_log(log, to, root, size) for log in receipt["logs"]):
            raise AnchorUnavailableError(f"{to} on {self.chain} emitted no Anchored event: not the anchor contract")
        block = int(receipt["blockNumber"])
        return AnchorReceipt(chain=self.chain, chain_id=tx["chainId"], tx_hash=tx_hash, block_number=block,
                             raw_tx=bytes(signed.raw_transaction), confirmations=head - block + 1)

    def confirmations_of(self, tx_hash: str) -> tuple[int, int] | None:
        """``(confirmations, block number)`` of a mined anchor transaction, or ``None`` when
        the canonical chain does not hold it (a reorg dropped it) or it failed.

        Raises ``AnchorUnavailableError`` when the chain cannot be asked."""
        from web3.exceptions import TransactionNotFound

        try:
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)
            head = self.w3.eth.block_number
        except TransactionNotFound:
            return None
        except Exception as exc:
            raise AnchorUnavailableError(f"cannot read {tx_hash} on {self.chain}: {type(exc).__name__}: {exc}") from exc
        if receipt is None or receipt.get("blockNumber") is None or receipt["status"] != 1:
            return None
        block = int(receipt["blockNumber"])
        return head - block + 1, block


def rpc_web3(url: str, timeout: float = 30.0) -> Any:
    from web3 import HTTPProvider, Web3

    return Web3(HTTPProvider(url, request_kwargs={"timeout": min(timeout, 30.0)}))


def _is_anchored_log(log: Any, contract: str, root: bytes, size: int) -> bool:
    topics = [bytes(t) for t in log["topics"]]
    return (str(log["address"]).lower() == contract.lower() and topics == [anchored_topic(), root]
            and bytes(log["data"]) == size.to_bytes(32, "big"))


@dataclass(frozen=True)
class AnchorEvent:
    """An ``Anchored(root, size)`` log found on chain."""

    tx_hash: str
    block_number: int
    confirmations: int


def find_anchor_events(w3: Any, contract: str, root: bytes, size: int) -> list[AnchorEvent]:
    """Every ``Anchored(root, size)`` the contract at ``contract`` emitted, oldest first.

    Uses only ``eth_getLogs`` (by address and the indexed root) and ``eth_blockNumber``.
    Raises ``AnchorUnavailableError`` when the chain cannot be asked."""
    try:
        address = w3.to_checksum_address(contract)
        logs = w3.eth.get_logs({"address": address, "fromBlock": 0, "toBlock": "latest",
                                "topics": ["0x" + anchored_topic().hex(), "0x" + root.hex()]})
        head = w3.eth.block_number
    except Exception as exc:
        raise AnchorUnavailableError(f"cannot read the event log of {contract}: {type(exc).__name__}: {exc}") from exc
    return [AnchorEvent("0x" + bytes(log["transactionHash"]).hex(), int(log["blockNumber"]),
                        head - int(log["blockNumber"]) + 1)
            for log in logs if not log.get("removed") and _is_anchored_log(log, address, root, size)]


def parse_root(text: str) -> bytes:
    """A Merkle root given as hex (``0x``-prefixed or not) or as base64 (a checkpoint's line)."""
    t = text.strip()
    try:
        raw = bytes.fromhex(t.removeprefix("0x")) if len(t.removeprefix("0x")) == 64 else base64.b64decode(t, validate=True)
    except ValueError as exc:
        raise ValueError(f"root {text!r} is neither 32 bytes of hex nor of base64") from exc
    if len(raw) != 32:
        raise ValueError(f"root {text!r} is {len(raw)} bytes, not 32")
    return raw


def verify_anchor(w3: Any, tx_hash: str | bytes, checkpoint_text: str) -> bool:
    """Return whether mined transaction ``tx_hash`` anchors ``checkpoint_text``: it exists,
    succeeded, and its receipt holds ``Anchored(root, size)`` of that checkpoint from the
    contract it called.  Raises ``AnchorUnavailableError`` when the chain cannot be asked.
    """
    from web3.exceptions import TransactionNotFound

    root, size = checkpoint_root_size(checkpoint_text)
    try:
        tx = w3.eth.get_transaction(tx_hash)
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return False
    except Exception as exc:
        raise AnchorUnavailableError(f"cannot read transaction {tx_hash!r}: {type(exc).__name__}: {exc}") from exc
    if tx.get("blockNumber") is None or receipt["status"] != 1 or tx.get("to") is None:
        return False
    return any(_is_anchored_log(log, str(tx["to"]), root, size) for log in receipt["logs"])


def verify_raw_anchor(raw_tx: bytes, tx_hash: str, checkpoint_text: str) -> bool:
    """Return whether signed transaction ``raw_tx`` has hash ``tx_hash`` and calls
    ``anchor(root, size)`` of ``checkpoint_text``.

    Works offline: it proves the transaction *with that hash* carries the
    checkpoint's root and size, not that it was mined nor which contract it called.
    """
    from eth_account.typed_transactions import TypedTransaction
    from eth_utils import keccak
    from hexbytes import HexBytes

    try:
        expected = anchor_payload(checkpoint_text)
        if keccak(raw_tx).hex() != tx_hash.lower().removeprefix("0x"):
            return False
        if raw_tx[:1] and raw_tx[0] < 0x80:
            fields = TypedTransaction.from_bytes(HexBytes(raw_tx)).as_dict()
        else:
            import rlp

            _nonce, _gas_price, _gas, to, _value, data, *_ = rlp.decode(raw_tx)
            fields = {"to": to, "data": data}
    except Exception:
        return False
    return bool(fields.get("to")) and bytes(fields.get("data", b"")) == expected
