"""The whole-network front of issue 19: ResNet-18 on accel-v1 within an ECP5-85K budget.

Reads two studies of ``examples/resnet18_accel.toml`` that ``hwdse explore`` stored: one
searched with a sampler (at least 500 trials) and one with ``--sampler exhaustive`` (every
point of the space); compares the searched front's hypervolume with the exact front's
(log10 objectives scaled by the exhaustive feasible set's range, as
``bench/dse_samplers.py`` does), and lists the searched Pareto designs with their RTL
checks (``--verify N`` of the same study: each layer of the network in Verilator with its
mapping as a run-time job, bit-exact, cycles and DRAM bytes equal to the model).

Run (the two studies first)::

    hwdse explore examples/resnet18_accel.toml --trials 500 --run-dir RUN/tpe [--verify N]
    hwdse explore examples/resnet18_accel.toml --sampler exhaustive --trials 1 --run-dir RUN/exh
    python bench/resnet18_front.py --searched RUN/tpe --exhaustive RUN/exh --out bench/results
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine  # noqa: E402
from bench.dse_samplers import hypervolume, log_objectives, pareto_mask  # noqa: E402
from dse.records import ATTR_METRICS, ATTR_PREFIX, DesignCheck  # noqa: E402
from dse.spec import load_spec  # noqa: E402
from dse.study import open_storage  # noqa: E402


def feasible_trials(study: Any) -> list[Any]:
    """Completed trials whose constraints hold."""
    from optuna.trial import TrialState

    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if all(v <= 0 for k, v in t.system_attrs.items() if k.startswith("constraints:"))]


def load(run_dir: Path, name: str) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.load_study(study_name=name, storage=open_storage(run_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=Path("examples/resnet18_accel.toml"))
    parser.add_argument("--searched", type=Path, required=True)
    parser.add_argument("--exhaustive", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    spec = load_spec(args.spec)
    names = spec.objective_names
    searched, exact = load(args.searched, spec.name), load(args.exhaustive, spec.name)
    exact_trials, searched_trials = feasible_trials(exact), feasible_trials(searched)
    exact_values = np.array([t.values for t in exact_trials], dtype=float)
    searched_values = np.array([t.values for t in searched_trials], dtype=float)
    logs = log_objectives(exact_values)
    low, high = logs.min(axis=0), logs.max(axis=0)
    hv_exact = hypervolume(exact_values, low, high)
    hv_searched = hypervolume(searched_values, low, high)
    exact_front = {tuple(v) for v in exact_values[pareto_mask(exact_values)]}
    front_mask = pareto_mask(searched_values)
    front = []
    for trial, on_front in zip(searched_trials, front_mask, strict=True):
        if not on_front:
            continue
        check = searched.user_attrs.get(f"{ATTR_PREFIX}{trial.number}")
        verdict = None
        if check is not None:
            design = DesignCheck.from_json(check)
            verdict = {"layers": len(design.layers),
                       "checked": sum(c.agrees is not None for c in design.layers),
                       "agree": sum(c.agrees is True for c in design.layers),
                       "skipped": [c.skipped for c in design.layers if c.skipped],
                       "error": design.error,
                       # every instance of a repeated layer run (--verify-instances)
                       "instances": design.instances}
        front.append({"trial": trial.number, "params": trial.params,
                      "values": dict(zip(names, trial.values, strict=True)),
                      "on_exact_front": tuple(trial.values) in exact_front,
                      "bram": trial.user_attrs[ATTR_METRICS].get("bram"),
                      "rtl": verdict})
    stats = {s: sum(t.state.name == s for t in searched.trials)
             for s in ("COMPLETE", "PRUNED", "FAIL")}
    record = {"benchmark": "resnet18_front", "date": time.strftime("%Y-%m-%d"),
              "command": " ".join([sys.executable, *sys.argv]), "machine": machine(),
              "spec": str(args.spec), "objectives": list(names),
              "space_points": sum(1 for _ in spec.space.points()),
              "searched_trials": stats, "searched_feasible": len(searched_trials),
              "exhaustive_feasible": len(exact_trials), "exact_front": len(exact_front),
              "hv_exact": hv_exact, "hv_searched": hv_searched,
              "hv_ratio": hv_searched / hv_exact if hv_exact else None, "front": front}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "resnet18_front.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "front"}, indent=1))
    for row in front:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
