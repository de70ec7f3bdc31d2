"""Process helpers shared by the reliability tests: several copies of one Python snippet run
at once, and a killed run's process group reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_at_once(code: str, env: Mapping[str, str], copies: int = 2,
                timeout: float = 900) -> list[str]:
    """Start ``copies`` Python processes running ``code`` at the same time (from the
    repository root) and return the last line each printed; each must exit 0."""
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(env),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(copies)]
    lines = []
    for run in runs:
        out, err = run.communicate(timeout=timeout)
        assert run.returncode == 0, err[-2000:]
        lines.append(out.splitlines()[-1])
    return lines


def kill_group(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGKILL the process group of ``process`` (started with ``start_new_session``) and
    reap ``process``."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def wait_until_empty(leftovers: Callable[[], list[int] | dict[int, str]],
                     seconds: float = 10) -> None:
    """Poll ``leftovers()`` until it is empty or ``seconds`` have passed (dying processes
    take a moment to be reaped); the caller asserts on it after."""
    deadline = time.monotonic() + seconds
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.2)
