"""Generic cocotb testbench for a component with one operand and one result stream.

Runs inside the simulator process and stays light (no numpy, no Amaranth): the host side
(``sim.<family>.jobs``) prepares each job as operand beats and the golden model's result
beats, packed to integers. For each job the testbench resets the design, streams the
operands, collects the results and checks them in order, bit-exact, against the golden
beats; it records the cycles from the first operand to the last result.

Config (JSON file named by ``HWDSE_SIM_CONFIG``)::

    {"result_path": "...", "jobs": [{"meta": {...}, "beats": ["1f", ...],
      "expected": ["0", ...], "gap_probability": 0.0, "seed": 0}, ...]}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock

from sim.streams import exchange, reset


@cocotb.test()
async def stream_jobs(dut: object) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[attr-defined,arg-type]
    records = []
    for job in config["jobs"]:
        beats = [int(word, 16) for word in job["beats"]]
        expected = [int(word, 16) for word in job["expected"]]
        await reset(dut)
        run = await exchange(dut, beats, len(expected),
                             gap_probability=job.get("gap_probability", 0.0),
                             seed=job.get("seed", 0))
        wrong = [index for index, (got, want) in enumerate(zip(run.results, expected,
                                                                strict=True)) if got != want]
        records.append({
            "meta": job["meta"], "passed": not wrong, "mismatches": len(wrong),
            "first_mismatch": wrong[0] if wrong else None, "cycles": run.cycles,
            "counters": {"operand_beats": len(beats), "result_beats": len(run.results),
                         "input_stall_cycles": run.input_stall_cycles,
                         "output_stall_cycles": run.output_stall_cycles},
        })
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, f"{len(failed)} job(s) mismatched the golden model: {failed[0]['meta']}"
