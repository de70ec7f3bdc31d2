"""Benchmark: how the LUTs of a target that maps logic to the clock (``ecp5-85k-area``:
``abc9 -D <period>``) move with the clock its designs are synthesized for, against the area
model, which is fitted at the target's default clock.

A seeded random pick of ``--count`` designs of the family's area data file on ``--target``
(train and held out alike) is synthesized bare (``flows.synth.synthesize(params, target,
clock_mhz=C, place=False)``, cached) at every clock of ``--clocks``; the default clock's
synthesis is the one the data file records. Writes
``<out>/area_clock_mapping_<generator>_<target>.{json,md}``: per design the LUTs and FFs at
each clock, their change from the default clock, and the model's relative LUT error there.

    python bench/area_clock_mapping.py qmlp-v1 [--target ecp5-85k-area] [--clocks 25,50,100]
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

from dse.models.registry import area_data
from flows.synth import synthesize
from flows.targets import get_target
from hw.registry import get as get_generator


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generator", help="family with an area model on --target, e.g. qmlp-v1")
    parser.add_argument("--target", default="ecp5-85k-area")
    parser.add_argument("--clocks", default="25,50,100",
                        help="comma-separated clocks in MHz (the default clock among them)")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--seed", type=int, default=27)
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="only designs whose recorded synthesis took at most this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    return parser.parse_args()


def _synthesize_one(generator: str, values: dict[str, Any], target: str, clock: float
                    ) -> dict[str, Any]:
    params = get_generator(generator).params_class.from_mapping(values)
    result = synthesize(params, target, clock_mhz=clock, place=False)
    return {"lut": result.synthesized["lut"], "ff": result.synthesized["ff"],
            "seconds": result.seconds, "cached": result.cached}


def main() -> None:
    args = arguments()
    target = get_target(args.target)
    if not target.clock_mapped:
        raise SystemExit(f"error: --target must map logic to the clock, and {target.name} "
                         "does not (e.g. ecp5-85k-area)")
    try:
        clocks = sorted({float(c) for c in args.clocks.split(",")})
    except ValueError:
        raise SystemExit(f"error: --clocks must be comma-separated MHz, not "
                         f"{args.clocks!r}") from None
    if target.default_clock_mhz not in clocks:
        clocks = sorted({*clocks, target.default_clock_mhz})
    start = time.monotonic()
    model, samples = area_data(args.generator, args.target)
    quick = [s for s in samples if (s.synth_seconds or 0.0) <= args.max_seconds]
    picked = random.Random(args.seed).sample(quick, min(args.count, len(quick)))
    jobs = [(s, c) for s in picked for c in clocks]
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(_synthesize_one, args.generator, s.params.to_dict(),
                               args.target, c) for s, c in jobs]
        measured = [f.result() for f in futures]
    rows = []
    for index, sample in enumerate(picked):
        per_clock = {c: measured[index * len(clocks) + k] for k, c in enumerate(clocks)}
        default = per_clock[target.default_clock_mhz]
        # the default clock's synthesis is the data file's (the same netlist, cached)
        assert default["lut"] == sample.measured["lut"], (sample.params, default)
        estimate = model.estimate(sample.params).lut
        rows.append({
            "params": sample.params.to_dict(), "split": sample.split, "model_lut": estimate,
            "clocks": {f"{c:g}": {**m, "lut_change": m["lut"] / default["lut"] - 1.0,
                                  "ff_change": m["ff"] / max(default["ff"], 1.0) - 1.0,
                                  "model_lut_error": (estimate - m["lut"]) / max(m["lut"], 1.0)}
                       for c, m in per_clock.items()}})
    summary = {}
    for c in clocks:
        key = f"{c:g}"
        change = np.array([r["clocks"][key]["lut_change"] for r in rows])
        error = np.abs([r["clocks"][key]["model_lut_error"] for r in rows])
        summary[key] = {"lut_change_median": float(np.median(change)),
                        "lut_change_min": float(change.min()),
                        "lut_change_max": float(change.max()),
                        "ff_changed": sum(r["clocks"][key]["ff_change"] != 0 for r in rows),
                        "model_lut_error_mean": float(error.mean()),
                        "model_lut_error_max": float(error.max())}
    result = {"benchmark": "area_clock_mapping", "generator": args.generator,
              "target": args.target, "clocks": clocks, "count": len(rows), "seed": args.seed,
              "command": "python bench/area_clock_mapping.py " + " ".join(
                  [args.generator, f"--target {args.target}",
                   f"--clocks {','.join(f'{c:g}' for c in clocks)}", f"--count {args.count}",
                   f"--seed {args.seed}", f"--max-seconds {args.max_seconds:g}"]),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": machine(), "wall_seconds": time.monotonic() - start,
              # as each synthesis measured it (cached ones: when they ran)
              "yosys_seconds": sum(sum(m["seconds"].values()) for m in measured),
              "summary": summary, "designs": rows}
    stem = f"area_clock_mapping_{args.generator}_{args.target}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result, target.default_clock_mhz))
    print(json.dumps(summary, indent=1))


def markdown(result: dict[str, Any], default: float) -> str:
    clocks = [f"{c:g}" for c in result["clocks"]]
    m = result["machine"]
    lines = [f"# LUTs of {result['generator']} on {result['target']} against the clock",
             "", f"Command: `{result['command']}` ({result['date']})  ",
             f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores; Yosys time of "
             f"these syntheses {result['yosys_seconds']:.0f} s in all (as each measured it; "
             f"cached ones when they ran), wall time of this run "
             f"{result['wall_seconds']:.0f} s", "",
             f"{result['count']} designs of the area model's data file (a seeded random "
             f"pick, seed {result['seed']}), synthesized bare at each clock. The model is "
             f"fitted at {default:g} MHz; its error at another clock is what a spec at that "
             "clock would see. The verify check flags a clock outside the range where the "
             "LUTs stay those of the default clock (`dse.check.CLOCK_MAPPED_MHZ`, set from "
             "this benchmark).", "",
             "| clock (MHz) | LUT change from the default clock: median (min..max) | "
             "designs whose FFs changed | model LUT error mean / max |", "|---|---|---|---|"]
    for c in clocks:
        s = result["summary"][c]
        lines.append(f"| {c} | {s['lut_change_median']:+.1%} ({s['lut_change_min']:+.1%}.."
                     f"{s['lut_change_max']:+.1%}) | {s['ff_changed']} | "
                     f"{s['model_lut_error_mean']:.1%} / {s['model_lut_error_max']:.1%} |")
    lines += ["", "| design | split | model LUT | " + " | ".join(
        f"LUT at {c} MHz" for c in clocks) + " |", "|---|---|---|" + "---|" * len(clocks)]
    for r in result["designs"]:
        cells = " | ".join(f"{r['clocks'][c]['lut']:.0f} ({r['clocks'][c]['lut_change']:+.1%})"
                           for c in clocks)
        label = ", ".join(f"{k}={v}" for k, v in r["params"].items() if v not in ("", None))
        lines.append(f"| {label} | {r['split']} | {r['model_lut']:.0f} | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
