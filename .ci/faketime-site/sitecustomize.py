"""Loaded by .ci/shifted-clock only (PYTHONPATH), in every Python process of the shifted pass.

libfaketime 0.9.10 (Debian 12) cannot fake the clock for Python 3.11 as is:
- with the monotonic clock faked (its default), every timed wait on a lock, event, condition
  or queue hangs: Python waits with sem_clockwait(CLOCK_MONOTONIC, deadline), which
  libfaketime does not intercept, so the shifted deadline lies years ahead;
- with FAKETIME_DONT_FAKE_MONOTONIC=1, timed waits work but time.sleep() fails with EINVAL:
  libfaketime shifts the absolute CLOCK_MONOTONIC deadline of clock_nanosleep as if it were
  wall-clock time.
So the script keeps the monotonic clock real and time.sleep() here waits on an Event instead.
Only the wall clock (time.time, datetime.now, CLOCK_REALTIME) is moved, which is all the
application reads."""
import os

if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1" and "faketime" in os.environ.get("LD_PRELOAD", ""):
    import threading
    import time

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = _sleep
