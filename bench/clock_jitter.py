"""How far the placer's seed moves the Fmax of one design: held-out designs of a clock-model
run (``bench/results/clock_<family>.json``) placed and routed again with other nextpnr
seeds, beside the model's estimate.

The clock models are fitted to and measured on seed 1 alone; the spread over seeds is the
part of their error no feature of the design can follow.

    python bench/clock_jitter.py qmlp [--designs 12] [--max-luts 8000] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import machine

from dse.models.clock import load_clock_model
from flows.synth import FLOW_VERSION, synthesize
from flows.tools import ToolError
from hw.registry import get as get_generator

TARGET = "ecp5-85k"


def _place(generator: str, values: dict[str, Any], seed: int) -> dict[str, Any]:
    params = get_generator(generator).params_class.from_mapping(values)
    try:
        result = synthesize(params, TARGET, seed=seed)
    except ToolError as error:
        return {"error": str(error).splitlines()[0]}
    return {"fmax_mhz": result.fmax_mhz, "seconds": result.to_json()["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("family")
    parser.add_argument("--designs", type=int, default=12,
                        help="the first held-out designs of the run, in its order")
    parser.add_argument("--max-luts", type=int, default=8000,
                        help="skip held-out designs of more LUTs (placement time)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    start = time.monotonic()
    run = json.loads((args.out / f"clock_{args.family}.json").read_text())
    generator = run["generator"]
    chosen = [p for p in run["points"] if p["split"] == "held_out" and p.get("fmax_mhz")
              and p.get("lut", 0) <= args.max_luts][:args.designs]
    jobs = [(i, seed) for i in range(len(chosen)) for seed in args.seeds]
    placed: dict[tuple[int, int], dict[str, Any]] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(_place, generator, chosen[i]["params"], seed): (i, seed)
                   for i, seed in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            key = futures[future]
            placed[key] = future.result()
            print(f"[{done}/{len(jobs)}] {chosen[key[0]]['config']} seed {key[1]}: "
                  f"{placed[key]}", flush=True)
    rows = []
    for i, point in enumerate(chosen):
        fmax = [placed[(i, s)].get("fmax_mhz") for s in args.seeds]
        if any(f is None for f in fmax):
            rows.append({"config": point["config"], "fmax_mhz": fmax, "failed": True})
            continue
        mean = statistics.fmean(fmax)
        params = get_generator(generator).params_class.from_mapping(point["params"])
        model = load_clock_model(generator, TARGET).estimate(params).fmax_mhz
        rows.append({
            "config": point["config"], "params": point["params"], "lut": point.get("lut"),
            "fmax_mhz": fmax, "mean_mhz": round(mean, 2),
            "spread": (max(fmax) - min(fmax)) / mean,
            "seed_deviation": statistics.fmean(abs(f - mean) / mean for f in fmax),
            "model_mhz": round(model, 2), "model_error_seed1": abs(model - fmax[0]) / fmax[0],
            "model_error_mean": abs(model - mean) / mean})
    good = [r for r in rows if not r.get("failed")]
    summary = {
        "designs": len(good),
        "spread_mean": statistics.fmean(r["spread"] for r in good),
        "spread_max": max(r["spread"] for r in good),
        "seed_deviation_mean": statistics.fmean(r["seed_deviation"] for r in good),
        "model_error_seed1_mean": statistics.fmean(r["model_error_seed1"] for r in good),
        "model_error_mean_mean": statistics.fmean(r["model_error_mean"] for r in good)}
    result = {"benchmark": "clock_jitter", "family": args.family, "generator": generator,
              "target": TARGET,
              "command": " ".join(["python", "bench/clock_jitter.py", *sys.argv[1:]]),
              "machine": machine(), "flow_version": FLOW_VERSION,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "source": f"held-out designs of bench/results/clock_{args.family}.json "
                        f"({run['date']}), the first {args.designs} of at most "
                        f"{args.max_luts} LUTs", "seeds": args.seeds, "rows": rows,
              "summary": summary, "wall_seconds": round(time.monotonic() - start, 1)}
    stem = f"clock_jitter_{args.family}"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))


def markdown(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["summary"]
    lines = [
        f"# Fmax of {result['generator']} over nextpnr seeds ({result['target']})", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1m']} at the end; "
        f"Python {m['python']}  ",
        f"Flow version {result['flow_version']}; `synthesize(params, '{result['target']}', "
        f"seed=s)` (IO shim, default clock) for seeds {result['seeds']}; designs: "
        f"{result['source']}; wall time {result['wall_seconds']:.0f} s (seed 1 was cached)",
        "",
        f"Over {s['designs']} designs: Fmax spread over the seeds (max - min) / mean "
        f"{100 * s['spread_mean']:.1f}% on average, {100 * s['spread_max']:.1f}% at most; "
        f"one seed's mean deviation from the seeds' mean "
        f"{100 * s['seed_deviation_mean']:.1f}%. The clock model's error against seed 1 "
        f"(what it is fitted to and measured on): {100 * s['model_error_seed1_mean']:.1f}% "
        f"mean; against the mean over the seeds: {100 * s['model_error_mean_mean']:.1f}%.",
        "", "| design | LUTs | Fmax per seed (MHz) | mean | spread | model | model error "
        "(seed 1 / mean) |", "|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if r.get("failed"):
            lines.append(f"| {r['config']} | | {r['fmax_mhz']} | failed | | | |")
            continue
        lines.append(
            f"| {r['config']} | {r['lut']} | {', '.join(f'{f:.1f}' for f in r['fmax_mhz'])} | "
            f"{r['mean_mhz']:.1f} | {100 * r['spread']:.1f}% | {r['model_mhz']:.1f} | "
            f"{100 * r['model_error_seed1']:.1f}% / {100 * r['model_error_mean']:.1f}% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
