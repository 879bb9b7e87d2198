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

entries = st.lists(st.binary(max_size=12), min_size=1, max_size=40)


@st.composite
def tree_and_index(draw):
    leaves = draw(entries)
    return leaves, draw(st.integers(0, len(leaves) - 1))


@st.composite
def tree_and_old_size(draw):
    leaves = draw(entries)
    return leaves, draw(st.integers(1, len(leaves)))


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
        size ^= 1 << (bit % 64)
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
        new ^= 1 << (bit % 64)
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
