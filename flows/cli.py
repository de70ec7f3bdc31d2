"""The ``hwdse`` command line (typer + rich).

Exit codes: 0 success, 1 a design failed its check (mismatch or model disagreement),
2 bad input (one line naming the parameter or option), 3 a tool failed or timed out, 4 the
design does not fit the target device, 5 it misses its clock constraint, 6 a search found
no design that meets the spec's constraints. Every error is one line on stderr, with no
traceback. Only this module knows about terminals, progress display and exit codes.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import typer.core
from rich.console import Console
from rich.table import Table
from typer._click import exceptions as click_errors  # typer 0.29 vendors click

from dse.records import DEFAULT_MAX_SIM_CYCLES
from dse.searchers import describe as describe_searchers

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_TOOL_FAILED = 3
EXIT_DOES_NOT_FIT = 4
EXIT_TIMING_FAILED = 5
EXIT_NO_FEASIBLE = 6


class OneLineErrors(typer.core.TyperGroup):
    """The command group, with usage errors (an unknown option, ``--trials abc``) printed as
    one line like every other error, not as click's box."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click_errors.NoArgsIsHelpError as error:
            print(error.ctx.get_help() if error.ctx else error.format_message())
            sys.exit(0)
        except click_errors.ClickException as error:
            command = error.ctx.command_path if getattr(error, "ctx", None) else "hwdse"
            print(f"error: {command}: {error.format_message()}", file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT if isinstance(error, click_errors.UsageError)
                     else error.exit_code)
        except typer.Abort:
            print("error: aborted", file=sys.stderr)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(add_completion=False, no_args_is_help=True, cls=OneLineErrors,
                  help="Hardware design-space exploration and RTL generation.")
console = Console()
errors = Console(stderr=True)

ParamOption = Annotated[list[str] | None, typer.Option(
    "-p", "--param", help="Generator parameter as key=value (repeatable).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ClockOption = Annotated[float | None, typer.Option(
    "--clock", help="Clock target in MHz (default: the target board's oscillator).")]


def _fail(code: int, message: str) -> NoReturn:
    errors.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _positive_seconds(option: str, value: float) -> float:
    """A time limit: a finite positive number of seconds, or exit 2 naming the option."""
    if not (math.isfinite(value) and value > 0):
        _fail(EXIT_BAD_INPUT, f"`{option}` must be a positive number of seconds, not {value}")
    return value


def _output_folder(option: str, path: Path) -> Path:
    """Create ``path`` (an output folder) now, before any work, or exit 2 saying why it
    cannot be written."""
    if path.exists() and not path.is_dir():
        _fail(EXIT_BAD_INPUT, f"`{option}` {path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _fail(EXIT_BAD_INPUT, f"`{option}` {path}: cannot create the folder "
                              f"({error.strerror})")
    if not os.access(path, os.W_OK | os.X_OK):
        _fail(EXIT_BAD_INPUT, f"`{option}` {path}: the folder is not writable")
    return path


def _params(family: str, assignments: list[str] | None) -> Any:
    from hw.params import ParamError
    from hw.registry import UnknownGeneratorError, get

    try:
        spec = get(family)
        return spec.params_class.from_strings(assignments or [])
    except (ParamError, UnknownGeneratorError) as error:
        _fail(EXIT_BAD_INPUT, str(error))
    except TypeError as error:  # e.g. a wrong field name slipped past from_mapping
        _fail(EXIT_BAD_INPUT, str(error))


def _print_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, sort_keys=True) + "\n")


@app.command("list")
def list_generators(as_json: JsonOption = False) -> None:
    """List the registered generators, their parameters, and the targets their fitted area
    and clock models are for."""
    import dataclasses

    from dse.models.area import shipped_targets
    from hw.registry import get, names

    rows: list[dict[str, Any]] = []
    for name in names():
        spec = get(name)
        defaults = {f.name: f.default for f in dataclasses.fields(spec.params_class)}
        rows.append({"name": name, "family": spec.family, "summary": spec.summary,
                     "params": defaults,
                     "models": {kind: shipped_targets(kind, name) for kind in ("area", "clock")}})
    if as_json:
        _print_json({"schema": "hwdse.list/1", "generators": rows})
        return
    table = Table("generator", "summary", "parameters (defaults)", "fitted models (targets)")
    for row in rows:
        table.add_row(row["name"], row["summary"],
                      ", ".join(f"{k}={v}" for k, v in row["params"].items()),
                      "\n".join(f"{kind}: {', '.join(targets) or 'none'}"
                                 for kind, targets in row["models"].items()))
    console.print(table)


@app.command()
def generate(
    family: Annotated[str, typer.Argument(help="Generator family or versioned name.")],
    param: ParamOption = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    target: Annotated[str | None, typer.Option(
        "--target", help="Export an FPGA project for this target (see `hwdse synth`).")] = None,
    clock: ClockOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the Verilog of one design, or with --target an FPGA project.

    The Verilog comes with its manifest.json; --target writes a ready project folder
    (shimmed Verilog, constraint file, Yosys script, build.sh)."""
    from flows.verilog import emit

    params = _params(family, param)
    _output_folder("--out", out)
    if target is not None:
        _export(params, target, clock, out, as_json)
        return
    artifact = emit(params)
    verilog_path, manifest_path = artifact.write(out)
    if as_json:
        _print_json({"schema": "hwdse.generate/1", **artifact.manifest(),
                     "verilog_path": str(verilog_path), "manifest_path": str(manifest_path)})
        return
    console.print(f"wrote [bold]{verilog_path}[/] and {manifest_path} "
                  f"(content hash {artifact.content_hash[:16]})")


def _export(params: Any, target: str, clock: float | None, out: Path, as_json: bool) -> None:
    from flows.project import export_project
    from flows.targets import UnknownTargetError

    try:
        files = export_project(params, target, out, clock)
    except (UnknownTargetError, ValueError) as error:
        _fail(EXIT_BAD_INPUT, str(error))
    if as_json:
        _print_json({"schema": "hwdse.project/1", "generator": params.generator,
                     "params": params.to_dict(), "target": target, "out": str(out),
                     "files": [str(f) for f in files]})
        return
    console.print(f"wrote the {target} project to [bold]{out}[/]: "
                  + ", ".join(f.name for f in files) + f" (run {out / 'build.sh'})")


@app.command()
def synth(
    family: Annotated[str, typer.Argument(help="Generator family or versioned name.")],
    param: ParamOption = None,
    target: Annotated[str, typer.Option(
        "--target", help="ice40-up5k, ecp5-85k, ecp5-85k-nowidelut, ecp5-85k-area, xc7a35t, "
                           "xc7a100t or generic.")] = "ecp5-85k",
    clock: ClockOption = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Wall-clock limit of each tool call in seconds.")] = 1800.0,
    seed: Annotated[int, typer.Option("--seed", help="Placer seed.")] = 1,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the tools again.")] = False,
    synth_only: Annotated[bool, typer.Option(
        "--synth-only", help="Only synthesize the bare design (no IO shim, no P&R).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Synthesize one design (Yosys), and place and route it (nextpnr).

    Reports used / available LUTs, FFs, DSPs and BRAMs, and Fmax per clock where the target
    has place-and-route."""
    from flows.synth import synthesize
    from flows.targets import UnknownTargetError
    from flows.tools import ToolError, ToolNotFoundError

    params = _params(family, param)
    _positive_seconds("--timeout", timeout)
    try:
        result = synthesize(params, target, clock_mhz=clock, timeout=timeout, seed=seed,
                            use_cache=not no_cache, place=not synth_only)
    except (UnknownTargetError, ValueError) as error:
        _fail(EXIT_BAD_INPUT, str(error))
    except (ToolNotFoundError, ToolError) as error:
        _fail(EXIT_TOOL_FAILED, str(error))
    payload = result.to_json()
    if as_json:
        _print_json(payload)
    else:
        _print_synth(payload)
    if not result.fits:
        raise typer.Exit(EXIT_DOES_NOT_FIT)
    if result.timing_met is False:
        raise typer.Exit(EXIT_TIMING_FAILED)


def _print_synth(p: dict[str, Any]) -> None:
    table = Table("resource", "used", "available", "use")
    for name, r in p["resources"].items():
        share = f"{r['used'] / r['available']:.1%}" if r["available"] else ""
        table.add_row(name, str(r["used"]), "" if r["available"] is None else str(r["available"]),
                      share)
    console.print(table)
    for name, c in p["clocks"].items():
        verdict = "met" if c["met"] else "[red]MISSED[/]"
        console.print(f"clock {name}: Fmax {c['achieved_mhz']} MHz for a "
                      f"{c['constraint_mhz']} MHz target ({verdict})")
    if p["gate_equivalents"] is not None:
        console.print(f"{p['gate_equivalents']} NAND2 gate equivalents")
    for note in p.get("notes", ()):
        console.print(f"note: {note}", markup=False, highlight=False)
    status = {"ok": "[green]ok[/]", "does-not-fit": "[red]does not fit[/] ("
              + ", ".join(p["over_capacity"]) + ")", "timing-failed": "[red]timing failed[/]"}
    console.print(f"{p['target']}: {status[p['status']]}"
                  + (" (cached)" if p["cached"] else ""))


def _parse_gemm(text: str, params: Any = None, bits: str | None = None,
                group_size: int | None = None) -> Any:
    """The ``--gemm`` shape with the run's precision (``--bits``: one number, or one per
    group as ``4,2,8``; ``--group-size``), checked against the design.

    Exits with EXIT_BAD_INPUT naming the option for a malformed or impossible value.
    """
    import dataclasses

    from dse.workload import Gemm
    from hw.params import ParamError
    from sim.families import sim_family

    try:
        gemm = Gemm.parse(text)
        if bits is None and group_size is None:
            return gemm
        if params is not None and not sim_family(params.generator).run_time_precision:
            option = "--bits" if bits is not None else "--group-size"
            raise ParamError(f"`{option}` applies to families with run-time precision "
                             f"(bitserial); {params.generator} is bit-parallel")
        parsed: int | tuple[int, ...] | None = None
        if bits is not None:
            try:
                values = tuple(int(part) for part in bits.split(","))
            except ValueError:
                raise ParamError(f"`bits` must be an integer or a comma-separated list of "
                                 f"integers (one per group), not {bits!r}") from None
            parsed = values[0] if len(values) == 1 else values
        gemm = dataclasses.replace(gemm, bits=parsed, group_size=group_size)
        if params is not None and bits is not None:
            for value in values:
                params.check_bits(value)
        return gemm
    except ParamError as error:
        _fail(EXIT_BAD_INPUT, str(error))


def _job_options(params: Any, **given: Any) -> dict[str, Any]:
    """The family job options given on the command line (``--tiles`` as ``mapping``,
    ``--order``, ``--bandwidth``, ``--latency``), or exit 2 naming an option the family's
    jobs do not take."""
    import inspect

    from sim.families import sim_family

    options = {name: value for name, value in given.items() if value is not None}
    accepted = inspect.signature(sim_family(params.generator).gemm_job_builder()).parameters
    for name in options:
        if name not in accepted:
            flag = "--tiles" if name == "mapping" else f"--{name}"
            _fail(EXIT_BAD_INPUT, f"`{flag}` does not apply to {params.generator}: its "
                                  f"simulation jobs take no {name}")
    return options


def _verify(params: Any, gemm: Any, seed: int, values: str, timeout: float,
            build_timeout: float, options: dict[str, Any] | None = None) -> Any:
    from dse.verify import verify_gemm
    from hw.params import ParamError
    from sim.runner import SimulationError, ToolNotFoundError

    try:
        return verify_gemm(params, gemm, seed=seed, values=values, timeout=timeout,
                           build_timeout=build_timeout, options=options)
    except ParamError as error:
        _fail(EXIT_BAD_INPUT, str(error))
    except ToolNotFoundError as error:
        _fail(EXIT_TOOL_FAILED, str(error))
    except SimulationError as error:
        _fail(EXIT_TOOL_FAILED, str(error))


@app.command()
def simulate(
    family: Annotated[str, typer.Argument(help="Generator family or versioned name.")],
    param: ParamOption = None,
    gemm: Annotated[str, typer.Option("--gemm", help="GEMM shape MxKxN.")] = "16x16x16",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random operands.")] = 0,
    values: Annotated[str, typer.Option(
        "--values", help="Operand kind: random, extreme, min or max.")] = "random",
    bits: Annotated[str | None, typer.Option(
        "--bits", help="Precision of the serial operand (bitserial): B, or B1,B2,... per "
                       "group of K (default: max_bits).")] = None,
    group_size: Annotated[int | None, typer.Option(
        "--group-size", help="K elements per scale group (bitserial; default: all of K).")
    ] = None,
    tiles: Annotated[str | None, typer.Option(
        "--tiles", help="Tile sizes TMxTKxTN (accel; default: a legal mapping).")] = None,
    order: Annotated[str | None, typer.Option(
        "--order", help="Tile loop order, mnk or nmk (accel; default mnk).")] = None,
    bandwidth: Annotated[int | None, typer.Option(
        "--bandwidth", help="DRAM bandwidth in bytes per cycle (accel; default: the bus "
                            "width).")] = None,
    latency: Annotated[int | None, typer.Option(
        "--latency", help="DRAM latency in cycles (accel; default 40).")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="Wall-clock limit of the simulation run in seconds.")] = 600.0,
    build_timeout: Annotated[float, typer.Option(
        "--build-timeout", help="Wall-clock limit of the Verilator build in seconds "
                                "(a cached build takes none).")] = 900.0,
    as_json: JsonOption = False,
) -> None:
    """Simulate a GEMM in Verilator, bit-exact, and compare with the models."""
    from sim.golden import VALUE_MODES

    params = _params(family, param)
    shape = _parse_gemm(gemm, params, bits, group_size)
    if values not in VALUE_MODES:
        _fail(EXIT_BAD_INPUT, f"`values` must be one of {', '.join(VALUE_MODES)}, not {values!r}")
    _positive_seconds("--timeout", timeout)
    _positive_seconds("--build-timeout", build_timeout)
    options = _job_options(params, mapping=tiles, order=order, bandwidth=bandwidth,
                           latency=latency)
    verification = _verify(params, shape, seed, values, timeout, build_timeout, options)
    payload = verification.to_json()
    if as_json:
        _print_json(payload)
    else:
        _print_verifications([payload])
        if "mapping" in payload:  # a family with a memory system: its mapping and traffic
            console.print(
                f"mapping {payload['mapping']['tiles']} {payload['mapping']['order']}; DRAM "
                f"read {payload['dram_read_bytes']:,} B (model "
                f"{payload['model_dram_read_bytes']:,}), written "
                f"{payload['dram_write_bytes']:,} B (model "
                f"{payload['model_dram_write_bytes']:,}); stall cycles "
                f"{payload['stall_cycles']:,} (model {payload['model_stall_cycles']:,})")
    if not (payload["passed"] and payload["model_matches"]
            and payload["energy"]["activity_matches"]):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _energy_cell(energy: dict[str, Any]) -> str:
    rtl = energy["rtl"]
    flag = "" if energy.get("activity_matches", True) else " [red](model differs)[/]"
    return f"{rtl['total_pj'] / 1e6:.3g} uJ, {rtl['pj_per_mac']:.3g} pJ/MAC{flag}"


def _print_verifications(payloads: list[dict[str, Any]]) -> None:
    table = Table("design", "GEMM", "bit-exact", "RTL cycles", "model cycles",
                  "compute bound", "utilization", "energy (RTL counts)", "build")
    for p in payloads:
        design = ", ".join(f"{k}={v}" for k, v in p["params"].items() if v is not None)
        shape = "{m}x{k}x{n}".format(**p["gemm"])
        if "bits" in p["gemm"]:
            bits = p["gemm"]["bits"]
            shape += f" @{'/'.join(map(str, bits)) if isinstance(bits, list) else bits}b"
        build = "cached" if p["build_cached"] else f"{p['build_seconds']:.1f} s"
        table.add_row(design, shape, "yes" if p["passed"] else "[red]NO[/]", str(p["cycles"]),
                      str(p["model_cycles"]) + ("" if p["model_matches"] else " [red](!)[/]"),
                      str(p["compute_bound"]), f"{p['utilization']:.1%}",
                      _energy_cell(p["energy"]), build)
    console.print(table)


#: The main job's spec, packaged with dse (also examples/accel_cnn.toml).
MAIN_JOB_SPEC = "specs/accel_cnn.toml"


@app.command()
def run(
    trials: Annotated[int, typer.Option("--trials", min=1,
                                        help="Distinct designs to evaluate.")] = 300,
    sampler: Annotated[str, typer.Option("--sampler", help=f"Searcher: {describe_searchers()}.")
                       ] = "tpe",
    seed: Annotated[int, typer.Option("--seed", help="Sampler seed.")] = 0,
    verify: Annotated[int, typer.Option(
        "--verify", min=0, help="Pareto designs to re-check in RTL simulation.")] = 3,
    run_dir: Annotated[Path, typer.Option("--run-dir", help="Run folder.")] = Path("runs/main"),
    max_sim_cycles: MaxSimCyclesOption = DEFAULT_MAX_SIM_CYCLES,
    as_json: JsonOption = False,
) -> None:
    """The main job: an accelerator sweep over a small CNN, every layer mapped, checked in RTL.

    A design-space sweep on the embedded defaults (the packaged spec
    dse/specs/accel_cnn.toml, also examples/accel_cnn.toml): accel-v1 designs (systolic
    core, scratchpad, accumulator, AXI4 DMA) with every layer mapped, the best designs
    re-checked layer by layer in Verilator, and a report."""
    from importlib import resources

    with resources.as_file(resources.files("dse").joinpath(MAIN_JOB_SPEC)) as spec:
        explore(spec, trials=trials, sampler=sampler, seed=seed, workers=1, storage=None,
                run_dir=run_dir, verify=verify, synth=False, max_sim_cycles=max_sim_cycles,
                as_json=as_json,
                report_dir=run_dir / "report")


def _int_list(name: str, text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        _fail(EXIT_BAD_INPUT, f"`{name}` must be comma-separated integers, not {text!r}")
    if not values:
        _fail(EXIT_BAD_INPUT, f"`{name}` needs at least one integer, not {text!r}")
    return values


@app.command()
def qmlp(
    dataset: Annotated[str, typer.Option("--dataset", help="can or digits.")] = "can",
    hidden: Annotated[str, typer.Option(
        "--hidden", help="Hidden layer widths, comma-separated.")] = "64,32",
    weight_bits: Annotated[int, typer.Option("--weight-bits", help="1..8.")] = 2,
    act_bits: Annotated[int, typer.Option("--act-bits", help="1..8.")] = 2,
    epochs: Annotated[int, typer.Option("--epochs", help="Most training epochs.")] = 40,
    seed: Annotated[int, typer.Option("--seed", help="Data and training seed.")] = 0,
    target_ii: Annotated[int | None, typer.Option(
        "--target-ii", help="Cycles per inference to meet; the cheapest folding is chosen "
                            "(default 64).")] = None,
    folding: Annotated[str | None, typer.Option(
        "--folding", help="PExSIMD per layer instead of the optimizer, e.g. 8x12,4x8,5x4.")
    ] = None,
    can_files: Annotated[list[Path] | None, typer.Option(
        "--can-file", help="HCRL car-hacking CSV/TXT file instead of synthetic traffic "
                           "(repeatable).")] = None,
    weight_memory: Annotated[str, typer.Option(
        "--weight-memory", help="Weight ROMs in logic (LUTs) or block (block RAM).")
    ] = "logic",
    max_bram: Annotated[int | None, typer.Option(
        "--max-bram", help="With --weight-memory block: most block RAMs the optimizer's "
                           "folding may use for the weight ROMs (default: no bound).")
    ] = None,
    target: Annotated[str, typer.Option("--target", help="FPGA target.")] = "ecp5-85k",
    clock: ClockOption = None,
    no_synth: Annotated[bool, typer.Option("--no-synth", help="Skip synthesis.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("runs/qmlp"),
    as_json: JsonOption = False,
) -> None:
    """Train a quantized MLP and build, check and synthesize its accelerator.

    Brevitas training, the streaming accelerator (qmlp-v1), every test input checked in
    Verilator, synthesis; reports accuracy, latency, LUTs and energy per inference."""
    from dse.qnn.flow import PAPER_CAN, run_command
    from flows.tools import ToolError
    from hw.params import ParamError
    from sim.runner import SimulationError

    if folding is not None and target_ii is not None:
        _fail(EXIT_BAD_INPUT, "give --folding or --target-ii, not both")
    if can_files and dataset != "can":
        _fail(EXIT_BAD_INPUT, "--can-file needs --dataset can")
    if max_bram is not None and folding is not None:
        _fail(EXIT_BAD_INPUT, "--max-bram bounds the optimizer's folding: give it with "
                              "--target-ii, not --folding")
    _output_folder("--out", out)
    try:
        report = run_command(dataset, hidden=_int_list("hidden", hidden),
                             weight_bits=weight_bits, act_bits=act_bits, epochs=epochs,
                             seed=seed, out=out, target=target, target_ii=target_ii,
                             folding=folding, clock_mhz=clock, can_files=list(can_files or []),
                             synthesize=not no_synth, weight_memory=weight_memory,
                             max_bram=max_bram)
    except (ParamError, ValueError) as error:
        _fail(EXIT_BAD_INPUT, str(error).splitlines()[0])
    except (ToolError, SimulationError) as error:
        _fail(EXIT_TOOL_FAILED, str(error))
    if as_json:
        _print_json(report)
    else:
        _print_case(report, PAPER_CAN if dataset == "can" else None)
    simulation = report.get("simulation", {})
    if simulation and not (simulation["passed"] and simulation["model_matches"]):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_case(report: dict[str, Any], paper: dict[str, Any] | None) -> None:
    design, accuracy = report["design"], report["accuracy"]
    table = Table("quantity", "hwdse", *(["paper"] if paper else []))

    def row(name: str, value: str, reference: str = "") -> None:
        table.add_row(name, value, *([reference] if paper else []))

    row("network", "-".join(map(str, report["network"]["sizes"])) + " "
        f"(w{report['train']['weight_bits']} a{report['train']['act_bits']})",
        paper["bits"] if paper else "")
    row("accuracy (integer model = RTL)", f"{accuracy['integer_model']:.4f}",
        f"{paper['accuracy']}" if paper else "")
    for name, item in accuracy["per_class"].items():
        row(f"  {name}", f"{item['accuracy']:.4f} ({item['frames']})")
    row("folding (PExSIMD)", design["folding"] or "1x1")
    row("II / latency (cycles)", f"{design['initiation_interval']} / {design['latency_cycles']}")
    if "latency_us" in report:
        row("latency (us at Fmax)", f"{report['latency_us']:.3f}",
            f"{paper['latency_ms'] * 1000:.0f} ({paper['latency_note']})" if paper else "")
    if "synthesis" in report:
        synth = report["synthesis"]
        row("LUT / FF / DSP", f"{synth['resources']['lut']['used']:.0f} / "
            f"{synth['resources']['ff']['used']:.0f} / {synth['resources']['dsp']['used']:.0f}"
            f" on {synth['target']}", paper["device"] if paper else "")
        row("Fmax (MHz)", f"{synth['fmax_mhz']}")
    if "simulation" in report:
        sim = report["simulation"]
        verdict = "bit-exact" if sim["passed"] else "MISMATCH"
        row("RTL check", f"{sim['inputs']} test inputs, {verdict}, cycles {sim['cycles']} "
            f"(model {sim['model_cycles']})")
        row("energy per inference", f"{sim['energy_per_inference_pj']:.1f} pJ (model, "
            f"{sim['energy_table']})", f"{paper['energy_mj']} mJ (board)" if paper else "")
    console.print(table)


def _load_spec(path: Path) -> Any:
    from dse.spec import SpecError, load_spec

    try:
        return load_spec(path)
    except SpecError as error:
        _fail(EXIT_BAD_INPUT, f"{path}: {error}")


def _run_dir(spec: Any, run_dir: Path | None) -> Path:
    return run_dir if run_dir is not None else Path("runs") / spec.name


StorageOption = Annotated[str | None, typer.Option(
    "--storage", envvar="HWDSE_STORAGE",
    help="postgresql://user@host/db (password from PGPASSWORD or ~/.pgpass); default: "
         "a journal file in the run folder.")]
RunDirOption = Annotated[Path | None, typer.Option(
    "--run-dir", help="Run folder (default: runs/<spec name>).")]

MaxSimCyclesOption = Annotated[int, typer.Option(
    "--max-sim-cycles", min=1,
    help="RTL re-check: layers over this many model cycles are not simulated.")]


@app.command()
def explore(
    spec_path: Annotated[Path, typer.Argument(help="Exploration spec (TOML).")],
    trials: Annotated[int, typer.Option("--trials", min=1,
                                        help="Distinct designs to evaluate (a design the "
                                             "study holds is not evaluated again).")] = 200,
    sampler: Annotated[str, typer.Option("--sampler", help=f"Searcher: {describe_searchers()}.")
                       ] = "tpe",
    seed: Annotated[int, typer.Option("--seed", help="Sampler seed (worker i: seed + i).")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    storage: StorageOption = None,
    run_dir: RunDirOption = None,
    verify: Annotated[int, typer.Option(
        "--verify", min=0, help="Pareto designs to re-check in RTL simulation (0: none).")
    ] = 3,
    synth: Annotated[bool, typer.Option(
        "--synth", help="Also synthesize the re-checked designs.")] = False,
    max_sim_cycles: MaxSimCyclesOption = DEFAULT_MAX_SIM_CYCLES,
    verify_instances: Annotated[bool, typer.Option(
        "--verify-instances", help="RTL re-check: every instance of a repeated layer "
                                   "(batch x count), each with its own operands.")] = False,
    as_json: JsonOption = False,
    report_dir: Annotated[Path | None, typer.Option(
        "--report", help="Also write a report folder here (see `hwdse report`).")] = None,
) -> None:
    """Search a spec's space, then re-check the best designs in RTL.

    Optuna (or an RL agent) searches on the analytic models; the Pareto designs are
    re-checked in RTL simulation (and synthesis). Resumes a stored study."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from dse.exhaustive import exhaustive_limit
    from dse.fidelity import pareto_trials, verify_front
    from dse.records import CheckOptions
    from dse.study import StudyError, front_size, make_searcher, open_storage
    from dse.study import explore as run_explore

    spec = _load_spec(spec_path)
    folder = _run_dir(spec, run_dir)
    if storage is None:
        _output_folder("--run-dir", folder)
    if report_dir is not None:
        _output_folder("--report", report_dir)  # checked now, not after the whole search
    state = {"failures": 0, "shown": 0.0}
    try:
        open_storage(folder, storage)  # an unreachable storage fails here, before any output
        searcher = make_searcher(sampler, seed, workers, spec)  # here, before any output
    except StudyError as error:
        _fail(EXIT_BAD_INPUT, str(error))
    limit = exhaustive_limit(spec)
    if searcher.uses_budget and not as_json and spec.space.size() <= limit:
        console.print(f"note: the space holds {spec.space.size():,} designs (at most "
                      f"{limit:,}): `--sampler exhaustive` evaluates them all and "
                      "stores the exact Pareto front", markup=False, highlight=False,
                      soft_wrap=True)

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[status]}"), console=errors,
                  disable=as_json) as progress:
        task = progress.add_task(f"{spec.name} ({sampler})", total=trials, status="")

        def on_trial(study: Any, trial: Any, finished: int) -> None:
            if trial.state.name == "FAIL":
                state["failures"] += 1
            progress.update(task, completed=min(finished, trials))
            # the front costs O(trials) to compute: refresh it at most twice a second
            if time.monotonic() - state["shown"] >= 0.5 or finished >= trials:
                state["shown"] = time.monotonic()
                front = front_size(study) if len(spec.objectives) > 1 else None
                status = (f"front {front} designs" if front is not None
                          else f"best {study.best_value:.4g}" if front_size(study) else "")
                progress.update(task, status=f"{status}, failed {state['failures']}")

        try:
            study = run_explore(spec, folder, trials=trials, sampler=sampler, seed=seed,
                                workers=workers, storage_url=storage,
                                spec_base=spec_path.parent, on_trial=on_trial)
        except StudyError as error:
            _fail(EXIT_BAD_INPUT, str(error))
        from dse.study import finished_count, stop_reason

        designs = finished_count(study)
        progress.update(task, completed=min(designs, trials))
    stopped = stop_reason(study)  # cleared when a search starts: this search's
    if stopped:
        errors.print(f"note: {stopped}", markup=False, highlight=False, soft_wrap=True)
    checks = (verify_front(spec, study, count=verify,
                           options=CheckOptions(max_sim_cycles=max_sim_cycles, synth=synth,
                                                instances=verify_instances))
              if verify > 0 else [])
    payload = {"schema": "hwdse.explore/1", "study": spec.name, "run_dir": str(folder),
               "storage": "journal" if storage is None else "rdb",
               "trials": len(study.trials), "designs": designs, "stopped": stopped,
               "pareto": [
                   {"trial": t.number, "params": t.params, "values": t.values}
                   for t in pareto_trials(study)], "checks": [c.to_json() for c in checks]}
    if report_dir is not None:
        from dse.report import write_report

        write_report(spec, study, report_dir)
        payload["report"] = str(report_dir)
    if as_json:
        _print_json(payload)
    else:
        _print_front(spec, study, checks)
        if report_dir is not None:
            console.print(f"report: [bold]{report_dir}[/] (pareto.png, pareto.html, "
                          "trials.csv, summary.md)")
    if any(check.disagrees for check in checks):
        raise typer.Exit(EXIT_CHECK_FAILED)
    if not pareto_trials(study):
        _fail(EXIT_NO_FEASIBLE, _no_feasible_message(spec, study))


def _no_feasible_message(spec: Any, study: Any) -> str:
    from dse.fidelity import closest_design

    closest = closest_design(spec, study)
    if closest is None:
        return (f"no design was evaluated: all {len(study.trials)} trials failed (see "
                f"`hwdse report` for the reasons)")
    complete = sum(1 for t in study.trials if t.state.name == "COMPLETE")
    design = " ".join(f"{k}={v}" for k, v in closest.trial.params.items())
    misses = "; ".join(f"{metric} = {value:.4g}, budget {budget}"
                       for metric, value, budget in closest.misses) or "none"
    return (f"no feasible design in {complete} evaluated designs; the closest is trial "
            f"{closest.trial.number} ({design}), which misses: {misses}")


def _header(name: str) -> str:
    """A column header broken at its underscores, so long names take lines, not width."""
    return name.replace("_", "\n")


def _compact(value: float) -> str:
    """Four significant digits with an SI suffix from 10,000 up (260.8k, 1.099G)."""
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= 1e4 and abs(value) >= scale:
            return f"{value / scale:.4g}{suffix}"
    return f"{value:.4g}"


def _print_front(spec: Any, study: Any, checks: list[Any],
                 rows: int = 12) -> None:
    """The Pareto designs as a table that fits a terminal: one column per parameter that
    differs between the shown designs (the ones they share go under the table)."""
    from dse.fidelity import pareto_trials
    from dse.study import finished_count

    by_trial = {check.trial: check for check in checks}
    front = sorted(pareto_trials(study), key=lambda t: t.values)
    if not front:
        return  # the caller says why
    shown = [t for t in front if t.number in by_trial]
    shown += [t for t in front if t.number not in by_trial][:max(0, rows - len(shown))]
    shown.sort(key=lambda t: t.values)
    names = list(dict.fromkeys(name for t in shown for name in t.params))
    varying = [n for n in names if len({str(t.params.get(n, "")) for t in shown}) > 1]
    shared = [f"{n}={shown[0].params[n]}" for n in names
              if n not in varying and all(n in t.params for t in shown)]
    table = Table("trial", *map(_header, spec.objective_names), *map(_header, varying),
                  box=None, pad_edge=False, padding=(0, 1), caption_justify="left",
                  caption=f"{len(shown)} of {len(front)} Pareto designs "
                          f"({finished_count(study)} designs, {len(study.trials)} trials)"
                          + (f"; all with {', '.join(shared)}" if shared else ""))
    if checks:
        table.add_column("RTL check")
    for trial in shown:
        cells = [str(trial.number), *map(_compact, trial.values),
                 *(str(trial.params.get(n, "-")) for n in varying)]
        check = by_trial.get(trial.number)
        if checks:
            verdict = ""
            if check is not None:
                simulated = sum(1 for c in check.layers if c.agrees is not None)
                verdict = ("[red]DISAGREES[/]" if check.disagrees else
                           f"[green]agrees[/] {simulated}/{len(check.layers)}"
                           if simulated else "skipped (cycle limit)")
                if check.out_of_range:
                    verdict += " [yellow]outside model samples[/]"
            cells.append(verdict)
        table.add_row(*cells)
    console.print(table)
    for check in checks:
        if check.out_of_range:
            console.print(f"trial {check.trial}:{check.range_note}", highlight=False)


@app.command()
def report(
    spec_path: Annotated[Path, typer.Argument(help="Exploration spec (TOML).")],
    storage: StorageOption = None,
    run_dir: RunDirOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Report folder (default: <run folder>/report).")] = None,
    top: Annotated[int, typer.Option("--top", min=0,
                                     help="Pareto designs to emit Verilog for.")] = 5,
) -> None:
    """Write a report folder for a stored study.

    Trials as CSV / JSON, the Pareto front as PNG and HTML, the top designs' Verilog and a
    summary."""
    from dse.report import write_report
    from dse.study import StudyError, open_storage, open_study

    spec = _load_spec(spec_path)
    folder = _run_dir(spec, run_dir)
    if storage is None and not (folder / "study.journal").exists():
        _fail(EXIT_BAD_INPUT, f"no study in {folder} (run `hwdse explore` first)")
    _output_folder("--out", out or folder / "report")
    try:
        study = open_study(spec, open_storage(folder, storage), create=False)
    except StudyError as error:
        _fail(EXIT_BAD_INPUT, str(error))
    except KeyError:
        where = folder / "study.journal" if storage is None else storage
        _fail(EXIT_BAD_INPUT, f"no study named {spec.name!r} in {where} (run `hwdse explore "
                              f"{spec_path}` first)")
    files = write_report(spec, study, out or folder / "report", top=top)
    console.print(f"wrote {len(files)} files to [bold]{out or folder / 'report'}[/]")


@app.command()
def workload(
    source: Annotated[str, typer.Argument(
        help="hf:NAME, path/model.onnx, module.path:factory or transformer:NAME.")],
    input_shape: Annotated[str | None, typer.Option(
        "--input-shape", help="Input shape, e.g. 1,3,224,224.")] = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", help="prefill or decode (transformer: sources).")] = None,
    tokens: Annotated[int | None, typer.Option(
        "--tokens", help="Prompt tokens (prefill) or KV-cache tokens (decode).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a model as a workload and print its layers, total MACs and skipped operators.

    Identical layer shapes are shown once with their count."""
    from dse.workload import WorkloadError
    from dse.workload.sources import load_source

    shape = _int_list("--input-shape", input_shape) if input_shape is not None else None
    if phase is not None and source.startswith("transformer:") and tokens is None:
        _fail(EXIT_BAD_INPUT, "--phase needs --tokens")
    try:
        imported = load_source(source, input_shape=shape, phase=phase, tokens=tokens).merged()
    except WorkloadError as error:
        _fail(EXIT_BAD_INPUT, str(error))
    if as_json:
        _print_json(imported.to_json())
        return
    total = imported.total_macs
    table = Table(title=imported.source, caption=f"{len(imported.layers)} layer shapes, "
                  f"{sum(layer.count for layer in imported.layers)} layers, "
                  f"total {total:,} MACs")
    for column in ("layer", "op", "GEMM MxKxN", "batch", "count", "MACs", "share"):
        table.add_column(column, justify="left" if column in ("layer", "op") else "right")
    for layer in imported.layers:
        table.add_row(layer.name, layer.op, str(layer.gemm), str(layer.batch), str(layer.count),
                      f"{layer.macs:,}", f"{layer.macs / total:.1%}" if total else "-")
    console.print(table)
    console.print("MAC-free operators: " + (", ".join(
        f"{kind} {count}" for kind, count in imported.skipped_ops) or "none"))


@app.command("map")
def map_layers(
    family: Annotated[str, typer.Argument(help="Generator family or versioned name (accel).")],
    param: ParamOption = None,
    gemm: Annotated[str | None, typer.Option("--gemm", help="One GEMM MxKxN.")] = None,
    workload_source: Annotated[str | None, typer.Option(
        "--workload", help="A network, as `hwdse workload` takes it (hf:NAME, model.onnx, "
                           "module.path:factory, transformer:NAME).")] = None,
    input_shape: Annotated[str | None, typer.Option(
        "--input-shape", help="Input shape of --workload, e.g. 1,3,224,224.")] = None,
    phase: Annotated[str | None, typer.Option(
        "--phase", help="prefill or decode (transformer: workloads).")] = None,
    tokens: Annotated[int | None, typer.Option(
        "--tokens", help="Prompt or KV-cache tokens (transformer: workloads).")] = None,
    bandwidth: Annotated[int | None, typer.Option(
        "--bandwidth", help="DRAM bandwidth in bytes per cycle (default: the bus width).")
    ] = None,
    latency: Annotated[int | None, typer.Option(
        "--latency", help="DRAM latency in cycles (default 40).")] = None,
    objective: Annotated[str, typer.Option(
        "--objective", help="What each layer's mapping minimizes: cycles, dram, energy or "
                            "edp.")] = "cycles",
    bits: Annotated[int | None, typer.Option(
        "--bits", help="Precision every layer runs at (a bit-serial core; default: "
                       "max_bits).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Choose each layer's mapping (tiles, loop order) with the exact models: one row per
    layer and the network total."""
    import dataclasses

    from dse.mapping import map_layers as choose
    from dse.workload import Layer, WorkloadError
    from dse.workload.sources import cached_source
    from hw.family import UnknownGeneratorError
    from hw.params import ParamError

    params = _params(family, param)
    if (gemm is None) == (workload_source is None):
        _fail(EXIT_BAD_INPUT, "give one of `--gemm` MxKxN or `--workload` SOURCE")
    shape = _int_list("--input-shape", input_shape) if input_shape is not None else None
    try:
        if gemm is not None:
            layers: Any = [Layer(str(_parse_gemm(gemm)), _parse_gemm(gemm))]
        else:
            layers = cached_source(workload_source, input_shape=shape, phase=phase,
                                   tokens=tokens).merged().layers
        if bits is not None:
            params.check_bits(bits)
            layers = [dataclasses.replace(layer, gemm=dataclasses.replace(layer.gemm,
                                                                          bits=bits))
                      for layer in layers]
        mapped = choose(params, layers, bandwidth, latency, objective)
    except (ParamError, WorkloadError, UnknownGeneratorError) as error:
        _fail(EXIT_BAD_INPUT, str(error))
    payload = mapped.to_json(params)
    if as_json:
        _print_json(payload)
        return
    table = Table(title=f"{params.generator}, {mapped.bandwidth} B/cycle, latency "
                        f"{mapped.latency}, minimizing {objective}")
    for column in ("layer", "GEMM MxKxN", "x", "tiles", "order", "cycles", "DRAM bytes",
                   "/ bound", "energy uJ", "legal"):
        table.add_column(column, justify="left" if column in ("layer", "order") else "right")
    for row in payload["layers"]:
        table.add_row(row["name"], row["gemm"], str(row["repeat"]), row["mapping"]["tiles"],
                      row["mapping"]["order"], f"{row['cycles']:,}", f"{row['dram_bytes']:,}",
                      f"{row['bound_ratio']:.2f}", f"{row['energy_pj'] / 1e6:.4g}",
                      f"{row['legal_mappings']:,}")
    total = payload["total"]
    table.add_row("total", "", str(total["layers"]), "", "", f"{total['cycles']:,}",
                  f"{total['dram_bytes']:,}", f"{total['bound_ratio']:.2f}",
                  f"{total['energy_pj'] / 1e6:.4g}", f"{total['legal_mappings']:,}")
    console.print(table)


def main() -> None:
    app(prog_name="hwdse")


if __name__ == "__main__":
    main()
