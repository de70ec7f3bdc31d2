"""The Verilator runner: build cache, wall-clock timeout, failure reporting."""

from __future__ import annotations

import dataclasses
import os
import time

import pytest

from flows.verilog import emit
from hw.systolic import SystolicParams
from sim import runner
from sim.runner import SimulationError, build, build_key, simulate
from sim.systolic.jobs import gemm_job

pytestmark = pytest.mark.sim

PARAMS = SystolicParams(rows=2, cols=3, dataflow="os")
TESTBENCH = "sim.stream_testbench"
JOB = gemm_job(PARAMS, 3, 4, 5, seed=1)


def test_second_run_reuses_the_build():
    artifact = emit(PARAMS)
    first = simulate(artifact, TESTBENCH, [JOB])
    second = simulate(artifact, TESTBENCH, [JOB])
    assert second.build_cached and second.build_seconds == 0.0
    assert first.build_dir == second.build_dir
    assert first.results[0].cycles == second.results[0].cycles
    assert second.passed


def test_build_key_depends_on_the_cocotb_installation(monkeypatch):
    """A build links cocotb's libraries by absolute path: another environment (a recreated
    .venv, a second clone) must not reuse it."""
    import sim.runner as runner

    artifact = emit(SystolicParams(rows=2, cols=3))
    here = build_key(artifact)
    monkeypatch.setattr(runner, "cocotb_libs", lambda: "/elsewhere/cocotb/libs")
    assert build_key(artifact) != here


def test_build_key_depends_on_verilog_only_through_its_text():
    a = emit(PARAMS)
    b = dataclasses.replace(a, content_hash="something else")
    assert build_key(a) == build_key(b)
    assert build_key(a) != build_key(emit(SystolicParams(rows=2, cols=4)))


def test_wall_clock_timeout_kills_the_simulator(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    artifact = emit(PARAMS)
    build(artifact)
    # 6 M beats with gaps, some 60 M cycles: seconds even in the stream harness, where the
    # 150,000 cycles this test used to run take a tenth of a second
    huge = gemm_job(PARAMS, 600, 20_000, 3, seed=1, gap_probability=0.9)
    start = time.monotonic()
    with pytest.raises(SimulationError, match="timed out after 2 s"):
        simulate(artifact, TESTBENCH, [huge], timeout=1.5)
    assert time.monotonic() - start < 30


def test_broken_verilog_reports_the_log_tail(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    broken = dataclasses.replace(emit(PARAMS), text="module systolic(input clk); syntax error",
                                 verilog_sha256="broken")
    with pytest.raises(SimulationError, match="Verilator build of systolic failed") as error:
        build(broken)
    assert "syntax" in error.value.log_tail.lower() or "error" in error.value.log_tail.lower()
    assert not any(p.name == build_key(broken) for p in (tmp_path / "sim").iterdir())


def test_missing_verilator_is_a_typed_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HWDSE_VERILATOR_ROOT", str(tmp_path))
    with pytest.raises(runner.ToolNotFoundError, match="no bin/verilator under"):
        runner.verilator_root()
    assert os.environ["HWDSE_VERILATOR_ROOT"] == str(tmp_path)


def test_checker_catches_a_wrong_result_beat():
    wrong = dict(JOB, expected=list(JOB["expected"]))
    wrong["expected"][2] = format(int(wrong["expected"][2], 16) ^ 1, "x")
    run = simulate(emit(PARAMS), TESTBENCH, [JOB, wrong])
    assert run.results[0].passed
    assert not run.results[1].passed and run.results[1].mismatches == 1
    assert not run.passed
