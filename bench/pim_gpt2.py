"""Benchmark: the GEMVs of a GPT-2-small decode step on the PIM controller, against the
host reading every weight over the channel; and the controller's area.

Run: ``python bench/pim_gpt2.py [--out bench/results] [--no-synth]``

Device: HBM2 timing (``pim-v1`` preset ``hbm2``, tCK 1 ns), 8 channels x 16 banks, 1 KB
rows (32 column accesses of 32 bytes), 32 int8 MAC lanes per bank (one 32-byte column per
MAC), closed page, FR-FCFS with 8 requests, all-bank refresh, row interleave. Modes:
``all-bank`` PIM (HBM-PIM's lockstep mode), ``per-bank`` PIM, and ``none`` (the host reads
every weight; the baseline). Workload per layer and token: Q, K, V and output projections
(768x768 each), MLP up (W 3072x768) and down (W 768x3072); 12 layers per token.

Every GEMV is simulated in Verilator against the DRAM-PIM device model (bit-exact, no
timing violation); cycles and command counts are the RTL's, energy is the command counts
priced with the cited IDD data (``dse.models.pim``), and the analytic model's cycles are
shown beside the RTL's. Area: Yosys ``synth_ecp5`` of each controller. Writes
``<out>/pim_gpt2.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from common import machine

from dse.models.pim import cycles as model_cycles
from dse.models.pim import energy_from_counters
from dse.workload import Gemm
from flows.synth import synthesize
from flows.tools import ToolError
from flows.verilog import emit
from hw.pim import PimParams
from sim.pim.jobs import gemv_job
from sim.runner import simulate

BASE = dict(channels=8, banks=16, rows=16384, columns=32, lanes=32, element_width=8,
            acc_width=32, timing="hbm2", page_policy="closed", scheduler="frfcfs",
            queue_depth=8, refresh="all-bank", interleave="row")
MODES = ("all-bank", "per-bank", "none")
#: (name, rows of W, columns of W, times per layer)
GEMVS = (("qkvo", 768, 768, 4), ("mlp_up", 3072, 768, 1), ("mlp_down", 768, 3072, 1))
LAYERS = 12


def run_mode(mode: str) -> dict[str, Any]:
    params = PimParams(**{**BASE, "pim_mode": mode})
    jobs = [gemv_job(params, rows, cols, seed=index)
            for index, (_, rows, cols, _) in enumerate(GEMVS)]
    started = time.monotonic()
    run = simulate(emit(params), "sim.pim.testbench", jobs, timeout=3600)
    wall = time.monotonic() - started
    out = []
    t = params.timing_values
    burst = params.lanes * params.element_width // 8
    peak = params.channels * burst / t.ccd  # bytes per cycle over the channels
    if mode == "all-bank":
        peak *= params.banks  # every bank reads a column per command
    for (name, rows, cols, times), result in zip(GEMVS, run.results, strict=True):
        if not result.passed:
            raise SystemExit(f"{mode} {name}: RTL check failed: {result.job}")
        counters = {**result.counters, "cycles": result.cycles}
        report = energy_from_counters(params, counters, rows * cols)
        model = model_cycles(params, Gemm(rows, cols, 1))
        out.append({
            "gemv": name, "rows": rows, "cols": cols, "per_layer": times,
            "cycles": result.cycles, "model_cycles": model.cycles,
            "model_error": (model.cycles - result.cycles) / result.cycles,
            "microseconds": result.cycles * t.tck_ns / 1000,
            "bandwidth_gbs": rows * cols / (result.cycles * t.tck_ns),
            "bandwidth_utilization": rows * cols / result.cycles / peak,
            "energy_nj": report.total_pj / 1000, "energy_components_nj": {
                k: v / 1000 for k, v in report.components().items()},
            "commands": {k: v for k, v in result.counters.items() if k.startswith("cmd_")}})
    token_cycles = LAYERS * sum(r["cycles"] * r["per_layer"] for r in out)
    token_energy = LAYERS * sum(r["energy_nj"] * r["per_layer"] for r in out)
    return {"mode": mode, "params": params.to_dict(), "gemvs": out, "sim_seconds": wall,
            "token_cycles": token_cycles, "token_microseconds": token_cycles * t.tck_ns / 1000,
            "token_energy_uj": token_energy / 1000}


def area(mode: str) -> dict[str, Any]:
    params = PimParams(**{**BASE, "pim_mode": mode})
    try:
        result = synthesize(params, "ecp5-85k", place=False)
    except ToolError as error:
        return {"mode": mode, "error": str(error).splitlines()[0]}
    return {"mode": mode, **result.synthesized, "synth_seconds": result.seconds["synth"]}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# PIM controller: GPT-2-small decode GEMVs, PIM against the host baseline", "",
        f"Command: `{result['command']}`  ",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, load "
        f"{result['machine']['load_average_1m']}; {result['date']}  ",
        "Device: HBM2 timing (DRAMsim3 HBM2_8Gb_x128, tCK 1 ns), 8 channels x 16 banks, 1 KB "
        "rows, 32 int8 lanes per bank MAC; closed page, FR-FCFS (8), all-bank refresh, row "
        "interleave. Every GEMV simulated in Verilator against the DRAM-PIM device model: "
        "results bit-exact, no timing violation. Energy: RTL command counts x IDD-derived "
        "command energies (DRAM I/O and host arithmetic not counted).", "",
        "| mode | GEMV (W) | RTL cycles | model cycles | model error | µs | GB/s | "
        "bandwidth utilization | energy (nJ) |", "|---|---|---|---|---|---|---|---|---|"]
    for mode in result["modes"]:
        for g in mode["gemvs"]:
            lines.append(
                f"| {mode['mode']} | {g['rows']}x{g['cols']} | {g['cycles']} | "
                f"{g['model_cycles']} | {g['model_error']:+.1%} | {g['microseconds']:.2f} | "
                f"{g['bandwidth_gbs']:.0f} | {g['bandwidth_utilization']:.1%} | "
                f"{g['energy_nj']:.0f} |")
    lines += ["", "## Per token (12 layers: 4 x 768x768, 3072x768, 768x3072 each)", "",
              "| mode | cycles | µs | energy (µJ) | speed-up over host | energy vs host |",
              "|---|---|---|---|---|---|"]
    host = next(m for m in result["modes"] if m["mode"] == "none")
    for mode in result["modes"]:
        lines.append(
            f"| {mode['mode']} | {mode['token_cycles']} | {mode['token_microseconds']:.1f} | "
            f"{mode['token_energy_uj']:.2f} | "
            f"{host['token_cycles'] / mode['token_cycles']:.2f}x | "
            f"{mode['token_energy_uj'] / host['token_energy_uj']:.2f}x |")
    if result["area"]:
        lines += ["", "## Controller area (Yosys synth_ecp5, bare design)", "",
                  "| mode | LUT | FF | DSP | BRAM | synthesis s |", "|---|---|---|---|---|---|"]
        for a in result["area"]:
            if "error" in a:
                lines.append(f"| {a['mode']} | failed: {a['error']} | | | | |")
            else:
                lines.append(f"| {a['mode']} | {a['lut']:.0f} | {a['ff']:.0f} | "
                             f"{a['dsp']:.0f} | {a['bram']:.0f} | {a['synth_seconds']:.0f} |")
    lines += ["", "Per-bank PIM issues one MAC per tCCD per channel, like the host's reads, so "
              "it gains only the result traffic; all-bank PIM drives 16 banks per command."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--no-synth", action="store_true")
    args = parser.parse_args()
    modes = []
    for mode in MODES:
        print(f"simulating {mode}", flush=True)
        modes.append(run_mode(mode))
    areas = [] if args.no_synth else [area(mode) for mode in MODES]
    result = {"benchmark": "pim_gpt2",
              "command": " ".join(["python", "bench/pim_gpt2.py", *sys.argv[1:]]),
              "machine": machine(), "date": time.strftime("%Y-%m-%d"), "modes": modes,
              "area": areas}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pim_gpt2.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "pim_gpt2.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
