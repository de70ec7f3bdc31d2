"""Child process of :mod:`sim.runner`: one cocotb_tools build or test, then exit.

Kept separate so the parent can put a wall-clock timeout on it and kill its process group.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(request_path: str) -> int:
    from cocotb_tools.runner import get_runner

    request = json.loads(Path(request_path).read_text())
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
