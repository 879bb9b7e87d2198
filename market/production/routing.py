"""The order in which a lot's operations are made, read from the order's precedence: a bill of
materials is a DAG (components side by side, an assembly after everything it waits for), a
plain routing the chain n after n − 1 (market/orders/bom.py stores it). The shop floor asks
three things of it: may this step start (every predecessor finished), how many pieces reach
it, and who gets the pieces when it finishes."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from market import errors


@dataclass(frozen=True)
class Routing:
    waits: dict[int, tuple[int, ...]]  # seq -> the seqs it waits for
    component: dict[int, str]  # seq -> the component it makes ("" = the finished product)
    per_parent: dict[int, int]  # seq -> pieces of its component per finished piece

    @classmethod
    def of(cls, order) -> "Routing":
        ops = order.operations
        return cls({op.seq: w for op, w in zip(ops, order.waits_for)}, {op.seq: op.component for op in ops},
                   {op.seq: op.quantity_per_parent if op.component else 1 for op in ops})

    def roots(self) -> list[int]:
        """The steps a lot can begin with: the first operation of each component."""
        return sorted(seq for seq, before in self.waits.items() if not before)

    def successors(self, seq: int) -> list[int]:
        return sorted(n for n, before in self.waits.items() if seq in before)

    def require_ready(self, seq: int, finished: set[int]) -> None:
        """Refused (409, on `seq`) while a predecessor of `seq` has not finished."""
        missing = [n for n in self.waits[seq] if n not in finished]
        if not missing:
            return
        if len(missing) == 1:
            message = _l("Operation %(seq)s waits for operation %(n)s to finish first.", seq=seq, n=missing[0])
        else:
            message = _l("Operation %(seq)s waits for operations %(list)s and %(last)s to finish first.", seq=seq,
                         list=", ".join(map(str, missing[:-1])), last=missing[-1])
        raise errors.refusal(errors.Conflict, message, field="seq")

    def reaching(self, seq: int, lot_quantity: int, good: dict[int, int]) -> int:
        """Pieces of `seq`'s component that reach it: the lot's quantity (times the pieces per
        finished piece) at a first step, else what the predecessors passed on, the scarcest
        one deciding when several merge (an assembly needs every input per piece)."""
        per = self.per_parent[seq]
        if not self.waits[seq]:
            return lot_quantity * per
        return min(good[n] if self.component[n] == self.component[seq] else good[n] // self.per_parent[n] * per
                   for n in self.waits[seq])
