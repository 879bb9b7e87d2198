"""Full audit of a stored ledger; names the first bad index.

One streaming pass over ``ledger_entries`` (keyset pages, index order) checks
for every entry: the index is the next one (no gap, no reordering), the stored
leaf hash is ``SHA-256(0x00 || entry)``, the entry's own ``index`` field, and
its ``prev_hash`` equals the previous leaf hash (the hash chain).  A second
pass over ``ledger_nodes`` (primary-key order) checks every stored subtree
hash against its two children and that no subtree lies beyond the tree.
Finally every checkpoint's root is recomputed from the verified tree, each
checkpoint must extend the previous one (consistency proof), and with a
public key its signature is checked.

Cost: one SHA-256 per entry and per subtree (what any verifier must do), one
``rfind`` per entry for the chain link instead of a JSON parse (``deep=True``
parses and validates every entry and event as well).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ledger.checkpoint import parse_checkpoint_text, verify_checkpoint
from ledger.compact import consistency_plan, fold, root_plan
from ledger.entry import GENESIS_PREV_HASH, decode_entry, scan_link
from ledger.errors import CheckpointError, EncodingError, ProofError
from ledger.sql_tables import ledger_checkpoints, ledger_entries, ledger_nodes
from ledger.verify import check_consistency

_sha256 = hashlib.sha256


@dataclass(frozen=True)
class AuditFinding:
    """One problem, anchored at the first entry index it concerns."""

    index: int
    reason: str


@dataclass
class AuditReport:
    """Result of ``audit``: ``ok`` or the first bad index with its reason."""

    size: int = 0
    nodes: int = 0
    checkpoints: int = 0
    findings: list[AuditFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first_bad(self) -> AuditFinding | None:
        return min(self.findings, key=lambda f: f.index) if self.findings else None

    def summary(self) -> str:
        if self.ok:
            return f"OK {self.size} entries, {self.nodes} subtree hashes, {self.checkpoints} checkpoints verified"
        bad = self.first_bad
        assert bad is not None
        return f"BAD first bad index {bad.index}: {bad.reason}"


class _Tree:
    """Verified hashes per level as flat bytearrays (32 bytes per node)."""

    def __init__(self) -> None:
        self.levels: list[bytearray] = [bytearray()]

    def node(self, level: int, index: int) -> bytes:
        return bytes(self.levels[level][32 * index: 32 * index + 32])


def audit(conn: Connection, *, public_key: bytes | None = None, page_size: int = 50_000,
          deep: bool = False) -> AuditReport:
    """Audit the whole ledger visible through ``conn``; never writes."""
    report = AuditReport()
    tree = _Tree()
    _audit_entries(conn, report, tree, page_size, deep)
    _audit_nodes(conn, report, tree, page_size)
    _audit_checkpoints(conn, report, tree, public_key)
    return report


def _audit_entries(conn: Connection, report: AuditReport, tree: _Tree, page_size: int, deep: bool) -> None:
    leaves = tree.levels[0]
    expected = 0
    prev_hex = GENESIS_PREV_HASH.hex().encode()
    e = ledger_entries.c
    query = select(e.idx, e.entry, e.leaf_hash).order_by(e.idx).limit(page_size)
    while True:
        rows = conn.execute(query.where(e.idx >= expected)).all()
        if not rows:
            break
        for idx, data, stored in rows:
            if idx != expected:
                report.findings.append(AuditFinding(expected, f"entry {expected} is missing (next stored index is {idx})"))
                report.size = expected
                return
            data = bytes(data)
            h = _sha256(b"\x00" + data).digest()
            if h != stored:
                report.findings.append(AuditFinding(idx, f"entry {idx} does not hash to its stored leaf hash"))
                h = bytes(stored)
            else:
                link_index, link_prev = scan_link(data)
                if link_index != idx:
                    report.findings.append(AuditFinding(idx, f"entry stored at {idx} says it is entry {link_index}"))
                elif link_prev != prev_hex:
                    report.findings.append(AuditFinding(
                        idx, f"entry {idx} prev_hash does not match the leaf hash of entry {idx - 1}"))
                elif deep:
                    try:
                        decode_entry(data)
                    except EncodingError as exc:
                        report.findings.append(AuditFinding(idx, f"entry {idx} malformed: {exc}"))
            if report.findings:
                report.size = idx  # entries [0, idx) verified
                return
            leaves += h
            prev_hex = h.hex().encode()
            expected += 1
        if len(rows) < page_size:
            break
    report.size = expected


def _audit_nodes(conn: Connection, report: AuditReport, tree: _Tree, page_size: int) -> None:
    size = report.size
    truncated = bool(report.findings)  # entry pass stopped early: ignore subtrees past it
    n = ledger_nodes.c
    level, want = 1, 0
    below = tree.levels[0]
    current = bytearray()
    tree.levels.append(current)
    after = (0, -1)
    while True:
        query = select(n.level, n.idx, n.hash).order_by(n.level, n.idx).limit(page_size)
        query = query.where((n.level > after[0]) | ((n.level == after[0]) & (n.idx > after[1])))
        rows = conn.execute(query).all()
        for lvl, idx, stored in rows:
            while lvl > level:  # finish this level
                if want < size >> level and not report.findings:
                    report.findings.append(AuditFinding(
                        want << level, f"subtree hash ({level}, {want}) over entries "
                        f"[{want << level}, {(want + 1) << level}) is missing"))
                level, want, below = level + 1, 0, current
                current = bytearray()
                tree.levels.append(current)
            first = idx << lvl
            if first + (1 << lvl) > size:
                if truncated:
                    continue
                report.findings.append(AuditFinding(
                    max(first, size), f"subtree hash ({lvl}, {idx}) lies beyond tree size {size}"))
                return
            if idx != want:
                report.findings.append(AuditFinding(
                    want << lvl, f"subtree hash ({lvl}, {want}) over entries [{want << lvl}, {(want + 1) << lvl}) is missing"))
                return
            computed = _sha256(b"\x01" + below[64 * idx: 64 * idx + 64]).digest()
            if computed != stored:
                report.findings.append(AuditFinding(
                    first, f"subtree hash ({lvl}, {idx}) over entries [{first}, {first + (1 << lvl)}) "
                    "does not match its children"))
                return
            current += computed
            want += 1
            report.nodes += 1
        if len(rows) < page_size:
            break
        after = (rows[-1][0], rows[-1][1])
    while (size >> level) > 0:
        if want < size >> level:
            report.findings.append(AuditFinding(
                want << level, f"subtree hash ({level}, {want}) over entries [{want << level}, {(want + 1) << level}) is missing"))
            return
        level, want = level + 1, 0
        current = bytearray()
        tree.levels.append(current)


def _audit_checkpoints(conn: Connection, report: AuditReport, tree: _Tree, public_key: bytes | None) -> None:
    size = report.size
    verified_size = 0
    previous = None
    c = ledger_checkpoints.c
    for seq, tree_size, root, note in conn.execute(
        select(c.seq, c.tree_size, c.root_hash, c.note).order_by(c.seq)
    ):
        try:
            text = note[: note.rfind("\n\n") + 1]
            cp = verify_checkpoint(note, public_key=public_key) if public_key else parse_checkpoint_text(text)
        except CheckpointError as exc:
            report.findings.append(AuditFinding(verified_size, f"checkpoint #{seq}: {exc}"))
            return
        if cp.size != tree_size or cp.root != bytes(root):
            report.findings.append(AuditFinding(verified_size, f"checkpoint #{seq} columns differ from its signed note"))
            return
        if cp.size > size:
            report.findings.append(AuditFinding(
                size, f"checkpoint #{seq} covers {cp.size} entries but only {size} are stored and verified"))
            return
        if cp.size and not report.findings:
            computed = fold([tree.node(lv, ix) for lv, ix in root_plan(cp.size)])
            if computed != cp.root:
                report.findings.append(AuditFinding(
                    verified_size, f"checkpoint #{seq} root differs from the stored tree somewhere in "
                    f"entries [{verified_size}, {cp.size})"))
                return
        if previous is not None and not report.findings:
            proof = [fold([tree.node(lv, ix) for lv, ix in element])
                     for element in consistency_plan(previous.size, cp.size)] if previous.size <= cp.size else []
            try:
                check_consistency(previous.size, cp.size, previous.root, cp.root, proof)
            except ProofError as exc:
                report.findings.append(AuditFinding(
                    min(previous.size, cp.size), f"checkpoint #{seq} is not consistent with the previous one: {exc}"))
                return
        previous = cp
        verified_size = max(verified_size, cp.size)
        report.checkpoints += 1
