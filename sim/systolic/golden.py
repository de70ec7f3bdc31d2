"""Golden model and stimulus for the systolic array: exact integer GEMM with the array's
wrap-around at ``acc_width`` bits."""

from __future__ import annotations

import numpy as np

from hw.systolic.params import SystolicParams

#: Stimulus kinds: uniform over the full range, only the two extremes, all most negative,
#: all most positive.
VALUE_MODES = ("random", "extreme", "min", "max")


def operand_range(params: SystolicParams) -> tuple[int, int]:
    """Smallest and largest operand value."""
    if params.signed:
        return -(1 << (params.input_width - 1)), (1 << (params.input_width - 1)) - 1
    return 0, (1 << params.input_width) - 1


def random_operands(params: SystolicParams, m: int, k: int, n: int, seed: int,
                    values: str = "random") -> tuple[np.ndarray, np.ndarray]:
    """Seeded A (M x K) and B (K x N) of kind ``values`` (one of :data:`VALUE_MODES`)."""
    if values not in VALUE_MODES:
        raise ValueError(f"`values` must be one of {', '.join(VALUE_MODES)}, not {values!r}")
    low, high = operand_range(params)
    rng = np.random.default_rng(seed)

    def draw(shape: tuple[int, int]) -> np.ndarray:
        if values == "random":
            return rng.integers(low, high, size=shape, endpoint=True, dtype=np.int64)
        if values == "extreme":
            return np.where(rng.random(shape) < 0.5, low, high).astype(np.int64)
        return np.full(shape, low if values == "min" else high, dtype=np.int64)

    return draw((m, k)), draw((k, n))


def wrap(values: np.ndarray, width: int, is_signed: bool) -> np.ndarray:
    """Reduce exact integers modulo ``2**width`` (two's complement if signed)."""
    modulus = 1 << width
    wrapped = np.vectorize(lambda v: int(v) % modulus, otypes=[object])(values)
    if is_signed:
        half = modulus >> 1
        wrapped = np.vectorize(lambda v: v - modulus if v >= half else v, otypes=[object])(wrapped)
    return wrapped


def gemm(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A @ B as the array computes it (Python ints, wrapped to ``acc_width``)."""
    exact = a.astype(object) @ b.astype(object)
    return wrap(exact, params.acc_width, params.signed)
