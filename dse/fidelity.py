"""Higher fidelities for the designs a search found: RTL simulation of every workload layer
(bit-exact against the golden model, cycles against the model) and, on request, synthesis
(area and Fmax against the area model). Results are stored in the study (user attributes
``rtl:<trial number>``), so every searcher, report and worker sees them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from dse.spec import Spec

#: Layers whose model predicts more cycles than this are not simulated (reported as skipped).
DEFAULT_MAX_SIM_CYCLES = 400_000
ATTR_PREFIX = "rtl:"


@dataclasses.dataclass(frozen=True)
class LayerCheck:
    layer: str
    gemm: str
    model_cycles: int
    rtl_cycles: int | None = None
    passed: bool | None = None
    skipped: str = ""

    @property
    def agrees(self) -> bool | None:
        if self.rtl_cycles is None:
            return None
        return bool(self.passed) and self.rtl_cycles == self.model_cycles


@dataclasses.dataclass(frozen=True)
class DesignCheck:
    """The higher-fidelity evaluation of one trial's design."""

    trial: int
    params: dict[str, Any]
    layers: tuple[LayerCheck, ...]
    synth: dict[str, Any] | None = None
    error: str = ""

    @property
    def disagrees(self) -> bool:
        """True when RTL failed its golden check or its cycles differ from the model's, or
        synthesis differs from the area model by more than 10% in LUTs or FFs."""
        if self.error:
            return True
        if any(check.agrees is False for check in self.layers):
            return True
        if self.synth is not None:
            return any(abs(self.synth["area_error"][r]) > 0.10 for r in ("lut", "ff"))
        return False

    def to_json(self) -> dict[str, Any]:
        return {"trial": self.trial, "params": self.params, "disagrees": self.disagrees,
                "error": self.error, "synth": self.synth,
                "layers": [dataclasses.asdict(check) | {"agrees": check.agrees}
                           for check in self.layers]}


def check_design(spec: Spec, trial: Any, *, max_sim_cycles: int = DEFAULT_MAX_SIM_CYCLES,
                 synth: bool = False, timeout: float = 1800.0) -> DesignCheck:
    """Simulate every layer of the workload on ``trial``'s design (and synthesize it).

    Tool failures are recorded in ``error`` (and count as a disagreement), not raised.
    """
    from dse.models.registry import cycle_model
    from dse.verify import verify_gemm
    from flows.tools import ToolError, ToolNotFoundError
    from sim.runner import SimulationError

    params = spec.space.params(trial.params)
    checks = []
    error = ""
    for layer in spec.workload:
        model = cycle_model(params.generator)(params, layer.gemm).cycles
        if model > max_sim_cycles:
            checks.append(LayerCheck(layer.name, str(layer.gemm), model,
                                     skipped=f"{model} model cycles > {max_sim_cycles}"))
            continue
        try:
            verification = verify_gemm(params, layer.gemm, timeout=timeout)
        except (SimulationError, ToolNotFoundError) as failure:
            error = f"{layer.name}: {str(failure).splitlines()[0]}"
            checks.append(LayerCheck(layer.name, str(layer.gemm), model, skipped="error"))
            continue
        result = verification.result
        checks.append(LayerCheck(layer.name, str(layer.gemm), model, result.cycles,
                                 result.passed))
    synth_json = None
    if synth:
        from dse.metrics import model_metrics
        from flows.synth import synthesize

        try:
            result = synthesize(params, spec.target, clock_mhz=spec.clock_mhz,
                                timeout=timeout)
            metrics = model_metrics(params, spec.workload, target=spec.target,
                                    clock_mhz=spec.clock_mhz, energy_table=spec.energy_table)
            measured = {r: result.synthesized[r] for r in ("lut", "ff", "dsp", "bram")}
            synth_json = {
                "status": result.status, "fmax_mhz": result.fmax_mhz,
                "synthesized": measured, "placed": {n: r.to_json() for n, r in
                                                    result.resources.items()},
                "area_error": {r: (metrics[r] - measured[r]) / max(measured[r], 1.0)
                               for r in measured},
                "latency_s_at_fmax": (None if not result.fmax_mhz else
                                      metrics["latency_cycles"] / (result.fmax_mhz * 1e6)),
            }
        except (ToolError, ToolNotFoundError) as failure:
            error = error or f"synthesis: {str(failure).splitlines()[0]}"
    return DesignCheck(trial.number, params.to_dict(), tuple(checks), synth_json, error)


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


def verify_front(spec: Spec, study: Any, *, count: int = 5, synth: bool = False,
                 max_sim_cycles: int = DEFAULT_MAX_SIM_CYCLES,
                 timeout: float = 1800.0) -> list[dict[str, Any]]:
    """Check up to ``count`` Pareto designs at the higher fidelities and store the results
    in the study. Designs already checked (with the same ``synth`` setting) are reused."""
    checks = []
    maximize = [direction == "maximize" for direction in spec.directions]
    for trial in pick_spread(pareto_trials(study), count, maximize):
        key = f"{ATTR_PREFIX}{trial.number}"
        stored = study.user_attrs.get(key)
        if stored is not None and (stored["synth"] is not None or not synth):
            checks.append(stored)
            continue
        check = spec.check_design(trial, max_sim_cycles=max_sim_cycles, synth=synth,
                                  timeout=timeout)
        payload = check.to_json()
        study.set_user_attr(key, payload)
        checks.append(payload)
    return checks
