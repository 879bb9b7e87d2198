"""One bounded HTTP POST to an address the SSRF guard checked.

The standard library's http.client is used because it lets us choose the address we
connect to (the checked one) while the request and TLS still name the host (Host header,
SNI, certificate check). Every phase is bounded: connect by CONNECT timeout, and the whole
exchange by a deadline, so a receiver that answers one byte a second cannot hold a sender.
Redirects are not followed (a redirect could lead anywhere; it counts as a failure).
Connections to an address are kept alive between deliveries (HTTP/1.1), a few per address.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from market.notifications.ssrf import Target

MAX_BODY_KEPT = 1024  # of the receiver's answer, for the delivery log
_READ_LIMIT = 64 * 1024  # read no more of an answer than this


@dataclass(frozen=True)
class Response:
    ok: bool
    status_code: int | None
    duration_ms: int
    body: str | None
    error: str | None


class _Pinned(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, connect_timeout: float, deadline: float):
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._address, self._connect_timeout, self._deadline = address, connect_timeout, deadline

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(max(0.05, self._deadline - time.monotonic()))


class _PinnedTLS(_Pinned):
    _context = ssl.create_default_context()

    def connect(self):
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, connect_timeout: float,
         timeout: float) -> Response:
    """POST `body` to `target` (its first address that accepts a connection), on a kept-alive
    connection to that address when one is idle (see _IDLE), else on a new one."""
    started = time.monotonic()
    deadline = started + timeout
    error = "no address"
    for address in target.addresses:
        key = (target.scheme, target.host, target.port, address)
        conn, reused = _take(key), True
        if conn is None:
            conn, reused = _new(target, address, connect_timeout, deadline), False
        try:
            conn._deadline = deadline
            if conn.sock is not None:
                conn.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                answer, sock = _exchange(conn, target, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if not reused:
                    raise
                # the receiver closed the idle connection before our request reached it (the
                # common race of keep-alive); once more on a new one. A receiver that did get it
                # sees the same webhook-id twice, as at-least-once delivery allows.
                conn.close()
                conn = _new(target, address, connect_timeout, deadline)
                answer, sock = _exchange(conn, target, body, headers)
            chunks, size = [], 0
            while size < _READ_LIMIT:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete answer within {timeout:g} s")
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = answer.read1(8192) if hasattr(answer, "read1") else answer.read(8192)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            text = b"".join(chunks)[:MAX_BODY_KEPT].decode("utf-8", "replace")
            if not answer.will_close and conn.sock is not None and (answer.isclosed() or answer.length == 0):
                answer.close()  # read to its end, and the receiver keeps the connection open: reuse it
                _give_back(key, conn)
                conn = None
            return Response(200 <= answer.status < 300, answer.status, _ms(started), text, None)
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500] if str(exc) else type(exc).__name__
            if isinstance(exc, (socket.timeout, TimeoutError)):
                error = f"timeout after {timeout:g} s"
                break  # a slow receiver: another address of the same host would only wait again
        finally:
            if conn is not None:
                conn.close()
    return Response(False, None, _ms(started), None, error)


def _new(target: Target, address: str, connect_timeout: float, deadline: float) -> _Pinned:
    cls = _PinnedTLS if target.scheme == "https" else _Pinned
    return cls(target, address, connect_timeout, deadline)


def _exchange(conn: _Pinned, target: Target, body: bytes, headers: dict[str, str]):
    conn.request("POST", target.path, body=body,
                 headers={"Content-Type": "application/json", "User-Agent": "market-webhooks/1", **headers})
    sock = conn.sock  # http.client drops its reference once the answer says "close"
    return conn.getresponse(), sock


# Kept-alive connections, per (scheme, host, port, checked address): a sender posting many
# deliveries to one endpoint pays the TCP (and TLS) handshake once per connection, not per
# delivery. Bounded: at most MAX_IDLE idle connections per address (about the sender's
# threads), none idle longer than IDLE_S (receivers close theirs after a while).
MAX_IDLE = 16
IDLE_S = 20.0
_IDLE: dict[tuple, list[tuple[float, _Pinned]]] = {}
_IDLE_LOCK = threading.Lock()


def _take(key: tuple) -> _Pinned | None:
    now = time.monotonic()
    with _IDLE_LOCK:
        idle = _IDLE.get(key)
        while idle:
            since, conn = idle.pop()
            if now - since < IDLE_S:
                return conn
            conn.close()
    return None


def _give_back(key: tuple, conn: _Pinned) -> None:
    with _IDLE_LOCK:
        idle = _IDLE.setdefault(key, [])
        if len(idle) < MAX_IDLE:
            idle.append((time.monotonic(), conn))
            return
    conn.close()


def close_idle() -> None:
    """Close every kept-alive connection (tests; a process that stops sending)."""
    with _IDLE_LOCK:
        conns = [conn for idle in _IDLE.values() for _, conn in idle]
        _IDLE.clear()
    for conn in conns:
        conn.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
