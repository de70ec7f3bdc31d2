"""Benchmark: accel-v1 beside SCALE-Sim 3.0.0 (user-bandwidth mode) on the layers of the
ZigZag comparison (issue 19): ResNet-18 at 224 x 224 and a GPT-2 prefill block of 128
tokens, the distinct layer GEMMs of ``bench/results/zigzag.json``.

Run from the repository root with the project's venv, after ``bash bench/scalesim/setup.sh``::

    .venv/bin/python bench/scalesim/layers_compare.py [--bandwidths 8] \\
        [--scalesim-max-estimate 600] [--out bench/results]

It reuses ``accel_compare.py``: the same design, SRAM sizes and SCALE-Sim runner, its cache
of SCALE-Sim records (one case per run, one process at a time), its model rows (our mapper's
least-cycles mapping through our exact model, and the SCALE-Sim-like mapping). SCALE-Sim's
Python memory loop walks every demand line, so each case's time is estimated from its demand
lines at the per-line rates recorded in ``scalesim_accel.json``; a case not cached runs only
if that estimate is at most ``--scalesim-max-estimate`` seconds, otherwise it is listed as
skipped with the estimate. RTL: our mapping's Verilator run is cited from ``zigzag.json``
(OS, 8 B/cycle) or from ``accel_compare.py``'s cache when that run exists; a mapping run
nowhere is run here through ``dse.verify.verify_gemm`` (``--rtl``). Writes
``scalesim_layers.json`` and ``scalesim_layers.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # bench/ (common, mapper_vs_zigzag)
sys.path.insert(0, str(HERE))          # accel_compare
from accel_compare import (  # noqa: E402
    _kib,
    _operand_words,
    checks,
    design,
    model_phase,
    os_ws_table,
    run_scalesim,
    scalesim_cache_path,
    scalesim_lines,
    scalesim_sram_kb,
)
from common import machine  # noqa: E402
from mapper_vs_zigzag import _row_mappings, _simulate, _verdict  # noqa: E402

from dse.workload import Gemm, Layer  # noqa: E402
from hw.accel import AccelParams  # noqa: E402


def workload_gemms(zigzag: dict[str, Any]) -> list[dict[str, Any]]:
    """The distinct GEMMs of the ZigZag comparison in its order, each with its first
    layer's name, its workload and how many times the workloads run it."""
    gemms: dict[str, dict[str, Any]] = {}
    for row in zigzag["rows"]:
        entry = gemms.setdefault(row["gemm"], {"gemm": row["gemm"], "layer": row["layer"],
                                               "workload": row["workload"], "runs": 0})
        entry["runs"] += row["repeat"]
    return list(gemms.values())


def line_rates(accel_record: dict[str, Any]) -> list[float]:
    """SCALE-Sim's recorded wall seconds per demand line, one per case it ran."""
    rates = []
    for row in accel_record["rows"]:
        ss = row["scalesim"]
        if "skipped" in ss or not ss.get("seconds"):
            continue
        params = AccelParams(rows=accel_record["design"]["rows"],
                             cols=accel_record["design"]["cols"], dataflow=row["dataflow"])
        lines = scalesim_lines(params, Gemm(*(int(p) for p in row["gemm"].split("x"))))
        rates.append(ss["seconds"] / lines)
    return rates


def scalesim_phase(args: argparse.Namespace, gemms: list[dict[str, Any]],
                   rates: list[float]) -> tuple[dict[tuple, Any], list[dict[str, Any]]]:
    """SCALE-Sim's record per (dataflow, bandwidth, GEMM), smallest first, and the time
    estimate of every case."""
    median = statistics.median(rates)
    cases = []
    for dataflow in args.dataflows:
        params = design(dataflow, args)
        for bandwidth in args.bandwidths:
            for entry in gemms:
                gemm = Gemm(*(int(p) for p in entry["gemm"].split("x")))
                cases.append((scalesim_lines(params, gemm), dataflow, bandwidth, gemm))
    records: dict[tuple, Any] = {}
    estimates = []
    for lines, dataflow, bandwidth, gemm in sorted(cases, key=lambda c: c[0]):
        params = design(dataflow, args)
        estimate = {"dataflow": dataflow, "bandwidth": bandwidth, "gemm": str(gemm),
                    "macs": gemm.macs, "lines": lines, "seconds": lines * median,
                    "seconds_low": lines * min(rates), "seconds_high": lines * max(rates)}
        cached = scalesim_cache_path(params, gemm, bandwidth, args.cache).exists()
        attempted = dict(args.attempted).get(f"{dataflow}:{bandwidth}:{gemm}")
        if not cached and attempted:
            record = {"skipped": f"not finished: {attempted}"}
        elif not cached and estimate["seconds"] > args.scalesim_max_estimate:
            record = {"skipped": f"not run: {lines:,} demand lines, estimated "
                                 f"{estimate['seconds'] / 60:,.0f} min "
                                 f"({estimate['seconds_low'] / 60:,.0f}-"
                                 f"{estimate['seconds_high'] / 60:,.0f})"}
        else:
            record = run_scalesim(params, gemm, bandwidth, args.cache, args.scalesim_timeout)
        estimate["ran_seconds"] = record.get("wall_seconds")
        estimate["load_at_start"] = record.get("load_average_1m_at_start")
        estimate["skipped"] = record.get("skipped")
        estimates.append(estimate)
        records[(dataflow, bandwidth, str(gemm))] = record
        print(json.dumps({"scalesim": [dataflow, bandwidth, str(gemm)],
                          "seconds": record.get("wall_seconds"),
                          "skipped": record.get("skipped")}), flush=True)
    return records, estimates


def _rtl_key(params: AccelParams, bandwidth: int, latency: int, gemm: str, tiles: str,
             order: str) -> str:
    """``accel_compare.rtl_phase``'s cache key of one RTL run."""
    return (f"rtl_{params.rows}x{params.cols}_{params.dataflow}_s{params.spad_kib}"
            f"_a{params.acc_kib}_b{params.bus_bytes}_bw{bandwidth}_l{latency}"
            f"_{gemm}_{tiles}_{order}")


def rtl_of(args: argparse.Namespace, row: dict[str, Any],
           zigzag: dict[str, Any]) -> dict[str, Any]:
    """The RTL run of the row's mapper mapping: cited from ``zigzag.json`` or from
    ``accel_compare``'s cache, else run here (``--rtl``) and cached."""
    params = design(row["dataflow"], args)
    mapper = row["mapper"]
    tiles, order = mapper["tiles"], mapper["order"]
    if (zigzag["design"]["dataflow"], zigzag["dram"]["bandwidth"],
            zigzag["dram"]["latency"]) == (row["dataflow"], row["bandwidth"], args.latency):
        for zrow in zigzag["rows"]:
            if zrow["gemm"] != row["gemm"]:
                continue
            for which, mapped in _row_mappings(zrow).items():
                run = zrow["rtl"].get(which)
                if mapped and run and (mapped["tiles"], mapped["order"]) == (tiles, order):
                    verdict = _verdict(run, None)
                    if verdict == "yes" and (run["cycles"], run["dram_bytes"]) != (
                            mapper["cycles"], mapper["dram_bytes"]):
                        verdict = "RTL = its model, not this table's"
                    return {"source": "zigzag.json", "cycles": run["cycles"],
                            "dram_bytes": run["dram_bytes"], "verdict": verdict}
    key = _rtl_key(params, row["bandwidth"], args.latency, row["gemm"], tiles, order)
    earlier = args.cache / f"{key}.json"
    if earlier.exists():
        run = json.loads(earlier.read_text())
        if "counters" in run:
            equal = (run["passed"] and run["cycles"] == mapper["cycles"]
                     and all(run["counters"].get(name) == value
                             for name, value in mapper["activity"].items()))
            return {"source": "scalesim_accel (accel_compare cache)", "cycles": run["cycles"],
                    "dram_bytes": run["counters"]["dram_read_bytes"]
                    + run["counters"]["dram_write_bytes"],
                    "verdict": "yes" if equal else "differs"}
    own = args.cache / f"layers_{key}.json"
    if own.exists():
        run = json.loads(own.read_text())
    elif args.rtl and mapper["cycles"] <= args.rtl_max_cycles:
        m, k, n = (int(p) for p in row["gemm"].split("x"))
        run = _simulate(params, Gemm(m, k, n), tiles, order, row["bandwidth"], args.latency)
        run["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        own.write_text(json.dumps(run, indent=1))
        print(json.dumps({"rtl": [row["dataflow"], row["bandwidth"], row["gemm"], tiles,
                                  order], "verdict": _verdict(run, None)}), flush=True)
    else:
        return {"source": None, "verdict": "not run"}
    verdict = _verdict(run, None)
    if verdict == "yes" and (run["cycles"], run["dram_bytes"]) != (mapper["cycles"],
                                                                   mapper["dram_bytes"]):
        verdict = "RTL = its model, not this table's"
    return {"source": "run here (dse.verify.verify_gemm)", "cycles": run.get("cycles"),
            "dram_bytes": run.get("dram_bytes"), "seconds": run.get("seconds"),
            "verdict": verdict}


def decompose(row: dict[str, Any], rows_: int, cols: int, active: int) -> dict[str, Any]:
    """SCALE-Sim's total split into its phases and its DRAM words against what its fold
    order needs (read from its source; see ``scalesim_accel.md``)."""
    ss = row["scalesim"]
    m, k, n = (int(p) for p in row["gemm"].split("x"))
    lines = scalesim_lines(AccelParams(rows=rows_, cols=cols, dataflow=row["dataflow"]),
                           Gemm(m, k, n))
    ifmap_words, filter_words = _operand_words(row, rows_, cols)
    ifmap_passes = 1 if ifmap_words <= active else math.ceil(n / cols)
    need_ifmap = ifmap_words * ifmap_passes
    outputs = m * n * (math.ceil(k / rows_) if row["dataflow"] == "ws" else 1)
    return {"preload": ss["prefetch_cycles"], "compute_lines": lines - 1,
            "stalls": ss["stall_cycles"],
            "drain": ss["cycles_incl_prefetch"] - ss["prefetch_cycles"] - ss["cycles"],
            "ifmap_words": ifmap_words, "filter_words": filter_words,
            "ifmap_passes": ifmap_passes,
            "ifmap_excess": ss["dram_ifmap_reads"] / need_ifmap,
            "filter_excess": ss["dram_filter_reads"] / filter_words,
            "ofmap_writes_over_outputs": ss["dram_ofmap_writes"] / (m * n),
            "expected_ofmap_writes": outputs,
            "port_cycles": max(ss["dram_ifmap_reads"], ss["dram_filter_reads"],
                               ss["dram_ofmap_writes"]) / row["bandwidth"]}


def _short(name: str) -> str:
    return (name.removeprefix("transformer.").removeprefix("encoder.")
            .removesuffix(".convolution"))


def _span(values: list[float]) -> str:
    low, high = f"{min(values):.2f}", f"{max(values):.2f}"
    return low if low == high else f"{low}-{high}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}"


def case_table(rows: list[dict[str, Any]]) -> list[str]:
    """One table of a dataflow and bandwidth: a row per distinct GEMM."""
    lines = ["| layer | GEMM | x | MACs | SCALE-Sim cycles incl. prefetch | preload + compute "
             "+ stall + drain | SCALE-Sim DRAM KiB R / W | our mapping | our cycles | our "
             "DRAM KiB R / W | RTL = model | SCALE-Sim / ours, cycles | SCALE-Sim / ours, "
             "DRAM bytes | SCALE-Sim-like mapping, cycles lat 40 / 1 | SCALE-Sim / like "
             "(lat 1) |",
             "|---|---|--:|--:|--:|--:|--:|---|--:|--:|---|--:|--:|--:|--:|"]
    for r in rows:
        ss, mp, lk, l1 = r["scalesim"], r["mapper"], r["like"], r["like_latency1"]
        rtl = r["rtl"]
        rtl_cell = rtl["verdict"] + (f" ({rtl['source'].split(' ')[0]})"
                                     if rtl.get("source") else "")
        if "skipped" in ss:
            ss_cells = [f"skipped ({ss['skipped'].removeprefix('not run: ')})", "-", "-"]
            total = dram = None
        else:
            d = r["decomposition"]
            total, dram = ss["cycles_incl_prefetch"], ss["dram_bytes"]
            ss_cells = [f"{total:,}", f"{d['preload']:,} + {d['compute_lines']:,} + "
                        f"{d['stalls']:,} + {d['drain']:,}",
                        f"{_kib(ss['dram_read_bytes'])} / {_kib(ss['dram_write_bytes'])}"]
        lines.append(
            f"| {_short(r['layer'])} | {r['gemm']} | {r['runs']} | {r['macs']:,} | "
            + " | ".join(ss_cells)
            + f" | {mp['tiles']} {mp['order']} | {mp['cycles']:,} "
            f"| {_kib(mp['dram_read_bytes'])} / {_kib(mp['dram_write_bytes'])} | {rtl_cell} "
            f"| {_ratio(total, mp['cycles'])} | {_ratio(dram, mp['dram_bytes'])} "
            f"| {lk['cycles']:,} / {l1['cycles']:,} | {_ratio(total, l1['cycles'])} |")
    return lines


def estimate_table(estimates: list[dict[str, Any]], earlier: set[str]) -> list[str]:
    lines = ["| dataflow | B/cycle | GEMM | MACs | demand lines | estimate (min) | range (min) "
             "| SCALE-Sim wall time | load at its start |",
             "|---|--:|---|--:|--:|--:|--:|---|--:|"]
    for e in estimates:
        status = (f"{e['ran_seconds']:,.0f} s" if e["ran_seconds"] is not None
                  else (e["skipped"] or "cached").removeprefix("not run: ").split(",")[0])
        if e["ran_seconds"] is None and e["skipped"] and e["skipped"].startswith("not run"):
            status = "not run"
        elif e["ran_seconds"] is None and e["skipped"]:
            status = e["skipped"]
        if f"{e['dataflow']} {e['bandwidth']} {e['gemm']}" in earlier:
            status += " (run for `scalesim_accel.md`)"
        lines.append(f"| {e['dataflow'].upper()} | {e['bandwidth']} | {e['gemm']} "
                     f"| {e['macs']:,} | {e['lines']:,} | {e['seconds'] / 60:,.1f} "
                     f"| {e['seconds_low'] / 60:,.1f}-{e['seconds_high'] / 60:,.1f} "
                     f"| {status} | {e.get('load_at_start') or '-'} |")
    return lines


def totals(rows: list[dict[str, Any]], workload: str) -> dict[str, Any] | None:
    """Cycles and DRAM bytes of a workload's runs of the GEMMs SCALE-Sim ran."""
    chosen = [r for r in rows if r["workload"] == workload and "skipped" not in r["scalesim"]]
    if not chosen:
        return None
    return {"gemms": len(chosen), "runs": sum(r["runs"] for r in chosen),
            "all_runs": sum(r["runs"] for r in rows if r["workload"] == workload),
            "macs": sum(r["macs"] * r["runs"] for r in chosen),
            "all_macs": sum(r["macs"] * r["runs"] for r in rows if r["workload"] == workload),
            "scalesim_cycles": sum(r["scalesim"]["cycles_incl_prefetch"] * r["runs"]
                                   for r in chosen),
            "our_cycles": sum(r["mapper"]["cycles"] * r["runs"] for r in chosen),
            "scalesim_bytes": sum(r["scalesim"]["dram_bytes"] * r["runs"] for r in chosen),
            "our_bytes": sum(r["mapper"]["dram_bytes"] * r["runs"] for r in chosen)}


def summary(record: dict[str, Any]) -> list[str]:
    lines = ["## Summary", ""]
    rows = record["rows"]
    for dataflow in record["dataflows"]:
        for bandwidth in record["bandwidths"]:
            chosen = [r for r in rows if (r["dataflow"], r["bandwidth"]) == (dataflow,
                                                                             bandwidth)]
            ran = [r for r in chosen if "skipped" not in r["scalesim"]]
            if not ran:
                continue
            cyc = sorted((r["scalesim"]["cycles_incl_prefetch"] / r["mapper"]["cycles"],
                          r["gemm"]) for r in ran)
            byt = [r["scalesim"]["dram_bytes"] / r["mapper"]["dram_bytes"] for r in ran]
            lines.append(
                f"- {dataflow.upper()}, {bandwidth} B/cycle: SCALE-Sim ran {len(ran)} of "
                f"{len(chosen)} GEMMs; its cycles / ours {cyc[0][0]:.2f} ({cyc[0][1]}) to "
                f"{cyc[-1][0]:.2f} ({cyc[-1][1]}); its DRAM bytes / ours {min(byt):.2f}-"
                f"{max(byt):.2f}")
            for workload in sorted({r["workload"] for r in chosen}):
                t = totals(chosen, workload)
                if t is None:
                    continue
                lines.append(
                    f"  - {workload}, the {t['runs']} of {t['all_runs']} layer runs it ran "
                    f"({t['macs'] / t['all_macs']:.1%} of the MACs): SCALE-Sim "
                    f"{t['scalesim_cycles']:,} cycles, ours {t['our_cycles']:,} "
                    f"({_ratio(t['scalesim_cycles'], t['our_cycles'])}); DRAM bytes "
                    f"{t['scalesim_bytes']:,} against {t['our_bytes']:,} "
                    f"({_ratio(t['scalesim_bytes'], t['our_bytes'])})")
    return lines + [""]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zigzag", type=Path, default=Path("bench/results/zigzag.json"),
                        help="the ZigZag comparison's record: its layers, design and RTL")
    parser.add_argument("--accel", type=Path,
                        default=Path("bench/results/scalesim_accel.json"),
                        help="scalesim_accel's record: SCALE-Sim's recorded seconds per line")
    parser.add_argument("--dataflows", nargs="+", default=["os", "ws"])
    parser.add_argument("--bandwidths", type=int, nargs="+", default=[8])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hwdse-scalesim-user"),
                        help="accel_compare's folder of cached SCALE-Sim and RTL records")
    parser.add_argument("--scalesim-max-estimate", type=float, default=600.0,
                        help="run a SCALE-Sim case not cached only if its estimated wall "
                        "time is at most this many seconds")
    parser.add_argument("--scalesim-timeout", type=float, default=1800.0)
    parser.add_argument("--attempted", type=lambda text: tuple(text.split("=", 1)),
                        nargs="*", default=[], metavar="DATAFLOW:B:GEMM=WHY",
                        help="cases an earlier run started but did not finish, and why")
    parser.add_argument("--scalesim-only", action="store_true",
                        help="run (and cache) the SCALE-Sim cases only")
    parser.add_argument("--rtl", action=argparse.BooleanOptionalAction, default=True,
                        help="run in Verilator our mappings that no earlier run covers")
    parser.add_argument("--rtl-max-cycles", type=int, default=5_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--note", default="", help="a line for the report's header")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    zigzag = json.loads(args.zigzag.read_text())
    accel_record = json.loads(args.accel.read_text())
    params = zigzag["design"]
    args.size, args.spad_kib = params["rows"], params["spad_kib"]
    args.acc_kib, args.bus_bytes = params["acc_kib"], params["bus_bytes"]
    args.latency = zigzag["dram"]["latency"]
    if design(params["dataflow"], args).to_dict() != AccelParams(**params).to_dict():
        raise SystemExit("accel_compare.design differs from the ZigZag comparison's design")
    before = machine()
    start = time.monotonic()
    gemms = workload_gemms(zigzag)
    rates = line_rates(accel_record)
    scalesim, estimates = scalesim_phase(args, gemms, rates)
    scalesim_seconds = time.monotonic() - start
    if args.scalesim_only:
        return
    by_gemm = {entry["gemm"]: entry for entry in gemms}
    layers = [Layer(name=entry["layer"], gemm=Gemm(*(int(p) for p in entry["gemm"].split("x"))))
              for entry in gemms]
    rows = model_phase(args, layers, scalesim)
    sram = scalesim_sram_kb(design(args.dataflows[0], args))
    active = sram["ifmap_kb"] * 1024 // 2
    rtl_start = time.monotonic()
    for row in rows:
        row.update(workload=by_gemm[row["gemm"]]["workload"], runs=by_gemm[row["gemm"]]["runs"])
        row["rtl"] = rtl_of(args, row, zigzag)
        if "skipped" not in row["scalesim"]:
            row["decomposition"] = decompose(row, args.size, args.size, active)
    after = machine()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "dse", "hw"], capture_output=True,
                           text=True).stdout.split()
    record = {
        "command": " ".join([".venv/bin/python", *sys.argv]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": head,
        "uncommitted_model_files": [p for p in dirty if "/" in p],
        "machine_before": before, "machine_after": after,
        "scalesim_version": next((r["scalesim"] for r in scalesim.values() if "scalesim" in r),
                                 None),
        "design": design(args.dataflows[0], args).to_dict(), "dataflows": args.dataflows,
        "latency": args.latency, "bandwidths": args.bandwidths, "scalesim_sram_kb": sram,
        "zigzag_record": {"command": zigzag["command"], "date": zigzag["date"]},
        "seconds_per_line": {"median": statistics.median(rates), "min": min(rates),
                             "max": max(rates), "cases": len(rates)},
        "scalesim_max_estimate": args.scalesim_max_estimate,
        "cases_of_scalesim_accel": sorted(
            f"{r['dataflow']} {r['bandwidth']} {r['gemm']}" for r in accel_record["rows"]
            if "skipped" not in r["scalesim"]),
        "scalesim_phase_seconds": round(scalesim_seconds, 1),
        "rtl_phase_seconds": round(time.monotonic() - rtl_start, 1),
        "note": args.note, "estimates": estimates, "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scalesim_layers.json").write_text(json.dumps(record, indent=1) + "\n")
    (args.out / "scalesim_layers.md").write_text("\n".join(markdown(record)) + "\n")


def markdown(record: dict[str, Any]) -> list[str]:
    rows = record["rows"]
    before, after = record["machine_before"], record["machine_after"]
    ran = [r for r in rows if "skipped" not in r["scalesim"]]
    rate = record["seconds_per_line"]
    earlier = set(record["cases_of_scalesim_accel"])
    observed = [e["ran_seconds"] / e["lines"] * 1e6 for e in record["estimates"]
                if e["ran_seconds"]
                and f"{e['dataflow']} {e['bandwidth']} {e['gemm']}" not in earlier]
    rtl_sources: dict[str, int] = {}
    for r in rows:
        key = f"{r['rtl']['source'] or 'none'}: {r['rtl']['verdict']}"
        rtl_sources[key] = rtl_sources.get(key, 0) + 1
    sram = record["scalesim_sram_kb"]
    here = {(r["gemm"], r["dataflow"], r["bandwidth"]): r["rtl"].get("seconds") or 0
            for r in rows if (r["rtl"]["source"] or "").startswith("run here")}
    lines = [
        "# accel-v1 beside SCALE-Sim 3.0.0 on the ZigZag comparison's layers (issue 19)",
        "",
        f"- command: `{record['command']}` ({record['date']}, commit {record['commit']}"
        + (f"; uncommitted changes by others in {', '.join(record['uncommitted_model_files'])}"
           if record["uncommitted_model_files"] else "") + ")",
        f"- machine: {before['cpu']}, {before['cores']} cores shared with other sessions; "
        f"load average {before['load_average_1m']} before, {after['load_average_1m']} after",
        "- layers: the distinct GEMMs of `zigzag.json` (`bench/mapper_vs_zigzag.py`, "
        f"{record['zigzag_record']['date']}): ResNet-18 at 224 x 224 and a GPT-2 prefill "
        "block of 128 tokens; `x` = how many times the two workloads run the GEMM",
        f"- design as in `zigzag.md` and `scalesim_accel.md`: {record['design']['rows']}x"
        f"{record['design']['cols']} int8 systolic core, {record['design']['spad_kib']} KiB "
        f"scratchpad, {record['design']['acc_kib']} KiB accumulator, "
        f"{record['design']['bus_bytes']}-byte bus, our DRAM latency {record['latency']}; "
        f"SCALE-Sim {record['scalesim_version']} in `InterfaceBandwidth: USER` with ifmap / "
        f"filter / ofmap SRAM {sram['ifmap_kb']} / {sram['filter_kb']} / {sram['ofmap_kb']} kB "
        "and each of its three DRAM ports at the table's bandwidth (`run_scalesim_user.py`, "
        "through `accel_compare.run_scalesim`; one case per process, one at a time)",
        "- cycles compared as in `scalesim_accel.md`: SCALE-Sim's `Total Cycles (incl. "
        "prefetch)`, split into its preload, compute lines (CALC schedule), stall cycles and "
        "final drain, against our command-to-done cycles by our exact model with our "
        "mapper's least-cycles mapping (`dse.mapping`); DRAM KiB = bytes / 1024 (SCALE-Sim's "
        "words are bytes, its outputs too; ours writes C at 32 bits)",
        "- RTL = model: our mapping run in Verilator, bit-exact, with the model's cycles, DRAM "
        "bytes and counters; " + "; ".join(f"{n} {k}" for k, n in sorted(rtl_sources.items()))
        + (f" (the accel harness, {sum(here.values()):,.0f} s of simulation)" if here else ""),
        f"- SCALE-Sim: {len(ran)} of {len(rows)} cases ran, "
        f"{sum(r['scalesim']['seconds'] or 0 for r in ran):,.0f} s of wall time (longest "
        f"{max((r['scalesim']['seconds'] or 0 for r in ran), default=0):,.0f} s); the rest "
        "are skipped with their estimated time: its Python memory loop walks every demand "
        f"line, at {rate['median'] * 1e6:,.0f} us per line (median of the {rate['cases']} "
        f"cases of `scalesim_accel.json`, {rate['min'] * 1e6:,.0f}-{rate['max'] * 1e6:,.0f})"
        + (f"; the cases run for this report took {min(observed):,.0f}-{max(observed):,.0f} "
           "us per line" if observed else ""),
    ]
    if record["note"]:
        lines.append(f"- {record['note']}")
    lines += ["", *summary(record)]
    for dataflow in record["dataflows"]:
        for bandwidth in record["bandwidths"]:
            chosen = [r for r in rows if (r["dataflow"], r["bandwidth"]) == (dataflow,
                                                                             bandwidth)]
            note = ("" if bandwidth <= record["design"]["bus_bytes"]
                    else f" (ours: the {record['design']['bus_bytes']}-byte bus caps it)")
            lines += [f"## {dataflow.upper()}, {bandwidth} B/cycle{note}", "",
                      *case_table(chosen), ""]
    if set(record["dataflows"]) == {"os", "ws"}:
        lines += ["## OS against WS (sum over the GEMMs SCALE-Sim ran in both, one run each)",
                  "", *os_ws_table(rows, record["bandwidths"]), ""]
    lines += ["## SCALE-Sim's time per case", "",
              "Smallest first, in the order they were run; the estimate is the demand lines "
              "at the median recorded rate, the range at the least and greatest.", "",
              *estimate_table(record["estimates"], earlier), ""]
    return lines + explanation(record)


def explanation(record: dict[str, Any]) -> list[str]:
    """Why the numbers differ: the mechanisms of ``scalesim_accel.md`` that apply here,
    each checked against the cases that ran."""
    rows = [r for r in record["rows"] if "skipped" not in r["scalesim"]]
    c = checks({"design": record["design"], "scalesim_sram_kb": record["scalesim_sram_kb"],
                "rows": rows})
    lines = ["## Why the numbers differ", "",
             "The mechanisms are those of `scalesim_accel.md` (\"Why the numbers differ\", "
             "read from the SCALE-Sim 3.0.0 wheel in `bench/scalesim/.venv`); here each is "
             "checked against the cases that ran:", "",
             f"- **Preload before cycle 0** (`read_buffer.prefetch_active_buffer`; "
             f"`ceil(min(operand, active half) / B)` of the larger operand): "
             f"{c['preload']} of {c['ran']} cases.",
             f"- **Compute = the CALC schedule's demand lines - 1**, no overlap between "
             f"folds (`systolic_compute_os` / `_ws`): {c['compute']} of {c['ran']} cases.",
             f"- **WS writes every partial sum** (`systolic_compute_ws."
             f"create_ofmap_demand_mat`, `M x N x ceil(K / R)` ofmap words): "
             f"{c['partial_sums']} of {c['ws']} WS cases.",
             f"- **Operands within the active half are read once**: {c['fits_compulsory']} of "
             f"{c['fits']} such cases."]
    if c["refetch"]:
        worst = max(c["refetch"], key=lambda item: item["excess"])
        lines.append(
            f"- **The sliding window re-reads** (`read_buffer.new_prefetch`, each refill a "
            f"full half): an operand read more than 1.5 times what its fold order needs in "
            f"{len(c['refetch'])} (case, operand) pairs, the worst {worst['dataflow'].upper()} "
            f"{worst['gemm']} ({worst['operand']}, {worst['excess']:.1f}x).")
    lines.append(f"- **Stalls**: {c['stalled']} of {c['ran']} cases stall; in "
                 f"{c['stalled_port_bound']} of them one port's words take longer at B words "
                 "per cycle than the compute lines.")
    lines += ["", "Per case: SCALE-Sim's reads against what its fold order needs (the ifmap "
              "once, or once per N fold if it exceeds the active half; the filter once), its "
              "ofmap writes per output, its busiest port's words / B, and ours: the bare "
              "array (overlapped folds, ideal streams) and our port floor (our DRAM bytes / "
              "our B/cycle on one port).", "",
              "| dataflow | B/cycle | GEMM | ifmap reads / need | filter reads / need | ofmap "
              "writes / outputs | busiest port, cycles | compute lines | SCALE-Sim's main "
              "term | our bare array | our port floor | our cycles |",
              "|---|--:|---|--:|--:|--:|--:|--:|---|--:|--:|--:|"]
    for r in rows:
        d = r["decomposition"]
        lines.append(
            f"| {r['dataflow'].upper()} | {r['bandwidth']} | {r['gemm']} "
            f"| {d['ifmap_excess']:.2f} | {d['filter_excess']:.2f} "
            f"| {d['ofmap_writes_over_outputs']:.2f} | {d['port_cycles']:,.0f} "
            f"| {d['compute_lines']:,} | {main_term(r)} | {r['bare_array_cycles']:,} "
            f"| {r['mapper']['dram_bytes'] // r['our_bandwidth']:,} "
            f"| {r['mapper']['cycles']:,} |")
    return lines + ["", *findings(record)]


def main_term(row: dict[str, Any]) -> str:
    """What SCALE-Sim's total is mostly made of, from its decomposition."""
    d, ss = row["decomposition"], row["scalesim"]
    if not d["stalls"]:
        return "no stalls: preload + CALC lines + drain"
    ports = {"ifmap": ss["dram_ifmap_reads"], "filter": ss["dram_filter_reads"],
             "ofmap": ss["dram_ofmap_writes"]}
    port = max(ports, key=lambda name: ports[name])
    if d["port_cycles"] <= d["compute_lines"]:
        return f"stalls within the CALC lines ({port} port busiest)"
    if port == "ofmap":
        why = (f"partial sums, {d['ofmap_writes_over_outputs']:.0f} writes per output"
               if row["dataflow"] == "ws" else "outputs")
    else:
        excess = d[f"{port}_excess"]
        passes = d["ifmap_passes"] if port == "ifmap" else 1
        if passes > 1:
            why = f"its fold order reads it {passes}x, the window {excess:.2f}x that"
        else:
            why = (f"the window re-reads it {excess:.2f}x" if excess > 1.05
                   else "no re-reads")
    return f"{port} port bound ({why})"



def findings(record: dict[str, Any]) -> list[str]:
    """The per-case terms above, summed up in a few bullets."""
    rows = [r for r in record["rows"] if "skipped" not in r["scalesim"]]
    skipped = [r for r in record["rows"] if "skipped" in r["scalesim"]]
    if not rows:
        return []
    calm = [r for r in rows if not r["decomposition"]["stalls"]]
    stalled = [r for r in rows if r["decomposition"]["stalls"]]
    out = ["### What that does to these layers", ""]
    if calm:
        calc = [r["decomposition"]["compute_lines"] / r["bare_array_cycles"] for r in calm]
        edges = [(r["decomposition"]["preload"] + r["decomposition"]["drain"])
                 / r["scalesim"]["cycles_incl_prefetch"] for r in calm]
        ours = [r["mapper"]["cycles"] / r["bare_array_cycles"] for r in calm]
        out.append(
            f"- **No stalls** ({len(calm)} cases: "
            + ", ".join(f"{r['dataflow'].upper()} {r['gemm']}" for r in calm)
            + f"): SCALE-Sim's total is its preload, its CALC lines and its final drain. "
            f"The CALC lines are {min(calc):.2f}-{max(calc):.2f}x our bare array (every fold "
            "pays its own fill and drain: `K + R + C - 2` lines per OS fold, `M + 2R + C - 2` "
            "per WS fold, as in `scalesim.md`; our core overlaps them); the preload "
            "(`read_buffer.prefetch_active_buffer`) and the final drain "
            "(`write_buffer.empty_all_buffers`, what is left in the ofmap SRAM at B words per "
            f"cycle) are {min(edges):.0%}-{max(edges):.0%} of its total. Ours is "
            f"{min(ours):.2f}-{max(ours):.2f}x our bare array: the first tile's load, the "
            "last tile's write-back and the DRAM stalls of the least-cycles mapping "
            "(`dse.models.accel`; RTL = model).")
    if stalled:
        out.append(
            f"- **Stalls** ({len(stalled)} cases): "
            + "; ".join(f"{r['dataflow'].upper()} {r['gemm']}: {main_term(r)}, "
                        f"{r['decomposition']['stalls']:,} stall cycles, "
                        f"{r['scalesim']['cycles_incl_prefetch'] / r['mapper']['cycles']:.2f}x "
                        "ours" for r in stalled)
            + ". A port is bound when its words at B per cycle exceed the CALC lines. Its fold "
            "order is fixed: `create_ifmap_demand_mat` (`systolic_compute_os` and `_ws`) loops "
            "over the column (N) folds outside the row folds and streams all of K in each, so an "
            "ifmap larger than the active half is read once per N fold (`ceil(N / C)` times), "
            "where our mapper picks TN, TM, TK and the loop order per layer. The window re-reads "
            "are `read_buffer.new_prefetch` charging a full half per refill and walking the "
            "operand's ring of sets back to a set it dropped (`scalesim_accel.md`); WS's ofmap "
            "words are its partial sums (`systolic_compute_ws.create_ofmap_demand_mat`). Our "
            "hardware reads each operand as often as its mapping says "
            "(`hw.accel.tiling.dram_bytes`) and keeps partial sums in the accumulator.")
    for dataflow in record["dataflows"]:
        chosen = [r for r in rows if r["dataflow"] == dataflow]
        if not chosen:
            continue
        writes = [r["scalesim"]["dram_write_bytes"] / r["mapper"]["dram_write_bytes"]
                  for r in chosen]
        reads = [r["scalesim"]["dram_read_bytes"] / r["mapper"]["dram_read_bytes"]
                 for r in chosen]
        out.append(
            f"- **DRAM bytes, {dataflow.upper()}**: SCALE-Sim's writes are "
            f"{_span(writes)}x ours (one byte per output word, "
            "`word_size = 1`, against our 32-bit C"
            + ("; times `ceil(K / R)` partial sums" if dataflow == "ws" else "")
            + f"), its reads {_span(reads)}x ours (ours re-read an operand "
            "where the least-cycles mapping trades bytes for cycles; SCALE-Sim's where its "
            "window re-reads).")
    if skipped:
        macs = sum(r["macs"] * r["runs"] for r in skipped) / sum(
            r["macs"] * r["runs"] for r in record["rows"])
        out.append(
            f"- **Not run**: {len(skipped)} of {len(record['rows'])} cases, "
            f"{macs:.0%} of the two workloads' MACs (summed over both dataflows and all "
            "bandwidths), each estimated from its demand lines in \"SCALE-Sim's time per "
            "case\"; their cycles are not extrapolated.")
    return out + [""]


if __name__ == "__main__":
    main()
