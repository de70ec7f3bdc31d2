"""Pieces of cocotb testbenches that drive a design cycle by cycle (the PIM device model);
stream designs run in the stream harness instead (``sim.stream_harness``).

Used inside the simulator process only (imports cocotb).
"""

from __future__ import annotations

from typing import Any

from cocotb.triggers import RisingEdge


async def reset(dut: Any, cycles: int = 2) -> None:
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
