"""The measured lane-tree table of the bit-serial ECP5 area model against its measurement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dse.models.area import lane_tree_bits
from dse.models.bitserial import ECP5_LANE_TREE_LUTS, bitserial_features, lane_tree_luts
from hw.bitserial import BitSerialParams

MEASURED = Path(__file__).parents[2] / "bench/results/area_bitserial_tree.json"


def test_the_table_is_the_probe_measurement():
    data = json.loads(MEASURED.read_text())
    assert {int(w): tuple(v) for w, v in data["tree_luts"].items()} == ECP5_LANE_TREE_LUTS
    # each entry is a difference of two recorded syntheses
    for width, row in ECP5_LANE_TREE_LUTS.items():
        for lanes, luts in enumerate(row, 1):
            assert luts == data["lut"][f"{width}x{lanes}"] - data["lut"][f"{width}x1"]


def test_measured_widths_give_the_table_and_others_lie_between():
    widths = sorted(ECP5_LANE_TREE_LUTS)
    for lanes in range(1, 17):
        for width in widths:
            assert lane_tree_luts(lanes, width) == ECP5_LANE_TREE_LUTS[width][lanes - 1]
        for low, high in zip(widths, widths[1:], strict=False):
            for width in range(low + 1, high):
                ends = (ECP5_LANE_TREE_LUTS[low][lanes - 1], ECP5_LANE_TREE_LUTS[high][lanes - 1])
                assert min(ends) <= lane_tree_luts(lanes, width) <= max(ends)


@pytest.mark.parametrize("width", [2, 7, 16])
def test_past_the_table_the_tree_scales_with_its_output_bits(width):
    at16 = lane_tree_luts(16, width)
    for lanes in (17, 32, 64):
        expected = at16 * lane_tree_bits(lanes, width) / lane_tree_bits(16, width)
        assert lane_tree_luts(lanes, width) == pytest.approx(expected, rel=1e-12)
        assert lane_tree_luts(lanes, width) > at16


def test_the_feature_counts_every_pe():
    params = BitSerialParams(rows=3, cols=2, lanes=7, parallel_width=8, acc_width=40)
    features = bitserial_features(params, "ecp5-85k")
    assert features["tree_luts"] == 6 * ECP5_LANE_TREE_LUTS[8][6]
    one_lane = bitserial_features(BitSerialParams(rows=3, cols=2, lanes=1), "ecp5-85k")
    assert one_lane["tree_luts"] == 0
