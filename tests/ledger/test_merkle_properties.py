"""Property tests: random trees, every proof verifies, any flipped bit fails.

The fast in-memory code is checked against ``ledger_reference``, a literal
recursive transcription of RFC 9162.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import ledger_reference as ref
from ledger import merkle
from ledger.compact import range_nodes

# Distinct leaves: with two equal leaves, a flipped index can honestly point at the twin.
entries = st.lists(st.binary(max_size=12), min_size=1, max_size=40, unique=True)


@st.composite
def tree_and_index(draw):
    leaves = draw(entries)
    return leaves, draw(st.integers(0, len(leaves) - 1))


@st.composite
def tree_and_old_size(draw):
    leaves = draw(entries)
    return leaves, draw(st.integers(1, len(leaves)))


def inclusion_shape(index: int, size: int, length: int):
    """The branch sequence RFC 9162's inclusion verifier takes; the only thing size influences."""
    if not 0 <= index < size:
        return None
    fn, sn, out = index, size - 1, []
    for _ in range(length):
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            out.append("L")
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            out.append("R")
        fn, sn = fn >> 1, sn >> 1
    return tuple(out) if sn == 0 else None


def consistency_shape(old: int, new: int, length: int):
    """The branch sequence RFC 9162's consistency verifier takes for these sizes."""
    if not 0 < old < new:
        return None
    fn, sn, out = old - 1, new - 1, []
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    for _ in range(length - (0 if old & (old - 1) == 0 else 1)):
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            out.append("L")
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            out.append("R")
        fn, sn = fn >> 1, sn >> 1
    return (old & (old - 1) == 0, tuple(out)) if sn == 0 else None


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@given(st.lists(st.binary(max_size=12), max_size=40))
def test_root_equals_the_reference_root(leaves):
    assert merkle.root(leaves) == ref.mth(leaves)


@given(tree_and_index())
def test_inclusion_proof_equals_the_reference_path_and_verifies(case):
    leaves, index = case
    proof = merkle.inclusion_proof(leaves, index)
    assert proof == ref.path(index, leaves)
    assert merkle.verify_inclusion(leaves[index], index, len(leaves), proof, ref.mth(leaves))


@given(tree_and_old_size())
def test_consistency_proof_equals_the_reference_proof_and_verifies(case):
    leaves, old = case
    proof = merkle.consistency_proof(leaves, old)
    assert proof == ref.proof(old, leaves)
    assert merkle.verify_consistency(old, len(leaves), ref.mth(leaves[:old]), ref.mth(leaves), proof)


@given(tree_and_index(), st.integers(0, 10**6), st.sampled_from(["leaf", "proof", "index", "size", "root"]))
def test_any_flipped_bit_breaks_an_inclusion_proof(case, bit, target):
    leaves, index = case
    size, leaf, root = len(leaves), leaves[index], merkle.root(leaves)
    proof = merkle.inclusion_proof(leaves, index)
    if target == "leaf":
        leaf = flip(leaf, bit) if leaf else b"\x00"
    elif target == "proof":
        if not proof:
            proof = [root]
        else:
            i = bit % len(proof)
            proof = [*proof[:i], flip(proof[i], bit // len(proof)), *proof[i + 1:]]
    elif target == "index":
        index ^= 1 << (bit % 64)
    elif target == "size":
        old_size, size = size, size ^ (1 << (bit % 64))
        if inclusion_shape(index, size, len(proof)) == inclusion_shape(index, old_size, len(proof)):
            # RFC 9162 proofs do not encode the size: e.g. index 0 has the same path in trees of
            # size 6 and 7.  The size is bound by the signed checkpoint instead, see test_bundle.
            assert merkle.verify_inclusion(leaf, index, size, proof, root)
            return
    else:
        root = flip(root, bit)
    assert not merkle.verify_inclusion(leaf, index, size, proof, root)


@given(tree_and_old_size(), st.integers(0, 10**6), st.sampled_from(["proof", "old_size", "new_size", "old_root", "new_root"]))
def test_any_flipped_bit_breaks_a_consistency_proof(case, bit, target):
    leaves, old = case
    new = len(leaves)
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves)
    proof = merkle.consistency_proof(leaves, old)
    if target == "proof":
        if not proof:
            proof = [new_root]
        else:
            i = bit % len(proof)
            proof = [*proof[:i], flip(proof[i], bit // len(proof)), *proof[i + 1:]]
    elif target == "old_size":
        old ^= 1 << (bit % 64)
    elif target == "new_size":
        honest, new = new, new ^ (1 << (bit % 64))
        if consistency_shape(old, new, len(proof)) == consistency_shape(old, honest, len(proof)) is not None:
            return  # same verifier path: the size is bound by the signed checkpoint, not the proof

    elif target == "old_root":
        old_root = flip(old_root, bit)
    else:
        new_root = flip(new_root, bit)
    assert not merkle.verify_consistency(old, new, old_root, new_root, proof)


@given(tree_and_index())
def test_proof_builders_do_not_mutate_their_inputs(case):
    leaves, index = case
    before = list(leaves)
    merkle.inclusion_proof(leaves, index)
    merkle.consistency_proof(leaves, index)
    assert leaves == before


@settings(max_examples=300)
@given(st.integers(0, 2**40), st.integers(0, 2**20))
def test_range_nodes_tile_the_range_exactly(begin, length):
    end = begin + length
    pos = begin
    for level, index in range_nodes(begin, end):
        assert index << level == pos
        pos += 1 << level
    assert pos == end
