"""Benchmark: fit the analytic area model of ``bitserial-v1`` on ECP5 to real synthesis of
sampled configurations and measure its error on held-out and fresh ones.

Run: ``python bench/area_bitserial.py [--seed 7] [--samples 40] [--out bench/results]``

Samples ``--samples`` random distinct configurations (rows and cols 1..4, lanes 1..16 with
at most 64 lanes in all, max_bits 1..16, parallel width 2..16, either serial operand,
both signednesses, accumulator width from its minimum to 16 bits more, scales off or 1..8
bits) plus two corners, synthesizes each with ``flows.synth.synthesize(params, target,
place=False)`` (Yosys only, bare design; cached under ``$HWDSE_CACHE``), holds out
``--held-out`` of the random ones (seeded), fits ``dse.models.area.bitserial_features`` on
the rest, checks ``--fresh`` configurations from another seed, and writes
``dse/models/data/area_bitserial-v1_<target>.json`` and ``<out>/area_bitserial.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from area_common import point_rows, synthesize_all
from common import machine

from dse.models.area import build_model, data_file_name, feature_function, relative_errors
from flows.synth import FLOW_VERSION
from hw.bitserial import BitSerialParams
from hw.params import Params

GENERATOR = "bitserial-v1"
TARGET_ERROR = 0.10
REPOSITORY = Path(__file__).resolve().parent.parent

#: Features per resource (names from ``dse.models.area.bitserial_features``).
RESOURCE_FEATURES: dict[str, tuple[str, ...]] = {
    "lut": ("one", "pes", "select_bits", "tree_bits", "negate_bits", "acc_bits",
            "drain_bits", "dequant_bits", "scale_bits"),
    "ff": ("one", "pes", "acc_bits", "dequant_bits", "beat_bits", "scale_bits"),
    "dsp": ("one",),
    "bram": ("one",),
}


def anchors() -> list[BitSerialParams]:
    """Corners of the sampled space, always trained on."""
    return [
        BitSerialParams(rows=1, cols=1, lanes=1, max_bits=1, parallel_width=2, acc_width=3,
                        signed=False),
        BitSerialParams(rows=4, cols=4, lanes=4, max_bits=16, parallel_width=16,
                        acc_width=48, scale_width=8),
    ]


def sample_configs(seed: int, count: int) -> list[BitSerialParams]:
    """``count`` random distinct configurations (not the anchors)."""
    rng = random.Random(seed)
    seen = set(anchors())
    out: list[BitSerialParams] = []
    while len(out) < count:
        rows, cols = rng.randint(1, 4), rng.randint(1, 4)
        lanes = rng.choice([x for x in (1, 2, 4, 8, 16) if rows * cols * x <= 64])
        max_bits, width = rng.randint(1, 16), rng.randint(2, 16)
        params = BitSerialParams(
            rows=rows, cols=cols, lanes=lanes, max_bits=max_bits, parallel_width=width,
            serial=rng.choice(("weights", "activations")), signed=rng.random() < 0.5,
            acc_width=min(64, max_bits + width + rng.randint(0, 16)),
            scale_width=0 if rng.random() < 0.5 else rng.randint(1, 8))
        if params not in seen:
            seen.add(params)
            out.append(params)
    return out


def describe(params: Params) -> str:
    assert isinstance(params, BitSerialParams)
    return (f"{params.rows}x{params.cols}x{params.lanes} {params.serial[0]} "
            f"b{params.max_bits} w{params.parallel_width} acc{params.acc_width} "
            f"{'s' if params.signed else 'u'} sc{params.scale_width}")


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Area model of bitserial-v1 on " + result["target"], "",
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
    lines += ["", "Config: rows x cols x lanes, serial operand (w / a), max bits, parallel "
              "width, accumulator width, signedness, scale width."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--held-out", type=float, default=0.2)
    parser.add_argument("--fresh", type=int, default=8)
    parser.add_argument("--target", default="ecp5-85k")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--data-dir", type=Path, default=REPOSITORY / "dse/models/data")
    args = parser.parse_args()

    randoms = sample_configs(args.seed, args.samples)
    order = list(randoms)
    random.Random(args.seed + 1).shuffle(order)
    held = round(args.held_out * len(order))
    splits: dict[Any, str] = {p: ("held_out" if i < held else "train")
                              for i, p in enumerate(order)}
    splits.update(dict.fromkeys(anchors(), "train"))
    samples, failed, tools = synthesize_all(anchors() + randoms, splits, args.target, describe)
    fresh_configs = [p for p in sample_configs(args.seed + 2, args.fresh) if p not in splits]
    fresh, fresh_failed, _ = synthesize_all(
        fresh_configs, dict.fromkeys(fresh_configs, "held_out"), args.target, describe)
    failed += fresh_failed

    provenance = {
        "command": " ".join(["python", "bench/area_bitserial.py", *sys.argv[1:]]),
        "flow": f"flows.synth.synthesize(params, {args.target!r}, place=False)",
        "flow_version": FLOW_VERSION, "tools": tools, "seed": args.seed,
        "samples": args.samples, "held_out_fraction": args.held_out,
        "fit": "nonnegative least squares on relative error, train samples only",
        "failed_syntheses": [f["params"] for f in failed],
    }
    model = build_model(GENERATOR, args.target, samples, RESOURCE_FEATURES, provenance)
    (args.data_dir / data_file_name(GENERATOR, args.target)).write_text(
        json.dumps(model.to_json(samples), indent=1) + "\n")
    errors = {r: {"train": m.train_error.to_json(), "held_out": m.held_out_error.to_json()}
              for r, m in model.resources.items()}
    feature_fn = feature_function(GENERATOR)
    fresh_errors = {r: relative_errors(m.fit, feature_fn, r, fresh, args.target).to_json()
                    for r, m in model.resources.items()}
    misses = [r for r in ("lut", "ff") if model.resources[r].held_out_error.mean > TARGET_ERROR]
    verdict = (f"**Target missed**: mean held-out error above {TARGET_ERROR:.0%} for "
               f"{', '.join(misses)}." if misses else
               f"Held-out LUT and FF mean errors are within {TARGET_ERROR:.0%}.")
    seconds = [s.synth_seconds or 0.0 for s in samples + fresh]
    result = {
        "benchmark": "area_bitserial", "generator": GENERATOR, "target": args.target,
        "command": provenance["command"], "machine": machine(), "tools": tools,
        "flow_version": FLOW_VERSION, "date": time.strftime("%Y-%m-%d"), "seed": args.seed,
        "samples": len(samples), "train": sum(s.split == "train" for s in samples),
        "held_out": sum(s.split == "held_out" for s in samples), "fresh": len(fresh),
        "synth_seconds_total": round(sum(seconds), 1), "errors": errors,
        "fresh_errors": fresh_errors, "verdict": verdict,
        "coefficients": {r: dict(zip(m.fit.features, m.fit.coefficients, strict=True))
                         for r, m in model.resources.items()},
        "failed": failed, "points": point_rows(model, samples, describe),
        "fresh_points": point_rows(model, fresh, describe),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "area_bitserial.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "area_bitserial.md").write_text(markdown(result))
    print(json.dumps({"errors": errors, "fresh_errors": fresh_errors, "verdict": verdict},
                     indent=1))


if __name__ == "__main__":
    main()
