"""Golden model and stimulus for the systolic array: exact integer GEMM with the array's
wrap-around at ``acc_width`` bits."""

from __future__ import annotations

import numpy as np

from hw.systolic.params import SystolicParams
from sim.golden import VALUE_MODES, draw, wrap

__all__ = ["VALUE_MODES", "gemm", "operand_range", "random_operands", "wrap"]


def operand_range(params: SystolicParams) -> tuple[int, int]:
    """Smallest and largest operand value."""
    if params.signed:
        return -(1 << (params.input_width - 1)), (1 << (params.input_width - 1)) - 1
    return 0, (1 << params.input_width) - 1


def random_operands(params: SystolicParams, m: int, k: int, n: int, seed: int,
                    values: str = "random") -> tuple[np.ndarray, np.ndarray]:
    """Seeded A (M x K) and B (K x N) of kind ``values`` (one of :data:`VALUE_MODES`)."""
    low, high = operand_range(params)
    rng = np.random.default_rng(seed)
    return draw(rng, (m, k), low, high, values), draw(rng, (k, n), low, high, values)


def gemm(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A @ B as the array computes it (Python ints, wrapped to ``acc_width``)."""
    exact = a.astype(object) @ b.astype(object)
    return wrap(exact, params.acc_width, params.signed)
