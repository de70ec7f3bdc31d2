"""cocotb testbench of the systolic array (runs inside the simulator process).

Reads its jobs from the JSON file named by ``HWDSE_SIM_CONFIG``, runs each GEMM through the
array from reset, checks every result bit-exact against the golden model and writes one
record per job to the configured result file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock

from hw.systolic.params import SystolicParams
from sim.streams import exchange, reset
from sim.systolic import driver, golden


@cocotb.test()
async def gemm_jobs(dut: object) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    params = SystolicParams.from_mapping(config["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[attr-defined]
    records = []
    for job in config["jobs"]:
        m, k, n = job["m"], job["k"], job["n"]
        a, b = golden.random_operands(params, m, k, n, job["seed"], job.get("values", "random"))
        beats = driver.encode(params, a, b)
        await reset(dut)
        run = await exchange(dut, beats, driver.expected_result_beats(params, m, k, n),
                             gap_probability=job.get("gap_probability", 0.0), seed=job["seed"])
        got = driver.decode(params, m, k, n, run.results)
        want = golden.gemm(params, a, b)
        mismatches = int((got != want).sum())
        records.append({
            "job": job, "passed": mismatches == 0, "mismatches": mismatches,
            "cycles": run.cycles,
            "counters": {"operand_beats": len(beats), "result_beats": len(run.results),
                         "macs": m * k * n, "input_stall_cycles": run.input_stall_cycles,
                         "output_stall_cycles": run.output_stall_cycles},
        })
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, f"{len(failed)} job(s) mismatched the golden model: {failed[0]['job']}"
