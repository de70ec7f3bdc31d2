"""cocotb testbench of the PIM controller: the controller drives a behavioural DRAM-PIM
device per channel (``sim.pim.device``), which fails the test on any timing violation.

For each job the testbench resets the design, offers the GEMV on the ``job`` stream, steps
the devices every cycle (returning read data on ``rdata``), collects ``results`` and checks
them bit-exact against the golden y: with PIM each matrix row's sum exactly once; without
PIM (the host baseline) every column of weights exactly once, from which the host computes
y. It records the cycles from the job handshake to the last result and the commands per
kind. Config: JSON named by ``HWDSE_SIM_CONFIG``; each job (``sim.pim.jobs``) carries the
design's layout, timing and geometry under ``design``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from sim.pim.device import KINDS, Channel, Command, TimingViolation
from sim.pim.results import job_record
from sim.streams import reset


def _field(word: int, spec: list[int]) -> int:
    offset, width = spec
    return (word >> offset) & ((1 << width) - 1)


async def _run_job(dut: Any, job: dict[str, Any]) -> dict[str, Any]:
    config = job["design"]
    layout = config["layout"]
    channels = config["channels"]
    cmd_fields, cmd_width = layout["cmd"]["fields"], layout["cmd"]["width"]
    res_fields, res_width = layout["result"]["fields"], layout["result"]["width"]
    rd_fields, rd_width = layout["rdata"]["fields"], layout["rdata"]["width"]
    width, acc_width, lanes = config["element_width"], config["acc_width"], config["lanes"]
    host = config["pim_mode"] == "none"
    devices = []
    for ch in range(channels):
        memory = {(b, row, col): values for b, row, col, values in job["memory"][ch]}
        devices.append(Channel(ch, config["banks"], config["timing"], {
            "rows": config["rows"], "columns": config["columns"], "lanes": lanes,
            "chunks": job["chunks"]}, memory, job["x"], width, acc_width))
    await reset(dut)
    dut.rdata.value = 0
    dut.job__payload.value = job["job_word"]
    dut.job__valid.value = 1
    now = 0
    start = None
    expected = [int(v) for v in job["expected"]]
    remaining = len(expected) * (job["chunks"] if host else 1)
    seen: dict[Any, Any] = {}
    last_result = None
    driven = False
    error = None
    while remaining > 0:
        if now > job["max_cycles"]:
            error = f"timeout: {remaining} results missing after {now} cycles"
            break
        # data due this cycle goes on the bus before the design samples it
        word = 0
        for ch, device in enumerate(devices):
            value = device.data_due(now)
            if value is not None:
                word |= ((1 << rd_fields["valid"][0]) | (value << rd_fields["data"][0])) \
                    << (ch * rd_width)
        if word or driven:
            dut.rdata.value = word
            driven = bool(word)
        await ReadOnly()
        if start is None and int(dut.job__ready.value):
            start = now
        commands = int(dut.cmd.value)
        results = int(dut.results.value)
        try:
            for ch, device in enumerate(devices):
                raw = commands >> (ch * cmd_width)
                device.step(now, Command(
                    KINDS[_field(raw, cmd_fields["kind"])], bool(_field(raw, cmd_fields["all"])),
                    _field(raw, cmd_fields["bank"]), _field(raw, cmd_fields["row"]),
                    _field(raw, cmd_fields["col"]), bool(_field(raw, cmd_fields["last"]))))
        except TimingViolation as violation:
            error = str(violation)
            break
        for ch in range(channels):
            raw = results >> (ch * res_width)
            if not _field(raw, res_fields["valid"]):
                continue
            tag, chunk = _field(raw, res_fields["tag"]), _field(raw, res_fields["chunk"])
            value = _field(raw, res_fields["data"])
            key = (tag, chunk) if host else tag
            if key in seen:
                error = f"result {key} returned twice"
                break
            seen[key] = value
            remaining -= 1
            last_result = now
        if error:
            break
        await RisingEdge(dut.clk)
        if start is not None:
            dut.job__valid.value = 0
        now += 1
    await RisingEdge(dut.clk)  # leave the read-only phase
    dut.job__valid.value = 0
    counts: dict[str, int] = {}
    bank_ops: dict[str, int] = {}
    for device in devices:
        for kind, n in device.counts.items():
            counts[kind] = counts.get(kind, 0) + n
        for kind, n in device.bank_ops.items():
            bank_ops[kind] = bank_ops.get(kind, 0) + n
    return job_record(job, seen, error, start, last_result, counts, bank_ops)


@cocotb.test()
async def pim_jobs(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())  # type: ignore[arg-type]
    records = []
    for job in config["jobs"]:
        records.append(await _run_job(dut, job))
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, (f"{len(failed)} job(s) failed: {failed[0]['meta']}: "
                        f"{failed[0]['error'] or str(failed[0]['mismatches']) + ' wrong rows'}")
