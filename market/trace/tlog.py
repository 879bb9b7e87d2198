"""The ledger as a C2SP tiled transparency log (no login): `/checkpoint`, hash tiles, entry
bundles, and the witnesses' cosignature drop-box. Any tlog-tiles client or witness can follow
it; docs/ledger.md "Serving the log" has the formats.

Plain text and octet-stream, outside the JSON API (and so outside its rate limit): monitors
fetch thousands of tiles, and full tiles never change, so caches in front can keep them.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ledger.cosign import WitnessKey, parse_witness_keys, split_note, verify_cosignature_line, with_cosignatures
from ledger.errors import CheckpointError, StoreError
from ledger.log import note_text
from ledger.sql_store import SqlLedgerStore
from ledger.tiles import TileRef, TilePathError, parse_index, parse_level, read_bundle, read_tile, tile_available

from market.db import unit_of_work
from market.journal.ledger import get_ledger
from market.web.csrf import exempt

bp = Blueprint("tlog", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"
# the spec asks that the checkpoint not be cached "beyond a few seconds"
CHECKPOINT_CACHE = "public, max-age=5"
TEXT = "text/plain; charset=utf-8"


def _text(body: str, status: int = 200) -> Response:
    resp = Response(body, status=status, content_type=TEXT)
    if status != 200:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def witness_keys() -> list[WitnessKey]:
    """The operator's witnesses (LEDGER_WITNESS_KEYS, validated at start-up)."""
    return parse_witness_keys(current_app.config.get("LEDGER_WITNESS_KEYS") or [])


def cosigned_note(store, conn, checkpoint) -> str:
    """A stored checkpoint's note with the cosignatures witnesses posted for it."""
    return with_cosignatures(checkpoint.note, store.cosignature_lines(conn, checkpoint.seq))


@bp.get("/checkpoint")
def checkpoint():
    store = get_ledger().store
    with unit_of_work() as s:
        conn = s.connection()
        cp = store.latest_checkpoint(conn)
        if cp is None:
            return _text("no checkpoint signed yet\n", 404)
        body = cosigned_note(store, conn, cp)
    resp = _text(body)
    resp.headers["Cache-Control"] = CHECKPOINT_CACHE
    return resp


class TileServer:
    """WSGI middleware answering `GET /tile/<L>/<N>[.p/<W>]` and `/tile/entries/<N>[.p/<W>]`
    before Flask: a tile is one range read, and Flask's per-request work (session, locale,
    request log, limiter) cost more than that read — tiles are static resources in all but
    storage (bench/tlog_tiles.py). Only tiles inside the latest checkpoint are served."""

    def __init__(self, wsgi_app, app) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.store = SqlLedgerStore()
        # The latest checkpoint's size as last read. Checkpoints only grow (the ledger refuses
        # to sign a smaller or inconsistent one), so a tile inside the remembered size is inside
        # the current one: most tile requests need no checkpoint query.
        self.published = 0

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/tile/") or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        status, content_type, cache, body = self.tile(path[len("/tile/"):])
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Cache-Control", cache),
                   ("X-Content-Type-Options", "nosniff"), ("Access-Control-Allow-Origin", "*")]
        start_response(status, headers)
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else body]

    def tile(self, rest: str) -> tuple[str, str, str, bytes]:
        head, _, tail = rest.partition("/")
        try:
            ref = TileRef(None if head == "entries" else parse_level(head), *parse_index(tail))
        except TilePathError as exc:
            return "404 Not Found", TEXT, "no-store", f"{exc}\n".encode()
        with self.app.extensions["db"].engine.connect() as conn:
            if not tile_available(ref, self.published):
                self.published = self.store.published_size(conn)
            # only what a signed checkpoint has published: a client can check everything it gets
            if not tile_available(ref, self.published):
                return "404 Not Found", TEXT, "no-store", f"{ref.path()} is not in the published tree\n".encode()
            try:
                data = read_bundle(self.store, conn, ref) if ref.level is None else read_tile(self.store, conn, ref)
            except StoreError as exc:
                self.app.logger.error("tile %s: %s", ref.path(), exc)
                return "500 Internal Server Error", TEXT, "no-store", f"{exc}\n".encode()
        return "200 OK", "application/octet-stream", IMMUTABLE, data


def init_app(app) -> None:
    app.wsgi_app = TileServer(app.wsgi_app, app)


@bp.post("/checkpoint/cosignatures")
@exempt  # witnesses authenticate by their signature, not a session
def add_cosignature():
    """A witness posts the checkpoint text, a blank line, and its cosignature line(s) (the
    checkpoint as it cosigned it). Cosignatures by a configured witness key over a checkpoint
    we signed are kept; 200 lists the lines kept."""
    body = request.get_data(as_text=True)
    if len(body) > 64 * 1024:
        return _text("body too large\n", 413)
    try:
        text, lines = split_note(body)
    except CheckpointError as exc:
        return _text(f"{exc}\n", 400)
    keys = witness_keys()
    store = get_ledger().store
    with unit_of_work() as s:
        conn = s.connection()
        try:
            size = int(text.split("\n")[1])
        except (IndexError, ValueError):
            return _text("not a checkpoint\n", 400)
        cp = next((c for c in store.checkpoints_at_size(conn, size) if note_text(c.note) == text), None)
        if cp is None:
            return _text("no checkpoint of ours has this text\n", 404)
        kept = []
        for line in lines:
            for key in keys:
                try:
                    cosig = verify_cosignature_line(text, line, key)
                except CheckpointError as exc:
                    return _text(f"{exc}\n", 403)
                if cosig is not None:
                    store.add_cosignature(conn, checkpoint_seq=cp.seq, witness=key.name, key_id=key.key_id.hex(),
                                          cosigned_at=cosig.timestamp, line=cosig.line)
                    kept.append(cosig.line)
        if not kept:
            return _text("no cosignature by a configured witness key\n", 403)
        s.commit()
    return _text("".join(kept))
