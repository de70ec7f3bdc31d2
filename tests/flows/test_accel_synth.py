"""accel-v1 on ECP5: the block RAMs (and distributed RAMs) the model predicts in Yosys; a
small accelerator placed and routed in the port shim, with Fmax; its exported FPGA project
holds that design."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dse.models.accel import memory_cells
from flows.cli import app
from flows.synth import flow_design, synthesize, yosys_script
from flows.targets import get_target
from hw.accel import AccelParams
from hw.accel.accelerator import Accelerator
from hw.shim import port_shim_flip_flops

pytestmark = [pytest.mark.synth, pytest.mark.slow]
runner = CliRunner()
SMALL = AccelParams(rows=2, cols=2, spad_kib=1, acc_kib=1, bus_bytes=4)
SMALL_ARGS = ["accel", "-p", "rows=2", "-p", "cols=2", "-p", "spad_kib=1", "-p", "acc_kib=1",
              "-p", "bus_bytes=4"]
#: clk, rst and the port shim's five pins.
TOP_PINS = 7


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


def test_small_accelerator_places_and_routes_with_fmax():
    result = runner.invoke(app, ["synth", *SMALL_ARGS, "--target", "ecp5-85k", "--clock",
                                 "20", "--json"])
    assert result.exit_code in (0, 5), result.output  # 5: placed, timing missed
    payload = json.loads(result.stdout)
    assert payload["placed"] and payload["fits"]
    clock = payload["clocks"]["clk"]
    assert clock["constraint_mhz"] == pytest.approx(20, rel=1e-3)
    assert payload["fmax_mhz"] == clock["achieved_mhz"] > 0
    assert payload["timing_met"] == (clock["achieved_mhz"] >= 20)
    assert payload["shim_flip_flops"] == port_shim_flip_flops(Accelerator(SMALL))
    # every flip-flop Yosys made was placed, the shim's among them
    resources = payload["resources"]
    assert resources["ff"]["used"] == payload["synthesized"]["ff"]
    assert resources["ff"]["used"] > payload["shim_flip_flops"]
    assert resources["bram"]["used"] == memory_cells(SMALL, "ecp5-85k")["bram"]
    assert payload["utilization"]["TRELLIS_IO"]["used"] == TOP_PINS


def test_accelerator_project_exports_the_placed_design(tmp_path):
    # the exported folder holds the very design and script the test above places and
    # routes; running an exported build.sh by hand (Yosys, nextpnr, the bitstream packer) is
    # tested on both targets in tests/flows/test_synth.py (the folder's files are the same
    # for every family), so it is not repeated on this larger design
    result = runner.invoke(app, ["generate", *SMALL_ARGS, "--target", "ecp5-85k", "--clock",
                                 "15", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["shim_flip_flops"] == port_shim_flip_flops(Accelerator(SMALL))
    assert manifest["generator"] == "accel-v1" and manifest["clock_mhz"] == 15
    target = get_target("ecp5-85k")
    design = flow_design(SMALL, target)
    assert (tmp_path / manifest["verilog"]).read_text() == design.text
    assert (tmp_path / "synth.ys").read_text() == yosys_script(target, manifest["verilog"],
                                                               design.top)
    assert "--lpf ecp5-85k.lpf" in (tmp_path / "build.sh").read_text()
