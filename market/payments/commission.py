"""Who gets what from an order's payment: each factory's share of the quote (its lines plus
the transport legs it ships) and the platform's commission on it. Pure: no Flask, no
database; rules and tiers come in as plain values.

Rules: per subscription tier and process class, a percent (basis points) and a minimum in
minor units; a class without its own rule uses the tier's default (class None). For each
factory, per process class: commission = min(amount, max(round(amount x percent), minimum)).
Transport is a pass-through to the factory that ships: no commission on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    percent_bp: int
    minimum_minor: int

    def __post_init__(self):
        if not 0 <= self.percent_bp <= 10000:
            raise ValueError(f"percent_bp {self.percent_bp} outside 0..10000")
        if self.minimum_minor < 0:
            raise ValueError(f"minimum_minor {self.minimum_minor} is negative")

    def on(self, amount: int) -> int:
        percent = (amount * self.percent_bp + 5000) // 10000  # half up, integers only
        return min(amount, max(percent, self.minimum_minor))


@dataclass(frozen=True)
class Line:
    seq: int
    factory_id: int
    process_class: str
    price_minor: int


@dataclass
class Share:
    factory_id: int
    tier: str
    lines_minor: int = 0
    transport_minor: int = 0
    commission_minor: int = 0
    breakdown: list[dict] = field(default_factory=list)

    @property
    def gross_minor(self) -> int:
        return self.lines_minor + self.transport_minor

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.commission_minor


# the platform's defaults (also seeded as rows by the migration, where the operator edits them);
# a rule in the database replaces the default for its tier and class
DEFAULT_RULES: dict[tuple[str, str | None], Rule] = {
    ("free", None): Rule(800, 500), ("free", "testing"): Rule(500, 300), ("free", "metrology"): Rule(500, 300),
    ("pro", None): Rule(500, 0), ("pro", "testing"): Rule(300, 0), ("pro", "metrology"): Rule(300, 0),
}


def rule_for(rules: dict[tuple[str, str | None], Rule], tier: str, process_class: str) -> Rule:
    rule = rules.get((tier, process_class)) or rules.get((tier, None)) or rules.get(("free", None))
    if rule is None:
        raise LookupError(f"no commission rule for tier {tier!r} (and no free default)")
    return rule


def transport_shares(lines: list[Line], transport_minor: int) -> dict[int, int]:
    """Each hand-over between factories is one leg, paid to the factory that ships; the
    total is split evenly over the legs (remainder to the first). No leg: the last factory
    (it ships to the buyer)."""
    order = []
    for line in sorted(lines, key=lambda ln: ln.seq):
        if not order or order[-1][0] != line.seq:
            order.append((line.seq, line.factory_id))
    senders = [a for (_s, a), (_t, b) in zip(order, order[1:]) if a != b]
    if transport_minor == 0 or not order:
        return {}
    if not senders:
        return {order[-1][1]: transport_minor}
    each, rest = divmod(transport_minor, len(senders))
    out: dict[int, int] = {}
    for n, sender in enumerate(senders):
        out[sender] = out.get(sender, 0) + each + (rest if n == 0 else 0)
    return out


def split(lines: list[Line], transport_minor: int, rules: dict[tuple[str, str | None], Rule],
          tiers: dict[int, str]) -> list[Share]:
    """One share per factory, in order of first appearance; Σ gross = Σ prices + transport."""
    shares: dict[int, Share] = {}
    by_class: dict[tuple[int, str], int] = {}
    for line in sorted(lines, key=lambda ln: ln.seq):
        share = shares.setdefault(line.factory_id, Share(line.factory_id, tiers.get(line.factory_id, "free")))
        share.lines_minor += line.price_minor
        by_class[(line.factory_id, line.process_class)] = by_class.get((line.factory_id, line.process_class), 0) + line.price_minor
    for (factory_id, process_class), amount in by_class.items():
        share = shares[factory_id]
        rule = rule_for(rules, share.tier, process_class)
        part = rule.on(amount)
        share.commission_minor += part
        share.breakdown.append({"process_class": process_class, "amount_minor": amount, "percent_bp": rule.percent_bp,
                                "minimum_minor": rule.minimum_minor, "commission_minor": part})
    for factory_id, amount in transport_shares(lines, transport_minor).items():
        shares[factory_id].transport_minor += amount
    return list(shares.values())


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` over `weights` in proportion, to the minor unit (largest remainder),
    never giving a part more than its weight. Precondition: 0 <= amount <= sum(weights)."""
    total = sum(weights)
    if not 0 <= amount <= total:
        raise ValueError(f"cannot allocate {amount} over weights summing to {total}")
    if total == 0:
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    left = amount - sum(parts)
    for i in remainders:
        if left == 0:
            break
        if parts[i] < weights[i]:
            parts[i] += 1
            left -= 1
    return parts


def scaled_commission(commission: int, gross_before: int, gross_after: int) -> int:
    """Commission on a share reduced by a refund: in proportion, rounded down (the platform
    never keeps commission on money it gave back)."""
    if gross_before == 0:
        return 0
    return commission * gross_after // gross_before
