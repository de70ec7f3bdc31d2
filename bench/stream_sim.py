"""Benchmark: RTL simulation speed of the stream harness against a plain Verilator C++ loop
on the same Verilog, recorded with the machine and the command (issue 22).

Run: ``python bench/stream_sim.py [--sizes 8 16] [--k 20000] [--out bench/results]``

Per design (an output-stationary systolic array with its activity counters, as
``hwdse simulate`` checks it):

- ``loop``: the same Verilog in a small SystemVerilog wrapper (operands always valid, from
  an LFSR; results always taken) driven by a C++ loop that toggles the clock and calls
  ``eval()``, built with the same Verilator and C++ options: the speed limit;
- ``hwdse simulate``: the command on an M x K x N GEMM of at least 5 M cycles, timed from
  the process start to its verdict (the build cached beforehand), and the same run inside
  this process split into its parts (job building, job files, the simulator, the check);
- ``fixed``: ``run_seconds`` of a 1 x 1 x 1 GEMM on the cached build (median of 5) and the
  CPU seconds it took, and the whole ``hwdse simulate`` command on it (median of 3);
- ``profile``: the command once more under cProfile, its time split by function (the
  simulator process, job building, job files, the design's Verilog, the rest).

The loop and the command are measured ``--repeats`` times, alternately (the machine is
shared: its load changes during a run); the shares use the medians, the best of each is
recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

from dse.models.systolic import cycles
from dse.workload import Gemm
from hw.systolic import SystolicParams
from sim.activity import emit_instrumented
from sim.runner import BUILD_ARGS, build, simulate, tool_environment, verilator_root
from sim.stream_harness import stream_ports
from sim.systolic.jobs import gemm_job

ROOT = Path(__file__).resolve().parent.parent

LOOP_WRAPPER = """\
module bench_loop(input clk, output reg [31:0] sink);
  reg [3:0] reset_left = 4'd4;
  wire rst = reset_left != 0;
  reg [63:0] state = 64'h9e3779b97f4a7c15;
  wire in_ready, out_valid;
  wire [{out_width}:0] out_payload;
  {top} dut (.clk(clk), .rst(rst), .operands__valid(!rst), .operands__ready(in_ready),
    .operands__payload({{{copies}{{state}}}}), .results__valid(out_valid), .results__ready(1'b1),
    .results__payload(out_payload){counters});
  always @(posedge clk) begin
    if (rst) reset_left <= reset_left - 1;
    if (!rst && in_ready) state <= {{state[62:0], state[63] ^ state[62] ^ state[60] ^ state[59]}};
    if (out_valid) sink <= sink ^ out_payload[31:0];
  end
endmodule
"""

LOOP_MAIN = """\
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include "Vbench_loop.h"
#include "verilated.h"
int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    long cycles = std::atol(argv[1]);
    Vbench_loop* top = new Vbench_loop;
    top->clk = 0;
    top->eval();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < cycles; ++i) {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
    }
    std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    std::printf("%ld %.6f %u\\n", cycles, seconds.count(), top->sink);
    delete top;
    return 0;
}
"""


def loop_rate(params: SystolicParams, cycles_to_run: int, folder: Path) -> dict[str, float]:
    """Cycles per second of the plain C++ loop on the design's (instrumented) Verilog."""
    artifact = emit_instrumented(params)
    ports = stream_ports(artifact)
    counters = "".join(f", .{port}()" for _, port, _ in ports.counters)
    (folder / artifact.filename).write_text(artifact.text)
    (folder / "bench_loop.v").write_text(LOOP_WRAPPER.format(
        top=artifact.top, out_width=ports.result_width - 1,
        copies=-(-ports.operand_width // 64), counters=counters))
    (folder / "main.cpp").write_text(LOOP_MAIN)
    verilator = str(verilator_root() / "bin" / "verilator")
    start = time.monotonic()
    subprocess.run([verilator, "--cc", "--exe", "--build", "-j", "2", "--top-module",
                    "bench_loop", "-Mdir", str(folder / "obj"), *BUILD_ARGS,
                    str(folder / "main.cpp"), str(folder / artifact.filename),
                    str(folder / "bench_loop.v")],
                   check=True, cwd=folder, env=tool_environment(), capture_output=True)
    build_seconds = time.monotonic() - start
    out = subprocess.run([str(folder / "obj" / "Vbench_loop"), str(cycles_to_run)],
                         check=True, capture_output=True, text=True).stdout.split()
    ran, seconds = int(out[0]), float(out[1])
    return {"build_seconds": round(build_seconds, 1), "cycles": ran,
            "seconds": round(seconds, 3), "cycles_per_second": round(ran / seconds)}


def hwdse_simulate(params: SystolicParams, gemm: Gemm,
                   profile: Path | None = None) -> dict[str, object]:
    """Run ``hwdse simulate`` as a user would; wall seconds from start to verdict (under
    cProfile, writing ``profile``, if given)."""
    command = [str(Path(sys.executable).with_name("hwdse")), "simulate", "systolic",
               "-p", f"rows={params.rows}", "-p", f"cols={params.cols}",
               "-p", f"dataflow={params.dataflow}",
               "--gemm", f"{gemm.m}x{gemm.k}x{gemm.n}", "--json"]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}"
                           f"{done.stderr[-2000:]}")
    payload = json.loads(done.stdout)
    return {"command": " ".join(command[1:]), "wall_seconds": round(wall, 2),
            "passed": payload["passed"], "model_matches": payload["model_matches"],
            "cycles": payload["cycles"], "model_cycles": payload["model_cycles"]}


def parts(params: SystolicParams, gemm: Gemm) -> dict[str, float]:
    """The same run in this process, split into its parts."""
    artifact = emit_instrumented(params)
    start = time.monotonic()
    job = gemm_job(params, gemm.m, gemm.k, gemm.n)
    job_seconds = time.monotonic() - start
    run = simulate(artifact, "sim.stream_testbench", [job])
    assert run.passed and run.results[0].cycles == cycles(params, gemm).cycles
    return {"job_build_seconds": round(job_seconds, 2),
            "run_seconds": round(run.run_seconds, 2),
            "simulated_cycles": run.results[0].cycles}


def simulator_split(params: SystolicParams, gemm: Gemm, folder: Path) -> dict[str, float]:
    """The harness simulator run by hand on the job's files: its process's seconds, and the
    seconds cocotb reports for the test itself (the rest is start-up and exit)."""
    from sim import runner

    artifact = emit_instrumented(params)
    build_dir, _, _ = build(artifact)
    job = gemm_job(params, gemm.m, gemm.k, gemm.n)
    start = time.monotonic()
    config = runner._write_harness_jobs(artifact, [job], folder)
    write_seconds = time.monotonic() - start
    config["result_path"] = str(folder / "results.json")
    (folder / "config.json").write_text(json.dumps(config))
    env = runner.harness_environment(runner.STREAM_TESTBENCH, folder / "config.json", folder)
    start = time.monotonic()
    done = subprocess.run([str(build_dir / "obj" / runner.HARNESS_TOP)], cwd=folder, env=env,
                          capture_output=True, text=True)
    process_seconds = time.monotonic() - start
    match = re.search(r"stream_jobs\s+PASS\s+[\d.]+\s+([\d.]+)", done.stdout)
    assert match, done.stdout[-3000:]
    test_seconds = float(match.group(1))
    return {"job_files_seconds": round(write_seconds, 2),
            "simulator_process_seconds": round(process_seconds, 2),
            "cocotb_test_seconds": round(test_seconds, 2),
            "simulator_startup_and_exit_seconds": round(process_seconds - test_seconds, 2),
            "harness_cycles_per_second": round(cycles(params, gemm).cycles / test_seconds)}


#: (label, file suffix, function) of the parts of the command's profile.
PROFILE_PARTS = (
    ("simulator process (start-up, jobs, exit)", "sim/runner.py", "_run_harness"),
    ("job files", "sim/runner.py", "_write_harness_jobs"),
    ("job building (operands, golden GEMM, beats)", "sim/systolic/jobs.py", "gemm_job"),
    ("the design's Verilog (cache, amaranth import)", "sim/family.py", "emit_checked"),
)


def profile_split(params: SystolicParams, gemm: Gemm, folder: Path) -> dict[str, float]:
    """Seconds of the command under cProfile by part; ``rest`` is Python start-up, imports,
    argument parsing, the models and the output."""
    path = folder / "command.prof"
    hwdse_simulate(params, gemm, profile=path)
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    split = {"total": round(total, 2)}
    for label, suffix, function in PROFILE_PARTS:
        split[label] = round(sum(entry[3] for (file, _, name), entry in stats.items()
                                 if file.endswith(suffix) and name == function), 2)
    split["rest"] = round(total - sum(split[label] for label, *_ in PROFILE_PARTS), 2)
    return split


def fixed_seconds(params: SystolicParams) -> tuple[float, float]:
    """Median ``run_seconds`` of a 1x1x1 GEMM on the cached build, and the median CPU
    seconds it took (the simulator process and this one): on a busy machine the wall time
    is the CPU time stretched by the load."""
    artifact = emit_instrumented(params)
    tiny = gemm_job(params, 1, 1, 1)
    samples, cpu = [], []
    for _ in range(5):
        before = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN,
                                                      resource.RUSAGE_SELF)]
        run = simulate(artifact, "sim.stream_testbench", [tiny])
        after = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN,
                                                     resource.RUSAGE_SELF)]
        assert run.passed
        samples.append(run.run_seconds)
        cpu.append(sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
                       for a, b in zip(after, before, strict=True)))
    return round(statistics.median(samples), 3), round(statistics.median(cpu), 3)


def measure(size: int, k: int, loop_cycles: int, repeats: int) -> dict[str, object]:
    params = SystolicParams(rows=size, cols=size, dataflow="os")
    m = n = 16 * size
    gemm = Gemm(m, k, n)
    model = cycles(params, gemm).cycles
    start = time.monotonic()
    _, cached, _ = build(emit_instrumented(params))
    harness_build = time.monotonic() - start
    loops, commands = [], []
    with tempfile.TemporaryDirectory(prefix="hwdse-loop-") as folder:
        for _ in range(repeats):  # alternately: both see the same changes of load
            loops.append(loop_rate(params, max(2_000_000, loop_cycles * 64 // size**2),
                                   Path(folder)))
            commands.append(hwdse_simulate(params, gemm))
    loop_rates = [sample["cycles_per_second"] for sample in loops]
    walls = [sample["wall_seconds"] for sample in commands]
    loop_rate_median = statistics.median(loop_rates)
    command_rate = model / statistics.median(walls)
    best_command_rate = model / min(walls)
    split = parts(params, gemm)
    with tempfile.TemporaryDirectory(prefix="hwdse-split-") as folder:
        inside = simulator_split(params, gemm, Path(folder))
        profile = profile_split(params, gemm, Path(folder))
    tiny = Gemm(1, 1, 1)
    fixed_command = statistics.median(hwdse_simulate(params, tiny)["wall_seconds"]
                                      for _ in range(3))
    run_rate = model / split["run_seconds"]
    return {
        "design": f"{size}x{size} os (activity counters)",
        "harness_build_seconds": None if cached else round(harness_build, 1),
        "loop": {**loops[0], "cycles_per_second": round(loop_rate_median),
                 "samples": loop_rates, "best": max(loop_rates)},
        "gemm": f"{m}x{k}x{n}",
        "model_cycles": model,
        "hwdse_simulate": {**commands[0], "wall_seconds": statistics.median(walls),
                           "samples": walls},
        "command_cycles_per_second": round(command_rate),
        "command_fraction_of_loop": round(command_rate / loop_rate_median, 3),
        "best_command_fraction_of_best_loop": round(best_command_rate / max(loop_rates), 3),
        **split,
        **inside,
        "run_cycles_per_second": round(run_rate),
        "run_fraction_of_loop": round(run_rate / loop_rate_median, 3),
        **dict(zip(("fixed_run_seconds_1x1x1", "fixed_run_cpu_seconds_1x1x1"),
                   fixed_seconds(params), strict=True)),
        "fixed_command_seconds_1x1x1": fixed_command,
        "command_profile_seconds": profile,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--k", type=int, default=20000, help="K of the (16 rows) x K x "
                        "(16 cols) GEMM: 16*16*K cycles")
    parser.add_argument("--loop-cycles", type=int, default=20_000_000)
    parser.add_argument("--repeats", type=int, default=3,
                        help="Measurements of the loop and of the command, alternately.")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    before = machine()
    rows = [measure(size, args.k, args.loop_cycles, args.repeats) for size in args.sizes]
    record = {"machine": before, "load_average_1m_after": round(os.getloadavg()[0], 2),
              "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stream_sim.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    print(table(record))


def table(record: dict[str, object]) -> str:
    """The results as a Markdown table (for bench/results/stream_sim.md)."""
    lines = ["| design | GEMM (cycles) | C++ loop | `hwdse simulate` start to verdict | "
             "share of loop (best / best) | `simulate()` run | share | in the simulator | "
             "1x1x1 re-run | 1x1x1 command |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in record["results"]:  # type: ignore[attr-defined]
        loop = row["loop"]["cycles_per_second"]
        lines.append(
            f"| {row['design']} | {row['gemm']} ({row['model_cycles']:,}) | {loop:,}/s | "
            f"{row['hwdse_simulate']['wall_seconds']} s = {row['command_cycles_per_second']:,}/s"
            f" | {row['command_fraction_of_loop']:.1%} "
            f"({row['best_command_fraction_of_best_loop']:.1%}) | {row['run_seconds']} s = "
            f"{row['run_cycles_per_second']:,}/s | {row['run_fraction_of_loop']:.0%} | "
            f"{row['cocotb_test_seconds']} s = {row['harness_cycles_per_second']:,}/s | "
            f"{row['fixed_run_seconds_1x1x1']} s | {row['fixed_command_seconds_1x1x1']} s |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
