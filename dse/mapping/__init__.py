"""Per-layer mapping search: for one design, one DRAM and a workload, the mapping (tile
sizes and loop order) of every layer that minimizes a chosen metric, with the exact
analytic models of the design's family.

A family with run-time mappings registers a :class:`Mapper` below (one line); shared code
asks :func:`mapper` and never compares a family's name. Repeated layer shapes are mapped
once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from dse.mapping import accel
from dse.mapping.records import OBJECTIVES, LayerMapping, Mapper, check_objective
from dse.workload import Gemm, Layer
from hw.family import add_record, lookup

__all__ = ["OBJECTIVES", "LayerMapping", "Mapper", "NetworkMapping", "check_objective",
           "map_layers", "mapper", "register"]

_MAPPERS: dict[str, Mapper] = {}


def register(record: Mapper) -> Mapper:
    return add_record(_MAPPERS, record.generator, record, "mapper")


def mapper(generator: str) -> Mapper:
    """The mapper of a versioned generator name.

    Raises:
        UnknownGeneratorError: for a family without one, listing those that have one.
    """
    return lookup(_MAPPERS, generator, "mapper")


@dataclasses.dataclass(frozen=True)
class NetworkMapping:
    """Every layer's chosen mapping (``layers`` in the workload's order) and the totals,
    each layer counted ``repeat`` (batch x count) times."""

    layers: tuple[tuple[Layer, LayerMapping], ...]
    objective: str
    bandwidth: int
    latency: int

    def total(self) -> dict[str, Any]:
        cycles = sum(layer.repeat * m.cycles for layer, m in self.layers)
        dram = sum(layer.repeat * m.dram_bytes for layer, m in self.layers)
        bound = sum(layer.repeat * m.compulsory_bytes for layer, m in self.layers)
        energy = sum(layer.repeat * m.energy_pj for layer, m in self.layers)
        return {"cycles": cycles, "dram_bytes": dram, "energy_pj": energy,
                "bound_ratio": dram / bound, "layers": sum(layer.repeat
                                                            for layer, _ in self.layers),
                "legal_mappings": sum(m.legal_mappings for _, m in self.layers)}

    def to_json(self, params: Any) -> dict[str, Any]:
        """The ``hwdse.map/1`` record."""
        return {
            "schema": "hwdse.map/1",
            "generator": params.generator,
            "params": params.to_dict() if hasattr(params, "to_dict") else dataclasses.asdict(
                params),
            "dram": {"bandwidth": self.bandwidth, "latency": self.latency},
            "objective": self.objective,
            "layers": [{"name": layer.name, "gemm": str(m.gemm), "repeat": layer.repeat,
                        "mapping": {"tiles": m.tiles, "order": m.order},
                        "cycles": m.cycles, "stall_cycles": m.stall_cycles,
                        "dram_bytes": m.dram_bytes, "dram_read_bytes": m.dram_read_bytes,
                        "dram_write_bytes": m.dram_write_bytes,
                        "compulsory_bytes": m.compulsory_bytes, "bound_ratio": m.bound_ratio,
                        "energy_pj": m.energy_pj, "legal_mappings": m.legal_mappings}
                       for layer, m in self.layers],
            "total": self.total(),
        }


def map_layers(params: Any, layers: Sequence[Layer], bandwidth: int | None = None,
               latency: int | None = None, objective: str = "cycles",
               table: Any = None) -> NetworkMapping:
    """Map every layer of ``layers`` on ``params`` (each distinct GEMM once) against a DRAM
    of ``bandwidth`` bytes per cycle and ``latency`` cycles (the family's defaults where
    None), with the energies of ``table`` (:class:`dse.models.energy.EnergyTable`; None:
    the default table).

    Raises:
        ParamError: for an unknown objective, a bad bandwidth or latency.
        UnknownGeneratorError: if the family has no mapper.
    """
    check_objective(objective)
    record = mapper(params.generator)
    default_bandwidth, default_latency = record.dram_defaults(params)
    bandwidth = default_bandwidth if bandwidth is None else bandwidth
    latency = default_latency if latency is None else latency
    done: dict[Gemm, LayerMapping] = {}
    chosen = []
    for layer in layers:
        # the GEMM with its precision (a run-time input of the bit-serial core)
        if layer.gemm not in done:
            done[layer.gemm] = record.map_gemm(params, layer.gemm, bandwidth, latency,
                                               objective, table=table)
        chosen.append((layer, done[layer.gemm]))
    return NetworkMapping(tuple(chosen), objective, bandwidth, latency)


register(accel.MAPPER)
