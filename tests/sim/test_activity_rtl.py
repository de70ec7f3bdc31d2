"""Activity counters in Verilator: the instrumented design stays bit-exact and cycle-exact,
and counts exactly the events the analytic model predicts (which the energy model prices)."""

from __future__ import annotations

import re

import pytest

from dse.models.systolic import ACTIVITY_EVENTS, activity, cycles, energy, energy_from_counters
from dse.verify import verify_gemm
from dse.workload import Gemm
from flows.verilog import emit
from hw.systolic import SystolicParams
from sim.activity import emit_instrumented
from sim.families import sim_family
from sim.runner import simulate
from tests.sim.test_systolic_rtl import jobs_for

pytestmark = pytest.mark.sim

# OS and WS, signed and unsigned, narrow and wide, several accumulator blocks, sides 1..8,
# few PEs (a build each, CI time); the 4x4 WS design is the one the CLI test simulates, so
# their instrumented build is shared.
DESIGNS = [
    SystolicParams(rows=4, cols=4, dataflow="ws"),
    SystolicParams(rows=8, cols=2, dataflow="os", signed=False),
    SystolicParams(rows=3, cols=5, dataflow="os", input_width=16, acc_width=40),
    SystolicParams(rows=5, cols=3, dataflow="ws", input_width=3, acc_width=8, acc_depth=4),
    SystolicParams(rows=1, cols=8, dataflow="ws", acc_depth=1),
]


def test_instrumented_design_keeps_the_ports_and_hashes_differently():
    params = DESIGNS[0]
    plain, instrumented = emit(params), emit_instrumented(params)
    assert instrumented.top == plain.top
    assert instrumented.content_hash != plain.content_hash
    assert instrumented.variant == "activity" and plain.variant == ""
    assert instrumented.counters == {name: f"activity__{name}" for name in ACTIVITY_EVENTS}
    assert instrumented.manifest()["counters"] == instrumented.counters
    assert "counters" not in plain.manifest()

    def ports(text: str) -> set[str]:
        header = re.search(rf"^module {plain.top}\((.*?)\);", text, re.M | re.S)
        assert header is not None
        return {name.strip() for name in header.group(1).split(",")}

    assert ports(instrumented.text) == ports(plain.text) | set(instrumented.counters.values())


@pytest.mark.parametrize("params", DESIGNS, ids=lambda p: (
    f"{p.rows}x{p.cols}-{p.dataflow}-{'s' if p.signed else 'u'}{p.input_width}"))
def test_model_activity_equals_rtl_counters(params: SystolicParams) -> None:
    jobs = jobs_for(params)  # includes a job with back-pressure on both streams
    run = simulate(emit_instrumented(params), sim_family(params.generator).testbench, jobs)
    for result in run.results:
        job = result.job
        gemm = Gemm(job["m"], job["k"], job["n"])
        assert result.passed, f"mismatch on {job}: {result.mismatches} wrong outputs"
        if not job["gap_probability"]:
            assert result.cycles == cycles(params, gemm).cycles, job
        # events do not depend on stalls, so the counts hold under back-pressure too
        measured = {name: result.counters[name] for name in ACTIVITY_EVENTS}
        assert measured == activity(params, gemm).to_dict(), job
        assert energy_from_counters(params, result.counters, gemm.macs) == energy(params, gemm)


def test_verify_reports_model_and_rtl_energy():
    params, gemm = DESIGNS[0], Gemm(17, 33, 9)
    payload = verify_gemm(params, gemm, seed=1).to_json()
    assert payload["passed"] and payload["model_matches"]
    report = payload["energy"]
    assert report["activity_matches"] is True
    assert report["rtl"] == report["model"]
    expected = energy(params, gemm)
    assert report["model"]["total_pj"] == pytest.approx(expected.total_pj)
    assert report["model"]["components_pj"] == pytest.approx(expected.components())
    assert report["model"]["table"] == "horowitz-45nm"
    assert payload["counters"]["pe_macs"] == activity(params, gemm).pe_macs
