"""Tile paths (C2SP tlog-tiles) and witness cosignatures (C2SP tlog-cosignature), pure core."""
from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosign import Cosigner, WitnessKey, cosignatures, log_signed_note, verify_quorum, with_cosignatures
from ledger.errors import CheckpointError, SigningKeyError
from ledger.tiles import TileRef, TilePathError, decode_bundle, encode_bundle, encode_index, parse_index, tile_available


@pytest.mark.parametrize("n, path", [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"),
                                     (1234067, "x001/x234/067")])
def test_index_paths_round_trip(n, path):
    assert encode_index(n) == path and parse_index(path) == (n, 256)


@pytest.mark.parametrize("bad", ["0", "1234", "x001", "001/002", "x000/001", "x1/001", "001.p/0", "001.p/256",
                                 "001.p/07", "001.p/", "-01"])
def test_non_canonical_paths_are_refused(bad):
    with pytest.raises(TilePathError):
        parse_index(bad)


def test_partial_tiles_follow_the_spec_example():
    # "a tree of size 70,000 ... 273 full level 0 tiles, one partial level 0 tile of width 112,
    # one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1"
    size = 70000
    assert tile_available(TileRef(0, 272), size) and not tile_available(TileRef(0, 273), size)
    assert tile_available(TileRef(0, 273, 112), size) and not tile_available(TileRef(0, 273, 113), size)
    assert tile_available(TileRef(1, 0), size) and tile_available(TileRef(1, 1, 17), size)
    assert not tile_available(TileRef(1, 1, 18), size)
    assert tile_available(TileRef(2, 0, 1), size) and not tile_available(TileRef(2, 0, 2), size)
    assert TileRef(1, 1, 17).path() == "tile/1/001.p/17" and TileRef(None, 1234067).path() == "tile/entries/x001/x234/067"


def test_entry_bundles_round_trip():
    entries = [b"", b"a", b"x" * 65535]
    assert decode_bundle(encode_bundle(entries)) == entries
    with pytest.raises(ValueError):
        decode_bundle(encode_bundle(entries)[:-1])


TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
LOG_LINE = "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"


def test_a_cosignature_is_the_spec_format():
    seed = bytes(range(32))
    c = Cosigner("witness.example.com/w1", Ed25519PrivateKey.from_private_bytes(seed))
    pub = c.key.public_key
    line = c.cosign(TEXT, 1679315147)
    name, b64 = line[2:].rstrip("\n").split(" ")
    blob = base64.b64decode(b64)
    assert name == "witness.example.com/w1" and len(blob) == 4 + 8 + 64
    assert blob[:4] == hashlib.sha256(b"witness.example.com/w1\n\x04" + pub).digest()[:4]
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + TEXT.encode()
    Ed25519PrivateKey.from_private_bytes(seed).public_key().verify(blob[12:], message)
    assert WitnessKey.parse(c.key.vkey()) == c.key
    assert base64.b64decode(c.key.vkey().split("+", 2)[2])[0] == 0x04


def test_quorum_counts_distinct_configured_witnesses():
    w = [Cosigner(f"w{i}.example/w", Ed25519PrivateKey.generate()) for i in range(3)]
    note = TEXT + "\n" + LOG_LINE
    signed = with_cosignatures(note, [w[0].cosign(TEXT, 10), w[1].cosign(TEXT, 11), w[1].cosign(TEXT, 11)])
    assert signed.count("w1.example/w") == 1  # duplicates dropped
    keys = [x.key for x in w]
    assert len(verify_quorum(signed, keys, 2)) == 2
    with pytest.raises(CheckpointError, match="2 of 3 witnesses"):
        verify_quorum(signed, keys, 3)
    with pytest.raises(CheckpointError, match="exceeds"):
        verify_quorum(signed, keys[:1], 2)
    assert log_signed_note(signed, "example.com/behind-the-sofa") == note
    # a cosignature over other text, claiming a configured key, makes the note malformed
    forged = with_cosignatures(note, [w[2].cosign(TEXT.replace("20852163", "20852164"), 12)])
    with pytest.raises(CheckpointError, match="does not verify"):
        cosignatures(forged, keys)


def test_witness_keys_must_be_cosignature_keys():
    c = Cosigner("w.example/w", Ed25519PrivateKey.generate())
    name, kid, b64 = c.key.vkey().split("+", 2)
    raw = base64.b64decode(b64)
    as_log_key = base64.b64encode(bytes([0x01]) + raw[1:]).decode()
    with pytest.raises(SigningKeyError):
        WitnessKey.parse(f"{name}+{kid}+{as_log_key}")
    with pytest.raises(SigningKeyError):
        WitnessKey.parse(f"{name}+00000000+{b64}")
