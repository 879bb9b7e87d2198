"""A fitted scorecard as plain data, and scoring with it. Pure Python (no numpy, no
optbinning at scoring time): a lender can read every bin and its points in the artifact.

Score = Σ points of the bin each feature falls in. Points come from weight of evidence ×
logistic coefficient, scaled so that `pdo` points double the odds of good and `points`
means odds of `odds`:1 (see market.credit.training). PD = 1 / (1 + exp((score − offset) / factor)).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from market.credit.featureset import BY_NAME

ARTIFACTS = Path(__file__).with_name("scorecards")
DEFAULT_VERSION_FILE = ARTIFACTS / "CURRENT"

# rating grades by probability of default within 12 months (upper bounds, exclusive)
GRADES: tuple[tuple[str, float], ...] = (
    ("AAA", 0.005), ("AA", 0.01), ("A", 0.02), ("BBB", 0.04), ("BB", 0.08), ("B", 0.15),
    ("CCC", 0.25), ("CC", 0.40), ("C", 1.01),
)


@dataclass(frozen=True)
class Bin:
    upper: float | None  # value < upper falls here; None: the last bin (to +inf)
    points: float
    woe: float
    event_rate: float
    count: int


@dataclass(frozen=True)
class FeatureCard:
    name: str
    coefficient: float
    bins: tuple[Bin, ...]
    missing_points: float

    def bin_of(self, value: float | None) -> int | None:
        """Index of the bin `value` falls in; None for missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        for i, b in enumerate(self.bins):
            if b.upper is None or value < b.upper:
                return i
        return len(self.bins) - 1

    def points(self, value: float | None) -> float:
        i = self.bin_of(value)
        return self.missing_points if i is None else self.bins[i].points

    @property
    def max_points(self) -> float:
        return max([b.points for b in self.bins] + [self.missing_points])


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float | None
    points: float
    max_points: float
    bin: int | None

    @property
    def shortfall(self) -> float:
        return self.max_points - self.points


@dataclass(frozen=True)
class Result:
    version: str
    score: int
    pd: float
    grade: str
    contributions: tuple[Contribution, ...]

    def reasons(self, n: int = 4) -> list[Contribution]:
        """The features with data that pulled the score down most (points below their best
        bin). A missing feature earns the missing bin's points (the average applicant's),
        which is no finding about the factory: it is listed by `missing`, never as a reason."""
        ranked = sorted((c for c in self.contributions if c.value is not None and c.shortfall > 0.5),
                        key=lambda c: (-c.shortfall, c.feature))
        return ranked[:n]

    def missing(self) -> list[Contribution]:
        """The features without data, scored in their missing bin."""
        return [c for c in self.contributions if c.value is None]


@dataclass(frozen=True)
class Scorecard:
    version: str
    pdo: float
    odds: float
    base_points: float
    features: tuple[FeatureCard, ...]
    metrics: dict
    trained: dict  # how it was made: source, seed, rows, library versions

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.odds)

    def pd_of(self, score: float) -> float:
        return 1.0 / (1.0 + math.exp((score - self.offset) / self.factor))

    def score(self, values: dict[str, float | None]) -> Result:
        contributions = tuple(
            Contribution(f.name, values.get(f.name), f.points(values.get(f.name)), f.max_points,
                         f.bin_of(values.get(f.name)))
            for f in self.features)
        total = sum(c.points for c in contributions)
        pd = self.pd_of(total)
        return Result(self.version, round(total), pd, grade_of(pd), contributions)

    def to_dict(self) -> dict:
        return {
            "version": self.version, "pdo": self.pdo, "odds": self.odds, "base_points": self.base_points,
            "metrics": self.metrics, "trained": self.trained,
            "features": [{"name": f.name, "coefficient": f.coefficient, "missing_points": f.missing_points,
                          "bins": [b.__dict__ for b in f.bins]} for f in self.features],
        }

    @classmethod
    def from_dict(cls, d: dict) -> Scorecard:
        feats = []
        for f in d["features"]:
            if f["name"] not in BY_NAME:
                raise ValueError(f"scorecard {d.get('version')} uses unknown feature {f['name']!r}")
            feats.append(FeatureCard(f["name"], f["coefficient"], tuple(Bin(**b) for b in f["bins"]), f["missing_points"]))
        return cls(d["version"], d["pdo"], d["odds"], d["base_points"], tuple(feats), d["metrics"], d["trained"])


def grade_of(pd: float) -> str:
    for grade, upper in GRADES:
        if pd < upper:
            return grade
    return GRADES[-1][0]


def save(card: Scorecard, directory: Path = ARTIFACTS, *, make_current: bool = True) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{card.version}.json"
    path.write_text(json.dumps(card.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    if make_current:
        (directory / "CURRENT").write_text(card.version + "\n", encoding="utf-8")
    return path


@cache
def load(version: str | None = None, directory: Path = ARTIFACTS) -> Scorecard:
    """The scorecard `version` (default: the one named in CURRENT)."""
    version = version or (directory / "CURRENT").read_text(encoding="utf-8").strip()
    path = directory / f"{version}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no scorecard {version!r} in {directory}")
    return Scorecard.from_dict(json.loads(path.read_text(encoding="utf-8")))
