// Compiles Anchor.sol with the pinned solc-js (package-lock.json) into Anchor.json:
//   cd ledger/contracts && npm ci && npm run compile
// Same source + same solc + these settings = the same bytes; tests/ledger/test_anchor_contract.py
// checks the committed Anchor.json against the source's hash; .ci/run recompiles and compares.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, "Anchor.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "Anchor.sol": { content: source } },
  settings: {
    // paris: no PUSH0, so the same bytecode deploys on the in-process py-evm and on any node
    evmVersion: "paris",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { "Anchor.sol": { Anchor: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const c = output.contracts["Anchor.sol"].Anchor;
const artifact = {
  contractName: "Anchor",
  compiler: "solc-js " + solc.version(),
  settings: { evmVersion: input.settings.evmVersion, optimizer: input.settings.optimizer },
  sourceSha256: createHash("sha256").update(source).digest("hex"),
  abi: c.abi,
  bytecode: "0x" + c.evm.bytecode.object,
  deployedBytecode: "0x" + c.evm.deployedBytecode.object,
};
const out = process.argv[2] || join(here, "Anchor.json");
writeFileSync(out, JSON.stringify(artifact, null, 2) + "\n");
console.log("wrote " + out);
