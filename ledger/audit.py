"""Full audit of a stored ledger; names the first bad index.

One streaming pass over ``ledger_entries`` (pages of the index, in order) checks
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
parses and validates every entry and event as well).  A helper thread has the
database read the next page while this one is checked (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import sqlite3
from binascii import hexlify
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, repeat
from typing import Any
from urllib.parse import quote

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
    # Checkpoints first: each one read here was signed over entries committed before `bound` is read.
    last_checkpoint = conn.execute(select(func.max(ledger_checkpoints.c.seq))).scalar()
    bound = _stored_size(conn)
    _audit_entries(conn, report, tree, page_size, deep, bound)
    beyond = _audit_nodes(conn, report, tree, page_size)
    if beyond is not None and _stored_size(conn) == bound:
        report.findings.append(beyond)
    if last_checkpoint is not None:
        _audit_checkpoints(conn, report, tree, public_key, last_checkpoint)
    return report


def _stored_size(conn: Connection) -> int:
    last = _driver_rows(conn, "SELECT max(idx) FROM ledger_entries", ())[0][0]
    return 0 if last is None else int(last) + 1


def _driver_sql(conn: Connection, sql: str) -> str:
    """``sql`` with its ``?`` placeholders in the driver's style."""
    return sql.replace("?", "%s") if conn.dialect.paramstyle in ("format", "pyformat") else sql


def _driver_rows(conn: Connection, sql: str, params: tuple) -> list[tuple]:
    """Run a read on the DB-API cursor of ``conn`` (same transaction), skipping Row objects.

    The audit reads every row of the ledger; SQLAlchemy's per-row wrapping would cost
    more than the hashing.
    """
    cursor = _driver_cursor(conn)
    try:
        cursor.execute(_driver_sql(conn, sql), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _driver_cursor(conn: Connection):
    driver = conn.connection.driver_connection
    # psycopg: binary results carry bytea as raw bytes instead of hex text (half the transfer).
    return driver.cursor(binary=True) if conn.dialect.driver == "psycopg" else driver.cursor()


def _read_ahead(run: Callable[[tuple], Any], ranges: list[tuple]) -> Iterator[Any]:
    """``run(r)`` for each ``r`` of ``ranges`` in order, the next one running in a helper thread meanwhile."""
    if not ranges:
        return
    with ThreadPoolExecutor(1, thread_name_prefix="ledger-audit") as pool:
        ahead = pool.submit(run, ranges[0])
        for following in [*ranges[1:], None]:
            result = ahead.result()
            if following is not None:
                ahead = pool.submit(run, following)
            yield result


def _pages(conn: Connection, sql: str, ranges: list[tuple], chunk: int) -> Iterator[Iterator[list[tuple]]]:
    """For each parameter tuple in ``ranges``, the rows of ``sql`` as lists of at most ``chunk`` rows.

    Each page's iterator must be used up before the next page is taken.  On PostgreSQL the
    next page's query runs in a helper thread while this one is checked: the server reads
    and sends it on another core, and psycopg waits for it without holding the GIL.  SQLite
    steps row by row and takes the GIL back for each row, so here the pages are read in turn.
    """
    sql = _driver_sql(conn, sql)
    if conn.dialect.name != "postgresql":
        cursor = _driver_cursor(conn)
        try:
            for params in ranges:
                cursor.execute(sql, params)
                yield iter(partial(cursor.fetchmany, chunk), [])
        finally:
            cursor.close()
        return

    def run(params: tuple):
        cursor = _driver_cursor(conn)
        cursor.execute(sql, params)
        return cursor

    # One thread at a time uses the connection: the helper executes, this thread only converts
    # rows of results already received (fetchmany does not touch the connection).
    with closing(_read_ahead(run, ranges)) as cursors:
        for cursor in cursors:
            try:
                yield iter(partial(cursor.fetchmany, chunk), [])
            finally:
                cursor.close()


def _entry_pages(conn: Connection, ranges: list[tuple], chunk: int, blobs: bool) -> Iterator[Any]:
    """Per page of entries: an iterator of row chunks or, from an SQLite file with ``blobs``,
    one aggregate row (``None`` where the aggregate could not be read).

    SQLite builds the aggregate (``_ENTRY_BLOBS``) inside a single step, without the GIL, so a
    second connection in a helper thread reads the next page while this one is checked.
    """
    path = _sqlite_file(conn) if blobs else None
    try:  # mode=rw: never create a file where the path no longer leads to the ledger
        reader = None if path is None else sqlite3.connect(
            f"file:{quote(path)}?mode=rw", uri=True, check_same_thread=False)
    except sqlite3.Error:
        reader = None
    if reader is None:
        yield from _pages(conn, _ENTRY_PAGE, ranges, chunk)
        return

    def read(params: tuple) -> tuple | None:
        try:
            return reader.execute(_ENTRY_BLOBS, params).fetchone()
        except sqlite3.Error:  # e.g. busy: that page is then read row by row on ``conn``
            return None

    try:
        reader.execute("PRAGMA query_only = 1")
        with closing(_read_ahead(read, ranges)) as pages:
            yield from pages
    finally:
        reader.close()


def _sqlite_file(conn: Connection) -> str | None:
    """The file behind an SQLite ``conn`` that a second connection can open, else ``None``."""
    path = conn.engine.url.database if conn.dialect.name == "sqlite" else None
    return path if path and path != ":memory:" and not path.startswith("file:") else None


# Pages are ranges of the primary key (ORDER BY the key columns, so the planner walks the index
# even without statistics); each page's query is known in advance, so it can be read ahead.
_ENTRY_PAGE = "SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx"
_ENTRY_BLOBS = ("SELECT count(*), min(length(leaf_hash)), max(length(leaf_hash)), "
                "CAST(group_concat(entry, x'0a') AS BLOB), CAST(group_concat(leaf_hash, '') AS BLOB) "
                "FROM (SELECT entry, leaf_hash FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx)")
_NODE_PAGE = "SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY level, idx"
_NODE_BEYOND = "SELECT min(idx) FROM ledger_nodes WHERE level = ? AND idx >= ?"
_MAX_LEVEL = "SELECT max(level) FROM ledger_nodes"
_INDEX_KEY = b',"index":'
_LINK = b',"index":%d,"prev_hash":"%s","signer":'
_CHUNK = 1024
"""Rows checked together: few enough that a chunk's entries are still in the CPU cache when the
link check reads them again after hashing (a fifth faster than checking 50k-row pages at once)."""


def _audit_entries(conn: Connection, report: AuditReport, tree: _Tree, page_size: int, deep: bool,
                   bound: int) -> None:
    leaves: list[bytes] = []
    expected = 0
    prev_hex = GENESIS_PREV_HASH.hex().encode()
    chunk = min(_CHUNK, page_size)
    ranges = [(lo, min(lo + page_size, bound)) for lo in range(0, bound, page_size)]
    try:
        with closing(_entry_pages(conn, ranges, chunk, blobs=not deep)) as pages:
            for (lo, hi), page in zip(ranges, pages):
                if page is None or isinstance(page, tuple):
                    hashes = _clean_blob_hashes(page, lo, hi, prev_hex)
                    if hashes is not None:
                        leaves.extend(hashes)
                        expected = hi
                        prev_hex = hexlify(hashes[-1])
                        continue
                    page = chain.from_iterable(_pages(conn, _ENTRY_PAGE, [(lo, hi)], chunk))  # row by row
                for rows in page:
                    # Fast path: the whole chunk checked with list-wide operations (C loops).
                    hashes = None if deep else _clean_chunk_hashes(rows, expected, prev_hex)
                    finding = None
                    if hashes is None:
                        hashes, finding = _check_one_by_one(rows, expected, prev_hex, deep)
                    if hashes:
                        leaves.extend(hashes)
                        expected += len(hashes)
                        prev_hex = hexlify(hashes[-1])
                    if finding is not None:
                        report.findings.append(finding)
                        return
    finally:
        report.size = expected  # entries [0, expected) verified
        tree.levels[0] = bytearray(b"".join(leaves))


def _clean_chunk_hashes(rows: list, first: int, prev_hex: bytes) -> list[bytes] | None:
    """Check a non-empty chunk of ``(idx, entry, leaf_hash)`` rows at once; return their leaf hashes.

    Same checks as ``_check_one_by_one`` (consecutive indices, stored leaf hash, index field
    and chain link), as whole-list comparisons; any failure returns ``None``, and the slow
    loop names the first bad index.
    """
    idxs, datas, stored = zip(*rows)
    if idxs != tuple(range(first, first + len(rows))):
        return None
    sha = _sha256
    hashes = [sha(b"\x00" + d).digest() for d in datas]
    if stored != tuple(hashes) or not _links_hold(idxs, datas, hashes, prev_hex):
        return None
    return hashes


def _clean_blob_hashes(page: tuple | None, lo: int, hi: int, prev_hex: bytes) -> list[bytes] | None:
    """The leaf hashes of entries ``[lo, hi)`` read as one ``_ENTRY_BLOBS`` row if all pass, else ``None``.

    ``hi - lo`` rows (the index is the integer rowid, so none is missing), entries without a
    newline (canonical JSON has none: one piece per row) and 32-byte stored leaf hashes line the
    pieces up with their rows; each entry's own index field then pins its place in the page.
    """
    if page is None:
        return None
    count, shortest, longest, joined, stored = page
    if count != hi - lo or shortest != 32 or longest != 32:
        return None
    datas = joined.split(b"\n")
    if len(datas) != count:
        return None
    sha = _sha256
    hashes: list[bytes] = []
    for k in range(0, count, _CHUNK):
        part = datas[k: k + _CHUNK]
        done = [sha(b"\x00" + d).digest() for d in part]
        if (b"".join(done) != stored[32 * k: 32 * (k + len(part))]
                or not _links_hold(range(lo + k, lo + k + len(part)), part, done, prev_hex)):
            return None
        hashes.extend(done)
        prev_hex = hexlify(done[-1])
    return hashes


def _links_hold(idxs, datas, hashes: list[bytes], prev_hex: bytes) -> bool:
    """Each entry's last ``,"index":`` is followed by its index and the previous leaf hash (hex)."""
    prevs = [prev_hex, *map(hexlify, hashes[:-1])]
    links = map(_LINK.__mod__, zip(idxs, prevs))
    return all(map(bytes.startswith, datas, links, map(bytes.rfind, datas, repeat(_INDEX_KEY))))


def _check_one_by_one(rows: list, first: int, prev_hex: bytes, deep: bool) -> tuple[list[bytes], AuditFinding | None]:
    """Check ``(idx, entry, leaf_hash)`` rows in turn: the leaf hashes of the good ones, then the first finding."""
    hashes: list[bytes] = []
    expected = first
    for idx, data, stored in rows:
        if idx != expected:
            return hashes, AuditFinding(expected, f"entry {expected} is missing (next stored index is {idx})")
        h = _sha256(b"\x00" + data).digest()
        # The last ',"index":' is the top-level one (only hex, a JSON string and an int follow it),
        # so one startswith checks both the index and the hash-chain link.
        if h != stored or not data.startswith(_LINK % (idx, prev_hex), data.rfind(_INDEX_KEY)):
            return hashes, _diagnose_entry(bytes(data), idx, bytes(stored), prev_hex)
        if deep:
            try:
                decode_entry(bytes(data))
            except EncodingError as exc:
                return hashes, AuditFinding(idx, f"entry {idx} malformed: {exc}")
        hashes.append(h)
        prev_hex = hexlify(h)
        expected += 1
    return hashes, None


def _diagnose_entry(data: bytes, idx: int, stored: bytes, prev_hex: bytes) -> AuditFinding:
    if _sha256(b"\x00" + data).digest() != stored:
        return AuditFinding(idx, f"entry {idx} does not hash to its stored leaf hash")
    link_index, link_prev = scan_link(data)
    if link_index != idx:
        return AuditFinding(idx, f"entry stored at {idx} says it is entry {link_index}")
    if link_prev != prev_hex:
        return AuditFinding(idx, f"entry {idx} prev_hash does not match the leaf hash of entry {idx - 1}")
    return AuditFinding(idx, f"entry {idx} is not in canonical entry form")


def _audit_nodes(conn: Connection, report: AuditReport, tree: _Tree, page_size: int) -> AuditFinding | None:
    """Check every stored subtree hash level by level against its two (verified) children.

    Returns a finding for subtree rows lying beyond the audited tree (a truncated tail),
    which the caller reports only if the ledger did not grow during the audit.
    """
    size = report.size
    truncated = bool(report.findings)  # entry pass stopped early: ignore subtrees past it
    sha = _sha256
    beyond: AuditFinding | None = None
    top = _driver_rows(conn, _MAX_LEVEL, ())[0][0] or 0
    levels = range(1, max(top, size.bit_length()) + 1)
    ranges = [(level, lo, min(lo + page_size, size >> level))
              for level in levels for lo in range(0, size >> level, page_size)]
    with closing(_pages(conn, _NODE_PAGE, ranges, min(_CHUNK, page_size))) as pages:
        for level in levels:
            below = tree.levels[level - 1]
            count = size >> level
            computed: list[bytes] = []
            for _ in range(-(-count // page_size)):
                for rows in next(pages):
                    first = len(computed)
                    span = range(first, first + len(rows))
                    hashes = [sha(b"\x01" + below[64 * i: 64 * i + 64]).digest() for i in span]
                    # element-wise: a joined comparison would pass a hash cut short with the rest moved on
                    if [r[0] for r in rows] != list(span) or [r[1] for r in rows] != hashes:
                        report.findings.append(_diagnose_nodes(rows, hashes, level, first))
                        return beyond
                    computed.extend(hashes)
            if len(computed) < count:
                report.findings.append(_missing_node(level, len(computed)))
                return beyond
            extra = _driver_rows(conn, _NODE_BEYOND, (level, count))[0][0]
            if extra is not None and beyond is None and not truncated:
                beyond = AuditFinding(max(extra << level, size), f"subtree hash ({level}, {extra}) lies beyond tree size {size}")
            report.nodes += count
            tree.levels.append(bytearray(b"".join(computed)))
    return beyond


def _diagnose_nodes(rows: list, computed: list[bytes], level: int, first: int) -> AuditFinding:
    for want, (idx, stored), right in zip(range(first, first + len(rows)), rows, computed, strict=True):
        if idx != want:
            return _missing_node(level, want)
        if bytes(stored) != right:
            return AuditFinding(want << level, f"subtree hash ({level}, {want}) over entries "
                                f"[{want << level}, {(want + 1) << level}) does not match its children")
    raise AssertionError("no bad subtree hash in a chunk that failed its check")


def _missing_node(level: int, index: int) -> AuditFinding:
    return AuditFinding(index << level, f"subtree hash ({level}, {index}) over entries "
                        f"[{index << level}, {(index + 1) << level}) is missing")


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
