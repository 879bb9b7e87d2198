"""A real Ethereum JSON-RPC endpoint on 127.0.0.1 for fault tests: HTTP in front of an
in-process EVM (eth-tester), that a test starts and stops to take "the chain" up or down."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_tester.backends.pyevm.main import get_default_account_keys
from web3 import EthereumTesterProvider, Web3
from web3._utils.encoding import Web3JsonEncoder

FUNDED_KEY = "0x" + get_default_account_keys()[0].to_bytes().hex()


class ChainRpc:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.w3 = Web3(EthereumTesterProvider())
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "ChainRpc":
        w3 = self.w3

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                # the middleware onion turns JSON-RPC (hex) parameters into what eth-tester takes
                response = w3.manager._make_request(request["method"], request.get("params", []))
                body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"),
                                   **{k: v for k, v in response.items() if k in ("result", "error")}},
                                  cls=Web3JsonEncoder).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
