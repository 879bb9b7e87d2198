"""The ledger as a C2SP tiled log, checked over HTTP by the independent client in tlog_client.py."""
from __future__ import annotations

import base64
import json
import random

import pytest
from tlog_world import append_and_sign
from tlog_client import (TiledTree, TlogError, leaf, open_signed_note, parse_checkpoint, verify_consistency,
                         verify_inclusion)


def checkpoint(served, vkey, origin="smm.local/ledger"):
    note = served.get("checkpoint").decode()
    return parse_checkpoint(open_signed_note(note, vkey), origin)


def test_an_independent_client_verifies_1000_inclusions_and_20_consistency_pairs(app, served, log_vkey):
    sizes = [append_and_sign(app, 1000), append_and_sign(app, 65536 - 1000), append_and_sign(app, 70123 - 65536)]
    size, root = checkpoint(served, log_vkey)
    assert size == sizes[-1] == 70123
    tree = TiledTree(served.get, size, root)  # level 0, 1 and 2 tiles, full and partial, make the root
    rng = random.Random(20)
    for n, index in enumerate(rng.sample(range(size), 1000)):
        entry = tree.entry(index)
        assert json.loads(entry)["index"] == index
        h = leaf(entry)
        assert h == tree.tile_hash(0, index)  # the bundle's entry hashes to the level-0 tile's hash
        proof = tree.path(index, 0, size)
        verify_inclusion(h, index, size, proof, root)
        if n % 50 == 0:  # the server's inclusion endpoint gives the same proof
            got = json.loads(served.get(f"api/v1/ledger/inclusion?index={index}&size={size}"))
            assert [base64.b64decode(p) for p in got["proof"]] == proof
    pairs = [(1000, 65536), (65536, 70123)] + [tuple(sorted(rng.sample(range(1, size + 1), 2))) for _ in range(18)]
    for old, new in pairs:
        got = json.loads(served.get(f"api/v1/ledger/consistency?old={old}&new={new}"))
        proof = [base64.b64decode(p) for p in got["proof"]]
        old_root, new_root = tree.root(old), tree.root(new)  # roots computed from tiles, not taken from the server
        assert base64.b64decode(got["old_root"]) == old_root and base64.b64decode(got["new_root"]) == new_root
        verify_consistency(old, new, old_root, new_root, proof)
        assert proof == tree.consistency(old, new)
        with pytest.raises(TlogError):
            verify_consistency(old, new, old_root, new_root, proof[:-1] + [bytes(32)])


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


@pytest.mark.parametrize("target", ["tile/0/005", "tile/1/000.p/11", "tile/0/011.p/184", "tile/entries/005"])
def test_a_tampered_tile_fails_the_client(app, served, log_vkey, target):
    append_and_sign(app, 3000)
    size, root = checkpoint(served, log_vkey)
    TiledTree(served.get, size, root)

    def tampered(path):  # one flipped bit (a bad cache, a lying mirror)
        data = served.get(path)
        return flip(data, 100) if path == target else data

    index = 5 * 256 + 3
    with pytest.raises(TlogError):
        tree = TiledTree(tampered, size, root)  # right-edge tiles: the root no longer comes out
        leaf_hash = leaf(tree.entry(index))  # entry bundle: its entries no longer hash to the tile
        verify_inclusion(leaf_hash, index, size, tree.path(index, 0, size), root)  # full tile: not its parent hash


def test_tile_paths_headers_and_bounds(app, served, client, log_vkey):
    append_and_sign(app, 600)
    r = client.get("/checkpoint")
    assert r.status_code == 200 and r.content_type == "text/plain; charset=utf-8"
    assert "max-age=5" in r.headers["Cache-Control"]
    r = client.get("/tile/0/000")
    assert r.status_code == 200 and len(r.data) == 8192 and r.content_type == "application/octet-stream"
    assert "immutable" in r.headers["Cache-Control"]
    assert client.get("/tile/0/002.p/40").data == client.get("/tile/0/002.p/88").data[:40 * 32]
    assert len(client.get("/tile/1/000.p/2").data) == 64
    bundle = client.get("/tile/entries/001").data
    first = bundle[2:2 + int.from_bytes(bundle[:2], "big")]
    assert json.loads(first)["index"] == 256
    for bad in ("/tile/0/0", "/tile/0/002.p/0", "/tile/0/002.p/256", "/tile/0/x000/002", "/tile/00/000",
                "/tile/0/002.p/90", "/tile/0/003", "/tile/1/000", "/tile/entries/002", "/tile/64/000"):
        assert client.get(bad).status_code == 404, bad
    r = client.get("/api/v1/ledger/consistency?old=10&new=601")
    assert r.status_code == 422
