"""The analytic models of ``bitserial-v1`` (pure; the RTL equality is in
tests/sim/test_bitserial_rtl.py) and its fitted area model."""

from __future__ import annotations

import numpy as np
import pytest

from dse.models.area import RESOURCES, fit, lane_tree_bits
from dse.models.bitserial import activity, bitserial_features, cycles, energy, group_beats
from dse.models.registry import area_data
from dse.workload import Gemm
from hw.bitserial import BitSerialParams
from hw.params import ParamError

SMALL = BitSerialParams(rows=2, cols=3, lanes=4, max_bits=4, parallel_width=4, acc_width=16)


def test_cycles_hand_checked():
    # 3x9x4 on 2x3 PEs: 2 x 2 tiles of ceil(9 / 4) = 3 chunks; b beats per chunk; the last
    # result leaves rows + 2 cycles after the last beat (these numbers are also the RTL's)
    for bits, expected in ((1, 15), (2, 27), (3, 39), (4, 51)):
        assert cycles(SMALL, Gemm(3, 9, 4, bits=bits)).cycles == expected
    scaled = BitSerialParams(rows=2, cols=3, lanes=4, max_bits=4, parallel_width=4,
                             acc_width=16, scale_width=5)
    # 1 bit: 3-beat groups, but a group may end only 5 cycles after the previous one
    assert cycles(scaled, Gemm(3, 9, 4, bits=1)).cycles == 2 + 3 * 5 + 5 + 2 + 2


def test_per_group_precision_and_group_sizes():
    gemm = Gemm(3, 9, 4, bits=(1, 4, 2), group_size=4)
    assert gemm.group_bits(4) == [1, 4, 2]
    assert gemm.groups() == [(0, 4), (4, 8), (8, 9)]
    assert group_beats(SMALL, gemm) == [1, 4, 2]
    assert cycles(SMALL, gemm).cycles == 31


def test_lower_precision_is_never_slower():
    params = BitSerialParams(rows=4, cols=4, lanes=8, scale_width=4)
    times = [cycles(params, Gemm(33, 70, 17, bits=b)).cycles for b in range(1, 9)]
    assert times == sorted(times)
    assert times[-1] > 5 * times[0]


def test_precision_beyond_max_bits_is_refused():
    with pytest.raises(ParamError, match=r"^`bits` must be an integer in 1\.\.4, not 5$"):
        cycles(SMALL, Gemm(2, 2, 2, bits=5))
    with pytest.raises(ParamError, match=r"^`bits` must be an integer in 1\.\.16, not 17$"):
        Gemm(2, 2, 2, bits=17)


def test_activity_closed_form():
    params = BitSerialParams(rows=2, cols=3, lanes=4, scale_width=3, serial="activations")
    counts = activity(params, Gemm(3, 9, 4, bits=2, group_size=5))
    tiles, beats_per_tile, groups = 4, 2 * 2 + 1 * 2, 2
    assert counts.pe_steps == tiles * beats_per_tile * 6
    assert counts.serial_bits == tiles * beats_per_tile * 2 * 4  # activations: per row
    assert counts.parallel_words == tiles * beats_per_tile * 3 * 4
    assert counts.dequant_steps == tiles * groups * 3 * 6
    assert counts.scale_words == tiles * groups * 3
    assert counts.result_words == tiles * 6


def test_energy_falls_with_precision_and_scales_cost_energy():
    params = BitSerialParams()
    per_mac = [energy(params, Gemm(16, 64, 16, bits=b)).on_chip_pj / (16 * 64 * 16)
               for b in (1, 2, 4, 8)]
    assert per_mac == sorted(per_mac)
    plain = energy(params, Gemm(16, 64, 16, bits=4, group_size=16))
    scaled = energy(BitSerialParams(scale_width=8), Gemm(16, 64, 16, bits=4, group_size=16))
    assert scaled.components()["dequant"] > plain.components()["dequant"] > 0
    assert set(plain.components()) == {"pe_adders", "pe_registers", "input_registers",
                                       "dequant", "offchip"}


def test_lane_tree_bits():
    assert lane_tree_bits(1, 8) == 0
    assert lane_tree_bits(2, 8) == 9
    assert lane_tree_bits(4, 8) == 2 * 9 + 10
    assert lane_tree_bits(3, 4) == 5 + 6


@pytest.fixture(scope="module")
def data():
    return area_data("bitserial-v1", "ecp5-85k")


def test_area_refit_reproduces_the_stored_coefficients(data):
    model, samples = data
    train = [s for s in samples if s.split == "train"]
    features = {r: m.fit.features for r, m in model.resources.items()}
    refit = fit(train, bitserial_features, features, "ecp5-85k")
    for resource in RESOURCES:
        assert refit[resource].coefficients == pytest.approx(
            model.resources[resource].fit.coefficients, rel=1e-6, abs=1e-9), resource


def test_area_held_out_error_within_ten_percent_on_the_mean(data):
    model, samples = data
    held_out = [s for s in samples if s.split == "held_out"]
    assert len(held_out) >= 30
    for resource in ("lut", "ff"):
        errors = [abs(model.estimate(s.params).resources()[resource] - s.measured[resource])
                  / max(s.measured[resource], 1.0) for s in held_out]
        assert np.mean(errors) <= 0.10, (resource, np.mean(errors))
        assert model.resources[resource].held_out_error.mean == pytest.approx(np.mean(errors))
    assert all(s.measured["dsp"] == 0 for s in samples)  # no multipliers


def test_area_grows_with_lanes_and_precision(data):
    model, _ = data
    luts = [model.estimate(BitSerialParams(lanes=lanes)).lut for lanes in (1, 2, 4, 8, 16)]
    assert luts == sorted(luts)
    assert model.estimate(BitSerialParams(scale_width=8)).lut > model.estimate(
        BitSerialParams()).lut


@pytest.mark.slow
@pytest.mark.synth
def test_a_stored_held_out_sample_is_reproduced_by_synthesis(data, tmp_path, monkeypatch):
    from flows.synth import synthesize

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    model, samples = data
    sample = min((s for s in samples if s.split == "held_out"),
                 key=lambda s: s.params.pes * s.params.lanes * s.params.acc_width)
    result = synthesize(sample.params, "ecp5-85k", place=False)
    assert not result.cached
    assert result.synthesized == sample.measured
    assert abs(model.estimate(sample.params).lut - result.synthesized["lut"]) \
        <= 0.2 * result.synthesized["lut"]
