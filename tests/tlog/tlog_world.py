"""The tlog tests' world: ledger entries in the app's database, and the app served over HTTP on a
port of 8700-8799 (the brief's range for this work)."""
from __future__ import annotations

import threading
import urllib.request
from datetime import datetime, timedelta, timezone

from werkzeug.serving import make_server

from ledger.events import Event
from tests.ports import free_port

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)




def events(n: int, start: int) -> list[Event]:
    return [Event(type="qc.recorded", org=f"factory-{i % 7}", when=T0 + timedelta(seconds=i),
                  what={"lot": f"L{i}"}, why={"bizStep": "inspecting", "disposition": "conformant"},
                  data={"passed": True, "n": i}) for i in range(start, start + n)]


def append_and_sign(app, n: int, *, batch: int = 5000) -> int:
    """Append n entries and sign a checkpoint; return the new size."""
    from market.db import unit_of_work
    from market.journal.ledger import get_ledger

    with app.app_context():
        ledger = get_ledger()
        with unit_of_work() as s:
            size = ledger.store.size(s.connection())
        done = 0
        while done < n:
            k = min(batch, n - done)
            with unit_of_work() as s:
                ledger.append(s.connection(), events(k, size + done))
                s.commit()
            done += k
        with unit_of_work() as s:
            cp = ledger.sign_checkpoint(s.connection())
            s.commit()
        return cp.tree_size


class Server:
    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.httpd = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}/{path}", timeout=30) as resp:
            return resp.read()

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join(5)


