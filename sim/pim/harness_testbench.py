"""cocotb testbench of the PIM controller with the DRAM-PIM device model in C++ inside the
simulator (:mod:`sim.pim.harness`).

For each job the testbench writes its number to the harness's ``job`` and awaits
``jobs_done``; meanwhile the harness loads the job file in bulk, resets the design, offers
the GEMV and runs it, the device model checking every command and returning the read data,
all inside the simulator. The testbench then reads the outcome in bulk and makes the same
record as the Python backend (``sim.pim.results``): results bit-exact against the golden y,
cycles from the job handshake to the last result, commands per kind, the first violation.

Config (JSON named by ``HWDSE_SIM_CONFIG``)::

    {"result_path": "...", "jobs_dir": "...",
     "jobs": [{"meta": {...}, "expected": [...], "x": [...], "chunks": 2,
               "design": {"element_width": 8, "acc_width": 32, "lanes": 16,
                          "pim_mode": "all-bank"}}, ...]}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import ValueChange

from sim.pim.job_files import read_outcome
from sim.pim.results import job_record


async def run_job(dut: Any, folder: Path, number: int) -> dict[str, Any]:
    """Start job ``number`` in the harness, wait for its end and read its outcome."""
    dut.job.value = number
    while int(dut.jobs_done.value) != number:
        await ValueChange(dut.jobs_done)
    return read_outcome(folder / f"job-{number}.pim.out")


def record(job: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """The job's record from its outcome, checked as the Python backend checks it."""
    host = job["design"]["pim_mode"] == "none"
    seen = {(key if host else key[0]): value
            for key, value in zip(outcome["keys"], outcome["values"], strict=True)}
    return job_record(job, seen, outcome["error"], outcome["start"], outcome["last_result"],
                      outcome["counts"], outcome["bank_ops"])


@cocotb.test()
async def pim_jobs(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    folder = Path(config["jobs_dir"])
    records = []
    for number, job in enumerate(config["jobs"], 1):
        records.append(record(job, await run_job(dut, folder, number)))
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, (f"{len(failed)} job(s) failed: {failed[0]['meta']}: "
                        f"{failed[0]['error'] or str(failed[0]['mismatches']) + ' wrong rows'}")
