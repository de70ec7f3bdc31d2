"""Analytic models of the MAC chain: exact cycles (one beat per cycle, the result one
cycle after the last beat), activity, and energy from the shared 45 nm table."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from dse.models.common import ActivityCounts, ArrayCycleReport
from dse.models.energy import EnergyReport, EnergyTable, default_energy_table, make_report
from dse.models.family import FamilyModels
from dse.workload import Gemm
from tests.mac_family.hw import MacParams


@dataclasses.dataclass(frozen=True)
class MacActivity(ActivityCounts):
    macs: int           # multiplier operations, zero padding included
    result_words: int
    operand_beats: int


def _beats(params: MacParams, gemm: Gemm) -> int:
    return gemm.m * gemm.n * -(-gemm.k // params.lanes)


def cycles(params: MacParams, gemm: Gemm) -> ArrayCycleReport:
    beats = _beats(params, gemm)
    return ArrayCycleReport(cycles=beats + 1, compute_bound=beats, tiles=gemm.m * gemm.n,
                            operand_beats=beats, result_beats=gemm.m * gemm.n,
                            macs=gemm.macs, pes=params.lanes)


def activity(params: MacParams, gemm: Gemm) -> MacActivity:
    beats = _beats(params, gemm)
    return MacActivity(macs=beats * params.lanes, result_words=gemm.m * gemm.n,
                       operand_beats=beats)


def _energy(params: MacParams, counts: MacActivity, useful_macs: int,
            table: EnergyTable | None) -> EnergyReport:
    table = table or default_energy_table()
    mac = table.int_multiply.at(params.width) + table.int_add.at(params.acc_width)
    return make_report(table, counts, useful_macs, {"mac": counts.macs * mac},
                       counts.operand_beats * 2 * params.lanes * params.width
                       + counts.result_words * params.acc_width)


def energy(params: MacParams, gemm: Gemm, table: EnergyTable | None = None) -> EnergyReport:
    return _energy(params, activity(params, gemm), gemm.macs, table)


def energy_from_counters(params: MacParams, counters: Mapping[str, int], useful_macs: int,
                         table: EnergyTable | None = None) -> EnergyReport:
    return _energy(params, MacActivity.from_counters(counters), useful_macs, table)


MODELS = FamilyModels("mac-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters)
