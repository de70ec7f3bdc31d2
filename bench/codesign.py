"""Benchmark: joint network x hardware search against sequential search (network first,
then hardware) at the same evaluation budget, on the two-task CAN + digits co-design spec
(NASAIC's comparison, on real training and the hardware models).

For each searcher and seed, both methods get ``--trials`` evaluations (sequential: half
for the networks, half for the hardware of the most accurate one). Each run's outcome is
its best feasible design (highest mean validation accuracy meeting every budget). The
outcomes of every run, and up to ``--verify`` Pareto designs of each joint run, are then
checked in RTL simulation on real test inputs (bit-exact against the integer networks,
cycles against the models).

Run: ``python bench/codesign.py [--spec examples/codesign_can_digits.toml] [--trials 60]
[--seeds 0 1 2] [--samplers tpe random] [--verify 2] [--out bench/results]``

Writes ``<out>/<name>.{json,md}`` (default ``codesign``); studies go to ``--run-dir``
(default ``runs/bench-codesign/``; journal files: an interrupted benchmark resumes).
``bench/specs/codesign_can_digits_loose.toml`` is the same space with budgets loose
enough for the most accurate networks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import machine

from dse.codesign.search import METHODS, outcome, run_search
from dse.fidelity import pareto_trials, pick_spread
from dse.records import ATTR_METRICS, CheckOptions
from dse.spec import load_spec
from hw.params import ParamError


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def summarize(runs: list[dict[str, Any]], tasks: list[str]) -> list[dict[str, Any]]:
    """Per (sampler, method): how often the budgets were met, and the mean outcome."""
    rows = []
    for sampler in dict.fromkeys(r["sampler"] for r in runs):
        for method in METHODS:
            group = [r for r in runs if r["sampler"] == sampler and r["method"] == method]
            met = [r for r in group if r["outcome"]["met_budgets"]]
            best = [r["outcome"]["best"]["metrics"] for r in met]
            row: dict[str, Any] = {
                "sampler": sampler, "method": method, "runs": len(group),
                "met_budgets": len(met),
                "feasible_trial_rate": _mean([r["outcome"]["feasible_rate"] for r in group]),
                "invalid_trials": _mean([r["outcome"]["invalid_trials"] for r in group]),
                "accuracy": _mean([m["accuracy"] for m in best]),
                "lut": _mean([m["lut"] for m in best]),
            }
            for task in tasks:
                row[f"{task}.test_accuracy"] = _mean([m[f"{task}.test_accuracy"]
                                                      for m in best])
                row[f"{task}.latency_cycles"] = _mean([m[f"{task}.latency_cycles"]
                                                       for m in best])
            rows.append(row)
    return rows


def markdown(result: dict[str, Any]) -> str:
    tasks = result["tasks"]
    spec = result["spec"]
    lines = ["# Co-design: joint vs sequential search at equal evaluation budget", "",
             f"Command: `{result['command']}`  ",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
             f"load {result['machine']['load_average_1m']}; {result['date']}; "
             f"{result['seconds']:.0f} s for this pass (an interrupted benchmark resumes; the "
             f"searches took {sum(r['seconds'] for r in result['runs']):.0f} s by their "
             "trials' time stamps, training only networks not already cached)  ",
             f"Spec: `{result['spec_path']}` ({spec['describe']}); budgets: "
             + ", ".join(spec["constraints"]) + f"; objectives: {', '.join(spec['objectives'])}",
             "", f"Each run: {result['trials']} evaluations (one candidate each: trained "
             "networks, hardware models). Sequential: the first half searches the networks "
             "alone for mean validation accuracy, the second half the hardware of the most "
             "accurate one. Outcome of a run: its best feasible design (highest mean "
             "validation accuracy within every budget); accuracies below are on the test "
             "split, latencies in cycles per inference, LUTs of both sub-accelerators "
             "(area model). Rejected evaluations: designs the precision check refused "
             "before training (they count toward the budget); the sequential hardware "
             "phase leaves out precisions its network cannot use.", "",
             "| searcher | method | runs meeting budgets | rejected evaluations (mean) | "
             "feasible / evaluated trials | mean accuracy (val) | "
             + " | ".join(f"{t} test acc. | {t} latency" for t in tasks) + " | LUTs |",
             "|---" * (6 + 2 * len(tasks) + 1) + "|"]
    for row in result["summary"]:
        lines.append(
            f"| {row['sampler']} | {row['method']} | {row['met_budgets']} / {row['runs']} | "
            f"{_fmt(row['invalid_trials'], 3)} | "
            f"{_fmt(100 * row['feasible_trial_rate'], 3)}% | {_fmt(row['accuracy'])} | "
            + " | ".join(f"{_fmt(row[f'{t}.test_accuracy'])} | "
                         f"{_fmt(row[f'{t}.latency_cycles'])}" for t in tasks)
            + f" | {_fmt(row['lut'], 5)} |")
    lines += ["", "## Runs", "",
              "| searcher | seed | method | sequential's network (any hardware within "
              "budget? exhaustive) | best design | accuracy | LUTs | RTL check |",
              "|---|---|---|---|---|---|---|---|"]
    for run in result["runs"]:
        out = run["outcome"]
        network = ""
        if out["network_point"]:
            network = ", ".join(f"{k}={v}" for k, v in out["network_point"].items())
            reach = run.get("reachable")
            if reach is not None:
                network += (f" (**yes**, smallest {_fmt(reach['smallest_lut'], 5)} LUTs)"
                            if reach["reachable"] else
                            " (no: " + ("no hardware meets a task's own budgets"
                                        if reach["smallest_lut"] is None else
                                        f"smallest {_fmt(reach['smallest_lut'], 5)} LUTs")
                            + ")")
        best = out["best"]
        design = "none meets the budgets"
        acc = lut = check = "-"
        if best:
            design = ", ".join(f"{k}={v}" for k, v in best["params"].items())
            acc, lut = _fmt(best["metrics"]["accuracy"]), _fmt(best["metrics"]["lut"], 5)
            check = _verdict(run.get("check"))
        lines.append(f"| {run['sampler']} | {run['seed']} | {run['method']} | {network} | "
                     f"{design} | {acc} | {lut} | {check} |")
    lines += ["", "## Pareto designs of the joint runs, checked in RTL simulation", "",
              "| searcher | seed | trial | accuracy | LUTs | design | RTL check |",
              "|---|---|---|---|---|---|---|"]
    for item in result["pareto_checks"]:
        lines.append(f"| {item['sampler']} | {item['seed']} | {item['trial']} | "
                     f"{_fmt(item['values'][0])} | {_fmt(item['values'][1], 5)} | "
                     + ", ".join(f"{k}={v}" for k, v in item["params"].items())
                     + f" | {_verdict(item['check'])} |")
    return "\n".join(lines) + "\n"


def _verdict(check: dict[str, Any] | None) -> str:
    if check is None:
        return "not run"
    if check["disagrees"]:
        return "**disagrees** " + (check["error"] or "")
    layers = check["layers"]
    simulated = [c for c in layers if c["agrees"] is not None]
    return (f"bit-exact, cycles = model ({len(simulated)}/{len(layers)} checks, "
            f"{layers[0]['gemm'] if layers else ''} ...)")


def reachable(spec: Any) -> dict[str, Any]:
    """Whether any hardware in the space meets the budgets for the networks fixed in
    ``spec`` (the sequential search's hardware phase), by enumerating each task's hardware
    choices on the models, one task at a time. Exact for budgets on per-task metrics plus
    an upper bound on the summed LUTs (the LUTs add up; the tasks are otherwise
    independent).

    Raises:
        ValueError: for a budget of another kind (this check would not be exact).
    """
    from dse.codesign.spec import JointSpace

    names = {t.name for t in spec.tasks}
    for c in spec.constraints:
        per_task = c.metric.split(".", 1)[0] in names
        if not per_task and not (c.metric == "lut" and c.low is None):
            raise ValueError(f"reachable() handles per-task budgets and a LUT maximum, "
                             f"not {c}")
    lut_budget = next((c.high for c in spec.constraints if c.metric == "lut"), None)
    per_task_best: dict[str, Any] = {}
    for task in spec.tasks:
        prefix = task.name + "."
        dims = tuple(d for d in spec.space.dimensions if d.name.startswith(prefix))
        fixed = {k: v for k, v in spec.space.fixed.items() if k.startswith(prefix)}
        space = JointSpace("codesign", dims, fixed, (task,), spec.space.training)
        budgets = [c for c in spec.constraints if c.metric.startswith(prefix)]
        best: dict[str, Any] | None = None
        options = 0
        for point in space.points():
            options += 1
            try:
                metrics = spec.evaluate(space.params(point))
            except ParamError:
                continue
            if all(c.violation(metrics[c.metric]) <= 0 for c in budgets) and (
                    best is None or metrics[f"{task.name}.lut"] < best["lut"]):
                best = {"lut": metrics[f"{task.name}.lut"], "point": point}
        per_task_best[task.name] = {"options": options, "smallest_feasible": best}
    smallest = [t["smallest_feasible"] for t in per_task_best.values()]
    total = None if None in smallest else sum(t["lut"] for t in smallest)  # type: ignore[index]
    return {"tasks": per_task_best, "smallest_lut": total,
            "reachable": total is not None and (lut_budget is None or total <= lut_budget)}


def _check(spec: Any, trial: Any, inputs: int) -> dict[str, Any]:
    return spec.check_design(trial, CheckOptions(inputs=inputs)).to_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("examples/codesign_can_digits.toml"))
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samplers", nargs="+", default=["tpe", "random"])
    parser.add_argument("--verify", type=int, default=2,
                        help="Pareto designs per joint run to check in RTL")
    parser.add_argument("--inputs", type=int, default=100,
                        help="test inputs per task in each RTL check")
    parser.add_argument("--run-dir", type=Path, default=Path("runs/bench-codesign"))
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--name", default="codesign", help="stem of the result files")
    args = parser.parse_args()
    start = time.monotonic()
    spec = load_spec(args.spec)
    tasks = [t.name for t in spec.tasks]
    runs: list[dict[str, Any]] = []
    pareto_checks: list[dict[str, Any]] = []
    for sampler in args.samplers:
        for seed in args.seeds:
            for method in METHODS:
                folder = args.run_dir / f"{sampler}-seed{seed}-{method}"
                began = time.monotonic()  # (a resumed run reports only its own time)
                run = run_search(spec, folder, method=method, trials=args.trials,
                                 sampler=sampler, seed=seed)
                result = outcome(run)
                entry = {"sampler": sampler, "seed": seed, "method": method,
                         "seconds": round(time.monotonic() - began, 1), "outcome": result}
                if method == "sequential":
                    entry["reachable"] = reachable(run.hardware_spec)
                if result["best"]:
                    best = next(t for t in run.study.trials
                                if t.number == result["best"]["trial"])
                    entry["check"] = _check(run.spec, best, args.inputs)
                runs.append(entry)
                print(f"{sampler} seed {seed} {method}: met={result['met_budgets']} "
                      f"feasible {result['feasible_trials']}/{result['hardware_trials']} "
                      f"({entry['seconds']} s)", file=sys.stderr, flush=True)
                if method == "joint" and args.verify:
                    study = run.study
                    for trial in pick_spread(pareto_trials(study), args.verify,
                                             [d == "maximize" for d in spec.directions]):
                        pareto_checks.append({
                            "sampler": sampler, "seed": seed, "trial": trial.number,
                            "values": list(trial.values), "params": dict(trial.params),
                            "metrics": trial.user_attrs[ATTR_METRICS],
                            "check": _check(spec, trial, args.inputs)})
    result = {
        "command": "python " + " ".join(sys.argv), "machine": machine(),
        "date": time.strftime("%Y-%m-%d"), "seconds": time.monotonic() - start,
        "spec_path": str(args.spec), "trials": args.trials, "tasks": tasks,
        "spec": {"describe": spec.describe(), "constraints": [str(c) for c in spec.constraints],
                 "objectives": [f"{m} ({d})" for m, d in spec.objectives]},
        "summary": summarize(runs, tasks), "runs": runs, "pareto_checks": pareto_checks,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=1, default=float)
                                                + "\n")
    (args.out / f"{args.name}.md").write_text(markdown(result))
    print(markdown(result))
    disagreements = [c for c in [r.get("check") for r in runs]
                     + [p["check"] for p in pareto_checks] if c and c["disagrees"]]
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
