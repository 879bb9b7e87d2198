"""Proof bundles: verification binds entry, path, index, size and the signed root together."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_fixtures import ORIGIN, make_events
from ledger import merkle
from ledger.bundle import make_bundle, verify_bundle
from ledger.checkpoint import Checkpoint
from ledger.entry import encode_entry
from ledger.errors import BundleError
from ledger.hashing import leaf_hash
from ledger.signing import NoteSigner

SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
WHEN = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)


def build_entries(n: int) -> list[bytes]:
    entries, prev = [], bytes(32)
    for i, event in enumerate(make_events(n)):
        entries.append(encode_entry(index=i, prev_hash=prev, signer=event.org, event=event))
        prev = leaf_hash(entries[-1])
    return entries


ENTRIES = build_entries(23)


def bundle_for(index: int, size: int) -> dict:
    entries = ENTRIES[:size]
    note = Checkpoint(ORIGIN, size, merkle.root(entries), WHEN).sign(SIGNER)
    return make_bundle(entry=entries[index], index=index, size=size,
                       inclusion_path=merkle.inclusion_proof(entries, index),
                       checkpoint_note=note, verifier_key=SIGNER.verifier_key())


def flip_b64(value: str, bit: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[(bit // 8) % len(raw)] ^= 1 << (bit % 8)
    return base64.b64encode(bytes(raw)).decode()


sizes = st.integers(1, len(ENTRIES)).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))


@given(sizes)
def test_every_honest_bundle_verifies_against_the_pinned_key(case):
    size, index = case
    result = verify_bundle(bundle_for(index, size), trusted_key=SIGNER.verifier_key())
    assert result.entry.index == index and result.checkpoint.size == size


@settings(max_examples=200)
@given(sizes, st.integers(0, 10**6), st.sampled_from(["leaf", "proof", "index", "size", "root"]))
def test_any_flipped_bit_in_leaf_proof_index_size_or_root_fails(case, bit, target):
    size, index = case
    bundle = bundle_for(index, size)
    if target == "leaf":
        bundle["entry"] = flip_b64(bundle["entry"], bit)
    elif target == "proof":
        if not bundle["inclusion_path"]:
            bundle["inclusion_path"] = [base64.b64encode(bytes(32)).decode()]
        else:
            i = bit % len(bundle["inclusion_path"])
            bundle["inclusion_path"][i] = flip_b64(bundle["inclusion_path"][i], bit // 7)
    elif target == "index":
        bundle["index"] ^= 1 << (bit % 64)
    elif target == "size":
        bundle["size"] ^= 1 << (bit % 64)
    else:  # the root lives in the signed checkpoint
        lines = bundle["checkpoint"].split("\n")
        lines[2] = flip_b64(lines[2], bit)
        bundle["checkpoint"] = "\n".join(lines)
    with pytest.raises(BundleError):
        verify_bundle(bundle, trusted_key=SIGNER.verifier_key())


@pytest.mark.parametrize("bundle, reason", [
    ([], "JSON object"),
    ({"format": "other"}, "format"),
    ({**bundle_for(3, 8), "entry": "***"}, "base64"),
    ({**bundle_for(3, 8), "inclusion_path": "x"}, "list"),
    ({**bundle_for(3, 8), "size": 9}, "differs from checkpoint tree size 8"),
])
def test_malformed_bundles_are_refused_with_a_reason(bundle, reason):
    with pytest.raises(BundleError, match=reason):
        verify_bundle(bundle)
