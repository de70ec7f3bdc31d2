"""Benchmark: fit the clock model (``dse.models.clock``) of a family on an FPGA target (ECP5
by default, ``--target ice40-up5k``) to the Fmax nextpnr reaches, and measure its error on
a fresh random draw.

Run: ``python bench/clock_model.py systolic [--samples 16] [--fresh 10] [--seed 4242]``

Designs: a Latin hypercube of ``--samples`` (fitted to; ``--seed``) and a uniform draw of
``--fresh`` (held out; ``--seed + 1``) over the family's area-benchmark space with the
array sides capped at ``--max-side`` (pim: at most 2 channels, 8 banks and 4 queue
entries; accel: the lower half of the buffer sizes and bus widths too; qmlp: at most 2
hidden layers of up to 45, or the whole space with ``--max-side 128``;
place-and-route of an 85k device takes minutes per design on this machine); each
``--fit-run SEED:SAMPLES:FRESH[:MAX_SIDE]`` adds every design of an earlier run (its Latin
hypercube and its held-out draw, regenerated from the seed) to the fit. Each is placed
and routed by ``flows.synth.synthesize(params, target)`` (in the IO shim, seed 1, against
the target's default clock; cached under ``$HWDSE_CACHE``), ``--jobs`` at a time. Writes
``dse/models/data/clock_<generator>_<target>.json`` and ``<out>/clock_<family>.{json,md}``
(``clock_<family>_<target>.*`` on targets other than ECP5).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import area_accel
import area_bitserial
import area_pim
import area_qmlp
import area_systolic
from area_common import (
    REPOSITORY,
    distinct,
    is_cached,
    latin_hypercube,
    param_value,
    params_key,
    recorded_key,
    recorded_split,
    rtl_changed_since,
    uniform_draw,
)
from common import machine

from dse.models.clock import build_clock_model, data_file_name
from flows.synth import FLOW_VERSION, synthesize
from flows.tools import ToolError
from hw.registry import get as get_generator


def _array_caps(module: Any) -> Callable[[int], dict[str, float]]:
    """Rows and cols capped at ``--max-side``: the same strata over 1..max_side."""
    return lambda max_side: dict.fromkeys(("rows", "cols"),
                                          max_side / module.MAX_SIDE_SAMPLED)


def _pim_caps(max_side: int) -> dict[str, float]:
    """At most 2 channels, 8 banks and 4 queue entries (a quarter of the exponent range of
    the queue, half of the channels', three quarters of the banks')."""
    return {"channels": 0.5, "banks": 0.75, "queue_depth": 0.5}


def _qmlp_caps(max_side: int) -> dict[str, float]:
    """With ``--max-side`` of at least ``area_qmlp.MAX_SAMPLED_SIZE`` the area benchmark's
    whole space; below (the default, as in the first runs) at most 2 hidden layers and
    layer sizes up to about 45 (three quarters of the exponent range)."""
    if max_side >= area_qmlp.MAX_SAMPLED_SIZE:
        return {}
    return {"hidden_layers": 0.5, "inputs": 0.75,
            **{f"hidden{i}": 0.75 for i in range(area_qmlp.MAX_HIDDEN_LAYERS)}}


def _qmlp_space(max_side: int) -> str:
    if max_side >= area_qmlp.MAX_SAMPLED_SIZE:
        return (f"0..{area_qmlp.MAX_HIDDEN_LAYERS} hidden layers, inputs and hidden sizes "
                f"2..{area_qmlp.MAX_SAMPLED_SIZE} (the whole area space)")
    return "0..2 hidden layers, inputs and hidden sizes 2..45"


def _accel_caps(max_side: int) -> dict[str, float]:
    """Rows and cols up to the largest of ``area_accel.SIDES`` within ``--max-side``, and
    the lower half of the buffer sizes and bus widths (an 8 x 8 accelerator takes 20
    minutes of place and route here; the controller, where its critical path lies, is
    there whatever the core's size)."""
    sides = sum(side <= max_side for side in area_accel.SIDES) / len(area_accel.SIDES)
    return {"rows": sides, "cols": sides,
            **dict.fromkeys(("spad_kib", "acc_kib", "bus_bytes"), 0.5)}


#: family -> (area benchmark module, unit-coordinate scales of the sampled space given
#: ``--max-side``, the capped space in words (a format string of ``max_side`` or a
#: function of it), features of the delay (or per target))
FAMILIES: dict[str, Any] = {
    "systolic": (area_systolic, _array_caps(area_systolic), "rows and cols 1..{max_side}",
                 {"ecp5-85k": ("one", "log2_rows", "log2_cols", "input_width", "acc_width",
                               "dataflow=ws", "log2_acc_depth"),
                  # products in logic below 11 product bits (clock_soft_product_bits)
                  "ice40-up5k": ("one", "log2_rows", "log2_cols", "input_width",
                                 "acc_width", "dataflow=ws", "log2_acc_depth",
                                 "clock_soft_product_bits")}),
    "bitserial": (area_bitserial, _array_caps(area_bitserial), "rows and cols 1..{max_side}",
                  ("one", "log2_rows", "log2_cols", "log2_lanes", "parallel_width",
                   "acc_width", "scale_width")),
    "qmlp": (area_qmlp, _qmlp_caps, _qmlp_space,
             ("one", "clock_acc_bits", "clock_adder_levels", "clock_log2_steps",
              "clock_log2_levels", "clock_log2_inputs", "clock_sqrt_luts",
              "clock_block_rom")),
    "accel": (area_accel, _accel_caps, "rows and cols 1..{max_side} (of 1, 2, 4, 8), "
              "spad_kib, acc_kib and bus_bytes the lower half of their choices",
              ("one", "core=bitserial", "dataflow=ws", "log2_rows", "log2_cols",
               "input_width", "acc_width", "log2_spad_kib", "log2_acc_kib",
               "log2_bus_bytes")),
    "pim": (area_pim, _pim_caps, "channels 1..2, banks 1..8, queue_depth 1..4",
            ("one", "clock_log2_scheduled_banks", "banks", "clock_log2_choosable",
             "clock_constant_products", "channels", "page_policy=closed", "acc_width")),
}


def _fit_run(text: str) -> tuple[int, int, int, int | None]:
    """``SEED:SAMPLES:FRESH[:MAX_SIDE]`` of ``--fit-run``."""
    parts = text.split(":")
    try:
        if len(parts) not in (3, 4):
            raise ValueError
        seed, samples, fresh = (int(p) for p in parts[:3])
        return seed, samples, fresh, int(parts[3]) if len(parts) == 4 else None
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--fit-run must be SEED:SAMPLES:FRESH[:MAX_SIDE] (integers), not {text!r}") from None


def _place_one(generator: str, values: dict[str, Any], target: str, cached_only: bool = False
               ) -> dict[str, Any]:
    params = get_generator(generator).params_class.from_mapping(values)
    if cached_only and not is_cached(params, target, place=True):
        return {"error": "not placed: --cached-only and no cached result"}
    try:
        result = synthesize(params, target)
    except ToolError as error:
        return {"error": str(error).splitlines()[0]}
    return {"result": result.to_json()}


def _recorded_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The placed designs of an earlier results file by their parameters (``--recorded``).

    Raises:
        SystemExit: if the file is missing or recorded another flow version.
    """
    if not path.exists():
        raise SystemExit(f"--recorded: no results file {path}")
    previous = json.loads(path.read_text())
    version = previous.get("provenance", {}).get("flow_version")
    if version != FLOW_VERSION:
        raise SystemExit(f"--recorded: {path} recorded flow version {version}, this run "
                         f"uses {FLOW_VERSION}: place again")
    return {recorded_key(previous["generator"], row["params"]): row
            for row in previous.get("points", []) if row.get("fmax_mhz")}


def _listed(scans: list[Path], generator: str, target: str) -> set[str]:
    """The :func:`params_key` of every design with conflicts in the conflict scans ``scans``
    (``bench/conflict_scan.py --place``) of ``generator`` on ``target``.

    Raises:
        SystemExit: for a scan of other designs or of bare designs.
    """
    again: set[str] = set()
    for path in scans:
        scan = json.loads(path.read_text())
        if (scan["generator"], scan["target"], scan["place"]) != (generator, target, True):
            raise SystemExit(f"--replace-listed: {path} scanned {scan['generator']} on "
                             f"{scan['target']} (place={scan['place']}), not the placed "
                             f"{generator} designs on {target}")
        again |= {recorded_key(generator, row["params"]) for row in scan["designs"]
                  if row["conflicts"]}
    return again


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("family", choices=sorted(FAMILIES))
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--fresh", type=int, default=10)
    parser.add_argument("--max-side", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--note", action="append", default=[],
                        help="a note for the report (how the features were chosen)")
    parser.add_argument("--cached-only", action="store_true",
                        help="place nothing new: fit and report on the sampled designs with "
                             "cached results, listing the others as not placed")
    parser.add_argument("--fit-run", type=_fit_run, action="append", default=[],
                        help="SEED:SAMPLES:FRESH[:MAX_SIDE]: every design of an earlier run "
                             "(its Latin hypercube and its held-out draw) joins the fit")
    parser.add_argument("--target", default="ecp5-85k")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--data-dir", type=Path, default=REPOSITORY / "dse/models/data")
    parser.add_argument("--recorded", action="store_true",
                        help="take the Fmax of the designs the previous <out>/clock_<family> "
                             "results hold from them instead of placing them again (it must "
                             "record this flow version); the first --spot-check of them are "
                             "placed again and must reach the same Fmax")
    parser.add_argument("--spot-check", type=int, default=2, metavar="N")
    parser.add_argument("--replace", type=param_value, action="append", default=[],
                        metavar="NAME=VALUE",
                        help="with --recorded: place the designs with this parameter value "
                             "again (their RTL changed; a JSON value, e.g. signed=false); "
                             "all given must match; repeatable")
    parser.add_argument("--replace-listed", type=Path, action="append", default=[],
                        metavar="SCAN",
                        help="with --recorded: place again the designs a conflict scan "
                             "(bench/conflict_scan.py --place, its JSON) found with outputs "
                             "driven by constant 1'x (their recorded Fmax came from a wrong "
                             "netlist); repeatable")
    parser.add_argument("--replace-changed", metavar="REVISION",
                        help="with --recorded: place again the designs whose Verilog "
                             "differs from what the code at git REVISION emits (a generator "
                             "changed since their Fmax was recorded)")
    args = parser.parse_args()
    module, caps, capped_text, features = FAMILIES[args.family]
    if isinstance(features, dict):  # per target
        features = features.get(args.target, features["ecp5-85k"])
    start = time.monotonic()

    def axes_of(seed: int) -> tuple[str, ...]:
        """The family's axes for the draws of ``seed`` (a later axis may have joined)."""
        if hasattr(module, "axes_of"):
            return module.axes_of(seed, "clock")
        return module.AXES

    def from_unit(u: Mapping[str, float], max_side: int) -> Any:
        scaled = dict(u)
        for axis, scale in caps(max_side).items():
            scaled[axis] = u[axis] * scale
        return module.from_unit(scaled)

    train = distinct([from_unit(u, args.max_side)
                      for u in latin_hypercube(axes_of(args.seed), args.samples, args.seed)])
    generator = train[0].generator
    earlier: list[Any] = []
    for seed, samples, fresh_count, max_side in args.fit_run:
        side = args.max_side if max_side is None else max_side
        earlier += [from_unit(u, side) for u in latin_hypercube(axes_of(seed), samples, seed)]
        earlier += [from_unit(u, side) for u in uniform_draw(axes_of(seed + 1), fresh_count,
                                                              seed + 1)]
    earlier = distinct(earlier, train)
    train += earlier
    fresh = distinct([from_unit(u, args.max_side)
                      for u in uniform_draw(axes_of(args.seed + 1), args.fresh,
                                            args.seed + 1)], train)
    designs = [(p, "train") for p in train] + [(p, "held_out") for p in fresh]
    measured: list[tuple[Any, float, str]] = []
    rows: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    stem = f"clock_{args.family}" + ("" if args.target == "ecp5-85k" else f"_{args.target}")
    recorded = _recorded_rows(args.out / f"{stem}.json") if args.recorded else {}
    changed = dict(args.replace)
    listed = _listed(args.replace_listed, generator, args.target)
    rtl_changed: set[str] = set()
    if args.recorded and args.replace_changed:
        rtl_changed = rtl_changed_since(
            args.replace_changed, [p for p, _ in designs if params_key(p) in recorded])
    again = listed | rtl_changed
    taken, checked = recorded_split([p for p, _ in designs], recorded, changed,
                                    args.spot_check, again)
    for params, split in designs:
        if params in taken and params not in checked:
            row = recorded[params_key(params)]
            measured.append((params, float(row["fmax_mhz"]), split))
            rows.append({**{k: row[k] for k in ("config", "params", "fmax_mhz", "seconds",
                                                  "lut")}, "split": split, "recorded": True})
    # The held-out draw is placed first: a run stopped part-way and reported with
    # --cached-only still has its whole held-out error, fitted to the designs placed.
    to_place = sorted(((p, split) for p, split in designs if p not in taken or p in checked),
                      key=lambda item: item[1] != "held_out")
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(_place_one, p.generator, p.to_dict(), args.target,
                               args.cached_only): (p, split)
                   for p, split in to_place}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            params, split = futures[future]
            outcome = future.result()
            label = module.describe(params)
            if "error" in outcome or outcome["result"]["fmax_mhz"] is None:
                reason = outcome.get("error") or outcome["result"]["status"]
                failed.append({"config": label, "params": params.to_dict(), "error": reason})
                print(f"[{done}/{len(designs)}] {label}: FAILED {reason}", flush=True)
                continue
            result = outcome["result"]
            if params in checked:
                before = recorded[params_key(params)]["fmax_mhz"]
                if result["fmax_mhz"] != before:
                    raise SystemExit(f"--recorded: {label} placed again reaches "
                                     f"{result['fmax_mhz']} MHz, the results {before}: "
                                     "not reusable")
            measured.append((params, float(result["fmax_mhz"]), split))
            rows.append({"config": label, "params": params.to_dict(), "split": split,
                         "fmax_mhz": result["fmax_mhz"], "seconds": result["seconds"],
                         "lut": result["resources"]["lut"]["used"]})
            print(f"[{done}/{len(designs)}] {label}: {result['fmax_mhz']} MHz "
                  f"({result['seconds']})", flush=True)
    order = {p: i for i, (p, _) in enumerate(designs)}
    measured.sort(key=lambda m: order[m[0]])
    provenance = {
        "command": " ".join(["python", "bench/clock_model.py", *sys.argv[1:]]),
        "flow": f"flows.synth.synthesize(params, {args.target!r}) (IO shim, nextpnr seed 1)",
        "flow_version": FLOW_VERSION, "seed": args.seed,
        "sampling": f"Latin hypercube of {args.samples} (seed {args.seed}); held out: "
                    f"uniform draw of {args.fresh} (seed {args.seed + 1}); "
                    + (capped_text(args.max_side) if callable(capped_text)
                       else capped_text.format(max_side=args.max_side))
                    + f", the rest as bench/{module.__name__}.py"
                    + "".join(f"; fitted to also: the designs of the run with seed {seed} "
                              f"(Latin hypercube of {samples}, uniform draw of {fresh_count}"
                              + ("" if side is None else f", max side {side}") + ")"
                              for seed, samples, fresh_count, side in args.fit_run),
        "fit": "critical-path delay 1000 / Fmax, nonnegative least squares on relative "
               "error, train designs only",
        "failed": [f["params"] for f in failed],
    }
    if args.recorded:
        provenance["recorded"] = (
            f"{len(taken) - len(checked)} designs' Fmax taken from the previous results "
            f"(same flow version); {len(checked)} of them placed again, the same Fmax"
            + (f"; those with {', '.join(f'{k} = {v!r}' for k, v in changed.items())} "
               "placed again: their RTL changed" if changed else "")
            + (f"; {sum(params_key(p) in listed for p, _ in designs)} designs placed again "
               f"that {', '.join(str(f) for f in args.replace_listed)} found mis-synthesized "
               "(outputs driven by constant 1'x)" if listed else "")
            + (f"; {len(rtl_changed)} designs placed again whose Verilog changed since "
               f"{args.replace_changed}" if rtl_changed else ""))
    model, samples = build_clock_model(generator, args.target, measured, features, provenance)
    (args.data_dir / data_file_name(generator, args.target)).write_text(
        json.dumps(model.to_json(samples), indent=1) + "\n")
    for row in rows:
        params = get_generator(generator).params_class.from_mapping(row["params"])
        row["predicted_mhz"] = round(model.estimate(params).fmax_mhz, 2)
        row["relative_error"] = round(abs(row["predicted_mhz"] - row["fmax_mhz"])
                                      / row["fmax_mhz"], 4)
    achieved = sorted(r["fmax_mhz"] for r in rows)
    result = {
        "benchmark": f"clock_{args.family}", "generator": generator, "target": args.target,
        "command": provenance["command"], "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "provenance": provenance, "train_error": model.train_error.to_json(),
        "held_out_error": model.held_out_error.to_json(),
        "coefficients": dict(zip(model.fit.features, model.fit.coefficients, strict=True)),
        "achieved_mhz": {"min": achieved[0], "median": statistics.median(achieved),
                         "max": achieved[-1]} if achieved else {},
        "wall_seconds": round(time.monotonic() - start, 1), "points": rows, "failed": failed,
        "notes": args.note,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    # clock_<family>.* on ECP5, clock_<family>_<target>.* on other targets
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    (args.out / f"{stem}.md").write_text(markdown(result))
    print(json.dumps({"train": result["train_error"], "held_out": result["held_out_error"]}))


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    held, train = result["held_out_error"], result["train_error"]
    lines = [
        f"# Clock model of {result['generator']} on {result['target']}", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, load {m['load_average_1m']} at the end  ",
        f"Flow: {result['provenance']['flow']}  ",
        f"Sampling: {result['provenance']['sampling']}  ",
        f"Fit: {result['provenance']['fit']}; wall time {result['wall_seconds']:.0f} s"
        + (f"  \nRecorded (`--recorded`): {result['provenance']['recorded']}"
           if result["provenance"].get("recorded") else ""), "",
        "| Fmax relative error | mean | p95 | max | designs |", "|---|---|---|---|---|",
        f"| train | {train['mean']:.1%} | {train['p95']:.1%} | {train['max']:.1%} | "
        f"{train['count']} |",
        f"| held out | {held['mean']:.1%} | {held['p95']:.1%} | {held['max']:.1%} | "
        f"{held['count']} |", "",
        ("Target (held-out mean <= 10%) " + ("met." if held["mean"] <= 0.10 else
                                            "**missed**.")), "",
        "Achieved Fmax (MHz): " + ", ".join(f"{k} {v:.1f}" for k, v in
                                            result["achieved_mhz"].items()), "",
        "| config | split | Fmax MHz | predicted | error | LUTs | P&R s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in sorted(result["points"], key=lambda r: r["fmax_mhz"]):
        lines.append(f"| {row['config']} | {row['split']} | {row['fmax_mhz']:.1f} | "
                     f"{row['predicted_mhz']:.1f} | {row['relative_error']:.1%} | "
                     f"{row['lut']} | {row['seconds'].get('place_route', 0):.0f} |")
    lines += ["", "## Coefficients (delay, ns)", "", "| feature | coefficient |", "|---|---|"]
    lines += [f"| {k} | {v:.4g} |" for k, v in result["coefficients"].items()]
    if result.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in result["notes"]]
    if result["failed"]:
        lines += ["", "## Failed", ""] + [f"- {f['config']}: {f['error']}"
                                          for f in result["failed"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
