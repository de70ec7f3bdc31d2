"""Benchmark: ResNet-18 checked whole in RTL (issue 22): every convolution at 224 x 224 as its
im2col GEMM, plus the final fully-connected layer, on a 16 x 16 weight-stationary systolic
array with its activity counters; each layer bit-exact against the golden GEMM (seeded
random int8 operands), its RTL cycles equal to the model's, and its activity counts equal
to the model's. Recorded with the machine and the command.

Run: ``python bench/resnet18_sim.py [--out bench/results]``

The layers run one simulation each (``sim.runner.simulate`` on one job), on one build; the
wall time counts the build (cold, in a fresh cache folder), the workload import, the job
building (operands, golden GEMM, packed beats) and the simulations.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--rows", type=int, default=16)
    args = parser.parse_args()
    before = machine()
    wall_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hwdse-resnet-cache-") as cache:
        os.environ["HWDSE_CACHE"] = cache
        from dse.models.systolic import activity, cycles
        from dse.workload.sources import load_source
        from hw.systolic import SystolicParams
        from sim.activity import emit_instrumented
        from sim.runner import build, simulate
        from sim.systolic.jobs import gemm_job

        params = SystolicParams(rows=args.rows, cols=args.rows, dataflow="ws")
        start = time.monotonic()
        workload = load_source("hf:resnet-18", input_shape=[1, 3, 224, 224])
        import_seconds = time.monotonic() - start
        artifact = emit_instrumented(params)
        _, _, build_seconds = build(artifact)
        rows = []
        for index, layer in enumerate(workload.layers):
            gemm = layer.gemm
            start = time.monotonic()
            job = gemm_job(params, gemm.m, gemm.k, gemm.n, seed=index)
            job_seconds = time.monotonic() - start
            run = simulate(artifact, "sim.stream_testbench", [job], timeout=1800)
            (result,) = run.results
            model = cycles(params, gemm).cycles
            counts = {name: result.counters[name] for name in activity(params, gemm).to_dict()}
            rows.append({
                "layer": layer.name, "op": layer.op, "gemm": str(gemm),
                "repeat": layer.repeat, "macs": gemm.macs,
                "rtl_cycles": result.cycles, "model_cycles": model,
                "bit_exact": result.passed, "cycles_match": result.cycles == model,
                "activity_matches": counts == activity(params, gemm).to_dict(),
                "job_seconds": round(job_seconds, 2), "run_seconds": round(run.run_seconds, 2),
            })
            print(json.dumps(rows[-1]), flush=True)
    wall = time.monotonic() - wall_start
    total_cycles = sum(r["rtl_cycles"] * r["repeat"] for r in rows)
    record = {
        "machine": before, "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "design": params.to_dict(), "layers": rows,
        "all_bit_exact": all(r["bit_exact"] for r in rows),
        "all_cycles_match": all(r["cycles_match"] for r in rows),
        "all_activity_matches": all(r["activity_matches"] for r in rows),
        "total_macs": workload.total_macs, "total_rtl_cycles": total_cycles,
        "import_seconds": round(import_seconds, 1), "build_seconds": round(build_seconds, 1),
        "job_seconds": round(sum(r["job_seconds"] for r in rows), 1),
        "run_seconds": round(sum(r["run_seconds"] for r in rows), 1),
        "wall_seconds": round(wall, 1), "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "resnet18_sim.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "layers"}, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
