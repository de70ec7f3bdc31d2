"""The qmlp-v1 analytic models (RTL agreement is in tests/sim/test_qmlp_rtl.py): closed
forms against the exact recurrence, and the folding optimizer against brute force."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from dse.models import qmlp as model
from dse.workload import Gemm
from hw.params import ParamError
from hw.qmlp.params import QmlpParams, divisors

FOLDINGS = ["", "2x4,2x2", "8x16,1x1", "1x1,4x8", "8x16,4x8", "4x2,2x8"]


@pytest.mark.parametrize("folding", FOLDINGS)
def test_latency_closed_form_and_steady_initiation_interval(folding):
    params = QmlpParams(folding=folding)
    report = model.cycles_of(params, 1)
    assert report.cycles == report.latency == model.latency(params.folds())
    # after the pipeline fills, each extra vector costs exactly the slowest layer's II
    many, more = model.cycles_of(params, 40), model.cycles_of(params, 41)
    assert more.cycles - many.cycles == many.initiation_interval
    assert many.cycles >= many.compute_bound - many.initiation_interval


def test_initiation_interval_is_finns_formula():
    params = QmlpParams(layers="84,64,32,5", folding="4x12,4x8,5x4")
    timings = model.layer_timing(params.folds())
    assert [t.steps for t in timings] == [16 * 7, 16 * 4, 1 * 8]
    assert [t.in_beats for t in timings] == [7, 16, 8]
    assert model.cycles_of(params, 3).initiation_interval == 112


def test_workload_must_match_the_network():
    with pytest.raises(ParamError, match=r"K must be the network's 16 inputs and N its 4 "
                                         r"outputs, not K=8, N=4"):
        model.cycles(QmlpParams(), Gemm(3, 8, 4))
    assert model.cycles(QmlpParams(), Gemm(3, 16, 4)).vectors == 3


def _brute_force(params: QmlpParams, target_ii: int) -> float:
    folds = params.folds()
    best = float("inf")
    for combo in itertools.product(*[[(pe, simd) for pe in divisors(f.outputs)
                                      for simd in divisors(f.inputs)] for f in folds]):
        candidate = params.with_folding(combo)
        timings = model.layer_timing(candidate.folds())
        if max(t.initiation_interval for t in timings) <= target_ii:
            best = min(best, sum(pe * simd for pe, simd in combo))
    return best


@pytest.mark.parametrize("target_ii", [1, 2, 5, 16, 40, 128])
def test_folding_optimizer_is_cheapest_meeting_the_target(target_ii):
    params = QmlpParams(layers="12,8,4")
    choice = model.optimize_folding(params, target_ii, cost="pes")
    assert choice.initiation_interval <= target_ii
    assert choice.cost == _brute_force(params, target_ii)


def _brute_force_luts(params: QmlpParams, target_ii: int) -> float:
    area = model.load_area_model(params.generator, "ecp5-85k", model.qmlp_features)
    best = float("inf")
    for combo in itertools.product(*[[(pe, simd) for pe in divisors(f.outputs)
                                      for simd in divisors(f.inputs)] for f in params.folds()]):
        candidate = params.with_folding(combo)
        timings = model.layer_timing(candidate.folds())
        if max(t.initiation_interval for t in timings) <= target_ii:
            best = min(best, float(area.estimate(candidate).resources()["lut"]))
    return best


@pytest.mark.parametrize("target_ii", [2, 6, 24])
def test_folding_optimizer_finds_the_fewest_modelled_luts(target_ii):
    # every folding of a 3-layer network priced by the area model: the dynamic program's
    # choice is the cheapest; equal up to the order the same terms are summed in
    params = QmlpParams(layers="12,8,6,4", weight_bits=3, act_bits=2, input_bits=4)
    choice = model.optimize_folding(params, target_ii, cost="lut")
    assert choice.initiation_interval <= target_ii
    assert choice.cost == pytest.approx(_brute_force_luts(params, target_ii), rel=1e-12)


def test_folding_optimizer_with_the_area_model_meets_the_target():
    params = QmlpParams(layers="84,64,32,5")
    loose = model.optimize_folding(params, 512, cost="lut")
    tight = model.optimize_folding(params, 16, cost="lut")
    assert loose.initiation_interval <= 512 and tight.initiation_interval <= 16
    assert tight.cost > loose.cost


def _brute_force_within_brams(params: QmlpParams, target_ii: int, max_bram: int
                              ) -> tuple[float, int]:
    """The fewest modelled LUTs, and the fewest block RAMs among those, over every folding
    meeting ``target_ii`` whose weight ROMs take at most ``max_bram`` block RAMs."""
    area = model.load_area_model(params.generator, "ecp5-85k", model.qmlp_features)
    best = (float("inf"), 0)
    for combo in itertools.product(*[[(pe, simd) for pe in divisors(f.outputs)
                                      for simd in divisors(f.inputs)] for f in params.folds()]):
        candidate = params.with_folding(combo)
        brams = model.weight_rom_brams(candidate, "ecp5-85k")
        timings = model.layer_timing(candidate.folds())
        if brams <= max_bram and max(t.initiation_interval for t in timings) <= target_ii:
            best = min(best, (float(area.estimate(candidate).resources()["lut"]), brams))
    return best


@pytest.mark.parametrize(("target_ii", "max_bram"), [(4, 0), (4, 2), (24, 2), (24, 3),
                                                     (96, 1), (96, 14)])
def test_folding_optimizer_keeps_block_rams_within_the_budget(target_ii, max_bram):
    # weights in block RAM: the cheapest folding in modelled LUTs among those whose ROMs
    # fit in max_bram block RAMs (0..14 over this network's foldings), as brute force finds
    params = QmlpParams(layers="24,16,4", weight_bits=4, act_bits=2, input_bits=3,
                        weight_memory="block")
    choice = model.optimize_folding(params, target_ii, max_bram=max_bram)
    assert choice.initiation_interval <= target_ii
    assert choice.brams == model.weight_rom_brams(choice.params, "ecp5-85k") <= max_bram
    lut, _ = _brute_force_within_brams(params, target_ii, max_bram)
    assert choice.cost == pytest.approx(lut, rel=1e-12)
    assert choice.to_json()["max_bram"] == max_bram


def test_a_budget_that_binds_costs_luts_and_none_is_unbounded():
    params = QmlpParams(layers="24,16,4", weight_bits=4, act_bits=2, input_bits=3,
                        weight_memory="block")
    free = model.optimize_folding(params, 4)
    assert free.brams == model.weight_rom_brams(free.params, "ecp5-85k") > 2
    tight = model.optimize_folding(params, 4, max_bram=2)
    assert tight.brams <= 2 and tight.cost > free.cost
    # no block RAM at all: every layer fully parallel (no ROM), at any II
    none = model.optimize_folding(params, 96, max_bram=0)
    assert none.brams == 0 and all(f.cycles_per_vector == 1 for f in none.params.folds())
    # weights in logic take no block RAM: a budget of 0 changes nothing
    logic = QmlpParams(layers="24,16,4", weight_bits=4, act_bits=2, input_bits=3)
    assert model.optimize_folding(logic, 24, max_bram=0) == dataclasses.replace(
        model.optimize_folding(logic, 24), max_bram=0)


def test_folding_optimizer_errors():
    with pytest.raises(ParamError, match=r"^`target_ii` must be a positive integer"):
        model.optimize_folding(QmlpParams(), 0)
    with pytest.raises(ParamError, match=r"^`cost` must be one of 'lut', 'pes'"):
        model.optimize_folding(QmlpParams(), 4, cost="power")
    with pytest.raises(ParamError, match=r"^`max_bram` must be a block RAM count >= 0"):
        model.optimize_folding(QmlpParams(), 4, max_bram=-1)



def test_energy_grows_with_work_and_has_no_offchip_part():
    params = QmlpParams(folding="2x4,2x2")
    one, ten = model.energy(params, Gemm(1, 16, 4)), model.energy(params, Gemm(10, 16, 4))
    assert ten.total_pj == pytest.approx(10 * one.total_pj)
    assert one.offchip_pj == 0.0 and all(v > 0 for v in one.on_chip.values())
    wide = model.energy(QmlpParams(folding="2x4,2x2", weight_bits=8), Gemm(1, 16, 4))
    assert wide.on_chip["mac"] > one.on_chip["mac"]
