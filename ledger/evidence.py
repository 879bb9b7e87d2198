"""Evidence bundles: figures (an on-time rate, a revenue sum) together with the ledger
entries they are computed from, so anyone can recompute each figure and check each entry.

::

    {
      "format": "smm-ledger-evidence/1",
      "subject": {...},                       # what the figures are about (free form)
      "size": 120, "checkpoint": "<signed note>", "public_key": "<verifier key>",
      "entries": [{"index": 17, "entry": "<base64>", "inclusion_path": ["<base64>", ...]}],
      "disclosures": [{"entry": 17, "path": "event.data.commitment",
                       "payload": {...}, "salt": "<hex>"}],
      "facts": [{"name": "on_time_rate", "value": "0.9167", "op": "share_le",
                 "args": {"a": "delivered", "b": "promised"},
                 "window": {"field": "delivered", "start": "...Z", "end": "...Z"},
                 "records": [{"delivered": {"entry": 40, "path": "event.when", "type": "delivery.confirmed"},
                              "promised": {"disclosure": 0, "path": "promised_at"}}]}]
    }

A record field is a reference: ``{"entry": i, "path": p}`` reads entry ``i`` (the decoded
entry: ``event``, ``index``, ``signer``), optionally checking its event ``type``;
``{"disclosure": k, "path": p}`` reads a disclosed payload, which must open the salted
commitment found at ``path`` of its entry (``ledger.disclosure``); ``{"const": v}`` is a
constant. Values are recomputed with ``Decimal`` and printed with 4 decimals, so the
comparison is exact. What this proves: every counted fact is in the signed log and the
figure follows from them. What it cannot prove: that no fact was left out — the platform
answers for completeness; the window check stops facts from outside the period.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from collections.abc import Sequence
from typing import Any, Callable

from ledger.bundle import BUNDLE_FORMAT, verify_bundle
from ledger.cosign import WitnessKey
from ledger.disclosure import opens
from ledger.entry import decode_entry
from ledger.errors import BundleError, LedgerError

EVIDENCE_FORMAT = "smm-ledger-evidence/1"
PLACES = Decimal("0.0001")


class EvidenceError(LedgerError):
    """An evidence bundle does not hold; the message names the fact or entry."""


# --- values ------------------------------------------------------------------------------

def fmt(value: Decimal | float | int | None) -> str | None:
    """The printed form of a figure: 4 decimals, half-even; None stays None."""
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(PLACES, rounding=ROUND_HALF_EVEN))


def _num(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise EvidenceError(f"{where}: {value!r} is not a number")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise EvidenceError(f"{where}: {value!r} is not a number") from exc


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise EvidenceError(f"{where}: {value!r} is not an ISO 8601 time")
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EvidenceError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    if t.tzinfo is None:
        raise EvidenceError(f"{where}: {value!r} has no time zone")
    return t.astimezone(timezone.utc)


def _days(delta) -> Decimal:
    return Decimal(delta.days) + Decimal(delta.seconds) / Decimal(86400) + Decimal(delta.microseconds) / Decimal(86400 * 10**6)


def _scaled(r: dict, args: dict) -> Decimal:
    """A record's value: field ``x``, or Π args.num / Π args.den (e.g. OEE from its counts),
    divided by args.scale. Fields named in args.positive must be > 0 (an OEE day must have
    planned time); a zero factor in the numerator makes the value 0 whatever the
    denominators (ISO 22400: a planned day that never ran has availability 0, so OEE 0,
    although its performance and quality have no denominator)."""
    scale = _num(args.get("scale", 1), "scale")
    if "num" not in args:
        return _num(r["x"], "x") / scale
    for f in args.get("positive", []):
        if _num(r[f], f) <= 0:
            raise EvidenceError(f"{f} is {r[f]}, must be positive")
    num = [_num(r[f], f) for f in args["num"]]
    if any(x == 0 for x in num):
        return Decimal(0)
    value = Decimal(1)
    for x in num:
        value *= x
    for f in args.get("den", []):
        value /= _num(r[f], f)
    return value / scale


# --- the operations (one small function per figure kind) --------------------------------

def _op_count(rs, args):
    return Decimal(len(rs))


def _op_sum(rs, args):
    return sum((_scaled(r, args) for r in rs), Decimal(0))


def _op_mean(rs, args):
    return _op_sum(rs, args) / len(rs) if rs else None


def _op_stdev(rs, args):
    if len(rs) < 2:
        return None
    xs = [_scaled(r, args) for r in rs]
    mean = sum(xs, Decimal(0)) / len(xs)
    return (sum(((x - mean) ** 2 for x in xs), Decimal(0)) / len(xs)).sqrt()


def _op_slope_per_30d(rs, args):
    """Least-squares slope of x against time, per 30 days."""
    if len(rs) < 2:
        return None
    t0 = min(_time(r["t"], "t") for r in rs)
    ts = [_days(_time(r["t"], "t") - t0) for r in rs]
    xs = [_scaled(r, args) for r in rs]
    mt, mx = sum(ts, Decimal(0)) / len(ts), sum(xs, Decimal(0)) / len(xs)
    var = sum(((t - mt) ** 2 for t in ts), Decimal(0))
    if var == 0:
        return None
    return sum(((t - mt) * (x - mx) for t, x in zip(ts, xs)), Decimal(0)) / var * 30


def _compare_key(value: Any, where: str):
    return _num(value, where) if isinstance(value, int) else _time(value, where)


def _op_share_le(rs, args):
    if not rs:
        return None
    hits = sum(1 for r in rs if _compare_key(r["a"], "a") <= _compare_key(r["b"], "b"))
    return Decimal(hits) / len(rs)


def _op_share_gt(rs, args):
    return 1 - _op_share_le(rs, args) if rs else None


def _op_mean_excess_days(rs, args):
    """Mean over records of max(0, a − b) in days (lateness: delivered − promised)."""
    if not rs:
        return None
    total = sum((max(Decimal(0), _days(_time(r["a"], "a") - _time(r["b"], "b"))) for r in rs), Decimal(0))
    return total / len(rs)


def _op_share_eq(rs, args):
    return Decimal(sum(1 for r in rs if r["x"] == args["value"])) / len(rs) if rs else None


def _op_ratio_sums(rs, args):
    den = sum((_num(r["b"], "b") for r in rs), Decimal(0))
    return sum((_num(r["a"], "a") for r in rs), Decimal(0)) / den if den else None


def _op_top_share(rs, args):
    """Largest group's share of the total of x (customer concentration)."""
    groups: dict[str, Decimal] = {}
    for r in rs:
        groups[str(r["g"])] = groups.get(str(r["g"]), Decimal(0)) + _num(r["x"], "x")
    total = sum(groups.values(), Decimal(0))
    return max(groups.values()) / total if total else None


def _op_growth(rs, args):
    """Σx in [mid, end) over Σx in [start, mid), minus one."""
    start, mid, end = (_time(args[k], k) for k in ("start", "mid", "end"))
    before = sum((_num(r["x"], "x") for r in rs if start <= _time(r["t"], "t") < mid), Decimal(0))
    after = sum((_num(r["x"], "x") for r in rs if mid <= _time(r["t"], "t") < end), Decimal(0))
    return after / before - 1 if before else None


def _op_log10_sum(rs, args):
    total = _op_sum(rs, args)
    return total.log10() if rs and total > 0 else None


def _op_months_since_min(rs, args):
    """Months (of 30.4375 days) from the earliest record to `as_of`."""
    if not rs:
        return None
    first = min(_time(r["t"], "t") for r in rs)
    return _days(_time(args["as_of"], "as_of") - first) / Decimal("30.4375")


def usage_rent(*, fixed: int, floor: int, rate: int, seconds: int) -> int:
    """Rent in minor units: fixed + max(floor, rate per hour x seconds / 3600), the usage
    part rounded half-even to a whole minor unit (exact: integers and Decimal only)."""
    usage = (Decimal(rate) * Decimal(seconds) / Decimal(3600)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return fixed + max(floor, int(usage))


def _op_usage_rent(rs, args):
    """A lease's rent for one period: fixed + max(floor, rate per hour x run hours), the
    usage part rounded half-even to a whole minor unit. Each record is one committed day of
    one machine: ``x`` its run seconds, ``day``, ``machine``; and, from the lease's committed
    terms, ``leased`` (the machine), ``rate`` (minor units per run hour), ``floor``, ``fixed``;
    ``invoiced`` is the rent the invoice entry commits to. Every day must be of the leased
    machine and counted once, the terms and the invoice one and the same, and the invoiced
    rent what the formula gives."""
    if not rs:
        return None
    one = {}
    for name in ("leased", "rate", "floor", "fixed", "invoiced"):
        values = {str(r[name]) for r in rs}
        if len(values) != 1:
            raise EvidenceError(f"records disagree on {name!r}: {sorted(values)}")
        one[name] = rs[0][name]
    days = [str(r["day"]) for r in rs]
    if len(set(days)) != len(days):
        raise EvidenceError("a day is counted twice")
    stray = sorted({str(r["machine"]) for r in rs} - {str(one["leased"])})
    if stray:
        raise EvidenceError(f"days of machine {stray[0]} are not of the leased machine {one['leased']}")
    seconds = sum((_num(r["x"], "x") for r in rs), Decimal(0))
    rent = Decimal(usage_rent(fixed=int(_num(one["fixed"], "fixed")), floor=int(_num(one["floor"], "floor")),
                              rate=int(_num(one["rate"], "rate")), seconds=int(seconds)))
    if rent != _num(one["invoiced"], "invoiced"):
        raise EvidenceError(f"the invoice says {one['invoiced']} but the committed run hours give {rent}")
    return rent


def downtime_indemnity(*, rate: int, deductible_hours: int, limit: int, seconds: int) -> int:
    """A downtime claim's indemnity in minor units: rate per hour x (down hours - deductible
    hours), at least 0 and at most `limit`, rounded half-even to a whole minor unit."""
    hours = Decimal(seconds) / Decimal(3600) - Decimal(deductible_hours)
    amount = (Decimal(rate) * max(Decimal(0), hours)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return min(limit, int(amount))


def _op_downtime_claim(rs, args):
    """An insurance claim for downtime: each record is one committed day of one machine, with
    ``day``, ``machine``, ``down`` (the day's committed down seconds) and ``claimed`` (the
    seconds the claim counts on that day); from the policy's committed terms ``insured`` (the
    machine), ``from``/``until`` (its term, days), ``rate`` (minor units per down hour),
    ``deductible`` (hours) and ``limit``; from the claim's commitment ``total`` (its down
    seconds) and ``indemnity``. Every day must be of the insured machine, inside the term,
    counted once, claim no more than the day's committed downtime, the claimed seconds add up
    to the total, and the indemnity be what the formula gives."""
    if not rs:
        return None
    one = {}
    for name in ("insured", "from", "until", "rate", "deductible", "limit", "total", "indemnity"):
        values = {str(r[name]) for r in rs}
        if len(values) != 1:
            raise EvidenceError(f"records disagree on {name!r}: {sorted(values)}")
        one[name] = rs[0][name]
    days = [str(r["day"]) for r in rs]
    if len(set(days)) != len(days):
        raise EvidenceError("a day is counted twice")
    stray = sorted({str(r["machine"]) for r in rs} - {str(one["insured"])})
    if stray:
        raise EvidenceError(f"days of machine {stray[0]} are not of the insured machine {one['insured']}")
    start, end = _time(one["from"], "from"), _time(one["until"], "until")
    for r in rs:
        if not start <= _time(r["day"], "day") < end:
            raise EvidenceError(f"day {r['day']} is outside the policy term {one['from']} .. {one['until']}")
        if _num(r["claimed"], "claimed") > _num(r["down"], "down"):
            raise EvidenceError(f"day {r['day']}: {r['claimed']} s claimed but the committed summary has "
                                f"{r['down']} s down")
    seconds = sum((_num(r["claimed"], "claimed") for r in rs), Decimal(0))
    if seconds != _num(one["total"], "total"):
        raise EvidenceError(f"the claim says {one['total']} s down but its days add up to {seconds}")
    amount = Decimal(downtime_indemnity(rate=int(_num(one["rate"], "rate")),
                                        deductible_hours=int(_num(one["deductible"], "deductible")),
                                        limit=int(_num(one["limit"], "limit")), seconds=int(seconds)))
    if amount != _num(one["indemnity"], "indemnity"):
        raise EvidenceError(f"the claim says {one['indemnity']} but the committed downtime gives {amount}")
    return amount


OPS: dict[str, Callable[[list[dict], dict], Decimal | None]] = {
    "count": _op_count, "sum": _op_sum, "mean": _op_mean, "stdev": _op_stdev, "slope_per_30d": _op_slope_per_30d,
    "share_le": _op_share_le, "share_gt": _op_share_gt, "mean_excess_days": _op_mean_excess_days, "share_eq": _op_share_eq,
    "ratio_sums": _op_ratio_sums, "top_share": _op_top_share, "growth": _op_growth, "log10_sum": _op_log10_sum,
    "months_since_min": _op_months_since_min, "usage_rent": _op_usage_rent,
    "downtime_claim": _op_downtime_claim,
}


def compute(op: str, records: list[dict], args: dict | None = None) -> str | None:
    """The printed figure `op` gives for plain records (the builder's side)."""
    if op not in OPS:
        raise EvidenceError(f"unknown operation {op!r}; known: {', '.join(sorted(OPS))}")
    return fmt(OPS[op](records, args or {}))


# --- verification -------------------------------------------------------------------------

def _walk(value: Any, path: str, where: str) -> Any:
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise EvidenceError(f"{where}: path {path!r} not found")
    return value


@dataclass(frozen=True)
class EvidenceResult:
    facts: int
    entries: int
    disclosures: int
    message: str


def verify_evidence(bundle: Any, *, trusted_key: str | None = None, witness_keys: Sequence[WitnessKey] = (),
                    witness_quorum: int = 0) -> EvidenceResult:
    """Check every entry's inclusion, every disclosure, and recompute every fact; raise
    ``EvidenceError`` naming the first thing that does not hold."""
    if not isinstance(bundle, dict) or bundle.get("format") != EVIDENCE_FORMAT:
        raise EvidenceError(f"not an evidence bundle (format must be {EVIDENCE_FORMAT!r})")
    entries: dict[int, dict] = {}
    for item in bundle.get("entries", []):
        proof = {"format": BUNDLE_FORMAT, "index": item.get("index"), "size": bundle.get("size"),
                 "entry": item.get("entry"), "inclusion_path": item.get("inclusion_path"),
                 "checkpoint": bundle.get("checkpoint"), "public_key": bundle.get("public_key")}
        try:
            verify_bundle(proof, trusted_key=trusted_key, witness_keys=witness_keys, witness_quorum=witness_quorum)
        except BundleError as exc:
            raise EvidenceError(f"entry {item.get('index')}: {exc}") from exc
        entry = decode_entry(base64.b64decode(item["entry"]))
        entries[entry.index] = {"event": entry.event, "index": entry.index, "signer": entry.signer}

    disclosures = bundle.get("disclosures", [])
    for k, d in enumerate(disclosures):
        where = f"disclosure {k}"
        if d.get("entry") not in entries:
            raise EvidenceError(f"{where}: entry {d.get('entry')} is not in the bundle")
        commitment = _walk(entries[d["entry"]], d.get("path", ""), where)
        if not isinstance(commitment, str) or not opens(commitment, d.get("payload"), d.get("salt", "")):
            raise EvidenceError(f"{where}: payload and salt do not open the commitment in entry {d['entry']}")

    for fact in bundle.get("facts", []):
        name = fact.get("name")
        records = [{field: _resolve(ref, entries, disclosures, f"fact {name!r} record {i} field {field!r}")
                    for field, ref in rec.items()} for i, rec in enumerate(fact.get("records", []))]
        window = fact.get("window")
        if window:
            start, end = _time(window["start"], "window start"), _time(window["end"], "window end")
            for i, r in enumerate(records):
                t = _time(r[window["field"]], f"fact {name!r} record {i}")
                if not start <= t < end:
                    raise EvidenceError(f"fact {name!r} record {i}: {t.isoformat()} is outside the window "
                                        f"{start.isoformat()} .. {end.isoformat()}")
        try:
            value = compute(fact.get("op"), records, fact.get("args"))
        except (KeyError, ArithmeticError, InvalidOperation) as exc:
            raise EvidenceError(f"fact {name!r}: cannot recompute ({exc!r})") from exc
        except EvidenceError as exc:
            raise EvidenceError(f"fact {name!r}: {exc}") from exc
        if value != fact.get("value"):
            raise EvidenceError(f"fact {name!r}: the bundle says {fact.get('value')} but the entries give {value}")
    n = len(bundle.get("facts", []))
    return EvidenceResult(n, len(entries), len(disclosures),
                          f"{n} figures recomputed from {len(entries)} entries in tree size {bundle.get('size')} "
                          f"({len(disclosures)} disclosed payloads)" + ("" if trusted_key else "; key taken from the bundle"))


def figure(fact: dict, entries: dict, disclosures: list) -> str | None:
    """The value `fact` has over decoded `entries` (index -> {event, index, signer}) and
    `disclosures`: what the verifier will recompute (the builder's side, for facts whose
    records reference entries rather than carry plain values)."""
    records = [{field: _resolve(ref, entries, disclosures, f"fact {fact.get('name')!r} record {i} field {field!r}")
                for field, ref in rec.items()} for i, rec in enumerate(fact.get("records", []))]
    return compute(fact["op"], records, fact.get("args"))


def _resolve(ref: Any, entries: dict, disclosures: list, where: str) -> Any:
    if not isinstance(ref, dict):
        raise EvidenceError(f"{where}: a reference must be an object")
    if "const" in ref:
        return ref["const"]
    if "entry" in ref:
        if ref["entry"] not in entries:
            raise EvidenceError(f"{where}: entry {ref['entry']} is not in the bundle")
        entry = entries[ref["entry"]]
        if "type" in ref and entry["event"].get("type") != ref["type"]:
            raise EvidenceError(f"{where}: entry {ref['entry']} is a {entry['event'].get('type')!r}, not {ref['type']!r}")
        return _walk(entry, ref.get("path", ""), where)
    if "disclosure" in ref:
        k = ref["disclosure"]
        if not isinstance(k, int) or not 0 <= k < len(disclosures):
            raise EvidenceError(f"{where}: no disclosure {k}")
        d = disclosures[k]
        if "type" in ref and entries[d["entry"]]["event"].get("type") != ref["type"]:
            raise EvidenceError(f"{where}: disclosure {k} belongs to a {entries[d['entry']]['event'].get('type')!r}")
        return _walk(d["payload"], ref.get("path", ""), where)
    raise EvidenceError(f"{where}: a reference needs 'entry', 'disclosure' or 'const'")

