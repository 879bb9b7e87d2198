"""Sets of time spans: normalise, intersect, subtract, measure. Pure."""
from __future__ import annotations

from datetime import datetime

Span = tuple[datetime, datetime]


def normalise(spans) -> list[Span]:
    """Sorted, non-empty, merged (touching spans join)."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def intersect(xs: list[Span], ys: list[Span]) -> list[Span]:
    """Both inputs normalised."""
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if b > a:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(xs: list[Span], ys: list[Span]) -> list[Span]:
    """xs minus ys, both normalised."""
    out = []
    for a, b in xs:
        cur = a
        for c, d in ys:
            if d <= cur or c >= b:
                continue
            if c > cur:
                out.append((cur, c))
            cur = max(cur, d)
            if cur >= b:
                break
        if cur < b:
            out.append((cur, b))
    return out


def seconds(spans) -> int:
    return int(round(sum((b - a).total_seconds() for a, b in spans)))


def contains_end(spans: list[Span], moment: datetime) -> bool:
    """moment in (a, b] of some span: a reading at the end of a span reports work done in it."""
    return any(a < moment <= b for a, b in spans)
