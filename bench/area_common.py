"""Shared parts of the area-model benchmarks (``bench/area_<family>.py``): space-filling
samples of a family's whole sampled space, synthesis in parallel (cached per design by
``flows.synth``, so a rerun resumes), the fit, and its report.

The fit's samples are a Latin hypercube over every sampled parameter (each parameter's
range cut into as many strata as samples, one sample per stratum, strata paired at random;
seed recorded). The held-out samples are a fresh uniform random draw from the same space
with another seed, synthesized after the features were fixed and never fitted to.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import machine

from dse.models.area import (
    DEFAULT_TARGET,
    RESOURCES,
    AreaModel,
    AreaSample,
    build_model,
    data_file_name,
)
from dse.models.registry import area_features
from flows.synth import (
    FLOW_VERSION,
    YOSYS,
    flow_design,
    reusable,
    synth_key,
    synthesize,
)
from flows.targets import get_target, target_names
from flows.tools import ToolError, cache_root
from hw.params import Params
from hw.registry import get as get_generator

Describe = Callable[[Params], str]
#: unit coordinates (parameter name -> [0, 1)) -> a design of the sampled space
FromUnit = Callable[[Mapping[str, float]], Params]
REPOSITORY = Path(__file__).resolve().parent.parent
#: Targets of issue 21: LUT and FF held-out error.
TARGET_MEAN = 0.03
TARGET_MAX = 0.10
MIN_HELD_OUT = 30
#: How each FPGA target's Yosys cells are counted (``flows.targets``), for the reports.
CELL_COUNTING = {
    "ecp5-85k": "LUTs count LUT4 + 2 x CCU2C + 2 x TRELLIS_DPR16X4 (PFUMX / L6MUX21 are not "
                "counted); FFs count TRELLIS_FF.",
    "ecp5-85k-nowidelut": "LUTs count LUT4 + 2 x CCU2C + 2 x TRELLIS_DPR16X4 (the "
                          "script maps no PFUMX / L6MUX21); FFs count TRELLIS_FF.",
    "ecp5-85k-area": "LUTs count LUT4 + 2 x CCU2C + 2 x TRELLIS_DPR16X4 (PFUMX / L6MUX21 "
                     "are not counted); FFs count TRELLIS_FF.",
    "ice40-up5k": "LUTs (logic cells) count SB_LUT4 (an SB_CARRY shares a logic cell with "
                  "its LUT and is not counted); FFs count SB_DFF*; DSPs SB_MAC16; BRAMs "
                  "SB_RAM40_4K (the target's `synth_ice40 -dsp` never infers SPRAM).",
}


# --- sampling -------------------------------------------------------------------------


def latin_hypercube(axes: Sequence[str], count: int, seed: int) -> list[dict[str, float]]:
    """``count`` points in [0, 1) per axis, one in each of ``count`` strata of every axis."""
    rng = np.random.default_rng(seed)
    columns = {axis: (rng.permutation(count) + rng.random(count)) / count for axis in axes}
    return [{axis: float(columns[axis][i]) for axis in axes} for i in range(count)]


def uniform_draw(axes: Sequence[str], count: int, seed: int) -> list[dict[str, float]]:
    """``count`` independent uniform points in [0, 1) per axis."""
    rng = np.random.default_rng(seed)
    return [{axis: float(rng.random()) for axis in axes} for _ in range(count)]


def pick_int(u: float, low: int, high: int) -> int:
    """The integer of stratum ``u`` of ``low..high`` (each value equally likely)."""
    return low + min(int(u * (high - low + 1)), high - low)


def pick_log_int(u: float, low: int, high: int) -> int:
    """An integer of ``low..high`` uniform in its logarithm (depths, lane counts)."""
    value = math.exp(math.log(low) + u * (math.log(high + 1) - math.log(low)))
    return min(high, max(low, int(value)))


def pick(u: float, choices: Sequence[Any]) -> Any:
    return choices[min(int(u * len(choices)), len(choices) - 1)]


def distinct(designs: Sequence[Params], exclude: Sequence[Params] = ()) -> list[Params]:
    """``designs`` without repeats and without those in ``exclude``, in order."""
    seen = set(exclude)
    out = []
    for design in designs:
        if design not in seen:
            seen.add(design)
            out.append(design)
    return out


# --- synthesis ------------------------------------------------------------------------


def _synthesize_one(generator: str, values: dict[str, Any], target: str
                    ) -> dict[str, Any]:
    """One design in a worker process: the result's JSON, or the tool failure."""
    params = get_generator(generator).params_class.from_mapping(values)
    start = time.monotonic()
    try:
        result = synthesize(params, target, place=False)
    except ToolError as error:  # a tool crash is a failed sample, never a number
        tail = [line for line in error.log_tail.splitlines() if line.strip()]
        return {"error": str(error).splitlines()[0], "log_tail": tail[-3:]}
    return {"result": result.to_json(), "wall": time.monotonic() - start}


def is_cached(params: Params, target: str, place: bool = False) -> bool:
    """Whether ``flows.synth.synthesize(params, target, place=place)`` (the target's default
    clock, seed 1) has a cached result."""
    target_spec = get_target(target)
    design = flow_design(params, target_spec, place=place)
    key = synth_key(design, target_spec, target_spec.default_clock_mhz, 1, place)
    return reusable(cache_root() / "synth" / key)


def synthesize_all(configs: Sequence[Params], splits: Mapping[Params, str], target: str,
                   describe: Describe, jobs: int = 2
                   ) -> tuple[list[AreaSample], list[dict[str, Any]], dict[str, str]]:
    """Synthesize ``configs`` with ``jobs`` processes: samples (in order), failures, tools."""
    samples: dict[int, AreaSample] = {}
    failed: list[dict[str, Any]] = []
    tools: dict[str, str] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_synthesize_one, p.generator, p.to_dict(), target): i
                   for i, p in enumerate(configs)}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            index = futures[future]
            params = configs[index]
            outcome = future.result()
            if "error" in outcome:
                failed.append({"config": describe(params), "params": params.to_dict(),
                               "split": splits[params], "error": outcome["error"],
                               "log_tail": outcome["log_tail"]})
                print(f"[{done}/{len(configs)}] {describe(params)}: FAILED "
                      f"{outcome['error']}", flush=True)
                continue
            result = outcome["result"]
            tools = result["tools"]
            samples[index] = AreaSample(params, result["synthesized"], splits[params],
                                        cells=result["cells"],
                                        synth_seconds=result["seconds"]["synth"])
            print(f"[{done}/{len(configs)}] {describe(params)}: {result['synthesized']} "
                  f"({result['seconds']['synth']:.1f} s"
                  f"{', cached' if result['cached'] else ''}, {outcome['wall']:.1f} s wall)",
                  flush=True)
    return [samples[i] for i in sorted(samples)], failed, tools


# --- the benchmark --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AreaBenchmark:
    """What a family's area benchmark supplies to :func:`fit_and_report`."""

    name: str                      # "area_bitserial": result file stem
    generator: str
    anchors: Sequence[Params]      # corners of the space, always trained on
    axes: tuple[str, ...]          # the sampled parameters (unit coordinates)
    from_unit: FromUnit
    space: str                     # the sampled space, in words (ranges per parameter)
    describe: Describe
    features: Mapping[str, tuple[str, ...]]           # resource -> feature names
    legend: str
    notes: Sequence[str] = ()
    #: designs always trained on besides the corners (a family's own probes of a target)
    probes: Sequence[Params] = ()
    probes_text: str = ""          # what the probes are, in words, for the report
    #: (samples, target) -> (JSON, Markdown lines) of a family's own check
    extra: Callable[[Sequence[AreaSample], str], tuple[Any, list[str]]] | None = None
    #: the axes of the draws of a seed, where a later axis joined the space (default: axes)
    axes_of: Callable[[int], tuple[str, ...]] | None = None

    def seed_axes(self, seed: int) -> tuple[str, ...]:
        return self.axes if self.axes_of is None else self.axes_of(seed)


def area_arguments(doc: str | None, *, seed: int, samples: int, fresh: int
                   ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=seed,
                        help="seed of the Latin hypercube (the held-out draw uses seed + 1)")
    parser.add_argument("--samples", type=int, default=samples,
                        help="Latin-hypercube samples fitted to (besides the corners)")
    parser.add_argument("--fresh", type=int, default=fresh,
                        help="held-out designs: a fresh uniform random draw")
    parser.add_argument("--held-out-seed", type=int, default=None,
                        help="seed of the held-out draw (default: --seed + 1; a new one after "
                             "the features changed)")
    parser.add_argument("--more-held-out", type=int, action="append", default=[],
                        metavar="SEED",
                        help="also hold out the uniform draw of --fresh designs with SEED (a "
                             "second fresh draw, so that one draw's luck does not decide); "
                             "repeatable")
    parser.add_argument("--fit-draw", type=_seed_count, action="append", default=[],
                        metavar="SEED:COUNT",
                        help="also fit to the uniform draw of COUNT designs with SEED (an "
                             "earlier held-out draw, seen once the features changed); "
                             "repeatable")
    parser.add_argument("--jobs", type=int, default=2, help="synthesis processes")
    parser.add_argument("--recorded", action="store_true",
                        help="take the measurements of the designs the shipped data file "
                             "holds from it instead of synthesizing them again (it must "
                             "record this flow version and Yosys version); the first "
                             "--spot-check of them are synthesized again and must equal it")
    parser.add_argument("--spot-check", type=int, default=4, metavar="N",
                        help="recorded designs synthesized again with --recorded")
    parser.add_argument("--resynthesize", type=param_value, action="append", default=[],
                        metavar="NAME=VALUE",
                        help="with --recorded: synthesize the designs with this parameter "
                             "value again (their RTL changed since the data file; a JSON "
                             "value, e.g. signed=false); all given must match; repeatable")
    parser.add_argument("--resynthesize-changed", metavar="REVISION",
                        help="with --recorded: synthesize again the designs whose Verilog "
                             "differs from what the code at git REVISION emits (a generator "
                             "changed since their resources were recorded)")
    parser.add_argument("--recheck-only", action="store_true",
                        help="only synthesize again the designs the shipped fit recorded as "
                             "failed, and add the count to <out>/<name>.{json,md}")
    parser.add_argument("--target", default=DEFAULT_TARGET,
                        help="FPGA target; results go to <out>/<name>.{json,md} on "
                             f"{DEFAULT_TARGET}, <out>/<name>_<target>.{{json,md}} on others")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--data-dir", type=Path, default=REPOSITORY / "dse/models/data")
    return parser


def target_features(parser: argparse.ArgumentParser, target: str,
                    by_target: Mapping[str, Mapping[str, tuple[str, ...]]]
                    ) -> Mapping[str, tuple[str, ...]]:
    """The features of ``target`` (exit 2 naming the targets a family has features for)."""
    if target not in by_target:
        parser.error(f"--target must be one of {', '.join(by_target)}, not {target!r}")
    return by_target[target]


def _seed_count(text: str) -> tuple[int, int]:
    """``SEED:COUNT`` of ``--fit-draw``."""
    try:
        seed, count = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SEED:COUNT, not {text!r}") from None
    return seed, count


def _stats_cell(stats: Mapping[str, Any]) -> str:
    p95 = stats.get("p95")
    return (f"{stats['mean']:.2%} | {'-' if p95 is None else f'{p95:.2%}'} | "
            f"{stats['max']:.2%}")


def markdown(result: dict[str, Any], bench: AreaBenchmark) -> str:
    m = result["machine"]
    lines = [
        f"# Area model of {result['generator']} on {result['target']}", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1m']} at the end; "
        f"Python {m['python']}  ",
        f"Tools: yosys (YoWASP) {result['tools'].get('yosys', '?')}; flow version "
        f"{result['flow_version']}; `synthesize(params, '{result['target']}', place=False)` "
        f"(bare design), {result['jobs']} processes  ",
        f"Sampled space: {bench.space}  ",
        f"Fit: {result['train']} samples ({len(bench.anchors)} corners"
        f"{_probes_text(result, bench)} and a Latin hypercube of {result['lhs']} points, "
        f"seed {result['seed']}{_fit_draws_text(result)}); held out: "
        f"{result['held_out']} designs of {_held_out_text(result)}, "
        f"synthesized after the features were fixed  ",
        f"Synthesis: {result['synth_seconds_total']:.0f} s of Yosys in all (largest "
        f"{result['synth_seconds_max']:.0f} s, {result['slowest']}); wall time of this run "
        f"{result['wall_seconds']:.0f} s (cached designs take none); a full refit from "
        f"scratch takes the Yosys time over the processes plus {result['fit_seconds']:.2f} s "
        "for the fit", "",
        f"{CELL_COUNTING.get(result['target'], '')} Relative error: |predicted - measured| "
        "/ max(measured, 1).", "",
        f"## Relative error (target: LUT and FF held-out mean <= {TARGET_MEAN:.0%}, max <= "
        f"{TARGET_MAX:.0%}; DSP and BRAM exact)", "",
        "| resource | train mean | train p95 | train max | held-out mean | held-out p95 | "
        "held-out max |", "|---|---|---|---|---|---|---|",
    ]
    for resource, errors in result["errors"].items():
        lines.append(f"| {resource} | {_stats_cell(errors['train'])} | "
                     f"{_stats_cell(errors['held_out'])} |")
    lines += ["", result["verdict"], "", "## Synthesis", ""]
    lines += result["synthesis_lines"]
    lines += ["", "## Coverage (the out-of-range signal)", "",
              "An estimate names every parameter and feature outside these ranges "
              "(`AreaReport.out_of_range`).", "",
              "| parameter or feature | samples cover |", "|---|---|"]
    for name, covered in result["coverage"]["params"].items():
        lines.append(f"| {name} | {_covered(covered)} |")
    for name, (low, high) in result["coverage"]["features"].items():
        lines.append(f"| feature {name} | {low:g}..{high:g} |")
    lines += ["", "## Coefficients", "", "| resource | feature | coefficient |",
              "|---|---|---|"]
    for resource, coefficients in result["coefficients"].items():
        for name, value in coefficients.items():
            lines.append(f"| {resource} | {name} | {value:.4g} |")
    lines += ["", "## Held-out designs", "",
              "| config | LUT meas | LUT pred | err | FF meas | FF pred | err | DSP | BRAM |",
              "|---|---|---|---|---|---|---|---|---|"]
    for row in result["points"]:
        if row["split"] != "held_out":
            continue
        m_, p, e = row["measured"], row["predicted"], row["relative_error"]
        lines.append(f"| {row['config']} | {m_['lut']:.0f} | {p['lut']:.0f} | {e['lut']:.1%} "
                     f"| {m_['ff']:.0f} | {p['ff']:.0f} | {e['ff']:.1%} | "
                     f"{m_['dsp']:.0f} / {p['dsp']:.0f} | {m_['bram']:.0f} / {p['bram']:.0f} |")
    if result["failed"]:
        lines += ["", "## Failed syntheses (left out of the fit and the errors)", ""]
        lines += [f"- {f['config']} ({f['split']}): {f['error']}; log ends "
                  f"`{' / '.join(line.strip() for line in f['log_tail'])}`"
                  for f in result["failed"]]
    lines += result.get("extra_lines", [])
    if bench.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in bench.notes]]
    train_rows = [r for r in result["points"] if r["split"] == "train"]
    lines += ["", "Train points with the largest LUT / FF errors:", ""]
    for resource in ("lut", "ff"):
        worst = max(train_rows, key=lambda r: r["relative_error"][resource])
        lines.append(f"- {resource}: {worst['config']}: measured "
                     f"{worst['measured'][resource]:.0f}, predicted "
                     f"{worst['predicted'][resource]:.0f} "
                     f"({worst['relative_error'][resource]:.1%})")
    lines += ["", bench.legend]
    return "\n".join(lines) + "\n"


def _probes_text(result: Mapping[str, Any], bench: AreaBenchmark) -> str:
    count = result.get("probes", 0)
    return f", {count} probes ({bench.probes_text})" if count else ""


def _held_out_text(result: Mapping[str, Any]) -> str:
    """'a fresh uniform draw (seed 2162)', or with more held-out draws 'fresh uniform draws
    (seeds 2182, 2162)'."""
    seeds = [result["held_out_seed"], *result.get("more_held_out_seeds", [])]
    if len(seeds) == 1:
        return f"a fresh uniform draw (seed {seeds[0]})"
    return f"fresh uniform draws (seeds {', '.join(map(str, seeds))})"


def _fit_draws_text(result: Mapping[str, Any]) -> str:
    draws = result.get("fit_draws", [])
    return "".join(f"; {d['designs']} designs of the earlier uniform draw of {d['count']} "
                   f"(seed {d['seed']})" for d in draws)


def _covered(covered: Sequence[Any]) -> str:
    if len(covered) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool)
                                 for v in covered):
        return f"{covered[0]}..{covered[1]}"
    return ", ".join(map(repr, covered))


def point_rows(model: AreaModel, samples: Sequence[AreaSample], describe: Describe
               ) -> list[dict[str, Any]]:
    """Measured, predicted and relative error of each sample, with its split."""
    rows = []
    for sample in samples:
        report = model.estimate(sample.params)
        predicted = report.resources()
        rows.append({
            "config": describe(sample.params), "params": sample.params.to_dict(),
            "split": sample.split, "measured": dict(sample.measured),
            "predicted": {r: round(v, 1) for r, v in predicted.items()},
            "relative_error": {r: round(abs(predicted[r] - sample.measured[r])
                                        / max(sample.measured[r], 1.0), 4)
                               for r in RESOURCES},
            "out_of_range": list(report.out_of_range)})
    return rows


def _previous_failures(data_path: Path) -> tuple[int | None, list[dict[str, Any]], int]:
    """The flow version, failed designs and sample count recorded by the previous fit."""
    if not data_path.exists():
        return None, [], 0
    previous = json.loads(data_path.read_text())
    provenance = previous.get("provenance", {})
    return (provenance.get("flow_version"), list(provenance.get("failed_syntheses", [])),
            len(previous.get("samples", [])))


def param_value(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` as ``(name, value)``, the value read as JSON where it is JSON."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def params_key(params: Params) -> str:
    """``params`` as the key of a recorded measurement (its fields, sorted)."""
    return json.dumps(params.to_dict(), sort_keys=True)


def recorded_key(generator: str, values: Mapping[str, Any], base: Path | None = None) -> str:
    """The :func:`params_key` of parameters recorded as ``values`` (a field added since
    they were recorded takes its default; network files relative to folder ``base``)."""
    params_class = get_generator(generator).params_class
    if base is not None:
        values = params_class.paths_under(values, base)
    return params_key(params_class.from_mapping(values))


def recorded_split(designs: Sequence[Params], recorded: Mapping[str, Any],
                   changed: Mapping[str, Any], spot_check: int,
                   again: Collection[str] = ()) -> tuple[list[Params], list[Params]]:
    """For ``--recorded``: the designs whose measurement is taken from ``recorded`` (all it
    holds but those matching every ``changed`` parameter value, whose RTL changed, and those
    whose :func:`params_key` is in ``again``, measured from a wrong netlist), and the first
    ``spot_check`` of them, which are run again and must equal it."""
    taken = [p for p in designs if params_key(p) in recorded and params_key(p) not in again
             and not (changed and all(p.to_dict().get(k) == v for k, v in changed.items()))]
    return taken, taken[:max(0, spot_check)]


#: Run in a checkout (its root on ``sys.path``): reads ``[generator, [params dicts]]`` as
#: JSON on stdin, writes the SHA-256 of each design's emitted Verilog as a JSON list
_VERILOG_HASHES = """
import hashlib, json, sys
from flows.verilog import emit
from hw.registry import get
generator, rows = json.load(sys.stdin)
cls = get(generator).params_class
print(json.dumps([hashlib.sha256(emit(cls.from_mapping(row)).text.encode()).hexdigest()
                  for row in rows]))
"""


def _verilog_hashes(root: Path, generator: str, designs: Sequence[Params]) -> list[str]:
    """The SHA-256 of each design's Verilog as the code in checkout ``root`` emits it."""
    run = subprocess.run([sys.executable, "-c", _VERILOG_HASHES], cwd=root, check=True,
                         input=json.dumps([generator, [p.to_dict() for p in designs]]),
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(root)})
    return json.loads(run.stdout)


def rtl_changed_since(revision: str, designs: Sequence[Params]) -> set[str]:
    """The :func:`params_key` of each of ``designs`` whose Verilog differs from what the
    code at git ``revision`` emits for it (``--recorded`` runs measure those again: a
    result recorded before a change of the generator no longer describes them). Emitted
    in a temporary worktree of ``revision``.

    Raises:
        SystemExit: if ``revision`` is not a revision of this repository.
    """
    if not designs:
        return set()
    generator = designs[0].generator
    resolved = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
                              cwd=REPOSITORY, capture_output=True, text=True)
    if resolved.returncode:
        raise SystemExit(f"no git revision {revision!r} to compare the Verilog with "
                         f"({resolved.stderr.strip()})")
    # a revision's Verilog never changes: its hashes are kept per design
    memo_path = cache_root() / "verilog-hashes" / f"{resolved.stdout.strip()}.json"
    memo = json.loads(memo_path.read_text()) if memo_path.exists() else {}
    keys = [f"{generator}:{params_key(p)}" for p in designs]
    missing = [(p, key) for p, key in zip(designs, keys, strict=True) if key not in memo]
    if missing:
        hashes = _revision_hashes(revision, generator, [p for p, _ in missing])
        memo.update(zip([key for _, key in missing], hashes, strict=True))
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        memo_path.write_text(json.dumps(memo))
    before = [memo[key] for key in keys]
    now = _verilog_hashes(REPOSITORY, generator, designs)
    return {params_key(p) for p, old, new in zip(designs, before, now, strict=True)
            if old != new}


def _revision_hashes(revision: str, generator: str, designs: Sequence[Params]) -> list[str]:
    """:func:`_verilog_hashes` of ``designs`` as the code at git ``revision`` emits them, in
    a temporary worktree."""
    with tempfile.TemporaryDirectory() as tmp:
        checkout = Path(tmp) / "tree"
        added = subprocess.run(["git", "worktree", "add", "--detach", str(checkout),
                                revision], cwd=REPOSITORY, capture_output=True, text=True)
        if added.returncode:
            raise SystemExit(f"no git revision {revision!r} to compare the Verilog with "
                             f"({added.stderr.strip()})")
        try:
            return _verilog_hashes(checkout, generator, designs)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)],
                           cwd=REPOSITORY, capture_output=True)


def recorded_samples(data_path: Path) -> dict[str, dict[str, Any]]:
    """The samples of the shipped data file by their parameters, for ``--recorded``.

    Raises:
        SystemExit: if the file is missing, or recorded another flow version or Yosys.
    """
    if not data_path.exists():
        raise SystemExit(f"--recorded: no data file {data_path}")
    previous = json.loads(data_path.read_text())
    provenance = previous.get("provenance", {})
    yosys = YOSYS.version()
    if (provenance.get("flow_version") != FLOW_VERSION
            or provenance.get("tools", {}).get("yosys") != yosys):
        raise SystemExit(f"--recorded: {data_path} recorded flow version "
                         f"{provenance.get('flow_version')} and Yosys "
                         f"{provenance.get('tools', {}).get('yosys')}, this run uses "
                         f"{FLOW_VERSION} and {yosys}: synthesize again")
    return {recorded_key(previous["generator"], entry["params"], data_path.parent): entry
            for entry in previous.get("samples", [])}


def _verdict(errors: Mapping[str, Any]) -> str:
    misses = []
    held_out = errors["lut"]["held_out"]["count"]
    if held_out < MIN_HELD_OUT:
        misses.append(f"{held_out} held-out designs < {MIN_HELD_OUT}")
    for resource in ("lut", "ff"):
        held = errors[resource]["held_out"]
        if held["mean"] > TARGET_MEAN:
            misses.append(f"{resource} mean {held['mean']:.1%} > {TARGET_MEAN:.0%}")
        if held["max"] > TARGET_MAX:
            misses.append(f"{resource} max {held['max']:.1%} > {TARGET_MAX:.0%}")
    for resource in ("dsp", "bram"):
        if errors[resource]["held_out"]["max"] > 1e-6:
            misses.append(f"{resource} not exact (max {errors[resource]['held_out']['max']:.1%})")
    if misses:
        return "**Target missed** on the held-out designs: " + "; ".join(misses) + "."
    return (f"Target met on the held-out designs: LUT and FF mean within {TARGET_MEAN:.0%} "
            f"and max within {TARGET_MAX:.0%}; DSP and BRAM exact.")


def _recheck(args: argparse.Namespace, bench: AreaBenchmark, before_version: int | None,
             before_failed: list[dict[str, Any]], before_samples: int
             ) -> tuple[dict[str, Any], str]:
    """Synthesize again the designs an earlier flow version failed on: JSON and a line."""
    cls = get_generator(bench.generator).params_class
    again = distinct([cls.from_mapping(p) for p in before_failed])
    redone, still, _ = synthesize_all(again, dict.fromkeys(again, "recheck"), args.target,
                                      bench.describe, args.jobs)
    recheck = {"flow_version_before": before_version, "failed_before": len(again),
               "samples_before": before_samples, "synthesize_now": len(redone),
               "still_failing": [f["params"] for f in still],
               "designs": [{"config": bench.describe(s.params), "measured": dict(s.measured),
                            "synth_seconds": s.synth_seconds} for s in redone]}
    line = (f"Before (flow version {before_version}): {len(again)} of the previous fit's "
            f"sampled designs failed in Yosys ({before_samples} synthesized); under flow "
            f"version {FLOW_VERSION}, {len(redone)} of those {len(again)} synthesize.")
    return recheck, line


def result_stem(name: str, target: str) -> str:
    """``<name>`` on the default target, ``<name>_<target>`` on others."""
    return name if target == DEFAULT_TARGET else f"{name}_{target}"


def recheck_failures(args: argparse.Namespace, bench: AreaBenchmark,
                     before_version: int | None, before_failed: list[dict[str, Any]],
                     before_samples: int) -> None:
    """``--recheck-only``: add the before / after count to the existing results."""
    recheck, line = _recheck(args, bench, before_version, before_failed, before_samples)
    recheck["command"] = " ".join(["python", f"bench/{bench.name}.py", *sys.argv[1:]])
    recheck["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    recheck["machine"] = machine()
    path = args.out / f"{result_stem(bench.name, args.target)}.json"
    result = json.loads(path.read_text())
    result["recheck"] = recheck
    path.write_text(json.dumps(result, indent=1) + "\n")
    lines = ["", f"## Failed syntheses again under flow version {FLOW_VERSION} "
                 f"(`{recheck['command']}`, {recheck['date']})", "", line, "",
             "| config | LUT | FF | Yosys s |", "|---|---|---|---|"]
    lines += [f"| {d['config']} | {d['measured']['lut']:.0f} | {d['measured']['ff']:.0f} | "
              f"{d['synth_seconds']:.1f} |" for d in recheck["designs"]]
    markdown_path = args.out / f"{result_stem(bench.name, args.target)}.md"
    markdown_path.write_text(markdown_path.read_text() + "\n".join(lines) + "\n")
    print(line)


def fit_and_report(args: argparse.Namespace, bench: AreaBenchmark) -> None:
    """Synthesize the corners, a Latin hypercube of ``args.samples`` designs (fitted to) and
    ``args.fresh`` designs of a fresh random draw (held out), fit the family's model, and
    write its data file and ``<out>/<name>.{json,md}``."""
    start = time.monotonic()
    data_path = args.data_dir / data_file_name(bench.generator, args.target)
    before_version, before_failed, before_samples = _previous_failures(data_path)
    if args.recheck_only:
        recheck_failures(args, bench, before_version, before_failed, before_samples)
        return
    lhs = distinct([bench.from_unit(u) for u in
                    latin_hypercube(bench.seed_axes(args.seed), args.samples, args.seed)],
                   bench.anchors)
    lhs = distinct(lhs, bench.probes)
    train = list(bench.anchors) + list(bench.probes) + lhs
    fit_draws = []
    for seed, count in getattr(args, "fit_draw", []):
        drawn = distinct([bench.from_unit(u) for u in uniform_draw(bench.seed_axes(seed), count,
                                                                  seed)],
                         train)
        fit_draws.append({"seed": seed, "count": count, "designs": len(drawn)})
        train += drawn
    held_seed = args.seed + 1 if args.held_out_seed is None else args.held_out_seed
    more_held = list(getattr(args, "more_held_out", []))
    fresh: list[Params] = []
    for seed in [held_seed, *more_held]:
        fresh += distinct([bench.from_unit(u) for u in
                           uniform_draw(bench.seed_axes(seed), args.fresh, seed)],
                          train + fresh)
    splits = {**dict.fromkeys(train, "train"), **dict.fromkeys(fresh, "held_out")}
    recorded: dict[str, dict[str, Any]] = {}
    if getattr(args, "recorded", False):
        recorded = recorded_samples(data_path)
    designs = train + fresh
    changed = dict(getattr(args, "resynthesize", []))
    rtl_changed: set[str] = set()
    if recorded and getattr(args, "resynthesize_changed", None):
        rtl_changed = rtl_changed_since(
            args.resynthesize_changed, [p for p in designs if params_key(p) in recorded])
    taken, checked = recorded_split(designs, recorded, changed, args.spot_check, rtl_changed)
    to_synthesize = [p for p in designs if p not in taken or p in checked]
    synthesized, failed, tools = synthesize_all(to_synthesize, splits, args.target,
                                                bench.describe, args.jobs)
    by_params = {s.params: s for s in synthesized}
    for params in checked:
        sample = by_params.get(params)
        if sample is None or dict(sample.measured) != recorded[params_key(params)]["measured"]:
            raise SystemExit(f"--recorded: {bench.describe(params)} synthesized again gives "
                             f"{sample and dict(sample.measured)}, the data file "
                             f"{recorded[params_key(params)]['measured']}: not reusable")
    for params in taken:
        if params not in by_params:
            entry = recorded[params_key(params)]
            by_params[params] = AreaSample(params, entry["measured"], splits[params],
                                           cells=entry.get("cells", {}),
                                           synth_seconds=entry.get("synth_seconds"))
    samples = [by_params[p] for p in designs if p in by_params]
    synthesis_lines = [f"{len(samples)} of {len(train) + len(fresh)} sampled designs "
                       f"synthesized ({len(failed)} failed) under flow version {FLOW_VERSION}."]
    if recorded:
        tools = tools or {"yosys": YOSYS.version()}
        synthesis_lines.append(
            f"With --recorded: {len(taken) - len(checked)} designs' measurements (and their "
            f"recorded Yosys seconds) were taken from the shipped data file, whose fit "
            f"recorded them under this flow version and Yosys; {len(checked)} of them were "
            f"synthesized again and gave the same resources; "
            f"{len(to_synthesize) - len(checked)} were synthesized in this run"
            + (f" (those with {', '.join(f'{k} = {v!r}' for k, v in changed.items())} "
               "again: their RTL changed)" if changed else "")
            + (f" ({len(rtl_changed)} of them again: their Verilog differs from what "
               f"git {args.resynthesize_changed} emits)" if rtl_changed else "") + ".")
    recheck: dict[str, Any] = {}
    if before_failed and before_version != FLOW_VERSION:
        recheck, line = _recheck(args, bench, before_version, before_failed, before_samples)
        synthesis_lines.append(line)

    provenance = {
        "command": " ".join(["python", f"bench/{bench.name}.py", *sys.argv[1:]]),
        "flow": f"flows.synth.synthesize(params, {args.target!r}, place=False)",
        "flow_version": FLOW_VERSION, "tools": tools, "seed": args.seed,
        "sampling": "corners + "
                    + (f"{len(bench.probes)} probes + " if bench.probes else "")
                    + f"Latin hypercube of {args.samples} (seed {args.seed})"
                    + "".join(f" + uniform draw of {d['count']} (seed {d['seed']})"
                              for d in fit_draws)
                    + f"; held out: uniform draw of {args.fresh} (seed {held_seed})"
                    + "".join(f" + uniform draw of {args.fresh} (seed {seed})"
                              for seed in more_held),
        "space": bench.space,
        "fit": "nonnegative least squares on relative error, train samples only",
        "failed_syntheses": [f["params"] for f in failed],
    }
    feature_fn = area_features(bench.generator)
    fit_start = time.monotonic()
    model = build_model(bench.generator, args.target, samples, bench.features, provenance,
                        feature_fn)
    fit_seconds = time.monotonic() - fit_start
    data_path.write_text(json.dumps(model.to_json(samples, data_path.parent), indent=1)
                         + "\n")
    errors = {r: {"train": m.train_error.to_json(), "held_out": m.held_out_error.to_json()}
              for r, m in model.resources.items()}
    seconds = [s.synth_seconds or 0.0 for s in samples]
    slowest = samples[seconds.index(max(seconds))]
    result: dict[str, Any] = {
        "benchmark": bench.name, "generator": bench.generator, "target": args.target,
        "command": provenance["command"], "machine": machine(), "tools": tools,
        "flow_version": FLOW_VERSION, "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                             time.gmtime()),
        "seed": args.seed, "held_out_seed": held_seed, "more_held_out_seeds": more_held,
        "jobs": args.jobs,
        "space": bench.space,
        "lhs": len(lhs), "probes": len(bench.probes), "fit_draws": fit_draws,
        "train": sum(s.split == "train" for s in samples),
        "held_out": sum(s.split == "held_out" for s in samples),
        "synth_seconds_total": round(sum(seconds), 1), "synth_seconds_max": max(seconds),
        "slowest": bench.describe(slowest.params),
        "wall_seconds": round(time.monotonic() - start, 1),
        "fit_seconds": round(fit_seconds, 3), "errors": errors,
        "verdict": _verdict(errors), "synthesis_lines": synthesis_lines, "recheck": recheck,
        "coverage": model.coverage.to_json() if model.coverage else {},
        "coefficients": {r: dict(zip(m.fit.features, m.fit.coefficients, strict=True))
                         for r, m in model.resources.items()},
        "failed": failed, "points": point_rows(model, samples, bench.describe),
        "data_file": data_file_name(bench.generator, args.target),
    }
    if bench.extra is not None:
        result["extra"], result["extra_lines"] = bench.extra(samples, args.target)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = result_stem(bench.name, args.target)
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result, bench))
    print(json.dumps({"errors": errors, "verdict": result["verdict"]}, indent=1))


# --- sweeps beside the fits (bench/area_jitter.py, bench/area_slice_mux.py) ------------


def sweep_result(benchmark: str, generator: str, target: str) -> dict[str, Any]:
    """The head of a synthesis sweep's results: what ran, where, with which tools, when."""
    return {"benchmark": benchmark, "generator": generator, "target": target,
            "command": " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]]),
            "machine": machine(), "flow_version": FLOW_VERSION,
            "tools": {"yosys": YOSYS.version()},
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def sweep_header(result: Mapping[str, Any], title: str, fit_bench: str) -> list[str]:
    """The report's title, command, machine, tools and wall time (``fit_bench``: the area
    benchmark whose synthesis the sweep repeats)."""
    m = result["machine"]
    return [
        f"# {title}", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1m']} at the end; "
        f"Python {m['python']}  ",
        f"Tools: yosys (YoWASP) {result['tools']['yosys']}; flow version "
        f"{result['flow_version']}; `synthesize(params, '{result['target']}', place=False)` "
        f"(bare design, as `bench/{fit_bench}.py`)  ",
        f"Wall time: {result['wall_seconds']:.0f} s (cached designs take none)", ""]


def write_sweep(out: Path, result: Mapping[str, Any], markdown: str) -> None:
    """``<out>/<benchmark>.{json,md}``, and the report on standard output."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{result['benchmark']}.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / f"{result['benchmark']}.md").write_text(markdown)
    print(markdown)


def lut_spread(luts: Sequence[float]) -> dict[str, float]:
    """The LUT counts of designs a model cannot tell apart: mean, min, max, spread
    ((max - min) / mean) and mean absolute deviation from the mean (over the mean)."""
    values = np.asarray(luts, dtype=float)
    mean = float(values.mean())
    return {"lut_mean": mean, "lut_min": float(values.min()), "lut_max": float(values.max()),
            "spread": float((values.max() - values.min()) / mean),
            "mean_abs_deviation": float(np.abs(values - mean).mean() / mean)}


def estimate_range(estimates: Sequence[float]) -> str:
    """A sweep's model estimates as one number, or ``min..max`` where they differ."""
    values = sorted({round(v) for v in estimates})
    return f"{values[0]:.0f}" if len(values) == 1 else f"{values[0]:.0f}..{values[-1]:.0f}"


def sweep_failures(result: Mapping[str, Any]) -> list[str]:
    """The report's line naming the designs Yosys failed on (none: no line)."""
    if not result["failed"]:
        return []
    return ["", f"{len(result['failed'])} designs failed in Yosys: "
            + ", ".join(f["config"] for f in result["failed"])]


def sweep_arguments(doc: str | None, target: str | None = None,
                    extend: Callable[[argparse.ArgumentParser], None] | None = None
                    ) -> argparse.Namespace:
    """A sweep's command line: ``--jobs`` synthesis processes and the ``--out`` folder, and
    with a default ``target``, ``--target`` (one of the FPGA targets); ``extend`` adds a
    sweep's own options."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    if extend is not None:
        extend(parser)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    if target is not None:
        parser.add_argument("--target", default=target, choices=target_names(),
                            help=f"synthesis target (default {target})")
    return parser.parse_args()
