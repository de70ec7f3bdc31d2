"""Child process of :mod:`sim.runner`: one build (by ``cocotb_tools`` or, for the stream
harness, by Verilator and make directly) or one ``cocotb_tools`` test, then exit.

Kept separate so the parent can put a wall-clock timeout on it and kill its process group.
It leads that group (``run_logged`` starts it in a new session) and gets SIGTERM when its
parent dies; it answers by killing the whole group, so ``make``, the C++ compiler or the
simulator that cocotb started die with it instead of running on as orphans.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType


def _kill_group(signal_number: int, frame: FrameType | None) -> None:
    if os.getpgrp() == os.getpid():  # leading its own group, as run_logged starts it
        os.killpg(0, signal.SIGKILL)  # the worker and everything it started
    os._exit(128 + signal_number)


def main(request_path: str) -> int:
    signal.signal(signal.SIGTERM, _kill_group)
    request = json.loads(Path(request_path).read_text())
    if request["phase"] == "build-harness":
        for command in request["commands"]:
            print("+", " ".join(command), flush=True)
            code = subprocess.call(command)
            if code != 0:
                return code
        return 0
    from cocotb_tools.runner import get_runner

    runner = get_runner("verilator")
    if request["phase"] == "build":
        runner.build(verilog_sources=[request["source"]], hdl_toplevel=request["top"],
                     build_dir=request["build_dir"], build_args=request["build_args"],
                     always=True)
        return 0
    runner.test(test_module=request["test_module"], hdl_toplevel=request["top"],
                hdl_toplevel_lang="verilog",
                build_dir=request["build_dir"], test_dir=request["test_dir"],
                extra_env={"HWDSE_SIM_CONFIG": request["config"]})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
