"""Run SCALE-Sim 3.0.0 on GEMM layers for one array and print its cycle counts as JSON.

Runs under SCALE-Sim's own venv (``bench/scalesim/setup.sh``), not the project's::

    bench/scalesim/.venv/bin/python bench/scalesim/run_scalesim.py \\
        --rows 8 --cols 8 --dataflow os --layer 64x64x64 --layer 17x33x9

Layers are given as ``MxKxN`` in the project's convention: C (M x N) = A (M x K) @ B (K x N).
SCALE-Sim's GEMM topology row is ``name, M, N, K,`` where (``topology_utils.load_arrays_gemm``)
the layer becomes a convolution of an M x K ifmap with N filters of 1 x K: M output pixels
(the rows of A and C), N filters (the columns of B and C) and a window of K (the reduction).
So SCALE-Sim's M, N, K are our M, N, K; only the column order of the CSV differs.

Bandwidth mode is CALC (``InterfaceBandwidth: CALC``): SRAM reads never stall and DRAM
traffic is sized to keep up, so ``total_cycles`` is the compute schedule alone.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

#: Layout CSV columns, as SCALE-Sim's ``layout_utils.write_layout_file`` names them.
LAYOUT_COLUMNS = (
    "Layer name", "IFMAP Height Intraline Factor", "IFMAP Width Intraline Factor",
    "Filter Height Intraline Factor", "Filter Width Intraline Factor",
    "Channel Intraline Factor", "Num Filter Intraline Factor",
    "IFMAP Height Intraline Order", "IFMAP Width Intraline Order", "Channel Intraline Order",
    "IFMAP Height Interline Order", "IFMAP Width Interline Order", "Channel Interline Order",
    "Num Filter Intraline Order", "Channel Intraline Order", "Filter Height Intraline Order",
    "Filter Width Intraline Order", "Num Filter Interline Order", "Channel Interline Order",
    "Filter Height Interline Order", "Filter Width Interline Order",
)
#: One layout row: unit intraline factors and identity orders. Unused while custom layouts
#: are off (``IfmapCustomLayout``/``FilterCustomLayout: False``), but the file must parse.
LAYOUT_VALUES = (1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3)

RUN_NAME = "hwdse_bench"


def parse_layer(text: str) -> tuple[int, int, int]:
    """``MxKxN`` (or ``M,K,N``) -> (m, k, n)."""
    parts = text.lower().replace(",", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"layer must look like MxKxN, not {text!r}")
    m, k, n = (int(p) for p in parts)
    return m, k, n


def write_config(path: Path, rows: int, cols: int, dataflow: str, sram_kb: int,
                 request_buffer: int) -> None:
    """SCALE-Sim config with every section ``scale_config.read_conf_file`` reads."""
    path.write_text(f"""[general]
run_name = {RUN_NAME}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {sram_kb}
FilterSramSzkB: {sram_kb}
OfmapSramSzkB: {sram_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {dataflow}
Bandwidth: 10
ReadRequestBuffer: {request_buffer}
WriteRequestBuffer: {request_buffer}

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
""")


def write_topology(path: Path, layers: list[tuple[int, int, int]]) -> list[str]:
    """GEMM topology CSV (``Layer, M, N, K,``); returns the layer names."""
    names = [f"gemm{i}_{m}x{k}x{n}" for i, (m, k, n) in enumerate(layers)]
    lines = ["Layer, M, N, K,"]
    lines += [f"{name}, {m}, {n}, {k}," for name, (m, k, n) in zip(names, layers, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return names


def write_layout(path: Path, names: list[str]) -> None:
    """Layout CSV with one default row per layer."""
    lines = [", ".join(LAYOUT_COLUMNS) + ","]
    lines += [", ".join([name, *map(str, LAYOUT_VALUES)]) + "," for name in names]
    path.write_text("\n".join(lines) + "\n")


def read_compute_report(path: Path) -> list[dict[str, float]]:
    """Rows of COMPUTE_REPORT.csv keyed by the stripped header names."""
    with path.open(newline="") as handle:
        table = [[cell.strip() for cell in row] for row in csv.reader(handle)]
    header = [h for h in table[0] if h]
    return [{h: float(v) for h, v in zip(header, row[:len(header)], strict=True)}
            for row in table[1:] if any(row)]


def simulate(rows: int, cols: int, dataflow: str, layers: list[tuple[int, int, int]],
             sram_kb: int, request_buffer: int) -> dict[str, Any]:
    """Run SCALE-Sim in a temporary folder and return its per-layer compute report."""
    from scalesim.scale_sim import scalesim

    with tempfile.TemporaryDirectory(prefix="hwdse-scalesim-") as tmp:
        work = Path(tmp)
        config, topology, layout = work / "hwdse.cfg", work / "gemm.csv", work / "layout.csv"
        write_config(config, rows, cols, dataflow, sram_kb, request_buffer)
        names = write_topology(topology, layers)
        write_layout(layout, names)
        # SCALE-Sim prints progress even when not verbose; keep stdout for the JSON.
        with contextlib.redirect_stdout(sys.stderr):
            sim = scalesim(save_disk_space=True, verbose=False, config=str(config),
                           topology=str(topology), layout=str(layout), input_type_gemm=True)
            sim.run_scale(top_path=str(work / "out"))
        report = read_compute_report(work / "out" / RUN_NAME / "COMPUTE_REPORT.csv")
    results = []
    for (m, k, n), name, rec in zip(layers, names, report, strict=True):
        results.append({
            "layer": name, "m": m, "k": k, "n": n,
            "total_cycles": int(rec["Total Cycles"]),
            "total_cycles_incl_prefetch": int(rec["Total Cycles (incl. prefetch)"]),
            "stall_cycles": int(rec["Stall Cycles"]),
            "overall_util_pct": rec["Overall Util %"],
            "mapping_efficiency_pct": rec["Mapping Efficiency %"],
            "compute_util_pct": rec["Compute Util %"],
        })
    return {
        "scalesim": importlib.metadata.version("scalesim"),
        "numpy": importlib.metadata.version("numpy"),
        "python": sys.version.split()[0],
        "config": {"rows": rows, "cols": cols, "dataflow": dataflow, "sram_kb": sram_kb,
                   "request_buffer": request_buffer, "interface_bandwidth": "CALC"},
        "layers": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="array rows (ArrayHeight)")
    parser.add_argument("--cols", type=int, required=True, help="array columns (ArrayWidth)")
    parser.add_argument("--dataflow", choices=("os", "ws"), required=True)
    parser.add_argument("--layer", type=parse_layer, action="append", required=True,
                        help="GEMM as MxKxN (A is MxK, B is KxN); repeat for more layers")
    parser.add_argument("--sram-kb", type=int, default=1024,
                        help="size of each of the ifmap, filter and ofmap SRAMs in kB")
    parser.add_argument("--request-buffer", type=int, default=512,
                        help="ReadRequestBuffer and WriteRequestBuffer entries")
    args = parser.parse_args()
    result = simulate(args.rows, args.cols, args.dataflow, args.layer, args.sram_kb,
                      args.request_buffer)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
