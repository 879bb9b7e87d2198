"""A witness that follows a tiled log (C2SP tlog-tiles), checks it only grows, and cosigns.

State (one JSON file): the last cosigned checkpoint note, its size and root, and
the log's *compact range* at that size (the right-edge complete subtrees, at most
log2 n hashes).  For a new checkpoint the witness reads the tree hashes between
its size and the new size from the log's tiles, extends the compact range with
them and folds it: the result must equal the new root.  That is a consistency
check (the new tree contains the old one as a prefix) computed from the tiles
rather than taken from the log.  Two roots at one size, a smaller size, or a
new root the tiles do not produce are a fork: the witness refuses to cosign,
records an alert and stops.

``full=True`` reads every level-0 tile (every leaf hash) instead of the fewest
tiles that cover the range, so the witness also checks that the log's stored
higher-level hashes agree with its leaves.

Only the standard library is used for HTTP (``http.client``, one keep-alive
connection), so a lender can run this with the ``ledger`` package alone.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledger.checkpoint import Checkpoint, parse_checkpoint_text
from ledger.compact import NodeId, fold, range_nodes
from ledger.cosign import Cosigner, split_note
from ledger.errors import CheckpointError, LedgerError
from ledger.hashing import EMPTY_ROOT, HASH_SIZE
from ledger.signing import open_note
from ledger.tiles import TILE_HEIGHT, TILE_WIDTH, TileRef

log = logging.getLogger("ledger.witness")


PREFETCH = 64  # level-0 tiles read at once in a full catch-up (bounded memory: 64 x 8 KiB)


class ForkDetected(LedgerError):
    """The log showed a checkpoint that does not extend the one this witness cosigned."""

    def __init__(self, message: str, *, previous: str, offending: str) -> None:
        super().__init__(message)
        self.previous = previous
        self.offending = offending


class FetchError(LedgerError):
    """The log could not be read (network, HTTP status, malformed tile)."""


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _perfect_root(hashes: list[bytes]) -> bytes:
    """MTH of a power-of-two number of hashes (a complete subtree)."""
    while len(hashes) > 1:
        hashes = [_node(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class HttpLog:
    """Reads ``/checkpoint`` and tiles of a log under ``url`` over one keep-alive connection."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"log URL {url!r} must be http or https")
        self._scheme, self._host, self._prefix = parts.scheme, parts.netloc, parts.path
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self.requests = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._host, timeout=self._timeout)
        return self._conn

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "text/plain; charset=utf-8") -> tuple[int, bytes]:
        headers = {"Accept-Encoding": "identity", "User-Agent": "smm-ledger-witness/1"}
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            conn = self._connection()
            try:
                conn.request(method, f"{self._prefix}/{path}", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.requests += 1
                return resp.status, data
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._conn = None
                if attempt == 2:
                    raise FetchError(f"{method} {path}: {exc}") from exc
        raise AssertionError("unreachable")

    def get(self, path: str) -> bytes:
        status, data = self.request("GET", path)
        if status != 200:
            raise FetchError(f"GET {path}: HTTP {status}: {data[:200]!r}")
        return data

    def get_many(self, paths: list[str], *, connections: int = 4) -> list[bytes]:
        """GET ``paths`` over up to ``connections`` keep-alive connections at once, in order.

        A catch-up reads thousands of tiles; one request at a time leaves the server idle
        while the witness hashes, and the witness idle while the server reads.
        """
        if len(paths) <= 1 or connections <= 1:
            return [self.get(p) for p in paths]
        from concurrent.futures import ThreadPoolExecutor

        if not hasattr(self, "_pool"):
            self._pool = ThreadPoolExecutor(connections, thread_name_prefix="tiles")
            self._local = threading.local()
            self._clones: list[HttpLog] = []

        def fetch(path: str) -> bytes:
            clone = getattr(self._local, "log", None)
            if clone is None:
                clone = self._local.log = HttpLog(f"{self._scheme}://{self._host}{self._prefix}", timeout=self._timeout)
                self._clones.append(clone)
            return clone.get(path)

        out = list(self._pool.map(fetch, paths))
        self.requests += len(paths)
        return out

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if hasattr(self, "_pool"):
            self._pool.shutdown()
            for clone in self._clones:
                clone.close()
            del self._pool


class TileHashes:
    """Complete-subtree hashes of a tree of ``size`` leaves, read from tiles (cached per tile)."""

    def __init__(self, fetch: Callable[[str], bytes], size: int,
                 fetch_many: Callable[[list[str]], list[bytes]] | None = None) -> None:
        self._fetch = fetch
        self._fetch_many = fetch_many
        self.size = size
        self._tiles: dict[tuple[int, int], bytes] = {}
        self.fetched = 0

    def _ref(self, level: int, index: int) -> TileRef:
        width = min(TILE_WIDTH, (self.size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
        if width <= 0:
            raise FetchError(f"tile {level}/{index} is beyond tree size {self.size}")
        return TileRef(level, index, width)

    def _store(self, ref: TileRef, data: bytes) -> None:
        self.fetched += 1
        if len(data) != ref.width * HASH_SIZE:
            raise FetchError(f"tile {ref.path()} has {len(data)} bytes, want {ref.width * HASH_SIZE}")
        self._tiles[(ref.level or 0, ref.index)] = data

    def prefetch(self, level: int, indices: range) -> None:
        """Read several tiles at once (``fetch_many``), for a catch-up."""
        refs = [self._ref(level, n) for n in indices if (level, n) not in self._tiles]
        if self._fetch_many is None or len(refs) < 2:
            return
        for ref, data in zip(refs, self._fetch_many([r.path() for r in refs])):
            self._store(ref, data)

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._tiles:
            ref = self._ref(level, index)
            self._store(ref, self._fetch(ref.path()))
        return self._tiles[key]

    def hashes(self, level: int, start: int, stop: int) -> list[bytes]:
        """Hashes of tree level ``8 * level``, indices ``[start, stop)``."""
        out: list[bytes] = []
        while start < stop:
            n, off = divmod(start, TILE_WIDTH)
            take = min(stop - start, TILE_WIDTH - off)
            data = self.tile(level, n)
            out.extend(data[i * HASH_SIZE:(i + 1) * HASH_SIZE] for i in range(off, off + take))
            start += take
        return out

    def node(self, node: NodeId) -> bytes:
        """Hash of complete subtree ``(level, index)``: from the tile at or just below its level."""
        level, index = node
        tile_level, rest = divmod(level, TILE_HEIGHT)
        first = index << rest
        return _perfect_root(self.hashes(tile_level, first, first + (1 << rest)))

    def forget(self, keep_from_leaf: int) -> None:
        """Drop cached tiles wholly left of leaf ``keep_from_leaf`` (bounded memory on a catch-up)."""
        for key in [k for k in self._tiles if ((k[1] + 1) * TILE_WIDTH) << (TILE_HEIGHT * k[0]) <= keep_from_leaf]:
            del self._tiles[key]


def extend(stack: list[tuple[int, bytes]], node: tuple[int, bytes]) -> None:
    """Append complete subtree ``node`` (aligned right after ``stack``'s range) to a compact range."""
    level, h = node
    while stack and stack[-1][0] == level:
        h = _node(stack.pop()[1], h)
        level += 1
    stack.append((level, h))


@dataclass
class WitnessState:
    origin: str
    size: int = 0
    root: bytes = EMPTY_ROOT
    stack: list[tuple[int, bytes]] = field(default_factory=list)
    note: str | None = None  # the last checkpoint cosigned, with our cosignature

    def to_json(self) -> dict:
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return {"origin": self.origin, "size": self.size, "root": b64(self.root),
                "stack": [[lvl, b64(h)] for lvl, h in self.stack], "note": self.note}

    @classmethod
    def from_json(cls, data: dict) -> WitnessState:
        d = base64.b64decode
        return cls(data["origin"], int(data["size"]), d(data["root"]),
                   [(int(lvl), d(h)) for lvl, h in data["stack"]], data.get("note"))


def load_state(path: Path, origin: str) -> WitnessState:
    if not path.exists():
        return WitnessState(origin)
    state = WitnessState.from_json(json.loads(path.read_text(encoding="utf-8")))
    if state.origin != origin:
        raise CheckpointError(f"state file {path} is for log {state.origin!r}, not {origin!r}")
    return state


def save_state(path: Path, state: WitnessState) -> None:
    """Write the state whole (temporary file, fsync, rename): a crash leaves the old or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state.to_json(), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class Witness:
    """Checks checkpoints of one log against its state and cosigns those that extend it."""

    origin: str
    log_public_key: bytes
    cosigner: Cosigner
    state_path: Path
    clock: Callable[[], float] = time.time
    full: bool = False
    state: WitnessState = field(init=False)

    def __post_init__(self) -> None:
        self.state = load_state(self.state_path, self.origin)

    def verify_note(self, note: str) -> Checkpoint:
        text = open_note(note, name=self.origin, public_key=self.log_public_key)
        cp = parse_checkpoint_text(text)
        if cp.origin != self.origin:
            raise CheckpointError(f"checkpoint origin {cp.origin!r} is not {self.origin!r}")
        return cp

    def _fork(self, message: str, note: str) -> ForkDetected:
        return ForkDetected(message, previous=self.state.note or "", offending=note)

    def check(self, note: str, fetch: Callable[[str], bytes],
              fetch_many: Callable[[list[str]], list[bytes]] | None = None) -> tuple[Checkpoint, list[tuple[int, bytes]]]:
        """Verify ``note`` extends the state; return it and its compact range.  Raises ``ForkDetected``."""
        cp = self.verify_note(note)
        st = self.state
        if cp.size < st.size:
            raise self._fork(f"checkpoint size {cp.size} is smaller than cosigned size {st.size} (rollback)", note)
        if cp.size == st.size:
            if cp.root != st.root:
                raise self._fork(f"two different roots at size {cp.size}: cosigned "
                                 f"{base64.b64encode(st.root).decode()}, now "
                                 f"{base64.b64encode(cp.root).decode()}", note)
            return cp, list(st.stack)
        if cp.size == 0:
            return cp, []
        tiles = TileHashes(fetch, cp.size, fetch_many)
        stack = list(st.stack)
        if self.full:
            # every leaf hash, one level-0 tile after another (partial last tile as the checkpoint says)
            pos = st.size
            last_tile = (cp.size - 1) // TILE_WIDTH
            while pos < cp.size:
                n = pos // TILE_WIDTH
                if pos == st.size or n % PREFETCH == 0:
                    tiles.prefetch(0, range(n, min(n + PREFETCH, last_tile + 1)))
                stop = min(cp.size, (pos // TILE_WIDTH + 1) * TILE_WIDTH)
                for h in tiles.hashes(0, pos, stop):
                    extend(stack, (0, h))
                tiles.forget(stop)
                pos = stop
        else:
            for node in range_nodes(st.size, cp.size):
                extend(stack, (node[0], tiles.node(node)))
        root = fold([h for _, h in stack])
        if root != cp.root:
            raise self._fork(f"checkpoint at size {cp.size} is not consistent with cosigned size {st.size}: "
                             f"the log's tiles give root {base64.b64encode(root).decode()}", note)
        return cp, stack

    def cosign(self, note: str, fetch: Callable[[str], bytes],
               fetch_many: Callable[[list[str]], list[bytes]] | None = None) -> str:
        """Check ``note``; if it extends the state, store it and return our cosignature line."""
        cp, stack = self.check(note, fetch, fetch_many)
        text, _ = split_note(note)
        line = self.cosigner.cosign(text, int(self.clock()))
        self.state = WitnessState(self.origin, cp.size, cp.root, stack, note + line)
        save_state(self.state_path, self.state)  # persisted before the cosignature leaves the witness
        return line


def record_alert(path: Path, fork: ForkDetected, *, when: float) -> None:
    """Append the alert and both checkpoints (the evidence) to a JSON-lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"alert": "fork", "time": int(when), "reason": str(fork),
                            "cosigned": fork.previous, "offending": fork.offending}) + "\n")


def follow_once(witness: Witness, client: HttpLog, *, post: bool = True) -> str | None:
    """Fetch the log's checkpoint, check and cosign it, post the cosignature back.

    Returns the cosignature line, or ``None`` when the checkpoint is the one already cosigned.
    """
    note = client.get("checkpoint").decode("utf-8")
    previous = witness.state.note
    if previous is not None and split_note(previous)[0] == split_note(note)[0]:
        return None
    line = witness.cosign(note, client.get, client.get_many)
    log.info("cosigned %s at size %d", witness.origin, witness.state.size)
    if post:
        text, _ = split_note(note)
        status, body = client.request("POST", "checkpoint/cosignatures", (text + "\n" + line).encode("utf-8"))
        if status != 200:
            log.warning("the log refused the cosignature: HTTP %d %s", status, body[:200])
    return line
