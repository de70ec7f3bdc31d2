"""Our mapper beside ZigZag's (issue 19), layer by layer, from the recorded ZigZag run
(``bench/results/zigzag_raw.json``, made by ``bench/zigzag/run.py`` on the same design,
buffers, bandwidth and energy table):

- ZigZag's least-latency mapping (its cycles, DRAM bytes, energy, by its model) beside our
  mapper's least-cycles mapping (by our exact model, the RTL's cycles);
- ZigZag's least-energy mapping beside our least-energy mapping;
- where ZigZag's mapping is one of ours (``as_our_tiles``: every operand cut at the same
  tile), that mapping run through our model, so the two mappers' choices are compared
  under one model;
- with ``--rtl`` (the default), every distinct (GEMM, mapping) of the above that our
  hardware takes run in Verilator (``dse.verify.verify_gemm``: the accel harness, one
  build of the design, the mapping and the DRAM as run-time job inputs), bit-exact
  against the golden GEMM, its cycles, DRAM bytes and activity counters beside the
  model's and its energy from the RTL's counters (``energy_from_counters``).

    .venv/bin/python bench/mapper_vs_zigzag.py [--raw bench/results/zigzag_raw.json]
        [--out bench/results/zigzag.md] [--no-rtl]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import machine  # noqa: E402
from dse.mapping.accel import map_gemm  # noqa: E402
from dse.mapping.records import LayerMapping  # noqa: E402
from dse.models.accel import cycles as our_cycles  # noqa: E402
from dse.models.accel import energy_of_counts  # noqa: E402
from dse.verify import verify_gemm  # noqa: E402
from dse.workload import Gemm  # noqa: E402
from hw.accel import AccelParams  # noqa: E402
from hw.accel.tiling import Mapping, refusal  # noqa: E402
from sim.runner import SimulationError  # noqa: E402


def _order(layer: dict) -> str:
    loops = layer["mapping"]["dram_loops_outer_to_inner"]["O"]
    return "nmk" if loops and loops[0][0] == "N" else "mnk"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", default="bench/results/zigzag_raw.json")
    parser.add_argument("--out", default="bench/results/zigzag.md")
    parser.add_argument("--render", action="store_true",
                        help="rewrite the Markdown from the recorded JSON, without mapping")
    parser.add_argument("--rtl", action=argparse.BooleanOptionalAction, default=True,
                        help="run every mapping in Verilator beside the model (default: on)")
    args = parser.parse_args()
    if args.render:
        with open(args.out.removesuffix(".md") + ".json") as handle:
            record = json.load(handle)
        with open(args.out, "w") as handle:
            handle.write(render(record))
        return
    raw = json.load(open(args.raw))
    params = AccelParams(**raw["design"]["params"])
    bandwidth, latency = raw["design"]["dram"]["bandwidth"], raw["design"]["dram"]["latency"]
    started = time.perf_counter()
    cache: dict[tuple[str, str], LayerMapping] = {}
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
    mapped_seconds = time.perf_counter() - started
    rtl = None
    if args.rtl:
        rtl = run_rtl(params, rows, bandwidth, latency)
    record = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "command": " ".join([".venv/bin/python", *sys.argv]),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg(), **machine()},
              "seconds": time.perf_counter() - started, "mapping_seconds": mapped_seconds,
              "source": source(), "zigzag_run": raw["command"],
              "design": raw["design"]["params"],
              "dram": raw["design"]["dram"], "rtl": rtl, "rows": rows}
    with open(args.out.removesuffix(".md") + ".json", "w") as handle:
        json.dump(record, handle, indent=1)
    with open(args.out, "w") as handle:
        handle.write(render(record))


def source() -> str:
    """The commit the measured code comes from, and whether the code differs from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*command: str) -> str:
        return subprocess.run(["git", "-C", root, *command], capture_output=True,
                              text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    changed = git("status", "--porcelain", "--", "dse", "hw", "sim", "flows")
    return commit + (" with local changes to " + ", ".join(
        line[3:] for line in changed.splitlines()) if changed else "")


#: The mappings of a row run in RTL: ours (least cycles, least energy) and ZigZag's.
RTL_MAPPINGS = ("ours_cycles", "ours_energy", "zigzag")


def _row_mappings(row: dict) -> dict[str, dict | None]:
    """The row's mappings that our hardware takes, with the model's figures for them."""
    theirs = row["zigzag_mapping_in_our_model"]
    return {"ours_cycles": row["ours"]["cycles"], "ours_energy": row["ours"]["energy"],
            "zigzag": theirs if theirs is not None and "cycles" in theirs else None}


def run_rtl(params: AccelParams, rows: list[dict], bandwidth: int, latency: int) -> dict:
    """Run every distinct (GEMM, mapping) of ``rows`` in Verilator (one job each, seed 0,
    random values; one build of the design, cached) and attach the result to each row as
    ``row["rtl"][which]`` (``which`` in :data:`RTL_MAPPINGS`). A simulator failure is
    recorded with the run, not raised."""
    started, load_before = time.perf_counter(), os.getloadavg()
    runs: dict[str, dict] = {}
    for row in rows:
        row["rtl"] = {}
        for which, mapped in _row_mappings(row).items():
            if mapped is None:
                row["rtl"][which] = None
                continue
            key = f"{row['gemm']} {mapped['tiles']} {mapped['order']}"
            if key not in runs:
                m, k, n = (int(x) for x in row["gemm"].split("x"))
                runs[key] = _simulate(params, Gemm(m, k, n), mapped["tiles"], mapped["order"],
                                      bandwidth, latency)
                print(f"RTL {key}: {_verdict(runs[key], mapped)} "
                      f"({runs[key].get('seconds', 0):.0f} s)", flush=True)
            row["rtl"][which] = runs[key]
    return {"runs": len(runs),
            "agree": sum(_verdict(run, None) == "yes" for run in runs.values()),
            "simulated_cycles": sum(run.get("cycles", 0) for run in runs.values()),
            "seconds": time.perf_counter() - started,
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "build_cached": all(run.get("build_cached", True) for run in runs.values()),
            "build_seconds": sum(run.get("build_seconds", 0.0) for run in runs.values())}


def _simulate(params: AccelParams, gemm: Gemm, tiles: str, order: str, bandwidth: int,
              latency: int) -> dict:
    """One RTL run of ``gemm`` with the mapping, as a JSON record beside the model's."""
    options = {"mapping": tiles, "order": order, "bandwidth": bandwidth, "latency": latency}
    try:
        verification = verify_gemm(params, gemm, options=options)
    except SimulationError as failure:
        return {"error": str(failure).splitlines()[0]}
    result, model = verification.result, verification.energy.activity
    measured = verification.rtl_energy.activity
    return {"passed": result.passed, "mismatches": result.mismatches,
            "cycles": result.cycles,
            "dram_bytes": result.counters["dram_read_bytes"]
            + result.counters["dram_write_bytes"],
            "energy_pj": verification.rtl_energy.total_pj,
            "model": {"cycles": verification.model.cycles,
                      "dram_bytes": model.dram_read_bytes + model.dram_write_bytes,
                      "energy_pj": verification.energy.total_pj},
            "counters": result.counters,
            "counter_differences": {name: [getattr(model, name), getattr(measured, name)]
                                    for name in model.events()
                                    if getattr(model, name) != getattr(measured, name)},
            "seconds": verification.run.run_seconds,
            "build_cached": verification.run.build_cached,
            "build_seconds": verification.run.build_seconds}


def _verdict(run: dict | None, table: dict | None) -> str:
    """``yes`` if the RTL run is bit-exact and its cycles, DRAM bytes and every activity
    counter equal the model's (and the model's equal ``table``'s, the figures the tables
    show, e.g. the mapper's); else what differs."""
    if run is None:
        return "-"
    if "error" in run:
        return f"error: {run['error']}"
    problems = []
    if not run["passed"]:
        problems.append(f"{run['mismatches']} wrong results")
    for what in ("cycles", "dram_bytes"):
        if run[what] != run["model"][what]:
            problems.append(f"{what}: RTL {run[what]:,}, model {run['model'][what]:,}")
        if table is not None and table[what] != run["model"][what]:
            problems.append(f"{what}: table {table[what]:,}, model {run['model'][what]:,}")
    if run["counter_differences"]:
        problems.append("counters " + ", ".join(
            f"{name} (model {a:,}, RTL {b:,})" for name, (a, b) in
            run["counter_differences"].items()))
    if table is not None and abs(table["energy_pj"] - run["energy_pj"]) > (
            1e-9 * run["energy_pj"]):
        problems.append(f"energy: table {table['energy_pj']:.6g} pJ, "
                        f"RTL {run['energy_pj']:.6g} pJ")
    return "; ".join(problems) or "yes"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def render(record: dict) -> str:
    lines = [f"# Our mapper beside ZigZag 3.9.1 ({record['date']})", "",
             f"- command: `{record['command']}` ({record['seconds']:.0f} s, "
             f"{record['machine']['platform']}, {record['machine']['cpus']} shared CPUs)",
             f"- code: commit {record.get('source', 'unknown')}",
             f"- ZigZag run: `{record['zigzag_run']}` (`bench/results/zigzag_raw.md`)",
             "- design: " + ", ".join(f"{k}={v}" for k, v in record["design"].items()
                                      if v is not None)
             + f"; DRAM {record['dram']['bandwidth']} B/cycle, latency "
             f"{record['dram']['latency']}",
             *_rtl_header(record),
             "- per layer (one run of the GEMM; `x` = how many times the network runs it). "
             "Ours: cycles, DRAM bytes and energy by `dse.models.accel` (the mapper's "
             "figures); `RTL = model`: that mapping run in Verilator, bit-exact, with the "
             "model's cycles, DRAM bytes and every activity counter (section \"RTL beside "
             "the model\"). ZigZag's by its own model.", "",
             "## Least cycles (ours) against least latency (ZigZag)", "",
             "| layer | GEMM | x | ZigZag tiles | our tiles | ZigZag cycles | our cycles | "
             "ours / ZZ | ZigZag DRAM B | our DRAM B | ours / ZZ | ZigZag uJ | our uJ | "
             "ZZ mapping in our model: cycles | RTL = model |",
             "|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    totals = {"zz_c": 0, "our_c": 0, "zz_d": 0, "our_d": 0, "zz_e": 0.0, "our_e": 0.0,
              "zz_le": 0.0, "our_le": 0.0}
    for row in record["rows"]:
        zz, ours, x = row["zigzag"], row["ours"]["cycles"], row["repeat"]
        theirs = row["zigzag_mapping_in_our_model"]
        cell = ("-" if theirs is None else "refused" if "refused" in theirs
                else f"{theirs['cycles']:,} ({theirs['order']})")
        lines.append(
            f"| {_short(row['layer'])} | "
            f"{row['gemm']} | {x} | {zz['tiles'] or 'uneven'} | {ours['tiles']} "
            f"{ours['order']} | {zz['cycles']:,} | {ours['cycles']:,} | "
            f"{_ratio(ours['cycles'], zz['cycles'])} | {zz['dram_bytes']:,} | "
            f"{ours['dram_bytes']:,} | {_ratio(ours['dram_bytes'], zz['dram_bytes'])} | "
            f"{zz['energy_pj'] / 1e6:.1f} | {ours['energy_pj'] / 1e6:.1f} | {cell} | "
            f"{_rtl_cell(row, 'ours_cycles')} |")
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
                 f"{totals['zz_e'] / 1e6:.1f} | {totals['our_e'] / 1e6:.1f} | | |")
    lines += ["", "## Least energy, both mappers", "",
              "| layer | GEMM | ZigZag uJ | our uJ | ours / ZZ | ZigZag DRAM B | our DRAM B | "
              "compulsory B | our tiles | RTL = model |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for row in record["rows"]:
        zz, ours = row["zigzag_least_energy"], row["ours"]["energy"]
        lines.append(
            f"| {_short(row['layer'])} | "
            f"{row['gemm']} | {zz['energy_pj'] / 1e6:.1f} | {ours['energy_pj'] / 1e6:.1f} | "
            f"{_ratio(ours['energy_pj'], zz['energy_pj'])} | {zz['dram_bytes']:,} | "
            f"{ours['dram_bytes']:,} | {ours['compulsory_bytes']:,} | {ours['tiles']} "
            f"{ours['order']} | {_rtl_cell(row, 'ours_energy')} |")
    lines.append(f"| **total** | | {totals['zz_le'] / 1e6:.1f} | {totals['our_le'] / 1e6:.1f}"
                 f" | {_ratio(totals['our_le'], totals['zz_le'])} | | | | | |")
    return "\n".join(lines + render_rtl(record)) + "\n\n" + NOTES + _rtl_note(record)


def _rtl_note(record: dict) -> str:
    """The closing note on where our figures come from, with the RTL runs' verdict."""
    rtl = record.get("rtl")
    if rtl is None:
        verdict = ("The RTL runs were skipped (`--no-rtl`), so the RTL columns are "
                   "empty; rerun without it for them.")
    elif rtl["agree"] == rtl["runs"]:
        verdict = (f"All {rtl['runs']} RTL runs (each distinct layer GEMM with our "
                   "least-cycles and least-energy mappings, and with ZigZag's mapping "
                   "where our hardware takes it) are bit-exact and equal the model's "
                   "cycles, DRAM bytes and every activity counter, so the energy from "
                   "the RTL's counters is the model's too (\"RTL beside the model\").")
    else:
        verdict = (f"**{rtl['runs'] - rtl['agree']} of the {rtl['runs']} RTL runs differ "
                   "from the model** (\"RTL beside the model\", last column, says "
                   "what differs); the tables' model figures are not the RTL's there.")
    lead = "" if rtl is None else "Ours is checked against the RTL layer by layer. "
    text = (lead + verdict
            + " `tests/sim/test_accel_rtl.py` and `tests/dse/test_mapping.py` hold the "
            "model and the mapper's choices to the Verilator runs in the test suite.")
    return textwrap.fill(text, 90, initial_indent="  ", subsequent_indent="  ") + "\n"


def _short(layer: str) -> str:
    return layer.removeprefix("resnet.").removeprefix("transformer.")


def _rtl_cell(row: dict, which: str) -> str:
    if "rtl" not in row:
        return "not run"
    return _verdict(row["rtl"][which], _row_mappings(row)[which])


def _rtl_header(record: dict) -> list[str]:
    rtl = record.get("rtl")
    if rtl is None:
        return ["- RTL: not run (`--no-rtl`)"]
    before, after = rtl["load_average_before"], rtl["load_average_after"]
    build = ("cached build" if rtl["build_cached"]
             else f"build {rtl['build_seconds']:.0f} s")
    return [f"- RTL: {rtl['runs']} distinct (GEMM, mapping) runs in Verilator "
            f"(`dse.verify.verify_gemm`, the accel harness of `sim.accel.harness`), "
            f"{rtl['simulated_cycles']:,} simulated cycles in {rtl['seconds']:.0f} s "
            f"({build}); load average (1/5/15 min) {before[0]:.2f}/{before[1]:.2f}/"
            f"{before[2]:.2f} before, {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after; "
            f"**{rtl['agree']} of {rtl['runs']} equal the model exactly** (bit-exact "
            f"results, cycles, DRAM bytes, every activity counter)"]


RTL_TABLES = (("ours_cycles", "Our least-cycles mappings"),
              ("ours_energy", "Our least-energy mappings"),
              ("zigzag", "ZigZag's least-latency mappings, where our hardware takes them"))


def render_rtl(record: dict) -> list[str]:
    """The RTL section: per mapping set, every layer's model and RTL figures."""
    lines = ["", "## RTL beside the model", ""]
    if record.get("rtl") is None:
        return lines + ["Not run (`--no-rtl`).", ""]
    lines += ["Each layer's GEMM with the mapping run in Verilator (seed 0, random int8 "
              "operands), checked bit-exact against the golden GEMM by the harness. Model: "
              "the figures of the tables above (the mapper's for ours, "
              "`dse.models.accel.cycles` for ZigZag's mapping); RTL: the cycles to `done`, "
              "the DRAM bytes read and written as the RTL counted them, and the energy of "
              "the RTL's activity counters (`dse.models.accel.energy_from_counters`, the "
              "same energy table)."]
    for which, title in RTL_TABLES:
        lines += ["", f"### {title}", "",
                  "| layer | GEMM | x | tiles | model cycles | RTL cycles | model DRAM B | "
                  "RTL DRAM B | model uJ | RTL uJ | RTL = model |",
                  "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
        sums = [0, 0, 0, 0, 0.0, 0.0]
        complete = True
        for row in record["rows"]:
            mapped, run = _row_mappings(row)[which], row["rtl"][which]
            if mapped is None:
                continue
            if run is None or "error" in run:
                complete = False
                rtl = ["-", "-", "-"]
            else:
                rtl = [f"{run['cycles']:,}", f"{run['dram_bytes']:,}",
                       f"{run['energy_pj'] / 1e6:.1f}"]
                for i, what in enumerate(("cycles", "dram_bytes", "energy_pj")):
                    sums[2 * i + 1] += row["repeat"] * run[what]
            for i, what in enumerate(("cycles", "dram_bytes", "energy_pj")):
                sums[2 * i] += row["repeat"] * mapped[what]
            lines.append(
                f"| {_short(row['layer'])} | {row['gemm']} | {row['repeat']} | "
                f"{mapped['tiles']} {mapped['order']} | {mapped['cycles']:,} | {rtl[0]} | "
                f"{mapped['dram_bytes']:,} | {rtl[1]} | {mapped['energy_pj'] / 1e6:.1f} | "
                f"{rtl[2]} | {_verdict(run, mapped)} |")
        rtl_sums = ([f"{sums[1]:,}", f"{sums[3]:,}", f"{sums[5] / 1e6:.1f}"] if complete
                    else ["incomplete"] * 3)
        lines.append(f"| **total** | | | | {sums[0]:,} | {rtl_sums[0]} | {sums[2]:,} | "
                     f"{rtl_sums[1]} | {sums[4] / 1e6:.1f} | {rtl_sums[2]} | |")
    lines += ["", _same_layers(record)]
    return lines


def _same_layers(record: dict) -> str:
    """Our least-cycles mappings in RTL on the layers where ZigZag's mapping runs too."""
    rows = [row for row in record["rows"] if row["rtl"]["zigzag"] is not None]
    runs = [(row["repeat"], row["rtl"]["ours_cycles"], row["rtl"]["zigzag"]) for row in rows]
    if any(run is None or "error" in run for _, *pair in runs for run in pair):
        return "Some runs failed; no comparison on the same layers."
    ours, theirs = ({what: sum(x * pair[i][what] for x, *pair in runs)
                     for what in ("cycles", "dram_bytes", "energy_pj")} for i in (0, 1))
    return (f"On the {len(rows)} layers where ZigZag's mapping runs on our hardware, our "
            f"least-cycles mappings take, in RTL, {ours['cycles']:,} cycles, "
            f"{ours['dram_bytes']:,} DRAM bytes and {ours['energy_pj'] / 1e6:.1f} uJ against "
            f"{theirs['cycles']:,}, {theirs['dram_bytes']:,} and "
            f"{theirs['energy_pj'] / 1e6:.1f} uJ for ZigZag's (ratios "
            f"{_ratio(ours['cycles'], theirs['cycles'])}, "
            f"{_ratio(ours['dram_bytes'], theirs['dram_bytes'])}, "
            f"{_ratio(ours['energy_pj'], theirs['energy_pj'])}).")


NOTES = """## Why they differ

The ZigZag side is described in `bench/zigzag/README.md` (what maps to what, and how
ZigZag 3.9.1 computes each quantity, with file and function names); the points below
refer to it.

- **Cycles agree to 0-2% on 26 of 27 layers.** At 8 B/cycle this 8x8 design is
  DRAM-bound in both models, and both charge the DRAM port its bytes at the bandwidth.
  Ours adds what ZigZag has no term for (README: "What ZigZag cannot express", "Cycles"):
  the 40-cycle latency and a set-up cycle per DMA transfer, 3 controller and 3
  compute-engine cycles per step, and the core's fill and drain per tile (ZigZag: one
  `systolic_drain_cycle` per layer, and a memory's `latency` is read by nothing). Those
  are the 0.3-2%. The exception is the classifier, 1x512x1000 (1.22x): M = 1 runs as 8
  padded rows, the steps are short, and the per-transfer latency and per-tile fill and
  drain are a large share of each step.
- **Our least-cycles mappings move 29% less DRAM traffic for 0.5% more cycles.** ZigZag's
  least-latency choices cut K into tiles of 16 or 24 (`96x16x32` and the like), so A is re-read
  for every N tile and B for every M tile. In ZigZag's model that costs no time: its
  double-buffered DRAM transfers only stall when a link's transfer exceeds its window
  (`PortActivity`), and here they fit. In ours every tile is a step with a DMA transfer
  that pays the DRAM latency and set-up, so small K tiles are slower. The last column runs
  ZigZag's mapping (where it is one of ours) through our model: 3-19% more cycles than
  our mapper's choice, e.g. 3,771,100 against 3,552,208 on GPT-2's c_attn. Under our
  model (the RTL's cycles) our mapper's choice is the cheaper one on every such layer;
  the brute-force tests (`tests/dse/test_mapping.py`) show it is the cheapest legal one.
- **Least energy: ours is 14% lower over the two networks; 0.78-0.88 on the big layers.**
  Energy is dominated by DRAM bytes in both (same Horowitz table, 1950 pJ per 64 bits).
  LOMA's tiles are products of the prime factors of each loop, merged down to 6 (README:
  "The mapper"), so it cannot pick, say, a K tile of 256 of 768 or 192 of 576; ours takes
  any multiple of the granule that fits, and reaches K tiles that read A and B fewer
  times (e.g. 9.8 MB against 12.2 MB for GPT-2's mlp.c_proj).
- **Where ZigZag's energy is lower (1.01-1.10).** (a) Padded work: our core computes
  padded rows and columns and our energy counts those MACs and their padded DRAM reads
  (the classifier's single row of A is read as 8; the 1x512x1000 and 49-row layers);
  ZigZag charges `unit_energy x layer.total_mac_count`, unpadded. (b) Slots: every tile of
  ours must fit one of two slots of its buffer (`hw.accel.tiling.refusal`); ZigZag lets a
  tile that is a whole operand fill the whole memory, and lets each operand have its own
  tile (uneven mapping). So it reaches the compulsory traffic where we cannot: GPT-2's
  attention AV (64x128x128) keeps all of C (32 KiB) in the accumulator, a job our
  hardware refuses ("refused" in the last column); the 196x128x256 shortcut reads
  258,496 B, the compulsory amount, against our 284,672 B.
- **The 27 layers come from `zigzag_raw.json`** (ResNet-18 at 224x224 and one GPT-2
  prefill block of 128 tokens); ZigZag's latency there is its own model's, not an RTL's.
"""


if __name__ == "__main__":
    main()
