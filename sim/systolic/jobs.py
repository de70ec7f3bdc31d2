"""Host side of a systolic-array simulation: one GEMM as a job for the stream testbench
(operand beats and the golden model's result beats)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.systolic.params import SystolicParams
from sim.family import OperandsJob
from sim.systolic import driver, golden


def gemm_job(params: SystolicParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0) -> dict[str, Any]:
    """A job computing a seeded random M x K x N GEMM of kind ``values``.

    With ``gap_probability`` > 0 the testbench withholds valid / ready at random.
    """
    a, b = golden.random_operands(params, m, k, n, seed, values)
    return operands_job(params, a, b, seed=seed, values=values,
                        gap_probability=gap_probability)


def operands_job(params: SystolicParams, a: np.ndarray, b: np.ndarray, *, seed: int = 0,
                 values: str = "given", gap_probability: float = 0.0) -> dict[str, Any]:
    """A job computing ``a @ b`` (M x K by K x N, within the operand range); the golden
    model gives the expected result beats."""
    (m, k), n = a.shape, b.shape[1]
    beats = driver.encode(params, a, b)
    expected = driver.encode_results(params, golden.gemm(params, a, b))
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values,
            "gap_probability": gap_probability, "macs": m * k * n}
    return {"meta": meta, "beats": [format(w, "x") for w in beats],
            "expected": [format(w, "x") for w in expected],
            "gap_probability": gap_probability, "seed": seed}


def network_operands_job(params: SystolicParams, a: np.ndarray, b: np.ndarray,
                         bits: int | None = None) -> OperandsJob:
    """A job on given operands (a network layer's activations and weights), with what the
    array computes for them and its operand range (``bits`` is for run-time precision
    families; a bit-parallel array takes none)."""
    del bits
    low_high = golden.operand_range(params)
    return OperandsJob(operands_job(params, a, b), np.asarray(golden.gemm(params, a, b)),
                       (low_high, low_high))
