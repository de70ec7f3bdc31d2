"""Benchmark: RTL simulation speed of the PIM controller with its DRAM-PIM device model in
C++ inside the simulator (``cpp``) and in Python stepped by cocotb every cycle (``python``),
on the same designs and jobs (issue 22).

Run: ``python bench/pim_sim.py [--out bench/results]``

Designs: the ``bench/pim_gpt2.py`` device (HBM2 timing, 16 banks, 32 int8 lanes) in each
PIM mode, with 2 channels (an 8-channel design takes over 15 minutes per Verilator build on
this machine, and each backend has its own build), on GEMVs of GPT-2-small's shapes. Per
run and backend: RTL cycles, ``simulate()``'s run seconds (simulator start to checked
results, build excluded) and cycles per second, and whether both backends gave the same
records (results, cycles, command counts). A second, timed run of each says where the time
goes (``bench/pim_sim_tb.py``): for ``python`` the seconds in the device model
(``Channel.step``); for ``cpp`` the seconds of the job inside the simulator, of which the
C++ model's per-cycle calls and its loading of the job file (``HWDSE_PIM_PROFILE``), and
the seconds checking the outcome. Also the Python device model alone, in this process.
Writes ``<out>/pim_sim.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import machine

from flows.verilog import emit
from hw.pim import PimParams
from sim.pim.device import Channel, Command
from sim.pim.harness import BACKENDS, simulate
from sim.pim.job_files import write_job
from sim.pim.jobs import design_config, gemv_job

ROOT = Path(__file__).resolve().parent.parent
BASE = dict(channels=2, banks=16, rows=16384, columns=32, lanes=32, element_width=8,
            acc_width=32, timing="hbm2", page_policy="closed", scheduler="frfcfs",
            queue_depth=8, refresh="all-bank", interleave="row")
MODES = ("all-bank", "per-bank", "none")
SHAPES = ((768, 768), (3072, 768))


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run(params: PimParams, job: dict[str, Any], backend: str) -> tuple[dict[str, Any], Any]:
    """An untimed run (the throughput) and a timed one (where the time goes)."""
    artifact = emit(params)
    result = simulate(artifact, [job], backend=backend, timeout=3600, build_timeout=3600)
    (outcome,) = result.results
    assert outcome.passed, outcome.job
    row: dict[str, Any] = {
        "cycles": outcome.cycles, "run_seconds": round(result.run_seconds, 3),
        "cycles_per_second": round(outcome.cycles / result.run_seconds),
        "build_cached": result.build_cached, "build_seconds": round(result.build_seconds, 1)}
    with tempfile.TemporaryDirectory(prefix="hwdse-pim-bench-") as folder:
        times_path = Path(folder) / "times.json"
        os.environ.update(HWDSE_BENCH_PIM_TIMES=str(times_path),
                          HWDSE_BENCH_PIM_BACKEND=backend, HWDSE_PIM_PROFILE="1")
        try:
            timed = simulate(artifact, [job], backend=backend, testbench="bench.pim_sim_tb",
                             timeout=3600)
            times = json.loads(times_path.read_text())
        finally:
            for name in ("HWDSE_BENCH_PIM_TIMES", "HWDSE_BENCH_PIM_BACKEND",
                         "HWDSE_PIM_PROFILE"):
                os.environ.pop(name, None)
        if backend == "cpp":
            started = time.perf_counter()
            write_job(Path(folder) / "job.pim", job)
            times["write_job_seconds"] = time.perf_counter() - started
    assert timed.results[0].passed and timed.results[0].cycles == outcome.cycles
    row["timed_run_seconds"] = round(timed.run_seconds, 3)
    row.update({name: round(value, 4) if isinstance(value, float) else value
                for name, value in times.items()})
    if backend == "python":
        row["device_share"] = round(times["device_seconds"] / times["test_seconds"], 3)
        row["device_steps_per_second"] = round(times["steps"] / times["device_seconds"])
    else:
        row["in_simulator_cycles_per_second"] = round(
            outcome.cycles / max(1e-9, times["job_seconds"] - times["load_seconds"]))
        row["device_share_of_job"] = round(times["device_seconds"] / times["job_seconds"], 3)
    return row, outcome


def device_alone(steps: int = 3000) -> dict[str, int]:
    """Steps per second of the Python device model alone, in this process (no simulator): a
    NOP (only the refresh-interval rule is checked) and an all-bank MAC (16 banks, 32 lanes
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
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--channels", type=int, default=BASE["channels"])
    parser.add_argument("--shapes", nargs="+", default=[f"{m}x{k}" for m, k in SHAPES],
                        help="GEMVs as RxC (W's rows and columns)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    before, uptime_before = machine(), uptime()
    rows = []
    for mode in args.modes:
        params = PimParams(**{**BASE, "pim_mode": mode, "channels": args.channels})
        for shape in args.shapes:
            m, k = (int(side) for side in shape.split("x"))
            job = gemv_job(params, m, k, seed=1)
            outcomes = {}
            for backend in args.backends:
                row = {"mode": mode, "channels": args.channels, "gemv": f"{m}x{k}",
                       "backend": backend, "load_average_1m": round(os.getloadavg()[0], 2)}
                measured, outcomes[backend] = run(params, job, backend)
                row.update(measured)
                print(json.dumps(row), flush=True)
                rows.append(row)
            if len(outcomes) == 2:
                same = len({json.dumps(dataclasses.asdict(o), sort_keys=True)
                            for o in outcomes.values()}) == 1
                for row in rows[-2:]:
                    row["same_records"] = same
                assert same, outcomes
    record = {"benchmark": "pim_sim", "machine": before, "uptime_before": uptime_before,
              "uptime_after": uptime(),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": rows,
              "python_device_alone": device_alone()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pim_sim.json").write_text(json.dumps(record, indent=2) + "\n")
    print(table(record))


def table(record: dict[str, Any]) -> str:
    """The results as a Markdown table (for bench/results/pim_sim.md)."""
    lines = ["| mode | GEMV (W) | RTL cycles | backend | load | `simulate()` run | cycles/s | "
             "job in the simulator | device model |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in record["results"]:
        if row["backend"] == "cpp":
            job = (f"{row['job_seconds']:.3f} s ({row['in_simulator_cycles_per_second']:,} "
                   f"cycles/s; job file {row['load_seconds']:.3f} s)")
            device = f"{row['device_seconds']:.3f} s ({row['device_share_of_job']:.0%} of the job)"
        else:
            job = f"{row['test_seconds']:.2f} s (cocotb test)"
            device = (f"{row['device_seconds']:.2f} s ({row['device_share']:.0%} of the "
                      f"test)")
        lines.append(
            f"| {row['mode']} | {row['gemv']} | {row['cycles']:,} | {row['backend']} | "
            f"{row['load_average_1m']} | {row['run_seconds']:.2f} s | "
            f"{row['cycles_per_second']:,} | {job} | {device} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
