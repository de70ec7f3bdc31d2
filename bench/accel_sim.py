"""Simulation speed of accel-v1 in its DRAM system (issues 18 and 22): the cocotb-clocked
testbench (``HWDSE_ACCEL_COCOTB_CLOCK=1``, the path before the harness) against the harness
(``sim.accel.harness``: clock and job sequence inside the simulator).

Each run is the CLI command ``hwdse simulate accel ... --json`` in a child process (one at a
time), timed from its start to its verdict; the record also has the simulator's own seconds
(``run_seconds``) and the seconds the testbench measured inside the simulator
(``HWDSE_ACCEL_TIMES``: the cocotb-clocked testbench from the command to ``done``, the
harness from the job's start, DRAM image load included, to its end, dump included). A
design's builds are made by a first run, not timed; then each path runs ``--repeat`` times.
Both paths must report the same record (cycles, counters, verdict) apart from timings.

    .venv/bin/python bench/accel_sim.py [--repeat 1] [--designs 8x8,16x16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HWDSE = str(Path(sys.executable).with_name("hwdse"))

DESIGNS = {
    "8x8": ["-p", "rows=8", "-p", "cols=8", "-p", "spad_kib=64", "-p", "acc_kib=32",
            "-p", "bus_bytes=8", "--gemm", "512x512x512", "--bandwidth", "8",
            "--latency", "40"],
    "16x16": ["-p", "rows=16", "-p", "cols=16", "-p", "spad_kib=64", "-p", "acc_kib=32",
              "-p", "bus_bytes=16", "--gemm", "512x512x512", "--bandwidth", "16",
              "--latency", "40"],
}
PATHS = {"cocotb-clock": {"HWDSE_ACCEL_COCOTB_CLOCK": "1"},
         "harness": {"HWDSE_ACCEL_COCOTB_CLOCK": "0"}}
#: Fields that may differ between runs of the same job (timings, build reuse).
TIMING_FIELDS = ("build_cached", "build_seconds", "run_seconds")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _run(command: list[str], path_env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        times = Path(folder) / "times.jsonl"
        env = dict(os.environ, HWDSE_ACCEL_TIMES=str(times), **path_env)
        load_before = _uptime()
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
        load_after = _uptime()
        if done.returncode != 0:
            raise SystemExit(f"{shlex.join(command)} failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout)
        inside = [json.loads(line) for line in times.read_text().split("\n") if line]
    cycles = report["cycles"]
    sim_seconds = sum(entry["seconds"] for entry in inside)
    return {"wall_seconds": round(wall, 3), "run_seconds": report["run_seconds"],
            "inside_seconds": round(sim_seconds, 3), "build_cached": report["build_cached"],
            "build_seconds": report["build_seconds"], "cycles": cycles,
            "cycles_per_second_wall": round(cycles / wall),
            "cycles_per_second_run": round(cycles / report["run_seconds"]),
            "cycles_per_second_inside": round(cycles / sim_seconds),
            "passed": report["passed"], "model_matches": report["model_matches"],
            "mismatches": report["mismatches"], "load_before": load_before,
            "load_after": load_after,
            "report": {k: v for k, v in report.items() if k not in TIMING_FIELDS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--designs", default=",".join(DESIGNS))
    args = parser.parse_args()
    machine = {"platform": platform.platform(), "cpus": os.cpu_count(),
               "python": platform.python_version(),
               "cpu": next((line.split(":", 1)[1].strip() for line in
                            Path("/proc/cpuinfo").read_text().splitlines()
                            if line.startswith("model name")), "unknown")}
    rows = []
    for design in args.designs.split(","):
        command = [HWDSE, "simulate", "accel", *DESIGNS[design], "--json"]
        reports = {}
        for name, path_env in PATHS.items():
            warm = _run(command, path_env)  # builds (if not cached) and checks
            print(f"{design} {name}: warm-up build {warm['build_seconds']} s "
                  f"(cached {warm['build_cached']})", flush=True)
            for _ in range(args.repeat):
                row = _run(command, path_env)
                row.update(design=design, path=name, command=shlex.join(
                    ["hwdse", *command[1:]]), warmup_build_seconds=warm["build_seconds"])
                reports[name] = row.pop("report")
                rows.append(row)
                print(f"{design} {name}: {row['cycles']:,} cycles, "
                      f"{row['cycles_per_second_wall']:,}/s wall, "
                      f"{row['cycles_per_second_inside']:,}/s inside; "
                      f"{row['load_before']}", flush=True)
        same = reports["cocotb-clock"] == reports["harness"]
        for row in rows:
            if row["design"] == design:
                row["same_record_as_other_path"] = same
        if not same:
            raise SystemExit(f"{design}: the two paths report different records")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "accel_sim.json").write_text(json.dumps({"machine": machine, "runs": rows},
                                                       indent=1) + "\n")
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
