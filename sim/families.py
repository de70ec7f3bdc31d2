"""How each registered generator is simulated (keyed like ``hw.registry``): its cocotb
testbench module and the host-side function that turns a workload into a job for it."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from hw.registry import lookup


@dataclasses.dataclass(frozen=True)
class SimFamily:
    testbench: str  # cocotb test module run inside the simulator
    gemm_job: str   # "module:function" (params, m, k, n, *, seed, values, gap_probability)
    #: The job builder also takes ``bits`` and ``group_size`` (the precision of the serial
    #: operand, chosen per run); bit-parallel families ignore a workload's precision.
    run_time_precision: bool = False
    #: The design exposes activity taps (``sim.activity``); without them the testbench
    #: reports the events itself.
    activity_taps: bool = True

    def gemm_job_builder(self) -> Callable[..., dict[str, Any]]:
        module_name, _, attr = self.gemm_job.partition(":")
        builder: Callable[..., dict[str, Any]] = getattr(importlib.import_module(module_name),
                                                         attr)
        return builder


FAMILIES: dict[str, SimFamily] = {
    "systolic-v1": SimFamily("sim.stream_testbench", "sim.systolic.jobs:gemm_job"),
    "bitserial-v1": SimFamily("sim.stream_testbench", "sim.bitserial.jobs:gemm_job",
                              run_time_precision=True),
    "pim-v1": SimFamily("sim.pim.testbench", "sim.pim.jobs:gemv_job", activity_taps=False),
    "qmlp-v1": SimFamily("sim.stream_testbench", "sim.qmlp.jobs:gemm_job"),
}


def sim_family(generator: str) -> SimFamily:
    """Simulation parts of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none are registered.
    """
    return lookup(FAMILIES, generator, "testbench")
