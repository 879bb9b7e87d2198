// Verifies a lot's trace in the visitor's browser with WebCrypto, trusting nothing the
// server says beyond the bytes it serves: each entry is hashed (RFC 6962 leaf hash), its
// inclusion proof is folded up to a root (RFC 9162 §2.1.3.2), the root must be the one in
// the signed checkpoint note, and the note's Ed25519 signature must check under the key.
(function () {
  "use strict";
  const button = document.getElementById("verify");
  if (!button) return;
  const out = document.getElementById("verify-result");
  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, "0")).join("");
  const concat = (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function rootFromProof(leaf, index, size, proof) {
    if (index < 0 || index >= size) throw new Error("index out of range");
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) throw new Error("proof too long");
      if ((fn & 1) || fn === sn) {
        r = await nodeHash(p, r);
        if (!(fn & 1)) { while (!((fn & 1) || fn === 0)) { fn >>= 1; sn >>= 1; } }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1; sn >>= 1;
    }
    if (sn !== 0) throw new Error("proof too short");
    return r;
  }

  // C2SP signed note: body, blank line, "— <name> <base64(key hash[4] || signature[64])>" lines.
  function parseCheckpoint(note) {
    const cut = note.indexOf("\n\n");
    if (cut < 0) throw new Error("checkpoint note has no signature");
    const text = note.slice(0, cut + 1);
    const lines = text.slice(0, -1).split("\n");
    const sigs = note.slice(cut + 2).split("\n").filter((l) => l.startsWith("\u2014 "))
      .map((l) => { const [, name, sig] = l.split(" "); return { name, sig: b64(sig) }; });
    return { text, origin: lines[0], size: Number(lines[1]), root: b64(lines[2]), sigs };
  }

  // vkey: "<name>+<key id hex>+<base64(0x01 || 32-byte Ed25519 key)>"
  async function checkSignature(cp, vkey) {
    const [name, idHex, ...rest] = vkey.split("+");
    const keyB64 = rest.join("+"); // base64 may itself hold '+'

    const raw = b64(keyB64);
    if (raw[0] !== 1 || raw.length !== 33) throw new Error("not an Ed25519 note key");
    const sig = cp.sigs.find((s) => s.name === name && hex(s.sig.slice(0, 4)) === idHex);
    if (!sig || name !== cp.origin) throw new Error("no signature by the ledger key");
    let key;
    try {
      key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return null; // this browser has no Ed25519 in WebCrypto
    }
    if (!await crypto.subtle.verify({ name: "Ed25519" }, key, sig.sig.slice(4), enc.encode(cp.text))) {
      throw new Error("checkpoint signature does not verify");
    }
    return hex(await sha256(raw)).slice(0, 16);
  }

  // C2SP tlog-cosignature (Ed25519 cosignature/v1): line "— <name> base64(key id[4] || u64 time || sig[64])"
  // over "cosignature/v1\ntime <time>\n" + checkpoint text; witness vkeys carry type byte 0x04.
  // The operator's witnesses and quorum (LEDGER_WITNESS_KEYS / _QUORUM) come with the trace.
  async function checkCosignatures(cp, vkeys, quorum) {
    const good = [];
    for (const vkey of vkeys) {
      const [name, idHex, ...rest] = vkey.split("+");
      const raw = b64(rest.join("+"));
      if (raw[0] !== 4 || raw.length !== 33) throw new Error("not a cosignature/v1 witness key: " + name);
      const sig = cp.sigs.find((s) => s.name === name && hex(s.sig.slice(0, 4)) === idHex);
      if (!sig) continue;
      if (sig.sig.length !== 76) throw new Error("malformed cosignature of " + name);
      let time = 0n;
      for (const b of sig.sig.slice(4, 12)) time = time * 256n + BigInt(b);
      let key;
      try {
        key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
      } catch (e) {
        throw new Error("this browser cannot check the witnesses' Ed25519 cosignatures");
      }
      const message = enc.encode("cosignature/v1\ntime " + time.toString() + "\n" + cp.text);
      if (!await crypto.subtle.verify({ name: "Ed25519" }, key, sig.sig.slice(12), message)) {
        throw new Error("cosignature of " + name + " does not verify");
      }
      good.push(name);
    }
    if (good.length < quorum) {
      throw new Error("cosigned by " + good.length + " of " + vkeys.length + " witnesses, " + quorum + " required");
    }
    return good;
  }

  async function verify() {
    button.disabled = true;
    out.textContent = "…";
    let failed = 0;
    try {
      const trace = await (await fetch(button.dataset.url, { headers: { Accept: "application/json" } })).json();
      const cp = parseCheckpoint(trace.checkpoint);
      if (cp.size !== trace.size) throw new Error("checkpoint size differs from the proofs' tree size");
      const keyId = await checkSignature(cp, trace.public_key);
      const quorum = trace.witness_quorum || 0;
      const witnesses = quorum > 0 ? await checkCosignatures(cp, trace.witness_keys || [], quorum) : null;
      for (const e of trace.entries) {
        // an entry may be shown more than once (the lot's timeline and its genealogy)
        const rows = document.querySelectorAll('[data-index="' + e.index + '"]');
        let ok = false;
        try {
          const entry = b64(e.entry);
          const decoded = JSON.parse(new TextDecoder().decode(entry));
          const root = await rootFromProof(await leafHash(entry), e.index, cp.size, e.inclusion_path.map(b64));
          ok = equal(root, cp.root) && decoded.index === e.index;
        } catch (err) { ok = false; }
        if (!ok) failed += 1;
        for (const row of rows) {
          row.classList.add(ok ? "verified" : "failed");
          row.querySelector(".entry-check").textContent = ok ? "\u2713 " + button.dataset.msgEntryOk
                                                             : "\u2717 " + button.dataset.msgEntryBad;
        }
      }
      if (failed) throw new Error(failed + " entries");
      out.textContent = button.dataset.msgOk.replace("{n}", trace.entries.length).replace("{size}", cp.size)
        .replace("{root}", hex(cp.root).slice(0, 16) + "…").replace("{key}", keyId || "?")
        + (keyId ? "" : " " + button.dataset.msgNosig)
        + (witnesses ? " " + button.dataset.msgWitnesses.replace("{k}", witnesses.length)
          .replace("{n}", (trace.witness_keys || []).length).replace("{names}", witnesses.join(", ")) : "");
      out.dataset.state = keyId ? "verified" : "verified-no-signature";
    } catch (err) {
      out.textContent = button.dataset.msgBad + ": " + err.message;
      out.dataset.state = "failed";
    } finally {
      button.disabled = false;
    }
  }
  button.addEventListener("click", verify);
})();
