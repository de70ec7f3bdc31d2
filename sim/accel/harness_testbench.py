"""cocotb testbench of ``accel-v1`` in the harness (``sim.accel.harness``): the same checks
and records as ``sim.accel.testbench``, with the clock and the job's sequence inside the
simulator.

For each job: write the DRAM image (``dram.hex``) and the job's settings (command, DRAM
beat interval and latency, words to dump, cycle limit), start it, await its end with one
trigger, read the counters the job names, the error and protocol flags as the harness
captured them right after ``done`` rose, and compare the dumped DRAM word for word with the
expected image. ``HWDSE_ACCEL_TIMES`` (optional) names a file that gets one JSON line per
job with its cycles and the wall-clock seconds the simulator took for it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import ValueChange

from hw.accel.accelerator import CORE_COUNTERS, COUNTERS
from sim.accel.testbench import compare_dump, log_time, record


async def _run_job(dut: Any, number: int, job: dict[str, Any]) -> dict[str, Any]:
    Path("dram.hex").write_text(job["image"])
    max_cycles = int(job["max_cycles"])
    dut.command.value = int(job["command"])
    dut.interval.value = int(job["interval"])
    dut.latency.value = int(job["latency"])
    dut.dump_last.value = int(job["dump_words"]) - 1
    dut.max_cycles.value = max_cycles
    dut.job.value = number
    start = time.perf_counter()
    while int(dut.jobs_done.value) != number:
        await ValueChange(dut.jobs_done)
    seconds = time.perf_counter() - start
    names = job.get("counters") or (*COUNTERS, *CORE_COUNTERS)
    counters = {name: int(getattr(dut, f"c_{name}").value) for name in names}
    counters["system_cycles"] = int(dut.c_system_cycles.value)
    refused = bool(int(dut.refused.value))
    error = f"timeout: not done after {max_cycles} cycles" if int(dut.timed_out.value) else None
    if error is None and int(dut.protocol_error_seen.value):
        error = "AXI protocol error (the DRAM model could not serve a request as asked)"
    got = Path("dram_out.hex").read_text()
    wrong, mismatched = compare_dump(got, job["expected"])
    result = record(job, error, wrong, refused, counters)
    result["mismatched_words"] = mismatched
    log_time(job, counters, seconds)
    return result


@cocotb.test()
async def accel_jobs(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    records = []
    for number, job in enumerate(config["jobs"], 1):
        records.append(await _run_job(dut, number, job))
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, (f"{len(failed)} job(s) failed: {failed[0]['meta']}: "
                        f"{failed[0]['error'] or str(failed[0]['mismatches']) + ' wrong words'}")
