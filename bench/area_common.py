"""Shared parts of the area-model benchmarks (``bench/area_<family>.py``): synthesize
sampled configurations one after the other, and tabulate predictions against them."""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from common import machine

from dse.models.area import (
    RESOURCES,
    AreaModel,
    AreaSample,
    build_model,
    data_file_name,
    relative_errors,
)
from dse.models.registry import area_features
from flows.synth import FLOW_VERSION, synthesize
from flows.tools import ToolError
from hw.params import Params

Describe = Callable[[Params], str]
REPOSITORY = Path(__file__).resolve().parent.parent


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
                               for r in RESOURCES}})
    return rows


def synthesize_all(configs: Sequence[Params], splits: dict[Any, str], target: str,
                   describe: Describe
                   ) -> tuple[list[AreaSample], list[dict[str, Any]], dict[str, str]]:
    """Synthesize ``configs`` one after the other: samples, failures, tool versions."""
    samples: list[AreaSample] = []
    failed: list[dict[str, Any]] = []
    tools: dict[str, str] = {}
    for index, params in enumerate(configs):
        start = time.monotonic()
        try:
            result = synthesize(params, target, place=False)
        except ToolError as error:  # a tool crash is a failed sample, never a number
            tail = [line for line in error.log_tail.splitlines() if line.strip()]
            failed.append({"config": describe(params), "params": params.to_dict(),
                           "split": splits[params], "error": str(error).splitlines()[0],
                           "log_tail": tail[-3:]})
            print(f"[{index + 1}/{len(configs)}] {describe(params)}: FAILED {error}",
                  flush=True)
            continue
        tools = result.tools
        samples.append(AreaSample(params, result.synthesized, splits[params],
                                  cells=result.cells, synth_seconds=result.seconds["synth"]))
        print(f"[{index + 1}/{len(configs)}] {describe(params)}: {result.synthesized} "
              f"({result.seconds['synth']:.1f} s{', cached' if result.cached else ''}, "
              f"{time.monotonic() - start:.1f} s wall)", flush=True)
    return samples, failed, tools


@dataclasses.dataclass(frozen=True)
class AreaBenchmark:
    """What a family's area benchmark supplies to :func:`fit_and_report`."""

    name: str                      # "area_bitserial": result file stem
    generator: str
    anchors: Sequence[Params]      # corners, always trained on
    sample_configs: Callable[[int, int], list[Any]]   # (seed, count) -> distinct configs
    describe: Describe
    features: Mapping[str, tuple[str, ...]]           # resource -> feature names
    legend: str
    target_error: float = 0.10


def area_arguments(doc: str | None, *, seed: int, samples: int, fresh: int
                   ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--samples", type=int, default=samples)
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--fresh", type=int, default=fresh)
    parser.add_argument("--target", default="ecp5-85k")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--data-dir", type=Path, default=REPOSITORY / "dse/models/data")
    return parser


def markdown(result: dict[str, Any], legend: str) -> str:
    lines = [
        f"# Area model of {result['generator']} on {result['target']}", "",
        f"Command: `{result['command']}`  ",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
        f"load {result['machine']['load_average_1m']} at the end; "
        f"Python {result['machine']['python']}  ",
        f"Tools: yosys (YoWASP) {result['tools'].get('yosys', '?')}; flow version "
        f"{result['flow_version']}; `synthesize(params, '{result['target']}', place=False)`  ",
        f"Samples: {result['samples']} ({result['train']} train, {result['held_out']} held "
        f"out, seed {result['seed']}) and {result['fresh']} fresh ones; synthesis "
        f"{result['synth_seconds_total']:.0f} s in all (sequential)", "",
        "LUTs count LUT4 + 2 x CCU2C (PFUMX / L6MUX21 are not counted); FFs count "
        "TRELLIS_FF. Relative error: |predicted - measured| / max(measured, 1).", "",
        "| resource | train mean | train max | held-out mean | held-out max | fresh mean | "
        "fresh max |", "|---|---|---|---|---|---|---|",
    ]
    for resource, errors in result["errors"].items():
        train, held = errors["train"], errors["held_out"]
        fresh = result["fresh_errors"][resource]
        lines.append(f"| {resource} | {train['mean']:.2%} | {train['max']:.2%} | "
                     f"{held['mean']:.2%} | {held['max']:.2%} | {fresh['mean']:.2%} | "
                     f"{fresh['max']:.2%} |")
    lines += ["", result["verdict"], "", "## Coefficients", "",
              "| resource | feature | coefficient |", "|---|---|---|"]
    for resource, coefficients in result["coefficients"].items():
        for name, value in coefficients.items():
            lines.append(f"| {resource} | {name} | {value:.4g} |")
    lines += ["", "## Held-out and fresh points", "",
              "| config | LUT meas | LUT pred | err | FF meas | FF pred | err |",
              "|---|---|---|---|---|---|---|"]
    shown = [r for r in result["points"] if r["split"] == "held_out"]
    shown += [{**r, "config": r["config"] + " (fresh)"} for r in result["fresh_points"]]
    for row in shown:
        m, p, e = row["measured"], row["predicted"], row["relative_error"]
        lines.append(f"| {row['config']} | {m['lut']:.0f} | {p['lut']:.0f} | {e['lut']:.1%} | "
                     f"{m['ff']:.0f} | {p['ff']:.0f} | {e['ff']:.1%} |")
    if result["failed"]:
        lines += ["", "## Failed syntheses (left out)", ""]
        lines += [f"- {f['config']}: {f['error']}" for f in result["failed"]]
    lines += ["", legend]
    return "\n".join(lines) + "\n"


def fit_and_report(args: argparse.Namespace, bench: AreaBenchmark) -> None:
    """Synthesize anchors and ``args.samples`` random configurations, hold out a seeded
    share, fit the family's model on the rest, check ``args.fresh`` configurations of
    another seed, and write the model's data file and ``<out>/<name>.{json,md}``."""
    randoms = bench.sample_configs(args.seed, args.samples)
    order = list(randoms)
    random.Random(args.seed + 1).shuffle(order)
    held = round(args.held_out * len(order))
    splits: dict[Any, str] = {p: ("held_out" if i < held else "train")
                              for i, p in enumerate(order)}
    splits.update(dict.fromkeys(bench.anchors, "train"))
    samples, failed, tools = synthesize_all(list(bench.anchors) + randoms, splits,
                                            args.target, bench.describe)
    fresh_configs = [p for p in bench.sample_configs(args.seed + 2, args.fresh)
                     if p not in splits]
    fresh, fresh_failed, _ = synthesize_all(
        fresh_configs, dict.fromkeys(fresh_configs, "held_out"), args.target, bench.describe)
    failed += fresh_failed

    provenance = {
        "command": " ".join(["python", f"bench/{bench.name}.py", *sys.argv[1:]]),
        "flow": f"flows.synth.synthesize(params, {args.target!r}, place=False)",
        "flow_version": FLOW_VERSION, "tools": tools, "seed": args.seed,
        "samples": args.samples, "held_out_fraction": args.held_out,
        "fit": "nonnegative least squares on relative error, train samples only",
        "failed_syntheses": [f["params"] for f in failed],
    }
    model = build_model(bench.generator, args.target, samples, bench.features, provenance,
                        area_features(bench.generator))
    (args.data_dir / data_file_name(bench.generator, args.target)).write_text(
        json.dumps(model.to_json(samples), indent=1) + "\n")
    errors = {r: {"train": m.train_error.to_json(), "held_out": m.held_out_error.to_json()}
              for r, m in model.resources.items()}
    feature_fn = area_features(bench.generator)
    fresh_errors = {r: relative_errors(m.fit, feature_fn, r, fresh, args.target).to_json()
                    for r, m in model.resources.items()}
    misses = [r for r in ("lut", "ff")
              if model.resources[r].held_out_error.mean > bench.target_error]
    verdict = (f"**Target missed**: mean held-out error above {bench.target_error:.0%} for "
               f"{', '.join(misses)}." if misses else
               f"Held-out LUT and FF mean errors are within {bench.target_error:.0%}.")
    seconds = [s.synth_seconds or 0.0 for s in samples + fresh]
    result = {
        "benchmark": bench.name, "generator": bench.generator, "target": args.target,
        "command": provenance["command"], "machine": machine(), "tools": tools,
        "flow_version": FLOW_VERSION, "date": time.strftime("%Y-%m-%d"), "seed": args.seed,
        "samples": len(samples), "train": sum(s.split == "train" for s in samples),
        "held_out": sum(s.split == "held_out" for s in samples), "fresh": len(fresh),
        "synth_seconds_total": round(sum(seconds), 1), "errors": errors,
        "fresh_errors": fresh_errors, "verdict": verdict,
        "coefficients": {r: dict(zip(m.fit.features, m.fit.coefficients, strict=True))
                         for r, m in model.resources.items()},
        "failed": failed, "points": point_rows(model, samples, bench.describe),
        "fresh_points": point_rows(model, fresh, bench.describe),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{bench.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{bench.name}.md").write_text(markdown(result, bench.legend))
    print(json.dumps({"errors": errors, "fresh_errors": fresh_errors, "verdict": verdict},
                     indent=1))
