"""Taillard job-shop instances: our engine vs the bare textbook CP-SAT model vs PyJobShop.

Every method gets the same time limit and workers in the same run; the order of the methods
rotates from one instance to the next so that load drifts on a shared machine hit each alike.
Every schedule goes through the independent checker (scheduling.shop_check).  Prints, per
instance, each method's makespan and gap to the best-known (optimal) makespan, our lower
bound; then the mean gaps, the ratios against the textbook model, and on how many instances
ours is strictly ahead of each peer.

Methods: ``hybrid`` (the default engine: tabu + CP-SAT LNS + hinted full model),
``strong`` (the CP-SAT model with greedy hint and tightened domains), ``bare`` (the textbook
model: intervals + NoOverlap + precedence + makespan), ``pyjobshop`` (PyJobShop's model on
OR-Tools; needs the [bench] extra).

    python bench/scheduling_taillard.py [--set ta11-ta20|ta01-ta10] [--time-limit 60] [--workers 2]
        [--seed 0] [--only ta11,ta12] [--methods hybrid,bare,pyjobshop]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from scheduling.params import SolverParams  # noqa: E402
from scheduling.shop import ShopOperation, ShopProblem, solve_shop  # noqa: E402
from scheduling.shop_check import check_shop  # noqa: E402
from scheduling.shop_hybrid import lower_bound  # noqa: E402
from scheduling.taillard import generate  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent / "data"
SETS = {"ta01-ta10": DATA / "taillard_ta01_ta10.json", "ta11-ta20": DATA / "taillard_ta11_ta20.json"}


def solve_pyjobshop(problem: ShopProblem, params: SolverParams):
    """PyJobShop's job-shop model (machines, one mode per task, end-before-start)."""
    from pyjobshop import Model

    model = Model()
    machines = [model.add_machine() for _ in range(problem.num_machines)]
    tasks = []
    for job in problem.jobs:
        pj = model.add_job()
        row = []
        for alternatives in job:
            task = model.add_task(job=pj)
            for m, d in alternatives:
                model.add_mode(task, machines[m], d)
            row.append(task)
        for a, b in zip(row, row[1:]):
            model.add_end_before_start(a, b)
        tasks.append(row)
    result = model.solve("ortools", time_limit=params.time_limit_s, display=False, num_workers=params.workers)
    flat = [(j, k) for j, row in enumerate(tasks) for k in range(len(row))]
    schedule = []
    for (j, k), data in zip(flat, result.best.tasks):
        machine = model.modes[data.mode].resources[0]
        schedule.append(ShopOperation(j, k, machine, data.start, data.end))
    return result.best.makespan, int(result.lower_bound), schedule


def run_method(method: str, problem: ShopProblem, params: SolverParams):
    started = time.perf_counter()
    if method == "pyjobshop":
        makespan, bound, schedule = solve_pyjobshop(problem, params)
    else:
        solution = solve_shop(problem, params, model=method)
        makespan, bound, schedule = solution.makespan, solution.lower_bound, solution.schedule
    wall = time.perf_counter() - started
    errors = check_shop(problem, schedule, makespan)
    if errors:
        raise SystemExit(f"{method}: checker found {len(errors)} violations, first: {errors[0]}")
    return makespan, bound, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=sorted(SETS), default="ta11-ta20")
    ap.add_argument("--data", default=None, help="a JSON file like bench/data/taillard_*.json")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated instance names")
    ap.add_argument("--methods", default="hybrid,bare,pyjobshop")
    args = ap.parse_args()
    spec = json.loads(pathlib.Path(args.data or SETS[args.set]).read_text())
    names = [n for n in sorted(spec["instances"]) if not args.only or n in args.only.split(",")]
    methods = args.methods.split(",")
    ours, peers = methods[0], methods[1:]
    params = SolverParams(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    print(f"Taillard {spec['jobs']}x{spec['machines']}, {args.time_limit:g} s, {args.workers} workers, "
          f"seed {args.seed}, load {os.getloadavg()[0]:.1f}; every schedule checker-clean")
    print(f"{'inst':5} {'best':>5} {'ourLB':>5} | " + " | ".join(f"{m:>9} {'gap%':>6}" for m in methods))
    rows = []
    started = time.perf_counter()
    for i, name in enumerate(names):
        inst = spec["instances"][name]
        ta = generate(spec["jobs"], spec["machines"], inst["time_seed"], inst["machine_seed"])
        problem = ShopProblem.from_jobshop(ta.num_machines, ta.jobs)
        best = inst["best_known"]
        row = {"instance": name, "best_known": best, "load": round(os.getloadavg()[0], 1)}
        for method in methods[i % len(methods):] + methods[:i % len(methods)]:
            makespan, bound, wall = run_method(method, problem, params)
            row[method] = {"makespan": makespan, "gap_pct": round(100 * (makespan / best - 1), 3),
                           "lower_bound": bound, "wall_s": round(wall, 1)}
        row["lower_bound"] = max(lower_bound(problem), row[ours]["lower_bound"])
        if row["lower_bound"] > best:
            raise SystemExit(f"{name}: lower bound {row['lower_bound']} above the optimum {best}")
        rows.append(row)
        print(f"{name:5} {best:5} {row['lower_bound']:5} | "
              + " | ".join(f"{row[m]['makespan']:9} {row[m]['gap_pct']:6.2f}" for m in methods), flush=True)
    means = {m: sum(r[m]["gap_pct"] for r in rows) / len(rows) for m in methods}
    print("mean gap: " + "  ".join(f"{m} {g:.2f}%" for m, g in means.items()))
    for p in peers:
        ahead = sum(r[ours]["makespan"] < r[p]["makespan"] for r in rows)
        tied = sum(r[ours]["makespan"] == r[p]["makespan"] for r in rows)
        ratio = f"{means[ours] / means[p]:.2f}" if means[p] else "n/a (peer gap 0)"
        print(f"{ours} vs {p}: ahead on {ahead}/{len(rows)}, tied {tied}; mean-gap ratio {ratio}")
    print(json.dumps({"set": args.set, "time_limit_s": args.time_limit, "workers": args.workers, "seed": args.seed,
                      "mean_gap_pct": {m: round(g, 3) for m, g in means.items()},
                      "wall_s": round(time.perf_counter() - started, 1), "rows": rows}))


if __name__ == "__main__":
    main()
