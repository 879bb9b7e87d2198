"""state_intervals skips readings that change nothing; a reference that steps through every
reading (the original loop) must give the same intervals on random streams with gaps,
repeated states and offline stretches; likewise counted parts against spans.contains_end."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from market.telemetry import spans as sp
from market.telemetry.intervals import NO_DATA, Carry, Point, counter_increments, machine_day, state_intervals

LO = datetime(2026, 3, 4, tzinfo=timezone.utc)
HI = LO + timedelta(days=1)
GAP = timedelta(minutes=30)


def reference_intervals(points, carry, lo, hi, offline_after):
    out = []

    def emit(a, b, state, reason):
        if b <= a:
            return
        if out and out[-1][1] == a and out[-1][2] == state and out[-1][3] == reason:
            out[-1] = (out[-1][0], b, state, reason)
        else:
            out.append((a, b, state, reason))

    state, reason, seen, t = carry.state, carry.reason or "", carry.seen, lo

    def advance(to):
        if to <= t:
            return
        if state is None or seen is None:
            emit(t, to, "offline", NO_DATA)
        elif state == "offline":
            emit(t, to, state, reason)
        else:
            stale = seen + offline_after
            if stale >= to:
                emit(t, to, state, reason)
            elif stale <= t:
                emit(t, to, "offline", NO_DATA)
            else:
                emit(t, stale, state, reason)
                emit(stale, to, "offline", NO_DATA)

    for p in points:
        if p.ts >= hi:
            break
        advance(p.ts)
        t, seen = max(t, p.ts), p.ts
        if p.state is not None:
            state, reason = p.state, p.reason or ""
    advance(hi)
    return out


def random_stream(rng: random.Random) -> tuple[list[Point], Carry]:
    t, points, total = LO + timedelta(seconds=rng.randint(0, 3600)), [], 0
    while t < HI:
        state = rng.choice([None, None, None, "running", "running", "idle", "down", "offline", "setup"])
        reason = rng.choice([None, "", "spindle_fault"]) if state else None
        counters = rng.random() < 0.6
        if counters:
            total = 0 if rng.random() < 0.02 else total + rng.randint(0, 20)
        points.append(Point(t, state, reason, total if counters else None, total if counters else None))
        t += timedelta(seconds=rng.choice([5, 60, 600, 1799, 1800, 1801, 4000]))
    carry = rng.choice([Carry(), Carry("running", "", LO - timedelta(minutes=10), 5, 5),
                        Carry("down", "x", LO - timedelta(hours=2)), Carry("offline", "off_shift", LO - timedelta(hours=1))])
    return points, carry


@pytest.mark.parametrize("seed", range(40))
def test_skipping_readings_that_change_nothing_gives_the_reference_intervals(seed):
    rng = random.Random(seed)
    points, carry = random_stream(rng)
    end = rng.choice([HI, LO + timedelta(hours=rng.randint(1, 23))])
    assert state_intervals(points, carry, LO, end, GAP) == reference_intervals(points, carry, LO, end, GAP)


@pytest.mark.parametrize("seed", range(20))
def test_parts_are_counted_inside_planned_time_as_contains_end_says(seed):
    rng = random.Random(1000 + seed)
    points, carry = random_stream(rng)
    # span ends on reading times too: a reading at a span's start is outside it, at its end inside
    cuts = sorted(rng.sample([p.ts for p in points], min(8, len(points) // 2 * 2)))
    planned = list(zip(cuts[::2], cuts[1::2])) + [(LO + timedelta(hours=h), LO + timedelta(hours=h + 2))
                                                   for h in range(0, 22, 6)]
    fig = machine_day(points, carry, LO, HI, now=HI + timedelta(hours=1), planned=planned, offline_after=GAP)
    expected = sum(d for ts, d, _ in counter_increments(points, carry) if LO < ts <= HI and sp.contains_end(fig.planned, ts))
    assert fig.total == expected
