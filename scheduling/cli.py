"""``python -m scheduling solve FILE --format jssp|fjsp --time-limit S --workers W [--seed N]``.

Prints one JSON object (makespan, lower_bound, status, solve_time_s, schedule).  Exit
codes: 0 = a schedule was printed, 1 = no schedule found within the limit, 2 = bad input
(unreadable or malformed file, bad arguments) with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

from .formats import PARSERS, FormatError
from .params import SolverParams
from .shop import MODELS, solve_shop


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 as well; keep one line
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m scheduling", description="CP-SAT scheduling engine")
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser("solve", help="minimise the makespan of a job-shop or flexible job-shop file")
    solve.add_argument("file")
    solve.add_argument("--format", choices=sorted(PARSERS), required=True)
    solve.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    solve.add_argument("--workers", type=int, default=1, help="CP-SAT worker threads (default 1)")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--model", choices=list(MODELS), default="hybrid")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with open(args.file, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        problem = PARSERS[args.format](text)
        params = SolverParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    except (FormatError, ValueError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    solution = solve_shop(problem, params, model=args.model)
    out = {"file": args.file, "format": args.format, "model": args.model, "jobs": len(problem.jobs),
           "machines": problem.num_machines, **solution.as_dict()}
    print(json.dumps(out))
    return 0 if solution.status.has_solution else 1
