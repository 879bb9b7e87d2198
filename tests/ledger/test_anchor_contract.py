"""The committed Anchor.json is what the pinned solc-js makes of the committed Anchor.sol.
The byte-for-byte recompile takes solc-js seconds, so .ci/run does it (install_chain_tools)."""
from __future__ import annotations

import hashlib
import json

from ledger.anchor import ARTIFACT, contract_artifact

CONTRACTS = ARTIFACT.parent


def test_the_committed_artifact_was_compiled_from_the_committed_source():
    source = (CONTRACTS / "Anchor.sol").read_bytes()
    artifact = contract_artifact()
    assert artifact["sourceSha256"] == hashlib.sha256(source).hexdigest(), \
        "Anchor.sol changed: recompile (cd ledger/contracts && npm ci && npm run compile)"
    lock = json.loads((CONTRACTS / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/solc"]["version"]
    assert artifact["compiler"].startswith(f"solc-js {pinned}+")
    assert json.loads((CONTRACTS / "package.json").read_text())["devDependencies"]["solc"] == pinned  # exact pin

