"""Export of a ready FPGA project folder: the Verilog, the constraint file with the clock
target, the Yosys scripts and a ``build.sh`` with the exact commands ``hwdse synth`` runs, so
a user can run the flow by hand (and add the bitstream step).

Where the target maps LUTs with ``abc9``, ``build.sh`` also takes the flow's two departures
from ``synth.ys`` (``flows.synth._run_flow``): the fallback script where ``abc9`` fails
(``synth_fallback.ys``), and ``synth_xaiger1.ys`` where ``abc9`` left outputs driven by
constant 1'x (a wrong netlist, YosysHQ/yosys issue 6237); a conflict that stays ends the
build with exit code 3, as in the flow."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import constraints
from flows.synth import flow_design, pnr_args, yosys_script
from flows.targets import Target, get_target
from flows.tools import YOSYS
from flows.verilog import atomic_write, emit
from hw.params import Params


def build_script(target_name: str, verilog_file: str, constraint_file: str,
                 clock_mhz: float) -> str:
    """``build.sh`` of a project for ``target_name``."""
    target = get_target(target_name)
    tools = [YOSYS] + ([target.pnr_tool] if target.pnr_tool else [])
    install = " ".join(f"{t.distribution}=={t.pinned()}" for t in tools)
    lines = [
        "#!/bin/sh",
        f"# {target.description}; clock target {clock_mhz:g} MHz.",
        "# The commands `hwdse synth` runs. Tools: pip install " + install,
        "# (or point YOSYS / NEXTPNR at your own builds).",
        "set -e",
        'cd "$(dirname "$0")"',
        f'YOSYS="${{YOSYS:-{YOSYS.script}}}"',
        *_yosys_steps(target),
    ]
    if target.pnr_tool is not None:
        args = shlex.join(pnr_args(target, constraint_file, bitstream=True))
        lines += [f'NEXTPNR="${{NEXTPNR:-{target.pnr_tool.script}}}"',
                  f'"$NEXTPNR" {args}', target.bitstream_command]
    else:
        lines.append(f"# {constraint_file}: clock (and pin) constraints for a vendor "
                     "place-and-route tool; Yosys reports the cells in stat.json.")
    return "\n".join(lines) + "\n"


#: :data:`flows.synth.CONSTANT_CONFLICT` as a POSIX extended regular expression (grep -E).
CONFLICT_ERE = "Driver-driver conflict for [^ ]+ between cell [^ ]+ and constant 1'x"


def _yosys_steps(target: Target) -> list[str]:
    """The Yosys commands of ``build.sh``: those of ``flows.synth._run_flow``."""
    run = '"$YOSYS" -q -l yosys.log -s'
    if not target.abc9_label:
        return [f"{run} synth.ys"]
    conflict = f'grep -Eq "{CONFLICT_ERE}" yosys.log'
    lines = []
    if target.abc9_fallback:
        lines += [f"if ! {run} synth.ys; then",
                  "  echo 'abc9 failed (yosys_abc9.log): the fallback synth_fallback.ys' >&2",
                  "  mv yosys.log yosys_abc9.log",
                  f"  {run} synth_fallback.ys",
                  f"  if {conflict}; then",
                  "    echo \"error: outputs driven by constant 1'x after the fallback\" >&2",
                  "    exit 3",
                  "  fi",
                  "fi"]
    else:
        lines.append(f"{run} synth.ys")
    return lines + [
        f"if {conflict}; then",
        "  echo \"abc9 left outputs driven by constant 1'x (YosysHQ/yosys issue 6237): "
        "synthesizing again with synth_xaiger1.ys\" >&2",
        "  mv yosys.log yosys_xaiger2.log",
        f"  {run} synth_xaiger1.ys",
        f"  if {conflict}; then",
        "    echo \"error: outputs driven by constant 1'x with both abc9 netlist writers\" >&2",
        "    exit 3",
        "  fi",
        "fi"]


def export_project(params: Params, target_name: str, out_dir: Path,
                   clock_mhz: float | None = None) -> list[Path]:
    """Write the project folder for ``params`` on ``target_name`` into ``out_dir``.

    Returns:
        The files written.

    Raises:
        UnknownTargetError: for a target name that is not registered.
        ValueError: for a clock that is not positive.
    """
    target = get_target(target_name)
    clock = target.default_clock_mhz if clock_mhz is None else float(clock_mhz)
    constraint_text = constraints.render(target.constraint_file, clock)
    design = flow_design(params, target)
    verilog_file = f"{design.top}.v"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        verilog_file: design.text,
        target.constraint_file: constraint_text,
        "synth.ys": yosys_script(target, verilog_file, design.top, clock_mhz=clock),
        **({"synth_xaiger1.ys": yosys_script(target, verilog_file, design.top, xaiger1=True,
                                             clock_mhz=clock)}
           if target.abc9_label else {}),
        **({"synth_fallback.ys": yosys_script(target, verilog_file, design.top,
                                               fallback=True, clock_mhz=clock)}
           if target.abc9_fallback else {}),
        "build.sh": build_script(target.name, verilog_file, target.constraint_file, clock),
        "manifest.json": json.dumps({
            **emit(params).manifest(), "top": design.top, "verilog": verilog_file,
            "target": target.name, "clock_mhz": clock,
            "shim_flip_flops": design.shim_flip_flops}, indent=2, sort_keys=True) + "\n",
    }
    written = []
    for name, text in files.items():
        path = out_dir / name
        atomic_write(path, text)
        written.append(path)
    (out_dir / "build.sh").chmod(0o755)
    return written
