"""Named ledger errors; each carries the offending values in its message."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error raised by the ledger package."""


class ProofError(LedgerError):
    """A Merkle proof does not verify (wrong length, wrong hash, bad index)."""


class EncodingError(LedgerError, ValueError):
    """A value cannot be canonically encoded (floats, NaN, unsupported types)."""


class EventError(LedgerError, ValueError):
    """An event is malformed (unknown type, missing field, bad vocabulary term)."""


class CheckpointError(LedgerError):
    """A checkpoint note is malformed or its signature does not verify."""


class InconsistentCheckpointError(CheckpointError):
    """The ledger refused to sign a checkpoint inconsistent with an earlier one."""

    def __init__(self, message: str, *, old_size: int, new_size: int) -> None:
        super().__init__(message)
        self.old_size = old_size
        self.new_size = new_size


class SigningKeyError(LedgerError, ValueError):
    """A signing or verification key cannot be loaded or parsed."""


class AnchorUnavailableError(LedgerError):
    """The chain could not be reached or did not accept the anchor; retry later."""


class AnchorMismatchError(LedgerError):
    """An anchor transaction exists but does not anchor the expected checkpoint's root and size."""


class BundleError(LedgerError):
    """A proof bundle is malformed or does not verify."""


class StoreError(LedgerError):
    """The stored ledger is not in the state an operation requires."""
