"""Host side of a bit-serial simulation: one GEMM as a job for the stream testbench
(operand beats and the golden model's result beats)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.bitserial.params import BitSerialParams
from sim.bitserial import driver, golden
from sim.family import OperandsJob


def gemm_job(params: BitSerialParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0,
             bits: int | tuple[int, ...] | None = None,
             group_size: int | None = None) -> dict[str, Any]:
    """A job computing a seeded random M x K x N GEMM of kind ``values`` at ``bits`` of
    serial precision (an int, or one per group of ``group_size`` K elements; default
    ``max_bits``) with random per-group scales.

    Raises:
        ParamError: if ``bits`` exceeds the design's ``max_bits`` or a size is invalid.
    """
    if isinstance(bits, list):
        bits = tuple(bits)
    operands = golden.random_operands(params, m, k, n, seed, values, bits, group_size)
    return operands_job(params, operands, seed=seed, values=values,
                        gap_probability=gap_probability,
                        per_group=isinstance(bits, tuple | list), group_size=group_size)


def operands_job(params: BitSerialParams, operands: golden.Operands, *, seed: int = 0,
                 values: str = "given", gap_probability: float = 0.0,
                 per_group: bool = False, group_size: int | None = None) -> dict[str, Any]:
    """A job computing ``operands`` (e.g. a network layer's activations and weights at
    their precision); the golden model gives the expected result beats."""
    (m, k), n = operands.a.shape, operands.b.shape[1]
    beats = driver.encode(params, operands)
    expected = driver.encode_results(params, golden.gemm(params, operands))
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values,
            "gap_probability": gap_probability, "macs": m * k * n,
            "bits": list(operands.group_bits) if per_group else operands.group_bits[0],
            "group_size": group_size}
    return {"meta": meta, "beats": [format(w, "x") for w in beats],
            "expected": [format(w, "x") for w in expected],
            "gap_probability": gap_probability, "seed": seed}


def network_operands_job(params: BitSerialParams, a: np.ndarray, b: np.ndarray,
                         bits: int | None = None) -> OperandsJob:
    """A job on given operands (a network layer's activations and weights) with the serial
    operand at ``bits`` (default ``max_bits``), one group and unit scales, with what the
    array computes for them and the ranges of A and B."""
    serial_bits = params.max_bits if bits is None else int(bits)
    operands = golden.Operands(a, b, np.ones((1, b.shape[1]), dtype=np.int64),
                               (serial_bits,), ((0, a.shape[1]),))
    parallel = params.operand_range(params.parallel_width)
    serial = params.operand_range(serial_bits)
    ranges = (parallel, serial) if params.serial == "weights" else (serial, parallel)
    return OperandsJob(operands_job(params, operands), np.asarray(golden.gemm(params, operands)),
                       ranges)
