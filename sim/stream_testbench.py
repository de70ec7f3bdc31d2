"""Generic cocotb testbench for a component with one operand and one result stream.

Runs inside the simulator process and stays light (no numpy, no Amaranth): the host side
(``sim.<family>.jobs``) prepares each job as operand beats and the golden model's result
beats, packed to integers. For each job the testbench resets the design, streams the
operands, collects the results and checks them in order, bit-exact, against the golden
beats; it records the cycles from the first operand to the last result. If the config
names counter ports (an instrumented design, ``sim.activity``), it reads each one once the
last result has been taken and reports it under its name in ``counters``.

Config (JSON file named by ``HWDSE_SIM_CONFIG``)::

    {"result_path": "...", "counters": {"pe_macs": "activity__pe_macs", ...},
     "jobs": [{"meta": {...}, "beats": ["1f", ...], "expected": ["0", ...],
               "gap_probability": 0.0, "seed": 0}, ...]}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.streams import exchange, reset


@cocotb.test()
async def stream_jobs(dut: object) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[attr-defined,arg-type]
    counter_ports: dict[str, str] = config.get("counters", {})
    records = []
    for job in config["jobs"]:
        beats = [int(word, 16) for word in job["beats"]]
        expected = [int(word, 16) for word in job["expected"]]
        await reset(dut)
        run = await exchange(dut, beats, len(expected),
                             gap_probability=job.get("gap_probability", 0.0),
                             seed=job.get("seed", 0))
        counters = {"operand_beats": len(beats), "result_beats": len(run.results),
                    "input_stall_cycles": run.input_stall_cycles,
                    "output_stall_cycles": run.output_stall_cycles}
        if counter_ports:
            # The edge after the last result has registered that cycle's events.
            await ReadOnly()
            counters.update({name: int(getattr(dut, port).value)
                             for name, port in counter_ports.items()})
            await RisingEdge(dut.clk)  # type: ignore[attr-defined]  # leave read-only
        wrong = [index for index, (got, want) in enumerate(zip(run.results, expected,
                                                                strict=True)) if got != want]
        records.append({
            "meta": job["meta"], "passed": not wrong, "mismatches": len(wrong),
            "first_mismatch": wrong[0] if wrong else None, "cycles": run.cycles,
            "counters": counters,
        })
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, f"{len(failed)} job(s) mismatched the golden model: {failed[0]['meta']}"
