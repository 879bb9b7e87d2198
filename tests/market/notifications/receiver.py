"""A webhook receiver on 127.0.0.1 for the tests: records every request, answers as told."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Request] = field(default_factory=list)
    fail_first: int = 0  # per webhook-id: answer 500 this many times, then 200
    status: int = 200
    delay_s: float = 0.0
    answer: bytes = b'{"ok": true}'
    seen: Counter = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[str]:
        return [r.headers.get("webhook-id") for r in self.requests]


def start() -> tuple[Receiver, ThreadingHTTPServer]:
    recv: Receiver

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            parts = urlsplit(self.path)
            req = Request(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}, body)
            key = req.headers.get("webhook-id") or parts.path
            if recv.delay_s:
                recv.stop.wait(recv.delay_s)
            recv.requests.append(req)
            recv.seen[key] += 1
            status = 500 if recv.seen[key] <= recv.fail_first else recv.status
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(recv.answer)))
            self.end_headers()
            self.wfile.write(recv.answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recv = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return recv, server


def dingtalk_ok(query: dict, secret: str, now_ms: float | None = None) -> bool:
    """DingTalk's check, as its server does it: fresh timestamp (1 h), sign matches."""
    timestamp, sign = query["timestamp"][0], query["sign"][0]  # parse_qs already url-decoded
    if abs((now_ms or time.time() * 1000) - int(timestamp)) > 3600_000:
        return False
    want = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    return hmac.compare_digest(want.decode(), sign)


def feishu_ok(body: dict, secret: str) -> bool:
    timestamp, sign = body["timestamp"], body["sign"]
    if abs(time.time() - int(timestamp)) > 3600:
        return False
    want = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest())
    return hmac.compare_digest(want.decode(), sign)
