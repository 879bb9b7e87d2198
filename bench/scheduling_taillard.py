"""Taillard ta01–ta10 (15x15) with the strong CP-SAT model vs the bare textbook model.

Both models get the same budget in the same run.  Prints makespan, gap to the best-known
(proven optimal) makespan, and the bare model's gap; then the means and their ratio.

    python bench/scheduling_taillard.py [--time-limit 60] [--workers 2] [--seed 0] [--only ta01,ta02]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from scheduling.params import SolverParams  # noqa: E402
from scheduling.shop import ShopProblem, solve_shop  # noqa: E402
from scheduling.taillard import generate  # noqa: E402

DATA = pathlib.Path("/work/shared/data/taillard_ta01_ta10.json")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated instance names")
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args()
    spec = json.loads(pathlib.Path(args.data).read_text())
    names = [n for n in sorted(spec["instances"]) if not args.only or n in args.only.split(",")]
    params = SolverParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    print(f"Taillard {spec['jobs']}x{spec['machines']}, {args.time_limit:g} s, {args.workers} workers, seed {args.seed}")
    print(f"{'inst':5} {'best':>5} | {'strong':>6} {'gap%':>6} {'lb':>5} {'status':>8} | {'bare':>6} {'gap%':>6} {'lb':>5} {'status':>8}")
    rows = []
    started = time.perf_counter()
    for name in names:
        inst = spec["instances"][name]
        ta = generate(spec["jobs"], spec["machines"], inst["time_seed"], inst["machine_seed"])
        problem = ShopProblem.from_jobshop(ta.num_machines, ta.jobs)
        best = inst["best_known"]
        strong = solve_shop(problem, params, model="strong")
        bare = solve_shop(problem, params, model="bare")
        gs, gb = 100 * (strong.makespan / best - 1), 100 * (bare.makespan / best - 1)
        rows.append({"instance": name, "best_known": best, "strong": strong.makespan, "strong_gap_pct": round(gs, 3),
                     "strong_lb": strong.lower_bound, "strong_status": strong.status.value,
                     "bare": bare.makespan, "bare_gap_pct": round(gb, 3), "bare_lb": bare.lower_bound,
                     "bare_status": bare.status.value, "greedy": strong.greedy_makespan})
        print(f"{name:5} {best:5} | {strong.makespan:6} {gs:6.2f} {strong.lower_bound:5} {strong.status.value:>8} | "
              f"{bare.makespan:6} {gb:6.2f} {bare.lower_bound:5} {bare.status.value:>8}", flush=True)
    mean_s = sum(r["strong_gap_pct"] for r in rows) / len(rows)
    mean_b = sum(r["bare_gap_pct"] for r in rows) / len(rows)
    print(f"mean gap: strong {mean_s:.2f}%  bare {mean_b:.2f}%  (target strong <= 1.00%)")
    print(f"ratio strong/bare mean gap: {mean_s / mean_b:.2f}" if mean_b else "ratio: bare gap is 0")
    print(json.dumps({"time_limit_s": args.time_limit, "workers": args.workers, "seed": args.seed,
                      "mean_gap_strong_pct": round(mean_s, 3), "mean_gap_bare_pct": round(mean_b, 3),
                      "wall_s": round(time.perf_counter() - started, 1), "rows": rows}))


if __name__ == "__main__":
    main()
