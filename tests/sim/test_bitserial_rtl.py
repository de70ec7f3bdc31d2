"""The bit-serial array in Verilator: bit-exact against the golden model at every precision
from 1 to ``max_bits``, signed and unsigned, with extreme values, per-group precision and
scales, and back-pressure; the analytic cycle and activity models equal the RTL's counts.
Each design is built once, instrumented with activity counters."""

from __future__ import annotations

import pytest

from dse.models.bitserial import ACTIVITY_EVENTS, activity, cycles, energy, energy_from_counters
from dse.verify import verify_gemm
from dse.workload import Gemm
from hw.bitserial import BitSerialParams
from sim.activity import emit_instrumented
from sim.bitserial.jobs import gemm_job
from sim.families import sim_family
from sim.runner import simulate

pytestmark = pytest.mark.sim


def jobs_for(params: BitSerialParams) -> list[dict]:
    r, c, lanes = params.rows, params.cols, params.lanes
    shapes = [(r, lanes, c), (2 * r + 1, 2 * lanes + 1, c + 1), (1, 3 * lanes - 1, 2 * c + 1),
              (3, 1, 1)]
    jobs = []
    for bits in range(1, params.max_bits + 1):  # every precision, on a shape each
        m, k, n = shapes[bits % len(shapes)]
        jobs.append(gemm_job(params, m, k, n, seed=bits, bits=bits))
    for bits in sorted({1, 2, params.max_bits}):
        for values in ("extreme", "min", "max"):
            jobs.append(gemm_job(params, r + 1, 2 * lanes + 3, c + 1, seed=50 + bits,
                                 values=values, bits=bits))
    # per-group precision (BitMoD-style mixed groups) and groups not a multiple of lanes
    mixed = tuple(sorted({1, params.max_bits, max(1, params.max_bits // 2)}))
    jobs.append(gemm_job(params, 2 * r, 5 * lanes + 2, c + 2, seed=70, bits=mixed,
                         group_size=lanes + 1))
    jobs.append(gemm_job(params, r, 4 * lanes, c, seed=71, bits=params.max_bits,
                         group_size=lanes, values="extreme"))
    jobs.append(gemm_job(params, 2 * r + 1, 3 * lanes, 2 * c, seed=72, gap_probability=0.3,
                         bits=mixed, group_size=lanes))
    return jobs


DESIGNS = [
    BitSerialParams(rows=2, cols=3, lanes=4, max_bits=4, parallel_width=4, acc_width=16),
    BitSerialParams(rows=3, cols=2, lanes=3, max_bits=4, parallel_width=4, acc_width=12,
                    serial="activations", signed=False, scale_width=3),
    BitSerialParams(rows=4, cols=4, lanes=8, max_bits=8, parallel_width=8, scale_width=8),
    BitSerialParams(rows=1, cols=1, lanes=1, max_bits=16, parallel_width=16, acc_width=40,
                    scale_width=2),
    BitSerialParams(rows=2, cols=2, lanes=16, max_bits=8, parallel_width=8, acc_width=16,
                    serial="activations", scale_width=5),
    BitSerialParams(rows=3, cols=1, lanes=2, max_bits=2, parallel_width=2, acc_width=4,
                    signed=False),
]


def _gemm(job: dict) -> Gemm:
    bits = job["bits"]
    return Gemm(job["m"], job["k"], job["n"], bits=tuple(bits) if isinstance(bits, list)
                else bits, group_size=job["group_size"])


@pytest.mark.parametrize("params", DESIGNS, ids=lambda p: (
    f"{p.rows}x{p.cols}x{p.lanes}-{p.serial[0]}-{'s' if p.signed else 'u'}{p.max_bits}"
    f"-s{p.scale_width}"))
def test_bit_exact_and_models_equal_rtl(params: BitSerialParams) -> None:
    jobs = jobs_for(params)
    run = simulate(emit_instrumented(params), sim_family(params.generator).testbench, jobs)
    assert len(run.results) == len(jobs)
    for result in run.results:
        job = result.job
        gemm = _gemm(job)
        assert result.passed, f"mismatch on {job}: {result.mismatches} wrong outputs"
        model = cycles(params, gemm)
        assert result.counters["operand_beats"] == model.operand_beats
        assert result.counters["result_beats"] == model.result_beats
        if job["gap_probability"]:
            assert result.cycles >= model.cycles
        else:
            assert result.cycles == model.cycles, f"model off on {job}"
        measured = {name: result.counters[name] for name in ACTIVITY_EVENTS}
        assert measured == activity(params, gemm).to_dict(), job
        assert energy_from_counters(params, result.counters, gemm.macs) == energy(params, gemm)


def test_lower_precision_is_faster_on_one_design():
    params = DESIGNS[2]
    payloads = [verify_gemm(params, Gemm(8, 32, 8, bits=bits), seed=bits).to_json()
                for bits in (8, 4, 2, 1)]
    assert all(p["passed"] and p["model_matches"] and p["energy"]["activity_matches"]
               for p in payloads)
    measured = [p["cycles"] for p in payloads]
    assert measured == sorted(measured, reverse=True) and measured[0] > 3 * measured[-1]
