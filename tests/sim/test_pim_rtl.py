"""The PIM controller in Verilator against the behavioural DRAM-PIM device: every result
bit-exact, no timing violation, and the analytic cycle model close to the RTL. The device
runs as the family's runs use it, in C++ inside the simulator (``sim.pim.harness``);
``test_pim_backends.py`` shows the Python device model gives the same records."""

from __future__ import annotations

import copy

import pytest

from dse.models.pim import cycles, energy, energy_from_counters
from dse.workload import Gemm
from flows.verilog import emit
from hw.pim import PimParams
from sim.pim.harness import simulate
from sim.pim.jobs import gemv_job

pytestmark = pytest.mark.sim

#: Every knob value appears at least once.
DESIGNS = [
    PimParams(pim_mode="all-bank"),
    PimParams(pim_mode="all-bank", interleave="block", page_policy="open", channels=1,
              banks=8),
    PimParams(pim_mode="per-bank"),
    PimParams(pim_mode="per-bank", scheduler="fcfs"),
    PimParams(pim_mode="per-bank", interleave="block", queue_depth=4),
    # block interleave over several channels and banks with FCFS: banks whose remaining
    # rows do not exist are skipped (13 rows over 8 banks of 2)
    PimParams(pim_mode="none", interleave="block", channels=2, banks=4, scheduler="fcfs",
              queue_depth=3, page_policy="closed"),
    PimParams(pim_mode="none"),
    PimParams(pim_mode="none", timing="ddr4", refresh="postponed", scheduler="fcfs"),
    PimParams(pim_mode="per-bank", page_policy="open", queue_depth=32, lanes=8),
]
SHAPES = [(13, 37), (64, 64), (256, 768), (100, 500), (1, 5)]
#: The model's bound on jobs of 1,000 cycles or more is 2%, except a known miss: per-bank,
#: open page with a deep FR-FCFS queue overlaps row switches with other banks' work more
#: than the model credits (+10.7% on 100x500; README, "PIM controller").
KNOWN_MISS = {DESIGNS[8]: 0.12}


def _refresh_cost(params: PimParams) -> int:
    t = params.timing_values
    return t.rtp + t.rp + t.rfc + t.rcd


@pytest.mark.parametrize("params", DESIGNS, ids=lambda p: (
    f"{p.pim_mode}-{p.interleave}-{p.page_policy}-{p.scheduler}-q{p.queue_depth}-{p.timing}"))
def test_bit_exact_without_timing_violations_and_model_close(params: PimParams) -> None:
    jobs = [gemv_job(params, m, k, seed=i, values="extreme" if i == 4 else "random")
            for i, (m, k) in enumerate(SHAPES)]
    run = simulate(emit(params), jobs, timeout=1200)
    for result in run.results:
        job = result.job
        assert result.passed, f"{job}: {job['error'] or result.mismatches}"
        model = cycles(params, Gemm(job["m"], job["k"], 1))
        # column commands are exact; a refresh closes rows that then open again
        for kind in ("mac", "rd", "rdres"):
            assert result.counters.get(f"bank_{kind}", 0) == \
                model.bank_operations[kind.upper()], (kind, job)
        extra_acts = result.counters.get("bank_act", 0) - model.bank_operations["ACT"]
        assert 0 <= extra_acts <= result.counters.get("bank_ref", 0), job
        error = abs(model.cycles - result.cycles)
        if result.cycles >= 1000:
            # within 2%, or one refresh placed on the other side of the job's end
            bound = KNOWN_MISS.get(params, 0.02) * result.cycles
            assert error <= bound or abs(error - _refresh_cost(params)) <= bound, (
                job, result.cycles, model.cycles)
        else:
            assert error <= 0.12 * result.cycles, (job, result.cycles, model.cycles)
        measured = energy_from_counters(params, {**result.counters, "cycles": result.cycles},
                                        job["macs"])
        assert measured.activity == energy(params, Gemm(job["m"], job["k"], 1)).activity


def test_the_device_fails_a_controller_built_for_faster_dram():
    """The device is not a rubber stamp: told that tRCD is one cycle longer than the
    controller was built for, it fails the run and names the rule."""
    params = DESIGNS[0]
    job = gemv_job(params, 16, 64, seed=1)
    slower = copy.deepcopy(job)
    slower["design"]["timing"]["rcd"] += 1
    run = simulate(emit(params), [job, slower])
    good, bad = run.results
    assert good.passed
    assert not bad.passed
    assert "tRCD" in bad.job["error"] and "MAC" in bad.job["error"]


def test_pim_is_faster_than_the_host_reading_every_weight():
    host, pim = DESIGNS[5], DESIGNS[0]
    jobs = {p.pim_mode: gemv_job(p, 256, 768, seed=2) for p in (host, pim)}
    host_cycles = simulate(emit(host), [jobs["none"]]).results[0].cycles
    pim_cycles = simulate(emit(pim), [jobs["all-bank"]]).results[0].cycles
    assert host_cycles > 3 * pim_cycles  # 4 banks per channel work at once
