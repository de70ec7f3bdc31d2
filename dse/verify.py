"""RTL verification of a design on a workload: simulate bit-exact in Verilator and hold the
analytic model against the measured cycles."""

from __future__ import annotations

import dataclasses
from typing import Any

from dse.models.registry import cycle_model
from dse.workload import Gemm
from flows.verilog import emit
from hw.params import Params
from sim.families import sim_family
from sim.runner import DEFAULT_BUILD_TIMEOUT, DEFAULT_RUN_TIMEOUT, SimRun, simulate


@dataclasses.dataclass(frozen=True)
class Verification:
    """RTL result of one workload next to the model's prediction."""

    params: Params
    gemm: Gemm
    seed: int
    values: str
    run: SimRun
    model: Any  # the family's cycle report (cycles, compute_bound, pes, ...)

    @property
    def result(self) -> Any:
        return self.run.results[0]

    @property
    def model_matches(self) -> bool:
        return bool(self.result.cycles == self.model.cycles)

    def to_json(self) -> dict[str, Any]:
        """The ``hwdse simulate --json`` contract (schema ``hwdse.simulate/1``)."""
        result = self.result
        return {
            "schema": "hwdse.simulate/1",
            "generator": self.params.generator,
            "params": self.params.to_dict(),
            "gemm": {"m": self.gemm.m, "k": self.gemm.k, "n": self.gemm.n},
            "seed": self.seed,
            "values": self.values,
            "passed": result.passed,
            "mismatches": result.mismatches,
            "cycles": result.cycles,
            "model_cycles": self.model.cycles,
            "model_matches": self.model_matches,
            "compute_bound": self.model.compute_bound,
            "utilization": self.gemm.macs / (result.cycles * self.model.pes),
            "counters": {**result.counters, "macs": self.gemm.macs},
            "content_hash": self.run.content_hash,
            "build_cached": self.run.build_cached,
            "build_seconds": round(self.run.build_seconds, 3),
            "run_seconds": round(self.run.run_seconds, 3),
        }


def verify_gemm(params: Params, gemm: Gemm, *, seed: int = 0, values: str = "random",
                build_timeout: float = DEFAULT_BUILD_TIMEOUT,
                timeout: float = DEFAULT_RUN_TIMEOUT) -> Verification:
    """Simulate ``gemm`` on ``params`` in Verilator and compare with the cycle model.

    Raises:
        ToolNotFoundError, SimulationError: from the simulator.
    """
    report = cycle_model(params.generator)(params, gemm)
    artifact = emit(params)
    family = sim_family(params.generator)
    job = family.gemm_job_builder()(params, gemm.m, gemm.k, gemm.n, seed=seed, values=values)
    run = simulate(artifact, family.testbench, [job],
                   build_timeout=build_timeout, timeout=timeout)
    return Verification(params, gemm, seed, values, run, report)
