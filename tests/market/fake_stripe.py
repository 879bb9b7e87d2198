"""A local, stateful Stripe for tests, spoken to by the real `stripe` client over HTTP.

localstripe (from PyPI, run as a subprocess on 127.0.0.1) serves what it covers: payment
methods, PaymentIntents, charges, refunds. In front of it, this small WSGI server adds what
localstripe lacks: Connect accounts and account links, transfers (with `transfer_group`,
`source_transaction` limits) and transfer reversals, Stripe's idempotency-key replay, and
fault injection (a failed call, or a response lost after the work was done). Webhook
payloads are signed with Stripe's real scheme (HMAC-SHA256 over "t.payload")."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.ports import free_port

LAUNCH = """
import sys
from aiohttp import web
from localstripe import resources
resources.Store.dump_to_disk = lambda self: None  # keep state in memory, not in /tmp
from localstripe.server import app
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""




class LocalStripe:
    """localstripe as a subprocess on a free port of 127.0.0.1."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/v1/balance", headers={"Authorization": "Bearer sk_test_x"}, timeout=1)
                return
            except requests.ConnectionError:
                if self.proc.poll() is not None:
                    raise RuntimeError("localstripe exited at start")
                time.sleep(0.1)
        raise RuntimeError("localstripe did not start in 30 s")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _error(status: int, message: str, type_: str = "invalid_request_error", **extra) -> Response:
    return Response(json.dumps({"error": {"type": type_, "message": message, **extra}}), status=status,
                    mimetype="application/json")


def _ok(obj: dict) -> Response:
    return Response(json.dumps(obj), status=200, mimetype="application/json")


def _unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][c]=v, a[0]=v) back into nested dicts/lists."""
    out: dict = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0]] + [p.rstrip("]") for p in key.split("[")[1:]]
        node = out
        for part, nxt in zip(parts, parts[1:] + [None]):
            if nxt is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(out)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class FakeStripe:
    def __init__(self, localstripe: LocalStripe, webhook_secret: str = "whsec_test"):
        self.backend = localstripe.url
        self.webhook_secret = webhook_secret
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.groups: dict[str, str] = {}  # payment intent -> transfer_group
        self.idempotent: dict[str, tuple[str, int, bytes]] = {}
        self.calls: list[tuple[str, str, str | None]] = []  # (method, path, idempotency key): what reached us
        self.faults: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    # --- test controls ---------------------------------------------------------------

    def fail_next(self, method: str, path: str) -> None:
        """The next such call fails with a 500 before doing anything."""
        self.faults.append((method, path, "fail"))

    def lose_next_response(self, method: str, path: str) -> None:
        """The next such call does its work, but its answer is lost (a 502 from a proxy)."""
        self.faults.append((method, path, "lose"))

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _k in self.calls if m == method and p == path)

    def complete_onboarding(self, account_id: str) -> dict:
        acct = self.accounts[account_id]
        acct.update(details_submitted=True, payouts_enabled=True, charges_enabled=True,
                    capabilities={"transfers": "active"}, requirements={"currently_due": [], "disabled_reason": None})
        return acct

    def event(self, type_: str, obj: dict, *, created: int | None = None, event_id: str | None = None) -> tuple[bytes, str]:
        """A webhook delivery: (payload, Stripe-Signature header) signed like Stripe does."""
        created = created or int(time.time())
        payload = json.dumps({"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "type": type_,
                              "created": created, "api_version": "2024-06-20", "livemode": False,
                              "data": {"object": obj}}).encode()
        return payload, self.sign(payload, created)

    def sign(self, payload: bytes, timestamp: int, secret: str | None = None) -> str:
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
        return f"t={timestamp},v1={mac.hexdigest()}"

    def get(self, path: str) -> dict:
        return requests.get(self.url + path, headers={"Authorization": "Bearer sk_test_local"}, timeout=10).json()

    # --- the server ------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        key = request.headers.get("Idempotency-Key")
        self.calls.append((request.method, request.path, key))
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            return _error(401, "Invalid API Key provided", "invalid_request_error")(environ, start_response)
        fault = next((f for f in self.faults if f[0] == request.method and f[1] == request.path), None)
        if fault:
            self.faults.remove(fault)
            if fault[2] == "fail":
                return _error(500, "simulated outage", "api_error")(environ, start_response)
        body = request.get_data()
        if request.method == "POST" and key:
            with self.lock:
                fingerprint = hashlib.sha256(request.path.encode() + body).hexdigest()
                if key in self.idempotent:
                    seen, status, data = self.idempotent[key]
                    if seen != fingerprint:
                        response = _error(400, "Keys for idempotent requests can only be used with the same "
                                               "parameters they were first used with.", "idempotency_error")
                    else:
                        response = Response(data, status=status, mimetype="application/json",
                                            headers={"Idempotent-Replayed": "true"})
                else:
                    response = self._route(request, body)
                    if response.status_code < 500:
                        self.idempotent[key] = (fingerprint, response.status_code, response.get_data())
        else:
            response = self._route(request, body)
        if fault and fault[2] == "lose":
            response = _error(502, "bad gateway (the answer was lost)", "api_error")
        return response(environ, start_response)

    def _route(self, request: Request, body: bytes) -> Response:
        path, method = request.path.rstrip("/"), request.method
        parts = path.split("/")[2:]  # after /v1
        params = _unflatten(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)) if method == "POST" else {}
        if parts[:1] == ["accounts"]:
            return self._accounts(method, parts, params)
        if parts[:1] == ["account_links"] and method == "POST":
            if params.get("account") not in self.accounts:
                return _error(400, f"No such account: '{params.get('account')}'", param="account")
            return _ok({"object": "account_link", "created": int(time.time()), "expires_at": int(time.time()) + 300,
                        "url": f"{self.url}/connect/onboarding/{params['account']}"})
        if parts[:1] == ["transfers"]:
            return self._transfers(method, parts, params, request)
        if parts == ["payment_intents"] and method == "POST" and "transfer_group" in params:
            # localstripe has no transfer_group: keep it here and send the rest on
            pairs = [(k, v) for k, v in urllib.parse.parse_qsl(body.decode(), keep_blank_values=True) if k != "transfer_group"]
            response = self._forward(request, urllib.parse.urlencode(pairs).encode())
            if response.status_code == 200:
                pi = json.loads(response.get_data())
                self.groups[pi["id"]] = params["transfer_group"]
                pi["transfer_group"] = params["transfer_group"]
                return _ok(pi)
            return response
        response = self._forward(request, body)
        if parts[:1] == ["payment_intents"] and len(parts) >= 2 and response.status_code == 200:
            pi = json.loads(response.get_data())
            pi["transfer_group"] = self.groups.get(pi.get("id"))
            return _ok(pi)
        return response

    def _forward(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        upstream = requests.request(request.method, self.backend + request.full_path.rstrip("?"), data=body,
                                    headers=headers, timeout=30)
        return Response(upstream.content, status=upstream.status_code, mimetype="application/json")

    def _accounts(self, method, parts, params) -> Response:
        if method == "POST" and len(parts) == 1:
            acct_id = f"acct_{secrets.token_hex(8)}"
            requested = params.get("capabilities", {})
            self.accounts[acct_id] = {
                "id": acct_id, "object": "account", "type": params.get("type", "express"), "email": params.get("email"),
                "country": params.get("country", "US"), "metadata": params.get("metadata", {}),
                "details_submitted": False, "payouts_enabled": False, "charges_enabled": False,
                "capabilities": {name: "inactive" for name in requested},
                "requirements": {"currently_due": ["external_account", "tos_acceptance.date"], "disabled_reason": None}}
            return _ok(self.accounts[acct_id])
        acct = self.accounts.get(parts[1]) if len(parts) > 1 else None
        if acct is None:
            return _error(404, f"No such account: '{parts[1] if len(parts) > 1 else ''}'", param="account")
        if method == "POST":
            acct["metadata"].update(params.get("metadata", {}))
        return _ok(acct)

    def _transfers(self, method, parts, params, request) -> Response:
        if method == "POST" and len(parts) == 1:
            return self._create_transfer(params, request)
        if method == "GET" and len(parts) == 1:
            group = request.args.get("transfer_group")
            items = [t for t in self.transfers.values() if group is None or t["transfer_group"] == group]
            return _ok({"object": "list", "data": items, "has_more": False, "url": "/v1/transfers"})
        tr = self.transfers.get(parts[1])
        if tr is None:
            return _error(404, f"No such transfer: '{parts[1]}'", param="id")
        if len(parts) == 3 and parts[2] == "reversals" and method == "POST":
            amount = int(params.get("amount", tr["amount"] - tr["amount_reversed"]))
            if not 0 < amount <= tr["amount"] - tr["amount_reversed"]:
                return _error(400, f"Reversal amount {amount} exceeds what is left of the transfer "
                                   f"({tr['amount'] - tr['amount_reversed']})", param="amount")
            rv = {"id": f"trr_{secrets.token_hex(8)}", "object": "transfer_reversal", "amount": amount,
                  "currency": tr["currency"], "transfer": tr["id"], "metadata": params.get("metadata", {}),
                  "created": int(time.time())}
            tr["reversals"]["data"].append(rv)
            tr["amount_reversed"] += amount
            tr["reversed"] = tr["amount_reversed"] == tr["amount"]
            return _ok(rv)
        return _ok(tr)

    def _create_transfer(self, params, request) -> Response:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            return _error(400, "Missing required param: amount.", param="amount")
        acct = self.accounts.get(params.get("destination"))
        if acct is None:
            return _error(400, f"No such destination: '{params.get('destination')}'", param="destination")
        if acct["capabilities"].get("transfers") != "active":
            return _error(400, "Your destination account needs to have at least one of the following capabilities "
                               "enabled: transfers, crypto_transfers, legacy_payments", param="destination")
        source = params.get("source_transaction")
        if source:
            charge = requests.get(f"{self.backend}/v1/charges/{source}",
                                  headers={"Authorization": request.headers["Authorization"]}, timeout=10)
            if charge.status_code != 200:
                return _error(400, f"No such charge: '{source}'", param="source_transaction")
            charge = charge.json()
            sent = sum(t["amount"] - t["amount_reversed"] for t in self.transfers.values() if t["source_transaction"] == source)
            if charge["currency"] != params.get("currency") or sent + amount > charge["amount"]:
                return _error(400, f"Transfers from {source} would total {sent + amount}, more than the charge "
                                   f"({charge['amount']} {charge['currency']})", param="amount")
        tr = {"id": f"tr_{secrets.token_hex(8)}", "object": "transfer", "amount": amount, "amount_reversed": 0,
              "currency": params.get("currency"), "destination": acct["id"], "transfer_group": params.get("transfer_group"),
              "source_transaction": source, "metadata": params.get("metadata", {}), "reversed": False,
              "created": int(time.time()),
              "reversals": {"object": "list", "data": [], "has_more": False, "url": "/v1/transfers/x/reversals"}}
        self.transfers[tr["id"]] = tr
        return _ok(tr)
