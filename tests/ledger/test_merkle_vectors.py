"""Known-answer tests: the Certificate Transparency / transparency-dev vectors.

Leaves, roots and proofs are copied from transparency-dev/merkle
(testonly/constants.go and proof/verify_test.go), which carry CT's
merkle_tree_test vectors.  Their inclusion vectors count leaves from 1.
"""

from __future__ import annotations

import pytest

from ledger import merkle
from ledger.hashing import EMPTY_ROOT, leaf_hash, node_hash

LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243",
    "5051525354555657", "606162636465666768696a6b6c6d6e6f",
]]

ROOTS = [bytes.fromhex(h) for h in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]

LEAF_HASHES = [bytes.fromhex(h) for h in [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]]


def h(hex_: str) -> bytes:
    return bytes.fromhex(hex_)


# (leaf counted from 1, tree size, proof)
INCLUSION_VECTORS = [
    (1, 1, []),
    (1, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (2, 5, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
]

CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_empty_tree_root_is_sha256_of_nothing():
    assert merkle.root([]) == EMPTY_ROOT == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_root_matches_the_reference_root_for_every_size(size):
    assert merkle.root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize("index", range(8))
def test_leaf_hash_matches_the_reference_leaf_hash(index):
    assert leaf_hash(LEAVES[index]) == LEAF_HASHES[index]


def test_node_hash_of_first_two_leaves_is_root_of_size_two():
    assert node_hash(LEAF_HASHES[0], LEAF_HASHES[1]) == ROOTS[2]


@pytest.mark.parametrize("leaf, size, expected", INCLUSION_VECTORS)
def test_inclusion_proof_matches_the_reference_path(leaf, size, expected):
    assert merkle.inclusion_proof(LEAVES[:size], leaf - 1) == expected


@pytest.mark.parametrize("leaf, size, expected", INCLUSION_VECTORS)
def test_reference_inclusion_proof_verifies(leaf, size, expected):
    assert merkle.verify_inclusion(LEAVES[leaf - 1], leaf - 1, size, expected, ROOTS[size])


@pytest.mark.parametrize("old, new, expected", CONSISTENCY_VECTORS)
def test_consistency_proof_matches_the_reference_proof(old, new, expected):
    assert merkle.consistency_proof(LEAVES[:new], old) == expected


@pytest.mark.parametrize("old, new, expected", CONSISTENCY_VECTORS)
def test_reference_consistency_proof_verifies(old, new, expected):
    assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def corrupted_inclusion_probes(index, size, proof, root, leaf):
    """The mutated probes of transparency-dev's corruptInclusionProof."""
    probes = [
        ("index - 1", leaf, index - 1, size, proof, root),
        ("index + 1", leaf, index + 1, size, proof, root),
        ("index ^ 2", leaf, index ^ 2, size, proof, root),
        ("size * 2", leaf, index, size * 2, proof, root),
        ("size // 2", leaf, index, size // 2, proof, root),
        ("wrong leaf", b"WrongLeaf", index, size, proof, root),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root),
        ("trailing root", leaf, index, size, [*proof, root], root),
        ("preceding garbage", leaf, index, size, [b"", *proof], root),
        ("preceding root", leaf, index, size, [root, *proof], root),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((f"proof[{i}] bit 3 flipped", leaf, index, size, wrong, root))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        probes.append(("inserted component", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


def inclusion_probe_cases():
    for leaf, size, proof in INCLUSION_VECTORS:
        for probe in corrupted_inclusion_probes(leaf - 1, size, proof, ROOTS[size], LEAVES[leaf - 1]):
            yield pytest.param(*probe[1:], id=f"{leaf}/{size}: {probe[0]}")


@pytest.mark.parametrize("leaf, index, size, proof, root", inclusion_probe_cases())
def test_corrupted_inclusion_proof_fails(leaf, index, size, proof, root):
    assert not merkle.verify_inclusion(leaf, index, size, proof, root)


def corrupted_consistency_probes(old, new, root1, root2, proof):
    """The mutated probes of transparency-dev's corruptConsistencyProof."""
    probes = [
        ("old - 1", old - 1, new, root1, root2, proof),
        ("old + 1", old + 1, new, root1, root2, proof),
        ("old ^ 2", old ^ 2, new, root1, root2, proof),
        ("new * 2", old, new * 2, root1, root2, proof),
        ("new // 2", old, new // 2, root1, root2, proof),
        ("wrong root1", old, new, b"WrongRoot", root2, proof),
        ("wrong root2", old, new, root1, b"WrongRoot", proof),
        ("swapped roots", old, new, root2, root1, proof),
        ("empty proof", old, new, root1, root2, []),
        ("trailing garbage", old, new, root1, root2, [*proof, b""]),
        ("trailing root1", old, new, root1, root2, [*proof, root1]),
        ("trailing root2", old, new, root1, root2, [*proof, root2]),
        ("preceding garbage", old, new, root1, root2, [b"", *proof]),
        ("preceding root1", old, new, root1, root2, [root1, *proof]),
        ("preceding root2", old, new, root1, root2, [root2, *proof]),
        ("preceding proof[0]", old, new, root1, root2, [proof[0], *proof]),
        ("truncated proof", old, new, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((f"proof[{i}] bit 4 flipped", old, new, root1, root2, wrong))
    return probes


def consistency_probe_cases():
    for old, new, proof in CONSISTENCY_VECTORS:
        if not proof:
            continue
        for probe in corrupted_consistency_probes(old, new, ROOTS[old], ROOTS[new], proof):
            yield pytest.param(*probe[1:], id=f"{old}->{new}: {probe[0]}")


@pytest.mark.parametrize("old, new, root1, root2, proof", consistency_probe_cases())
def test_corrupted_consistency_proof_fails(old, new, root1, root2, proof):
    assert not merkle.verify_consistency(old, new, root1, root2, proof)


@pytest.mark.parametrize("index, size", [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_with_invalid_root_or_leaf_fails(index, size):
    assert not merkle.verify_inclusion(b"data", index, size, [], b"")
    assert not merkle.verify_inclusion(b"data", index, size, [], EMPTY_ROOT)


def test_single_entry_tree_has_empty_inclusion_proof_and_leaf_hash_root():
    assert merkle.verify_inclusion(b"data", 0, 1, [], leaf_hash(b"data"))
    assert not merkle.verify_inclusion(b"data", 0, 1, [], b"")


@pytest.mark.parametrize("old, new, root1, root2, proof, ok", [
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
    (0, 1, EMPTY_ROOT, ROOTS[1], [], True),
    (1, 1, ROOTS[1], ROOTS[1], [], True),
    (1, 1, ROOTS[1], ROOTS[2], [], False),
    (0, 0, EMPTY_ROOT, ROOTS[1], [], False),
    (1, 0, ROOTS[1], EMPTY_ROOT, [], False),
    (2, 1, ROOTS[2], ROOTS[1], [], False),
    (1, 2, ROOTS[1], ROOTS[2], [], False),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (0, 1, EMPTY_ROOT, ROOTS[1], [EMPTY_ROOT], False),
    (1, 1, ROOTS[1], ROOTS[1], [EMPTY_ROOT], False),
    (0, 1, SOME_HASH, ROOTS[1], [], False),
])
def test_trivial_consistency_cases(old, new, root1, root2, proof, ok):
    assert merkle.verify_consistency(old, new, root1, root2, proof) is ok


@pytest.mark.parametrize("call, message", [
    (lambda: merkle.inclusion_proof(LEAVES, 9), "index 9 out of bounds for tree size 8"),
    (lambda: merkle.inclusion_proof(LEAVES, -1), "index -1 out of bounds for tree size 8"),
    (lambda: merkle.consistency_proof(LEAVES, 9), "old size 9 out of bounds for tree size 8"),
])
def test_proof_builders_reject_out_of_range_arguments_with_the_numbers(call, message):
    with pytest.raises(ValueError, match=message):
        call()
