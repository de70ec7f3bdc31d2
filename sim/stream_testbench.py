"""Generic cocotb testbench for a component with one operand and one result stream, run
inside the stream harness (:mod:`sim.stream_harness`).

Runs inside the simulator process and stays light (standard library and cocotb only): the
host side (``sim.<family>.jobs``, then :mod:`sim.runner`) has written each job's operand
beats and golden result beats as files (:mod:`sim.stream_files`). For each job the
testbench writes its number to the harness's ``job`` and awaits ``jobs_done``; meanwhile
the harness resets the design, streams the operands with the job's seeded valid / ready
gaps, takes the results and counts cycles and stalls, all inside the simulator. The
testbench then reads the results and counters in bulk and checks the results in order,
bit-exact, against the golden beats. ``cycles`` runs from the first operand handshake to
the last result handshake; the design's activity counters (an instrumented design,
``sim.activity``) are read the cycle after the last result, under their names.

Config (JSON file named by ``HWDSE_SIM_CONFIG``)::

    {"result_path": "...", "jobs_dir": "...", "result_beat_bytes": 4,
     "counters": ["pe_macs", ...],
     "jobs": [{"meta": {...}, "operand_beats": 12, "result_beats": 4,
               "max_cycles": 10000000}, ...]}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
from cocotb.triggers import ValueChange

from sim.stream_files import mismatched_beats, read_result


@cocotb.test()
async def stream_jobs(dut: object) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    folder = Path(config["jobs_dir"])
    beat_bytes = int(config["result_beat_bytes"])
    counter_names: list[str] = config.get("counters", [])
    records = []
    for number, job in enumerate(config["jobs"], 1):
        dut.job.value = number  # type: ignore[attr-defined]
        while int(dut.jobs_done.value) != number:  # type: ignore[attr-defined]
            await ValueChange(dut.jobs_done)  # type: ignore[attr-defined]
        run = read_result(folder / f"job-{number}.out")
        if run.timed_out:
            raise TimeoutError(f"{run.result_beats} of {job['result_beats']} results after "
                               f"{job['max_cycles']} cycles")
        wrong = mismatched_beats(run.results,
                                 (folder / f"job-{number}.expected").read_bytes(), beat_bytes)
        counters = {"operand_beats": job["operand_beats"], "result_beats": run.result_beats,
                    "input_stall_cycles": run.input_stall_cycles,
                    "output_stall_cycles": run.output_stall_cycles}
        counters.update(zip(counter_names, run.counters, strict=True))
        records.append({
            "meta": job["meta"], "passed": not wrong, "mismatches": len(wrong),
            "first_mismatch": wrong[0] if wrong else None, "cycles": run.cycles,
            "counters": counters,
        })
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, f"{len(failed)} job(s) mismatched the golden model: {failed[0]['meta']}"
