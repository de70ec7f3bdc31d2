"""Benchmark: Verilator build time, simulated cycles per second and cached re-run cost of
the systolic array, recorded with the machine and the command.

Run: ``python bench/systolic_sim.py [--sizes 4 8 16] [--out bench/results]``

Builds go to a fresh cache folder so build times are cold. Per design it measures:
- ``build_seconds``: Verilator + C++ compile of the design (cold);
- ``fixed_seconds``: a 1x1x1 GEMM on the cached build: process start, cocotb and
  testbench start-up, i.e. what a re-run adds to the simulation itself;
- ``cycles``: an N x N x N GEMM (default 64), RTL == model, and its utilization;
- ``cycles_per_second``: cycles of a 128 x 256 x 128 GEMM divided by its run time minus the
  fixed cost.

``bench/results/systolic_sim.md`` was recorded when cocotb drove every beat from Python;
since the stream harness (``sim.stream_harness``) ``bench/stream_sim.py`` measures the
speed against a plain C++ loop on long GEMMs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import machine

from dse.models.systolic import cycles
from dse.workload import Gemm
from flows.verilog import emit
from hw.systolic import SystolicParams
from sim.families import sim_family
from sim.runner import simulate, verilator_version
from sim.systolic.jobs import gemm_job


def measure(params: SystolicParams, size: int) -> dict[str, object]:
    artifact = emit(params)
    tb = sim_family(params.generator).testbench
    tiny = gemm_job(params, 1, 1, 1)
    cold = simulate(artifact, tb, [tiny])
    start = time.monotonic()
    warm = simulate(artifact, tb, [tiny])
    warm_wall = time.monotonic() - start
    job = gemm_job(params, size, size, size, seed=1)
    big = simulate(artifact, tb, [job])
    result = big.results[0]
    model = cycles(params, Gemm(size, size, size))
    assert cold.passed and warm.passed and result.passed
    assert result.cycles == model.cycles
    # throughput from a GEMM long enough that the fixed cost is a small part of it
    long_gemm = Gemm(128, 256, 128)
    long = simulate(artifact, tb, [gemm_job(params, long_gemm.m, long_gemm.k, long_gemm.n)])
    assert long.passed and long.results[0].cycles == cycles(params, long_gemm).cycles
    simulated = long.run_seconds - warm.run_seconds
    return {
        "design": f"{params.rows}x{params.cols} {params.dataflow}",
        "params": params.to_dict(),
        "build_seconds": round(cold.build_seconds, 2),
        "rerun_build_cached": warm.build_cached,
        "fixed_seconds": round(warm.run_seconds, 3),
        "rerun_wall_seconds": round(warm_wall, 3),
        "gemm": f"{size}x{size}x{size}",
        "cycles": result.cycles,
        "model_cycles": model.cycles,
        "utilization": round(model.utilization, 4),
        "gemm_run_seconds": round(big.run_seconds, 3),
        "throughput_gemm": str(long_gemm),
        "throughput_cycles": long.results[0].cycles,
        "cycles_per_second": round(long.results[0].cycles / simulated) if simulated > 0 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--gemm", type=int, default=64, help="N of the N x N x N GEMM")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    before = machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwdse-bench-") as cache:
        os.environ["HWDSE_CACHE"] = cache
        for size in args.sizes:
            for dataflow in ("os", "ws"):
                params = SystolicParams(rows=size, cols=size, dataflow=dataflow)
                row = measure(params, args.gemm)
                rows.append(row)
                print(json.dumps(row), flush=True)
    record = {"benchmark": "systolic_sim", "command": " ".join([sys.executable, *sys.argv]),
              "date": time.strftime("%Y-%m-%d"),
              "machine": {**before, "verilator": verilator_version()},
              "load_average_1m_after": round(os.getloadavg()[0], 2), "results": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "systolic_sim.json").write_text(json.dumps(record, indent=2) + "\n")
    m = record["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores; load average {m['load_average_1m']} "
             f"at the start. Command: `{record['command']}`.", "",
             "| design | build (cold) | re-run fixed cost | GEMM | cycles (RTL = model) "
             "| utilization | simulated cycles/s (128x256x128) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['design']} | {r['build_seconds']} s | {r['fixed_seconds']} s "
                     f"| {r['gemm']} | {r['cycles']} | {r['utilization']:.1%} "
                     f"| {r['cycles_per_second']} |")
    (args.out / "systolic_sim.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
