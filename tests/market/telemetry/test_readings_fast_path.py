"""The fast validation path against the reference parser: on any input it either declines
(None) or returns exactly what parse() returns, and never accepts what parse() refuses."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pytest

from market.telemetry.models import STATES
from market.telemetry.readings import BadReading, Window, fast, parse, validate_batch

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
WINDOW = Window.around(NOW, retention_days=180, max_skew_s=300)
VALUES = [None, 0, 1, 7, -1, 2**62, 2**62 - 1, 3.5, -0.0, 250.0, 250.5, 5000, 5001, math.nan, math.inf, True, False,
          "12", "", "x" * 64, "x" * 65, [], {}, "running", "down", "exploded", 1e308]
STAMPS = ["2026-03-04T08:00:00+08:00", "2026-03-04T11:59:59Z", "2026-03-04T12:04:59Z", "2026-03-04T12:05:01Z",
          "2025-09-01T00:00:00Z", "2026-03-04T08:00:00", "yesterday", "2026-03-04 10:00:00.123456-05:00", 5, None]
FIELDS = ["state", "reason", "total", "good", "reject", "spindle_load", "temperature", "power_kw", "colour"]


def reference(raw):
    try:
        r = parse(raw, WINDOW)
    except BadReading:
        return None
    return r.ts, r.state, r.reason, r.total, r.good, r.spindle_load, r.temperature, r.power_kw


GOOD = {"state": lambda rng, raw: rng.choice(STATES), "reason": lambda rng, raw: "spindle_fault",
        "total": lambda rng, raw: rng.randint(0, 10_000),
        "good": lambda rng, raw: raw["total"] - rng.choice([0, 1, 3]) if type(raw.get("total")) is int else 1,
        "reject": lambda rng, raw: rng.choice([0, 1, 3]),
        "spindle_load": lambda rng, raw: rng.choice([rng.uniform(0, 250), rng.randint(0, 250)]),
        "temperature": lambda rng, raw: rng.uniform(-50, 500), "power_kw": lambda rng, raw: rng.randint(0, 5000)}


def random_reading(rng: random.Random):
    """Mostly plausible readings with one thing wrong now and then."""
    if rng.random() < 0.02:
        return rng.choice(["text", 3, None, []])
    raw = {}
    if rng.random() < 0.97:
        raw["ts"] = rng.choice(STAMPS[:3]) if rng.random() < 0.8 else rng.choice(STAMPS)
        if isinstance(raw["ts"], str):
            raw["ts"] = raw["ts"].replace(":00Z", f":{rng.randint(0, 59):02d}Z")
    for name in rng.sample(FIELDS, rng.randint(0, 5)):
        if name in GOOD and rng.random() < 0.85:
            raw[name] = GOOD[name](rng, raw)
        elif name != "colour" or rng.random() < 0.2:
            raw[name] = rng.choice(VALUES)
    return raw


def same(a, b) -> bool:
    return a is None and b is None or a is not None and b is not None and all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_path_agrees_with_the_reference_parser_on_random_readings(seed):
    rng = random.Random(seed)
    fast_accepts = valid = 0
    for _ in range(5000):
        raw = random_reading(rng)
        want, got = reference(raw), fast(raw, WINDOW.oldest, WINDOW.newest)
        valid += want is not None
        if got is not None:
            fast_accepts += 1
            assert same(got, want), raw
            assert [type(v) for v in got] == [type(v) for v in want], raw
    assert valid > 500 and fast_accepts == valid  # every valid reading of these shapes takes the fast path


def test_the_batch_report_names_each_refused_reading_as_the_reference_words_it():
    rng = random.Random(7)
    raws = [random_reading(rng) for _ in range(3000)]
    rows, rejected = validate_batch(raws, WINDOW)
    expected, seen = [], set()
    for index, raw in enumerate(raws):
        try:
            ts = parse(raw, WINDOW).ts
        except BadReading as exc:
            expected.append({"index": index, "reason": str(exc)})
            continue
        if ts in seen:
            expected.append({"index": index, "reason": f"ts: {ts.isoformat()} repeats an earlier reading of this batch"})
        seen.add(ts)
    assert rejected == expected and len(rows) + len(rejected) == len(raws) and rows


def test_a_plain_reading_takes_the_fast_path_with_utc_timestamps():
    row = fast({"ts": "2026-03-04T08:00:00+08:00", "state": "running", "total": 5, "reject": 1, "temperature": 40},
               WINDOW.oldest, WINDOW.newest)
    assert row == (NOW - timedelta(hours=12), "running", None, 5, 4, None, 40.0, None)
    assert row[0].tzinfo is timezone.utc and type(row[6]) is float
