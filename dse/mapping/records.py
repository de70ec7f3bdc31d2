"""What a mapper returns, and the record a family registers with :mod:`dse.mapping`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from dse.workload import Gemm
from hw.params import ParamError

#: Metrics a mapping can minimize.
OBJECTIVES = ("cycles", "dram", "energy", "edp")


@dataclasses.dataclass(frozen=True)
class LayerMapping:
    """The chosen mapping of one GEMM and its cost."""

    gemm: Gemm
    tiles: str            # "TMxTKxTN"
    order: str
    cycles: int
    stall_cycles: int
    dram_read_bytes: int
    dram_write_bytes: int
    energy_pj: float
    compulsory_bytes: int   # A and B read once, C written once
    legal_mappings: int
    # how the search reached its choice: mappings given a sharper bound than the closed
    # form, and mappings costed exactly (the rest were ruled out by a bound)
    sharpened: int = 0
    costed: int = 0

    @property
    def dram_bytes(self) -> int:
        return self.dram_read_bytes + self.dram_write_bytes

    @property
    def bound_ratio(self) -> float:
        """DRAM traffic over the compulsory traffic (>= 1)."""
        return self.dram_bytes / self.compulsory_bytes


@dataclasses.dataclass(frozen=True)
class Mapper:
    """A family's mapper: ``map_gemm(params, gemm, bandwidth, latency, objective)`` returns
    a :class:`LayerMapping` (raising ``ParamError`` for a bad bandwidth or latency);
    ``dram_defaults(params)`` the (bandwidth, latency) used where none is given."""

    generator: str
    map_gemm: Callable[..., LayerMapping]
    dram_defaults: Callable[[Any], tuple[int, int]]


def check_objective(objective: str) -> str:
    """``objective`` if it is one of :data:`OBJECTIVES`.

    Raises:
        ParamError: naming the parameter and the allowed values.
    """
    if objective not in OBJECTIVES:
        raise ParamError(f"`objective` must be one of {', '.join(OBJECTIVES)}, "
                         f"not {objective!r}")
    return objective
