"""Batch forms of the analytic models: the same cycles, energy and area features as a
family's scalar models, for many designs at once as numpy arrays (``--sampler exhaustive``
sweeps a million designs this way).

A family that has them names a :class:`BatchModels` in its
:class:`dse.models.family.FamilyModels` record (``batch``); shared code asks the record and
falls back to the scalar models where a family has none.

Designs come as :data:`Columns`: one array per parameter field of the family's params
class, holding each design's effective (validated) value; an unset optional integer (such
as ``acc_depth`` of an output-stationary array) is 0. Every batch function performs the
scalar model's operations in the scalar model's order on float64 and int64 arrays, so its
results equal the scalar model's bit for bit (integers exactly, floats to the last bit):
``tests/dse/test_batch_models.py`` checks it on random designs. Functions of a few
parameters that the scalar models compute with Python's ``math`` or a table lookup (energy
per event at a width, the memory mapping of an accumulator) are called once per distinct
combination of their arguments (:func:`per_unique`), so they are the scalar functions
themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

#: Designs as arrays, one per parameter field (see the module docstring).
Columns = Mapping[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class BatchCycles:
    """Cycles of one GEMM on each design, and what the metrics need besides: PEs (or the
    family's unit of utilization) and the designs the GEMM cannot run on, with the scalar
    model's message (``""`` where it runs)."""

    cycles: np.ndarray          # int64
    pes: np.ndarray             # int64
    failure: np.ndarray | None = None  # object array of messages; None: it runs everywhere
    #: the scalar report's ``utilization``; None: useful MACs per PE-cycle,
    #: ``macs / (cycles * pes)``, as ``dse.models.common.ArrayCycleReport`` has it
    utilization: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class BatchModels:
    """A family's batch models (see the module docstring).

    - ``cycles(columns, gemm)``: a :class:`BatchCycles`, equal to the scalar report's
      ``cycles`` and ``pes`` per design;
    - ``energy(columns, gemm, table=None)``: the scalar report's ``total_pj`` per design;
    - ``area_features(columns, target)``: the scalar feature function's features, each an
      array (None: no area model);
    - ``check(columns)``: the params class's validation on arrays: each design's effective
      values (what ``__post_init__`` stores, such as a default it fills in) and whether the
      class accepts the design. Callers take the error messages from the params class
      itself, for the designs it refuses;
    - ``clock_features(columns, target)``: the family's own clock features
      (``FamilyModels.clock_features``), each an array (None: the family has none).
    """

    cycles: Callable[..., BatchCycles]
    energy: Callable[..., np.ndarray]
    area_features: Callable[[Columns, str], dict[str, np.ndarray]] | None = None
    check: Callable[[Columns], tuple[dict[str, np.ndarray], np.ndarray]] | None = None
    clock_features: Callable[[Columns, str], dict[str, np.ndarray]] | None = None


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``values`` (ascending) and each value's index among them, as
    ``np.unique(values, return_inverse=True)`` gives them; small integer ranges without
    sorting."""
    if values.dtype.kind in "iu" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 22:
            offsets = values - low
            seen = np.zeros(high - low + 1, dtype=bool)
            seen[offsets] = True
            lookup = np.cumsum(seen) - 1
            return np.flatnonzero(seen) + low, lookup[offsets]
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.reshape(-1)


def per_unique(function: Callable[..., Any], *arrays: np.ndarray,
               dtype: Any = np.float64) -> np.ndarray:
    """``function`` of each design's arguments (one array per argument, taken as Python
    values), called once per distinct combination of them: the scalar function's exact
    values. A function that returns a tuple gives one column per item."""
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    uniques = []
    for array in arrays:
        values, inverse = _factorize(np.asarray(array))
        key = key * len(values) + inverse
        uniques.append(values)
    keys, index = _factorize(key)
    results = []
    for combined in keys.tolist():
        arguments = []
        for values in reversed(uniques):
            arguments.append(values[combined % len(values)].item())
            combined //= len(values)
        results.append(function(*reversed(arguments)))
    if not results:
        return np.zeros(0, dtype=dtype)
    return np.array(results, dtype=dtype)[index]


def in_range(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whether each integer is in ``low..high``, as ``hw.params.check_int`` accepts it (an
    integer array: bools are not integers there)."""
    if values.dtype.kind not in "iu":
        return np.zeros(len(values), dtype=bool)
    return (values >= low) & (values <= high)


def is_bool(values: np.ndarray) -> np.ndarray:
    """Whether each value is a bool, as ``hw.params.check_bool`` accepts it."""
    return np.full(len(values), values.dtype == np.bool_)


def ceil_div(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``ceil(a / b)`` of positive integers, elementwise."""
    return -(-np.asarray(a) // np.asarray(b))


def linear_sum(pairs: list[tuple[float, np.ndarray]], size: int) -> np.ndarray:
    """``sum(c * x for c, x in pairs)`` per design, added in the pairs' order from 0, as
    ``dse.models.area.LinearFit.predict`` adds them."""
    total = np.zeros(size, dtype=np.float64)
    for coefficient, values in pairs:
        total = total + coefficient * values
    return total
