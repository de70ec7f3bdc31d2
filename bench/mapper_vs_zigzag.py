"""Our mapper beside ZigZag's (issue 19), layer by layer, from the recorded ZigZag run
(``bench/results/zigzag_raw.json``, made by ``bench/zigzag/run.py`` on the same design,
buffers, bandwidth and energy table):

- ZigZag's least-latency mapping (its cycles, DRAM bytes, energy, by its model) beside our
  mapper's least-cycles mapping (by our exact model, the RTL's cycles);
- ZigZag's least-energy mapping beside our least-energy mapping;
- where ZigZag's mapping is one of ours (``as_our_tiles``: every operand cut at the same
  tile), that mapping run through our model, so the two mappers' choices are compared
  under one model.

    .venv/bin/python bench/mapper_vs_zigzag.py [--raw bench/results/zigzag_raw.json]
        [--out bench/results/zigzag.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dse.mapping.accel import map_gemm  # noqa: E402
from dse.models.accel import cycles as our_cycles  # noqa: E402
from dse.models.accel import energy_of_counts  # noqa: E402
from dse.workload import Gemm  # noqa: E402
from hw.accel import AccelParams  # noqa: E402
from hw.accel.tiling import Mapping, refusal  # noqa: E402


def _order(layer: dict) -> str:
    loops = layer["mapping"]["dram_loops_outer_to_inner"]["O"]
    return "nmk" if loops and loops[0][0] == "N" else "mnk"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", default="bench/results/zigzag_raw.json")
    parser.add_argument("--out", default="bench/results/zigzag.md")
    args = parser.parse_args()
    raw = json.load(open(args.raw))
    params = AccelParams(**raw["design"]["params"])
    bandwidth, latency = raw["design"]["dram"]["bandwidth"], raw["design"]["dram"]["latency"]
    started = time.perf_counter()
    cache: dict[tuple[str, str], object] = {}
    rows = []
    for workload, entry in raw["workloads"].items():
        for layer in entry["layers"]:
            gemm = Gemm(layer["m"], layer["k"], layer["n"])
            mine = {}
            for objective in ("cycles", "energy"):
                key = (str(gemm), objective)
                if key not in cache:
                    cache[key] = map_gemm(params, gemm, bandwidth, latency, objective)
                mine[objective] = cache[key]
            theirs_in_ours = None
            tiles = layer["mapping"]["as_our_tiles"]
            if tiles:
                mapping = Mapping.parse(tiles, _order(layer))
                why = refusal(params, gemm.m, gemm.k, gemm.n, mapping)
                if why is None:
                    report = our_cycles(params, gemm, mapping, bandwidth, latency)
                    theirs_in_ours = {
                        "tiles": tiles, "order": mapping.order, "cycles": report.cycles,
                        "dram_bytes": report.activity.dram_read_bytes
                        + report.activity.dram_write_bytes,
                        "energy_pj": energy_of_counts(params, report.activity,
                                                      gemm.macs).total_pj}
                else:
                    theirs_in_ours = {"tiles": tiles, "refused": why}
            rows.append({
                "workload": workload, "layer": layer["name"], "gemm": str(gemm),
                "repeat": layer["repeat"],
                "zigzag": {"cycles": layer["cycles"],
                           "dram_bytes": layer["dram_bytes"]["read"]
                           + layer["dram_bytes"]["write"],
                           "energy_pj": layer["energy_pj"]["total"], "tiles": tiles},
                "zigzag_least_energy": {
                    "cycles": layer["least_energy"]["cycles"],
                    "dram_bytes": layer["least_energy"]["dram_bytes"]["read"]
                    + layer["least_energy"]["dram_bytes"]["write"],
                    "energy_pj": layer["least_energy"]["energy_pj"]["total"]},
                "ours": {objective: {"tiles": m.tiles, "order": m.order, "cycles": m.cycles,
                                     "dram_bytes": m.dram_bytes, "energy_pj": m.energy_pj,
                                     "compulsory_bytes": m.compulsory_bytes,
                                     "legal_mappings": m.legal_mappings}
                         for objective, m in mine.items()},
                "zigzag_mapping_in_our_model": theirs_in_ours})
    record = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "command": " ".join([".venv/bin/python", *sys.argv]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg()},
              "seconds": time.perf_counter() - started, "zigzag_run": raw["command"],
              "design": raw["design"]["params"], "dram": raw["design"]["dram"], "rows": rows}
    with open(args.out.removesuffix(".md") + ".json", "w") as handle:
        json.dump(record, handle, indent=1)
    with open(args.out, "w") as handle:
        handle.write(render(record))


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def render(record: dict) -> str:
    lines = [f"# Our mapper beside ZigZag 3.9.1 ({record['date']})", "",
             f"- command: `{record['command']}` ({record['seconds']:.0f} s, "
             f"{record['machine']['platform']}, {record['machine']['cpus']} shared CPUs)",
             f"- ZigZag run: `{record['zigzag_run']}` (`bench/results/zigzag_raw.md`)",
             "- design: " + ", ".join(f"{k}={v}" for k, v in record["design"].items()
                                      if v is not None)
             + f"; DRAM {record['dram']['bandwidth']} B/cycle, latency "
             f"{record['dram']['latency']}",
             "- per layer (one run of the GEMM; `x` = how many times the network runs it). "
             "Ours: cycles, DRAM bytes and energy by `dse.models.accel`, which equals the "
             "RTL (tests/sim/test_accel_rtl.py); ZigZag's by its own model.", "",
             "## Least cycles (ours) against least latency (ZigZag)", "",
             "| layer | GEMM | x | ZigZag tiles | our tiles | ZigZag cycles | our cycles | "
             "ours / ZZ | ZigZag DRAM B | our DRAM B | ours / ZZ | ZigZag uJ | our uJ | "
             "ZZ mapping in our model: cycles |",
             "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    totals = {"zz_c": 0, "our_c": 0, "zz_d": 0, "our_d": 0, "zz_e": 0.0, "our_e": 0.0,
              "zz_le": 0.0, "our_le": 0.0}
    for row in record["rows"]:
        zz, ours, x = row["zigzag"], row["ours"]["cycles"], row["repeat"]
        theirs = row["zigzag_mapping_in_our_model"]
        cell = ("-" if theirs is None else "refused" if "refused" in theirs
                else f"{theirs['cycles']:,} ({theirs['order']})")
        lines.append(
            f"| {row['layer'].removeprefix('resnet.').removeprefix('transformer.')} | "
            f"{row['gemm']} | {x} | {zz['tiles'] or 'uneven'} | {ours['tiles']} "
            f"{ours['order']} | {zz['cycles']:,} | {ours['cycles']:,} | "
            f"{_ratio(ours['cycles'], zz['cycles'])} | {zz['dram_bytes']:,} | "
            f"{ours['dram_bytes']:,} | {_ratio(ours['dram_bytes'], zz['dram_bytes'])} | "
            f"{zz['energy_pj'] / 1e6:.1f} | {ours['energy_pj'] / 1e6:.1f} | {cell} |")
        totals["zz_c"] += x * zz["cycles"]
        totals["our_c"] += x * ours["cycles"]
        totals["zz_d"] += x * zz["dram_bytes"]
        totals["our_d"] += x * ours["dram_bytes"]
        totals["zz_e"] += x * zz["energy_pj"]
        totals["our_e"] += x * ours["energy_pj"]
        totals["zz_le"] += x * row["zigzag_least_energy"]["energy_pj"]
        totals["our_le"] += x * row["ours"]["energy"]["energy_pj"]
    lines.append(f"| **total** | | | | | {totals['zz_c']:,} | {totals['our_c']:,} | "
                 f"{_ratio(totals['our_c'], totals['zz_c'])} | {totals['zz_d']:,} | "
                 f"{totals['our_d']:,} | {_ratio(totals['our_d'], totals['zz_d'])} | "
                 f"{totals['zz_e'] / 1e6:.1f} | {totals['our_e'] / 1e6:.1f} | |")
    lines += ["", "## Least energy, both mappers", "",
              "| layer | GEMM | ZigZag uJ | our uJ | ours / ZZ | ZigZag DRAM B | our DRAM B | "
              "compulsory B | our tiles |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in record["rows"]:
        zz, ours = row["zigzag_least_energy"], row["ours"]["energy"]
        lines.append(
            f"| {row['layer'].removeprefix('resnet.').removeprefix('transformer.')} | "
            f"{row['gemm']} | {zz['energy_pj'] / 1e6:.1f} | {ours['energy_pj'] / 1e6:.1f} | "
            f"{_ratio(ours['energy_pj'], zz['energy_pj'])} | {zz['dram_bytes']:,} | "
            f"{ours['dram_bytes']:,} | {ours['compulsory_bytes']:,} | {ours['tiles']} "
            f"{ours['order']} |")
    lines.append(f"| **total** | | {totals['zz_le'] / 1e6:.1f} | {totals['our_le'] / 1e6:.1f}"
                 f" | {_ratio(totals['our_le'], totals['zz_le'])} | | | | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
