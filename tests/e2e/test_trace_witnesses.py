"""In a browser: the trace page's verifier requires k of n witness cosignatures when the operator
configured a quorum (market/static/trace-verify.js). The page, its script and the trace JSON are
served by Playwright routes, so no app is needed: the JSON is a real ledger's entries, proofs and
signed checkpoint, with real C2SP tlog-cosignature lines."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoint import Checkpoint
from ledger.cosign import Cosigner, with_cosignatures
from ledger.entry import GENESIS_PREV_HASH, encode_entry
from ledger.events import Event
from ledger.hashing import leaf_hash
from ledger.merkle import inclusion_proof, root
from ledger.signing import NoteSigner

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "smm.local/ledger"
PAGE = """<!doctype html><html><body>
<button id="verify" data-url="/trace.json" data-msg-ok="OK {n} {size} {root} {key}" data-msg-bad="BAD"
  data-msg-nosig="NOSIG" data-msg-witnesses="W {k}/{n}: {names}" data-msg-entry-ok="in" data-msg-entry-bad="out">v</button>
<p id="verify-result"></p><ul>{rows}</ul><script src="/trace-verify.js"></script></body></html>"""


def trace(cosigners, quorum, witnesses, *, forge=False):
    entries, prev = [], GENESIS_PREV_HASH
    for i in range(5):
        e = encode_entry(index=i, prev_hash=prev, signer="f1", event=Event(
            type="qc.recorded", org="f1", when=datetime(2026, 11, 1, tzinfo=timezone.utc), what={"lot": f"L{i}"}))
        prev = leaf_hash(e)
        entries.append(e)
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    cp = Checkpoint(ORIGIN, 5, root(entries), datetime(2026, 11, 2, tzinfo=timezone.utc))
    text = cp.text()
    lines = [c.cosign(text.replace("\n5\n", "\n6\n") if forge else text, 1_796_000_000) for c in cosigners]
    import base64
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return {"size": 5, "checkpoint": with_cosignatures(cp.sign(signer), lines), "public_key": signer.verifier_key(),
            "witness_keys": [w.key.vkey() for w in witnesses], "witness_quorum": quorum,
            "entries": [{"index": i, "entry": b64(e), "inclusion_path": [b64(h) for h in inclusion_proof(entries, i)]}
                        for i, e in enumerate(entries)]}


def run(browser, body):
    page = browser.new_page()
    rows = "".join(f'<li data-index="{i}"><span class="entry-check"></span></li>' for i in range(5))
    script = (ROOT / "market/static/trace-verify.js").read_text()

    def serve(route):
        path = route.request.url.split("localhost:8799", 1)[1]
        if path == "/trace.json":
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
        elif path == "/trace-verify.js":
            route.fulfill(status=200, content_type="text/javascript", body=script)
        else:
            route.fulfill(status=200, content_type="text/html", body=PAGE.replace("{rows}", rows))

    page.route("http://localhost:8799/**", serve)
    page.goto("http://localhost:8799/trace")  # localhost: a secure context, so WebCrypto is there
    page.click("#verify")
    page.wait_for_selector("#verify-result[data-state]")
    state, text = page.get_attribute("#verify-result", "data-state"), page.inner_text("#verify-result")
    page.close()
    return state, text


def test_the_browser_requires_k_of_n_witness_cosignatures(browser):
    w = [Cosigner(f"witness{i}.example/w", Ed25519PrivateKey.generate()) for i in range(3)]
    state, text = run(browser, trace(w[:2], 2, w))
    if state == "verified-no-signature":
        pytest.skip("this Chromium has no Ed25519 in WebCrypto")
    assert state == "verified" and "W 2/3: witness0.example/w, witness1.example/w" in text, text
    state, text = run(browser, trace(w[:1], 2, w))
    assert state == "failed" and "cosigned by 1 of 3 witnesses, 2 required" in text, text
    state, text = run(browser, trace(w[:2], 1, w, forge=True))  # lines over another checkpoint
    assert state == "failed" and "does not verify" in text, text
    state, text = run(browser, trace([], 0, w))  # no quorum configured: as before
    assert state == "verified" and "W " not in text, text
