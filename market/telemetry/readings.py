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


# --- the fast path --------------------------------------------------------------------
# A batch is mostly good readings: each is checked here with straight-line type and range
# tests on precomputed constants and becomes a plain tuple (no objects per reading). It
# accepts a subset of what parse() accepts and returns exactly parse()'s values for it;
# anything else goes to parse(), which decides and words the exact rejection.
Row = tuple  # (ts, state, reason, total, good, spindle_load, temperature, power_kw)
_STATES = frozenset(STATES)
_SL_LO, _SL_HI = SIGNALS["spindle_load"][:2]
_T_LO, _T_HI = SIGNALS["temperature"][:2]
_P_LO, _P_HI = SIGNALS["power_kw"][:2]
_UTC = timezone.utc
_fromiso = datetime.fromisoformat


def _fast_signal(value, low: float, high: float):
    """float(value) when it is an in-range finite number, else False (None stays None)."""
    if value is None:
        return None
    kind = type(value)
    if kind is float:
        return value if low <= value <= high else False  # NaN fails both comparisons
    if kind is int and low <= value <= high:
        return float(value)
    return False


def fast(raw, oldest: datetime, newest: datetime) -> Row | None:
    """The reading as a row when it is plainly valid; None: let parse() decide."""
    if type(raw) is not dict or not raw.keys() <= FIELDS:
        return None
    text = raw.get("ts")
    if type(text) is not str:
        return None
    try:
        ts = _fromiso(text)
    except ValueError:
        return None
    if ts.tzinfo is None:
        return None
    ts = ts.astimezone(_UTC)
    if ts > newest or ts < oldest:
        return None
    state, reason = raw.get("state"), raw.get("reason")
    if state is not None and (type(state) is not str or state not in _STATES):
        return None
    if reason is not None and (state is None or type(reason) is not str or not 0 < len(reason) <= 64):
        return None
    total, good, reject = raw.get("total"), raw.get("good"), raw.get("reject")
    if total is None:
        if good is not None or reject is not None:
            return None
    else:
        if type(total) is not int or not 0 <= total < COUNTER_MAX:
            return None
        if reject is None:
            if type(good) is not int or not 0 <= good <= total:
                return None
        elif type(reject) is not int or not 0 <= reject < COUNTER_MAX:
            return None
        elif good is None:
            good = total - reject
            if good < 0:
                return None
        elif type(good) is not int or not 0 <= good <= total or good + reject != total:
            return None
    sl = _fast_signal(raw.get("spindle_load"), _SL_LO, _SL_HI)
    temp = _fast_signal(raw.get("temperature"), _T_LO, _T_HI)
    pw = _fast_signal(raw.get("power_kw"), _P_LO, _P_HI)
    if sl is False or temp is False or pw is False:
        return None
    if state is None and total is None and sl is None and temp is None and pw is None:
        return None
    return ts, state, reason, total, good, sl, temp, pw


def validate_batch(raws, window: Window) -> tuple[list[Row], list[dict]]:
    """(valid readings as rows, [{index, reason}] for the others). A timestamp repeated
    inside the batch keeps its first reading; the repeat is reported."""
    rows: list[Row] = []
    rejected: list[dict] = []
    seen: set[datetime] = set()
    add, oldest, newest = seen.add, window.oldest, window.newest
    for index, raw in enumerate(raws):
        row = fast(raw, oldest, newest)
        if row is None:
            try:
                row = _astuple(parse(raw, window))
            except BadReading as exc:
                rejected.append({"index": index, "reason": str(exc)})
                continue
        ts = row[0]
        if ts in seen:
            rejected.append({"index": index, "reason": f"ts: {ts.isoformat()} repeats an earlier reading of this batch"})
            continue
        add(ts)
        rows.append(row)
    return rows, rejected


def _astuple(r: ReadingIn) -> Row:
    return r.ts, r.state, r.reason, r.total, r.good, r.spindle_load, r.temperature, r.power_kw


def parse_batch(raws, window: Window) -> tuple[list[ReadingIn], list[dict]]:
    """validate_batch() as ReadingIn objects."""
    rows, rejected = validate_batch(raws, window)
    return [ReadingIn(*row) for row in rows], rejected
