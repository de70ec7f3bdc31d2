"""Analytic cycle and energy models keyed by versioned generator name (like
``hw.registry``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from dse.models import bitserial, energy, pim, qmlp, systolic
from hw.registry import lookup

CYCLE_MODELS: dict[str, Callable[[Any, Any], Any]] = {
    "systolic-v1": systolic.cycles,
    "bitserial-v1": bitserial.cycles,
    "pim-v1": pim.cycles,
    "qmlp-v1": qmlp.cycles,
}


def cycle_model(generator: str) -> Callable[[Any, Any], Any]:
    """The cycle model of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none is registered.
    """
    return lookup(CYCLE_MODELS, generator, "cycle model")


@dataclasses.dataclass(frozen=True)
class EnergyModel:
    """A family's energy model: predicted from (params, workload, table), and measured from
    (params, RTL counters, useful MACs, table)."""

    predict: Callable[..., energy.EnergyReport]
    from_counters: Callable[..., energy.EnergyReport]


ENERGY_MODELS: dict[str, EnergyModel] = {
    "systolic-v1": EnergyModel(energy.energy, energy.energy_from_counters),
    "bitserial-v1": EnergyModel(bitserial.energy, bitserial.energy_from_counters),
    "pim-v1": EnergyModel(pim.energy, pim.energy_from_counters),
    "qmlp-v1": EnergyModel(qmlp.energy, qmlp.energy_from_counters),
}


def energy_model(generator: str) -> EnergyModel:
    """The energy model of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none is registered.
    """
    return lookup(ENERGY_MODELS, generator, "energy model")
