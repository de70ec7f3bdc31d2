"""cocotb test module for ``bench/pim_sim.py``: the PIM jobs of either device backend, timed,
with the times written as JSON to ``HWDSE_BENCH_PIM_TIMES``.

- ``python`` (``HWDSE_BENCH_PIM_BACKEND`` unset or ``python``): ``sim.pim.testbench``'s jobs
  with the seconds spent in the Python device model (``Channel.step``) counted;
- ``cpp``: ``sim.pim.harness_testbench``'s jobs with the seconds from starting each job to
  its end (the run inside the simulator), the seconds reading and checking its outcome, and
  the C++ device model's own time (``HWDSE_PIM_PROFILE``: loading the job file, and the
  per-cycle calls).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock

from sim.pim import harness_testbench
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


async def _python_jobs(dut: Any, config: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    Channel.step = _timed_step  # type: ignore[method-assign]
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[arg-type]
    records = [await pim_testbench._run_job(dut, job) for job in config["jobs"]]
    return records, dict(_spent)


async def _cpp_jobs(dut: Any, config: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    folder = Path(config["jobs_dir"])
    times = {"job_seconds": 0.0, "check_seconds": 0.0, "device_seconds": 0.0,
             "load_seconds": 0.0, "cycles_run": 0}
    records = []
    for number, job in enumerate(config["jobs"], 1):
        started = time.perf_counter()
        outcome = await harness_testbench.run_job(dut, folder, number)
        ran = time.perf_counter()
        records.append(harness_testbench.record(job, outcome))
        times["job_seconds"] += ran - started
        times["check_seconds"] += time.perf_counter() - ran
        times["device_seconds"] += outcome["device_ns"] / 1e9
        times["load_seconds"] += outcome["load_ns"] / 1e9
        times["cycles_run"] += outcome["cycles_run"]
    return records, times


@cocotb.test()
async def pim_jobs_timed(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    started = time.perf_counter()
    if os.environ.get("HWDSE_BENCH_PIM_BACKEND", "python") == "cpp":
        records, times = await _cpp_jobs(dut, config)
    else:
        records, times = await _python_jobs(dut, config)
    test_seconds = time.perf_counter() - started
    Path(config["result_path"]).write_text(json.dumps(records))
    Path(os.environ["HWDSE_BENCH_PIM_TIMES"]).write_text(json.dumps(
        {**times, "test_seconds": test_seconds}))
    assert all(r["passed"] for r in records), [r["error"] for r in records]
