"""Benchmark: RTL simulation speed of the PIM controller against its DRAM-PIM device model
(issue 22), which stays in Python: every cycle cocotb reads the controller's commands,
the model checks them against the DRAM timing rules and drives the read data back.

Run: ``python bench/pim_sim.py [--out bench/results]``

Designs: the ``bench/pim_gpt2.py`` device (HBM2 timing, 8 channels x 16 banks, 32 int8
lanes) in each PIM mode, on GEMVs of GPT-2-small's shapes. Per run: RTL cycles,
``simulate()``'s run seconds (simulator start to results) and cycles per second, and the
share of the time spent in the device model (``Channel.step``, timed inside the simulator
by ``bench/pim_sim_tb.py``); the rest is cocotb's per-cycle work (two triggers, the
command and result reads, the read-data write) and the simulator itself. Also the device
model alone, in this process: steps per second of a NOP and of an all-bank MAC. Writes
``<out>/pim_sim.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine

from flows.verilog import emit
from hw.pim import PimParams
from sim.pim.device import Channel, Command
from sim.pim.jobs import design_config, gemv_job
from sim.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
BASE = dict(channels=8, banks=16, rows=16384, columns=32, lanes=32, element_width=8,
            acc_width=32, timing="hbm2", page_policy="closed", scheduler="frfcfs",
            queue_depth=8, refresh="all-bank", interleave="row")
MODES = ("all-bank", "per-bank", "none")
SHAPES = ((768, 768), (3072, 768))


def run(mode: str, rows: int, cols: int, *, timed: bool, channels: int) -> dict[str, Any]:
    params = PimParams(**{**BASE, "pim_mode": mode, "channels": channels})
    job = gemv_job(params, rows, cols, seed=1)
    if not timed:
        result = simulate(emit(params), "sim.pim.testbench", [job], timeout=3600,
                          build_timeout=3600)
        (outcome,) = result.results
        assert outcome.passed, outcome.job
        return {"cycles": outcome.cycles, "run_seconds": round(result.run_seconds, 2),
                "cycles_per_second": round(outcome.cycles / result.run_seconds),
                "build_cached": result.build_cached}
    with tempfile.TemporaryDirectory(prefix="hwdse-pim-bench-") as folder:
        times_path = Path(folder) / "times.json"
        os.environ["HWDSE_BENCH_PIM_TIMES"] = str(times_path)
        result = simulate(emit(params), "bench.pim_sim_tb", [job], timeout=3600)
        times = json.loads(times_path.read_text())
    (outcome,) = result.results
    assert outcome.passed
    return {"test_seconds": round(times["test_seconds"], 2),
            "device_seconds": round(times["device_seconds"], 2),
            "device_steps": times["steps"],
            "device_share": round(times["device_seconds"] / times["test_seconds"], 3),
            "device_steps_per_second": round(times["steps"] / times["device_seconds"])}


def device_alone(steps: int = 3000) -> dict[str, int]:
    """Steps per second of the device model alone, in this process (no simulator): a NOP
    (only the refresh-interval rule is checked) and an all-bank MAC (16 banks, 32 lanes
    each, multiplied and summed in Python)."""
    params = PimParams(**{**BASE, "pim_mode": "all-bank"})
    config = design_config(params)
    rng = random.Random(0)
    lanes, banks = params.lanes, params.banks
    memory = {(bank, 0, col): [rng.randint(-128, 127) for _ in range(lanes)]
              for bank in range(banks) for col in range(params.columns)}
    x = [rng.randint(-128, 127) for _ in range(768)]
    geometry = {"rows": params.rows, "columns": params.columns, "lanes": lanes,
                "chunks": 768 // lanes}
    rates = {}
    for kind in ("NOP", "MAC"):
        channel = Channel(0, banks, config["timing"], geometry, memory, x,
                          params.element_width, params.acc_width)
        channel.step(0, Command("ACT", True, 0, 0, 0, False))
        now = 100
        start = time.perf_counter()
        for index in range(steps):
            channel.step(now, Command(kind, True, 0, 0, index % params.columns, False))
            now += config["timing"]["ccd"]
        rates[f"{kind.lower()}_steps_per_second"] = round(steps / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--channels", type=int, default=BASE["channels"])
    parser.add_argument("--shapes", nargs="+", default=[f"{m}x{k}" for m, k in SHAPES],
                        help="GEMVs as RxC (W's rows and columns)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    before = machine()
    rows = []
    for mode in args.modes:
        for shape in args.shapes:
            m, k = (int(side) for side in shape.split("x"))
            row = {"mode": mode, "channels": args.channels, "gemv": f"{m}x{k}",
                   **run(mode, m, k, timed=False, channels=args.channels)}
            row.update(run(mode, m, k, timed=True, channels=args.channels))
            print(json.dumps(row), flush=True)
            rows.append(row)
    record = {"machine": before, "load_average_1m_after": round(os.getloadavg()[0], 2),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": rows,
              "device_alone": device_alone()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pim_sim.json").write_text(json.dumps(record, indent=2) + "\n")
    print(table(record))


def table(record: dict[str, Any]) -> str:
    """The results as a Markdown table (for bench/results/pim_sim.md)."""
    lines = ["| mode | GEMV (W) | RTL cycles | `simulate()` run | cycles/s | cocotb test | "
             "in the device model | device steps/s |", "|---|---|---|---|---|---|---|---|"]
    for row in record["results"]:
        lines.append(
            f"| {row['mode']} | {row['gemv']} | {row['cycles']:,} | {row['run_seconds']} s | "
            f"{row['cycles_per_second']:,} | {row['test_seconds']} s | "
            f"{row['device_seconds']} s ({row['device_share']:.0%}) | "
            f"{row['device_steps_per_second']:,} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
