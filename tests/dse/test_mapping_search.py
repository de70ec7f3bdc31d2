"""The accel-v1 mapper's search (issue 19): its lower bounds never exceed the exact cycles,
and its branch and bound chooses what brute force chooses, on ragged shapes, starved
bandwidth (the least the vectorized model takes: bus_bytes / 8 or / 4), layers large
enough that the search runs several rounds of bounds and exact costs, and bandwidth below
bus_bytes / 9 (where it costs with the scalar model)."""

from __future__ import annotations

import numpy as np
import pytest

from dse.mapping import OBJECTIVES
from dse.mapping.accel import (
    _block_cycles,
    _coarse_bounds,
    _cycle_bounds,
    _job,
    best_index,
    evaluate,
    legal_mappings,
    map_gemm,
)
from dse.models.accel import cycles, energy_of_counts
from dse.workload import Gemm
from hw.accel.tiling import Mapping
from tests.dse.test_mapping import CASES, DESIGNS, _brute_force, gemm_of

#: (design, M, K, N, bandwidth, latency): every dimension ragged against its tiles and
#: the bandwidth at the least the vectorized model takes (bus_bytes / 8, or / 4 for the
#: 4-byte bus)
STARVED = [("default", 30, 20, 27, 1, 40), ("ws", 21, 37, 19, 1, 5),
           ("wide-bus", 19, 26, 35, 2, 40), ("latency-bound", 13, 21, 11, 1, 3),
           ("small-buffers", 26, 45, 30, 1, 12), ("ws-wide", 22, 41, 13, 4, 2),
           ("bitserial", 30, 50, 27, 1, 40), ("bitserial-wide", 19, 26, 35, 2, 40)]

#: Bandwidth below bus_bytes / 9 (a step can wait for the one before): the mapper bounds
#: with its block sums and costs the rest with the scalar model
BELOW = [("wide-bus", 19, 26, 35, 1, 40), ("ws-wide", 22, 41, 13, 2, 3),
         ("ws-wide", 17, 20, 9, 1, 25), ("bitserial-wide", 19, 26, 35, 1, 40)]

#: Layers of a few thousand mappings, brute-forced through the vectorized exact model
#: (equal to the scalar model on every mapping: tests/dse/test_mapping.py)
LARGER = [("default", 100, 200, 150, 8, 40), ("default", 100, 200, 150, 1, 40),
          ("ws", 100, 180, 120, 8, 40), ("wide-bus", 120, 150, 90, 4, 10),
          ("bitserial", 100, 200, 150, 4, 40)]


def _ids(cases):
    return [f"{c[0]}-{c[1]}x{c[2]}x{c[3]}-bw{c[4]}-lat{c[5]}" for c in cases]


@pytest.mark.parametrize("case", CASES + STARVED, ids=_ids(CASES + STARVED))
def test_the_bounds_are_at_most_the_exact_cycles(case):
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    maps = legal_mappings(params, gemm)
    job = _job(params, gemm, maps, bandwidth, latency)
    exact, _ = _block_cycles(job)
    floor, _ = _block_cycles(job, floor=True)
    closed = _cycle_bounds(job)
    assert (closed <= exact).all()
    assert (floor <= exact).all()
    assert (_coarse_bounds(job) <= exact).all()


@pytest.mark.parametrize("case", BELOW, ids=_ids(BELOW))
def test_the_bounds_hold_below_a_ninth_of_the_bus(case):
    """There a step can wait for the DRAM traffic of the one before; that only delays its
    transfers, so the bounds are still at most the scalar model's cycles."""
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    maps = legal_mappings(params, gemm)
    job = _job(params, gemm, maps, bandwidth, latency, starved=True)
    floor, _ = _block_cycles(job, floor=True)
    closed = _cycle_bounds(job)
    coarse = _coarse_bounds(job)
    for index in range(len(maps)):
        exact = cycles(params, gemm, Mapping(int(maps.tm[index]), int(maps.tk[index]),
                                             int(maps.tn[index]), maps.order(index)),
                       bandwidth, latency).cycles
        assert closed[index] <= exact and floor[index] <= exact and coarse[index] <= exact


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("case", STARVED + BELOW, ids=_ids(STARVED + BELOW))
def test_the_choice_is_optimal_by_brute_force_on_ragged_shapes_and_starved_bandwidth(
        case, objective):
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    chosen = map_gemm(params, gemm, bandwidth, latency, objective)
    report = cycles(params, gemm, Mapping.parse(chosen.tiles, chosen.order), bandwidth,
                    latency)
    energy = energy_of_counts(params, report.activity, gemm.macs).total_pj
    assert (chosen.cycles, chosen.stall_cycles) == (report.cycles, report.stall_cycles)
    assert (chosen.dram_read_bytes, chosen.dram_write_bytes) == (
        report.activity.dram_read_bytes, report.activity.dram_write_bytes)
    assert chosen.energy_pj == pytest.approx(energy, rel=1e-12)
    value = {"cycles": chosen.cycles, "dram": chosen.dram_bytes, "energy": chosen.energy_pj,
             "edp": chosen.energy_pj * chosen.cycles}[objective]
    assert value == pytest.approx(_brute_force(*case)[objective], rel=1e-12)


@pytest.mark.parametrize("case", LARGER, ids=_ids(LARGER))
def test_the_choice_is_brute_force_s_on_larger_layers(case):
    name, m, k, n, bandwidth, latency = case
    params, gemm = DESIGNS[name], gemm_of(name, m, k, n)
    maps = legal_mappings(params, gemm)
    costs = evaluate(params, gemm, maps, bandwidth, latency)
    for objective in ("cycles", "edp"):
        best = best_index(maps, costs, objective)
        chosen = map_gemm(params, gemm, bandwidth, latency, objective)
        assert (chosen.tiles, chosen.order) == (
            f"{maps.tm[best]}x{maps.tk[best]}x{maps.tn[best]}", maps.order(best))
        assert chosen.cycles == int(costs.cycles[best])
        assert chosen.energy_pj == costs.energy_pj[best]
    report = cycles(params, gemm, Mapping.parse(chosen.tiles, chosen.order), bandwidth,
                    latency)
    assert report.cycles == chosen.cycles


def test_transfer_profiles_are_shared_across_gemms_without_changing_results():
    """Row profiles of transfers are kept per DRAM and burst shape, across GEMMs: costing a
    layer after others gives what costing it alone gives (the scalar model decides)."""
    params, bandwidth, latency = DESIGNS["wide-bus"], 4, 10
    gemm = Gemm(40, 33, 16)
    for other in (Gemm(130, 90, 200), Gemm(9, 40, 31)):
        map_gemm(params, other, bandwidth, latency)
    maps = legal_mappings(params, gemm)
    costs = evaluate(params, gemm, maps, bandwidth, latency)
    rng = np.random.default_rng(3)
    for index in rng.choice(len(maps), 40, replace=False):
        mapping = Mapping(int(maps.tm[index]), int(maps.tk[index]), int(maps.tn[index]),
                          maps.order(int(index)))
        assert int(costs.cycles[index]) == cycles(params, gemm, mapping, bandwidth,
                                                  latency).cycles, mapping
