"""The PIM controller with the DRAM-PIM device model in C++ inside the simulator
(``sim.pim.harness``, backend ``cpp``) against the model in Python stepped by cocotb
(backend ``python``): the same jobs give the same records (results, cycles, command
counts), and a controller that breaks the device's timing gets the same message from both.

Small designs (two channels of four banks) keep the six Verilator builds short; the
designs are those of ``test_pim_rtl.py``, whose C++-backend builds are shared.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from flows.verilog import emit
from hw.pim import PimParams
from sim.pim.harness import simulate
from sim.pim.jobs import gemv_job
from sim.runner import SimResult
from tests.shared_fixture import once_per_run

pytestmark = pytest.mark.sim

ALL_BANK = PimParams(pim_mode="all-bank")
PER_BANK = PimParams(pim_mode="per-bank")
HOST = PimParams(pim_mode="none", timing="ddr4", refresh="postponed", scheduler="fcfs")

#: (m, k, seed, values) per design; the last job of the PIM designs runs past tREFI.
SHAPES = {
    ALL_BANK: [(13, 37, 0, "random"), (64, 64, 1, "extreme"), (512, 768, 2, "random")],
    PER_BANK: [(100, 500, 3, "random"), (1, 5, 4, "extreme"), (256, 768, 5, "random")],
    HOST: [(13, 37, 6, "random"), (64, 256, 7, "extreme")],
}

#: A fault per case: the device is told a stricter DRAM than the controller was built for
#: (one timing longer, or fewer rows, columns or banks), or the job a shorter cycle limit,
#: and the rule it must name.
FAULTS: list[tuple[PimParams, tuple[int, int], dict[str, Any], str]] = [
    (ALL_BANK, (16, 64), {"timing": {"rcd": 1}}, "tRCD: 14 < 15 cycles since ACT"),
    (ALL_BANK, (16, 64), {"timing": {"ccd": 1}}, "tCCD: 2 < 3 cycles"),
    (ALL_BANK, (8, 64), {"timing": {"ras": 1}}, "tRAS: 34 < 35 cycles since ACT"),
    (ALL_BANK, (16, 768), {"timing": {"rtp": 1}}, "tRTP: 6 < 7 cycles since the last read"),
    (ALL_BANK, (64, 256), {"timing": {"rp": 1}}, "tRP: 14 < 15 cycles since PRE"),
    (ALL_BANK, (512, 768), {"timing": {"rfc": 1}}, "tRFC: 260 < 261 cycles since REF"),
    (ALL_BANK, (512, 768), {"timing": {"refi": -3800}}, "no REF for 901 cycles"),
    (ALL_BANK, (64, 256), {"rows": 1}, "row 1 out of range"),
    (ALL_BANK, (16, 256), {"columns": 8}, "column 8 out of range"),
    (PER_BANK, (64, 64), {"timing": {"rrd": 1}}, "tRRD: 6 < 7 cycles since the last ACT"),
    (PER_BANK, (256, 768), {"timing": {"faw": 970}},
     "tFAW: a fifth ACT within 1000 cycles"),
    (PER_BANK, (64, 64), {"banks": 2}, "bank 2 does not exist"),
    (ALL_BANK, (512, 768), {"max_cycles": 500}, "results missing after 501 cycles"),
]


def _stricter(job: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    faulty = copy.deepcopy(job)
    for key, value in change.items():
        if key == "timing":
            for name, more in value.items():
                faulty["design"]["timing"][name] += more
        elif key == "max_cycles":
            faulty[key] = value
        else:
            faulty["design"][key] = value
    faulty["meta"]["fault"] = repr(change)
    return faulty


def _jobs(params: PimParams) -> list[dict[str, Any]]:
    jobs = [gemv_job(params, m, k, seed=seed, values=values)
            for m, k, seed, values in SHAPES[params]]
    jobs += [_stricter(gemv_job(params, m, k, seed=9), change)
             for design, (m, k), change, _ in FAULTS if design == params]
    return jobs


def _runs() -> dict[tuple[PimParams, str], tuple[SimResult, ...]]:
    return {(params, backend): simulate(emit(params), _jobs(params), backend=backend,
                                        timeout=1200).results
            for params in SHAPES for backend in ("cpp", "python")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[tuple[PimParams, str], tuple[SimResult, ...]]:
    # six builds and every job: once per test run, not once per xdist worker
    return once_per_run(tmp_path_factory, "pim_backends_runs", _runs)


@pytest.mark.parametrize("params", list(SHAPES), ids=lambda p: p.pim_mode)
def test_both_backends_give_the_same_records(runs, params):
    cpp, python = runs[params, "cpp"], runs[params, "python"]
    assert [dataclasses.asdict(r) for r in cpp] == [dataclasses.asdict(r) for r in python]
    good = cpp[:len(SHAPES[params])]
    assert all(r.passed for r in good), [r.job["error"] for r in good]
    if params.pim_mode != "none":  # the longest job refreshes while it runs
        assert good[-1].counters.get("cmd_ref", 0) > 0


@pytest.mark.parametrize(("params", "shape", "change", "rule"), FAULTS,
                         ids=[f"{p.pim_mode}-{rule.split(':')[0]}" for p, _, _, rule in FAULTS])
def test_both_backends_name_the_same_violation(runs, params, shape, change, rule):
    index = len(SHAPES[params]) + [f for f in FAULTS if f[0] == params].index(
        (params, shape, change, rule))
    cpp, python = runs[params, "cpp"][index], runs[params, "python"][index]
    assert cpp.job["fault"] == repr(change)
    assert not cpp.passed
    assert cpp.job["error"] == python.job["error"]
    assert rule in cpp.job["error"], cpp.job["error"]
    assert dataclasses.asdict(cpp) == dataclasses.asdict(python)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match=r"^`backend` must be one of cpp, python, not 'verilog'$"):
        simulate(emit(ALL_BANK), [], backend="verilog")
