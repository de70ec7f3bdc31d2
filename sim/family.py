"""The record a generator family registers with the simulation layer.

A family's ``sim/<family>/`` package exports one :class:`SimFamily` as ``SIMULATION``;
``sim/families.py`` registers it with one line. Hooks are ``"module:function"`` paths,
imported only when used, so that reading the registry stays cheap.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np


def resolve(path: str) -> Any:
    """The object at ``"module:attribute"``."""
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@dataclasses.dataclass(frozen=True)
class OperandsJob:
    """A job that multiplies given operands (a network layer's activations and weights),
    with what the design computes for them and the operand ranges it accepts, so the caller
    can tell whether the mapping is exact."""

    job: dict[str, Any]
    computed: np.ndarray                    # the golden model's result for the operands
    ranges: tuple[tuple[int, int], tuple[int, int]]   # (low, high) of A, then of B


@dataclasses.dataclass(frozen=True)
class SimFamily:
    """How one generator is simulated.

    - ``testbench``: the cocotb test module run inside the simulator;
    - ``gemm_job``: ``(params, m, k, n, *, seed, values, gap_probability[, bits,
      group_size])`` -> job, a seeded GEMM for the testbench;
    - ``operands_job``: ``(params, a, b, bits)`` -> :class:`OperandsJob`, the same for given
      operands (families that run a network's layers as GEMMs; None otherwise);
    - ``checked_design``: ``(params)`` -> the Verilog artifact a checked run simulates (with
      the activity counters of ``sim.activity``, or plain where the testbench counts the
      events itself);
    - ``network_job``: ``(params, x, *, meta)`` -> job running the inputs ``x`` through a
      network built into the hardware (families with ``network_mapping = "network"``);
    - ``run_time_precision``: the job builder also takes ``bits`` and ``group_size`` (the
      serial operand's precision, chosen per run);
    - ``simulate``: ``(artifact, jobs, *, build_timeout, timeout)`` -> ``SimRun``, for a
      family that runs its jobs in a build of its own (None: ``testbench`` through
      :func:`sim.runner.simulate`); :func:`sim.runner.run_jobs` picks.
    """

    generator: str
    testbench: str
    gemm_job: str
    operands_job: str | None = None
    checked_design: str = "sim.activity:emit_instrumented"
    run_time_precision: bool = False
    network_job: str | None = None
    simulate: str | None = None

    def gemm_job_builder(self) -> Callable[..., dict[str, Any]]:
        builder: Callable[..., dict[str, Any]] = resolve(self.gemm_job)
        return builder

    def operands_job_builder(self) -> Callable[..., OperandsJob]:
        """The builder of jobs on given operands.

        Raises:
            ValueError: if the family cannot run given operands as a GEMM.
        """
        if self.operands_job is None:
            raise ValueError(f"{self.generator} does not run given operands as a GEMM")
        builder: Callable[..., OperandsJob] = resolve(self.operands_job)
        return builder

    def network_job_builder(self) -> Callable[..., dict[str, Any]]:
        """The builder of jobs running a network's inputs.

        Raises:
            ValueError: if the family does not build a network into the hardware.
        """
        if self.network_job is None:
            raise ValueError(f"{self.generator} does not run a network's inputs")
        builder: Callable[..., dict[str, Any]] = resolve(self.network_job)
        return builder

    def emit_checked(self, params: Any) -> Any:
        """The :class:`flows.verilog.VerilogArtifact` that a checked run simulates."""
        return resolve(self.checked_design)(params)
