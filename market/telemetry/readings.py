"""One reading on the wire, validated alone: a bad reading is reported with its index and
reason and never sinks the rest of its batch. Pure (no database, no Flask)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from market.telemetry.models import STATES

MAX_BATCH = 10_000
FIELDS = frozenset({"ts", "state", "reason", "total", "good", "reject", "spindle_load", "temperature", "power_kw"})
# physical bounds of the optional signals: (low, high, unit)
SIGNALS = {"spindle_load": (0.0, 250.0, "%"), "temperature": (-50.0, 500.0, "°C"), "power_kw": (0.0, 5000.0, "kW")}
COUNTER_MAX = 2**62


@dataclass(frozen=True, slots=True)
class ReadingIn:
    ts: datetime  # aware UTC
    state: str | None = None
    reason: str | None = None
    total: int | None = None
    good: int | None = None
    spindle_load: float | None = None
    temperature: float | None = None
    power_kw: float | None = None


@dataclass(frozen=True)
class Window:
    """The accepted time range: not before the retention horizon, not after now + skew."""

    now: datetime
    oldest: datetime
    newest: datetime

    @classmethod
    def around(cls, now: datetime, *, retention_days: int, max_skew_s: int) -> Window:
        return cls(now, now - timedelta(days=retention_days), now + timedelta(seconds=max_skew_s))


class BadReading(ValueError):
    pass


def _ts(raw) -> datetime:
    if not isinstance(raw, str):
        raise BadReading("ts: an ISO 8601 timestamp with a UTC offset is required")
    try:
        ts = datetime.fromisoformat(raw)
    except ValueError:
        raise BadReading(f"ts: {raw[:40]!r} is not ISO 8601") from None
    if ts.tzinfo is None:
        raise BadReading(f"ts: {raw[:40]!r} has no UTC offset (send e.g. 2026-01-05T08:00:00Z)")
    return ts.astimezone(timezone.utc)


def _count(raw: dict, name: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < COUNTER_MAX:
        raise BadReading(f"{name}: a non-negative integer counter is required, got {value!r}")
    return value


def _signal(raw: dict, name: str) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    low, high, unit = SIGNALS[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadReading(f"{name}: a number is required, got {value!r}")
    if not low <= value <= high:
        raise BadReading(f"{name}: {value} {unit} is outside {low:g}..{high:g} {unit}")
    return float(value)


def parse(raw, window: Window) -> ReadingIn:
    """Validate one reading; raises BadReading with a message naming the field."""
    if not isinstance(raw, dict):
        raise BadReading("a reading must be a JSON object")
    unknown = set(raw) - FIELDS
    if unknown:
        raise BadReading(f"unknown field(s): {', '.join(sorted(unknown))}")
    ts = _ts(raw.get("ts"))
    if ts > window.newest:
        raise BadReading(f"ts: {ts.isoformat()} is in the future (server time {window.now.isoformat()}); "
                         "check the device clock")
    if ts < window.oldest:
        raise BadReading(f"ts: {ts.isoformat()} is older than the retention period (from {window.oldest.isoformat()})")
    state = raw.get("state")
    if state is not None and state not in STATES:
        raise BadReading(f"state: {state!r} is not one of {', '.join(STATES)}")
    reason = raw.get("reason")
    if reason is not None:
        if not isinstance(reason, str) or not 1 <= len(reason) <= 64:
            raise BadReading("reason: a string of 1 to 64 characters is required")
        if state is None:
            raise BadReading("reason: given without a state")
    total, good, reject = _count(raw, "total"), _count(raw, "good"), _count(raw, "reject")
    if (good is not None or reject is not None) and total is None:
        raise BadReading("total: required with good/reject")
    if total is not None:
        if good is None and reject is None:
            raise BadReading("good: required with total (or send reject)")
        if good is None:
            good = total - reject
        if good < 0 or good > total:
            raise BadReading(f"good: {good} is outside 0..total ({total})")
        if reject is not None and good + reject != total:
            raise BadReading(f"good ({good}) + reject ({reject}) must equal total ({total})")
    signals = {name: _signal(raw, name) for name in SIGNALS}
    if state is None and total is None and all(v is None for v in signals.values()):
        raise BadReading("a reading needs a state, counters or a signal")
    return ReadingIn(ts, state, reason, total, good, **signals)


def parse_batch(raws, window: Window) -> tuple[list[ReadingIn], list[dict]]:
    """(valid readings, [{index, reason}] for the others). A timestamp repeated inside the
    batch keeps its first reading; the repeat is reported."""
    good: list[ReadingIn] = []
    rejected: list[dict] = []
    seen: set[datetime] = set()
    for index, raw in enumerate(raws):
        try:
            reading = parse(raw, window)
        except BadReading as exc:
            rejected.append({"index": index, "reason": str(exc)})
            continue
        if reading.ts in seen:
            rejected.append({"index": index, "reason": f"ts: {reading.ts.isoformat()} repeats an earlier reading of this batch"})
            continue
        seen.add(reading.ts)
        good.append(reading)
    return good, rejected
