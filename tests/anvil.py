"""A real local Ethereum node for the chain tests: anvil from npm `@foundry-rs/anvil`, pinned
in ledger/contracts/package-lock.json and installed by `npm ci` there (.ci/run does it).

Each node listens on 127.0.0.1 only, mines one block per transaction (so confirmations are
counted in blocks the test mines), and is stopped by the test that started it."""
from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.ports import free_port

CONTRACTS = Path(__file__).resolve().parent.parent / "ledger" / "contracts"
# anvil's first default account (mnemonic "test test … junk"): funded on every anvil
FUNDED_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9ac79ea4fefd2c2d9a6b5e8aa6d5e7"  # the second account
def anvil_binary() -> str | None:
    """The platform binary npm put under ledger/contracts/node_modules, or one on PATH."""
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())
    local = CONTRACTS / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("anvil")




class Anvil:
    def __init__(self, binary: str, port: int | None = None, state: Path | None = None):
        self.binary = binary
        self.state = state  # the chain is written there on stop and read back on start
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "Anvil":
        self.proc = subprocess.Popen(
            [self.binary, "--host", "127.0.0.1", "--port", str(self.port), "--quiet", "--accounts", "2",
             *(["--state", str(self.state)] if self.state else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"anvil exited: {self.proc.stderr.read().decode(errors='replace')[:500]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"anvil did not listen on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()
            self.proc = None

    @property
    def w3(self):
        from web3 import HTTPProvider, Web3

        return Web3(HTTPProvider(self.url, request_kwargs={"timeout": 5}))

    def rpc(self, method: str, *params):
        response = self.w3.provider.make_request(method, list(params))
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response["result"]

    def mine(self, blocks: int) -> None:
        self.rpc("anvil_mine", hex(blocks))
