"""Benchmark: RL agents (PPO, MARL) against Optuna samplers (random, TPE, NSGA-II) on the
PIM controller's space and on the systolic array's space.

Run: ``python bench/rl_search.py [--seeds 5] [--budget 100] [--out bench/results]``

For each space (``bench/specs/pim_memory_and_controller.toml``: 3,456 points of memory
organization and controller knobs, three objectives; ``examples/systolic_dnn.toml``): every
point through the analytic models gives the exact feasible Pareto front and its hypervolume
(log objectives, as ``bench/dse_samplers.py``). Each method and seed then runs the same
``hwdse explore`` path (``dse.study.explore``, a journal in a scratch folder) up to
``--budget`` distinct designs (``--trials`` counts them: a design the study holds is
answered from it, stored as a PRUNED repeat and not counted; RL agents answer theirs from
their cache); after n distinct designs we record the hypervolume of the feasible front as
a share of the exact one and the best feasible value of the first objective, and the
proposals (trials, repeats included) each run took. Finally the throughput target: one PPO and one
MARL run of 2,000 proposals on the PIM space, wall time and distinct designs.

Writes ``<out>/rl_search.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import machine
from dse_samplers import exhaustive, hypervolume, log_objectives

from dse.spec import Spec, load_spec
from dse.study import explore, holds_design

SPACES = ("bench/specs/pim_memory_and_controller.toml", "examples/systolic_dnn.toml")
METHODS = ("random", "tpe", "nsga2", "ppo", "marl")
CHECKPOINTS = (10, 25, 50, 75, 100, 150, 200)


def curve(spec: Spec, study: Any, low: np.ndarray, high: np.ndarray, exact: float,
          budget: int) -> dict[str, dict[int, float]]:
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in spec.directions])
    feasible: list[list[float]] = []
    hv: dict[int, float] = {}
    best: dict[int, float] = {}
    trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
    designs = [t for t in trials if holds_design(t)]
    for index, trial in enumerate(designs[:budget], start=1):
        violations = [v for k, v in trial.system_attrs.items() if k.startswith("constraints:")]
        if trial.values is not None and all(v <= 0 for v in violations):
            feasible.append(list(np.array(trial.values) * signs))
        if index in CHECKPOINTS:
            hv[index] = hypervolume(np.array(feasible), low, high) / exact
            best[index] = min((row[0] for row in feasible), default=float("nan"))
    return {"hv_ratio": hv, "best_first_objective": best}


def run(spec_path: Path, method: str, seed: int, budget: int, low: np.ndarray,
        high: np.ndarray, exact: float) -> dict[str, Any]:
    spec = load_spec(spec_path)
    with tempfile.TemporaryDirectory(prefix="hwdse-rl-") as scratch:
        start = time.perf_counter()
        study = explore(spec, Path(scratch), trials=budget, sampler=method, seed=seed)
        seconds = time.perf_counter() - start
        trials = study.get_trials(deepcopy=False)
        return {"method": method, "seed": seed, "seconds": round(seconds, 2),
                "distinct_designs": sum(holds_design(t) for t in trials),
                "proposals": len(trials), **curve(spec, study, low, high, exact, budget)}


def throughput(spec_path: Path, method: str, steps: int) -> dict[str, Any]:
    """Wall time of ``steps`` proposals by one agent (no trial budget reached)."""
    from dse.rl import agents
    from dse.searchers import SEARCHERS

    spec = load_spec(spec_path)

    class Null:
        trials: list[Any] = []

    # SuperSuit copies the environment (with its recording cache) by pickling, so count the
    # stored designs in a file rather than in a list of this process
    with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
        path = log.name

        def record(point: Any, metrics: Any) -> None:
            with open(path, "a") as handle:
                handle.write("design\n")

        start = time.perf_counter()
        environment = getattr(agents, SEARCHERS[method].environment)
        agents.run_agent(spec, Null(), make_env=environment, seed=0, record=record,
                         done=lambda: False, max_steps=steps)
        seconds = round(time.perf_counter() - start, 1)
        designs = len(Path(path).read_text().splitlines())
    return {"method": method, "steps": steps, "seconds": seconds, "distinct_designs": designs}


def summarize(runs: list[dict[str, Any]], key: str) -> dict[str, dict[int, list[float]]]:
    out: dict[str, dict[int, list[float]]] = {}
    for r in runs:
        for n, value in r[key].items():
            out.setdefault(r["method"], {}).setdefault(int(n), []).append(value)
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = ["# RL search against Optuna samplers", "",
             f"Command: `{result['command']}`  ",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, load "
             f"{result['machine']['load_average_1m']}; {result['date']}  ",
             "Hypervolume: share of the exact feasible front's (log objectives); mean ± "
             f"standard deviation over {result['seeds']} seeds; n = distinct designs "
             "evaluated (`--trials` counts them; a design the study holds is answered from "
             "it and not counted, RL agents answer theirs from their cache); proposals: "
             "the trials a run stored to reach the budget, repeats included (RL agents "
             "store new designs only).", ""]
    for space in result["spaces"]:
        lines += [f"## {space['spec']} ({space['points']} points, exact front "
                  f"{space['front']} designs)", "",
                  "| method | " + " | ".join(f"n={n}" for n in space["checkpoints"])
                  + " | proposals | seconds per run |",
                  "|---|" + "---|" * (len(space["checkpoints"]) + 2)]
        hv = summarize(space["runs"], "hv_ratio")
        for method in METHODS:
            cells = []
            for n in space["checkpoints"]:
                values = hv.get(method, {}).get(n, [])
                cells.append(f"{statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}"
                             if values else "")
            seconds = [r["seconds"] for r in space["runs"] if r["method"] == method]
            proposals = [r.get("proposals", 0) for r in space["runs"] if r["method"] == method]
            lines.append(f"| {method} | " + " | ".join(cells)
                         + f" | {statistics.mean(proposals):.0f}"
                         + f" | {statistics.mean(seconds):.1f} |")
        best = summarize(space["runs"], "best_first_objective")
        n = max(space["checkpoints"])
        objective = load_spec(Path(space["spec"])).objective_names[0]
        lines += ["", f"Best feasible {objective} after n={n} distinct designs (mean ± standard "
                  "deviation over seeds): " + "; ".join(
                      f"{m} {statistics.mean(best[m][n]):.4g} ± "
                      f"{statistics.pstdev(best[m][n]):.2g}"
                      for m in METHODS if n in best.get(m, {})) + ".",
                  "", space["verdict"], ""]
    lines += ["## Throughput (2,000 proposals on the PIM space; target under 10 minutes)", "",
              "| method | proposals | seconds | distinct designs |", "|---|---|---|---|"]
    for t in result["throughput"]:
        lines.append(f"| {t['method']} | {t['steps']} | {t['seconds']} | "
                     f"{t['distinct_designs']} |")
    lines += ["", "![hypervolume against designs evaluated](rl_search.png)"]
    return "\n".join(lines) + "\n"


def verdict(space: dict[str, Any]) -> str:
    hv = summarize(space["runs"], "hv_ratio")
    n = max(space["checkpoints"])
    means = {m: statistics.mean(hv[m][n]) for m in METHODS if n in hv.get(m, {})}
    marl, ppo = means.get("marl"), means.get("ppo")
    if marl is None or ppo is None:
        return "MARL or PPO did not reach the budget."
    spread = statistics.pstdev(hv["marl"][n]) + statistics.pstdev(hv["ppo"][n])
    order = ", ".join(f"{m} {v:.3f}" for m, v in sorted(means.items(), key=lambda x: -x[1]))
    if abs(marl - ppo) <= spread:
        claim = (f"MARL ({marl:.3f}) and single-agent PPO ({ppo:.3f}) are within their "
                 f"seed spread ({spread:.3f}): no difference shown here")
    elif marl > ppo:
        claim = f"MARL beat single-agent PPO by {marl - ppo:.3f} of the exact hypervolume"
    else:
        claim = f"MARL did not beat single-agent PPO (behind by {ppo - marl:.3f})"
    return f"At n={n}: {claim}. All methods: {order}."


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(result["spaces"]), figsize=(11, 4.2))
    for axis, space in zip(np.atleast_1d(axes), result["spaces"], strict=True):
        hv = summarize(space["runs"], "hv_ratio")
        for method in METHODS:
            ns = sorted(hv.get(method, {}))
            means = [statistics.mean(hv[method][n]) for n in ns]
            spreads = [statistics.pstdev(hv[method][n]) for n in ns]
            axis.errorbar(ns, means, yerr=spreads, label=method, capsize=3)
        axis.set(title=Path(space["spec"]).stem, xlabel="distinct designs evaluated",
                 ylabel="share of the exact hypervolume")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def rewrite(out: Path) -> None:
    """Write the .md and .png again from the recorded .json."""
    result = json.loads((out / "rl_search.json").read_text())
    for space in result["spaces"]:
        for r in space["runs"]:
            for key in ("hv_ratio", "best_first_objective"):
                r[key] = {int(k): v for k, v in r[key].items()}
    (out / "rl_search.md").write_text(markdown(result))
    plot(result, out / "rl_search.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--throughput-only", action="store_true",
                        help="measure the throughput again into the recorded .json")
    parser.add_argument("--rewrite", action="store_true",
                        help="only write the .md and .png again from the .json")
    args = parser.parse_args()
    if args.rewrite:
        rewrite(args.out)
        return
    if args.throughput_only:
        result = json.loads((args.out / "rl_search.json").read_text())
        result["throughput"] = [throughput(Path(SPACES[0]), method, args.steps)
                                for method in ("ppo", "marl")]
        (args.out / "rl_search.json").write_text(json.dumps(result, indent=1) + "\n")
        rewrite(args.out)
        return
    spaces = []
    for spec_text in SPACES:
        spec_path = Path(spec_text)
        spec = load_spec(spec_path)
        values, _, points = exhaustive(spec)
        logs = log_objectives(values)
        low, high = logs.min(axis=0), logs.max(axis=0)
        exact = hypervolume(values, low, high)
        from dse_samplers import pareto_mask

        front = int(pareto_mask(values).sum())
        runs = []
        for method in METHODS:
            for seed in range(args.seeds):
                print(f"{spec_path.stem} {method} seed {seed}", flush=True)
                runs.append(run(spec_path, method, seed, args.budget, low, high, exact))
        space = {"spec": spec_text, "points": points, "front": front, "runs": runs,
                 "checkpoints": [n for n in CHECKPOINTS if n <= args.budget]}
        space["verdict"] = verdict(space)
        spaces.append(space)
    rates = [throughput(Path(SPACES[0]), method, args.steps) for method in ("ppo", "marl")]
    result = {"benchmark": "rl_search", "seeds": args.seeds, "budget": args.budget,
              "command": " ".join(["python", "bench/rl_search.py", *sys.argv[1:]]),
              "machine": machine(), "date": time.strftime("%Y-%m-%d"), "spaces": spaces,
              "throughput": rates}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rl_search.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "rl_search.md").write_text(markdown(result))
    plot(result, args.out / "rl_search.png")
    print(markdown(result))


if __name__ == "__main__":
    main()
