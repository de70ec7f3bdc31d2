"""The area models of ``systolic-v1`` and ``bitserial-v1`` on iCE40 UP5K (issue 21): the
shipped fits load and refit from their samples, DSPs and BRAMs are exact on every stored
sample and equal Yosys on small designs (slow, runs Yosys), the out-of-range flag, and the
error for a target without a model (fast)."""

from __future__ import annotations

import dataclasses

import pytest

from dse.metrics import unavailable_metrics
from dse.models.area import AreaModelError, map_memory, on_dsp
from dse.models.registry import area, area_data, area_model
from dse.models.systolic import psum_widths, systolic_features
from hw.bitserial import BitSerialParams
from hw.systolic import SystolicParams
from tests.dse.area_samples import split

TARGET = "ice40-up5k"
FAMILIES = ("systolic-v1", "bitserial-v1")


@pytest.fixture(scope="module", params=FAMILIES)
def data(request):
    return area_data(request.param, TARGET)


def test_the_shipped_fit_is_for_the_target_with_a_held_out_draw_of_30(data):
    """(The refit and the recorded errors of every shipped model: test_area_shipped.py.)"""
    model, samples = data
    assert model.target == TARGET
    assert len(split(samples, "held_out")) >= 30


def test_dsp_and_bram_are_exact_on_every_stored_sample(data):
    """SB_MAC16 per PE where mul2dsp takes the product (11 bits or more), none in bit-serial
    arrays; SB_RAM40_4K blocks as memory_libmap maps the ws accumulator memory."""
    model, samples = data
    for sample in samples:
        params = sample.params
        report = model.estimate(params)
        assert report.dsp == pytest.approx(sample.measured["dsp"]), params
        assert report.bram == pytest.approx(sample.measured["bram"]), params
        if isinstance(params, SystolicParams):
            width = params.input_width
            assert sample.measured["dsp"] == (params.pes if 2 * width >= 11 else 0), params
            memory = (map_memory(params.cols * params.acc_width, params.acc_depth, TARGET,
                                 transparent=True)
                      if params.dataflow == "ws" else None)
            blocks = memory.cells if memory is not None and memory.kind == "bram" else 0
            assert sample.measured["bram"] == blocks, params
        else:
            assert sample.measured["dsp"] == 0 and sample.measured["bram"] == 0, params


def test_on_dsp_follows_the_synthesis_scripts():
    assert not on_dsp(5, 5, TARGET) and on_dsp(6, 5, TARGET) and on_dsp(16, 16, TARGET)
    assert not on_dsp(17, 2, TARGET)
    assert on_dsp(2, 2, "ecp5-85k") and on_dsp(18, 18, "ecp5-85k")


def test_unsigned_partial_sums_with_products_in_logic_are_narrowed_in_three_rows():
    params = SystolicParams(rows=6, cols=2, input_width=2, acc_width=36, signed=False,
                            dataflow="ws", acc_depth=16)
    assert psum_widths(params) == [4, 5, 6, 7, 8, 9]
    assert psum_widths(params, products_in_logic=True) == [4, 5, 6, 36, 36, 36]
    assert systolic_features(params, TARGET)["ws.psum_bits"] == 2 * (4 + 5 + 6 + 3 * 36)
    on_dsp_block = dataclasses.replace(params, input_width=6)
    assert systolic_features(on_dsp_block, TARGET)["ws.psum_bits"] == 2 * sum(range(12, 18))


def test_unsigned_partial_sum_adders_go_into_sb_mac16_up_to_a_33_bit_accumulator():
    params = SystolicParams(rows=6, cols=2, input_width=8, acc_width=33, signed=False,
                            dataflow="ws", acc_depth=16)
    features = systolic_features(params, TARGET)
    assert features["ws.logic_psum_adder_bits"] == 0
    assert features["ws.psum_bits"] == 2 * 6 * 33  # not narrowed
    wider = systolic_features(dataclasses.replace(params, acc_width=34), TARGET)
    # sums of 16..21 bits, adders of 17..21 bits: all but the first in logic
    assert wider["ws.logic_psum_adder_bits"] == 2 * (18 + 19 + 20 + 21)
    assert wider["ws.psum_bits"] == 2 * sum(range(16, 22))
    one_row = systolic_features(dataclasses.replace(params, rows=1), TARGET)
    assert one_row["ws.psum_bits"] == 2 * 16


def test_signed_partial_sum_adders_into_registers_wider_than_sb_mac16_stay_in_logic():
    """Signed 11-bit products on SB_MAC16 (22 bits): partial sums of 22, 23 and 24 bits in
    the first three rows, the accumulator's width from the fourth on. Every adder of up to
    33 bits is packed into the block, except where its register is wider: the fourth row's
    25-bit adder feeding a 34-bit register stays in logic (the sweep of ws 4x2 arrays over
    the accumulator width in Yosys: exact to 33 bits, 51 LUTs more from 34)."""
    params = SystolicParams(rows=4, cols=2, input_width=11, acc_width=33, signed=True,
                            dataflow="ws", acc_depth=8)
    assert psum_widths(params) == [22, 23, 24, 33]
    assert systolic_features(params, TARGET)["ws.logic_psum_adder_bits"] == 0
    wider = dataclasses.replace(params, acc_width=34)
    assert psum_widths(wider) == [22, 23, 24, 34]
    assert systolic_features(wider, TARGET)["ws.logic_psum_adder_bits"] == 2 * 25
    two_rows = dataclasses.replace(wider, rows=2)
    assert systolic_features(two_rows, TARGET)["ws.logic_psum_adder_bits"] == 0


def test_signed_products_in_logic_are_extended_across_the_sums_above_them():
    params = SystolicParams(rows=2, cols=2, input_width=4, acc_width=32, signed=True)
    features = systolic_features(params, TARGET)
    assert features["os.soft_sign_extension_bits"] == 4 * (32 - 8)
    assert features["os.wide_soft_sign_extension_bits"] == 0
    assert features["soft_signed_multiplier_bits"] == features["soft_multiplier_bits"] == 64
    wide = systolic_features(dataclasses.replace(params, input_width=5), TARGET)
    assert wide["os.wide_soft_sign_extension_bits"] == wide["os.soft_sign_extension_bits"] \
        == 4 * (32 - 10)
    unsigned = systolic_features(dataclasses.replace(params, signed=False), TARGET)
    assert unsigned["os.soft_sign_extension_bits"] == unsigned["soft_signed_multiplier_bits"] == 0
    ws = dataclasses.replace(params, rows=5, dataflow="ws", acc_depth=16)
    # partial sums of 8, 9, 10, 32 and 32 bits: adders of 9, 10, 11 and 32 bits add 8-bit
    # products, in both columns
    assert systolic_features(ws, TARGET)["ws.soft_sign_extension_bits"] == 2 * (1 + 2 + 3 + 24)
    assert systolic_features(params, "ecp5-85k")["os.soft_sign_extension_bits"] == 0


def test_map_memory_on_ice40_hand_checked():
    # 32 x 300: four 8 x 512 blocks, no read mux, beat two slices of 16 x 256
    mapping = map_memory(32, 300, TARGET, transparent=True)
    assert (mapping.kind, mapping.cells, mapping.mux_bits) == ("bram", 4, 0)
    assert map_memory(16, 1, TARGET, transparent=True).kind == "logic"  # one word: flip-flops
    # 171 x 3565: seven slices of 512 words, 7 * 171 bits packed bit by bit in 8-bit blocks
    assert map_memory(171, 3565, TARGET, transparent=True).cells == 150
    # 64 x 4096: two slices of 2 x 2048 blocks (64 cells, one 64-bit read mux)
    mapping = map_memory(64, 4096, TARGET, transparent=True)
    assert (mapping.cells, mapping.mux_bits) == (64, 64)


def test_every_training_sample_is_inside_the_coverage_and_a_larger_array_is_not(data):
    model, samples = data
    assert model.coverage is not None
    for sample in split(samples, "train"):
        assert model.estimate(sample.params).out_of_range == (), sample.params
    low, high = model.coverage.params["rows"]
    params_class = type(samples[0].params)
    outside = params_class(rows=high + 4, cols=high + 4)
    reasons = model.estimate(outside).out_of_range
    assert f"rows = {high + 4} (samples: {low}..{high})" in reasons


def test_specs_on_ice40_get_an_area():
    for generator in FAMILIES:
        missing = unavailable_metrics(generator, TARGET)
        assert not {"lut", "ff", "dsp", "bram"} & set(missing), missing
    report = area(SystolicParams(rows=2, cols=2, input_width=8, acc_width=32), TARGET)
    assert report.target == TARGET and report.lut > 0
    assert report.dsp == pytest.approx(4)  # one SB_MAC16 per PE
    report = area(BitSerialParams(rows=2, cols=2), TARGET)
    assert report.target == TARGET and report.ff > 0
    assert report.dsp == pytest.approx(0) and report.bram == pytest.approx(0)


def test_a_target_without_a_model_names_the_targets_with_one():
    with pytest.raises(AreaModelError, match=r"^no area model for 'systolic-v1' on 'xc7a35t' "
                                             r"\(area_systolic-v1_xc7a35t\.json\); targets "
                                             r"with one: ecp5-85k, ice40-up5k;"):
        area_model("systolic-v1", "xc7a35t")


SMALL = (
    # soft 5 x 5 products, a 32 x 300 accumulator memory in four blocks
    SystolicParams(rows=2, cols=2, input_width=5, acc_width=16, dataflow="ws", acc_depth=300),
    # 8 x 8 products on SB_MAC16, no memory
    SystolicParams(rows=2, cols=2, input_width=8, acc_width=32),
    BitSerialParams(rows=2, cols=2, lanes=2, max_bits=4, parallel_width=8, acc_width=24),
)


@pytest.mark.slow
@pytest.mark.synth
@pytest.mark.parametrize("params", SMALL, ids=lambda p: p.generator)
def test_dsp_and_bram_equal_yosys_on_small_designs(params, tmp_path, monkeypatch):
    from flows.synth import synthesize

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    result = synthesize(params, TARGET, place=False)
    assert not result.cached
    report = area(params, TARGET)
    assert report.dsp == pytest.approx(result.synthesized["dsp"])
    assert report.bram == pytest.approx(result.synthesized["bram"])
