"""The systolic array in Verilator: bit-exact against the golden model, and the analytic
cycle model equal to the RTL's cycles on every job with a free-flowing stream."""

from __future__ import annotations

import numpy as np
import pytest

from dse.models.systolic import cycles
from dse.workload import Gemm
from flows.verilog import emit
from hw.systolic import SystolicParams
from sim.families import sim_family
from sim.runner import simulate
from sim.systolic.jobs import gemm_job

pytestmark = pytest.mark.sim


def jobs_for(params: SystolicParams) -> list[dict]:
    r, c = params.rows, params.cols
    shapes = {
        (1, 1, 1), (r, r, c), (2 * r, 3, 2 * c), (r + 1, 2 * r + 1, c + 1),  # ragged
        (1, 2 * r + 3, c), (3 * r - 1, 1, 1), (r - 1 or 1, r + 2, 2 * c - 1),
        (5, r - 1 or 1, 3), (17, 33, 9),
    }
    if params.dataflow == "ws":
        depth = params.acc_depth or 1
        shapes |= {(depth + 3, r + 1, c), (2 * depth, 2 * r, 1)}  # several M blocks
    jobs = [gemm_job(params, m, k, n, seed=seed) for seed, (m, k, n) in enumerate(sorted(shapes))]
    for values in ("extreme", "min", "max"):
        jobs.append(gemm_job(params, 2 * r + 1, 3 * r + 2, c + 2, seed=100, values=values))
    # back-pressure on both streams
    jobs.append(gemm_job(params, 2 * r + 3, r + 5, 2 * c + 1, seed=7, gap_probability=0.35))
    return jobs


DESIGNS = [
    SystolicParams(rows=2, cols=2, dataflow="os"),
    SystolicParams(rows=2, cols=2, dataflow="ws"),
    SystolicParams(rows=4, cols=4, dataflow="os", signed=False),
    SystolicParams(rows=4, cols=4, dataflow="ws", acc_depth=5),
    SystolicParams(rows=3, cols=5, dataflow="os", input_width=16, acc_width=40),
    SystolicParams(rows=5, cols=3, dataflow="ws", input_width=3, acc_width=8, acc_depth=4),
    SystolicParams(rows=8, cols=8, dataflow="os"),
    SystolicParams(rows=8, cols=8, dataflow="ws", signed=False, acc_width=20),
    SystolicParams(rows=1, cols=4, dataflow="ws", acc_depth=1),
    SystolicParams(rows=4, cols=1, dataflow="os", input_width=2, acc_width=4),
]


@pytest.mark.parametrize("params", DESIGNS, ids=lambda p: (
    f"{p.rows}x{p.cols}-{p.dataflow}-{'s' if p.signed else 'u'}{p.input_width}"))
def test_bit_exact_and_model_equals_rtl(params: SystolicParams) -> None:
    jobs = jobs_for(params)
    run = simulate(emit(params), sim_family(params.generator).testbench, jobs)
    assert len(run.results) == len(jobs)
    for result in run.results:
        job = result.job
        assert result.passed, f"mismatch on {job}: {result.mismatches} wrong outputs"
        model = cycles(params, Gemm(job["m"], job["k"], job["n"]))
        assert result.counters["operand_beats"] == model.operand_beats
        assert result.counters["result_beats"] == model.result_beats
        if job.get("gap_probability"):
            assert result.cycles >= model.cycles  # stalls only add cycles
        else:
            assert result.cycles == model.cycles, f"model off on {job}"


@pytest.mark.slow
@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_64_cubed_on_8x8_in_rtl(dataflow: str) -> None:
    params = SystolicParams(rows=8, cols=8, dataflow=dataflow)
    job = gemm_job(params, 64, 64, 64, seed=3)
    (result,) = simulate(emit(params), sim_family(params.generator).testbench, [job]).results
    assert result.passed
    assert result.cycles == cycles(params, Gemm(64, 64, 64)).cycles
    assert 4096 / result.cycles >= 0.9


RANDOM_DESIGNS = [
    SystolicParams(rows=3, cols=5, dataflow="os"),
    SystolicParams(rows=5, cols=3, dataflow="ws", acc_depth=3),
    SystolicParams(rows=8, cols=8, dataflow="ws", acc_depth=16, input_width=16, acc_width=48),
    SystolicParams(rows=6, cols=4, dataflow="os", signed=False, input_width=12, acc_width=30),
]


@pytest.mark.slow
@pytest.mark.parametrize("params", RANDOM_DESIGNS, ids=lambda p: f"{p.rows}x{p.cols}-{p.dataflow}")
def test_model_equals_rtl_on_random_shapes(params: SystolicParams) -> None:
    rng = np.random.default_rng(params.rows * 100 + params.cols)
    shapes = [tuple(int(x) for x in rng.integers(1, 40, size=3)) for _ in range(40)]
    jobs = [gemm_job(params, m, k, n, seed=i, values=("random", "extreme")[i % 2])
            for i, (m, k, n) in enumerate(shapes)]
    run = simulate(emit(params), sim_family(params.generator).testbench, jobs)
    for result in run.results:
        job = result.job
        assert result.passed, job
        assert result.cycles == cycles(params, Gemm(job["m"], job["k"], job["n"])).cycles, job
