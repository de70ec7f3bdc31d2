"""The fitted area model of ``pim-v1`` on ECP5 (``bench/area_pim.py``): what holds by
construction of the shipped data file, without the tools: it loads, a refit from its
training samples reproduces its coefficients and recorded errors, DSPs and BRAMs follow
their rules on every stored sample, the out-of-range signal fires outside the sampled
space, and a pim spec can now ask for area metrics."""

from __future__ import annotations

import dataclasses

import pytest

from dse.models.area import RESOURCES
from dse.models.pim import constant_multipliers, pim_features, register_bits
from dse.models.registry import area, area_data, area_features
from hw.pim.params import PimParams
from tests.dse.area_samples import split

GENERATOR, TARGET = "pim-v1", "ecp5-85k"
#: The same device with LUT4s only (``synth_ecp5 -nowidelut``), and with LUTs mapped to the
#: clock (``abc9 -D <period>``): models of their own
LUT4_ONLY, CLOCK_MAPPED = "ecp5-85k-nowidelut", "ecp5-85k-area"


@pytest.fixture(scope="module", params=[TARGET, LUT4_ONLY, CLOCK_MAPPED])
def data(request):
    return area_data(GENERATOR, request.param)


def test_the_model_loads_with_the_familys_features(data):
    model, samples = data
    assert model.generator == GENERATOR and model.target in (TARGET, LUT4_ONLY, CLOCK_MAPPED)
    assert area_features(GENERATOR) is pim_features
    assert set(model.resources) == set(RESOURCES)
    assert len(split(samples, "held_out")) >= 30
    assert not ({s.params for s in split(samples, "train")}
                & {s.params for s in split(samples, "held_out")})


def test_dsp_and_bram_are_their_rules_on_every_sample(data):
    """DSPs: the constant products of block interleave; BRAMs: none (no memory)."""
    model, samples = data
    assert any(constant_multipliers(s.params) for s in samples)
    for sample in samples:
        report = model.estimate(sample.params)
        assert sample.measured["dsp"] == constant_multipliers(sample.params), sample.params
        assert sample.measured["bram"] == 0
        assert report.dsp == pytest.approx(constant_multipliers(sample.params))
        assert report.bram == 0


def test_register_bits_count_the_flip_flops_of_every_sample(data):
    """The registers counted from the RTL are Yosys's flip-flops, to within 2% on every
    stored design (held out included: the count is not fitted)."""
    _, samples = data
    for sample in samples:
        measured = sample.measured["ff"]
        assert register_bits(sample.params) == pytest.approx(measured, rel=0.02), sample.params


@pytest.mark.parametrize("variant", [LUT4_ONLY, CLOCK_MAPPED])
def test_the_variant_fits_hold_the_same_designs_with_the_same_flip_flops(variant):
    """Only ABC's LUT mapping differs between the targets: the fits hold the same designs
    in the same splits, with equal FFs, DSPs and BRAMs, and fewer LUTs in all without wide
    LUTs, or mapped to the clock."""
    _, wide = area_data(GENERATOR, TARGET)
    _, narrow = area_data(GENERATOR, variant)
    by_params = {s.params: s for s in wide}
    assert {s.params for s in narrow} == set(by_params)
    for sample in narrow:
        other = by_params[sample.params]
        assert sample.split == other.split
        for resource in ("ff", "dsp", "bram"):
            assert sample.measured[resource] == other.measured[resource], (resource,
                                                                            sample.params)
    assert sum(s.measured["lut"] for s in narrow) < sum(s.measured["lut"] for s in wide)


@pytest.mark.synth
def test_the_smallest_held_out_design_is_reproduced_by_synthesis(data, tmp_path, monkeypatch):
    """The data is real: the held-out design with the fewest LUTs, synthesized again on the
    model's target, gives the stored counts and cells."""
    from flows.synth import synthesize

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    model, samples = data
    sample = min(split(samples, "held_out"), key=lambda s: s.measured["lut"])
    result = synthesize(sample.params, model.target, place=False)
    assert not result.cached
    assert result.synthesized == sample.measured and result.cells == sample.cells


def test_register_bits_hand_checked():
    """1 channel, 2 banks in all-bank mode, row interleave, 3 FR-FCFS entries, 32 rows,
    4 columns, closed page, HBM2 (CL 14): 820 registers (Yosys keeps 822)."""
    params = PimParams(channels=1, banks=2, rows=32, columns=4, lanes=1, element_width=3,
                       acc_width=32, timing="hbm2", pim_mode="all-bank",
                       page_policy="closed", scheduler="frfcfs", queue_depth=3,
                       refresh="all-bank", interleave="row")
    # job: rows 24, chunks 20, per-bank rows 24, start 1; engine: generator 1 + 24 + 20
    # + (2 + 5), bank state 1 + 5 + 30 + 1, channel timers 70, pending 2 + shared tags 23
    # + keep 2, refresh 12 + 4, queue 3 x (5 + 2 + 1 + 1 + 24 + 1) + 2, command 13, tags in
    # flight 15 x 25, result 1 + 24 + 32
    assert register_bits(params) == 69 + 52 + 37 + 70 + 27 + 16 + 104 + 13 + 375 + 57


def test_scheduled_banks_count_each_channels_banks_once_in_all_bank_mode():
    base = PimParams(channels=2, banks=8, pim_mode="per-bank")
    assert pim_features(base, TARGET)["scheduled_banks"] == 16
    assert pim_features(dataclasses.replace(base, pim_mode="none"), TARGET)[
        "scheduled_banks"] == 16
    assert pim_features(dataclasses.replace(base, pim_mode="all-bank"), TARGET)[
        "scheduled_banks"] == 2


def test_constant_multipliers_hand_checked():
    base = PimParams(channels=4, banks=8, interleave="block")
    # all-bank: flat = bank * 4 + channel in 0..31, all but 0 and 1
    assert constant_multipliers(dataclasses.replace(base, pim_mode="all-bank")) == 30
    # per-bank and none: channel * per_bank for channels 2 and 3
    assert constant_multipliers(dataclasses.replace(base, pim_mode="per-bank")) == 2
    assert constant_multipliers(dataclasses.replace(base, pim_mode="none")) == 2
    assert constant_multipliers(dataclasses.replace(base, interleave="row")) == 0
    assert constant_multipliers(PimParams(channels=1, banks=1, interleave="block")) == 0


def test_out_of_range_fires_outside_the_sampled_space(data):
    model, samples = data
    inside = split(samples, "train")[0].params
    assert model.estimate(inside).out_of_range == ()
    for change, name in [({"channels": 16}, "channels"), ({"queue_depth": 32}, "queue_depth"),
                         ({"banks": 32}, "banks")]:
        outside = dataclasses.replace(inside, **change)
        assert any(reason.startswith(f"{name} = ")
                   for reason in model.estimate(outside).out_of_range), change


def test_estimates_are_pure_and_grow_with_channels():
    params = PimParams(channels=1, banks=4, pim_mode="per-bank", queue_depth=4)
    first, second = area(params, TARGET), area(params, TARGET)
    assert first == second
    wider = area(dataclasses.replace(params, channels=2), TARGET)
    assert wider.lut > first.lut and wider.ff > first.ff


PIM_SPEC = """
generator = "pim"
target = "ecp5-85k"
clock_mhz = 1000
[space]
channels = 2
banks = 4
pim_mode = ["all-bank", "per-bank"]
queue_depth = [2, 4]
[[workload]]
gemm = "64x256x1"
[objectives]
latency_cycles = "minimize"
lut = "minimize"
[constraints]
ff = { max = 100000 }
"""


def test_a_pim_spec_can_minimize_luts_and_bound_ffs():
    from dse.spec import parse_spec

    spec = parse_spec(PIM_SPEC)
    params = spec.space.params({"pim_mode": "per-bank", "queue_depth": 4})
    metrics = spec.evaluate(params)
    estimate = area(params, TARGET)
    assert metrics["lut"] == pytest.approx(estimate.lut) and metrics["lut"] > 0
    assert metrics["ff"] == pytest.approx(estimate.ff) and metrics["ff"] > 0
