"""Run ZigZag's temporal mapper (LOMA) on every layer of our workloads and record per layer
what it chose and what its cost model says, as JSON.

Runs under ZigZag's own venv (``bash bench/zigzag/setup.sh``), on the inputs that
``make_inputs.py`` wrote (the project's venv)::

    bench/zigzag/.venv/bin/python bench/zigzag/run.py \\
        --inputs bench/zigzag/inputs/accel_8x8_s64_a32_b8 --out bench/results/zigzag_raw.json

Each layer runs on its own through ZigZag's stages (the ones ``zigzag.api.
get_hardware_performance_zigzag`` chains, without its plotting and pickling stages):
``WorkloadParserStage``, ``AcceleratorParserStage``, ``WorkloadStage``,
``SpatialMappingGeneratorStage`` (the spatial mapping is fixed by mapping.yaml),
``TemporalMappingGeneratorStage`` (LOMA: every loop-prime-factor ordering, each allocated
bottom-up to the memories) and ``CostModelStage``. Between the last two, :class:`KeepBest`
keeps the CME that ZigZag's ``MinimalLatencyStage`` would keep (least ``latency_total2``,
then least energy; ZigZag's default ``opt="latency"``), the least-energy one as
``MinimalEnergyStage`` would, and counts the orderings evaluated.

Per layer the JSON has the chosen mapping (spatial, and the temporal loops per operand and
memory level, inner to outer, as allocated and after ZigZag's merge-down of stationary
loops), our tile view of it (the extents each buffer holds and the loops left at DRAM,
outer to inner), ZigZag's latency terms, DRAM traffic (reads and writes per operand, in
bytes, both from the moved elements and from the counted port words), energy with its
breakdown per operand and memory level, memory accesses, and the same for the least-energy
mapping. Sums over a workload multiply each layer by its ``repeat``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import io
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from zigzag.cost_model.cost_model import CostModelEvaluation
from zigzag.datatypes import Constants
from zigzag.hardware.architecture.memory_port import DataDirection
from zigzag.mapping.data_movement import DataMoveAttr
from zigzag.mapping.temporal_mapping import TemporalMappingType
from zigzag.stages.evaluation.cost_model_evaluation import CostModelStage
from zigzag.stages.main import MainStage
from zigzag.stages.mapping.spatial_mapping_generation import SpatialMappingGeneratorStage
from zigzag.stages.mapping.temporal_mapping_generator_stage import TemporalMappingGeneratorStage
from zigzag.stages.parser.accelerator_parser import AcceleratorParserStage
from zigzag.stages.parser.workload_parser import WorkloadParserStage
from zigzag.stages.stage import Stage, StageCallable
from zigzag.stages.workload_iterator import WorkloadStage
from zigzag.utils import open_yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import machine  # noqa: E402 (bench/common.py: stdlib only)

DIRECTIONS = {
    DataDirection.RD_OUT_TO_LOW: "rd_out_to_low",     # read, sent to the level below
    DataDirection.WR_IN_BY_HIGH: "wr_in_by_high",     # written, from the level above
    DataDirection.RD_OUT_TO_HIGH: "rd_out_to_high",   # read, sent to the level above
    DataDirection.WR_IN_BY_LOW: "wr_in_by_low",       # written, from the level below
}
#: Our name for each of ZigZag's layer operands.
OUR_OPERAND = {"I": "A", "W": "B", "O": "C"}


class KeepBest(Stage):
    """Yield the least-latency CME of the substage (ZigZag's ``MinimalLatencyStage`` order:
    latency_total2, then energy) with the least-energy one (``MinimalEnergyStage`` order)
    and the number of temporal mappings evaluated in ``extra_info``."""

    def run(self):  # type: ignore[override]
        substage = self.list_of_callables[0](self.list_of_callables[1:], **self.kwargs)
        by_latency: CostModelEvaluation | None = None
        by_energy: CostModelEvaluation | None = None
        evaluated = 0
        for cme, _ in substage.run():
            evaluated += 1
            if by_latency is None or (cme.latency_total2, cme.energy_total) < (
                    by_latency.latency_total2, by_latency.energy_total):
                by_latency = cme
            if by_energy is None or (cme.energy_total, cme.latency_total2) < (
                    by_energy.energy_total, by_energy.latency_total2):
                by_energy = cme
        assert by_latency is not None and by_energy is not None
        yield by_latency, {"by_energy": by_energy, "evaluated": evaluated}


def _loops(levels: list[list[tuple[Any, Any]]]) -> list[list[list[Any]]]:
    return [[[str(dim), int(size) if float(size).is_integer() else float(size)]
             for dim, size in level] for level in levels]


def _num(value: Any) -> int | float:
    value = float(value)
    return int(value) if value.is_integer() else value


def mapping_record(cme: CostModelEvaluation) -> dict[str, Any]:
    """ZigZag's chosen mapping and our tile view of it.

    ``buffer_extent``: per operand, the extent of each layer dimension held at the level
    just below DRAM (spatial and temporal loops below it): A's M x K in ``spad_a``, B's
    K x N in ``spad_b``, C's M x N in ``acc``. ``dram_loops``: the loops left at DRAM
    per operand, outer to inner. Our hardware runs one (TM, TK, TN) and one tile loop
    nest for all three and keeps C on chip over K, so ``as_our_tiles`` is set only when
    the extents agree and no K loop is left above the accumulator (whether the tiles fit
    our slots is for ``hw.accel.tiling.refusal`` to say: ZigZag lets a tile that is the
    whole tensor fill both halves of a double-buffered memory).
    """
    tm = cme.temporal_mapping
    hierarchy = cme.accelerator.memory_hierarchy
    links = cme.layer.memory_operand_links
    levels: dict[str, list[str]] = {}
    extent: dict[str, dict[str, int]] = {}
    dram_loops: dict[str, list[list[Any]]] = {}
    spatial = {str(dim): _num(size) for oa_dim, single in cme.layer.spatial_mapping.items()
               for dim, size in single.items()}
    for layer_op, per_level in tm.mapping_dic_origin.items():
        mem_op = links.layer_to_mem_op(layer_op)
        levels[str(layer_op)] = [m.name for m in hierarchy.get_memory_levels(mem_op)]
        sizes = {str(d): 1 for d in cme.layer.layer_dims}
        relevant = {str(d) for d in cme.layer.loop_relevancy_info.get_r_layer_dims(layer_op)}
        for dim, size in spatial.items():
            sizes[dim] *= size
        for level in per_level[:-1]:
            for dim, size in level:
                sizes[str(dim)] *= size
        extent[str(layer_op)] = {d: _num(s) for d, s in sizes.items() if d in relevant}
        dram_loops[str(layer_op)] = [[str(d), _num(s)] for d, s in reversed(per_level[-1])]
    a, b, c = extent.get("I", {}), extent.get("W", {}), extent.get("O", {})
    same = a.get("M") == c.get("M") and b.get("N") == c.get("N") and a.get("K") == b.get("K")
    # a K loop above the accumulator sends C's partial sums to DRAM and back
    spills = any(dim == "K" for dim, _ in dram_loops.get("O", []))
    return {
        "spatial": spatial,
        "temporal_allocated": {str(op): _loops(lv) for op, lv in tm.mapping_dic_origin.items()},
        "temporal_stationary": {str(op): _loops(lv)
                                for op, lv in tm.mapping_dic_stationary.items()},
        "memory_levels": levels,
        "buffer_extent": extent,
        "dram_loops_outer_to_inner": dram_loops,
        "c_partial_sums_in_dram": spills,
        "as_our_tiles": (f"{a['M']}x{a['K']}x{b['N']}" if same and not spills else None),
    }


def traffic_record(cme: CostModelEvaluation) -> dict[str, Any]:
    """Per operand and memory level: elements moved (from ZigZag's data-movement record,
    ``mapping.unit_mem_data_movement``: amount per period x periods x unit count) and the
    port words its energy counts (``memory_word_access``), per direction."""
    record: dict[str, Any] = {}
    mapping = cme.mapping
    links = cme.layer.memory_operand_links
    hierarchy = cme.accelerator.memory_hierarchy
    for layer_op, accesses in cme.memory_word_access.items():
        mem_op = links.layer_to_mem_op(layer_op)
        memories = hierarchy.get_memory_levels(mem_op)
        per_level = []
        for lvl, (words, memory) in enumerate(zip(accesses, memories, strict=True)):
            move = mapping.unit_mem_data_movement[layer_op][lvl]
            amount = move.get_attribute(DataMoveAttr.DATA_TRANS_AMOUNT_PER_PERIOD)
            periods = move.get_attribute(DataMoveAttr.DATA_TRANS_PERIOD_COUNT)
            precision = move.get_attribute(DataMoveAttr.DATA_PRECISION)
            units = mapping.spatial_mapping.unit_count[layer_op][lvl + 1]
            bits = {name: _num(amount.get(d) * periods.get(d) * units * precision.get(d))
                    for d, name in DIRECTIONS.items()}
            per_level.append({
                "memory": memory.name,
                "bits": bits,
                "words": {name: _num(words.get(d)) for d, name in DIRECTIONS.items()},
                "word_bits": {name: _num(memory.get_max_bandwidth(mem_op, d) or 0)
                              for d, name in DIRECTIONS.items()},
                "period": {name: _num(move.get_attribute(DataMoveAttr.DATA_TRANS_PERIOD).get(d))
                           for d, name in DIRECTIONS.items()},
                "period_count": {name: _num(periods.get(d)) for d, name in DIRECTIONS.items()},
            })
        record[str(layer_op)] = per_level
    return record


def dram_bytes(traffic: dict[str, Any], key: str) -> dict[str, Any]:
    """DRAM reads and writes in bytes from ``traffic`` (``key`` 'bits': elements moved;
    'words': port words counted x port width). Reads: A and B sent down, C partial sums
    sent down (our hardware never does that); writes: C written from below."""
    def top(op: str) -> dict[str, Any]:
        return traffic[op][-1]

    def amount(op: str, direction: str) -> float:
        level = top(op)
        if key == "bits":
            return level["bits"][direction] / 8
        return level["words"][direction] * level["word_bits"][direction] / 8

    reads = {OUR_OPERAND[op]: _num(amount(op, "rd_out_to_low")) for op in ("I", "W", "O")}
    writes = {"C": _num(amount("O", "wr_in_by_low"))}
    return {"read": _num(sum(reads.values())), "write": writes["C"], "read_by_operand": reads,
            "write_by_operand": writes}


def cme_record(cme: CostModelEvaluation) -> dict[str, Any]:
    """Latency, traffic and energy of one CME, with ZigZag's own breakdown."""
    traffic = traffic_record(cme)
    stalls_per_port = [{port: _num(v) for port, v in ports.items()}
                       for ports in cme.stall_slack_comb_collect]
    return {
        "cycles": _num(cme.latency_total2),
        "latency": {
            "latency_total2": _num(cme.latency_total2),
            "latency_total1": _num(cme.latency_total1),
            "latency_total0": _num(cme.latency_total0),
            "ideal_cycle": _num(cme.ideal_cycle),
            "ideal_temporal_cycle": _num(cme.ideal_temporal_cycle),
            "stall_slack_comb": _num(cme.stall_slack_comb),
            "data_onloading_cycle": _num(cme.data_onloading_cycle),
            "data_offloading_cycle": _num(cme.data_offloading_cycle),
            "systolic_drain_cycle": _num(cme.systolic_drain_cycle),
            "stall_slack_per_memory_port": dict(zip(
                [m.name for m in cme.mem_level_list], stalls_per_port, strict=True)),
            "double_buffer": {str(op): flags for op, flags in cme.double_buffer_true.items()},
            "mac_utilization": {"spatial": cme.mac_spatial_utilization,
                                "with_stalls": cme.mac_utilization0,
                                "with_onloading": cme.mac_utilization1,
                                "with_offloading": cme.mac_utilization2},
        },
        "dram_bytes": dram_bytes(traffic, "bits"),
        "dram_bytes_port_words": dram_bytes(traffic, "words"),
        "energy_pj": {
            "total": cme.energy_total,
            "mac": cme.mac_energy,
            "memory": cme.mem_energy,
            "per_operand_level": {
                OUR_OPERAND[str(op)]: dict(zip(
                    [lv["memory"] for lv in traffic[str(op)]], map(float, levels), strict=True))
                for op, levels in cme.mem_energy_breakdown.items()},
            "per_operand_level_direction": {
                OUR_OPERAND[str(op)]: [
                    {name: float(energy.get(d)) for d, name in DIRECTIONS.items()}
                    for energy in levels]
                for op, levels in cme.mem_energy_breakdown_further.items()},
        },
        "memory_utilization": {str(op): [float(u) for u in v]
                               for op, v in cme.mem_utili_shared.items()},
        "traffic": traffic,
        "mapping": mapping_record(cme),
    }


def run_layer(accelerator: str, mapping: str, layer: dict[str, Any], lpf_limit: int,
              mapping_type: str) -> dict[str, Any]:
    """Run ZigZag on one layer (a ZigZag workload entry) and return its record."""
    stages: list[StageCallable] = [
        WorkloadParserStage, AcceleratorParserStage, WorkloadStage,
        SpatialMappingGeneratorStage, KeepBest, TemporalMappingGeneratorStage, CostModelStage]
    main = MainStage(
        list_of_callables=stages, accelerator=accelerator, workload=[layer], mapping=mapping,
        loma_lpf_limit=lpf_limit, loma_show_progress_bar=False, nb_mappings_generated=3,
        enable_mix_spatial_mapping_generation=False,
        access_same_data_considered_as_no_access=True,
        temporal_mapping_type=TemporalMappingType(mapping_type))
    start = time.perf_counter()
    answers = main.run()
    seconds = time.perf_counter() - start
    # one answer per spatial mapping (one here: mapping.yaml fixes it); keep ZigZag's order
    # extra_info arrives wrapped as (layer, (spatial mapping, KeepBest's dict))
    unwrapped = [(cme, extra[1][1]) for cme, extra in answers]
    best, extra = min(unwrapped, key=lambda a: (a[0].latency_total2, a[0].energy_total))
    least_energy = min((e["by_energy"] for _, e in unwrapped),
                       key=lambda c: (c.energy_total, c.latency_total2))
    record = cme_record(best)
    record["least_energy"] = cme_record(least_energy)
    record["temporal_mappings_evaluated"] = sum(e["evaluated"] for _, e in unwrapped)
    record["spatial_mappings"] = len(answers)
    record["seconds"] = seconds
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path,
                        help="folder written by make_inputs.py (not with --render)")
    parser.add_argument("--workload", action="append",
                        help="workload key from design.json (default: all)")
    parser.add_argument("--layers", type=int, default=None,
                        help="only the first N layers of each workload (smoke test)")
    parser.add_argument("--lpf-limit", type=int, default=6,
                        help="LOMA's loop-prime-factor limit (zigzag.api default 6)")
    parser.add_argument("--mapping-type", choices=("uneven", "even"), default="uneven",
                        help="ZigZag's temporal mapping type (zigzag.api default uneven)")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--md", type=Path, default=None,
                        help="also write a Markdown summary (machine, command, table)")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite --md from an existing --out JSON")
    args = parser.parse_args()
    if args.render:
        if args.md is None:
            parser.error("--render needs --md")
        args.md.write_text(markdown(json.loads(args.out.read_text()), args.out.name))
        return
    if args.inputs is None:
        parser.error("--inputs is required")

    logging.getLogger("zigzag").setLevel(logging.ERROR)
    design = json.loads((args.inputs / "design.json").read_text())
    accelerator = str(args.inputs / "accelerator.yaml")
    mapping = str(args.inputs / "mapping.yaml")
    started = datetime.datetime.now(datetime.UTC)
    wall = time.perf_counter()
    workloads: dict[str, Any] = {}
    done: dict[tuple[int, int, int], tuple[str, dict[str, Any]]] = {}
    for key in args.workload or list(design["workloads"]):
        info = design["workloads"][key]
        zz_layers = open_yaml(str(args.inputs / info["file"]))
        records = []
        for ours, zz in list(zip(info["layers"], zz_layers, strict=True))[:args.layers]:
            print(f"{key}: {ours['name']} {ours['m']}x{ours['k']}x{ours['n']}",
                  file=sys.stderr, flush=True)
            shape = (ours["m"], ours["k"], ours["n"])
            if shape in done:   # the same GEMM again: ZigZag is deterministic, reuse it
                record = {**done[shape][1], "seconds": 0.0, "same_as": done[shape][0]}
            else:
                with contextlib.redirect_stdout(io.StringIO()):
                    record = run_layer(accelerator, mapping, zz, args.lpf_limit,
                                       args.mapping_type)
                done[shape] = (f"{key}: {ours['name']}", record)
            records.append({"name": ours["name"], "op": ours["op"],
                            "gemm": f"{ours['m']}x{ours['k']}x{ours['n']}",
                            "m": ours["m"], "k": ours["k"], "n": ours["n"],
                            "macs": ours["macs"], "repeat": ours["repeat"], **record})
            print(f"  {record['cycles']} cycles, {record['dram_bytes']['read']:.0f} B read, "
                  f"{record['dram_bytes']['write']:.0f} B written, "
                  f"{record['energy_pj']['total'] / 1e6:.3f} uJ, "
                  f"{record['temporal_mappings_evaluated']} mappings, "
                  f"{record['seconds']:.1f} s", file=sys.stderr, flush=True)
        total = {
            "cycles": sum(r["cycles"] * r["repeat"] for r in records),
            "dram_read_bytes": sum(r["dram_bytes"]["read"] * r["repeat"] for r in records),
            "dram_write_bytes": sum(r["dram_bytes"]["write"] * r["repeat"] for r in records),
            "energy_pj": sum(r["energy_pj"]["total"] * r["repeat"] for r in records),
            "macs": sum(r["macs"] * r["repeat"] for r in records),
        }
        workloads[key] = {"source": info["source"], "options": info["options"],
                          "layer_prefix": info["layer_prefix"], "layers": records,
                          "total": total}
    seconds = time.perf_counter() - wall
    result = {
        "schema": "hwdse.zigzag-raw/1",
        "zigzag": importlib.metadata.version("zigzag-dse"),
        "numpy": importlib.metadata.version("numpy"),
        "python": sys.version.split()[0],
        "machine": machine(),
        "started": started.isoformat(timespec="seconds"),
        "seconds": seconds,
        "command": " ".join([str(Path(sys.executable)), *sys.argv]),
        "settings": {"engine": "loma", "lpf_limit": args.lpf_limit,
                     "mapping_type": args.mapping_type, "objective": "latency",
                     "access_same_data_considered_as_no_access": True,
                     "layer_operand_to_ours": OUR_OPERAND,
                     "output_operand": str(Constants.OUTPUT_LAYER_OP)},
        "design": design,
        "workloads": workloads,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"wrote {args.out} ({seconds:.0f} s)", file=sys.stderr)
    if args.md is not None:
        args.md.write_text(markdown(result, args.out.name))
        print(f"wrote {args.md}", file=sys.stderr)


def markdown(result: dict[str, Any], json_name: str) -> str:
    """A short record of a run: machine, command, version, run time, one row per layer."""
    m = result["machine"]
    design = result["design"]
    p, dram = design["params"], design["dram"]
    s = result["settings"]
    lines = [
        "# ZigZag on accel-v1 (raw results for the issue-19 comparison)", "",
        f"ZigZag (`zigzag-dse`) {result['zigzag']} in its own venv (numpy {result['numpy']}, "
        f"Python {result['python']}), LOMA, loop-prime-factor limit {s['lpf_limit']}, "
        f"{s['mapping_type']} mappings, objective {s['objective']} (ZigZag's "
        "`MinimalLatencyStage` order); the least-energy mapping of the same search is in the "
        f"JSON. Data: `{json_name}`; inputs and the mapping of our design onto ZigZag's "
        "format: `bench/zigzag/README.md`.", "",
        f"Design: accel-v1 {p['rows']}x{p['cols']} {p['dataflow']}, int{p['input_width']} / "
        f"{p['acc_width']}-bit accumulators, scratchpad {p['spad_kib']} KiB, accumulator "
        f"{p['acc_kib']} KiB, bus {p['bus_bytes']} bytes, DRAM {dram['bandwidth']} bytes/cycle "
        f"and latency {dram['latency']} cycles (ZigZag ignores the latency).", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['platform']}, "
        f"load average {m['load_average_1m']} at the end (the machine was shared). "
        f"Started {result['started']}, {result['seconds']:.0f} s in all.", "",
        f"Command: `{result['command']}` (inputs by `{design['command']}`, "
        f"git {design['git_head']}).", "",
        "Per layer, one run of the GEMM (MxKxN, A is MxK, B is KxN); `x` is how often the "
        "network runs it; totals multiply by it. Cycles are ZigZag's `latency_total2`; "
        "DRAM bytes are the elements its data-movement record moves across DRAM's port; "
        "`tiles` is the mapping in our TMxTKxTN terms when all three buffers hold matching "
        "extents (`-`: uneven, see `buffer_extent` in the JSON); `DRAM loops` are the loops "
        "above the buffers for C, outer to inner.", "",
        "`read/min`: DRAM reads over the compulsory M*K + K*N bytes.", "",
        "| workload | layer | MxKxN | x | cycles | ideal | stall | onload | offload | "
        "DRAM read B | read/min | DRAM write B | energy uJ | tiles | DRAM loops (C) | "
        "mappings | s |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|",
    ]
    for key, workload in result["workloads"].items():
        for r in workload["layers"]:
            lat = r["latency"]
            loops = " ".join(f"{d}{n}" for d, n in r["mapping"]["dram_loops_outer_to_inner"]["O"])
            lines.append(
                f"| {key} | {r['name']} | {r['gemm']} | {r['repeat']} | {r['cycles']:,} | "
                f"{lat['ideal_cycle']:,} | {lat['stall_slack_comb']:,} | "
                f"{lat['data_onloading_cycle']:,} | {lat['data_offloading_cycle']:,} | "
                f"{r['dram_bytes']['read']:,.0f} | "
                f"{r['dram_bytes']['read'] / (r['m'] * r['k'] + r['k'] * r['n']):.2f} | "
                f"{r['dram_bytes']['write']:,.0f} | "
                f"{r['energy_pj']['total'] / 1e6:,.2f} | {r['mapping']['as_our_tiles'] or '-'} | "
                f"{loops or '-'} | {r['temporal_mappings_evaluated']} | {r['seconds']:.1f} |")
        t = workload["total"]
        lines.append(
            f"| {key} | **total** (x repeat) | | | {t['cycles']:,} | | | | | "
            f"{t['dram_read_bytes']:,.0f} | | {t['dram_write_bytes']:,.0f} | "
            f"{t['energy_pj'] / 1e6:,.2f} | | | | |")
    lines += ["", "The least-energy mapping of the same search (`least_energy` in the JSON; "
              "ZigZag's `MinimalEnergyStage` order), against the least-latency one above, "
              "totals x repeat:", "",
              "| workload | cycles | DRAM read B | DRAM write B | energy uJ | "
              "cycles vs above | DRAM read vs above | energy vs above |",
              "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for key, workload in result["workloads"].items():
        t = workload["total"]
        cycles = sum(r["least_energy"]["cycles"] * r["repeat"] for r in workload["layers"])
        read = sum(r["least_energy"]["dram_bytes"]["read"] * r["repeat"]
                   for r in workload["layers"])
        write = sum(r["least_energy"]["dram_bytes"]["write"] * r["repeat"]
                    for r in workload["layers"])
        energy = sum(r["least_energy"]["energy_pj"]["total"] * r["repeat"]
                     for r in workload["layers"])
        lines.append(f"| {key} | {cycles:,} | {read:,.0f} | {write:,.0f} | "
                     f"{energy / 1e6:,.2f} | {cycles / t['cycles']:.4f} | "
                     f"{read / t['dram_read_bytes']:.3f} | {energy / t['energy_pj']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
