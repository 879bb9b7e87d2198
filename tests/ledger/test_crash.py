"""Crash test: SIGKILL during a burst of appends loses nothing acknowledged, leaves no damage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger.audit import audit

CHILD = Path(__file__).with_name("ledger_crash_child.py")
ROOT = Path(__file__).resolve().parents[2]


def test_killed_appender_leaves_a_clean_ledger_with_every_acknowledged_entry(engine, database_url, store):
    acknowledged = -1
    for _round in range(2):  # kill, restart on the same database, kill again
        child = subprocess.Popen(
            [sys.executable, str(CHILD), database_url], cwd=ROOT, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        seen = 0
        deadline = time.monotonic() + 60
        while seen < 8 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            acknowledged = max(acknowledged, int(line.split()[1]))
            seen += 1
        time.sleep(0.05)  # land the kill somewhere inside a later batch
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        for line in child.stdout.read().splitlines():
            acknowledged = max(acknowledged, int(line.split()[1]))
        assert seen == 8, "the appender did not get going"

    with engine.connect() as conn:
        report = audit(conn)
        size = store.size(conn)
    assert report.ok, report.summary()
    assert size >= acknowledged + 1
    assert size % 50 == 0  # whole batches only: a killed transaction leaves nothing behind
