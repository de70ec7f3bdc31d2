"""Synthesis (Yosys) and place-and-route (nextpnr) of a generated design, from the
pip-installed YoWASP tools, with typed results cached by content hash.

Place-and-route targets synthesize the design inside an IO shim (``hw.shim.shim_for``: the
stream shim for one operand and one result stream, the port shim for any other ports, such
as the accelerator's AXI4 master) so it fits the package's pins, pack it with
``nextpnr --pack-only`` to read the used and available cells from nextpnr's JSON report (a
design that does not fit stops there, reported as ``does-not-fit``), then place and route
it against the clock of the target's constraint file and read Fmax per clock from the
report. Synthesis-only targets count the cells of the bare design against the device's
capacity.

A Yosys run is accepted only with its report (``run_yosys``) and without abc9's
constant-1'x conflicts (:data:`CONSTANT_CONFLICT`); a design whose ``abc9`` fails is mapped
by the target's fallback, and one with such conflicts is synthesized again on abc9's older
netlist path, each noted in the result.

Statuses: ``ok``; ``does-not-fit`` (some resource is over the device's capacity);
``timing-failed`` (an achieved Fmax is below its constraint). A tool crash or timeout is a
:class:`~flows.tools.ToolError`, never a status.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

import constraints
from flows.targets import RESOURCES, Target, get_target
from flows.tools import (
    YOSYS,
    ToolError,
    cache_root,
    entry_lock,
    is_complete,
    log_tail,
    run_tool,
    staged_directory,
)
from flows.verilog import atomic_write, emit
from hw.params import Params
from hw.registry import get

#: Bumped when the flow's scripts or result format change.
FLOW_VERSION = 2
DEFAULT_TIMEOUT = 1800.0
#: NAND2 gate equivalents of one flip-flop (D flip-flop with enable and synchronous reset)
#: in the ``generic`` target; combinational gates use Yosys' CMOS transistor estimate / 4.
FLIP_FLOP_GATE_EQUIVALENTS = 6.0
#: nextpnr's errors for a design that packing let through but the device cannot place
#: (nextpnr-ice40 0.11 ends "Unable to find legal placement for all cells, design is
#: probably at utilisation limit" with exit code 125).
_NO_BELS = re.compile(r"no BELs remaining|Unable to place cell|[Dd]esign uses more|"
                      r"not enough|Unable to find legal placement", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Resource:
    used: float
    available: int | None

    @property
    def fits(self) -> bool:
        return self.available is None or self.used <= self.available

    def to_json(self) -> dict[str, Any]:
        used = int(self.used) if float(self.used).is_integer() else self.used
        return {"used": used, "available": self.available}


@dataclasses.dataclass(frozen=True)
class Clock:
    net: str                   # nextpnr's name of the clock net
    achieved_mhz: float
    constraint_mhz: float

    @property
    def met(self) -> bool:
        return self.achieved_mhz >= self.constraint_mhz

    def to_json(self) -> dict[str, Any]:
        return {"net": self.net, "achieved_mhz": round(self.achieved_mhz, 2),
                "constraint_mhz": round(self.constraint_mhz, 2), "met": self.met}


@dataclasses.dataclass(frozen=True)
class SynthResult:
    """Area (and, after place-and-route, Fmax) of one design on one target."""

    generator: str
    params: dict[str, Any]
    target: str
    clock_mhz: float
    top: str
    shim_flip_flops: int
    resources: dict[str, Resource]   # placed numbers after place-and-route, else synthesized
    synthesized: dict[str, float]    # from Yosys cells, per resource
    cells: dict[str, int]            # Yosys cell counts by type
    utilization: dict[str, dict[str, int]]  # nextpnr's report (empty without P&R)
    clocks: dict[str, Clock]
    placed: bool
    over_capacity: tuple[str, ...]   # resources or nextpnr cell types over the device's
    gate_equivalents: float | None
    content_hash: str
    seconds: dict[str, float]
    tools: dict[str, str]
    cached: bool = False
    notes: tuple[str, ...] = ()   # how the flow departed from its script (a fallback)

    @property
    def fits(self) -> bool:
        return not self.over_capacity

    @property
    def timing_met(self) -> bool | None:
        """None when not placed and routed (no timing)."""
        if not self.clocks:
            return None
        return all(clock.met for clock in self.clocks.values())

    @property
    def status(self) -> str:
        if not self.fits:
            return "does-not-fit"
        if self.timing_met is False:
            return "timing-failed"
        return "ok"

    @property
    def fmax_mhz(self) -> float | None:
        """The lowest achieved Fmax over the clocks (None without place-and-route)."""
        return min((c.achieved_mhz for c in self.clocks.values()), default=None)

    def to_json(self) -> dict[str, Any]:
        """The ``hwdse synth --json`` contract (schema ``hwdse.synth/1``)."""
        return {
            "schema": "hwdse.synth/1", "generator": self.generator, "params": self.params,
            "target": self.target, "clock_mhz": self.clock_mhz, "top": self.top,
            "status": self.status, "fits": self.fits, "timing_met": self.timing_met,
            "placed": self.placed, "over_capacity": list(self.over_capacity),
            "fmax_mhz": None if self.fmax_mhz is None else round(self.fmax_mhz, 2),
            "resources": {name: r.to_json() for name, r in self.resources.items()},
            "clocks": {name: c.to_json() for name, c in self.clocks.items()},
            "synthesized": self.synthesized, "cells": self.cells,
            "utilization": self.utilization, "gate_equivalents": self.gate_equivalents,
            "shim_flip_flops": self.shim_flip_flops, "content_hash": self.content_hash,
            "cached": self.cached, "seconds": self.seconds, "tools": self.tools,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any], *, cached: bool) -> SynthResult:
        return cls(
            generator=payload["generator"], params=payload["params"],
            target=payload["target"], clock_mhz=payload["clock_mhz"], top=payload["top"],
            shim_flip_flops=payload["shim_flip_flops"],
            resources={name: Resource(r["used"], r["available"])
                       for name, r in payload["resources"].items()},
            synthesized=payload["synthesized"], cells=payload["cells"],
            utilization=payload["utilization"],
            clocks={name: Clock(c["net"], c["achieved_mhz"], c["constraint_mhz"])
                    for name, c in payload["clocks"].items()},
            placed=payload["placed"], over_capacity=tuple(payload["over_capacity"]),
            gate_equivalents=payload["gate_equivalents"],
            content_hash=payload["content_hash"], seconds=payload["seconds"],
            tools=payload["tools"], cached=cached, notes=tuple(payload.get("notes", ())))


# --- design and scripts ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FlowDesign:
    """The Verilog a target's flow consumes: the bare design, or the design in the IO shim."""

    top: str
    text: str
    shim_flip_flops: int
    design_hash: str  # the generated design's content hash


def flow_design(params: Params, target: Target, *, place: bool = True) -> FlowDesign:
    """Verilog for ``target``: in the IO shim when it is placed on a package's pins."""
    artifact = emit(params)
    if not (target.place_and_route and place):
        return FlowDesign(artifact.top, artifact.text, 0, artifact.content_hash)
    from amaranth.back import verilog

    from hw.shim import shim_for

    shim, shim_ffs = shim_for(get(params.generator).build(params))
    text = verilog.convert(shim, name="top", emit_src=False)
    return FlowDesign("top", text, shim_ffs, artifact.content_hash)


#: Printed by Yosys as its last line when a script ran to the end.
YOSYS_END = "End of script."


#: Yosys' warning where a mapped cell's output is also driven by an undefined constant,
#: which Yosys resolves using the constant: the cell is cut off and the netlist is wrong.
#: Yosys 0.70's ``abc9`` (its netlist for ABC written by ``write_xaiger2``, YosysHQ/yosys
#: pull request 6174) leaves such conflicts on some designs (YosysHQ/yosys issue 6237:
#: mis-synthesis); in the flow, on about one ``qmlp-v1`` design in ten.
CONSTANT_CONFLICT = re.compile(r"Driver-driver conflict for \S+ between cell \S+ and "
                               r"constant 1'x")
#: Yosys' switch back to the ``write_xaiger`` path of ``abc9`` (the workaround named in
#: YosysHQ/yosys issue 6237); the flow sets it only to synthesize such a design again.
XAIGER1 = "scratchpad -set abc9.xaiger 1"
#: Turns off ABC's check of its own mapping (``&verify``, which Yosys 0.70's ``abc9``
#: appends to its ABC script). The check runs after ABC has written the mapped netlist, so
#: the netlist is the same with or without it, and its verdict never reaches Yosys' log
#: (this build prints nothing of ABC's output): it cost time and told the flow nothing.
#: On arithmetic-heavy netlists it was most of the run: a qmlp-v1 layer of one step per
#: neuron group, 87-59-55-7 w4 a4 i3, spent 1,323 of 1,339 s in ``abc9_exe``, and
#: 63-15-36-14 w4 a3 i3 took 114 s with the check and 10 s without, with the same cells.
#: Cached results made with the check stand (same netlist), so the flow version is
#: unchanged.
NO_ABC_SELF_CHECK = "scratchpad -set abc9.verify 0"


def constant_conflicts(log: Path) -> int:
    """The warnings of :data:`CONSTANT_CONFLICT` in a Yosys log (0 without the log)."""
    if not log.is_file():
        return 0
    return len(CONSTANT_CONFLICT.findall(log.read_text(errors="replace")))


def synthesis_commands(target: Target, top: str, *, fallback: bool = False,
                       clock_mhz: float | None = None) -> list[str]:
    """The synthesis commands of ``target``. Where the script runs ``abc9`` (its
    ``abc9_label`` step), it stops before that step and makes the public wire names that
    hold ``[`` private first: Yosys 0.70's ``abc_ops_reintegrate`` names the bits of a
    multi-bit wire ``name[i]`` and fails an assertion (``GetSize(conn.first) ==
    GetSize(conn.second)``) on designs that also have a public wire of that name, such as
    Amaranth's ``operands__payload.b[3]``. Ports are never renamed (``rename -hide`` skips
    them), and the mapped cells are the same as without the renaming wherever that ran.
    ABC's self-check is then turned off (:data:`NO_ABC_SELF_CHECK`).

    With ``fallback``, the target's ``abc9_fallback`` commands replace the ``abc9`` step
    (for designs on which ``abc9`` fails, see :func:`_run_flow`); otherwise its
    ``abc9_mapping`` commands do, where it has them, with the period of ``clock_mhz`` (the
    target's default clock where ``None``)."""
    command = target.synth_command.format(top=top)
    if not target.abc9_label:
        return [command]
    label = target.abc9_label
    head = [f"{command} -run :{label}", "rename -hide w:*[*", NO_ABC_SELF_CHECK]
    resume = f"{command} -run {target.abc9_resume_label}:"
    if fallback:
        return [*head, *target.abc9_fallback, resume]
    if target.abc9_mapping:
        clock = target.default_clock_mhz if clock_mhz is None else clock_mhz
        period_ps = round(1e6 / clock)
        return [*head, *(line.format(period_ps=period_ps) for line in target.abc9_mapping),
                resume]
    return [*head, f"{command} -run {label}:"]


def yosys_script(target: Target, verilog_file: str, top: str, *, place: bool = True,
                 fallback: bool = False, xaiger1: bool = False,
                 clock_mhz: float | None = None) -> str:
    """The Yosys script of ``target``: synthesis (for ``clock_mhz``, the default clock
    where ``None``: :func:`synthesis_commands`), cell statistics, netlist for nextpnr (with
    ``xaiger1``, :data:`XAIGER1` first)."""
    stat = "stat -json -tech cmos" if target.name == "generic" else "stat -json"
    lines = [*([XAIGER1] if xaiger1 else []), f"read_verilog {verilog_file}",
             *synthesis_commands(target, top, fallback=fallback, clock_mhz=clock_mhz),
             f"tee -q -o stat.json {stat}"]
    if target.place_and_route and place:
        lines.append("write_json netlist.json")
    return "\n".join(lines) + "\n"


def pnr_args(target: Target, constraint_file: str, *, pack_only: bool = False,
             report: str = "report.json", bitstream: bool = False, seed: int = 1) -> list[str]:
    """nextpnr arguments of ``target`` (the flow and exported projects use the same)."""
    args = [*target.pnr_args, "--json", "netlist.json", target.constraint_flag,
            constraint_file, "--report", report, "--seed", str(seed)]
    if pack_only:
        args.append("--pack-only")
    else:
        args.append("--timing-allow-fail")
    if bitstream:
        args.extend(target.bitstream_output)
    return args


# --- parsing --------------------------------------------------------------------------


def _yosys_cells(stat: dict[str, Any]) -> dict[str, int]:
    cells = stat["design"]["num_cells_by_type"]
    return {name: int(count) for name, count in sorted(cells.items())
            if not name.startswith("$scopeinfo") and "." not in name}


def synthesized_resources(target: Target, cells: dict[str, int]) -> dict[str, float]:
    """Per-resource totals of Yosys cells (generic: gates and flip-flops)."""
    if target.name == "generic":
        ffs = sum(n for cell, n in cells.items() if "DFF" in cell or "DLATCH" in cell)
        return {"gate": float(sum(cells.values()) - ffs), "ff": float(ffs)}
    totals = dict.fromkeys(RESOURCES, 0.0)
    for cell, count in cells.items():
        if cell in target.synth_cells:
            resource, weight = target.synth_cells[cell]
            totals[resource] += weight * count
    return totals


def _gate_equivalents(stat: dict[str, Any], synthesized: dict[str, float]) -> float:
    transistors = str(stat["design"].get("estimated_num_transistors", "0")).rstrip("+")
    return round(int(transistors) / 4 + FLIP_FLOP_GATE_EQUIVALENTS * synthesized["ff"], 1)


def placed_resources(target: Target, utilization: dict[str, dict[str, int]],
                     synthesized: dict[str, float]) -> dict[str, Resource]:
    """Used / available per resource from nextpnr's report. iCE40 logic cells hold one LUT4
    and one flip-flop each: LUTs are the used logic cells, FFs the synthesized flip-flops,
    both out of the logic cells available."""
    out: dict[str, Resource] = {}
    for resource in RESOURCES:
        types = [cell for cell, r in target.pnr_cells.items() if r == resource]
        if types:
            out[resource] = Resource(sum(utilization.get(t, {}).get("used", 0) for t in types),
                                     sum(utilization.get(t, {}).get("available", 0)
                                         for t in types))
    if "ff" not in out:
        logic = [t for t, r in target.pnr_cells.items() if r == "lut"]
        out["ff"] = Resource(synthesized["ff"],
                             sum(utilization.get(t, {}).get("available", 0) for t in logic))
    return {resource: out[resource] for resource in RESOURCES}


def clock_report(report: dict[str, Any]) -> dict[str, Clock]:
    """Clocks of a nextpnr report; a single clock is named ``clk`` (the shim's port)."""
    clocks = {net: Clock(net, float(v["achieved"]), float(v["constraint"]))
              for net, v in report.get("fmax", {}).items()}
    if len(clocks) == 1:
        return {"clk": next(iter(clocks.values()))}
    return clocks


# --- the flow -------------------------------------------------------------------------


def synth_key(design: FlowDesign, target: Target, clock_mhz: float, seed: int,
              place: bool) -> str:
    tools = {"yosys": YOSYS.version()}
    if target.pnr_tool is not None:
        tools[target.pnr_tool.name] = target.pnr_tool.version()
    blob = json.dumps({"verilog": hashlib.sha256(design.text.encode()).hexdigest(),
                       "target": target.name, "clock_mhz": clock_mhz, "seed": seed,
                       "place": place,
                       "constraints": constraints.template(target.constraint_file),
                       "flow": FLOW_VERSION, "tools": tools}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def synthesize(params: Params, target_name: str, *, clock_mhz: float | None = None,
               timeout: float = DEFAULT_TIMEOUT, seed: int = 1, use_cache: bool = True,
               place: bool = True) -> SynthResult:
    """Synthesize (and place and route, where the target has it) the design ``params``.

    With ``place=False`` a place-and-route target only synthesizes the bare design (no IO
    shim): the cell counts that area models are fitted to, without device capacities.

    ``timeout`` bounds each tool call (wall clock). Results are cached under
    ``<cache>/synth/<key>``; the key covers the Verilog, target, clock, seed, constraint
    file and tool versions. Runs of one key are serialized by a lock
    (``<cache>/synth/<key>.lock``): a second run waits for the first, up to three times
    ``timeout`` (its tool calls), and reuses its result unless ``use_cache`` is false.

    Raises:
        UnknownTargetError: for a target name that is not registered.
        ValueError: for a clock that is not positive.
        ToolNotFoundError, ToolError: when a tool is missing, crashes or times out.
    """
    target = get_target(target_name)
    clock = target.default_clock_mhz if clock_mhz is None else float(clock_mhz)
    constraint_text = constraints.render(target.constraint_file, clock)
    design = flow_design(params, target, place=place)
    key = synth_key(design, target, clock, seed, place)
    final = cache_root() / "synth" / key
    if use_cache and reusable(final):
        return _cached_result(final)
    with entry_lock(final.parent / f"{key}.lock", timeout=3 * timeout,
                    what=f"synthesis of {design.top} for {target.name}"):
        if use_cache and reusable(final):  # made by the process that held the lock
            return _cached_result(final)
        with staged_directory(final, key, replace=True) as staging:
            result = _run_flow(params, target, clock, design, constraint_text, staging, key,
                               timeout, seed, place)
            atomic_write(staging / "result.json",
                         json.dumps(result.to_json(), indent=1) + "\n")
    return result


def bare_synthesis(params: Params, target_name: str, *, clock_mhz: float | None = None,
                   timeout: float = DEFAULT_TIMEOUT, placed: SynthResult | None = None
                   ) -> SynthResult:
    """The design as area models see it: synthesized without the IO shim a placed design
    sits in (``placed`` itself where it has none), at ``clock_mhz`` where the target maps
    logic to the clock (:attr:`flows.targets.Target.clock_mapped`: the LUTs the design
    has at that clock) and at the target's default clock elsewhere (the same netlist at
    any clock, synthesized and cached once).

    Raises:
        As :func:`synthesize`.
    """
    if placed is not None and not placed.shim_flip_flops:
        return placed
    clock = clock_mhz if get_target(target_name).clock_mapped else None
    return synthesize(params, target_name, clock_mhz=clock, timeout=timeout, place=False)


def reusable(entry: Path) -> bool:
    """Whether the cache entry ``entry`` holds a result the flow accepts: complete, and
    without :data:`CONSTANT_CONFLICT` in its Yosys log (an entry made before the flow
    checked for them is synthesized again)."""
    return is_complete(entry) and not constant_conflicts(entry / "yosys.log")


def _cached_result(entry: Path) -> SynthResult:
    payload = json.loads((entry / "result.json").read_text())
    return SynthResult.from_json(payload, cached=True)


def _run_flow(params: Params, target: Target, clock: float, design: FlowDesign,
              constraint_text: str, work: Path, key: str, timeout: float,
              seed: int, place: bool) -> SynthResult:
    verilog_file = f"{design.top}.v"
    (work / verilog_file).write_text(design.text)
    (work / "synth.ys").write_text(yosys_script(target, verilog_file, design.top, place=place,
                                                clock_mhz=clock))
    notes: list[str] = []
    try:
        synth_seconds = run_yosys(work, "synth.ys", timeout)
    except ToolError as error:
        if error.timed_out or not target.abc9_fallback:
            raise
        # abc9 (its box handling of carry cells) fails on some designs, e.g. "Output port
        # ... (CCU2C) is connected to constants: 1'x" on a few qmlp-v1 adder trees on ECP5;
        # map those with abc instead, and say so in the result (targets without a
        # fallback, Xilinx, report the failure)
        if (work / "yosys.log").exists():
            (work / "yosys.log").rename(work / "yosys_abc9.log")
        (work / "synth_fallback.ys").write_text(
            yosys_script(target, verilog_file, design.top, place=place, fallback=True,
                         clock_mhz=clock))
        synth_seconds = run_yosys(work, "synth_fallback.ys", timeout)
        reason = (error.log_tail.strip().splitlines() or [str(error)])[-1]
        notes.append(f"abc9 failed ({reason[:200]}); LUTs mapped by the fallback "
                     f"{'; '.join(target.abc9_fallback)}")
    conflicts = constant_conflicts(work / "yosys.log")
    if conflicts and notes:  # the fallback (abc, no xaiger netlist) left them
        raise ToolError("yosys left outputs driven by constant 1'x (Driver-driver conflict) "
                        "after the abc9 fallback: a wrong netlist, not accepted",
                        log_tail(work / "yosys.log"))
    if conflicts:
        (work / "yosys.log").rename(work / "yosys_xaiger2.log")
        (work / "synth_xaiger1.ys").write_text(
            yosys_script(target, verilog_file, design.top, place=place, xaiger1=True,
                         clock_mhz=clock))
        synth_seconds = run_yosys(work, "synth_xaiger1.ys", timeout)
        if constant_conflicts(work / "yosys.log"):
            raise ToolError("yosys left outputs driven by constant 1'x (Driver-driver "
                            "conflict) with both abc9 netlist writers: a wrong netlist, "
                            "not accepted", log_tail(work / "yosys.log"))
        notes.append(f"abc9 left {conflicts} outputs driven by constant 1'x (Driver-driver "
                     "conflict; YosysHQ/yosys issue 6237); synthesized again with "
                     f"`{XAIGER1}`")
    stat = json.loads((work / "stat.json").read_text())
    cells = _yosys_cells(stat)
    synthesized = synthesized_resources(target, cells)
    seconds = {"synth": round(synth_seconds, 3)}
    tools = {"yosys": YOSYS.version()}
    utilization: dict[str, dict[str, int]] = {}
    clocks: dict[str, Clock] = {}
    placed = False
    gate_equivalents = None
    if target.name == "generic":
        gate_equivalents = _gate_equivalents(stat, synthesized)
        resources = {name: Resource(used, None) for name, used in synthesized.items()}
        over: tuple[str, ...] = ()
    elif target.pnr_tool is None or not place:
        resources = {name: Resource(synthesized[name], target.capacity.get(name))
                     for name in RESOURCES}
        over = _over_capacity(resources, {})
    else:
        tools[target.pnr_tool.name] = target.pnr_tool.version()
        constraint_file = target.constraint_file
        (work / constraint_file).write_text(constraint_text)
        _, pack_seconds = run_tool(target.pnr_tool, pnr_args(
            target, constraint_file, pack_only=True, report="pack.json", seed=seed),
            cwd=work, log_name="pack.log", timeout=timeout)
        seconds["pack"] = round(pack_seconds, 3)
        utilization = _used_cells(
            _read_report(work, "pack.json", target.pnr_tool.name, "pack.log"), target)
        resources = placed_resources(target, utilization, synthesized)
        over = _over_capacity(resources, utilization)
        if not over:
            start = time.monotonic()
            code, _ = run_tool(target.pnr_tool, pnr_args(target, constraint_file, seed=seed),
                               cwd=work, log_name="pnr.log", timeout=timeout,
                               allowed_codes=(0, 1, 125, 255))
            seconds["place_route"] = round(time.monotonic() - start, 3)
            if code != 0:
                tail = log_tail(work / "pnr.log")
                if not _NO_BELS.search(tail):
                    raise ToolError(f"{target.pnr_tool.name} failed with exit code {code}",
                                    tail)
                over = ("placement",)  # nextpnr ran out of sites that packing did not see
            else:
                report = _read_report(work, "report.json", target.pnr_tool.name, "pnr.log")
                utilization = _used_cells(report, target)
                resources = placed_resources(target, utilization, synthesized)
                clocks = clock_report(report)
                placed = True
    return SynthResult(
        generator=params.generator, params=params.to_dict(), target=target.name,
        clock_mhz=clock, top=design.top, shim_flip_flops=design.shim_flip_flops,
        resources=resources, synthesized=synthesized, cells=cells, utilization=utilization,
        clocks=clocks, placed=placed, over_capacity=over, gate_equivalents=gate_equivalents,
        content_hash=key, seconds=seconds, tools=tools, notes=tuple(notes))


def run_yosys(work: Path, script: str, timeout: float) -> float:
    """Run the Yosys ``script`` in ``work`` and return its seconds.

    Yosys writes its log with ``-l yosys.log``, not through standard output: in the
    WebAssembly build, Yosys points standard output at a file while the linked ABC runs and
    never points it back, so everything printed after the first ABC call (errors included)
    is lost there. A run is accepted only if it exited with 0, its log ends with Yosys'
    ``End of script.`` line and it wrote ``stat.json``.

    Raises:
        ToolError: if Yosys fails, times out, or ends without its report (naming which).
    """
    log = work / "yosys.log"
    code, seconds = run_tool(YOSYS, ["-q", "-l", log.name, "-s", script], cwd=work,
                             log_name="yosys.stdout", timeout=timeout,
                             allowed_codes=tuple(range(256)))
    tail = log_tail(log) or log_tail(work / "yosys.stdout")
    if code != 0:
        raise ToolError(f"yosys failed with exit code {code}", tail)
    ended = YOSYS_END in log_tail(log, 3)
    if not ended or not is_file(work / "stat.json"):
        missing = "its log's last line" if not ended else "stat.json"
        raise ToolError(f"yosys exited with code 0 but ended without {missing}: a truncated "
                        "run, not accepted", tail)
    return seconds


def is_file(path: Path) -> bool:
    """Whether ``path`` is a non-empty file."""
    return path.is_file() and path.stat().st_size > 0


def _read_report(work: Path, name: str, tool: str, log_name: str) -> dict[str, Any]:
    """nextpnr's JSON report ``name``; a run that exited 0 without it is a ToolError."""
    path = work / name
    if not is_file(path):
        raise ToolError(f"{tool} exited with code 0 but wrote no {name}: a truncated run, "
                        "not accepted", log_tail(work / log_name))
    return dict(json.loads(path.read_text()))


def _used_cells(report: dict[str, Any], target: Target) -> dict[str, dict[str, int]]:
    """nextpnr's utilization: the cell types the design uses or that count as a resource."""
    return {cell: {"used": int(v["used"]), "available": int(v["available"])}
            for cell, v in sorted(report.get("utilization", {}).items())
            if v["used"] or cell in target.pnr_cells}


def _over_capacity(resources: dict[str, Resource],
                   utilization: dict[str, dict[str, int]]) -> tuple[str, ...]:
    """Resources, then nextpnr cell types, whose use exceeds what the device has."""
    over = [name for name, r in resources.items() if not r.fits]
    over += [cell for cell, v in utilization.items() if v["used"] > v["available"]]
    return tuple(over)
