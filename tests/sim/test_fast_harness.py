"""The stream harness (issue 22): jobs stream through the design inside the simulator, with
seeded gaps, counters and bulk result files; packed job beats equal the driver's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dse.models.systolic import cycles
from dse.workload import Gemm
from flows.verilog import emit
from hw.systolic import SystolicParams
from sim.activity import emit_instrumented
from sim.beats import hex_beats, pack_fields, words_from_ints
from sim.runner import SimulationError, build, simulate
from sim.stream_harness import NotAStreamDesignError, stream_ports
from sim.systolic import driver, golden, jobs

TESTBENCH = "sim.stream_testbench"

PACKED_DESIGNS = [
    SystolicParams(rows=2, cols=3, dataflow="os"),
    SystolicParams(rows=3, cols=5, dataflow="os", input_width=16, acc_width=40),
    SystolicParams(rows=4, cols=1, dataflow="os", input_width=2, acc_width=4, signed=False),
    SystolicParams(rows=4, cols=4, dataflow="ws", acc_depth=5),
    SystolicParams(rows=8, cols=8, dataflow="ws", acc_depth=16, input_width=16, acc_width=48),
]


@pytest.mark.parametrize("params", PACKED_DESIGNS, ids=lambda p: f"{p.rows}x{p.cols}-{p.dataflow}")
@pytest.mark.parametrize("values", ["random", "extreme", "min", "max"])
def test_packed_beats_equal_the_drivers(params: SystolicParams, values: str) -> None:
    for m, k, n in [(1, 1, 1), (5, 7, 3), (17, 33, 9)]:
        a, b = golden.random_operands(params, m, k, n, seed=m + k, values=values)
        job = jobs.operands_job(params, a, b)
        assert job["beats"] == [format(w, "x") for w in driver.encode(params, a, b)]
        assert job["expected"] == [format(w, "x") for w in
                                   driver.encode_results(params, golden.gemm(params, a, b))]
        assert hex_beats(job["operand_words"]) == job["beats"]


def test_large_jobs_carry_packed_words_only() -> None:
    params = SystolicParams(rows=2, cols=2, dataflow="os")
    job = jobs.gemm_job(params, 2, 70_000, 2)
    assert "beats" not in job and job["operand_words"].shape == (70_000, 2)  # 33-bit beats
    assert job["expected_words"].dtype == np.uint32


def test_pack_fields_spans_words_and_wraps_negatives() -> None:
    words = pack_fields(2, 100, [(30, 40, np.array([-1, 5])), (90, 3, np.array([7, 1]))])
    ints = [sum(int(w) << (32 * i) for i, w in enumerate(row)) for row in words]
    assert ints == [((1 << 40) - 1) << 30 | 7 << 90, 5 << 30 | 1 << 90]
    assert (words_from_ints(ints, 100) == words).all()
    with pytest.raises(ValueError, match="does not fit"):
        pack_fields(1, 32, [(0, 33, np.array([0]))])


def test_a_design_without_streams_is_refused() -> None:
    artifact = emit(SystolicParams(rows=2, cols=2))
    broken = dataclasses.replace(artifact, text=artifact.text.replace("results__valid",
                                                                      "results__done"))
    with pytest.raises(NotAStreamDesignError, match="has no port results__valid"):
        stream_ports(broken)


@pytest.mark.sim
def test_only_the_harness_controls_are_public():
    build_dir, _, _ = build(emit_instrumented(SystolicParams(rows=2, cols=3)))
    log = (build_dir / "build.log").read_text()
    assert "--public-flat-rw" not in log and "hwdse_harness.vlt" in log
    control = (build_dir / "hwdse_harness.vlt").read_text()
    assert control.count("public_flat_rw") == 2


@pytest.mark.sim
def test_seeded_gaps_are_repeatable_and_jobs_of_any_size_share_one_build():
    params = SystolicParams(rows=2, cols=3, dataflow="os")
    artifact = emit_instrumented(params)
    gaps = [jobs.gemm_job(params, 7, 9, 8, seed=seed, gap_probability=0.3) for seed in (1, 1, 2)]
    sizes = [jobs.gemm_job(params, m, k, n, seed=3) for m, k, n in [(1, 1, 1), (40, 900, 31)]]
    run = simulate(artifact, TESTBENCH, gaps + sizes)
    assert run.passed
    first, again, other, tiny, big = run.results
    model = cycles(params, Gemm(7, 9, 8)).cycles
    assert first.cycles == again.cycles > model
    assert first.counters == again.counters
    assert first.counters["input_stall_cycles"] > 0 and first.counters["output_stall_cycles"] > 0
    assert (other.cycles, other.counters) != (first.cycles, first.counters)
    for result in (tiny, big):
        gemm = Gemm(result.job["m"], result.job["k"], result.job["n"])
        assert result.cycles == cycles(params, gemm).cycles
        assert result.counters["input_stall_cycles"] == result.counters["output_stall_cycles"] == 0
    assert simulate(artifact, TESTBENCH, [sizes[0]]).build_cached


@pytest.mark.sim
def test_a_hung_job_is_reported_not_waited_for():
    params = SystolicParams(rows=2, cols=3, dataflow="os")
    job = dict(jobs.gemm_job(params, 3, 4, 5, seed=1), max_cycles=5)
    with pytest.raises(SimulationError, match="wrote no results|finished 0 of 1 jobs") as error:
        simulate(emit(params), TESTBENCH, [job])
    assert "results after 5 cycles" in error.value.log_tail


def test_the_rtl_check_goes_to_50m_cycles_and_the_limit_is_an_option() -> None:
    from typer.testing import CliRunner

    from dse.records import DEFAULT_MAX_SIM_CYCLES, CheckOptions
    from flows.cli import app

    assert CheckOptions().max_sim_cycles == DEFAULT_MAX_SIM_CYCLES == 50_000_000
    for command in ("explore", "run"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "--max-sim-cycles" in result.output
