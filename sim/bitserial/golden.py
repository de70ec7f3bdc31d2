"""Golden model and stimulus of the bit-serial array: per-group scaled integer GEMM,
``C[m, n] = sum_g scale[g, n] * sum_{k in g} A[m, k] * B[k, n]``, wrapped to ``acc_width``
bits (with ``scale_width`` 0 every scale is 1)."""

from __future__ import annotations

import dataclasses

import numpy as np

from hw.bitserial.params import BitSerialParams, group_precisions, k_groups
from sim.golden import draw, wrap


@dataclasses.dataclass(frozen=True)
class Operands:
    """One GEMM's stimulus: A (M x K), B (K x N), scales (groups x N), and the precision of
    the serial operand in each group."""

    a: np.ndarray
    b: np.ndarray
    scales: np.ndarray
    group_bits: tuple[int, ...]
    groups: tuple[tuple[int, int], ...]


def random_operands(params: BitSerialParams, m: int, k: int, n: int, seed: int,
                    values: str = "random", bits: int | tuple[int, ...] | None = None,
                    group_size: int | None = None) -> Operands:
    """Seeded operands of an M x K x N GEMM of kind ``values`` (``sim.golden.VALUE_MODES``):
    the serial operand of group g (``group_size`` elements of K) within its precision
    (``bits``: one, or one per group repeated; default ``max_bits``), the parallel one
    within ``parallel_width`` bits, scales within ``scale_width`` bits (unsigned).

    Raises:
        ParamError: if a precision exceeds ``max_bits``.
    """
    groups = k_groups(k, group_size)
    group_bits = [params.check_bits(b) for b in group_precisions(bits, len(groups),
                                                                  params.max_bits)]
    rng = np.random.default_rng(seed)
    low, high = params.operand_range(params.parallel_width)
    serial_weights = params.serial == "weights"
    parallel = draw(rng, (m, k) if serial_weights else (k, n),
                    low, high, values)
    serial = np.zeros((k, n) if serial_weights else (m, k), dtype=np.int64)
    for (k0, k1), bits in zip(groups, group_bits, strict=True):
        low, high = params.operand_range(bits)
        if serial_weights:
            serial[k0:k1, :] = draw(rng, (k1 - k0, n), low, high, values)
        else:
            serial[:, k0:k1] = draw(rng, (m, k1 - k0), low, high, values)
    if params.scale_width:
        scales = draw(rng, (len(groups), n), 0, (1 << params.scale_width) - 1, values)
    else:
        scales = np.ones((len(groups), n), dtype=np.int64)
    a, b = (parallel, serial) if serial_weights else (serial, parallel)
    return Operands(a, b, scales, tuple(group_bits), tuple(groups))


def gemm(params: BitSerialParams, operands: Operands) -> np.ndarray:
    """C as the array computes it (Python ints, wrapped to ``acc_width``)."""
    a, b = operands.a.astype(object), operands.b.astype(object)
    total = np.zeros((a.shape[0], b.shape[1]), dtype=object)
    for g, (k0, k1) in enumerate(operands.groups):
        total = total + (a[:, k0:k1] @ b[k0:k1, :]) * operands.scales[g].astype(object)
    return wrap(total, params.acc_width, params.signed)
