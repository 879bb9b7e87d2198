"""Readers for the standard benchmark file formats.  Strict: any deviation is a
:class:`FormatError` naming the line and what was expected.

* ``jssp`` — OR-Library job-shop: first line ``n m``; then ``n`` lines, one per job, each
  with ``m`` pairs ``machine duration`` (machines 0-based).  Blank lines are ignored;
  anything else (comments, extra lines, extra numbers) is an error.
* ``fjsp`` — Brandimarte flexible job-shop: first line ``jobs machines [average]``; then
  one line per job: the number of operations, then per operation ``k`` followed by ``k``
  pairs ``machine duration`` (machines 1-based).
"""

from __future__ import annotations

from .shop import ShopProblem


class FormatError(ValueError):
    """A malformed benchmark file; the message says where and why."""


def _lines(text: str) -> list[tuple[int, list[str]]]:
    return [(n, line.split()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _ints(line_no: int, tokens: list[str], what: str) -> list[int]:
    out = []
    for t in tokens:
        try:
            out.append(int(t))
        except ValueError:
            raise FormatError(f"line {line_no}: {what}: expected an integer, got {t!r}") from None
    return out


def parse_jssp(text: str) -> ShopProblem:
    lines = _lines(text)
    if not lines:
        raise FormatError("empty file: expected a first line 'jobs machines'")
    n0, head = lines[0]
    if len(head) != 2:
        raise FormatError(f"line {n0}: expected 'jobs machines' (2 integers), got {len(head)} fields")
    n, m = _ints(n0, head, "header")
    if n < 1 or m < 1:
        raise FormatError(f"line {n0}: jobs ({n}) and machines ({m}) must be >= 1")
    rows = lines[1:]
    if len(rows) != n:
        raise FormatError(f"expected {n} job lines after the header, found {len(rows)}")
    jobs = []
    for j, (line_no, tokens) in enumerate(rows):
        if len(tokens) != 2 * m:
            raise FormatError(f"line {line_no}: job {j} needs {m} 'machine duration' pairs ({2 * m} integers), got {len(tokens)}")
        values = _ints(line_no, tokens, f"job {j}")
        ops = []
        for i in range(m):
            machine, duration = values[2 * i], values[2 * i + 1]
            if not 0 <= machine < m:
                raise FormatError(f"line {line_no}: job {j} operation {i}: machine {machine} not in 0..{m - 1}")
            if duration < 0:
                raise FormatError(f"line {line_no}: job {j} operation {i}: negative duration {duration}")
            ops.append((machine, duration))
        jobs.append(ops)
    return ShopProblem.from_jobshop(m, jobs)


def parse_fjsp(text: str) -> ShopProblem:
    lines = _lines(text)
    if not lines:
        raise FormatError("empty file: expected a first line 'jobs machines [average]'")
    n0, head = lines[0]
    if len(head) not in (2, 3):
        raise FormatError(f"line {n0}: expected 'jobs machines [average]', got {len(head)} fields")
    n, m = _ints(n0, head[:2], "header")
    if len(head) == 3:
        try:
            float(head[2])
        except ValueError:
            raise FormatError(f"line {n0}: average machines per operation must be a number, got {head[2]!r}") from None
    if n < 1 or m < 1:
        raise FormatError(f"line {n0}: jobs ({n}) and machines ({m}) must be >= 1")
    rows = lines[1:]
    if len(rows) != n:
        raise FormatError(f"expected {n} job lines after the header, found {len(rows)}")
    jobs = []
    for j, (line_no, tokens) in enumerate(rows):
        values = _ints(line_no, tokens, f"job {j}")
        pos = 0

        def take(what: str) -> int:
            nonlocal pos
            if pos >= len(values):
                raise FormatError(f"line {line_no}: job {j}: line ends where {what} was expected")
            pos += 1
            return values[pos - 1]

        num_ops = take("the number of operations")
        if num_ops < 1:
            raise FormatError(f"line {line_no}: job {j}: number of operations {num_ops} must be >= 1")
        ops = []
        for o in range(num_ops):
            k = take(f"the number of machines of operation {o}")
            if k < 1:
                raise FormatError(f"line {line_no}: job {j} operation {o}: number of machines {k} must be >= 1")
            alternatives = []
            for _ in range(k):
                machine = take(f"a machine of operation {o}")
                duration = take(f"a duration of operation {o}")
                if not 1 <= machine <= m:
                    raise FormatError(f"line {line_no}: job {j} operation {o}: machine {machine} not in 1..{m}")
                if duration < 0:
                    raise FormatError(f"line {line_no}: job {j} operation {o}: negative duration {duration}")
                alternatives.append((machine - 1, duration))
            ops.append(tuple(alternatives))
        if pos != len(values):
            raise FormatError(f"line {line_no}: job {j}: {len(values) - pos} unexpected extra number(s) after {num_ops} operations")
        jobs.append(tuple(ops))
    return ShopProblem(m, tuple(jobs))


PARSERS = {"jssp": parse_jssp, "fjsp": parse_fjsp}
