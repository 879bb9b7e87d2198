"""Acceptance sampling by attributes per ISO 2859-1 (identical tables: ANSI/ASQ Z1.4,
GB/T 2828.1): single sampling, normal inspection, general inspection level II.

No maintained Python library implements these tables (PyPI has one-release calculators), so
they are encoded here as data: Table 1 (lot size -> sample size code letter) and Table 2-A
(code letter + AQL -> sample size, Ac, Re). Table 2-A is constant along its diagonals: each
code letter's sample size is one step of the R5 series above the previous one, and so is
each AQL, so a cell depends only on (letter position + AQL position). Read along a row from
the first cell with Ac 0, the cells are 0/1, ↑, ↓, 1/2, 2/3, 3/4, 5/6, 7/8, 10/11, 14/15,
21/22 and ↑ beyond; ↓ before. An arrow means: use the first plan below (↓) or above (↑) it,
with that plan's sample size. Pure: no Flask, no database.

AQLs above 10 exist in the standard only for nonconformities per 100 units; we inspect
nonconforming items, so 0.010 … 10 are offered."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LEVEL = "II"
CODE_LETTERS = "ABCDEFGHJKLMNPQR"
SAMPLE_SIZES = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
# Table 1, general inspection level II: (largest lot size, code letter); larger lots: Q
LEVEL_II = ((8, "A"), (15, "B"), (25, "C"), (50, "D"), (90, "E"), (150, "F"), (280, "G"), (500, "H"),
            (1200, "J"), (3200, "K"), (10000, "L"), (35000, "M"), (150000, "N"), (500000, "P"))
AQLS = ("0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
        "1.0", "1.5", "2.5", "4.0", "6.5", "10")
# a Table 2-A cell by its diagonal d = letter position + AQL position - 14 (J at 0.15 is 0/1)
_UP, _DOWN = "up", "down"
_DIAGONAL = ((0, 1), _UP, _DOWN, (1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (10, 11), (14, 15), (21, 22))
_OFFSET = 14


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    aql: str
    code_letter: str  # Table 1's letter for the lot size
    plan_letter: str  # the letter whose plan applies after following Table 2-A's arrows
    sample_size: int  # never more than the lot: a plan asking for more inspects every item
    ac: int  # accept with at most this many nonconforming items in the sample
    re: int  # reject with this many or more

    def judge(self, nonconforming: int) -> str:
        """'pass' or 'fail' for the nonconforming items found in the sample."""
        if not 0 <= nonconforming <= self.sample_size:
            raise ValueError(f"{nonconforming} nonconforming items in a sample of {self.sample_size}")
        return "pass" if nonconforming <= self.ac else "fail"

    def to_dict(self) -> dict:
        """Integers and strings only (it goes onto the ledger)."""
        return {"standard": "ISO 2859-1", "level": LEVEL, "inspection": "normal", "sampling": "single",
                "lotSize": self.lot_size, "aql": self.aql, "codeLetter": self.code_letter,
                "planLetter": self.plan_letter, "sampleSize": self.sample_size, "ac": self.ac, "re": self.re}


def normalize_aql(text: str) -> str | None:
    """The table's spelling of an AQL typed as '1', '1.00' or '0.1', or None when the table has none."""
    try:
        value = Decimal(str(text).strip())
    except ArithmeticError:
        return None
    return next((a for a in AQLS if Decimal(a) == value), None)


def code_letter(lot_size: int) -> str:
    """Table 1, general inspection level II."""
    if lot_size < 2:
        raise ValueError(f"lot size {lot_size} is below the table's smallest lot (2)")
    return next((letter for top, letter in LEVEL_II if lot_size <= top), "Q")


def plan(lot_size: int, aql: str) -> SamplingPlan:
    """The single sampling plan for normal inspection at level II (Table 1, then Table 2-A)."""
    column = AQLS.index(aql) if aql in AQLS else None
    if column is None:
        raise ValueError(f"AQL {aql!r} is not one of the table's {', '.join(AQLS)}")
    letter = code_letter(lot_size)
    row = CODE_LETTERS.index(letter)
    direction = None
    while True:
        cell = _cell(row, column)
        if isinstance(cell, tuple):
            break
        # row A has no plan above it: its up arrows lead down the column instead
        direction = direction or (_DOWN if cell == _UP and row == 0 else cell)
        row += 1 if direction == _DOWN else -1
    n = SAMPLE_SIZES[row]
    return SamplingPlan(lot_size, aql, letter, CODE_LETTERS[row], min(n, lot_size), *cell)


def _cell(row: int, column: int):
    d = row + column - _OFFSET
    if d < 0:
        return _DOWN
    return _DIAGONAL[d] if d < len(_DIAGONAL) else _UP
