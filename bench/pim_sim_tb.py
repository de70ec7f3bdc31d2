"""cocotb test module for ``bench/pim_sim.py``: the PIM testbench's jobs
(``sim.pim.testbench``) with the time spent in the DRAM-PIM device model counted, written
as JSON to ``HWDSE_BENCH_PIM_TIMES`` (seconds in ``Channel.step``, steps, test seconds)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock

from sim.pim import testbench as pim_testbench
from sim.pim.device import Channel

_step = Channel.step
_spent = {"device_seconds": 0.0, "steps": 0}


def _timed_step(self: Channel, now: int, command: Any) -> None:
    start = time.perf_counter()
    try:
        _step(self, now, command)
    finally:
        _spent["device_seconds"] += time.perf_counter() - start
        _spent["steps"] += 1


@cocotb.test()
async def pim_jobs_timed(dut: Any) -> None:
    Channel.step = _timed_step  # type: ignore[method-assign]
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[arg-type]
    records = []
    started = time.perf_counter()
    for job in config["jobs"]:
        records.append(await pim_testbench._run_job(dut, job))
    test_seconds = time.perf_counter() - started
    Path(config["result_path"]).write_text(json.dumps(records))
    Path(os.environ["HWDSE_BENCH_PIM_TIMES"]).write_text(json.dumps(
        {**_spent, "test_seconds": test_seconds}))
    assert all(r["passed"] for r in records), [r["error"] for r in records]
