"""ECP5 synthesis with and without wide LUTs: how much of the area models' remaining error is
the LUT mapper's, and what the flow would give up without them.

``synth_ecp5`` (Yosys 0.70) maps logic with ``abc9 -W 300`` to LUT4s and, by default, to
"wide LUTs": functions of 5 to 7 inputs built from LUT4s joined by the slice multiplexers
PFUMX and L6MUX21. The mapping is delay-driven, and a wide LUT is one level faster than two
LUT4s in a row, so ABC9 builds them wherever a path looks critical, even where half their
LUT4s are constant: tracing a qmlp-v1 design (16-10-5 w1 a2 i4 [10x4,5x10], weights in block
RAM) found each PE's gated input bit mapped as a 7-input function (the 4:1 input-slice
multiplexer, its 2 select bits and the weight bit): 8 LUT4s, 4 of them constant 0, 4 PFUMX
and 3 L6MUX21, repeated in every PE. Which paths get such copies moves with every small
change of the netlist.

This benchmark synthesizes the same designs on the target ``ecp5-85k-nowidelut``
(``synth_ecp5 -nowidelut``: LUT4s only; a separate target name, so the cache keeps the two
apart) and reports:

- the LUT spread of the pim-v1 designs ``bench/area_jitter.py`` sweeps (every LUT feature
  of the model equal within a sweep);
- for the shipped samples of the qmlp-v1 and pim-v1 area models (those whose recorded
  synthesis took at most ``--max-seconds``): LUTs and FFs under both scripts, and the
  leave-one-out error of each model's LUT features fitted to either (the same designs and
  features, refitted);
- Fmax after place-and-route (nextpnr seed 1, the IO shim, as ``bench/clock_model.py``)
  of a few designs of the clock models' samples, recorded there with wide LUTs.

It was written (session 23) to measure whether to change the ECP5 flow; its results led
to the ``ecp5-85k-nowidelut`` target (``flows.targets``), with the ECP5 target unchanged.

    python bench/widelut_ecp5.py [--jobs 2] [--max-seconds 30] [--placed 4]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import area_jitter
import area_pim
import area_qmlp
import numpy as np
from area_common import lut_spread, sweep_header, sweep_result, synthesize_all, write_sweep

from dse.models.area import AreaSample, fit
from dse.models.registry import area_features
from flows.synth import synthesize
from flows.targets import get_target
from hw.params import Params
from hw.registry import get as get_generator

BASE_TARGET = "ecp5-85k"
#: The ECP5 target with LUT4s only (``flows.targets``)
NARROW = get_target("ecp5-85k-nowidelut")
FLOWS = {"wide": BASE_TARGET, "narrow": NARROW.name}
#: Family -> (area benchmark module, clock results file)
FAMILIES = {"qmlp-v1": (area_qmlp, "clock_qmlp.json"), "pim-v1": (area_pim, "clock_pim.json")}
DATA = Path(__file__).resolve().parent.parent / "dse" / "models" / "data"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=30.0,
                        help="take the shipped samples whose recorded synthesis took at most "
                             "this (default 30)")
    parser.add_argument("--placed", type=int, default=4,
                        help="designs per family placed without wide LUTs (default 4)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    return parser.parse_args()


def measured(samples: Sequence[AreaSample]) -> dict[Params, dict[str, float]]:
    return {s.params: dict(s.measured) for s in samples}


def jitter(jobs: int) -> list[dict[str, Any]]:
    """The area_jitter sweeps under both scripts."""
    rows = []
    for base_name, base in area_jitter.BASES.items():
        for parameter in area_jitter.SWEEPS:
            designs = area_jitter.sweep_designs(base, parameter)
            luts = {}
            for flow, target in FLOWS.items():
                samples, _, _ = synthesize_all(designs, dict.fromkeys(designs, "sweep"),
                                               target, area_jitter.describe, jobs)
                luts[flow] = [measured(samples)[d]["lut"] for d in designs
                              if d in measured(samples)]
            rows.append({"base": base_name, "parameter": parameter,
                         "designs": [area_jitter.describe(d) for d in designs],
                         **{flow: {"luts": v, **lut_spread(v)} for flow, v in luts.items()}})
    return rows


def shipped_samples(generator: str, max_seconds: float) -> list[AreaSample]:
    """The shipped area samples of ``generator`` on ECP5 whose synthesis took at most
    ``max_seconds`` (recorded with wide LUTs)."""
    payload = json.loads((DATA / f"area_{generator}_{BASE_TARGET}.json").read_text())
    params_class = get_generator(generator).params_class
    return [AreaSample(params_class.from_mapping(s["params"]), s["measured"], s["split"],
                       cells=s.get("cells") or {}, synth_seconds=s.get("synth_seconds"))
            for s in payload["samples"] if s.get("synth_seconds", 0.0) <= max_seconds]


def leave_one_out(samples: Sequence[AreaSample], feature_fn: Callable[..., Any],
                  names: Sequence[str]) -> np.ndarray:
    """Relative LUT error of each sample under a fit to all the others."""
    errors = []
    for i, sample in enumerate(samples):
        rest = [s for j, s in enumerate(samples) if j != i]
        linear = fit(rest, feature_fn, {"lut": names}, BASE_TARGET)["lut"]
        predicted = linear.predict(feature_fn(sample.params, BASE_TARGET))
        errors.append(abs(predicted - sample.measured["lut"]) / max(sample.measured["lut"], 1))
    return np.asarray(errors)


def stats(errors: np.ndarray) -> dict[str, float]:
    return {"mean": float(errors.mean()), "p95": float(np.percentile(errors, 95)),
            "max": float(errors.max())}


def family_fit(generator: str, max_seconds: float, jobs: int) -> dict[str, Any]:
    module, _ = FAMILIES[generator]
    wide = shipped_samples(generator, max_seconds)
    designs = [s.params for s in wide]
    narrow, failed, _ = synthesize_all(designs, {s.params: s.split for s in wide},
                                       NARROW.name, module.describe, jobs)
    by_params = measured(narrow)
    kept = [s for s in wide if s.params in by_params]
    narrow_samples = [dataclasses.replace(s, measured=by_params[s.params]) for s in kept]
    feature_fn = area_features(generator)
    names = module.RESOURCE_FEATURES["lut"]
    lut = {"wide": np.array([s.measured["lut"] for s in kept]),
           "narrow": np.array([s.measured["lut"] for s in narrow_samples])}
    ff_equal = sum(s.measured["ff"] == by_params[s.params]["ff"] for s in kept)
    return {
        "generator": generator, "designs": len(kept), "failed": failed,
        "lut_total": {flow: float(v.sum()) for flow, v in lut.items()},
        "lut_ratio": stats(lut["narrow"] / lut["wide"]) | {
            "min": float((lut["narrow"] / lut["wide"]).min())},
        "ff_equal": ff_equal,
        "leave_one_out": {"wide": stats(leave_one_out(kept, feature_fn, names)),
                          "narrow": stats(leave_one_out(narrow_samples, feature_fn, names))},
        "points": [{"config": module.describe(s.params), "wide": s.measured,
                    "narrow": by_params[s.params]} for s in kept],
    }


def _place_one(generator: str, values: dict[str, Any]) -> dict[str, Any]:
    params = get_generator(generator).params_class.from_mapping(values)
    result = synthesize(params, NARROW.name)
    return {"fmax_mhz": result.fmax_mhz, "lut": result.resources["lut"].used,
            "seconds": result.seconds}


def placed(generator: str, count: int, jobs: int) -> list[dict[str, Any]]:
    """The ``count`` quickest designs of the family's clock samples (recorded Fmax with
    wide LUTs), placed without."""
    _, clock_file = FAMILIES[generator]
    points = json.loads((Path("bench/results") / clock_file).read_text())["points"]
    quick = sorted((p for p in points if p.get("seconds") and p.get("fmax_mhz")),
                   key=lambda p: sum(p["seconds"].values()))[:count]
    rows = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        outcomes = pool.map(_place_one, [generator] * len(quick), [p["params"] for p in quick])
        for point, outcome in zip(quick, outcomes, strict=True):
            rows.append({"config": point["config"], "wide_mhz": point["fmax_mhz"],
                         "wide_placed_lut": point.get("lut"),
                         "narrow_mhz": outcome["fmax_mhz"],
                         "narrow_placed_lut": outcome["lut"]})
    return rows


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def markdown(result: Mapping[str, Any]) -> str:
    lines = sweep_header(result, "ECP5 synthesis with and without wide LUTs (PFUMX / L6MUX21)",
                         "area_pim` and `bench/area_qmlp")
    lines += [
        "Wide: the product flow (`synth_ecp5`, wide LUTs on). Narrow: `synth_ecp5 -nowidelut` "
        "(LUT4s only). LUTs count LUT4 + 2 x CCU2C in both (PFUMX / L6MUX21 are not counted; "
        "their LUT4s are).", "",
        "## LUT spread of designs the pim-v1 model cannot tell apart "
        "(`bench/area_jitter.py`'s sweeps)", "",
        "| base | parameter | designs | wide LUTs | wide spread | narrow LUTs | narrow spread |",
        "|---|---|---|---|---|---|---|"]
    for row in result["jitter"]:
        w, n = row["wide"], row["narrow"]
        lines.append(f"| {row['base']} | `{row['parameter']}` | {len(row['designs'])} | "
                     f"{w['lut_min']:.0f}..{w['lut_max']:.0f} | {_pct(w['spread'])} | "
                     f"{n['lut_min']:.0f}..{n['lut_max']:.0f} | {_pct(n['spread'])} |")
    lines += ["", "## The area models' shipped samples under both scripts", "",
              f"Samples whose recorded synthesis took at most {result['max_seconds']:.0f} s. "
              "Leave-one-out: each design predicted by the model's LUT features (unchanged) "
              "fitted to all the others, under each script's measurements.", "",
              "| family | designs | LUTs wide -> narrow (total) | narrow / wide per design "
              "(mean, min..max) | FFs equal | leave-one-out wide (mean / p95 / max) | "
              "leave-one-out narrow |", "|---|---|---|---|---|---|---|"]
    for fam in result["families"]:
        r, lw, ln = fam["lut_ratio"], fam["leave_one_out"]["wide"], fam["leave_one_out"]["narrow"]
        lines.append(
            f"| `{fam['generator']}` | {fam['designs']} | {fam['lut_total']['wide']:.0f} -> "
            f"{fam['lut_total']['narrow']:.0f} | {r['mean']:.3f} ({r['min']:.3f}..{r['max']:.3f})"
            f" | {fam['ff_equal']} of {fam['designs']} | {_pct(lw['mean'])} / {_pct(lw['p95'])}"
            f" / {_pct(lw['max'])} | {_pct(ln['mean'])} / {_pct(ln['p95'])} / "
            f"{_pct(ln['max'])} |")
        if fam["failed"]:
            lines.append(f"| | {len(fam['failed'])} failed without wide LUTs | | | | | |")
    lines += ["", "## Fmax after place-and-route (nextpnr seed 1)", "",
              "| family | design | wide MHz (recorded) | narrow MHz | placed LUTs wide -> narrow |",
              "|---|---|---|---|---|"]
    for fam, rows in result["placed"].items():
        for row in rows:
            lines.append(f"| `{fam}` | {row['config']} | {row['wide_mhz']:.1f} | "
                         f"{row['narrow_mhz']:.1f} | {row['wide_placed_lut']} -> "
                         f"{row['narrow_placed_lut']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = arguments()
    start = time.monotonic()
    result = sweep_result("widelut_ecp5", "pim-v1, qmlp-v1", BASE_TARGET)
    result["max_seconds"] = args.max_seconds
    result["jitter"] = jitter(args.jobs)
    result["families"] = [family_fit(g, args.max_seconds, args.jobs) for g in FAMILIES]
    result["placed"] = {g: placed(g, args.placed, args.jobs) for g in FAMILIES}
    result["wall_seconds"] = time.monotonic() - start
    write_sweep(args.out, result, markdown(result))


if __name__ == "__main__":
    main()
