"""How far synthesis moves the LUTs of designs an area model cannot tell apart: single-
parameter sweeps of ``pim-v1`` on ECP5 over parameters that leave its area features (nearly)
unchanged, each design synthesized as the area benchmark does, with the shipped model's
estimate beside it.

The spread of LUTs within a sweep is the mapping's own variation (ABC9 on a slightly
different netlist), a floor for any model that counts structure: ``bench/area_pim.py``
reports its held-out error against it.

    python bench/area_jitter.py [--jobs 2]
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from area_common import (
    estimate_range,
    lut_spread,
    sweep_arguments,
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    write_sweep,
)
from area_pim import RESOURCE_FEATURES

from dse.models.pim import pim_features
from dse.models.registry import area
from hw.pim.params import PimParams

TARGET = "ecp5-85k"
BASES = {
    "A": PimParams(channels=1, banks=4, rows=1 << 15, columns=256, lanes=8, element_width=8,
                   acc_width=32, timing="ddr4", pim_mode="per-bank", page_policy="open",
                   scheduler="fcfs", queue_depth=4, refresh="all-bank", interleave="row"),
    "B": PimParams(channels=2, banks=8, rows=1 << 12, columns=64, lanes=8, element_width=8,
                   acc_width=32, timing="hbm2", pim_mode="per-bank", page_policy="closed",
                   scheduler="frfcfs", queue_depth=4, refresh="postponed",
                   interleave="block"),
}
#: Per sweep: the parameter and its values (element widths with acc_width = 4 x width).
SWEEPS = {"lanes": (1, 2, 4, 8, 16, 32, 64, 128), "element_width": (2, 3, 5, 8, 12, 16)}


def sweep_designs(base: PimParams, parameter: str) -> list[PimParams]:
    if parameter == "element_width":
        return [dataclasses.replace(base, element_width=w, acc_width=4 * w)
                for w in SWEEPS[parameter]]
    return [dataclasses.replace(base, **{parameter: v}) for v in SWEEPS[parameter]]


def describe(params: PimParams) -> str:
    return (f"{params.channels}x{params.banks} l{params.lanes} e{params.element_width} "
            f"a{params.acc_width}")


def main() -> None:
    args = sweep_arguments(__doc__)
    start = time.monotonic()
    sweeps = [(name, parameter, sweep_designs(base, parameter))
              for name, base in BASES.items() for parameter in SWEEPS]
    designs = list(dict.fromkeys(d for _, _, ds in sweeps for d in ds))
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "sweep"), TARGET,
                                        describe, args.jobs)
    measured = {s.params: s.measured for s in samples}
    rows: list[dict[str, Any]] = []
    for name, parameter, ds in sweeps:
        kept = [d for d in ds if d in measured]
        luts = [measured[d]["lut"] for d in kept]
        features = [pim_features(d, TARGET) for d in kept]
        changed = sorted({k for f in features for k in RESOURCE_FEATURES["lut"]
                          if f[k] != features[0][k]})
        rows.append({
            "base": name, "parameter": parameter,
            "designs": [{"config": describe(d), "params": d.to_dict(),
                         "lut": measured[d]["lut"], "ff": measured[d]["ff"],
                         "model_lut": round(area(d, TARGET).lut, 1)} for d in kept],
            **lut_spread(luts), "lut_features_changed": changed})
    result = {**sweep_result("area_jitter", "pim-v1", TARGET),
              "bases": {k: v.to_dict() for k, v in BASES.items()}, "sweeps": rows,
              "failed": failed, "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    title = "LUT spread of pim-v1 designs the area model cannot tell apart (ECP5)"
    lines = sweep_header(result, title, "area_pim") + [
        "Each sweep changes one parameter of a base design. `lanes` and `element_width` set "
        "the width of the returned word and the chunk count: registers (a few FFs), not the "
        "scheduler or the queues, so the area model's LUT features are the same across a "
        "sweep (the column 'LUT features that change' lists any of the fit's LUT features "
        "that do not stay equal) and its "
        "estimate is one number. The LUTs Yosys maps move anyway.", "",
        "| base | parameter | designs | LUTs min..max | mean | spread (max-min)/mean | "
        "mean abs. deviation | model estimate | LUT features that change |",
        "|---|---|---|---|---|---|---|---|---|"]
    for row in result["sweeps"]:
        model = estimate_range([d["model_lut"] for d in row["designs"]])
        lines.append(
            f"| {row['base']} | `{row['parameter']}` | {len(row['designs'])} | "
            f"{row['lut_min']:.0f}..{row['lut_max']:.0f} | {row['lut_mean']:.0f} | "
            f"{100 * row['spread']:.1f}% | {100 * row['mean_abs_deviation']:.1f}% | {model} | "
            f"{', '.join(row['lut_features_changed']) or 'none'} |")
    lines += ["", "Bases: A = " + json.dumps(result["bases"]["A"]) + "; B = "
              + json.dumps(result["bases"]["B"]) + ".", "", "## Designs", "",
              "| base | parameter | design | LUT | FF | model LUT |", "|---|---|---|---|---|---|"]
    for row in result["sweeps"]:
        for d in row["designs"]:
            lines.append(f"| {row['base']} | `{row['parameter']}` | {d['config']} | "
                         f"{d['lut']:.0f} | {d['ff']:.0f} | {d['model_lut']:.0f} |")
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
