"""accel-v1's memories in Yosys: the block RAMs (and distributed RAMs) the model predicts
(ECP5)."""

from __future__ import annotations

import pytest

from dse.models.accel import memory_cells
from flows.synth import synthesize
from hw.accel import AccelParams

pytestmark = [pytest.mark.synth, pytest.mark.slow]


@pytest.mark.parametrize("params", [
    AccelParams(rows=2, cols=2, spad_kib=8, acc_kib=4, bus_bytes=8),
    AccelParams(rows=4, cols=2, dataflow="ws", acc_depth=16, spad_kib=4, acc_kib=8,
                bus_bytes=16, acc_width=64)], ids=["os", "ws"])
def test_block_rams_are_the_models_count(params):
    result = synthesize(params, "ecp5-85k", place=False)
    cells = memory_cells(params, "ecp5-85k")
    assert result.cells.get("DP16KD", 0) == cells["bram"]
    # only the ws core's small accumulator may be distributed RAM; no buffer is
    assert result.cells.get("TRELLIS_DPR16X4", 0) == cells["lutram"]
