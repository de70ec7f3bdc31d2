"""RTL verification of a design on a workload: simulate the instrumented design bit-exact in
Verilator and hold the analytic models against the measured cycles and activity."""

from __future__ import annotations

import dataclasses
from typing import Any

from dse.models.energy import EnergyReport
from dse.models.registry import FamilyModels, family_models
from dse.workload import Gemm
from hw.params import ParamError, Params
from sim.families import sim_family
from sim.runner import DEFAULT_BUILD_TIMEOUT, DEFAULT_RUN_TIMEOUT, SimRun, run_jobs


@dataclasses.dataclass(frozen=True)
class Verification:
    """RTL result of one workload next to the model's prediction."""

    params: Params
    gemm: Gemm
    seed: int
    values: str
    run: SimRun
    model: Any  # the family's cycle report (cycles, compute_bound, pes, ...)
    energy: EnergyReport       # predicted from the model's activity counts
    rtl_energy: EnergyReport   # from the activity the RTL counted
    models: FamilyModels       # the family's models (their tolerance)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)  # family job options

    @property
    def result(self) -> Any:
        return self.run.results[0]

    @property
    def model_matches(self) -> bool:
        """RTL cycles equal the model's, or are within the model's stated ``tolerance``
        (a relative error; exact models have none)."""
        tolerance = self.models.tolerance
        error = abs(self.result.cycles - self.model.cycles)
        return bool(error <= tolerance * self.result.cycles)

    @property
    def activity_matches(self) -> bool:
        return self.energy.activity == self.rtl_energy.activity

    def to_json(self) -> dict[str, Any]:
        """The ``hwdse simulate --json`` contract (schema ``hwdse.simulate/1``)."""
        result = self.result
        return {
            "schema": "hwdse.simulate/1",
            "generator": self.params.generator,
            "params": self.params.to_dict(),
            "gemm": {"m": self.gemm.m, "k": self.gemm.k, "n": self.gemm.n,
                     **_jsonable(self.gemm.precision_options())},
            "seed": self.seed,
            "values": self.values,
            "passed": result.passed,
            "mismatches": result.mismatches,
            "cycles": result.cycles,
            "model_cycles": self.model.cycles,
            "model_matches": self.model_matches,
            "compute_bound": self.model.compute_bound,
            "model_tolerance": self.models.tolerance,
            # the model's utilization, rescaled to the measured cycles
            "utilization": self.model.utilization * self.model.cycles / result.cycles,
            "counters": {**result.counters, "macs": self.gemm.macs},
            "energy": {"model": self.energy.to_json(), "rtl": self.rtl_energy.to_json(),
                       "activity_matches": self.activity_matches},
            "content_hash": self.run.content_hash,
            "build_cached": self.run.build_cached,
            "build_seconds": round(self.run.build_seconds, 3),
            "run_seconds": round(self.run.run_seconds, 3),
            # a family's own figures (e.g. DRAM bytes and the mapping of accel-v1)
            **(self.model.summary(result.counters) if hasattr(self.model, "summary") else {}),
        }


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


#: Most operand and result elements (M·K + K·N + M·N) one simulated GEMM may hold: the
#: host builds every operand and the golden result in memory before the run.
MAX_SIM_ELEMENTS = 1 << 24


def check_sim_size(gemm: Gemm) -> None:
    """Refuse a GEMM too large to simulate before anything is allocated.

    Raises:
        ParamError: naming the shape, its element count and the limit.
    """
    elements = gemm.m * gemm.k + gemm.k * gemm.n + gemm.m * gemm.n
    if elements > MAX_SIM_ELEMENTS:
        raise ParamError(f"`gemm` {gemm.m}x{gemm.k}x{gemm.n} holds {elements:,} operand and "
                         f"result elements; a simulation takes at most {MAX_SIM_ELEMENTS:,}")


def verify_gemm(params: Params, gemm: Gemm, *, seed: int = 0, values: str = "random",
                build_timeout: float = DEFAULT_BUILD_TIMEOUT,
                timeout: float = DEFAULT_RUN_TIMEOUT,
                options: dict[str, Any] | None = None) -> Verification:
    """Simulate ``gemm`` on ``params`` (instrumented with activity counters) in Verilator and
    compare with the cycle and energy models. ``options`` (keyword arguments of the
    family's job builder and models, e.g. the mapping and DRAM of ``accel-v1``) go to both.

    Raises:
        ParamError: for a GEMM too large to simulate (:data:`MAX_SIM_ELEMENTS`).
        ToolNotFoundError, SimulationError: from the simulator.
    """
    check_sim_size(gemm)
    options = dict(options or {})
    models = family_models(params.generator)
    report = models.cycles(params, gemm, **options)
    family = sim_family(params.generator)
    artifact = family.emit_checked(params)  # with the RTL's activity counters, if it has them
    job = family.gemm_job_builder()(params, gemm.m, gemm.k, gemm.n, seed=seed, values=values,
                                    **(gemm.precision_options()
                                       if family.run_time_precision else {}), **options)
    run = run_jobs(family, artifact, [job], build_timeout=build_timeout, timeout=timeout)
    counters = {**run.results[0].counters, "cycles": run.results[0].cycles}
    return Verification(params, gemm, seed, values, run, report,
                        models.energy(params, gemm, **options),
                        models.energy_from_counters(params, counters, gemm.macs), models,
                        options)
