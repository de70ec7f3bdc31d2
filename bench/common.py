"""What every benchmark records beside its numbers: the machine and how busy it was."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def machine() -> dict[str, object]:
    """CPU, cores, memory, Python, compiler and the load average when measured."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gcc = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": round(memory_gib, 1), "python": sys.version.split()[0],
            "gcc": gcc.splitlines()[0] if gcc else "missing",
            "load_average_1m": round(os.getloadavg()[0], 2)}
