"""Benchmark: samplers against the exact Pareto front of an enumerable space, and the speed
and memory of the analytic evaluation and of long studies.

Run: ``python bench/dse_samplers.py [--spec examples/systolic_dnn.toml] [--seeds 5]
[--budget 200] [--samplers random tpe nsga2 gp] [--out bench/results]``

1. Exhaustive: every point of the spec's space through the analytic models (points per
   second); the feasible Pareto front; its hypervolume in log10 objectives (they span
   orders of magnitude) normalized to [0, 1] by the feasible points' range, reference point
   1.1 in each.
2. Per sampler and seed: an in-memory study searched as ``hwdse explore`` does up to
   ``budget`` distinct designs (repeats answered from the study); the hypervolume of the
   feasible front after n distinct designs, as a fraction of the exact front's, and the
   proposals it took. Then ``--sampler exhaustive`` on the same space.
3. Speed: a 1,000-trial TPE study (wall time), and peak memory (max RSS) of a 10,000-trial
   random-sampler study on a journal file, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import machine

from dse.spec import Spec, load_spec
from dse.study import holds_design, make_searcher, search, stop_reason
from hw.params import ParamError

CHECKPOINTS = (10, 20, 50, 100, 150, 200, 300, 500)


def exhaustive(spec: Spec) -> tuple[np.ndarray, float, int]:
    """Objective vectors (to minimize) of every feasible point, points per second, points."""
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in spec.directions])
    rows = []
    start = time.perf_counter()
    count = 0
    for point in spec.space.points():
        count += 1
        try:
            params = spec.space.params(point)
        except ParamError:
            continue
        metrics = spec.evaluate(params)
        if all(c.violation(metrics[c.metric]) <= 0 for c in spec.constraints):
            rows.append([metrics[name] for name in spec.objective_names])
    rate = count / (time.perf_counter() - start)
    return np.array(rows) * signs, rate, count


def pareto_mask(values: np.ndarray) -> np.ndarray:
    keep = np.ones(len(values), dtype=bool)
    for i, row in enumerate(values):
        if keep[i]:
            dominated = np.all(values >= row, axis=1) & np.any(values > row, axis=1)
            keep &= ~dominated
    return keep


def log_objectives(values: np.ndarray) -> np.ndarray:
    """log10 of objectives to minimize (negated maximized ones keep their sign)."""
    return np.sign(values) * np.log10(np.abs(values) + 1.0)


def hypervolume(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Hypervolume of the front of ``values`` in log objectives scaled by ``low``..``high``
    (the exhaustive feasible set's range of the log objectives)."""
    from optuna._hypervolume import compute_hypervolume

    if len(values) == 0:
        return 0.0
    logs = log_objectives(values)
    scaled = (logs - low) / np.where(high > low, high - low, 1.0)
    scaled = scaled[np.all(scaled <= 1.1, axis=1)]
    if len(scaled) == 0:
        return 0.0
    front = scaled[pareto_mask(scaled)]
    return float(compute_hypervolume(front, np.full(values.shape[1], 1.1)))


def run_sampler(spec: Spec, sampler: str, seed: int, budget: int, low: np.ndarray,
                high: np.ndarray, exact: float) -> dict[str, Any]:
    """An in-memory study searched as ``hwdse explore`` searches (``dse.study.search``: a
    design the study holds is not evaluated again) up to ``budget`` distinct designs; the
    hypervolume after n distinct designs, and the proposals (trials, repeats included) it
    took."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in spec.directions])
    searcher = make_searcher(sampler, seed)
    study = optuna.create_study(directions=spec.directions, sampler=searcher.sampler())
    start = time.perf_counter()
    search(spec, study, searcher, budget)
    seconds = time.perf_counter() - start
    curve = {}
    feasible: list[list[float]] = []
    trials = study.get_trials(deepcopy=False)
    designs = [t for t in trials if holds_design(t)]
    for index, trial in enumerate(designs, start=1):
        violations = [v for k, v in trial.system_attrs.items() if k.startswith("constraints:")]
        if trial.values is not None and all(v <= 0 for v in violations):
            feasible.append(list(np.array(trial.values) * signs))
        if index in CHECKPOINTS:
            curve[index] = hypervolume(np.array(feasible), low, high) / exact
    return {"sampler": sampler, "seed": seed, "seconds": round(seconds, 2),
            "distinct_designs": len(designs), "proposals": len(trials),
            "stopped": stop_reason(study), "hv_ratio": curve}


def run_exhaustive(spec: Spec) -> dict[str, Any]:
    """``--sampler exhaustive`` on an in-memory study: seconds, points, front designs."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    searcher = make_searcher("exhaustive", 0)
    study = optuna.create_study(directions=spec.directions, sampler=searcher.sampler())
    with tempfile.TemporaryDirectory(prefix="hwdse-bench-") as run:
        start = time.perf_counter()
        search(spec, study, searcher, 1, run_dir=Path(run))
        seconds = time.perf_counter() - start
    summary = study.user_attrs["exhaustive"]
    return {"seconds": round(seconds, 2), "points": summary["points"],
            "front": summary["front"]}


def timed_study(spec_path: Path, sampler: str, trials: int) -> dict[str, Any]:
    """A CLI study in a fresh process: wall time and that process's peak memory (max RSS)."""
    import os

    with tempfile.TemporaryDirectory(prefix="hwdse-bench-") as run:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "explore",
                                    str(spec_path), "--run-dir", run, "--trials", str(trials),
                                    "--sampler", sampler, "--verify", "0", "--json"],
                                   stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"the {trials}-trial study failed ({process.returncode})")
    return {"sampler": sampler, "trials": trials, "seconds": round(seconds, 1),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("examples/systolic_dnn.toml"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--samplers", nargs="+", default=["random", "tpe", "nsga2", "gp"])
    parser.add_argument("--gp-seeds", type=int, default=None,
                        help="seeds for the GP sampler (slow: its cost grows with trials)")
    parser.add_argument("--skip-long", action="store_true", help="skip the 1k / 10k studies")
    parser.add_argument("--long-only", action="store_true",
                        help="rerun only the 1k / 10k studies into the recorded results")
    parser.add_argument("--add", action="store_true",
                        help="run only --samplers and add their runs to the recorded results "
                             "(replacing earlier runs of those samplers), written after each "
                             "run")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    if args.add:
        add_runs(args)
        return
    if args.long_only:
        record = json.loads((args.out / "dse_samplers.json").read_text())
        record["long"] = [timed_study(args.spec, "tpe", 1000),
                          timed_study(args.spec, "random", 10_000)]
        record["long_machine"] = machine()
        record["long_command"] = " ".join([sys.executable, *sys.argv])
        (args.out / "dse_samplers.json").write_text(json.dumps(record, indent=1) + "\n")
        samplers = list(dict.fromkeys(r["sampler"] for r in record["runs"]))
        (args.out / "dse_samplers.md").write_text(_summary(record, samplers))
        print(_summary(record, samplers))
        return
    spec = load_spec(args.spec)
    before = machine()
    values, rate, points = exhaustive(spec)
    front = values[pareto_mask(values)]
    logs = log_objectives(values)
    low, high = logs.min(axis=0), logs.max(axis=0)
    exact = hypervolume(values, low, high)
    print(f"{points} points, {len(values)} feasible, front {len(front)}, "
          f"{rate:.0f} evaluations/s", flush=True)
    runs = []
    for sampler in args.samplers:
        seeds = args.gp_seeds if sampler == "gp" and args.gp_seeds is not None else args.seeds
        for seed in range(seeds):
            row = run_sampler(spec, sampler, seed, args.budget, low, high, exact)
            runs.append(row)
            print(json.dumps(row), flush=True)
    long_runs = [] if args.skip_long else [timed_study(args.spec, "tpe", 1000),
                                           timed_study(args.spec, "random", 10_000)]
    for row in long_runs:
        print(json.dumps(row), flush=True)
    exhaustive_run = run_exhaustive(spec)
    record = {"benchmark": "dse_samplers", "command": " ".join([sys.executable, *sys.argv]),
              "date": time.strftime("%Y-%m-%d"), "machine": before, "spec": str(args.spec),
              "points": points, "feasible": len(values), "front": len(front),
              "evaluations_per_second": round(rate), "runs": runs, "long": long_runs,
              "exhaustive": exhaustive_run}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dse_samplers.json").write_text(json.dumps(record, indent=1) + "\n")
    summary = _summary(record, args.samplers)
    (args.out / "dse_samplers.md").write_text(summary)
    _plot(record, args.samplers, args.out / "dse_samplers.png")
    print(summary)


def add_runs(args: argparse.Namespace) -> None:
    """``--add``: the given samplers' runs into the recorded results, one run at a time
    (a long GP study leaves every finished seed recorded)."""
    path = args.out / "dse_samplers.json"
    record = json.loads(path.read_text())
    spec = load_spec(Path(record["spec"]))
    values, _, _ = exhaustive(spec)
    logs = log_objectives(values)
    low, high = logs.min(axis=0), logs.max(axis=0)
    exact = hypervolume(values, low, high)
    record["runs"] = [r for r in record["runs"] if r["sampler"] not in args.samplers]
    command = " ".join([sys.executable, *sys.argv])
    record["added"] = [a for a in record.get("added", []) if a["samplers"] != args.samplers]
    record["added"].append({"samplers": args.samplers, "command": command,
                            "machine": machine(), "date": time.strftime("%Y-%m-%d")})
    for sampler in args.samplers:
        seeds = args.gp_seeds if sampler == "gp" and args.gp_seeds is not None else args.seeds
        for seed in range(seeds):
            row = run_sampler(spec, sampler, seed, args.budget, low, high, exact)
            record["runs"].append(row)
            print(json.dumps(row), flush=True)
            samplers = list(dict.fromkeys(r["sampler"] for r in record["runs"]))
            path.write_text(json.dumps(record, indent=1) + "\n")
            (args.out / "dse_samplers.md").write_text(_summary(record, samplers))
            _plot(record, samplers, args.out / "dse_samplers.png")


def _summary(record: dict[str, Any], samplers: list[str]) -> str:
    checkpoints = sorted({int(n) for r in record["runs"] for n in r["hv_ratio"]})
    lines = [f"Space `{record['spec']}`: {record['points']} points, {record['feasible']} "
             f"feasible, exact front {record['front']} designs; analytic evaluation "
             f"{record['evaluations_per_second']} points/s (exhaustive loop).", "",
             "Hypervolume of the feasible front found after n distinct designs (a design "
             "the study holds is not evaluated again: budgets count distinct designs), as a "
             "fraction of the exact front's (mean ± standard deviation over seeds); "
             "proposals: the trials the sampler asked for to reach the budget, repeats "
             "included:", "",
             "| sampler | " + " | ".join(f"n={n}" for n in checkpoints)
             + " | proposals | s/study |",
             "|---" * (len(checkpoints) + 3) + "|"]
    for sampler in samplers:
        rows = [r for r in record["runs"] if r["sampler"] == sampler]
        cells = []
        for n in checkpoints:
            ratios = [_ratio(r, n) for r in rows if _ratio(r, n) is not None]
            cells.append(f"{statistics.mean(ratios):.3f} ± {statistics.pstdev(ratios):.3f}"
                         if ratios else "")
        seconds = statistics.mean(r["seconds"] for r in rows)
        proposals = statistics.mean(r.get("proposals", 0) for r in rows)
        lines.append(f"| {sampler} | " + " | ".join(cells)
                     + f" | {proposals:.0f} | {seconds:.1f} |")
    if record.get("exhaustive"):
        run = record["exhaustive"]
        lines += ["", f"- `--sampler exhaustive`: all {run['points']} points, the exact front "
                  f"({run['front']} designs) stored, in {run['seconds']} s."]
    for row in record["long"]:
        lines.append("")
        lines.append(f"- {row['trials']}-trial {row['sampler']} study (`hwdse explore`, journal "
                     f"file, fresh process): {row['seconds']} s, peak memory (max RSS) "
                     f"{row['peak_rss_mib']} MiB.")
    m = record["machine"]
    lines += ["", f"Machine: {m['cpu']}, {m['cores']} cores, load average "
              f"{m['load_average_1m']} at the start. Command: `{record['command']}`."]
    for added in record.get("added", []):
        seeds = sum(r["sampler"] in added["samplers"] for r in record["runs"])
        lines += ["", f"{', '.join(added['samplers'])} ({seeds} run{'s' * (seeds != 1)}; "
                  "one run shows no spread) added on "
                  f"{added['date']}, load average {added['machine']['load_average_1m']} at "
                  f"the start: `{added['command']}`."]
    return "\n".join(lines) + "\n"


def _ratio(row: dict[str, Any], n: int) -> float | None:
    """A run's hypervolume ratio at ``n`` evaluations (JSON turns the keys into strings)."""
    curve = row["hv_ratio"]
    value = curve.get(n, curve.get(str(n)))
    return None if value is None else float(value)


def _plot(record: dict[str, Any], samplers: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for sampler in samplers:
        rows = [r for r in record["runs"] if r["sampler"] == sampler]
        checkpoints = sorted({int(n) for r in rows for n in r["hv_ratio"]})
        means = [statistics.mean(_ratio(r, n) or 0.0 for r in rows) for n in checkpoints]
        spread = [statistics.pstdev([_ratio(r, n) or 0.0 for r in rows]) for n in checkpoints]
        axis.errorbar(checkpoints, means, yerr=spread, label=sampler, capsize=3)
    axis.set_xlabel("distinct designs evaluated")
    axis.set_ylabel("hypervolume / exact front's")
    axis.set_xscale("log")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
