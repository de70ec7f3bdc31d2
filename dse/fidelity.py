"""Higher fidelities for the designs a search found: each spec checks its own designs
(``spec.check_design``: RTL simulation of every workload layer, and synthesis on request);
the checks of the Pareto designs are stored in the study (user attributes
``rtl:<trial number>``), so every searcher, report and worker sees them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from dse.records import ATTR_PREFIX, DEFAULT_CHECK, CheckOptions, DesignCheck


def pareto_trials(study: Any) -> list[Any]:
    """Feasible trials on the Pareto front (Optuna's ``best_trials`` respects constraints),
    one per design: a design proposed again keeps its first trial."""
    seen: set[tuple[tuple[str, Any], ...]] = set()
    unique = []
    for trial in sorted(study.best_trials, key=lambda t: t.number):
        key = tuple(sorted(trial.params.items()))
        if key not in seen:
            seen.add(key)
            unique.append(trial)
    return unique


def pick_spread(trials: Sequence[Any], count: int, maximize: Sequence[bool]) -> list[Any]:
    """Up to ``count`` trials spread over the front: the best in each objective first, then
    the rest in trial order."""
    if len(trials) <= count:
        return list(trials)
    chosen: list[Any] = []
    for index, up in enumerate(maximize):
        best = min(trials, key=lambda t: -t.values[index] if up else t.values[index])
        if best not in chosen:
            chosen.append(best)
    for trial in trials:
        if len(chosen) >= count:
            break
        if trial not in chosen:
            chosen.append(trial)
    return chosen[:count]


def verify_front(spec: Any, study: Any, *, count: int = 5,
                 options: CheckOptions = DEFAULT_CHECK) -> list[DesignCheck]:
    """Check up to ``count`` Pareto designs at the higher fidelities (``spec.check_design``)
    and store the results in the study. Designs already checked (with synthesis, and every
    instance of a repeated layer, if they are asked for now) are reused.

    Returns:
        The checks, in the order the designs were picked.
    """
    checks = []
    maximize = [direction == "maximize" for direction in spec.directions]
    for trial in pick_spread(pareto_trials(study), count, maximize):
        key = f"{ATTR_PREFIX}{trial.number}"
        stored = study.user_attrs.get(key)
        if stored is not None and (stored["synth"] is not None or not options.synth) and (
                stored.get("instances", False) or not options.instances):
            checks.append(DesignCheck.from_json(stored))
            continue
        check = spec.check_design(trial, options)
        study.set_user_attr(key, check.to_json())
        checks.append(check)
    return checks


@dataclasses.dataclass(frozen=True)
class ClosestDesign:
    """The evaluated design nearest to meeting the spec's constraints, and what it misses:
    ``(metric, value, constraint)`` per budget it does not meet."""

    trial: Any
    misses: tuple[tuple[str, float, Any], ...]


def closest_design(spec: Any, study: Any) -> ClosestDesign | None:
    """The complete trial with the smallest sum of relative constraint violations (each
    violation over its bound), or None if no trial completed."""
    from dse.records import Evaluation

    def misses(trial: Any) -> list[tuple[float, tuple[str, float, Any]]]:
        metrics = Evaluation.of(trial).metrics or {}
        out = []
        for constraint in getattr(spec, "constraints", ()):
            value = metrics.get(constraint.metric)
            if value is None or constraint.violation(value) <= 0:
                continue
            bound = constraint.high if constraint.high is not None \
                and value > constraint.high else constraint.low
            out.append((constraint.violation(value) / max(abs(bound or 0.0), 1e-12),
                        (constraint.metric, float(value), constraint)))
        return out

    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if not complete:
        return None
    best = min(complete, key=lambda t: sum(share for share, _ in misses(t)))
    return ClosestDesign(best, tuple(item for _, item in misses(best)))
