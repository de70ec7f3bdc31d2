"""Reliability of the Verilator runner (issue 15): a killed hwdse leaves no build running,
abandoned staging and scratch folders are reclaimed, simultaneous builds of one design
compile once, and the build time limit bounds the wait for another process's build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flows.tools import entry_lock, owned_directory
from flows.verilog import emit
from hw.systolic import SystolicParams
from sim.runner import SimulationError, build, build_key, simulate
from sim.systolic.jobs import gemm_job
from tests.processes import run_at_once

pytestmark = pytest.mark.sim

ROOT = Path(__file__).resolve().parents[2]
PARAMS = SystolicParams(rows=2, cols=2)
TESTBENCH = "sim.stream_testbench"


def _working_in(folder: Path) -> dict[int, str]:
    """Processes whose working directory is inside ``folder``, with their command lines."""
    inside = str(folder.resolve()) + os.sep
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if (cwd + os.sep).startswith(inside):
            found[int(entry.name)] = command
    return found


def _compiling(folder: Path) -> bool:
    programs = {Path(command.split()[0]).name for command in _working_in(folder).values()
                if command.strip()}
    return bool(programs & {"make", "c++", "g++", "cc1plus"})


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_killed_simulate_leaves_no_build_running(tmp_path, signal_number):
    cache = tmp_path / "cache"
    env = dict(os.environ, HWDSE_CACHE=str(cache))
    hwdse = subprocess.Popen([str(Path(sys.executable).parent / "hwdse"), "simulate",
                              "systolic", "-p", "rows=8", "-p", "cols=8", "--gemm", "8x8x8"],
                             env=env, cwd=tmp_path, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # under way: the C++ compile of the model (verilation before it takes a moment
        # and starts nothing once the worker is gone; make and the compiler run for long)
        deadline = time.monotonic() + 180
        while not _compiling(cache):
            assert hwdse.poll() is None, "hwdse ended before its build was under way"
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.05)
        os.kill(hwdse.pid, signal_number)  # hwdse only, not its process group
        hwdse.wait()
        deadline = time.monotonic() + 10
        while _working_in(cache) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _working_in(cache) == {}
    finally:
        if hwdse.poll() is None:
            hwdse.kill()
            hwdse.wait()
        for pid in _working_in(cache):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_simultaneous_builds_of_one_design_compile_once(tmp_path):
    env = dict(os.environ, HWDSE_CACHE=str(tmp_path))
    code = ("from flows.verilog import emit\n"
            "from hw.systolic import SystolicParams\n"
            "from sim.runner import build\n"
            "_, cached, _ = build(emit(SystolicParams(rows=2, cols=2)))\n"
            "print('cached' if cached else 'built')\n")
    outcomes = run_at_once(code, env)
    assert sorted(outcomes) == ["built", "cached"]
    assert [p.name for p in (tmp_path / "sim").iterdir() if not p.name.endswith(".lock")] \
        == [build_key(emit(PARAMS))]


def test_build_timeout_bounds_the_wait_for_another_build(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    artifact = emit(PARAMS)
    job = gemm_job(PARAMS, 2, 2, 2, seed=1)
    with entry_lock(tmp_path / "sim" / f"{build_key(artifact)}.lock", timeout=1, what="x"):
        start = time.monotonic()
        with pytest.raises(SimulationError, match=r"^Verilator build of systolic timed out "
                                                  r"after 2 s waiting for another process"):
            simulate(artifact, TESTBENCH, [job], build_timeout=2)
        assert 1.9 < time.monotonic() - start < 15


def test_build_timeout_bounds_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    artifact = emit(SystolicParams(rows=4, cols=4))
    start = time.monotonic()
    with pytest.raises(SimulationError, match=r"^Verilator build of systolic timed out "
                                              r"after 1 s \(wall clock\)"):
        simulate(artifact, TESTBENCH, [], build_timeout=1)
    assert time.monotonic() - start < 15


def test_abandoned_staging_and_scratch_folders_are_reclaimed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("HWDSE_CACHE", str(cache))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    artifact = emit(PARAMS)
    key = build_key(artifact)
    dead, ours = _dead_pid(), f".{os.getpid()}."
    live_staging = owned_directory(cache / "sim", ".", key)
    dead_staging = live_staging.with_name(live_staging.name.replace(ours, f".{dead}."))
    dead_staging.mkdir()
    live_scratch = owned_directory(scratch, "hwdse-sim-")
    dead_scratch = live_scratch.with_name(live_scratch.name.replace(ours, f".{dead}."))
    dead_scratch.mkdir()
    run = simulate(artifact, TESTBENCH, [gemm_job(PARAMS, 2, 3, 2, seed=1)])
    assert run.passed and not run.build_cached
    assert not dead_staging.exists() and not dead_scratch.exists()
    assert live_staging.exists() and live_scratch.exists()
    assert sorted(p.name for p in scratch.iterdir()) == [live_scratch.name]
    assert build(artifact)[1]  # the entry is complete
