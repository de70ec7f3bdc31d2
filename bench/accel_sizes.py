"""Benchmark: accel-v1, an 8 x 8 int8 output-stationary core with 64 KiB of scratchpad,
32 KiB of accumulator and an 8-byte AXI bus, on square GEMMs 64^3 .. 512^3 (issue 18), in
RTL against its DRAM model (bit-exact, cycles and traffic equal to the model), next to the
bare array fed by ideal streams (``systolic-v1``'s exact cycle model: operands from
nowhere, results to nowhere) and the compulsory DRAM traffic (each operand read once, C
written once).

Run: ``python bench/accel_sizes.py [--out bench/results] [--bandwidth 8 --latency 40]``

Every GEMM runs with the default mapping of ``hw.accel.tiling`` at the given DRAM, and at
1 byte per cycle (starved) from the model only. One build (cold, in a fresh cache folder)
runs every job; the wall time of each simulation is recorded.
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

ROOT = Path(__file__).resolve().parent.parent
SIZES = (64, 128, 256, 512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--bandwidth", type=int, default=8)
    parser.add_argument("--latency", type=int, default=40)
    args = parser.parse_args()
    before = machine()
    wall_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hwdse-accel-cache-") as cache:
        os.environ["HWDSE_CACHE"] = cache
        from dse.models import systolic
        from dse.models.accel import cycles, energy
        from dse.workload import Gemm
        from hw.accel import AccelParams
        from sim.accel.jobs import gemm_job
        from sim.accel.system import emit_system
        from sim.runner import build, simulate

        params = AccelParams(rows=8, cols=8, spad_kib=64, acc_kib=32, bus_bytes=8)
        artifact = emit_system(params)
        _, _, build_seconds = build(artifact, harness=False)
        rows = []
        for size in SIZES:
            gemm = Gemm(size, size, size)
            report = cycles(params, gemm, bandwidth=args.bandwidth, latency=args.latency)
            starved = cycles(params, gemm, report.mapping, 1, args.latency)
            job = gemm_job(params, size, size, size, mapping=report.mapping,
                           bandwidth=args.bandwidth, latency=args.latency, seed=size)
            run = simulate(artifact, "sim.accel.testbench", [job], timeout=3600)
            (result,) = run.results
            measured = {name: result.counters[name] for name in report.activity.to_dict()}
            ideal = systolic.cycles(params.core_params, gemm).cycles
            compulsory = 2 * size * size * params.element_bytes + size * size * params.acc_bytes
            traffic = report.activity.dram_read_bytes + report.activity.dram_write_bytes
            rows.append({
                "gemm": f"{size}x{size}x{size}", "mapping": report.mapping.to_json(),
                "bit_exact": result.passed, "rtl_cycles": result.cycles,
                "model_cycles": report.cycles, "cycles_match": result.cycles == report.cycles,
                "counters_match": measured == report.activity.to_dict(),
                "stall_cycles": result.counters["stall_cycles"],
                "bare_array_ideal_cycles": ideal,
                "slowdown_vs_ideal": round(result.cycles / ideal, 3),
                "utilization": round(report.utilization, 4),
                "dram_read_bytes": result.counters["dram_read_bytes"],
                "dram_write_bytes": result.counters["dram_write_bytes"],
                "compulsory_bytes": compulsory,
                "traffic_over_compulsory": round(traffic / compulsory, 3),
                "energy_uj": round(energy(params, gemm, mapping=report.mapping,
                                          bandwidth=args.bandwidth,
                                          latency=args.latency).total_pj / 1e6, 2),
                "model_cycles_at_1_byte_per_cycle": starved.cycles,
                "run_seconds": round(run.run_seconds, 2),
                "simulated_cycles_per_second": round(result.cycles / run.run_seconds),
            })
            print(json.dumps(rows[-1]), flush=True)
    record = {
        "machine": before, "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "design": params.to_dict(), "dram": {"bandwidth": args.bandwidth,
                                             "latency": args.latency},
        "gemms": rows, "all_bit_exact": all(r["bit_exact"] for r in rows),
        "all_cycles_match": all(r["cycles_match"] for r in rows),
        "all_counters_match": all(r["counters_match"] for r in rows),
        "build_seconds": round(build_seconds, 1),
        "wall_seconds": round(time.monotonic() - wall_start, 1),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accel_sizes.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "gemms"}, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
