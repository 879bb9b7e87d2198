"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``).

A cosignature is one more signed-note line on a checkpoint::

    — <witness name> base64(key id || u64 big-endian timestamp || Ed25519 signature)

key id = ``SHA-256(name || 0x0A || 0x04 || public key)[:4]`` and the signed
message is ``"cosignature/v1\\ntime <timestamp>\\n" + checkpoint text`` (the whole
note body including extension lines and its final newline).  Witness keys are
published as vkeys ``<name>+<hex key id>+<base64(0x04 || public key)>``.

``verify_quorum`` checks that at least ``k`` of the configured witnesses cosigned
a note; lines from other keys are ignored, as the signed-note spec requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import CheckpointError, SigningKeyError
from ledger.signing import SIGNATURE_PREFIX, check_key_name, check_note_text, public_key_bytes

SIG_TYPE_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = (1 << 63) - 1


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key id of an Ed25519 cosigner key (algorithm byte 0x04)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([SIG_TYPE_COSIGNATURE_V1]) + public_key).digest()[:4]


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature covers."""
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode("utf-8")


@dataclass(frozen=True)
class WitnessKey:
    """A witness public key as configured by the operator or a verifier."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)

    def vkey(self) -> str:
        raw = bytes([SIG_TYPE_COSIGNATURE_V1]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    @classmethod
    def parse(cls, vkey: str) -> WitnessKey:
        """Parse ``name+keyid+base64(0x04||pub)``; raise ``SigningKeyError`` if it is not one."""
        parts = vkey.strip().split("+", 2)  # the base64 part may itself contain '+'
        if len(parts) != 3 or len(parts[1]) != 8:
            raise SigningKeyError(f"witness key {vkey!r} is not name+keyid+base64")
        name, hex_id, b64 = parts
        check_key_name(name)
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise SigningKeyError(f"witness key {name} is not valid base64") from exc
        if len(raw) != 33 or raw[0] != SIG_TYPE_COSIGNATURE_V1:
            raise SigningKeyError(f"witness key {name} is not an Ed25519 cosignature/v1 key (type 0x04)")
        key = cls(name, raw[1:])
        if key.key_id.hex() != hex_id.lower():
            raise SigningKeyError(f"witness key id {hex_id} does not match its name and key")
        return key


def parse_witness_keys(vkeys: Iterable[str]) -> list[WitnessKey]:
    keys = [WitnessKey.parse(v) for v in vkeys if v.strip()]
    if len({(k.name, k.key_id) for k in keys}) != len(keys):
        raise SigningKeyError("the same witness key is listed twice")
    return keys


@dataclass(frozen=True)
class Cosigner:
    """A witness's signing key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @property
    def key(self) -> WitnessKey:
        return WitnessKey(self.name, public_key_bytes(self.private_key))

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """Return the cosignature line (ending in a newline) over ``checkpoint_text`` at ``timestamp``."""
        check_note_text(checkpoint_text)
        if not 0 < timestamp <= MAX_TIMESTAMP:
            raise CheckpointError(f"cosignature timestamp {timestamp} out of range")
        sig = self.private_key.sign(signed_message(checkpoint_text, timestamp))
        blob = self.key.key_id + struct.pack(">Q", timestamp) + sig
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, when, and its note line."""

    name: str
    timestamp: int
    line: str


def split_note(note: str) -> tuple[str, list[str]]:
    """Return ``(text, signature lines without newline)`` of a signed note."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("note has no blank line before its signatures")
    return note[: split + 1], note[split + 2:].split("\n")[:-1]


def verify_cosignature_line(text: str, line: str, key: WitnessKey) -> Cosignature | None:
    """Return the cosignature if ``line`` is ``key``'s and verifies over ``text``.

    ``None`` when the line belongs to another key; ``CheckpointError`` when it is
    ``key``'s (name and key id match) but does not verify.
    """
    if not line.startswith(SIGNATURE_PREFIX):
        raise CheckpointError(f"malformed signature line {line!r}")
    parts = line[len(SIGNATURE_PREFIX):].split(" ")
    if len(parts) != 2 or parts[0] != key.name:
        return None
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        return None
    if raw[:4] != key.key_id:
        return None
    if len(raw) != 4 + 8 + 64:
        raise CheckpointError(f"cosignature of {key.name} has {len(raw)} bytes, want 76")
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise CheckpointError(f"cosignature of {key.name} has timestamp {timestamp} out of range")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[12:], signed_message(text, timestamp))
    except InvalidSignature as exc:
        raise CheckpointError(f"cosignature of {key.name} (key id {key.key_id.hex()}) does not verify") from exc
    return Cosignature(key.name, timestamp, line + "\n")


def cosignatures(note: str, keys: Sequence[WitnessKey]) -> dict[str, Cosignature]:
    """Return the verifying cosignatures on ``note`` by ``keys``, by witness name.

    A line that claims one of ``keys`` but fails to verify raises ``CheckpointError``
    (a malformed note per signed-note); lines of unknown keys are ignored.
    """
    text, lines = split_note(note)
    found: dict[str, Cosignature] = {}
    for line in lines:
        for key in keys:
            cosig = verify_cosignature_line(text, line, key)
            if cosig is not None:
                found.setdefault(key.vkey(), cosig)
    return found


def verify_quorum(note: str, keys: Sequence[WitnessKey], quorum: int) -> list[Cosignature]:
    """Raise ``CheckpointError`` unless at least ``quorum`` of ``keys`` cosigned ``note``."""
    if quorum <= 0:
        return []
    if quorum > len(keys):
        raise CheckpointError(f"witness quorum {quorum} exceeds the {len(keys)} witness keys given")
    found = cosignatures(note, keys)
    if len(found) < quorum:
        names = ", ".join(sorted(c.name for c in found.values())) or "none"
        raise CheckpointError(f"checkpoint cosigned by {len(found)} of {len(keys)} witnesses ({names}), "
                              f"{quorum} required")
    return list(found.values())


def with_cosignatures(note: str, lines: Iterable[str]) -> str:
    """Append cosignature lines (each ending in a newline) to a signed note, skipping duplicates."""
    existing = set(note[note.rfind("\n\n") + 2:].split("\n"))
    extra = [ln if ln.endswith("\n") else ln + "\n" for ln in lines]
    return note + "".join(ln for ln in dict.fromkeys(extra) if ln[:-1] not in existing)


def log_signed_note(note: str, origin: str) -> str:
    """The note with only the log's own signature lines (key name = origin): what was anchored."""
    text, lines = split_note(note)
    own = [ln for ln in lines if ln.startswith(f"{SIGNATURE_PREFIX}{origin} ")]
    return text + "\n" + "".join(ln + "\n" for ln in own)
