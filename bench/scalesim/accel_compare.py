"""Benchmark: accel-v1 beside SCALE-Sim 3.0.0 in its user-bandwidth mode (issues 18 and 19).

Run from the repository root with the project's venv, after ``bash bench/scalesim/setup.sh``::

    .venv/bin/python bench/scalesim/accel_compare.py [--bandwidths 1 4 8 16] \\
        [--rtl 8=2500000 1=150000] [--out bench/results]

For an 8 x 8 int8 accelerator (both dataflows; 64 KiB scratchpad, 32 KiB accumulator, 8-byte
AXI bus) at each DRAM bandwidth and on each GEMM (64^3 .. 512^3 and ResNet-18 layers from
``hf:resnet-18``) it records:

- SCALE-Sim 3.0.0 (``run_scalesim_user.py`` in SCALE-Sim's own venv, ``InterfaceBandwidth:
  USER``) with the same SRAM sizes (ifmap SRAM = our A half of the scratchpad, filter SRAM =
  the B half, ofmap SRAM = the accumulator) and every DRAM port at the same bandwidth;
- our exact model (``dse.models.accel``) with our mapper's least-cycles mapping
  (``dse.mapping``), and with the mapping closest to SCALE-Sim's schedule
  (:func:`scalesim_like_mapping`), also at a 1-cycle DRAM latency (SCALE-Sim's without
  Ramulator);
- our RTL (``sim.accel``, bit-exact in DRAM; cycles and every counter against the model)
  for the cases at the bandwidths of ``--rtl`` up to its model cycles.

SCALE-Sim results are cached per case as JSON in ``--cache`` (a rerun reuses them); cases
whose SCALE-Sim demand matrices exceed ``--scalesim-max-lines`` lines are skipped (its memory
simulation walks every line in Python). Writes ``scalesim_accel.json`` and
``scalesim_accel.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))   # bench/common.py
from common import machine  # noqa: E402

from dse.mapping import map_layers  # noqa: E402
from dse.models.accel import cycles as accel_cycles  # noqa: E402
from dse.models.systolic import cycles as array_cycles  # noqa: E402
from dse.workload import Gemm, Layer  # noqa: E402
from hw.accel import AccelParams  # noqa: E402
from hw.accel.tiling import Mapping, padded_k, padded_m, refusal  # noqa: E402

SCALESIM_PYTHON = HERE / ".venv" / "bin" / "python"
RUNNER = HERE / "run_scalesim_user.py"
DEFAULT_GEMMS = ("64x64x64", "128x128x128", "256x256x256", "512x512x512")


def scalesim_sram_kb(params: AccelParams) -> dict[str, int]:
    """SCALE-Sim SRAM sizes (kB of 1024 bytes) holding what our buffers hold: the ifmap
    SRAM is our scratchpad's A half, the filter SRAM its B half, the ofmap SRAM the
    accumulator. SCALE-Sim splits each read SRAM into an active and a prefetch half
    (``active_buf_frac = 0.5`` in ``single_layer_sim.run``), as ours has two slots.

    Raises:
        ValueError: if a half of the scratchpad is not a whole number of kB.
    """
    if params.spad_kib % 2:
        raise ValueError(f"`spad_kib` must be even to split into A and B halves, not "
                         f"{params.spad_kib}")
    half = params.spad_kib // 2
    return {"ifmap_kb": half, "filter_kb": half, "ofmap_kb": params.acc_kib}


def _largest_multiple(granule: int, limit: int) -> int:
    return (limit // granule) * granule


def scalesim_like_mapping(params: AccelParams, gemm: Gemm) -> Mapping:
    """Our legal mapping closest to SCALE-Sim's schedule of ``gemm``.

    SCALE-Sim (``systolic_compute_os`` / ``_ws``, ``create_*_demand_mat``) runs its folds
    with the filter (N) folds outermost and streams the whole reduction K through every
    fold; the ifmap (A) is re-fetched for every N fold unless it all fits the SRAM. Ours:
    order ``nmk``, TN = one N granule (the array's columns), TK = as much of K as a slot
    holds next to the smallest TM, and TM as large as then fits.

    Raises:
        ValueError: if the mapping is one the hardware refuses (cannot happen for a valid
            ``AccelParams``: the smallest tile always fits).
    """
    e, slot = params.element_bytes, params.spad_slot_bytes
    gm, gk, gn = params.m_granule, params.k_granule, params.n_granule
    tn = gn
    tk_limit = min(padded_k(params, gemm.k), slot // (tn * e), slot // (gm * e))
    tk = _largest_multiple(gk, tk_limit)
    tm_limit = min(padded_m(params, gemm.m), slot // (tk * e),
                   params.acc_slot_bytes // (tn * params.acc_bytes))
    tm = _largest_multiple(gm, tm_limit)
    mapping = Mapping(tm, tk, tn, "nmk")
    reason = refusal(params, gemm.m, gemm.k, gemm.n, mapping)
    if reason is not None:
        raise ValueError(f"SCALE-Sim-like mapping {mapping.tiles_text} refused: {reason}")
    return mapping


def scalesim_lines(params: AccelParams, gemm: Gemm) -> int:
    """Rows of SCALE-Sim's demand matrices (one per cycle without stalls): folds times
    ``K + R + C - 2`` (OS) or ``M + 2R + C - 2`` (WS); see ``compare.scalesim_closed_form``."""
    r, c = params.rows, params.cols
    if params.dataflow == "os":
        return math.ceil(gemm.m / r) * math.ceil(gemm.n / c) * (gemm.k + r + c - 2)
    return math.ceil(gemm.k / r) * math.ceil(gemm.n / c) * (gemm.m + 2 * r + c - 2)


def scalesim_cache_path(params: AccelParams, gemm: Gemm, bandwidth: int, cache: Path) -> Path:
    """Where SCALE-Sim's record of one case is cached."""
    sizes = scalesim_sram_kb(params)
    key = (f"{params.rows}x{params.cols}_{params.dataflow}_i{sizes['ifmap_kb']}"
           f"_f{sizes['filter_kb']}_o{sizes['ofmap_kb']}_bw{bandwidth}_{gemm}")
    return cache / f"{key}.json"


def run_scalesim(params: AccelParams, gemm: Gemm, bandwidth: int, cache: Path,
                 timeout: float) -> dict[str, Any]:
    """SCALE-Sim's record of one case (cached as JSON in ``cache``)."""
    sizes = scalesim_sram_kb(params)
    path = scalesim_cache_path(params, gemm, bandwidth, cache)
    if path.exists():
        return json.loads(path.read_text())
    if not SCALESIM_PYTHON.exists():
        sys.exit(f"{SCALESIM_PYTHON} is missing: run `bash bench/scalesim/setup.sh` first")
    cmd = [str(SCALESIM_PYTHON), str(RUNNER), "--rows", str(params.rows), "--cols",
           str(params.cols), "--dataflow", params.dataflow, "--layer", str(gemm)]
    for name in ("ifmap", "filter", "ofmap"):
        cmd += [f"--{name}-kb", str(sizes[f"{name}_kb"]), f"--{name}-bw", str(bandwidth)]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"skipped": f"SCALE-Sim ran over {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"skipped": f"SCALE-Sim failed ({proc.returncode}): {proc.stderr[-500:]}"}
    record = json.loads(proc.stdout)
    record["wall_seconds"] = round(time.monotonic() - start, 2)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    return record


def design(dataflow: str, args: argparse.Namespace) -> AccelParams:
    return AccelParams(rows=args.size, cols=args.size, input_width=8, acc_width=32,
                       signed=True, dataflow=dataflow, spad_kib=args.spad_kib,
                       acc_kib=args.acc_kib, bus_bytes=args.bus_bytes)


def workload_layers(args: argparse.Namespace) -> list[Layer]:
    """The square GEMMs, then the ResNet-18 layers whose name contains ``--resnet-match``
    (distinct shapes, in network order)."""
    layers = [Layer(name=f"gemm {text}", gemm=Gemm(*(int(p) for p in text.split("x"))))
              for text in args.gemms]
    if args.resnet_match:
        from dse.workload.sources import load_source

        seen = set()
        for layer in load_source(args.resnet_source).layers:
            key = (layer.gemm.m, layer.gemm.k, layer.gemm.n)
            if args.resnet_match in layer.name and key not in seen:
                seen.add(key)
                layers.append(Layer(name=layer.name, gemm=layer.gemm))
    return layers


def scalesim_phase(args: argparse.Namespace, layers: list[Layer]) -> dict[tuple, Any]:
    """SCALE-Sim's record per (dataflow, bandwidth, GEMM), smallest cases first."""
    cases = []
    for dataflow in args.dataflows:
        params = design(dataflow, args)
        for bandwidth in args.bandwidths:
            for layer in layers:
                cases.append((scalesim_lines(params, layer.gemm), dataflow, bandwidth,
                              layer.gemm))
    records: dict[tuple, Any] = {}
    for lines, dataflow, bandwidth, gemm in sorted(cases, key=lambda c: c[0]):
        params = design(dataflow, args)
        cached = scalesim_cache_path(params, gemm, bandwidth, args.cache).exists()
        if lines > args.scalesim_max_lines and not cached:
            record = {"skipped": f"{lines:,} demand lines > --scalesim-max-lines "
                                 f"{args.scalesim_max_lines:,}"}
        else:
            record = run_scalesim(params, gemm, bandwidth, args.cache, args.scalesim_timeout)
        records[(dataflow, bandwidth, str(gemm))] = record
        print(json.dumps({"scalesim": [dataflow, bandwidth, str(gemm)],
                          "seconds": record.get("wall_seconds"),
                          "skipped": record.get("skipped")}), flush=True)
    return records



def model_record(params: AccelParams, gemm: Gemm, mapping: Mapping, bandwidth: int,
                 latency: int) -> dict[str, Any]:
    """Our exact model of ``gemm`` with ``mapping`` (the RTL's cycles and traffic)."""
    report = accel_cycles(params, gemm, mapping, bandwidth, latency)
    activity = report.activity
    return {"tiles": mapping.tiles_text, "order": mapping.order, "cycles": report.cycles,
            "stall_cycles": activity.stall_cycles, "tiles_run": report.tiles,
            "dram_read_bytes": activity.dram_read_bytes,
            "dram_write_bytes": activity.dram_write_bytes,
            "dram_bytes": activity.dram_read_bytes + activity.dram_write_bytes,
            "activity": activity.to_dict()}


def scalesim_summary(record: dict[str, Any]) -> dict[str, Any]:
    """SCALE-Sim's figures of one case (words are bytes: ``word_size = 1``)."""
    if "skipped" in record:
        return {"skipped": record["skipped"]}
    (layer,) = record["layers"]
    reads = layer["dram_ifmap_reads"] + layer["dram_filter_reads"]
    return {"cycles_incl_prefetch": layer["total_cycles_incl_prefetch"],
            "cycles": layer["total_cycles"], "stall_cycles": layer["stall_cycles"],
            "prefetch_cycles": -min(layer["dram_ifmap_start"], layer["dram_filter_start"]),
            "dram_ifmap_reads": layer["dram_ifmap_reads"],
            "dram_filter_reads": layer["dram_filter_reads"],
            "dram_ofmap_writes": layer["dram_ofmap_writes"],
            "dram_read_bytes": reads, "dram_write_bytes": layer["dram_ofmap_writes"],
            "dram_bytes": reads + layer["dram_ofmap_writes"],
            "seconds": record.get("wall_seconds"),
            "load_average_1m_at_start": record.get("load_average_1m_at_start")}


def model_phase(args: argparse.Namespace, layers: list[Layer],
                scalesim: dict[tuple, Any]) -> list[dict[str, Any]]:
    """One row per (dataflow, bandwidth, layer): SCALE-Sim, our mapper's mapping and the
    SCALE-Sim-like mapping through our model."""
    rows = []
    for dataflow in args.dataflows:
        params = design(dataflow, args)
        for bandwidth in args.bandwidths:
            mapped = map_layers(params, layers, bandwidth, args.latency, "cycles")
            for layer, chosen in mapped.layers:
                gemm = layer.gemm
                best = Mapping.parse(chosen.tiles, chosen.order)
                like = scalesim_like_mapping(params, gemm)
                mapper = model_record(params, gemm, best, bandwidth, args.latency)
                # the mapper's grouped model against the scalar model, step by step
                mapper["mapper_model_agrees"] = (chosen.cycles == mapper["cycles"]
                                                 and chosen.dram_bytes == mapper["dram_bytes"])
                row = {
                    "dataflow": dataflow, "bandwidth": bandwidth,
                    "our_bandwidth": min(bandwidth, params.bus_bytes), "layer": layer.name,
                    "gemm": str(gemm), "macs": gemm.macs, "compute_bound": -(-gemm.macs
                                                                             // params.pes),
                    "bare_array_cycles": array_cycles(params.core_params, gemm).cycles,
                    "compulsory_bytes": chosen.compulsory_bytes,
                    "legal_mappings": chosen.legal_mappings,
                    "scalesim": scalesim_summary(scalesim[(dataflow, bandwidth, str(gemm))]),
                    "mapper": mapper,
                    "like": model_record(params, gemm, like, bandwidth, args.latency),
                    "like_latency1": model_record(params, gemm, like, bandwidth, 1),
                    "rtl": {},
                }
                rows.append(row)
                print(json.dumps({"model": [dataflow, bandwidth, str(gemm)],
                                  "mapper": mapper["cycles"],
                                  "like": row["like"]["cycles"]}), flush=True)
    return rows


def rtl_phase(args: argparse.Namespace, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the selected cases in RTL (both mappings), smallest first, one build per
    dataflow; each job's record is cached in ``--cache``."""
    from sim.accel.jobs import gemm_job
    from sim.accel.system import emit_system
    from sim.runner import SimulationError, simulate

    chosen = [(row, which) for row in rows for which in ("mapper", "like")
              if row[which]["cycles"] <= dict(args.rtl).get(row["bandwidth"], -1)
              and not (which == "like" and row["like"]["tiles"] == row["mapper"]["tiles"]
                       and row["like"]["order"] == row["mapper"]["order"])]
    chosen.sort(key=lambda pair: pair[0][pair[1]]["cycles"])
    artifacts: dict[str, Any] = {}
    info = {"jobs": 0, "seconds": 0.0, "builds": {}}
    for row, which in chosen:
        params = design(row["dataflow"], args)
        model = row[which]
        key = (f"rtl_{params.rows}x{params.cols}_{params.dataflow}_s{params.spad_kib}"
               f"_a{params.acc_kib}_b{params.bus_bytes}_bw{row['bandwidth']}_l{args.latency}"
               f"_{row['gemm']}_{model['tiles']}_{model['order']}")
        path = args.cache / f"{key}.json"
        if path.exists():
            record = json.loads(path.read_text())
        else:
            if row["dataflow"] not in artifacts:
                artifacts[row["dataflow"]] = emit_system(params)
            m, k, n = (int(p) for p in row["gemm"].split("x"))
            job = gemm_job(params, m, k, n, seed=m + k + n,
                           mapping=Mapping.parse(model["tiles"], model["order"]),
                           bandwidth=row["bandwidth"], latency=args.latency)
            load = round(os.getloadavg()[0], 2)
            try:
                run = simulate(artifacts[row["dataflow"]], "sim.accel.testbench", [job],
                               timeout=600 + model["cycles"] / 2000)
            except SimulationError as error:
                record = {"error": str(error)[:500]}
            else:
                (result,) = run.results
                record = {"cycles": result.cycles, "passed": result.passed,
                          "counters": dict(result.counters),
                          "build_cached": run.build_cached,
                          "build_seconds": round(run.build_seconds, 1),
                          "run_seconds": round(run.run_seconds, 1),
                          "load_average_1m_at_start": load,
                          "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            path.write_text(json.dumps(record, indent=1))
        if "counters" in record:
            counters = record["counters"]
            record["cycles_match"] = record["cycles"] == model["cycles"]
            record["counters_match"] = all(counters.get(name) == value for name, value
                                           in model["activity"].items())
            record["dram_read_bytes"] = counters["dram_read_bytes"]
            record["dram_write_bytes"] = counters["dram_write_bytes"]
            info["jobs"] += 1
            info["seconds"] += record.get("run_seconds", 0.0)
        row["rtl"][which] = record
        print(json.dumps({"rtl": [row["dataflow"], row["bandwidth"], row["gemm"], which],
                          "cycles": record.get("cycles"), "passed": record.get("passed"),
                          "match": record.get("cycles_match")}), flush=True)
    return info



def _int(value: Any) -> str:
    return "-" if value is None else f"{value:,}"


def _ratio(a: Any, b: Any) -> str:
    return "-" if not a or not b else f"{a / b:.2f}"


def _kib(value: int) -> str:
    return f"{value / 1024:,.0f}" if value >= 10 * 1024 else f"{value / 1024:,.1f}"


def _rtl_cell(row: dict[str, Any]) -> str:
    cells = []
    for which, label in (("mapper", "mapper"), ("like", "like")):
        record = row["rtl"].get(which)
        if record is None:
            continue
        if "counters" not in record:
            cells.append(f"{label}: error")
            continue
        ok = record["passed"] and record["cycles_match"] and record["counters_match"]
        cells.append(f"{label}: {record['cycles']:,} {'=' if ok else '**differs**'}")
    return "; ".join(cells) or "not run"


def case_table(rows: list[dict[str, Any]]) -> list[str]:
    """One table of a dataflow and bandwidth: a row per layer."""
    lines = ["| layer | GEMM | bare array | SCALE-Sim cycles incl. prefetch "
             "| SCALE-Sim compute + stall "
             "| SCALE-Sim DRAM KiB R / W | our mapping (mapper) | our cycles | our DRAM KiB "
             "R / W | SCALE-Sim-like mapping | its cycles, latency 40 / 1 | its DRAM KiB "
             "R / W | RTL (= model) | SCALE-Sim / ours | SCALE-Sim / like (lat 1) |",
             "|---|---|--:|--:|--:|--:|---|--:|--:|---|--:|--:|---|--:|--:|"]
    for r in rows:
        ss, mp, lk, l1 = r["scalesim"], r["mapper"], r["like"], r["like_latency1"]
        if "skipped" in ss:
            ss_cells = ["skipped", "-", "-"]
            ss_total = None
        else:
            ss_total = ss["cycles_incl_prefetch"]
            ss_cells = [f"{ss_total:,}", f"{ss['cycles'] - ss['stall_cycles']:,} + "
                        f"{ss['stall_cycles']:,}",
                        f"{_kib(ss['dram_read_bytes'])} / {_kib(ss['dram_write_bytes'])}"]
        lines.append(
            f"| {r['layer'].removeprefix('resnet.encoder.').removesuffix('.convolution')} "
            f"| {r['gemm']} | {r['bare_array_cycles']:,} | " + " | ".join(ss_cells)
            + f" | {mp['tiles']} {mp['order']} | {mp['cycles']:,} "
            f"| {_kib(mp['dram_read_bytes'])} / {_kib(mp['dram_write_bytes'])} "
            f"| {lk['tiles']} {lk['order']} | {lk['cycles']:,} / {l1['cycles']:,} "
            f"| {_kib(lk['dram_read_bytes'])} / {_kib(lk['dram_write_bytes'])} "
            f"| {_rtl_cell(r)} | {_ratio(ss_total, mp['cycles'])} "
            f"| {_ratio(ss_total, l1['cycles'])} |")
    return lines


def os_ws_table(rows: list[dict[str, Any]], bandwidths: list[int]) -> list[str]:
    """Per bandwidth, WS over OS cycles summed over the layers both tools ran."""
    lines = ["| bandwidth (B/cycle) | layers | SCALE-Sim OS | SCALE-Sim WS | WS / OS "
             "| ours OS | ours WS | WS / OS | bare array OS | bare array WS |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for bandwidth in bandwidths:
        pairs = {}
        for r in rows:
            if r["bandwidth"] == bandwidth and "skipped" not in r["scalesim"]:
                pairs.setdefault(r["gemm"], {})[r["dataflow"]] = r
        both = [p for p in pairs.values() if {"os", "ws"} <= p.keys()]
        if not both:
            continue
        total = {key: sum(fn(p) for p in both) for key, fn in (
            ("ss_os", lambda p: p["os"]["scalesim"]["cycles_incl_prefetch"]),
            ("ss_ws", lambda p: p["ws"]["scalesim"]["cycles_incl_prefetch"]),
            ("os", lambda p: p["os"]["mapper"]["cycles"]),
            ("ws", lambda p: p["ws"]["mapper"]["cycles"]),
            ("bare_os", lambda p: p["os"]["bare_array_cycles"]),
            ("bare_ws", lambda p: p["ws"]["bare_array_cycles"]))}
        lines.append(f"| {bandwidth} | {len(both)} | {total['ss_os']:,} | {total['ss_ws']:,} "
                     f"| {_ratio(total['ss_ws'], total['ss_os'])} | {total['os']:,} "
                     f"| {total['ws']:,} | {_ratio(total['ws'], total['os'])} "
                     f"| {total['bare_os']:,} | {total['bare_ws']:,} |")
    return lines


def report(args: argparse.Namespace, layers: list[Layer], scalesim: dict[tuple, Any],
           before: dict[str, Any], scalesim_seconds: float) -> None:
    rows = model_phase(args, layers, scalesim)
    rtl_start = time.monotonic()
    rtl = rtl_phase(args, rows) if args.rtl else {"jobs": 0}
    rtl["wall_seconds"] = round(time.monotonic() - rtl_start, 1)
    probe = subprocess.run([str(SCALESIM_PYTHON), str(HERE / "probe_read_buffer.py")],
                           capture_output=True, text=True, check=True).stdout
    after = machine()
    versions = next((rec for rec in scalesim.values() if "scalesim" in rec), {})
    record = {
        "command": " ".join([".venv/bin/python", *sys.argv]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine_before": before, "machine_after": after,
        "scalesim_version": versions.get("scalesim"), "scalesim_numpy": versions.get("numpy"),
        "design": design(args.dataflows[0], args).to_dict() | {"dataflow": args.dataflows},
        "scalesim_sram_kb": scalesim_sram_kb(design(args.dataflows[0], args)),
        "latency": args.latency, "bandwidths": args.bandwidths,
        "rtl_limits": dict(args.rtl),
        "scalesim_phase_seconds": round(scalesim_seconds, 1), "rtl": rtl,
        "read_buffer_probe": probe,
        "note": args.note,
        "earlier_runs": [{key: earlier.get(key) for key in (
            "command", "date", "machine_before", "machine_after", "rtl")}
            for earlier in (json.loads(path.read_text()) for path in args.earlier)],
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scalesim_accel.json").write_text(json.dumps(record, indent=1) + "\n")
    (args.out / "scalesim_accel.md").write_text("\n".join(markdown(record)) + "\n")


def run_notes(record: dict[str, Any]) -> list[str]:
    """How the cached results were obtained: SCALE-Sim's run times and loads, earlier
    runs (the RTL's), the note."""
    ran = [r["scalesim"] for r in record["rows"] if "skipped" not in r["scalesim"]]
    skipped = [r for r in record["rows"] if "skipped" in r["scalesim"]]
    loads = [s["load_average_1m_at_start"] for s in ran
             if s.get("load_average_1m_at_start") is not None]
    seconds = sum(s["seconds"] or 0 for s in ran)
    lines = [f"- SCALE-Sim: {len(ran)} cases run one at a time, {seconds:,.0f} s of wall time "
             f"in all (longest {max(s['seconds'] or 0 for s in ran):,.0f} s)"
             + (f"; load average {min(loads)}-{max(loads)} at the start of the "
                f"{len(loads)} cases that recorded it" if loads else "")
             + (f"; {len(skipped)} not run (the cells marked skipped: its Python memory "
                "loop walks every demand line, about 2.2 M lines for 512^3)"
                if skipped else "")]
    for earlier in record["earlier_runs"]:
        lines.append(
            f"- earlier run reused from the cache: `{earlier['command']}` ({earlier['date']}, "
            f"load {earlier['machine_before']['load_average_1m']} before, "
            f"{earlier['machine_after']['load_average_1m']} after"
            + (f"; {earlier['rtl']['jobs']} RTL jobs in {earlier['rtl']['wall_seconds']:,} s"
               if earlier.get("rtl") else "") + ")")
    if record["note"]:
        lines.append(f"- {record['note']}")
    return lines


def summary(record: dict[str, Any]) -> list[str]:
    """The findings in a few lines (each worked out in "Why the numbers differ")."""
    rows = record["rows"]
    lines = ["## Summary", ""]
    for bandwidth in record["bandwidths"]:
        ratios = [r["scalesim"]["cycles_incl_prefetch"] / r["mapper"]["cycles"]
                  for r in rows if r["bandwidth"] == bandwidth
                  and "skipped" not in r["scalesim"]]
        traffic = [r["scalesim"]["dram_bytes"] / r["mapper"]["dram_bytes"]
                   for r in rows if r["bandwidth"] == bandwidth
                   and "skipped" not in r["scalesim"]]
        if ratios:
            lines.append(
                f"- {bandwidth} B/cycle: SCALE-Sim's cycles / ours (our mapper's mapping) "
                f"{min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} cases; its DRAM "
                f"bytes / ours {min(traffic):.2f}-{max(traffic):.2f}")
    return lines + [""]


def markdown(record: dict[str, Any]) -> list[str]:
    rows = record["rows"]
    before, after = record["machine_before"], record["machine_after"]
    d = record["design"]
    sram = record["scalesim_sram_kb"]
    rtl_rows = [(r, w) for r in rows for w, rec in r["rtl"].items() if "counters" in rec]
    rtl_ok = [(r, w) for r, w in rtl_rows if r["rtl"][w]["passed"]
              and r["rtl"][w]["cycles_match"] and r["rtl"][w]["counters_match"]]
    agree = all(r["mapper"]["mapper_model_agrees"] for r in rows)
    lines = [
        "# accel-v1 beside SCALE-Sim 3.0.0 in its user-bandwidth mode (issues 18, 19)",
        "",
        f"- command: `{record['command']}` ({record['date']})",
        f"- machine: {before['cpu']}, {before['cores']} cores shared with other sessions; "
        f"load average {before['load_average_1m']} before, {after['load_average_1m']} "
        f"after; Python {before['python']}; {before['gcc']}",
        f"- SCALE-Sim {record['scalesim_version']} (numpy {record['scalesim_numpy']}, own "
        "venv `bench/scalesim/.venv`), `InterfaceBandwidth: USER`, run by "
        "`bench/scalesim/run_scalesim_user.py`, one layer per run",
        f"- design: {d['rows']}x{d['cols']} int{d['input_width']} systolic core "
        f"({d['acc_width']}-bit accumulators), dataflow {' and '.join(d['dataflow'])}, "
        f"{d['spad_kib']} KiB scratchpad (A and B halves of {d['spad_kib'] // 2} KiB, two "
        f"slots each), {d['acc_kib']} KiB accumulator (two slots), {d['bus_bytes']}-byte AXI4 "
        f"bus, bursts of up to {d['max_burst']} beats, {d['outstanding']} in flight; our "
        f"DRAM latency {record['latency']} cycles",
        f"- SCALE-Sim: the same array; ifmap SRAM {sram['ifmap_kb']} kB (our A half), filter "
        f"SRAM {sram['filter_kb']} kB (our B half), ofmap SRAM {sram['ofmap_kb']} kB (our "
        "accumulator); each of its three DRAM ports (ifmap, filter, ofmap) at the bandwidth "
        "of the table",
        f"- our mapper (`dse.mapping`, least cycles): its grouped cycles and bytes equal the "
        f"scalar model's on {'every' if agree else '**not every**'} case; "
        f"\"SCALE-Sim-like\" is `accel_compare.scalesim_like_mapping` (order nmk, TN = the "
        "array's columns, as much of K as fits, then TM as large as fits)",
        "- RTL (cocotb + Verilator, `sim.accel.testbench`, one build per dataflow): the "
        "cases at " + ", ".join(f"{b} B/cycle up to {limit:,}" for b, limit in
                                record["rtl_limits"].items())
        + f" model cycles, both mappings ({len(rtl_rows)} jobs, "
        f"{record['rtl']['wall_seconds']:,} s); bit-exact with cycles and every counter "
        f"equal to the model in {len(rtl_ok)} of {len(rtl_rows)}",
        "- cycles compared: SCALE-Sim's `Total Cycles (incl. prefetch)` (first DRAM read "
        "to last DRAM write, `single_layer_sim.calc_report_data`) against ours (command to "
        "done: the first tile's load to the last tile's write-back); SCALE-Sim's `Total "
        "Cycles` (after the preload, before the final drain) is shown as its compute lines "
        "+ stall cycles; bare array: `systolic-v1`'s exact cycles with ideal streams",
        "- DRAM KiB: bytes / 1024; SCALE-Sim's words are bytes (`word_size = 1`), its ofmap "
        "word too, ours writes C at 32 bits",
        *run_notes(record),
        "",
    ]
    lines += summary(record)
    for dataflow in record["design"]["dataflow"]:
        for bandwidth in record["bandwidths"]:
            chosen = [r for r in rows if r["dataflow"] == dataflow
                      and r["bandwidth"] == bandwidth]
            if not chosen:
                continue
            ours = chosen[0]["our_bandwidth"]
            note = "" if ours == bandwidth else f" (ours: the {ours}-byte bus caps it)"
            lines += [f"## {dataflow.upper()}, {bandwidth} B/cycle{note}", "",
                      *case_table(chosen), ""]
    lines += ["## OS against WS (sum over the layers both tools ran)", "",
              *os_ws_table(rows, record["bandwidths"]), ""]
    return lines + explanation(record)



def _find(rows: list[dict[str, Any]], dataflow: str, bandwidth: int,
          gemm: str) -> dict[str, Any] | None:
    for r in rows:
        if (r["dataflow"], r["bandwidth"], r["gemm"]) == (dataflow, bandwidth, gemm):
            return r
    return None


def _operand_words(r: dict[str, Any], rows_: int, cols: int) -> tuple[int, int]:
    """Words of SCALE-Sim's ifmap and filter fetch matrices (padded to whole folds)."""
    m, k, n = (int(p) for p in r["gemm"].split("x"))
    if r["dataflow"] == "os":
        return math.ceil(m / rows_) * rows_ * k, k * math.ceil(n / cols) * cols
    return m * math.ceil(k / rows_) * rows_, k * math.ceil(n / cols) * cols


def checks(record: dict[str, Any]) -> dict[str, Any]:
    """Closed forms read from SCALE-Sim's source, checked against every case it ran."""
    d = record["design"]
    rows_, cols = d["rows"], d["cols"]
    active = record["scalesim_sram_kb"]["ifmap_kb"] * 1024 // 2
    ran = [r for r in record["rows"] if "skipped" not in r["scalesim"]]
    out: dict[str, Any] = {"ran": len(ran), "compute": 0, "preload": 0, "partial_sums": 0,
                           "ws": 0, "fits": 0, "fits_compulsory": 0, "refetch": [],
                           "stalled": 0, "stalled_port_bound": 0}
    for r in ran:
        ss = r["scalesim"]
        m, k, n = (int(p) for p in r["gemm"].split("x"))
        params = AccelParams(rows=rows_, cols=cols, dataflow=r["dataflow"])
        lines = scalesim_lines(params, Gemm(m, k, n))
        out["compute"] += ss["cycles"] - ss["stall_cycles"] == lines - 1
        words = _operand_words(r, rows_, cols)
        preload = max(math.ceil(min(w, active) / r["bandwidth"]) for w in words)
        out["preload"] += ss["prefetch_cycles"] == preload
        if r["dataflow"] == "ws":
            out["ws"] += 1
            partial = m * n * math.ceil(k / rows_)
            out["partial_sums"] += 0 <= ss["dram_ofmap_writes"] - partial < r["bandwidth"]
        if max(words) <= active:
            out["fits"] += 1
            out["fits_compulsory"] += (ss["dram_ifmap_reads"], ss["dram_filter_reads"]) == words
        # SCALE-Sim's fold order reads the ifmap once per N fold unless it fits the active
        # half, and walks the filter once; what it read beyond that:
        need = {"ifmap": words[0] * (1 if words[0] <= active else math.ceil(n / cols)),
                "filter": words[1]}
        port_cycles = max(ss["dram_ifmap_reads"], ss["dram_filter_reads"],
                          ss["dram_ofmap_writes"]) / r["bandwidth"]
        if ss["stall_cycles"]:
            out["stalled"] += 1
            out["stalled_port_bound"] += port_cycles > lines
        for operand in ("ifmap", "filter"):
            excess = ss[f"dram_{operand}_reads"] / need[operand]
            if excess > 1.5:
                out["refetch"].append({"dataflow": r["dataflow"], "bandwidth": r["bandwidth"],
                                       "gemm": r["gemm"], "operand": operand,
                                       "reads": ss[f"dram_{operand}_reads"],
                                       "need": need[operand], "excess": excess})
    return out


def os_ws_bullets(rows: list[dict[str, Any]], bandwidths: list[int]) -> list[str]:
    """Does OS beat WS once DRAM stalls are modelled, in each tool?"""
    lines = []
    for bandwidth in bandwidths:
        chosen = [r for r in rows if r["bandwidth"] == bandwidth]
        ours = {df: sum(r["mapper"]["cycles"] for r in chosen if r["dataflow"] == df)
                for df in ("os", "ws")}
        shared = {r["gemm"] for r in chosen if "skipped" not in r["scalesim"]}
        shared = {g for g in shared if all(
            _find(chosen, df, bandwidth, g) and "skipped" not in _find(
                chosen, df, bandwidth, g)["scalesim"] for df in ("os", "ws"))}
        scale = {df: sum(r["scalesim"]["cycles_incl_prefetch"] for r in chosen
                         if r["dataflow"] == df and r["gemm"] in shared) for df in ("os", "ws")}
        wins = sum(_find(chosen, "os", bandwidth, g)["mapper"]["cycles"]
                   <= _find(chosen, "ws", bandwidth, g)["mapper"]["cycles"]
                   for g in {r["gemm"] for r in chosen})
        scale_wins = sorted(g for g in shared
                            if _find(chosen, "os", bandwidth, g)["scalesim"]
                            ["cycles_incl_prefetch"] <= _find(chosen, "ws", bandwidth, g)
                            ["scalesim"]["cycles_incl_prefetch"])
        text = (f"  - {bandwidth} B/cycle: ours WS / OS = {ours['ws'] / ours['os']:.2f} over "
                f"all {len(chosen) // 2} layers (OS no slower on {wins})")
        if shared and scale["os"]:
            text += (f"; SCALE-Sim WS / OS = {scale['ws'] / scale['os']:.2f} over the "
                     f"{len(shared)} layers it ran in both dataflows, OS no slower on "
                     f"{len(scale_wins)} ({', '.join(scale_wins) or 'none'})")
        lines.append(text)
    per_layer = [_find(rows, "ws", r["bandwidth"], r["gemm"])["mapper"]["cycles"]
                 / r["mapper"]["cycles"] for r in rows if r["dataflow"] == "os"
                 and _find(rows, "ws", r["bandwidth"], r["gemm"])]
    bytes_ratio = [_find(rows, "ws", r["bandwidth"], r["gemm"])["mapper"]["dram_bytes"]
                   / r["mapper"]["dram_bytes"] for r in rows if r["dataflow"] == "os"
                   and _find(rows, "ws", r["bandwidth"], r["gemm"])]
    starved = [_find(rows, "ws", r["bandwidth"], r["gemm"])["mapper"]["cycles"]
               / r["mapper"]["cycles"] for r in rows if r["dataflow"] == "os"
               and r["bandwidth"] == min(bandwidths)
               and _find(rows, "ws", r["bandwidth"], r["gemm"])]
    return ["- **OS against WS, DRAM included** (cycles summed per bandwidth; the table "
            "above):", *lines,
            f"  - In our hardware WS / OS runs from {min(per_layer):.2f} to "
            f"{max(per_layer):.2f} per layer. Both dataflows keep partial sums on chip, and "
            f"their best mappings' DRAM bytes are within WS / OS {min(bytes_ratio):.2f}-"
            f"{max(bytes_ratio):.2f} of each other; the DRAM stalls do not separate them: at "
            f"{min(bandwidths)} B/cycle WS / OS is {min(starved):.2f}-{max(starved):.2f}; "
            "with bandwidth to spare OS wins by the WS core's weight beats. SCALE-Sim "
            "3.0.0 puts OS ahead where its WS partial sums to DRAM dominate, and WS "
            "ahead where its OS filter window thrashes (above). Neither reproduces "
            "SCALE-Sim v3's 30% for OS (arXiv 2504.15377: Ramulator DRAM, its own "
            "workloads; not run here)."]


def explanation(record: dict[str, Any]) -> list[str]:
    """Why the numbers differ, read from SCALE-Sim 3.0.0's source and our hardware."""
    rows = record["rows"]
    c = checks(record)
    sram = record["scalesim_sram_kb"]
    half = sram["ifmap_kb"] * 1024 // 2
    small = _find(rows, "os", 1, "64x64x64")
    lines = ["## Why the numbers differ", "",
             "SCALE-Sim's side is read from the 3.0.0 wheel (`scalesim/...` is the installed "
             "package in `bench/scalesim/.venv/lib/python3.*/site-packages/`); ours from "
             "`dse/models/accel.py` (the RTL's cycles, exact) and `hw/accel/tiling.py`.", "",
             "### How SCALE-Sim models bandwidth, SRAM and stalls (USER mode)", ""]
    lines += [
        "- **Three separate DRAM ports.** `single_layer_sim.run`: with `InterfaceBandwidth: "
        "USER` the ifmap and filter SRAMs fill from DRAM at `IfmapSRAMBankBandwidth` and "
        "`FilterSRAMBankBandwidth` (the `[layout]` section, default 10 words/cycle), and "
        "only the ofmap SRAM drains at `Bandwidth` (`[architecture_presets]`). So a config "
        "that sets only `Bandwidth: B` still reads at 10 words/cycle per operand; "
        "`run_scalesim_user.py` sets all three to B (and the bank counts to 1, since "
        "`read_buffer.set_params` asserts that the bandwidth divides by them). The three "
        "ports run side by side: SCALE-Sim's DRAM moves up to 3B bytes per cycle. Ours has "
        "one AXI4 port and one DRAM whose beats, reads and writes alike, leave at most one "
        "per `bus_bytes / B` cycles (`dse.models.accel._Dram`, `sim.accel.system`).",
        "- **One-byte words, outputs too.** `single_layer_sim.run` fixes `word_size = 1`, "
        "so an ofmap word is one byte; ours writes C at the accumulator width (32 bits): "
        "4x SCALE-Sim's write traffic for the same outputs.",
        "- **No DRAM latency.** Without Ramulator (`UseRamulatorTrace: False`) "
        "`read_port.service_reads` returns after 1 cycle and `write_port.service_writes` "
        "after 0; a port's only limit is its words per cycle. Ours pays "
        f"{record['latency']} cycles per burst with at most 4 bursts in flight: a tile "
        "whose rows are one beat long (TN = 8 int8 columns = 8 bytes) moves at most 4 "
        f"beats per {record['latency']}-odd cycles whatever the bandwidth.",
        f"- **The first half is loaded before cycle 0, in full.** "
        "`read_buffer.prefetch_active_buffer` requests the first active half (or the whole "
        "operand if smaller) at negative cycles; `Total Cycles` starts after it and "
        "`Total Cycles (incl. prefetch)` (`single_layer_sim.calc_report_data`: ofmap DRAM "
        "stop - min(ifmap, filter DRAM start)) includes it. The preload is "
        "`ceil(min(operand, active half) / B)` cycles, the larger of the two operands': "
        f"true in {c['preload']} of {c['ran']} cases. Nothing computes during it. Ours "
        "loads only the first tile before computing, then every step loads the next tile "
        "while the core computes the current one (`cycles = 1 + sum(max(D, C) + 3)`).",
        "- **The compute schedule is the CALC one plus stalls.** `Total Cycles - Stall "
        "Cycles` is SCALE-Sim's demand-matrix line count - 1 (each fold `K + R + C - 2` "
        "lines for OS, `M + 2R + C - 2` for WS, no overlap between folds; see "
        f"`scalesim.md`) in {c['compute']} of {c['ran']} cases. Ours overlaps the folds "
        "(the core's model, `dse.models.systolic`; the bare-array column), so even "
        "stall-free SCALE-Sim computes longer"
        + (f": {small['scalesim']['cycles']:,} against {small['bare_array_cycles']:,} "
           "cycles for OS 64^3." if small and "skipped" not in small["scalesim"] else "."),
        "- **Outputs drain when half the ofmap SRAM is full, and at the end.** "
        "`write_buffer.service_writes` starts a drain (`empty_drain_buf`, one line of B "
        "words per cycle) only when the active half is full, and stalls the array only when "
        "the SRAM is full; `empty_all_buffers` writes the rest after the last line. When C "
        f"fits {half // 1024} KiB (as bytes), it is all written after compute.",
        "- **WS writes every partial sum to DRAM.** `systolic_compute_ws."
        "create_ofmap_demand_mat` writes an M x C block of outputs for every fold, and "
        "the folds run over K in steps of R rows: every output is written `ceil(K / R)` "
        "times, and the write buffer sends every write to DRAM (partial sums are never "
        "read back). Ofmap writes = `M x N x ceil(K / R)` (plus < B words of line padding) "
        f"in {c['partial_sums']} of {c['ws']} WS cases. Ours keeps partial sums in the "
        "accumulator across K tiles and writes each C tile once.",
        "- **A sliding window, each refill a full half.** `read_buffer."
        "prepare_hashed_buffer` cuts the operand's fetch order into sets of 1% of the SRAM "
        "(here "
        f"{math.ceil(2 * half / 100)} bytes); the active window is 50 sets. On a miss "
        "`new_prefetch` slides the window by the prefetch sets and charges a full prefetch "
        "half (`requested_data_size = num_lines * req_gen_bandwidth`) of DRAM words and "
        "time, even when the operand is smaller than the whole SRAM and the window moves by "
        "fewer sets; the fetch order wraps around for the next N fold. Operands within "
        f"the active half are read once (compulsory reads in {c['fits_compulsory']} of "
        f"{c['fits']} such cases).",
        "- **Stall accounting.** `double_buffered_scratchpad.service_memory_requests` "
        "issues demand line i at `i + stalls so far` and adds the largest of the three "
        "SRAMs' delays per line. In `read_buffer.service_reads` (no custom layout) a "
        "miss adds `potential_stall_cycles` to the line's offset and, if it is positive, "
        "adds it again; a negative one (the prefetch was done early) lowers the offset. "
        "`probe_read_buffer.py` runs the read SRAM alone: a port-bound stream takes "
        "all its words / B cycles from cycle 0, as if the preloaded half were fetched again:",
        "",
        *record["read_buffer_probe"].strip().splitlines(),
        "",
    ]
    lines += ["### What that does to the comparison", ""]
    if small is not None and "skipped" not in small["scalesim"]:
        ss, mp = small["scalesim"], small["mapper"]
        lines.append(
            f"- **Starved, small: SCALE-Sim is faster because it has three ports and 1-byte "
            f"outputs.** OS 64^3 at 1 B/cycle: SCALE-Sim {ss['cycles_incl_prefetch']:,} = "
            f"{ss['prefetch_cycles']:,} (A and B, 4 KiB each, side by side) + "
            f"{ss['cycles']:,} (compute) + {ss['dram_ofmap_writes']:,} (C as 1-byte words) "
            f"- 1. Ours: {mp['cycles']:,} cycles for {mp['dram_bytes']:,} bytes through one "
            f"port at 1 B/cycle (A and B once, C at 4 bytes), the port's floor being "
            f"{mp['dram_bytes']:,}.")
    mapper_wins = sum(r["mapper"]["cycles"] <= r["like"]["cycles"] for r in rows)
    like_total = sum(r["like"]["cycles"] for r in rows)
    mapper_total = sum(r["mapper"]["cycles"] for r in rows)
    like_ratio = f"{1 - mapper_total / like_total:.0%}"
    ws_small = _find(rows, "ws", min(record["bandwidths"]), "128x128x128")
    if ws_small is not None and "skipped" not in ws_small["scalesim"]:
        ss, mp = ws_small["scalesim"], ws_small["mapper"]
        m, k, n = (int(part) for part in ws_small["gemm"].split("x"))
        lines.append(
            f"- **Starved WS: SCALE-Sim's partial sums cost it.** WS 128^3 at "
            f"{ws_small['bandwidth']} B/cycle: SCALE-Sim writes {ss['dram_ofmap_writes']:,} "
            f"output words ({math.ceil(k / record['design']['rows'])} K folds x "
            f"{m * n:,} outputs) through its ofmap port and stalls "
            f"{ss['stall_cycles']:,} cycles: {ss['cycles_incl_prefetch']:,} in all, against "
            f"our {mp['cycles']:,} for {mp['dram_bytes']:,} bytes on one port.")
    refetch = c["refetch"]
    if refetch:
        worst = max(refetch, key=lambda item: item["excess"])
        cases = sorted({(f["dataflow"].upper(), f["gemm"], f["operand"]) for f in refetch})
        lines.append(
            "- **SCALE-Sim's window can lose data a fold still needs, then walks the whole "
            "operand to get it back.** A refill moves the active window by the prefetch "
            "sets (50, a whole half, once the operand exceeds the SRAM), so sets the current "
            "and the next folds still read can drop out; the next miss loops "
            "`while not self.active_buffer_hit(addr): self.new_prefetch()` round the "
            "operand's ring of sets until they come back, charging a half per turn in "
            "words and in time. Against the reads its own fold order needs (the ifmap once, "
            "or once per N fold if it exceeds the active half; the filter once), "
            f"the reads of an operand are more than 1.5 times as large in {len(refetch)} "
            "(case, operand) pairs: "
            + ", ".join(f"{df} {g} ({op})" for df, g, op in cases)
            + f"; the worst, {worst['dataflow'].upper()} {worst['gemm']} at "
            f"{worst['bandwidth']} B/cycle, reads {worst['reads']:,} {worst['operand']} "
            f"words where {worst['need']:,} would do ({worst['excess']:.1f}x). SCALE-Sim "
            f"stalls in {c['stalled']} cases; in {c['stalled_port_bound']} of them one "
            "port's words (these reads, or WS's partial sums) take longer at B words per "
            "cycle than its compute lines. Our hardware re-reads an operand "
            "only as its mapping says (closed form, `hw.accel.tiling.dram_bytes`; the RTL's "
            "counters equal it), and the mapper keeps it low.")
    lines += [
        "- **At ample bandwidth the compute schedules decide.** Where SCALE-Sim stalls "
        "little, its total is its CALC schedule plus the preload and the final drain, and "
        "ours is the overlapped core plus the first tile's load and the last tile's "
        "write-back; the ratio then follows `scalesim.md` (per-fold fill and drain).",
        "- **Our SCALE-Sim-like mapping** (nmk, TN = 8, all of K) is what SCALE-Sim's fold "
        f"order would be in our hardware. At our {record['latency']}-cycle latency its "
        "one-beat B rows make it latency-bound (the first of its two cycle figures); at "
        "latency 1 (the second) it moves at the port's rate. Our mapper's choice takes at "
        f"most as many cycles in {mapper_wins} of {len(rows)} cases (it is the least-cycles "
        f"legal mapping), {like_ratio} fewer in total.",
        "- **Our WS core is slower than our OS core at ample bandwidth.** In the "
        "accelerator the WS core takes `rows` weight beats before the activations of every "
        "(columns x K rows x `acc_depth` block) sub-tile (`dse.models.accel._compute`); "
        "with TM limited by the accumulator slot (TM x TN x 4 bytes per 16 KiB) that is "
        "`rows / TM` extra beats, about 12% at TM = 64. SCALE-Sim's WS pays `2R + C - 2` "
        "lines per fold of M (`scalesim.md`), and its OS `R + C - 2` per fold of K.",
        *os_ws_bullets(rows, record["bandwidths"]),
        "- **16 B/cycle**: our 8-byte AXI bus carries at most 8 B/cycle, so our figures "
        "equal the 8 B/cycle ones; SCALE-Sim's ports take 16 each.",
        "",
    ]
    return lines


def _rtl_limit(text: str) -> tuple[int, int]:
    bandwidth, _, limit = text.partition("=")
    if not (bandwidth.isdigit() and limit.isdigit()):
        raise argparse.ArgumentTypeError(f"expected B=CYCLES, not {text!r}")
    return int(bandwidth), int(limit)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8, help="array rows = columns")
    parser.add_argument("--spad-kib", type=int, default=64)
    parser.add_argument("--acc-kib", type=int, default=32)
    parser.add_argument("--bus-bytes", type=int, default=8)
    parser.add_argument("--dataflows", nargs="+", default=["os", "ws"])
    parser.add_argument("--bandwidths", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--latency", type=int, default=40, help="our DRAM latency (cycles)")
    parser.add_argument("--gemms", nargs="*", default=list(DEFAULT_GEMMS))
    parser.add_argument("--resnet-source", default="hf:resnet-18")
    parser.add_argument("--resnet-match", default="shortcut",
                        help="ResNet layers whose name contains this ('' for none)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hwdse-scalesim-user"),
                        help="folder of cached SCALE-Sim records")
    parser.add_argument("--scalesim-max-lines", type=int, default=2_500_000)
    parser.add_argument("--scalesim-timeout", type=float, default=1800.0)
    parser.add_argument("--scalesim-only", action="store_true",
                        help="run (and cache) the SCALE-Sim cases only")
    parser.add_argument("--rtl", type=_rtl_limit, nargs="*", default=[(8, 2_500_000),
                                                                      (1, 150_000)],
                        metavar="B=CYCLES", help="run in RTL the cases at B bytes/cycle "
                        "whose model cycles are at most CYCLES (none: no RTL)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--earlier", type=Path, nargs="*", default=[],
                        help="records (JSON) of earlier runs whose cached results this "
                        "one reuses; their commands and loads are listed")
    parser.add_argument("--note", default="", help="a line for the report's header")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    before = machine()
    start = time.monotonic()
    layers = workload_layers(args)
    scalesim = scalesim_phase(args, layers)
    if args.scalesim_only:
        return
    report(args, layers, scalesim, before, time.monotonic() - start)


if __name__ == "__main__":
    main()
