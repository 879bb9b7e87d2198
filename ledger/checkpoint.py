"""Checkpoints in the C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint).

Note text::

    <origin>
    <tree size, decimal>
    <base64 root hash>
    timestamp <ISO 8601 UTC, e.g. 2026-11-22T02:15:00Z>

followed by a blank line and Ed25519 signed-note signature lines
(``ledger.signing``).  The timestamp is our only extension line.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ledger.errors import CheckpointError, InconsistentCheckpointError, ProofError
from ledger.events import format_when, parse_when
from ledger.hashing import HASH_SIZE
from ledger.signing import NoteSigner, check_key_name, open_note
from ledger.verify import check_consistency

TIMESTAMP_PREFIX = "timestamp "


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, size, root hash, signing time and other extension lines."""

    origin: str
    size: int
    root: bytes
    timestamp: datetime | None = None
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_key_name(self.origin)
        if not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError(f"tree size {self.size!r} must be a non-negative integer")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root hash has {len(self.root)} bytes, want {HASH_SIZE}")
        for line in self.extensions:
            if not line or "\n" in line or line.startswith(TIMESTAMP_PREFIX):
                raise CheckpointError(f"invalid extension line {line!r}")

    def text(self) -> str:
        """Return the note text (the signed body), ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.timestamp is not None:
            lines.append(TIMESTAMP_PREFIX + format_when(self.timestamp.replace(microsecond=0)))
        lines.extend(self.extensions)
        return "\n".join(lines) + "\n"

    def sign(self, signer: NoteSigner) -> str:
        """Return the signed checkpoint note.  The key name must equal the origin."""
        if signer.name != self.origin:
            raise CheckpointError(f"key name {signer.name!r} differs from origin {self.origin!r}")
        return signer.sign(self.text())


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse a checkpoint note *text* (without signatures)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root lines, none empty")
    origin, size_text, root_text, *rest = lines
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"tree size {size_text!r} is not a canonical decimal")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("root hash is not base64") from exc
    timestamp = None
    extensions = []
    for line in rest:
        if line.startswith(TIMESTAMP_PREFIX) and timestamp is None:
            timestamp = parse_when(line[len(TIMESTAMP_PREFIX):])
        else:
            extensions.append(line)
    cp = Checkpoint(origin, int(size_text), root, timestamp, tuple(extensions))
    if cp.text() != text:
        raise CheckpointError("checkpoint text is not in canonical form")
    return cp


def verify_checkpoint(note: str, *, public_key: bytes, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint note and return it.

    The key name is the checkpoint's origin; pass ``origin`` to also require a
    particular log.  Raises ``CheckpointError``.
    """
    first_line = note.split("\n", 1)[0]
    name = origin if origin is not None else first_line
    text = open_note(note, name=name, public_key=public_key)
    cp = parse_checkpoint_text(text)
    if cp.origin != name:
        raise CheckpointError(f"checkpoint origin {cp.origin!r} is not {name!r}")
    return cp


def check_extends(previous: Checkpoint, current: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise ``InconsistentCheckpointError`` unless ``current`` extends ``previous``.

    ``proof`` is the consistency proof from ``previous.size`` to ``current.size``.
    """
    if previous.origin != current.origin:
        raise InconsistentCheckpointError(
            f"origin {current.origin!r} differs from earlier {previous.origin!r}",
            old_size=previous.size, new_size=current.size,
        )
    if current.size < previous.size:
        raise InconsistentCheckpointError(
            f"tree size {current.size} is smaller than earlier checkpoint size {previous.size}",
            old_size=previous.size, new_size=current.size,
        )
    try:
        check_consistency(previous.size, current.size, previous.root, current.root, proof)
    except ProofError as exc:
        raise InconsistentCheckpointError(
            f"tree size {current.size} is not consistent with checkpoint at size {previous.size}: {exc}",
            old_size=previous.size, new_size=current.size,
        ) from exc


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
