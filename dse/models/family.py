"""The record a generator family registers with the analytic-model layer.

A family's ``dse/models/<family>.py`` exports one :class:`FamilyModels` as ``MODELS``;
``dse/models/registry.py`` registers it with one line. Shared code (metrics, the RTL
check, co-design) asks the record and never compares a family's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dse.models.batch import BatchModels

#: A family's area features: (params, target name) -> feature name -> value.
FeatureFunction = Callable[[Any, str], Mapping[str, float]]


@dataclasses.dataclass(frozen=True)
class FamilyModels:
    """A family's analytic models.

    - ``cycles(params, gemm)``: a report with at least ``cycles``, ``compute_bound``,
      ``utilization`` and ``pes``;
    - ``energy(params, gemm, table=None)``: the predicted :class:`EnergyReport`;
    - ``energy_from_counters(params, counters, useful_macs, table=None)``: the energy of
      the activity an RTL simulation counted;
    - ``area_features``: the features of the fitted area model (None: no area model);
    - ``tolerance``: the relative error the cycle model may have against the RTL (0 for
      an exact model);
    - ``fold_network(params, target_ii, *, target)``: for a family that builds the network
      into the hardware (``network_mapping = "network"``), the cheapest design of the
      network ``params`` meeting an initiation interval: a choice with ``params`` and
      ``initiation_interval`` (None: the family runs layers as GEMMs);
    - ``exact_resources(params, target)``: resources known exactly without a fitted area
      model (e.g. block RAMs by the memory-mapping rule), for a family whose LUTs and FFs
      have no model yet (None: none);
    - ``batch``: the same models for many designs at once, on numpy arrays
      (:class:`dse.models.batch.BatchModels`; None: only the scalar models);
    - ``clock_features(params, target)``: features of the clock model besides the generic
      ones of :func:`dse.models.clock.param_features`, where the parameters do not carry
      the structure that sets the clock as numbers (None: the generic ones only; a family
      with batch models gives their batch form too, ``BatchModels.clock_features``).
    """

    generator: str
    cycles: Callable[..., Any]
    energy: Callable[..., Any]
    energy_from_counters: Callable[..., Any]
    area_features: FeatureFunction | None = None
    tolerance: float = 0.0
    fold_network: Callable[..., Any] | None = None
    exact_resources: Callable[[Any, str], Mapping[str, float]] | None = None
    batch: BatchModels | None = None
    clock_features: FeatureFunction | None = None

    def __post_init__(self) -> None:
        if (self.batch is not None
                and (self.clock_features is None) != (self.batch.clock_features is None)):
            raise ValueError(f"{self.generator}: clock_features and "
                             "batch.clock_features come together (the batch clock path "
                             "computes the same features)")
