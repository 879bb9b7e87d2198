"""Chain anchoring: a checkpoint's hash written into an Ethereum transaction.

Format: a zero-value transaction from the platform account *to itself* whose
``data`` is ``b"SMMLEDGER1" || SHA-256(signed checkpoint note, UTF-8)`` (42
bytes).  We chose a plain transaction over a contract emitting an event
because no Solidity compiler is available offline and a self-transfer needs
no deployment, costs 21,000 + calldata gas, and is checkable with nothing but
``eth_getTransactionByHash``.

Transactions are always signed locally with eth-account and sent raw, so the
embedded chain and a production JSON-RPC node take the same code path, and the
raw signed transaction can travel in a proof bundle: ``keccak(raw) == tx hash``
binds the hash to the checkpoint even where the chain itself is not reachable
(the embedded chain lives inside one process).

* Embedded default: ``Anchorer.embedded()`` — web3's ``EthereumTesterProvider``
  (py-evm in process) with eth-tester's first funded account.
* Production: ``Anchorer.from_rpc(url, private_key)``.

Every chain failure raises ``AnchorUnavailableError``; the ledger keeps working
and the caller retries later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ledger.errors import AnchorUnavailableError

ANCHOR_MAGIC = b"SMMLEDGER1"
EMBEDDED = "embedded"


def anchor_payload(checkpoint_note: str) -> bytes:
    """Return the transaction data anchoring ``checkpoint_note``."""
    return ANCHOR_MAGIC + hashlib.sha256(checkpoint_note.encode("utf-8")).digest()


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
    """A mined anchor transaction."""

    chain: str
    chain_id: int
    tx_hash: str  # 0x-prefixed hex
    block_number: int
    raw_tx: bytes


class Anchorer:
    """Sends anchor transactions from one account through one web3 connection."""

    def __init__(self, w3: Any, private_key: bytes | str, *, chain: str, timeout: float = 120.0) -> None:
        from eth_account import Account

        self.w3 = w3
        self.account = Account.from_key(private_key)
        self.chain = chain
        self.timeout = timeout

    @classmethod
    def embedded(cls) -> Anchorer:
        """An in-process chain (py-evm via eth-tester) and its first funded test account.

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
        return cls(w3, get_default_account_keys()[0].to_bytes(), chain=EMBEDDED)

    @classmethod
    def from_rpc(cls, url: str, private_key: bytes | str, *, timeout: float = 120.0) -> Anchorer:
        """Any Ethereum JSON-RPC endpoint over HTTP; ``private_key`` pays the gas."""
        from web3 import HTTPProvider, Web3

        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": min(timeout, 30.0)}))
        return cls(w3, private_key, chain=public_chain_label(url), timeout=timeout)

    def anchor(self, checkpoint_note: str) -> AnchorReceipt:
        """Send and await the anchor transaction of ``checkpoint_note``.

        Raises ``AnchorUnavailableError`` if the chain cannot be reached, refuses
        the transaction, or it does not succeed within ``timeout``.
        """
        data = anchor_payload(checkpoint_note)
        try:
            eth = self.w3.eth
            address = self.account.address
            tx: dict[str, Any] = {
                "to": address, "value": 0, "data": data, "chainId": eth.chain_id,
                "nonce": eth.get_transaction_count(address, "pending"),
            }
            tx["gas"] = eth.estimate_gas({"from": address, "to": address, "value": 0, "data": data})
            base_fee = eth.get_block("latest").get("baseFeePerGas")
            if base_fee is None:
                tx["gasPrice"] = eth.gas_price
            else:
                tip = 10**9
                tx["maxPriorityFeePerGas"] = tip
                tx["maxFeePerGas"] = 2 * base_fee + tip
            signed = self.account.sign_transaction(tx)
            tx_hash = eth.send_raw_transaction(signed.raw_transaction)
            receipt = eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout)
        except Exception as exc:  # web3 raises many unrelated types: connection, RPC, timeout
            raise AnchorUnavailableError(f"anchoring on {self.chain} failed: {type(exc).__name__}: {exc}") from exc
        if receipt["status"] != 1:
            raise AnchorUnavailableError(f"anchor transaction {tx_hash.hex()} reverted on {self.chain}")
        return AnchorReceipt(
            chain=self.chain, chain_id=tx["chainId"], tx_hash="0x" + bytes(tx_hash).hex(),
            block_number=int(receipt["blockNumber"]), raw_tx=bytes(signed.raw_transaction),
        )


def verify_anchor(w3: Any, tx_hash: str | bytes, checkpoint_text: str) -> bool:
    """Return whether mined transaction ``tx_hash`` anchors ``checkpoint_text``.

    Checks that the transaction exists, is mined, succeeded, is a self-transfer
    and carries exactly ``anchor_payload(checkpoint_text)``.  Raises
    ``AnchorUnavailableError`` when the chain cannot be asked.
    """
    from web3.exceptions import TransactionNotFound

    try:
        tx = w3.eth.get_transaction(tx_hash)
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return False
    except Exception as exc:
        raise AnchorUnavailableError(f"cannot read transaction {tx_hash!r}: {type(exc).__name__}: {exc}") from exc
    if tx.get("blockNumber") is None or receipt["status"] != 1:
        return False
    if tx.get("to") is None or str(tx["to"]).lower() != str(tx["from"]).lower():
        return False
    return bytes(tx["input"]) == anchor_payload(checkpoint_text)


def verify_raw_anchor(raw_tx: bytes, tx_hash: str, checkpoint_text: str) -> bool:
    """Return whether signed transaction ``raw_tx`` has hash ``tx_hash`` and anchors ``checkpoint_text``.

    Works offline: it proves the transaction *with that hash* carries the
    checkpoint's hash, not that the transaction was mined.
    """
    from eth_account import Account
    from eth_account.typed_transactions import TypedTransaction
    from eth_utils import keccak
    from hexbytes import HexBytes

    try:
        if keccak(raw_tx).hex() != tx_hash.lower().removeprefix("0x"):
            return False
        if raw_tx[:1] and raw_tx[0] < 0x80:
            fields = TypedTransaction.from_bytes(HexBytes(raw_tx)).as_dict()
        else:
            import rlp

            nonce, gas_price, gas, to, value, data, *_ = rlp.decode(raw_tx)
            fields = {"to": to, "data": data}
        sender = Account.recover_transaction(raw_tx)
    except Exception:
        return False
    to = fields.get("to")
    if not to or bytes(to).hex() != sender.lower().removeprefix("0x"):
        return False
    return bytes(fields.get("data", b"")) == anchor_payload(checkpoint_text)
