"""The ledger as a C2SP tiled transparency log (no login): `/checkpoint`, hash tiles, entry
bundles, and the witnesses' cosignature drop-box. Any tlog-tiles client or witness can follow
it; docs/ledger.md "Serving the log" has the formats.

Plain text and octet-stream routes, outside the JSON API (and so outside its rate limit):
monitors fetch thousands of tiles, and full tiles never change, so caches in front can keep them.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ledger.cosign import WitnessKey, parse_witness_keys, split_note, verify_cosignature_line, with_cosignatures
from ledger.errors import CheckpointError, StoreError
from ledger.log import note_text
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


_PUBLISHED = "tlog_published_size"


@bp.get("/tile/<path:rest>")
def tile(rest: str):
    """`/tile/<L>/<N>[.p/<W>]` and `/tile/entries/<N>[.p/<W>]`, within the latest checkpoint."""
    head, _, tail = rest.partition("/")
    try:
        ref = TileRef(None if head == "entries" else parse_level(head), *parse_index(tail))
    except TilePathError as exc:
        return _text(f"{exc}\n", 404)
    store = get_ledger().store
    with unit_of_work() as s:
        conn = s.connection()
        # The latest checkpoint's size as this app last read it. Checkpoints only grow (the ledger
        # refuses to sign a smaller or inconsistent one), so a tile inside the remembered size is
        # inside the current one: most tile requests need no checkpoint query.
        published = current_app.extensions.get(_PUBLISHED, 0)
        if not tile_available(ref, published):
            published = current_app.extensions[_PUBLISHED] = store.published_size(conn)
        # only what a signed checkpoint has published: a client can check everything it gets
        if not tile_available(ref, published):
            return _text(f"{ref.path()} is not in the published tree\n", 404)
        try:
            data = read_bundle(store, conn, ref) if ref.level is None else read_tile(store, conn, ref)
        except StoreError as exc:
            current_app.logger.error("tile %s: %s", ref.path(), exc)
            return _text(f"{exc}\n", 500)
    resp = Response(data, content_type="application/octet-stream")
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp


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
