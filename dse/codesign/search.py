"""Joint and sequential co-design searches at one evaluation budget, and their outcome.

- **joint**: every trial picks networks and hardware together, under the spec's
  objectives and constraints (``hwdse explore`` on the co-design spec);
- **sequential** (network first, then hardware — the baseline NASAIC compares against):
  the first ``network_share`` of the trials search the networks alone for the highest
  mean validation accuracy (:func:`dse.codesign.spec.network_only`); the rest search the
  hardware for the best of those networks, with the spec's objectives and constraints
  (:func:`dse.codesign.spec.with_networks`; precision choices the chosen networks cannot
  use are left out).

One trial is one evaluation (one candidate; at most one training per task), so both use
``trials`` evaluations. Each phase is an ordinary study in ``run_dir`` (journal storage),
so an interrupted search resumes with every finished trial.

The outcome of a search (:func:`outcome`) is its best feasible design: the trial meeting
every constraint with the best value of the spec's first objective (ties: the earlier
trial).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dse.codesign.spec import CodesignSpec, network_only, with_networks
from dse.records import Evaluation
from dse.study import explore

METHODS = ("joint", "sequential")


@dataclasses.dataclass(frozen=True)
class SearchRun:
    """The studies of one search and the spec whose constraints judge its trials."""

    method: str
    spec: CodesignSpec  # the hardware phase's spec for sequential
    studies: tuple[Any, ...]
    network_point: dict[str, Any] | None = None  # sequential: the chosen networks

    def trials(self) -> list[Any]:
        """Complete trials that evaluated hardware (the last study's)."""
        return [t for t in self.studies[-1].trials if t.state.name == "COMPLETE"]


def feasible(spec: CodesignSpec, metrics: dict[str, float]) -> bool:
    return all(c.violation(metrics[c.metric]) <= 0 for c in spec.constraints)


def run_search(spec: CodesignSpec, run_dir: Path, *, method: str, trials: int,
               sampler: str = "tpe", seed: int = 0, network_share: float = 0.5) -> SearchRun:
    """Run (or resume) a ``method`` search of ``spec`` with ``trials`` evaluations.

    Raises:
        ValueError: for an unknown method, a budget too small to split, a spec without
            network or hardware choices (sequential), or no trained network.
    """
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "joint":
        study = explore(spec, run_dir / "joint", trials=trials, sampler=sampler, seed=seed)
        return SearchRun(method, spec, (study,))
    first = round(trials * network_share)
    if not 1 <= first < trials:
        raise ValueError(f"`network_share` {network_share} of {trials} trials leaves a phase "
                         "without trials")
    networks = network_only(spec)
    if not networks.space.dimensions:
        raise ValueError("the spec searches no network choice: a sequential search needs "
                         "one (use method 'joint')")
    if len(networks.space.dimensions) == len(spec.space.dimensions):
        raise ValueError("the spec has no hardware choices to search after the networks")
    study = explore(networks, run_dir / "network", trials=first, sampler=sampler, seed=seed)
    best = max((t for t in study.trials if t.state.name == "COMPLETE"),
               key=lambda t: (t.values[0], -t.number), default=None)
    if best is None:
        raise ValueError("no network of the first phase trained; see the failed trials in "
                         f"{run_dir / 'network'}")
    hardware = with_networks(spec, best.params)
    second = explore(hardware, run_dir / "hardware", trials=trials - first, sampler=sampler,
                     seed=seed)
    return SearchRun(method, hardware, (study, second), dict(best.params))


def outcome(run: SearchRun) -> dict[str, Any]:
    """The search's best feasible design and how often its trials met the budgets:
    ``hardware_trials`` counts the complete trials that evaluated hardware (the joint
    study's, or the sequential hardware phase's), ``invalid_trials`` the failed ones
    (designs the generator or a precision check rejected), ``feasible_rate`` is
    ``feasible_trials / hardware_trials``."""
    metric, direction = run.spec.objectives[0]
    trials = run.trials()
    metrics = {t.number: Evaluation.of(t).metrics or {} for t in trials}
    met = [t for t in trials if feasible(run.spec, metrics[t.number])]
    sign = 1 if direction == "maximize" else -1
    best = max(met, key=lambda t: (sign * metrics[t.number][metric], -t.number),
               default=None)
    invalid = [t for t in run.studies[-1].trials if t.state.name == "FAIL"]
    return {"method": run.method, "hardware_trials": len(trials),
            "invalid_trials": len(invalid), "feasible_trials": len(met),
            "feasible_rate": len(met) / len(trials) if trials else 0.0,
            "met_budgets": best is not None,
            "best": None if best is None else {
                "trial": best.number, "params": dict(best.params),
                "metrics": dict(metrics[best.number])},
            "network_point": run.network_point}
