"""cocotb testbench: ``accel-v1``'s AXI4 master against cocotbext-axi's ``AxiRam`` (an
independent AXI4 slave model that asserts the protocol rules it relies on, among them no
burst across 4 KiB), with seeded random pauses on all five channels, so every handshake
waits in every phase. Each job (``sim.accel.jobs``) must leave the RAM exactly as its
expected image says, or set the error flag and leave it untouched.

Runs on the bare design (top ``accel``, ports ``axi__*``), built by ``cocotb_tools``; it
is slow (cocotb per cycle) and meant for small jobs. Config: ``HWDSE_SIM_CONFIG``.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiBus, AxiRam

from hw.accel.accelerator import CORE_COUNTERS, COUNTERS
from sim.accel.system import POISON_BYTE
from sim.accel.testbench import CLOCK_NS, record, run_command


def _image(text: str) -> bytes:
    lines = [line for line in text.split() if line]
    width = len(lines[0]) // 2
    return b"".join(int(line, 16).to_bytes(width, "little") for line in lines)


def _pauses(rng: random.Random, probability: float) -> Iterator[bool]:
    while True:
        yield rng.random() < probability


async def _run_job(dut: Any, ram: AxiRam, job: dict[str, Any], seed: int) -> dict[str, Any]:
    expected = _image(job["expected"])
    loaded = _image(job["image"])
    ram.write(0, loaded + bytes([POISON_BYTE]) * (len(expected) - len(loaded)))
    rng = random.Random(seed)
    for channel in (ram.read_if.ar_channel, ram.read_if.r_channel, ram.write_if.aw_channel,
                    ram.write_if.w_channel, ram.write_if.b_channel):
        channel.set_pause_generator(_pauses(rng, 0.3))
    dut.rst.value = 1
    dut.cmd__valid.value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    # the pauses stretch a job: allow many times the system testbench's limit
    error = await run_command(dut, dut.cmd__payload, dut.cmd__valid, job,
                              20 * int(job["max_cycles"]))
    await ReadOnly()
    counters = {name: int(getattr(dut, f"counters__{name}").value)
                for name in job.get("counters") or (*COUNTERS, *CORE_COUNTERS)}
    refused = bool(int(dut.error.value))
    await RisingEdge(dut.clk)
    got = ram.read(0, len(expected))
    wrong = [i for i in range(len(expected)) if got[i] != expected[i]]
    return record(job, error, wrong, refused, counters)


@cocotb.test()
async def accel_axi_ram(dut: Any) -> None:
    config = json.loads(Path(os.environ["HWDSE_SIM_CONFIG"]).read_text())
    logging.getLogger("cocotb.accel").setLevel(logging.WARNING)
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())  # type: ignore[arg-type]
    ram = AxiRam(AxiBus.from_prefix(dut, "axi_"), dut.clk, dut.rst, size=8 << 20)
    for interface in (ram.read_if, ram.write_if):
        interface.log.setLevel(logging.WARNING)
    records = []
    for number, job in enumerate(config["jobs"]):
        records.append(await _run_job(dut, ram, job, seed=1000 + number))
        Path(config["result_path"]).write_text(json.dumps(records))
    failed = [r for r in records if not r["passed"]]
    assert not failed, (f"{len(failed)} job(s) failed: {failed[0]['meta']}: "
                        f"{failed[0]['error'] or str(failed[0]['mismatches']) + ' wrong bytes'}")
