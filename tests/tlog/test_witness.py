"""`python -m ledger witness` follows the app's tiles, cosigns, and refuses forks with an alert."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tlog_world import append_and_sign

from tests.ports import free_port
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tlog_client import cosigners
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ledger.__main__ import main as ledger_cli
from ledger.bundle import verify_bundle
from ledger.checkpoint import Checkpoint
from ledger.cosign import Cosigner
from ledger.errors import BundleError
from ledger.signing import NoteSigner, load_private_key, private_key_pem
from ledger.witness import HttpLog, Witness, follow_once

ORIGIN = "smm.local/ledger"
ROOT = Path(__file__).resolve().parents[2]


def cosigner(name: str) -> Cosigner:
    return Cosigner(name, Ed25519PrivateKey.generate())


def witness_for(tmp_path, app, log_vkey, name="witness.lender.example/w1", full=False):
    from ledger.signing import load_public_key

    c = cosigner(name)
    app.config["LEDGER_WITNESS_KEYS"] = [*app.config.get("LEDGER_WITNESS_KEYS", []), c.key.vkey()]
    return Witness(ORIGIN, load_public_key(log_vkey), c, tmp_path / name.replace("/", "_") / "state.json",
                   clock=lambda: 1_796_000_000, full=full)


def test_a_witness_following_the_app_cosigns_and_bundles_then_carry_k_of_n(app, served, log_vkey, tmp_path):
    append_and_sign(app, 5000)
    w1 = witness_for(tmp_path, app, log_vkey)
    client = HttpLog(served.url)
    line = follow_once(w1, client)
    assert line is not None and follow_once(w1, client) is None  # nothing new: nothing cosigned twice
    note = served.get("checkpoint").decode()
    assert line in note and cosigners(note, [w1.cosigner.key.vkey()]) == {"witness.lender.example/w1"}

    append_and_sign(app, 3000)  # the witness catches up from its stored compact range
    follow_once(w1, client)
    assert w1.state.size == 8000
    w2 = witness_for(tmp_path, app, log_vkey, "witness.other.example/w2", full=True)  # every leaf tile
    follow_once(w2, client)
    assert w2.state.root == w1.state.root
    note = served.get("checkpoint").decode()
    assert len(cosigners(note, [w.cosigner.key.vkey() for w in (w1, w2)])) == 2

    bundle = json.loads(served.get("api/v1/ledger/entries/4321/proof"))
    keys = [w1.cosigner.key, w2.cosigner.key]
    assert "cosigned by 2 of 2" in verify_bundle(bundle, trusted_key=log_vkey, witness_keys=keys,
                                                 witness_quorum=2).message
    stranger = cosigner("witness.stranger.example/w3").key
    with pytest.raises(BundleError, match="2 of 3 witnesses"):
        verify_bundle(bundle, trusted_key=log_vkey, witness_keys=keys + [stranger], witness_quorum=3)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    assert ledger_cli(["verify-proof", str(path), "--public-key", log_vkey, "--witness-key", keys[0].vkey(),
                       "--witness-key", stranger.vkey(), "--witness-quorum", "1"]) == 0
    assert ledger_cli(["verify-proof", str(path), "--public-key", log_vkey, "--witness-key", stranger.vkey(),
                       "--witness-quorum", "1"]) == 1


def test_the_log_keeps_only_cosignatures_of_configured_witnesses(app, served, client, log_vkey):
    append_and_sign(app, 10)
    note = served.get("checkpoint").decode()
    text = note[: note.rfind("\n\n") + 1]
    rogue = cosigner("witness.rogue.example/x").cosign(text, 1_796_000_000)
    r = client.post("/checkpoint/cosignatures", data=text + "\n" + rogue)
    assert r.status_code == 403 and rogue not in client.get("/checkpoint").text
    known = cosigner("witness.lender.example/w1")
    app.config["LEDGER_WITNESS_KEYS"] = [known.key.vkey()]
    other_text = text.replace("\n10\n", "\n9\n")
    assert client.post("/checkpoint/cosignatures", data=other_text + "\n" + known.cosign(other_text, 5)).status_code == 404
    good = known.cosign(text, 1_796_000_000)
    assert client.post("/checkpoint/cosignatures", data=text + "\n" + good).status_code == 200
    assert client.post("/checkpoint/cosignatures", data=text + "\n" + good).status_code == 200  # idempotent
    assert client.get("/checkpoint").text.count(good) == 1


class ForkingLog:
    """Serves a forged checkpoint (signed with the real log key) and passes tiles through."""

    def __init__(self, upstream: str, note: str) -> None:
        self.upstream, self.note = upstream, note
        self.port = free_port()
        self.httpd = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @Request.application
    def wsgi(self, request):
        import urllib.request

        if request.path == "/checkpoint":
            return Response(self.note, content_type="text/plain; charset=utf-8")
        with urllib.request.urlopen(self.upstream + request.full_path.rstrip("?")) as resp:
            return Response(resp.read(), content_type="application/octet-stream")


def forged(app, size: int, root: bytes) -> str:
    key = load_private_key((Path(app.config["VAR_DIR"]) / "ledger_ed25519.key").read_bytes())
    return Checkpoint(ORIGIN, size, root).sign(NoteSigner(ORIGIN, key))


@pytest.mark.parametrize("kind", ["same size, other root", "bigger, inconsistent"])
def test_the_witness_refuses_a_fork_and_raises_an_alert(app, served, log_vkey, tmp_path, kind):
    append_and_sign(app, 700)
    wkey = tmp_path / "w.key"
    wkey.write_bytes(private_key_pem(Ed25519PrivateKey.generate()))
    state = tmp_path / "witness"
    args = ["witness", "--once", "--origin", ORIGIN, "--log-key", log_vkey, "--name", "witness.lender.example/w1",
            "--key-file", str(wkey), "--state-dir", str(state), "--no-post"]
    # a real process, as a lender would run it
    out = subprocess.run([sys.executable, "-m", "ledger", *args, "--log-url", served.url], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0 and "OK cosigned smm.local/ledger size 700" in out.stdout, out.stderr
    before = (state / "state.json").read_text()
    if kind == "same size, other root":
        note = forged(app, 700, hashlib.sha256(b"another history").digest())
    else:
        append_and_sign(app, 300)  # tiles exist up to 1000, but the forged root is not theirs
        note = forged(app, 1000, hashlib.sha256(b"another history").digest())
    fork = ForkingLog(served.url, note)
    try:
        assert ledger_cli([*args, "--log-url", f"http://127.0.0.1:{fork.port}"]) == 2
    finally:
        fork.httpd.shutdown()
    alert = json.loads((state / "alerts.jsonl").read_text().splitlines()[-1])
    assert alert["alert"] == "fork" and alert["offending"] == note and alert["cosigned"].split("\n")[1] == "700"
    assert (state / "state.json").read_text() == before  # nothing cosigned, nothing moved
    assert base64.b64decode(json.loads(before)["root"]) != hashlib.sha256(b"another history").digest()
