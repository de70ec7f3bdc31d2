"""Describe one ``accel-v1`` design and its workloads in ZigZag's input format.

Runs under the project's venv (it reads our parameters, energy table and workload importer)
and writes the three YAML files ZigZag reads plus a ``design.json`` that records where every
number came from::

    .venv/bin/python bench/zigzag/make_inputs.py -p rows=8 -p cols=8 -p spad_kib=64 \\
        -p acc_kib=32 -p bus_bytes=8 --bandwidth 8 --latency 40 --out bench/zigzag/inputs/<name>

``bench/zigzag/run.py`` (ZigZag's venv) then runs ZigZag's mapper on them. The README's
table "What maps to what" is the prose of :func:`accelerator_yaml` and :func:`mapping_yaml`.

The architecture, bottom to top (ZigZag lists memories from the array upwards):

- ``operational_array``: ``rows`` x ``cols`` MACs, D1 = rows (M), D2 = cols (N), both
  systolic; ``unit_energy`` = one ``input_width`` multiply + one ``acc_width`` add + the PE
  registers written per MAC (``dse.models.systolic.energy_of_activity``, ``os``).
- ``pe_acc`` (O): the output-stationary PE's own accumulator, per PE
  (``served_dimensions: []``), two ``acc_width`` words double buffered (the sum being
  accumulated and the finished one draining, as our core overlaps a tile's drain with the
  next tile); its energy is inside ``unit_energy`` (the register write is part of our
  PE-register term), so its access costs are 0.
- ``spad_a`` (I1 = our A) and ``spad_b`` (I2 = our B): the two halves of the scratchpad,
  ``spad_kib / 2`` KiB each, ``force_double_buffering`` (two slots each, as in
  ``AccelParams.spad_slot_bytes``), read one A (B) word per cycle, written one bus beat
  per cycle by the DMA; broadcast to the array (``served_dimensions: [D1, D2]``).
- ``acc`` (O): the accumulator buffer, ``acc_kib`` KiB, ``force_double_buffering`` (two
  slots, ``AccelParams.acc_slot_bytes``), one result row per access.
- ``dram`` (I1, I2, O): one read/write port of ``min(bandwidth, bus_bytes)`` bytes per
  cycle shared by every transfer (our DMA runs one transfer at a time and the DRAM model
  moves reads and writes on one beat interval). ``latency`` is written but ZigZag 3.9.1
  never reads a memory's ``latency`` (README: "DRAM latency").

Energies (pJ) come from our table (``dse.models.energy.default_energy_table``, Horowitz,
ISSCC 2014, 45 nm) by the same rules as ``dse.models.accel.energy_of_counts``: an SRAM
access of ``b`` bits costs ``sram_access_64b.at(capacity KiB) * b / 64`` with the
capacity of one scratchpad half (``spad_kib / 2``) and of one accumulator slot
(``acc_kib / 2``); a DRAM access of ``b`` bits ``dram_access_64b.energy_pj * b / 64``.
ZigZag charges ``r_cost``/``w_cost`` per access of a port's ``bandwidth_max`` bits
(``cost_model.py: CostModelEvaluation._calc_memory_access``) and one ``r_cost`` (``w_cost``)
for all reads (writes) of a memory, so all read (write) ports of one memory have one width
here and ``r_cost`` (``w_cost``) is the energy of that many bits.

Workload layers are GEMMs ``C (M x N) = A (M x K) @ B (K x N)`` from our importer
(``dse.workload.sources.load_source``), one ZigZag layer each:
``O[m][n] += I[m][k] * W[k][n]`` with loop dimensions M, K, N; I (our A) and W (our B)
``input_width`` bits, O and O_final ``acc_width`` bits (we write C back at accumulator
width). W is marked constant (``operand_source: {W: id}``), as ZigZag expects one weight
operand; for attention matmuls both are activations, which changes nothing in its cost
model. A layer that runs ``batch * count`` times (heads, repeated blocks) is given once,
with its ``repeat`` in ``design.json``: run.py reports one run and the repeat.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from dse.models.energy import DEFAULT_TABLE, EnergyTable, default_energy_table
from dse.workload import Workload
from dse.workload.sources import load_source
from hw.accel.params import AccelParams
from hw.accel.tiling import beat_interval, check_latency

#: The workloads of issue 19's ZigZag comparison: source, options, which layers.
WORKLOADS: dict[str, tuple[str, dict[str, Any], str]] = {
    # every ResNet-18 GEMM at 224 x 224 (transformers' ResNet built on the meta device)
    "resnet18": ("hf:resnet-18", {}, ""),
    # one GPT-2 block in prefill of 128 tokens (the first block's GEMMs, heads as batch)
    "gpt2_block": ("transformer:gpt2", {"phase": "prefill", "tokens": 128}, "transformer.h.0."),
}

#: ZigZag's names for our operands (``memory_operand_links``): layer operand -> memory operand.
OPERAND_LINKS = {"O": "O", "I": "I1", "W": "I2"}


def parse_params(pairs: list[str]) -> AccelParams:
    """``-p name=value`` pairs -> AccelParams (integers where they parse)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if not _:
            raise SystemExit(f"-p takes name=value, not {pair!r}")
        try:
            values[name] = int(text)
        except ValueError:
            values[name] = {"true": True, "false": False}.get(text.lower(), text)
    return AccelParams(**values)


def energies(params: AccelParams, table: EnergyTable) -> dict[str, Any]:
    """Every energy ZigZag gets, with the rule and the table entry it comes from."""
    width, acc = params.input_width, params.acc_width
    register_bits = 2 * width + acc   # os PE: forwarded A and B, the accumulator
    mac = (table.int_multiply.at(width) + table.int_add.at(acc)
           + register_bits * table.register_write_bit.energy_pj)
    spad_kib, acc_kib = params.spad_kib / 2, params.acc_kib / 2
    spad_64 = table.sram_access_64b.at(spad_kib)
    acc_64 = table.sram_access_64b.at(acc_kib)
    dram_64 = table.dram_access_64b.energy_pj
    ports = port_bits(params, None)
    return {
        "table": table.name, "node": table.node, "source": table.source,
        "file": f"dse/models/{DEFAULT_TABLE}",
        "unit_energy_pj": mac,
        "unit_energy_rule": (f"int_multiply.at({width}) + int_add.at({acc}) + {register_bits} "
                             "* register_write_bit (dse.models.systolic.energy_of_activity, os: "
                             "mac + pe_registers per MAC)"),
        "spad_64b_pj": spad_64, "spad_capacity_kib": spad_kib,
        "spad_read_pj": spad_64 * ports["spad_read"] / 64,
        "spad_write_pj": spad_64 * ports["spad_write"] / 64,
        "acc_64b_pj": acc_64, "acc_capacity_kib": acc_kib,
        "acc_access_pj": acc_64 * ports["acc"] / 64,
        "dram_64b_pj": dram_64,
        "dram_range_64b_pj": [table.dram_access_64b.low_pj, table.dram_access_64b.high_pj],
    }


def port_bits(params: AccelParams, bandwidth: int | None) -> dict[str, int]:
    """Port widths in bits per cycle (ZigZag's ``bandwidth_min`` = ``bandwidth_max``).

    - ``spad_read``: one A word (``a_word_bytes``) per cycle; B likewise (``b_word_bytes``);
      the wider of the two is used for both halves so that one ``r_cost`` fits each.
    - ``spad_write``: one bus beat (``bus_bytes``) per cycle from the DMA.
    - ``acc``: one result row (``cols * acc_width`` bits; the write-back reads
      ``c_word_bytes``, the same for every legal design since ``cols * acc_bytes >=
      bus_bytes`` there is checked below).
    - ``dram``: ``min(bandwidth, bus_bytes)`` bytes per cycle (a beat every
      ``beat_interval`` cycles, never more than one per cycle).
    """
    spad_read = 8 * max(params.a_word_bytes, params.b_word_bytes)
    acc = params.cols * params.acc_width
    if 8 * params.c_word_bytes != acc:
        raise SystemExit(f"cols * acc_width = {acc} bits is narrower than the bus; "
                         "this generator assumes one accumulator word per result row")
    bits = {"spad_read": spad_read, "spad_write": 8 * params.bus_bytes, "acc": acc,
            "pe_acc": params.acc_width}
    if bandwidth is not None:
        bits["dram"] = 8 * params.bus_bytes // beat_interval(params, bandwidth)
    return bits


def _port(name: str, kind: str, bits: int, allocation: list[str]) -> dict[str, Any]:
    return {"name": name, "type": kind, "bandwidth_min": bits, "bandwidth_max": bits,
            "allocation": allocation}


def accelerator_yaml(params: AccelParams, bandwidth: int, latency: int,
                     energy: dict[str, Any], name: str) -> dict[str, Any]:
    """ZigZag's accelerator description of ``params`` (see the module docstring)."""
    bits = port_bits(params, bandwidth)
    spad_bits = params.spad_kib * 1024 * 8 // 2       # one half: both slots of A (or B)
    acc_bits = params.acc_kib * 1024 * 8              # both accumulator slots
    memories = {
        # two words per PE, double buffered: the accumulator and the result on its way out
        # (our OS core streams the next tile in while the last one drains), so one output
        # per PE is allocated here and ZigZag lets the drain overlap the next K loop.
        "pe_acc": {
            "size": 2 * params.acc_width, "r_cost": 0.0, "w_cost": 0.0, "area": 0.0,
            "latency": 1,
            "operands": ["O"],
            "ports": [_port("r_port_1", "read", bits["pe_acc"], ["O, tl"]),
                      _port("r_port_2", "read", bits["pe_acc"], ["O, th"]),
                      _port("w_port_1", "write", bits["pe_acc"], ["O, fh"]),
                      _port("w_port_2", "write", bits["pe_acc"], ["O, fl"])],
            "served_dimensions": [],
            "force_double_buffering": True,
        },
    }
    for mem, operand in (("spad_a", "I1"), ("spad_b", "I2")):
        memories[mem] = {
            "size": spad_bits, "r_cost": energy["spad_read_pj"],
            "w_cost": energy["spad_write_pj"], "area": 0.0, "latency": 1,
            "operands": [operand],
            "ports": [_port("r_port_1", "read", bits["spad_read"], [f"{operand}, tl"]),
                      _port("w_port_1", "write", bits["spad_write"], [f"{operand}, fh"])],
            "served_dimensions": ["D1", "D2"],
            "force_double_buffering": True,
        }
    memories["acc"] = {
        "size": acc_bits, "r_cost": energy["acc_access_pj"], "w_cost": energy["acc_access_pj"],
        "area": 0.0, "latency": 1, "operands": ["O"],
        # the core's side (results in, partial sums back for accumulation) and the DMA's
        # side (write-back; partial sums from DRAM, which our hardware never needs) are
        # separate ports: the RTL's two slots are two memories.
        "ports": [_port("r_port_1", "read", bits["acc"], ["O, tl"]),
                  _port("w_port_1", "write", bits["acc"], ["O, fl"]),
                  _port("r_port_2", "read", bits["acc"], ["O, th"]),
                  _port("w_port_2", "write", bits["acc"], ["O, fh"])],
        "served_dimensions": ["D1", "D2"],
        "force_double_buffering": True,
    }
    dram_cost = energy["dram_64b_pj"] * bits["dram"] / 64
    memories["dram"] = {
        "size": 1 << 40, "r_cost": dram_cost, "w_cost": dram_cost, "area": 0.0,
        "latency": latency, "operands": ["I1", "I2", "O"],
        "ports": [_port("rw_port_1", "read_write", bits["dram"],
                        ["I1, fh", "I1, tl", "I2, fh", "I2, tl",
                         "O, fh", "O, tl", "O, fl", "O, th"])],
        "served_dimensions": ["D1", "D2"],
    }
    return {
        "name": name,
        "memories": memories,
        "operational_array": {
            "unit_energy": energy["unit_energy_pj"], "unit_area": 1.0,
            "dimensions": ["D1", "D2"], "sizes": [params.rows, params.cols],
            "systolic_dimensions": ["D1", "D2"],
            "input_precision": [params.input_width, params.input_width],
        },
    }


def mapping_yaml(params: AccelParams, output_stationary: bool) -> list[dict[str, Any]]:
    """The fixed dataflow: M over the array's rows (D1), N over its columns (D2); with
    ``output_stationary``, the innermost temporal loop is a K factor (the PE accumulates
    over K, as our core does); the rest of the temporal mapping is LOMA's to choose."""
    entry: dict[str, Any] = {
        "name": "default",
        "spatial_mapping": {"D1": [f"M, {params.rows}"], "D2": [f"N, {params.cols}"]},
        "memory_operand_links": dict(OPERAND_LINKS),
    }
    if output_stationary:
        entry["temporal_ordering"] = [["K", "*"]]
    return [entry]


def workload_layers(key: str) -> list[dict[str, Any]]:
    """The layers of workload ``key`` in order, unmerged: name, op, M, K, N, repeat."""
    source, options, prefix = WORKLOADS[key]
    workload: Workload = load_source(source, **options)
    layers = []
    for layer in workload.layers:
        if prefix and not layer.name.startswith(prefix):
            continue
        gemm = layer.gemm
        layers.append({"name": layer.name, "op": layer.op, "m": gemm.m, "k": gemm.k,
                       "n": gemm.n, "batch": layer.batch, "count": layer.count,
                       "repeat": layer.repeat, "macs": gemm.macs})
    return layers


def workload_yaml(params: AccelParams, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ZigZag layers (one per GEMM, ids in order; each is run on its own by run.py)."""
    out = []
    for index, layer in enumerate(layers):
        out.append({
            "id": index, "name": layer["name"], "operator_type": "Gemm",
            "equation": "O[m][n]+=I[m][k]*W[k][n]",
            "loop_dims": ["M", "K", "N"], "loop_sizes": [layer["m"], layer["k"], layer["n"]],
            "operand_precision": {"I": params.input_width, "W": params.input_width,
                                  "O": params.acc_width, "O_final": params.acc_width},
            "operand_source": {"W": index},
        })
    return out


def git_head() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False)
    return proc.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-p", dest="params", action="append", default=[],
                        help="accel-v1 parameter as name=value (repeat)")
    parser.add_argument("--bandwidth", type=int, required=True, help="DRAM bytes per cycle")
    parser.add_argument("--latency", type=int, required=True, help="DRAM latency (cycles)")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), action="append",
                        help="workloads to write (default: all)")
    parser.add_argument("--free-order", action="store_true",
                        help="do not pin a K factor innermost (let LOMA leave output "
                             "stationarity)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the inputs")
    args = parser.parse_args()

    params = parse_params(args.params)
    if params.dataflow != "os":
        # a ws core would be D1 = K, D2 = N with B held in PE registers; not described yet
        raise SystemExit(f"only the output-stationary core is described in ZigZag's format "
                         f"so far, not dataflow {params.dataflow!r}")
    beat_interval(params, args.bandwidth)   # raises for a bandwidth the testbench refuses
    check_latency(args.latency)
    table = default_energy_table()
    energy = energies(params, table)
    name = (f"accel_v1_{params.rows}x{params.cols}_spad{params.spad_kib}k_"
            f"acc{params.acc_kib}k_bus{params.bus_bytes}_bw{args.bandwidth}")
    args.out.mkdir(parents=True, exist_ok=True)
    dump = {"default_flow_style": None, "sort_keys": False, "width": 100}
    (args.out / "accelerator.yaml").write_text(
        yaml.safe_dump(accelerator_yaml(params, args.bandwidth, args.latency, energy, name),
                       **dump))
    (args.out / "mapping.yaml").write_text(
        yaml.safe_dump(mapping_yaml(params, not args.free_order), **dump))
    workloads = {}
    for key in args.workload or sorted(WORKLOADS):
        layers = workload_layers(key)
        (args.out / f"workload_{key}.yaml").write_text(
            yaml.safe_dump(workload_yaml(params, layers), **dump))
        source, options, prefix = WORKLOADS[key]
        workloads[key] = {"source": source, "options": options, "layer_prefix": prefix,
                          "file": f"workload_{key}.yaml", "layers": layers}
    design = {
        "schema": "hwdse.zigzag-inputs/1",
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_head": git_head(),
        "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
        "params": dataclasses.asdict(params),
        "dram": {"bandwidth": args.bandwidth, "latency": args.latency,
                 "beat_interval": beat_interval(params, args.bandwidth)},
        "derived": {"spad_slot_bytes": params.spad_slot_bytes,
                    "acc_slot_bytes": params.acc_slot_bytes,
                    "m_granule": params.m_granule, "n_granule": params.n_granule,
                    "port_bits": port_bits(params, args.bandwidth)},
        "output_stationary_constraint": not args.free_order,
        "energy": energy,
        "accelerator": name,
        "workloads": workloads,
    }
    (args.out / "design.json").write_text(json.dumps(design, indent=2) + "\n")
    print(f"wrote {args.out}: accelerator.yaml, mapping.yaml, "
          + ", ".join(w["file"] for w in workloads.values()) + ", design.json")


if __name__ == "__main__":
    main()
