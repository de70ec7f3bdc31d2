"""Pieces of the golden models every family shares: stimulus kinds and wrap-around."""

from __future__ import annotations

import numpy as np

#: Stimulus kinds: uniform over the full range, only the two extremes, all most negative,
#: all most positive.
VALUE_MODES = ("random", "extreme", "min", "max")


def check_values(values: str) -> str:
    """``values`` if it is one of :data:`VALUE_MODES`.

    Raises:
        ValueError: naming the allowed kinds.
    """
    if values not in VALUE_MODES:
        raise ValueError(f"`values` must be one of {', '.join(VALUE_MODES)}, not {values!r}")
    return values


def draw(rng: np.random.Generator, shape: tuple[int, ...], low: int, high: int,
         values: str) -> np.ndarray:
    """Integers in ``low..high`` of kind ``values`` (one of :data:`VALUE_MODES`)."""
    check_values(values)
    if values == "random":
        return rng.integers(low, high, size=shape, endpoint=True, dtype=np.int64)
    if values == "extreme":
        return np.where(rng.random(shape) < 0.5, low, high).astype(np.int64)
    return np.full(shape, low if values == "min" else high, dtype=np.int64)


def wrap(values: np.ndarray, width: int, is_signed: bool) -> np.ndarray:
    """Reduce exact integers modulo ``2**width`` (two's complement if signed)."""
    modulus = 1 << width
    wrapped = np.vectorize(lambda v: int(v) % modulus, otypes=[object])(values)
    if is_signed:
        half = modulus >> 1
        wrapped = np.vectorize(lambda v: v - modulus if v >= half else v, otypes=[object])(wrapped)
    return wrapped
