"""Joint and sequential co-design searches at one evaluation budget, and their outcome.

- **joint**: every trial picks networks and hardware together, under the spec's
  objectives and constraints (``hwdse explore`` on the co-design spec, any searcher);
- **sequential** (network first, then hardware — the baseline NASAIC compares against):
  the searcher ``sequential`` (TPE) or ``sequential-random``
  (:class:`dse.searchers.Sequential`), ``hwdse explore --sampler sequential``: half the
  evaluations search the networks alone for the highest mean validation accuracy, the
  rest the hardware for the best of those networks.

One evaluation is one candidate (at most one training per task), so both use ``trials``
evaluations. Each search is an ordinary study in ``run_dir`` (journal storage), so an
interrupted search resumes with every finished trial.

The outcome of a search (:func:`outcome`) is its best feasible design: the trial meeting
every constraint with the best value of the spec's first objective (ties: the earlier
trial).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from dse.codesign.spec import CodesignSpec
from dse.records import Evaluation
from dse.searchers import best_network
from dse.study import explore

METHODS = ("joint", "sequential")


@dataclasses.dataclass(frozen=True)
class SearchRun:
    """The study of one search and the spec whose constraints judge its trials."""

    method: str
    spec: CodesignSpec
    study: Any

    def trials(self) -> list[Any]:
        """Complete trials (designs with hardware)."""
        return [t for t in self.study.trials if t.state.name == "COMPLETE"]

    @property
    def network_point(self) -> dict[str, Any] | None:
        """Sequential: the network the hardware phase searched for (the best of the first
        phase), None for a joint search."""
        return best_network(self.study)

    @property
    def hardware_spec(self) -> CodesignSpec:
        """The spec of the hardware searched: sequential, the hardware for the chosen
        network (:meth:`CodesignSpec.with_networks`); joint, the spec itself."""
        point = self.network_point
        return self.spec if point is None else self.spec.with_networks(point)


def feasible(spec: CodesignSpec, metrics: dict[str, float]) -> bool:
    return all(c.violation(metrics[c.metric]) <= 0 for c in spec.constraints)


def run_search(spec: CodesignSpec, run_dir: Path, *, method: str, trials: int,
               sampler: str = "tpe", seed: int = 0) -> SearchRun:
    """Run (or resume) a ``method`` search of ``spec`` with ``trials`` evaluations;
    ``sampler`` is ``tpe`` or ``random`` (sequential: ``sequential`` or
    ``sequential-random``, the same sampler in both phases).

    Raises:
        ValueError: for an unknown method or sampler (a :class:`dse.study.StudyError`).
    """
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}, not {method!r}")
    if method == "sequential":
        sampler = {"tpe": "sequential", "random": "sequential-random"}.get(sampler, sampler)
    study = explore(spec, run_dir / method, trials=trials, sampler=sampler, seed=seed)
    return SearchRun(method, spec, study)


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
    invalid = [t for t in run.study.trials if t.state.name == "FAIL"]
    return {"method": run.method, "hardware_trials": len(trials),
            "invalid_trials": len(invalid), "feasible_trials": len(met),
            "feasible_rate": len(met) / len(trials) if trials else 0.0,
            "met_budgets": best is not None,
            "best": None if best is None else {
                "trial": best.number, "params": dict(best.params),
                "metrics": dict(metrics[best.number])},
            "network_point": run.network_point}
