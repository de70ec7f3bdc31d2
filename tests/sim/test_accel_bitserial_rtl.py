"""accel-v1 with the bit-serial core in Verilator: every job bit-exact in DRAM (C at
accumulator width against ``sim.bitserial``'s golden model, nothing else touched), and the
RTL's cycles, DRAM bytes, SRAM accesses, stall cycles and core activity equal to the
model's (tolerance 0), across precisions from 1 bit to ``max_bits``, both serial operands,
signed and unsigned, ragged shapes, tiles that only just fit, bandwidths from 1 byte per
cycle to more than the bus, and refused jobs (a precision the core does not run, a tile
that breaks a rule). One build per design runs all its jobs (the mapping, the precision and
the DRAM are run-time inputs)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dse.models.accel import AccelBitSerialActivity, cycles
from dse.workload import Gemm
from flows.cli import app
from hw.accel import AccelParams
from sim.accel import SIMULATION
from sim.accel.jobs import gemm_job
from sim.accel.system import emit_system
from sim.runner import run_jobs, simulate

pytestmark = pytest.mark.sim

#: (M, K, N, tiles or None for the default mapping, order, bandwidth, latency, bits)
SMALL_CASES = [
    (8, 16, 8, "8x8x8", "mnk", 8, 5, 3),
    (5, 13, 9, None, None, 8, 5, 8),              # default mapping, K ragged in a chunk
    (20, 30, 17, "8x16x8", "nmk", 2, 3, 1),       # one bit: the sign plane only
    (3, 3, 3, None, None, 16, 40, 2),             # more bandwidth than the bus takes
    (16, 64, 16, "16x64x16", "mnk", 1, 20, 5),    # starved; A and B tiles just fit 1 KiB
    (9, 40, 4, "2x4x4", "mnk", 8, 2, 1),          # one-beat core tiles: the core holds last
    (16, 8, 32, "16x8x32", "nmk", 4, 9, 7),       # the C tile just fits its 2 KiB slot
    (8, 8, 8, "8x8x8", "mnk", 8, 2, 9),           # refused: 9 bits on an 8-bit core
    (4, 4, 4, "2x4x4", "mnk", 8, 2, 0),           # refused: 0 bits
    (8, 12, 8, "8x6x8", "mnk", 8, 2, 4),          # refused: TK not a multiple of lanes
    (8, 40, 8, "32x40x8", "mnk", 8, 2, 4),        # refused: A tile 1280 bytes
]

DESIGNS = {
    # weights serial, signed int8, 4 lanes, a 2 x 4 core
    "small": (AccelParams(core="bitserial", rows=2, cols=4, lanes=4, max_bits=8,
                          spad_kib=4, acc_kib=4), SMALL_CASES),
    # activations serial, unsigned 16-bit elements, 2 lanes, a wide bus, short bursts
    "activations": (AccelParams(core="bitserial", rows=4, cols=2, lanes=2, max_bits=12,
                                serial="activations", signed=False, input_width=16,
                                bus_bytes=16, spad_kib=8, acc_kib=4, max_burst=4,
                                outstanding=2),
                    [(17, 9, 23, None, None, 16, 10, 12), (40, 33, 16, "16x16x8", "nmk", 1, 3, 3),
                     (16, 24, 32, "16x8x16", "mnk", 64, 25, 1),
                     (31, 64, 8, "32x32x8", "mnk", 4, 60, 7),   # the A tile just fits
                     (8, 8, 8, "8x8x8", "mnk", 16, 2, 13)]),    # refused: 13 bits
    # one lane (one element of K per beat), 16-bit sums that wrap, one burst in flight
    "narrow": (AccelParams(core="bitserial", rows=4, cols=4, lanes=1, acc_width=16,
                           bus_bytes=4, spad_kib=4, acc_kib=4, max_burst=8, outstanding=1),
               [(9, 17, 7, None, None, 4, 20, 8), (12, 40, 12, "4x16x8", "nmk", 1, 2, 4),
                (5, 5, 30, "8x5x16", "mnk", 2, 100, 2)]),
}


def _jobs(params, cases):
    return [gemm_job(params, m, k, n, mapping=tiles, order=order, bandwidth=bandwidth,
                     latency=latency, bits=bits, seed=seed,
                     values=("random", "extreme", "min", "max")[seed % 4])
            for seed, (m, k, n, tiles, order, bandwidth, latency, bits) in enumerate(cases)]


@pytest.fixture(scope="module", params=[
    pytest.param(name, id=name, marks=() if name != "narrow" else pytest.mark.slow)
    for name in DESIGNS])
def design_run(request):
    params, cases = DESIGNS[request.param]
    jobs = _jobs(params, cases)
    return params, cases, jobs, run_jobs(SIMULATION, emit_system(params), jobs)


def test_every_job_is_bit_exact_and_equals_the_model(design_run):
    params, cases, jobs, run = design_run
    assert len(run.results) == len(cases)
    for (m, k, n, tiles, order, bandwidth, latency, bits), job, result in zip(
            cases, jobs, run.results, strict=True):
        assert result.passed, (result.job, result.mismatches)
        if job["expect_error"]:
            assert result.counters["cycles"] == 1   # the check cycle only
            assert result.counters["dram_read_bytes"] == 0
            assert result.counters["dram_write_bytes"] == 0
            continue
        report = cycles(params, Gemm(m, k, n, bits=bits), tiles, bandwidth, latency, order)
        assert isinstance(report.activity, AccelBitSerialActivity)
        assert result.job["mapping"] == report.mapping.to_json()
        assert result.job["bits"] == bits
        assert result.cycles == report.cycles, result.job
        assert result.counters["system_cycles"] == result.cycles
        measured = {name: result.counters[name] for name in report.activity.to_dict()}
        assert measured == report.activity.to_dict(), result.job
        assert measured["core_pe_steps"] > 0 and measured["core_scale_words"] == 0


def test_the_cases_refuse_what_they_say():
    refused = [job["meta"]["refused"] for job in _jobs(*DESIGNS["small"])]
    assert [r is not None for r in refused].count(True) == 4
    assert "bits = 9" in refused[7] and "bits = 0" in refused[8]
    assert "K granule" in refused[9] and "A tile" in refused[10]


def test_simulate_cli_takes_the_precision():
    """On the small design, whose build the tests above cached: ``--bits`` reaches the job
    through the family's run-time precision, and the JSON reports the traffic."""
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "accel", "-p", "core=bitserial", "-p", "rows=2",
                                 "-p", "cols=4", "-p", "lanes=4", "-p", "max_bits=8", "-p",
                                 "spad_kib=4", "-p", "acc_kib=4", "--gemm", "20x30x17",
                                 "--bits", "3", "--bandwidth", "2", "--latency", "10",
                                 "--tiles", "8x16x8", "--order", "nmk", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["passed"] and payload["model_matches"]
    assert payload["energy"]["activity_matches"]
    assert payload["gemm"]["bits"] == 3
    assert payload["counters"]["core_pe_steps"] > 0
    assert payload["dram_read_bytes"] == payload["model_dram_read_bytes"] > 0
    assert payload["dram_write_bytes"] == payload["model_dram_write_bytes"] == 20 * 20 * 4
    assert payload["stall_cycles"] == payload["model_stall_cycles"]
    too_wide = runner.invoke(app, ["simulate", "accel", "-p", "core=bitserial", "--bits",
                                   "9"])
    assert too_wide.exit_code == 2 and "`bits` must be an integer in 1..8" in too_wide.output
    systolic = runner.invoke(app, ["simulate", "accel", "--bits", "4"])
    assert systolic.exit_code == 2 and "core 'systolic' is bit-parallel" in systolic.output
    per_group = runner.invoke(app, ["simulate", "accel", "-p", "core=bitserial", "--bits",
                                    "2,4"])
    assert per_group.exit_code == 2 and "one integer per accel-v1 job" in per_group.output
    grouped = runner.invoke(app, ["simulate", "accel", "-p", "core=bitserial",
                                  "--group-size", "8"])
    assert grouped.exit_code == 2 and "takes no `group_size`" in grouped.output


@pytest.mark.synth
@pytest.mark.slow
def test_block_rams_are_the_models_count():
    """Yosys maps the bit-serial accelerator's buffers (one word per core beat) to the
    block RAMs the model counts, and no buffer to distributed RAM."""
    from dse.models.accel import memory_cells
    from flows.synth import synthesize

    params = AccelParams(core="bitserial", rows=2, cols=4, lanes=4, spad_kib=8, acc_kib=4)
    result = synthesize(params, "ecp5-85k", place=False)
    cells = memory_cells(params, "ecp5-85k")
    assert result.cells.get("DP16KD", 0) == cells["bram"] > 0
    assert result.cells.get("TRELLIS_DPR16X4", 0) == cells["lutram"] == 0


@pytest.mark.slow
def test_axi_protocol_against_cocotbext_axi_ram():
    """The bare bit-serial design's AXI4 master against an independent slave model with
    random pauses on every channel."""
    from flows.verilog import emit

    params = AccelParams(core="bitserial", rows=2, cols=2, lanes=2, max_bits=6, bus_bytes=8,
                         spad_kib=4, acc_kib=4, max_burst=4, outstanding=3)
    cases = [(13, 21, 19, "8x8x8", "mnk", 8, 2, 6), (16, 16, 16, "16x16x16", "nmk", 8, 2, 2),
             (8, 4, 8, "8x4x8", "mnk", 8, 2, 7)]   # the last one is refused (7 bits)
    jobs = _jobs(params, cases)
    run = simulate(emit(params), "sim.accel.axi_conformance", jobs)
    assert [r.passed for r in run.results] == [True] * 3
    assert [j["expect_error"] for j in jobs] == [False, False, True]
