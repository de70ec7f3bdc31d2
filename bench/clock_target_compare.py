"""Benchmark: Fmax and placed LUTs of a family's clock samples on another target of the same
device, against the values recorded on the target their clock model was placed on.

A seeded random pick of ``--count`` designs of ``bench/results/clock_<family>.json`` (among
those whose recorded synthesis, packing and place-and-route took at most ``--max-seconds``
in all) is synthesized and placed on ``--target`` (``flows.synth.synthesize``: the IO
shim, nextpnr seed 1, the target's default clock), e.g. ``ecp5-85k-area`` (LUTs mapped to
the clock constraint) against the recorded ``ecp5-85k`` placements. Writes
``<out>/clock_<family>_on_<target>.{json,md}``.

    python bench/clock_target_compare.py qmlp --target ecp5-85k-area [--count 8] [--seed 26]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import machine

from flows.synth import synthesize
from flows.targets import get_target
from hw.registry import get as get_generator


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", help="family whose clock samples are placed, e.g. qmlp")
    parser.add_argument("--target", required=True, help="the target to place them on")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="only designs whose recorded tool time is at most this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    return parser.parse_args()


def _place_one(generator: str, values: dict[str, Any], target: str) -> dict[str, Any]:
    params = get_generator(generator).params_class.from_mapping(values)
    result = synthesize(params, target)
    return {"fmax_mhz": result.fmax_mhz, "lut": result.resources["lut"].used,
            "seconds": result.seconds, "notes": list(result.notes)}


def main() -> None:
    args = arguments()
    get_target(args.target)  # an unknown target fails here, naming the valid ones
    start = time.monotonic()
    recorded = json.loads((args.out / f"clock_{args.family}.json").read_text())
    quick = [p for p in recorded["points"] if p.get("fmax_mhz") and p.get("seconds")
             and sum(p["seconds"].values()) <= args.max_seconds]
    picked = random.Random(args.seed).sample(quick, min(args.count, len(quick)))
    generator = recorded["generator"]
    rows = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = pool.map(_place_one, [generator] * len(picked),
                            [p["params"] for p in picked], [args.target] * len(picked))
        for point, outcome in zip(picked, outcomes, strict=True):
            rows.append({"config": point["config"], "params": point["params"],
                         "recorded_mhz": point["fmax_mhz"], "recorded_lut": point.get("lut"),
                         "mhz": outcome["fmax_mhz"], "lut": outcome["lut"],
                         "notes": outcome["notes"]})
            print(f"{point['config']}: {point['fmax_mhz']} -> {outcome['fmax_mhz']} MHz",
                  flush=True)
    change = np.array([r["mhz"] / r["recorded_mhz"] - 1 for r in rows if r["mhz"]])
    lut_change = np.array([r["lut"] / r["recorded_lut"] - 1 for r in rows
                           if r["recorded_lut"]])
    result = {
        "benchmark": "clock_target_compare", "family": args.family, "generator": generator,
        "target": args.target, "recorded_target": recorded["target"],
        "command": "python bench/clock_target_compare.py " + " ".join(
            [args.family, "--target", args.target, "--count", str(args.count), "--seed",
             str(args.seed), "--max-seconds", f"{args.max_seconds:g}"]),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_seconds": round(time.monotonic() - start, 1),
        "eligible": len(quick), "rows": rows,
        "fmax_change": {"mean": float(change.mean()), "min": float(change.min()),
                        "max": float(change.max()), "median": float(np.median(change))},
        "placed_lut_change": {"mean": float(lut_change.mean()), "min": float(lut_change.min()),
                              "max": float(lut_change.max())},
    }
    stem = f"clock_{args.family}_on_{args.target}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"# Fmax of {generator} clock samples on {args.target} against "
             f"{recorded['target']}", "",
             f"Command: `{result['command']}` ({result['date']})  ",
             f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, load "
             f"{result['machine']['load_average_1m']} at the end; {args.jobs} processes; "
             f"wall time {result['wall_seconds']:.0f} s (cached placements take none)  ",
             f"Designs: a random pick (seed {args.seed}) of {len(rows)} of the {len(quick)} "
             f"clock samples (`bench/results/clock_{args.family}.json`) whose recorded tool "
             f"time was at most {args.max_seconds:g} s; placed with the IO shim, nextpnr "
             "seed 1, the target's default clock, as the recorded ones.", "",
             f"Fmax change: median {100 * result['fmax_change']['median']:+.1f}%, mean "
             f"{100 * result['fmax_change']['mean']:+.1f}%, "
             f"{100 * result['fmax_change']['min']:+.1f}% to "
             f"{100 * result['fmax_change']['max']:+.1f}%; placed LUTs "
             f"{100 * result['placed_lut_change']['min']:+.1f}% to "
             f"{100 * result['placed_lut_change']['max']:+.1f}% "
             f"(mean {100 * result['placed_lut_change']['mean']:+.1f}%).", "",
             f"| design | {recorded['target']} MHz (recorded) | {args.target} MHz | "
             "placed LUTs |", "|---|---|---|---|"]
    lines += [f"| {r['config']} | {r['recorded_mhz']:.1f} | {r['mhz']:.1f} | "
              f"{r['recorded_lut']} -> {r['lut']:.0f} |" for r in rows]
    (args.out / f"{stem}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
