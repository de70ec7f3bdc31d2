"""Host side of the MAC chain: a GEMM as dot products, one per output element (row-major
over M, then N), each ``ceil(K / lanes)`` beats with the last one flagged."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.logic import pack_array
from sim.family import SimFamily
from tests.mac_family.hw import MacParams


def operand_range(params: MacParams) -> tuple[int, int]:
    return -(1 << (params.width - 1)), (1 << (params.width - 1)) - 1


def gemm_job(params: MacParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0) -> dict[str, Any]:
    low, high = operand_range(params)
    rng = np.random.default_rng(seed)
    if values == "min":
        a, b = np.full((m, k), low), np.full((k, n), low)
    elif values == "max":
        a, b = np.full((m, k), high), np.full((k, n), high)
    else:
        a, b = rng.integers(low, high + 1, (m, k)), rng.integers(low, high + 1, (k, n))
    lanes, width = params.lanes, params.width
    steps = -(-k // lanes)
    beats, expected = [], []
    for row in range(m):
        for col in range(n):
            for step in range(steps):
                chunk = slice(step * lanes, min(k, (step + 1) * lanes))
                word_a = pack_array(a[row, chunk], width)
                word_b = pack_array(b[chunk, col], width)
                last = int(step == steps - 1)
                beats.append(word_a | word_b << (lanes * width) | last << (2 * lanes * width))
            exact = int(np.dot(a[row].astype(object), b[:, col].astype(object)))
            expected.append(exact % (1 << params.acc_width))  # the result beat's bits
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values,
            "gap_probability": gap_probability, "macs": m * k * n}
    return {"meta": meta, "beats": [format(w, "x") for w in beats],
            "expected": [format(w, "x") for w in expected],
            "gap_probability": gap_probability, "seed": seed}


SIMULATION = SimFamily("mac-v1", "sim.stream_testbench", "tests.mac_family.sim:gemm_job")
