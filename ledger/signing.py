"""Ed25519 keys and C2SP signed-note signatures.

A signed note is text ending in a newline, a blank line, then signature lines
``— <key name> <base64(key id || signature)>``.  For Ed25519 the key id is the
first four bytes of ``SHA-256(key name || 0x0A || 0x01 || public key)`` and the
signature covers the text including its final newline (c2sp.org/signed-note).

Keys come from the caller: a PEM (PKCS#8) or raw base64 32-byte seed string,
or a file path where a development key is generated on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import CheckpointError, SigningKeyError

SIG_TYPE_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100


def key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte C2SP key id of an Ed25519 ``public_key`` under ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([SIG_TYPE_ED25519]) + public_key).digest()[:4]


def check_key_name(name: str) -> None:
    """Raise ``SigningKeyError`` unless ``name`` is non-empty without spaces or '+'."""
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise SigningKeyError(f"key name {name!r} must be non-empty without spaces or '+'")


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """Return the raw 32-byte Ed25519 public key."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM (PKCS#8) or base64 of the 32-byte seed."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    data = data.strip()
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"cannot read PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError(f"PEM key is {type(key).__name__}, not Ed25519")
        return key
    try:
        seed = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise SigningKeyError("private key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise SigningKeyError(f"raw Ed25519 seed has {len(seed)} bytes, want 32")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """Return ``key`` as unencrypted PKCS#8 PEM."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def load_or_create_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the PEM key at ``path``, generating it (mode 0600) on first use.

    Meant for development (e.g. ``var/ledger_ed25519.key``); production passes
    the key through configuration to ``load_private_key``.
    """
    path = Path(path)
    if path.exists():
        return load_private_key(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    # Written whole under a private name, then linked into place: a concurrent reader sees
    # no file or the complete key, never an empty one (os.link fails if the name exists).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(private_key_pem(key))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another thread or process won the race; use its key
            return load_private_key(path.read_bytes())
    finally:
        os.unlink(tmp)
    return key


def load_public_key(text: str | bytes) -> bytes:
    """Return a raw 32-byte Ed25519 public key from PEM, base64 or a note verifier key.

    A verifier key is ``<name>+<hex key id>+<base64(0x01 || public key)>``.
    """
    data = (text.encode() if isinstance(text, str) else bytes(text)).strip()
    if data.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"cannot read PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"PEM key is {type(key).__name__}, not Ed25519")
        return public_key_bytes(key)
    parts = data.decode().split("+", 2)  # the base64 part may itself contain '+'
    if len(parts) == 3 and len(parts[1]) == 8 and len(data) != 44:
        name, hex_id, b64 = parts
        raw = _b64(b64, "verifier key")
        if len(raw) != 33 or raw[0] != SIG_TYPE_ED25519:
            raise SigningKeyError("verifier key is not an Ed25519 key")
        if key_id(name, raw[1:]).hex() != hex_id.lower():
            raise SigningKeyError(f"verifier key id {hex_id} does not match its name and key")
        return raw[1:]
    raw = _b64(data.decode(), "public key")
    if len(raw) != 32:
        raise SigningKeyError(f"raw Ed25519 public key has {len(raw)} bytes, want 32")
    return raw


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise SigningKeyError(f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class NoteSigner:
    """Signs note texts as ``name`` with an Ed25519 key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @property
    def public_key(self) -> bytes:
        return public_key_bytes(self.private_key)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def verifier_key(self) -> str:
        """Return the verifier key string ``name+keyid+base64(0x01||pub)`` to publish."""
        raw = bytes([SIG_TYPE_ED25519]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(raw).decode()}"

    def sign(self, text: str) -> str:
        """Return the signed note: ``text``, a blank line and this key's signature line."""
        check_note_text(text)
        sig = self.private_key.sign(text.encode("utf-8"))
        line = f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(self.key_id + sig).decode()}\n"
        return f"{text}\n{line}"


def check_note_text(text: str) -> None:
    """Raise ``CheckpointError`` unless ``text`` is a valid note text."""
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise CheckpointError("note text must not contain control characters other than newline")


def open_note(note: str, *, name: str, public_key: bytes) -> str:
    """Verify ``note`` against the known key ``(name, public_key)`` and return its text.

    Signatures from other keys are ignored (C2SP signed-note); a failing
    signature from the known key, or no signature from it, raises
    ``CheckpointError``.
    """
    if len(note.encode("utf-8")) > 1 << 20:
        raise CheckpointError("note larger than 1 MiB")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2:]
    check_note_text(text)
    lines = sig_block.split("\n")[:-1]
    if not lines or len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"note has {len(lines)} signature lines")
    want_id = key_id(name, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"malformed signature line {line!r}")
        parts = line[len(SIGNATURE_PREFIX):].split(" ")
        if len(parts) != 2:
            raise CheckpointError(f"malformed signature line {line!r}")
        sig_name, b64 = parts
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise CheckpointError(f"signature of {sig_name} is not base64") from exc
        if len(raw) < 5:
            raise CheckpointError(f"signature of {sig_name} too short")
        if sig_name != name or raw[:4] != want_id:
            continue
        try:
            verifier.verify(raw[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointError(f"signature of {name} (key id {want_id.hex()}) does not verify") from exc
        return text
    raise CheckpointError(f"note carries no signature from {name} key id {want_id.hex()}")
