"""cocotb testbench of ``accel-v1`` inside its simulated system (``sim.accel.system``): the
DRAM model runs in the simulator, the testbench only starts each job and checks it.

For each job (``sim.accel.jobs``): write the DRAM image, reset, set the DRAM's bandwidth
(beat interval) and latency, load the image, hand the command over, await ``done``, read
the counters the job names (each core has its own activity counters) and the error flag,
dump the DRAM and compare it word for word with the expected image (C bit-exact against
the golden model, padding columns zero, every other byte untouched). A job the hardware
must refuse passes when the error flag is set and the DRAM is untouched. Config: JSON
named by ``HWDSE_SIM_CONFIG``.

``sim.runner.simulate`` runs this module's jobs in ``sim.accel.harness`` (the clock and
the job's sequence inside the simulator, ``sim.accel.harness_testbench``, same checks and
records, about ten times faster); this cocotb-clocked version is the reference, run when
``HWDSE_ACCEL_COCOTB_CLOCK=1`` is set.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, with_timeout

from hw.accel.accelerator import CORE_COUNTERS, COUNTERS

CLOCK_NS = 10


def _words(text: str) -> list[int]:
    return [int(line, 16) for line in text.split()
            if line and not line.startswith(("//", "@"))]


async def run_command(dut: Any, payload: Any, valid: Any, job: dict[str, Any],
                      max_cycles: int) -> str | None:
    """Release reset, hand the job's command over on ``payload`` / ``valid`` and await
    ``done``; a timeout message, or None."""
    dut.rst.value = 0
    await RisingEdge(dut.clk)
    payload.value = int(job["command"])
    valid.value = 1
    await RisingEdge(dut.clk)
    valid.value = 0
    try:
        await with_timeout(RisingEdge(dut.done), max_cycles * CLOCK_NS, "ns")
    except TimeoutError:
        return f"timeout: not done after {max_cycles} cycles"
    return None


def record(job: dict[str, Any], error: str | None, wrong: list[int], refused: bool,
           counters: dict[str, int]) -> dict[str, Any]:
    """A job's result record: the refusal checked against the job's expectation."""
    if error is None and refused != bool(job["expect_error"]):
        error = f"error flag {int(refused)}, expected {int(bool(job['expect_error']))}"
    return {"meta": job["meta"], "passed": error is None and not wrong,
            "mismatches": len(wrong), "first_mismatch": wrong[0] if wrong else None,
            "error": error, "cycles": counters["cycles"], "refused": refused,
            "counters": counters}


def compare_dump(dumped: str, expected: str) -> tuple[list[int], list[list[Any]]]:
    """The indices of the words where the dumped DRAM (``$writememh`` text) differs from
    the expected image (a length difference counts at the shorter length), and the first
    eight as ``[index, got, expected]`` in hex."""
    got = _words(dumped)
    want = _words(expected)
    wrong = [i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w]
    if len(got) != len(want):
        wrong.append(min(len(got), len(want)))
    mismatched = [[i, format(got[i], "x") if i < len(got) else None,
                   format(want[i], "x") if i < len(want) else None] for i in wrong[:8]]
    return wrong, mismatched


async def _run_job(dut: Any, job: dict[str, Any]) -> dict[str, Any]:
    Path("dram.hex").write_text(job["image"])
    dut.rst.value = 1
    dut.cmd_valid.value = 0
    dut.dump_image.value = 0
    dut.interval.value = int(job["interval"])
    dut.latency.value = int(job["latency"])
    dut.load_image.value = 1
    await RisingEdge(dut.clk)
    dut.load_image.value = 0
    await RisingEdge(dut.clk)
    start = time.perf_counter()
    error = await run_command(dut, dut.cmd_payload, dut.cmd_valid, job, int(job["max_cycles"]))
    seconds = time.perf_counter() - start
    await ReadOnly()
    names = job.get("counters") or (*COUNTERS, *CORE_COUNTERS)
    counters = {name: int(getattr(dut, name).value) for name in names}
    counters["system_cycles"] = int(dut.system_cycles.value)
    refused = bool(int(dut.error.value))
    protocol_error = bool(int(dut.protocol_error.value))
    await RisingEdge(dut.clk)
    dut.dump_first.value = 0
    dut.dump_last.value = int(job["dump_words"]) - 1
    dut.dump_image.value = 1
    await RisingEdge(dut.clk)
    dut.dump_image.value = 0
    await RisingEdge(dut.clk)
    wrong, mismatched = compare_dump(Path("dram_out.hex").read_text(), job["expected"])
    if error is None and protocol_error:
        error = "AXI protocol error (the DRAM model could not serve a request as asked)"
    result = record(job, error, wrong, refused, counters)
    result["mismatched_words"] = mismatched
    log_time(job, counters, seconds)
    return result


def log_time(job: dict[str, Any], counters: dict[str, int], seconds: float) -> None:
    """Append the job's cycles and the simulator's seconds from its command to ``done`` as a
    JSON line to the file named by ``HWDSE_ACCEL_TIMES``, if set (``bench/accel_sim.py``)."""
    times = os.environ.get("HWDSE_ACCEL_TIMES")
    if times:
        with open(times, "a") as file:
            file.write(json.dumps({"meta": job["meta"], "cycles": counters["cycles"],
                                   "system_cycles": counters["system_cycles"],
                                   "seconds": seconds}) + "\n")


@cocotb.test()
async def accel_jobs(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())  # type: ignore[arg-type]
    records = []
    for job in config["jobs"]:
        records.append(await _run_job(dut, job))
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, (f"{len(failed)} job(s) failed: {failed[0]['meta']}: "
                        f"{failed[0]['error'] or str(failed[0]['mismatches']) + ' wrong words'}")
