"""Full audit of a stored ledger; names the first bad index.

One streaming pass over ``ledger_entries`` (keyset pages, index order) checks
for every entry: the index is the next one (no gap, no reordering), the stored
leaf hash is ``SHA-256(0x00 || entry)``, the entry's own ``index`` field, and
its ``prev_hash`` equals the previous leaf hash (the hash chain).  A second
pass over ``ledger_nodes`` (level by level, index order) checks every stored
subtree hash against its two children and that no subtree lies beyond the tree.
Finally every checkpoint's root is recomputed from the verified tree, each
checkpoint must extend the previous one (consistency proof), and with a
public key its signature is checked.

Cost: one SHA-256 per entry and per subtree (what any verifier must do).  Each
page is first checked with whole-page operations running in C: tuple
comparisons for indices and leaf hashes, ``map`` over C functions for the
chain links (no Python-level loop); subtree hashes arrive as one concatenated value per page (with their
indices, so the pairing is checked whatever order the database used).  A page
that fails goes through the per-entry (per-subtree) loop, which names the first
bad index.  On PostgreSQL the next page is read on a helper thread while the
current one is hashed (the server works meanwhile).  ``deep=True`` parses and
validates every entry and event as well.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from binascii import hexlify
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from sqlalchemy import Connection, func, select, text

from ledger.checkpoint import parse_checkpoint_text, verify_checkpoint
from ledger.compact import consistency_plan, fold, root_plan
from ledger.entry import GENESIS_PREV_HASH, decode_entry, scan_link
from ledger.errors import CheckpointError, EncodingError, ProofError
from ledger.sql_tables import ledger_checkpoints
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
    """Audit the whole ledger visible through ``conn``; never writes.

    Safe on a live ledger: the audit covers the ``n`` entries and the checkpoints
    present when it starts, whatever the isolation level, and reports subtree
    rows beyond ``n`` only if no append happened meanwhile.
    """
    report = AuditReport()
    tree = _Tree()
    if conn.dialect.name == "postgresql":
        # Stream pages straight off the primary key even when statistics are stale after a
        # bulk load (the planner would otherwise sort the whole level for every page).
        conn.execute(text("SET LOCAL enable_bitmapscan = off"))
        conn.execute(text("SET LOCAL enable_sort = off"))
    reads = _Reads(conn)
    # Checkpoints first: each one read here was signed over entries committed before `bound` is read.
    last_checkpoint = conn.execute(select(func.max(ledger_checkpoints.c.seq))).scalar()
    bound = _stored_size(reads)
    _audit_entries(reads, report, tree, page_size, deep, bound)
    beyond = _audit_nodes(reads, report, tree, page_size)
    if beyond is not None and _stored_size(reads) == bound:
        report.findings.append(beyond)
    if last_checkpoint is not None:
        _audit_checkpoints(conn, report, tree, public_key, last_checkpoint)
    return report


class _Reads:
    """Reads on the DB-API cursor of ``conn`` (same transaction), skipping Row objects.

    The audit reads every row of the ledger; SQLAlchemy's per-row wrapping would cost
    more than the hashing.  Statements use ``?`` placeholders, adapted to the driver.
    """

    def __init__(self, conn: Connection) -> None:
        self.format_style = conn.dialect.paramstyle in ("format", "pyformat")
        self.driver = conn.connection.driver_connection
        self.psycopg = conn.dialect.driver == "psycopg"
        self.postgresql = conn.dialect.name == "postgresql"
        # psycopg connections may be used from another thread (one at a time); sqlite3's may
        # not, and SQLite works in this process anyway, so there is nothing to overlap.
        self.threaded = self.psycopg

    def rows(self, sql: str, params: tuple) -> list[tuple]:
        if self.format_style:
            sql = sql.replace("?", "%s")
        # psycopg: binary results carry bytea as raw bytes instead of hex text (half the transfer).
        cursor = self.driver.cursor(binary=True) if self.psycopg else self.driver.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


_END = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@contextlib.contextmanager
def _read_ahead(pages: Iterator[Any], threaded: bool) -> Iterator[Iterator[Any]]:
    """Iterate ``pages`` (a generator whose steps are database reads), one read ahead.

    With ``threaded`` the generator runs on a helper thread that reads the next page
    while the caller checks the current one; on exit (also early, or by an exception)
    the helper is stopped and joined, so the connection is the caller's alone again.
    """
    if not threaded:
        try:
            yield pages
        finally:
            pages.close()  # type: ignore[attr-defined]
        return
    ready: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            while not stop.is_set():
                try:
                    page = next(pages)
                except StopIteration:
                    ready.put(_END)
                    return
                ready.put(page)
        except BaseException as exc:  # handed to the caller, raised there
            ready.put(_Failed(exc))
        finally:
            pages.close()  # type: ignore[attr-defined]

    def consume() -> Iterator[Any]:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    helper = threading.Thread(target=produce, name="ledger-audit-read-ahead", daemon=True)
    helper.start()
    try:
        yield consume()
    finally:
        stop.set()
        while helper.is_alive():  # unblock a helper waiting to hand over a page
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        helper.join()


def _stored_size(reads: _Reads) -> int:
    last = reads.rows("SELECT max(idx) FROM ledger_entries", ())[0][0]
    return 0 if last is None else int(last) + 1


# Pages follow the primary key exactly (no upper bound, ORDER BY the key columns) so the
# planner walks the index even without statistics; the audit bound is applied in Python.
_ENTRY_PAGE = "SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?"
_NODE_PAGE = "SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? ORDER BY level, idx LIMIT ?"
# One row per page of subtree hashes: their count, how many are 32 bytes long, their indices
# as text and the hashes concatenated, aggregated over one row stream so that the i-th index
# belongs to the i-th hash (and, all being 32 bytes, the concatenations line up).
_NODE_AGGREGATE = {
    "sqlite": "SELECT count(*), sum(length(CAST(hash AS BLOB)) = 32), group_concat(idx), "
              "CAST(group_concat(hash, '') AS BLOB) FROM "
              "(SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY level, idx)",
    "postgresql": "SELECT count(*), count(*) FILTER (WHERE octet_length(hash) = 32), string_agg(idx::text, ','), "
                  "string_agg(hash, ''::bytea) FROM "
                  "(SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? "
                  "ORDER BY level, idx) AS page",
}
_NODE_BEYOND = "SELECT min(idx) FROM ledger_nodes WHERE level = ? AND idx >= ?"
_MAX_LEVEL = "SELECT max(level) FROM ledger_nodes"
_INDEX_KEY = b',"index":'
_PREV_KEY = b',"prev_hash":"'
_SIGNER_KEY = b'","signer":'
_LINK = _INDEX_KEY + b"%d" + _PREV_KEY + b"%s" + _SIGNER_KEY


def _entry_pages(reads: _Reads, page_size: int, bound: int) -> Iterator[tuple[list[tuple], bool]]:
    """Yield ``(rows, full)`` pages of ``(idx, entry, leaf_hash)`` below ``bound``, in index order."""
    start = 0
    while True:
        rows = reads.rows(_ENTRY_PAGE, (start, page_size))
        full = len(rows) == page_size
        if rows and rows[-1][0] >= bound:
            rows = [r for r in rows if r[0] < bound]
            full = False
        yield rows, full
        if not full:
            return
        start = rows[-1][0] + 1


def _audit_entries(reads: _Reads, report: AuditReport, tree: _Tree, page_size: int, deep: bool,
                   bound: int) -> None:
    chunks: list[bytes] = []  # verified leaf hashes, one joined chunk per page
    expected = 0
    prev = GENESIS_PREV_HASH
    sha = _sha256
    try:
        with _read_ahead(_entry_pages(reads, page_size, bound), reads.threaded) as pages:
            for rows, _full in pages:
                hashes = None if deep or not rows else _clean_page_hashes(rows, expected, prev)
                if hashes is not None:
                    chunks.append(b"".join(hashes))
                    expected += len(rows)
                    prev = hashes[-1]
                    continue
                # Slow path: entry by entry, to name the first bad index.
                prev_hex = hexlify(prev)
                page_hashes: list[bytes] = []
                try:
                    for idx, data, stored in rows:
                        if idx != expected:
                            report.findings.append(
                                AuditFinding(expected, f"entry {expected} is missing (next stored index is {idx})"))
                            return
                        h = sha(b"\x00" + data).digest()
                        # The last ',"index":' is the top-level one (only hex, a JSON string and an int
                        # follow it), so one startswith checks both the index and the hash-chain link.
                        link = b"".join((_INDEX_KEY, str(idx).encode(), _PREV_KEY, prev_hex, _SIGNER_KEY))
                        if h != stored or not data.startswith(link, data.rfind(_INDEX_KEY)):
                            report.findings.append(_diagnose_entry(bytes(data), idx, bytes(stored), prev_hex))
                            return
                        if deep:
                            try:
                                decode_entry(bytes(data))
                            except EncodingError as exc:
                                report.findings.append(AuditFinding(idx, f"entry {idx} malformed: {exc}"))
                                return
                        page_hashes.append(h)
                        prev, prev_hex = h, hexlify(h)
                        expected += 1
                finally:
                    chunks.append(b"".join(page_hashes))
    finally:
        report.size = expected  # entries [0, expected) verified
        tree.levels[0] = bytearray(b"".join(chunks))


def _clean_page_hashes(rows: list[tuple], first: int, prev: bytes) -> list[bytes] | None:
    """Check a non-empty page of ``(idx, entry, leaf_hash)`` rows at once; return their leaf hashes.

    Same checks as the per-entry loop (consecutive indices, stored leaf hash, index field and
    chain link), as whole-page operations; any failure sends the page to the slow loop,
    which names the first bad index (``None``).
    """
    idxs, datas, stored = zip(*rows)
    if idxs != tuple(range(first, first + len(rows))):
        return None
    sha = _sha256
    hashes = [sha(b"\x00" + d).digest() for d in datas]
    if tuple(hashes) != stored:
        return None
    if not _links_match(datas, first, prev, hashes):
        return None
    return hashes


def _links_match(datas: tuple[bytes, ...], first: int, prev: bytes, hashes: list[bytes]) -> bool:
    """Whether entry ``first + i`` holds ``,"index":<first+i>,"prev_hash":"<hex>","signer":`` at its
    last ``,"index":``, ``<hex>`` being the previous leaf hash: the per-entry loop's check, run
    as ``map`` over C functions (about half the cost of a Python loop).
    """
    prevs = map(hexlify, [prev, *hashes[:-1]])
    links = map(_LINK.__mod__, zip(range(first, first + len(datas)), prevs))
    return all(map(bytes.startswith, datas, links, map(bytes.rfind, datas, repeat(_INDEX_KEY))))


def _diagnose_entry(data: bytes, idx: int, stored: bytes, prev_hex: bytes) -> AuditFinding:
    if _sha256(b"\x00" + data).digest() != stored:
        return AuditFinding(idx, f"entry {idx} does not hash to its stored leaf hash")
    link_index, link_prev = scan_link(data)
    if link_index != idx:
        return AuditFinding(idx, f"entry stored at {idx} says it is entry {link_index}")
    if link_prev != prev_hex:
        return AuditFinding(idx, f"entry {idx} prev_hash does not match the leaf hash of entry {idx - 1}")
    return AuditFinding(idx, f"entry {idx} is not in canonical entry form")


def _audit_nodes(reads: _Reads, report: AuditReport, tree: _Tree, page_size: int) -> AuditFinding | None:
    """Check every stored subtree hash level by level against its two (verified) children.

    Returns a finding for subtree rows lying beyond the audited tree (a truncated tail),
    which the caller reports only if the ledger did not grow during the audit.
    """
    size = report.size
    truncated = bool(report.findings)  # entry pass stopped early: ignore subtrees past it
    top = max(reads.rows(_MAX_LEVEL, ())[0][0] or 0, size.bit_length())
    aggregate = _NODE_AGGREGATE["postgresql" if reads.postgresql else "sqlite"]
    level, checked = 1, 0  # levels 1..checked are verified
    while level <= top:
        bad = _check_levels(reads, report, tree, level, top, page_size, aggregate)
        if bad is None:
            checked = top
            break
        checked = bad - 1
        # The whole-page comparison failed on level `bad`: look at it row by row.
        computed = _level_hashes(tree, bad)
        finding = _diagnose_level(reads, bad, computed, page_size)
        if finding is not None:
            report.findings.append(finding)
            break
        _accept_level(report, tree, computed)  # stored in an unexpected order, but right
        level = checked = bad
        level += 1
    beyond: AuditFinding | None = None
    for level in range(1, checked + 1):
        extra = reads.rows(_NODE_BEYOND, (level, size >> level))[0][0]
        if extra is not None and not truncated:
            beyond = AuditFinding(max(extra << level, size), f"subtree hash ({level}, {extra}) lies beyond tree size {size}")
            break
    return beyond


def _level_hashes(tree: _Tree, level: int) -> list[bytes]:
    below = tree.levels[level - 1]
    sha = _sha256
    return [sha(b"\x01" + below[i: i + 64]).digest() for i in range(0, len(below) - 63, 64)]


def _accept_level(report: AuditReport, tree: _Tree, computed: list[bytes]) -> None:
    report.nodes += len(computed)
    tree.levels.append(bytearray(b"".join(computed)))


def _node_pages(reads: _Reads, aggregate: str, size: int, first: int, top: int,
                page_size: int) -> Iterator[tuple[int, str | None, bytes | None]]:
    """Yield ``(count, indices, hashes)`` for the pages of levels ``first..top`` in order
    (count -1 when some hash is not 32 bytes long)."""
    for level in range(first, top + 1):
        count = size >> level
        for start in range(0, count, page_size):
            n, well_formed, indices, hashes = reads.rows(aggregate, (level, start, min(count, start + page_size)))[0]
            yield n if well_formed == n else -1, indices, None if hashes is None else bytes(hashes)


def _check_levels(reads: _Reads, report: AuditReport, tree: _Tree, first: int, top: int, page_size: int,
                  aggregate: str) -> int | None:
    """Verify levels ``first..top`` page by page; return the first level that did not match."""
    size = report.size
    with _read_ahead(_node_pages(reads, aggregate, size, first, top, page_size), reads.threaded) as pages:
        for level in range(first, top + 1):
            computed = _level_hashes(tree, level)
            count = len(computed)
            ok = True
            for start in range(0, count, page_size):
                stop = min(count, start + page_size)
                n, indices, hashes = next(pages)
                ok = ok and n == stop - start and hashes == b"".join(computed[start:stop]) \
                    and indices == ",".join(map(str, range(start, stop)))
            if not ok:
                return level
            _accept_level(report, tree, computed)
    return None


def _diagnose_level(reads: _Reads, level: int, computed: list[bytes], page_size: int) -> AuditFinding | None:
    """Read level ``level`` row by row; return the first missing or wrong subtree hash, if any."""
    count = len(computed)
    stored: list[bytes] = []
    indices: list[int] = []
    after = 0
    while count:
        rows = reads.rows(_NODE_PAGE, (level, after, page_size))
        full = len(rows) == page_size
        if rows and rows[-1][0] >= count:
            rows = [r for r in rows if r[0] < count]
            full = False
        indices.extend(r[0] for r in rows)
        stored.extend(r[1] for r in rows)
        if not full:
            break
        after = rows[-1][0] + 1
    for want in range(count):
        span = f"over entries [{want << level}, {(want + 1) << level})"
        if want >= len(indices) or indices[want] != want:
            return AuditFinding(want << level, f"subtree hash ({level}, {want}) {span} is missing")
        if bytes(stored[want]) != computed[want]:
            return AuditFinding(want << level, f"subtree hash ({level}, {want}) {span} does not match its children")
    return None


def _audit_checkpoints(conn: Connection, report: AuditReport, tree: _Tree, public_key: bytes | None,
                       last_seq: int) -> None:
    size = report.size
    verified_size = 0
    previous = None
    c = ledger_checkpoints.c
    for seq, tree_size, root, note in conn.execute(
        select(c.seq, c.tree_size, c.root_hash, c.note).where(c.seq <= last_seq).order_by(c.seq)
    ):
        try:
            body = note[: note.rfind("\n\n") + 1]
            cp = verify_checkpoint(note, public_key=public_key) if public_key else parse_checkpoint_text(body)
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
