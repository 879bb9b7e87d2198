"""A machine's booked intervals, for earliest-free-start queries (greedy and candidates)."""

from __future__ import annotations

import bisect


class Timeline:
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def book(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

    def unbook(self, start: int, end: int) -> None:
        """Give back one interval booked with exactly these bounds."""
        i = bisect.bisect_left(self.starts, start)
        while i < len(self.starts) and self.starts[i] == start:
            if self.ends[i] == end:
                del self.starts[i], self.ends[i]
                return
            i += 1
        raise ValueError(f"[{start}, {end}) was not booked")

    def earliest(self, lo: int, hi: int, size: int) -> int | None:
        """Earliest t in [lo, hi] with [t, t+size) overlapping nothing booked, or None."""
        t = lo
        i = max(0, bisect.bisect_right(self.starts, t) - 1)
        while t <= hi:
            while i < len(self.starts) and self.ends[i] <= t:
                i += 1
            if i == len(self.starts) or self.starts[i] >= t + size:
                return t
            t = max(t, self.ends[i])
        return None
