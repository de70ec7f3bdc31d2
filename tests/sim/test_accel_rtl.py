"""accel-v1 in Verilator: every job bit-exact in DRAM (C against the golden model, nothing
else touched), and the RTL's cycles, DRAM bytes, SRAM accesses and stall cycles equal to
the model's, across bandwidths from 1 byte per cycle to more than the bus, latencies, both
loop orders, both dataflows of the systolic core, ragged shapes, tiles that only just fit,
and refused jobs. One build per design runs all its jobs (the mapping and the DRAM are
run-time inputs)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dse.models.accel import cycles
from dse.workload import Gemm
from flows.cli import app
from flows.verilog import emit
from hw.accel import AccelParams
from sim.accel import SIMULATION
from sim.accel.jobs import gemm_job
from sim.accel.system import emit_system
from sim.runner import run_jobs, simulate

pytestmark = pytest.mark.sim

#: (M, K, N, tiles or None for the default mapping, order, bandwidth, latency)
DEFAULT_CASES = [
    (16, 8, 16, "8x8x8", "mnk", 8, 5),
    (20, 13, 9, "8x4x8", "nmk", 2, 3),
    (33, 70, 17, "16x32x8", "mnk", 1, 40),       # starved: 1 byte per cycle
    (64, 64, 64, None, None, 8, 40),
    (64, 64, 64, "32x64x32", "nmk", 16, 2),      # more bandwidth than the bus takes
    (9, 200, 40, "8x64x16", "mnk", 4, 17),
    (64, 256, 40, "32x256x8", "mnk", 8, 9),      # A tile just fits its 8 KiB slot
    (70, 20, 64, "32x20x64", "nmk", 2, 30),      # C tile just fits its 8 KiB slot
    (24, 24, 24, "8x8x8", "nmk", 1, 2),
    (1, 1, 1, None, "nmk", 8, 1),
    (40, 9, 40, "64x9x64", "mnk", 8, 7),         # refused: C tile 16 KiB
    (30, 50, 30, "12x8x8", "mnk", 8, 2),         # refused: TM not a multiple of 8
    (8, 1100, 8, "8x1025x8", "mnk", 8, 2),       # refused: A tile 8200 bytes
]

DESIGNS = {
    "default": (AccelParams(), DEFAULT_CASES),
    # 16-bit unsigned elements, a 4 x 8 core, a wide bus, short bursts, 2 in flight
    "wide-bus": (AccelParams(rows=4, cols=8, input_width=16, signed=False, bus_bytes=16,
                             spad_kib=8, acc_kib=4, max_burst=4, outstanding=2),
                 [(17, 9, 23, None, None, 16, 10), (40, 33, 16, "16x16x16", "nmk", 1, 3),
                  (16, 24, 32, "16x8x16", "mnk", 64, 25),
                  (31, 64, 8, "16x64x8", "mnk", 4, 60)]),    # the A tile just fits
    # the weight-stationary core: K tiles of whole weight tiles, blocks of acc_depth rows
    "ws": (AccelParams(rows=4, cols=8, dataflow="ws", acc_depth=16, spad_kib=8, acc_kib=8),
           [(16, 8, 16, "8x8x8", "mnk", 8, 5), (20, 13, 9, "8x8x8", "nmk", 2, 3),
            (33, 70, 17, "20x16x16", "mnk", 1, 40), (64, 64, 64, None, None, 8, 40),
            (40, 24, 24, "40x24x16", "nmk", 16, 2), (5, 3, 2, None, "nmk", 4, 17),
            (64, 32, 8, "64x32x8", "mnk", 8, 3),        # the A tile just fits (2 KiB)
            (24, 20, 24, "8x12x8", "mnk", 8, 3)]),      # refused: TK not a multiple of 8
    # a narrow bus, 64-bit accumulators, one burst in flight (latency-bound)
    "latency-bound": (AccelParams(rows=2, cols=4, acc_width=64, bus_bytes=4, spad_kib=4,
                                  acc_kib=4, max_burst=8, outstanding=1),
                      [(9, 17, 7, None, None, 4, 20), (12, 40, 12, "4x16x8", "nmk", 1, 2),
                       (5, 5, 30, "8x5x16", "mnk", 2, 100)]),
}


def _jobs(params, cases):
    return [gemm_job(params, m, k, n, mapping=tiles, order=order, bandwidth=bandwidth,
                     latency=latency, seed=seed,
                     values=("random", "extreme", "min", "max")[seed % 4])
            for seed, (m, k, n, tiles, order, bandwidth, latency) in enumerate(cases)]


@pytest.fixture(scope="module", params=[
    pytest.param(name, id=name, marks=() if name in ("default", "ws") else pytest.mark.slow)
    for name in DESIGNS])
def design_run(request):
    params, cases = DESIGNS[request.param]
    jobs = _jobs(params, cases)
    return params, cases, jobs, run_jobs(SIMULATION, emit_system(params), jobs)


def test_every_job_is_bit_exact_and_equals_the_model(design_run):
    params, cases, jobs, run = design_run
    assert len(run.results) == len(cases)
    for (m, k, n, tiles, order, bandwidth, latency), job, result in zip(
            cases, jobs, run.results, strict=True):
        assert result.passed, (result.job, result.mismatches)
        if job["expect_error"]:
            assert result.counters["cycles"] == 1   # the check cycle only
            assert result.counters["dram_read_bytes"] == 0
            assert result.counters["dram_write_bytes"] == 0
            continue
        report = cycles(params, Gemm(m, k, n), tiles, bandwidth, latency, order)
        assert result.job["mapping"] == report.mapping.to_json()
        assert result.cycles == report.cycles, result.job
        assert result.counters["system_cycles"] == result.cycles
        measured = {name: result.counters[name] for name in report.activity.to_dict()}
        assert measured == report.activity.to_dict(), result.job


def test_the_cases_refuse_what_they_say():
    refused = [job["expect_error"] for job in _jobs(*DESIGNS["default"])]
    assert refused.count(True) == 3 and refused.count(False) == 10


def test_simulate_cli_reports_dram_traffic_and_the_mapping():
    """On the default design, whose build the tests above cached."""
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "accel", "-p", "core=systolic", "-p", "rows=8",
                                 "-p", "cols=8", "-p", "spad_kib=32", "-p", "acc_kib=16",
                                 "-p", "bus_bytes=8", "--gemm", "40x24x33", "--bandwidth",
                                 "2", "--latency", "40", "--tiles", "16x24x16", "--order",
                                 "nmk", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["passed"] and payload["model_matches"]
    assert payload["energy"]["activity_matches"]
    assert payload["mapping"] == {"tiles": "16x24x16", "order": "nmk"}
    assert payload["dram_read_bytes"] == payload["model_dram_read_bytes"] > 0
    assert payload["dram_write_bytes"] == payload["model_dram_write_bytes"] == 40 * 40 * 4
    assert payload["stall_cycles"] == payload["model_stall_cycles"]
    assert payload["dram"] == {"bandwidth": 2, "latency": 40}
    refused = runner.invoke(app, ["simulate", "accel", "--gemm", "64x64x64", "--tiles",
                                  "64x8x64"])
    assert refused.exit_code == 2 and "C tile" in refused.output
    other = runner.invoke(app, ["simulate", "systolic", "--bandwidth", "4"])
    assert other.exit_code == 2 and "`--bandwidth` does not apply" in other.output


@pytest.mark.slow
def test_axi_protocol_against_cocotbext_axi_ram():
    """The bare design's AXI4 master against an independent slave model with random
    pauses on every channel (the DRAM model of the system never pauses address or
    response channels)."""
    params = AccelParams(rows=4, cols=4, bus_bytes=8, spad_kib=4, acc_kib=4, max_burst=4,
                         outstanding=3)
    cases = [(13, 21, 19, "8x8x8", "mnk", 8, 2), (16, 16, 16, "16x16x16", "nmk", 8, 2),
             (8, 4, 8, "16x4x64", "mnk", 8, 2)]   # the last one is refused (C tile)
    jobs = _jobs(params, cases)
    run = simulate(emit(params), "sim.accel.axi_conformance", jobs)
    assert [r.passed for r in run.results] == [True] * 3
    assert [j["expect_error"] for j in jobs] == [False, False, True]


def test_the_harness_reports_what_the_cocotb_clocked_testbench_does():
    """The in-simulator harness (the family's path) against the cocotb-clocked testbench
    (``sim.runner.simulate`` of the family's testbench) on the default design: the same
    record for a job that runs, one with a wrong expected word, one the hardware refuses
    and one that cannot finish in its cycle limit."""
    params, cases = DESIGNS["default"]
    jobs = _jobs(params, [cases[1], cases[3], cases[10], cases[1]])
    words = jobs[1]["expected"].split("\n")
    index = next(i for i, line in enumerate(words) if line and not line.startswith(("@", "//")))
    words[index] = format(int(words[index], 16) ^ 1, f"0{len(words[index])}x")
    jobs[1] = {**jobs[1], "expected": "\n".join(words)}
    jobs[3] = {**jobs[3], "max_cycles": 200}
    artifact = emit_system(params)
    harness = run_jobs(SIMULATION, artifact, jobs)
    reference = simulate(artifact, SIMULATION.testbench, jobs)
    assert harness.build_dir != reference.build_dir
    assert [r.passed for r in harness.results] == [True, False, True, False]
    assert harness.results[1].mismatches == 1
    assert [(r.passed, r.mismatches, r.cycles, r.counters) for r in harness.results] == [
        (r.passed, r.mismatches, r.cycles, r.counters) for r in reference.results]
