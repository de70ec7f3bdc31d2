"""The area model of ``accel-v1`` on ECP5-85K (issues 18 and 21): the shipped fit loads and
refits from its training samples, its recorded errors are those of its stored samples,
DSPs are exact on every stored sample (the core's rule plus the controller's) and BRAMs
round to the buffers' blocks (write groups padded to whole bytes), which every stored
sample synthesizes, and a design outside the sampled space is flagged."""

from __future__ import annotations

import pytest

from dse.models.accel import (
    CONTROLLER_DSPS,
    accel_area_features,
    accel_dsp_blocks,
    buffer_bram_blocks,
    buffer_memories,
    exact_resources,
    memory_cells,
    transparent_read,
)
from dse.models.area import map_memory, memory_mappings
from dse.models.registry import area, area_data, area_features
from hw.accel.params import AccelParams
from tests.dse.area_samples import split

GENERATOR = "accel-v1"
TARGET = "ecp5-85k"


@pytest.fixture(scope="module")
def data():
    return area_data(GENERATOR, TARGET)


def test_the_family_registers_its_features():
    assert area_features(GENERATOR) is accel_area_features


def test_the_shipped_fit_is_the_familys_with_a_held_out_draw_of_30(data):
    """(The refit and the recorded errors of every shipped model: test_area_shipped.py.)"""
    model, samples = data
    assert (model.generator, model.target) == (GENERATOR, TARGET)
    assert len(split(samples, "held_out")) >= 30


def test_dsp_and_bram_are_exact_on_every_stored_sample(data):
    """One MULT18X18D per PE of a systolic core, none in a bit-serial one, plus the
    controller's (and one for a ws block stride that is not a power of two); DP16KD
    blocks as memory_libmap maps the buffers, and the estimate rounds to that count."""
    model, samples = data
    for sample in samples:
        params = sample.params
        report = model.estimate(params)
        core_dsps = params.pes if params.core == "systolic" else 0
        depth = params.acc_depth
        stride = int(depth is not None and depth & (depth - 1) != 0)
        assert sample.measured["dsp"] == core_dsps + CONTROLLER_DSPS + stride, params
        assert sample.measured["dsp"] == accel_dsp_blocks(params, TARGET), params
        assert report.dsp == pytest.approx(sample.measured["dsp"]), params
        assert sample.measured["bram"] == buffer_bram_blocks(params, TARGET), params
        assert round(report.bram) == buffer_bram_blocks(params, TARGET), params


def test_distributed_ram_cells_are_those_synthesized_on_every_stored_sample(data):
    """The buffers that map to TRELLIS_DPR16X4 (by their read port's transparency:
    :func:`transparent_read`), cell for cell."""
    _, samples = data
    kinds = set()
    for sample in samples:
        cells = 0
        for name, (width, depth) in buffer_memories(sample.params).items():
            mapping = map_memory(width, depth, TARGET, transparent=transparent_read(name))
            kinds.add((name == "core_acc", mapping.kind))
            cells += mapping.cells if mapping.kind == "lutram" else 0
        assert sample.cells.get("TRELLIS_DPR16X4", 0) == cells, sample.params
    assert {(False, "lutram"), (False, "bram"), (True, "lutram"), (True, "bram")} <= kinds


def test_the_former_near_ties_take_block_ram():
    """ws designs whose core accumulator memory (three TRELLIS_DPR16X4 deep) synthesizes
    in one row of block RAM: the transparent read costs distributed RAM 3 points of
    emulation too (the rule before counted 1 point for it, and picked distributed RAM)."""
    for width, depth in ((32, 46), (64, 35), (256, 33)):
        mapping = map_memory(width, depth, TARGET, transparent=True)
        assert mapping.kind == "bram", (width, depth)
        lutram = [m for m in memory_mappings(width, depth, TARGET, transparent=True)
                  if m.kind == "lutram"]
        assert lutram[0].cost - mapping.cost == 1.5, (width, depth)


def test_buffer_blocks_pad_write_groups_to_whole_bytes():
    """A 256-bit scratchpad word written 64 bits at a time: four groups of eight 9-bit
    bytes, 288 bits in 18 x 1024 blocks (16), where whole-word packing counts 15."""
    params = AccelParams(core="bitserial", rows=1, cols=4, lanes=4, input_width=16,
                         acc_width=32, max_bits=6, spad_kib=64, acc_kib=1, bus_bytes=8,
                         max_burst=32, outstanding=12)
    assert buffer_bram_blocks(params, TARGET) == exact_resources(params, TARGET)["bram"] == 32
    assert memory_cells(params, TARGET)["bram"] == 31   # the packing without byte groups
    plain = AccelParams(rows=8, cols=8, spad_kib=64, acc_kib=32, bus_bytes=8)
    assert buffer_bram_blocks(plain, TARGET) == exact_resources(plain, TARGET)["bram"] == 48


def test_every_training_sample_is_inside_the_coverage_and_a_larger_design_is_not(data):
    model, samples = data
    assert model.coverage is not None
    for sample in split(samples, "train"):
        assert model.estimate(sample.params).out_of_range == (), sample.params
    low, high = model.coverage.params["rows"]
    outside = AccelParams(rows=2 * high, cols=2 * high, spad_kib=256, acc_kib=128,
                          bus_bytes=16)
    reasons = model.estimate(outside).out_of_range
    assert f"rows = {2 * high} (samples: {low}..{high})" in reasons


def test_area_of_an_accelerator_comes_from_the_model():
    params = AccelParams(rows=2, cols=2, spad_kib=8, acc_kib=4)
    report = area(params, TARGET)
    assert report.lut > 0 and report.ff > 0
    assert report.dsp == pytest.approx(params.pes + CONTROLLER_DSPS)
    assert round(report.bram) == buffer_bram_blocks(params, TARGET)


def test_select_luts_count_an_n_way_multiplexer_as_n_over_2_lut4s_per_bit():
    """1 x 1 int8, 4-byte bus: the A and B lanes (8 of 32 bits, 4:1) take 2 x 8 x 2 LUT4s,
    the result row (16 of 32 bits, 2:1) 16, the two accumulator slots' read words 2 x 32.
    2 x 2 x 2 bit-serial, 32-byte bus: the lanes (32 of 256 bits, 8:1) 2 x 32 x 4, the
    result row (64 of 256, 4:1) 64 x 2, the serial weights' bit planes (4 elements, 8:1)
    4 x 4, the slots 2 x 256."""
    small = AccelParams(rows=1, cols=1, input_width=8, acc_width=16, spad_kib=1, acc_kib=1,
                        bus_bytes=4, max_burst=1, outstanding=1)
    assert accel_area_features(small, TARGET)["select_luts"] == 32 + 16 + 64
    serial = AccelParams(core="bitserial", rows=2, cols=2, lanes=2, input_width=8,
                         acc_width=32, max_bits=8, serial="weights", spad_kib=4, acc_kib=4,
                         bus_bytes=32)
    assert accel_area_features(serial, TARGET)["select_luts"] == 256 + 128 + 16 + 512


def test_the_cores_own_features_are_there_and_zero_for_the_other_core():
    systolic = accel_area_features(AccelParams(rows=2, cols=2), TARGET)
    serial = accel_area_features(AccelParams(core="bitserial", rows=2, cols=2, lanes=2,
                                             input_width=8, acc_width=32, max_bits=8),
                                 TARGET)
    assert systolic["systolic.core.os.pes"] == 4 and serial["systolic.core.os.pes"] == 0
    assert serial["bitserial.core.pes"] == 4 and systolic["bitserial.core.pes"] == 0
    assert set(systolic) == set(serial)


def test_buffer_widths_split_by_memory_kind_and_write_back_beat():
    """The accumulator buffer of a 4 x 1 int8 design with 64-bit sums, 1 KiB on a 64-byte
    bus, is two slots of 8 x 512 bits in distributed RAM, each word one bus beat; that of a
    1 x 8 one, 4 KiB on a 16-byte bus, two slots of 32 x 512 bits, each word four beats.
    Both scratchpads are in block RAM, two memories of one bus beat per word."""
    whole = AccelParams(rows=4, cols=1, input_width=8, acc_width=64, dataflow="ws",
                        acc_depth=223, spad_kib=64, acc_kib=1, bus_bytes=64, max_burst=4)
    beats = AccelParams(rows=1, cols=8, input_width=8, acc_width=64, spad_kib=64, acc_kib=4,
                        bus_bytes=16, max_burst=4)
    for params, whole_bits in ((whole, 1024), (beats, 0)):
        features = accel_area_features(params, TARGET)
        assert features["acc_lutram_width_bits"] == 1024
        assert features["acc_lutram_whole_bits"] == whole_bits
        assert features["bram_width_bits"] == 2 * 8 * params.bus_bytes
        widths = sum(width for name, (width, _) in buffer_memories(params).items()
                     if name != "core_acc")
        assert features["bram_width_bits"] + features["lutram_width_bits"] == widths


def test_a_scratchpad_word_of_one_operand_beat_in_distributed_ram_counts_whole():
    """4 x 1 x 8 bit-serial, 16-bit inputs, 2 KiB on a 4-byte bus: A's 512-bit words (one
    beat of 4 rows x 8 lanes) are 16 deep in distributed RAM, B's in block RAM."""
    params = AccelParams(core="bitserial", rows=4, cols=1, lanes=8, input_width=16,
                         acc_width=64, max_bits=16, serial="weights", spad_kib=2, acc_kib=8,
                         bus_bytes=4, max_burst=4, outstanding=5)
    features = accel_area_features(params, TARGET)
    assert features["spad_lutram_whole_bits"] == features["spad_lutram_width_bits"] == 512


def test_collision_flip_flops_follow_the_write_sources_and_read_enables():
    """``memory_libmap``'s read-write collision logic, as counted in the netlist of the
    1 x 1 weight-stationary design with a 64-byte bus (32 KiB scratchpad, 1 KiB
    accumulator buffer): the bus beat delayed once (512 flip-flops) and captured per
    scratchpad (2 x 512, the A and B reads have their own enables); the output-stationary
    feed reads both at once, so one capture; the accumulator buffers in distributed RAM
    have none, and in block RAM the result row's delay and one capture each."""
    ws = AccelParams(rows=1, cols=1, input_width=16, acc_width=32, signed=True,
                     dataflow="ws", acc_depth=4, spad_kib=32, acc_kib=1, bus_bytes=64,
                     max_burst=4, outstanding=3)
    features = accel_area_features(ws, TARGET)
    assert features["spad_collision_bits"] == 3 * 512
    assert features["acc_collision_bits"] == 0
    os_ = AccelParams(rows=2, cols=4, input_width=8, acc_width=16, spad_kib=16, acc_kib=16,
                      bus_bytes=4)
    kinds = {name: map_memory(width, depth, TARGET, transparent=False).kind
             for name, (width, depth) in buffer_memories(os_).items() if name != "core_acc"}
    assert kinds == dict.fromkeys(("spad_a", "spad_b", "acc0", "acc1"), "bram")
    features = accel_area_features(os_, TARGET)
    assert features["spad_collision_bits"] == 2 * 32
    assert features["acc_collision_bits"] == 3 * 4 * 16
