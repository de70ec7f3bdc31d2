"""Run SCALE-Sim 3.0.0 in its user-bandwidth mode (``InterfaceBandwidth: USER``) on GEMM
layers and print its compute report and DRAM traffic as JSON.

Runs under SCALE-Sim's own venv (``bench/scalesim/setup.sh``), not the project's::

    bench/scalesim/.venv/bin/python bench/scalesim/run_scalesim_user.py \\
        --rows 8 --cols 8 --dataflow os --ifmap-kb 32 --filter-kb 32 --ofmap-kb 32 \\
        --ifmap-bw 8 --filter-bw 8 --ofmap-bw 8 --layer 64x64x64

Layers are ``MxKxN`` as in ``run_scalesim.py`` (SCALE-Sim's topology row ``name, M, N, K,``).

Where each bandwidth goes (SCALE-Sim 3.0.0, ``single_layer_sim.run``): in USER mode the
ifmap and filter SRAMs fetch from DRAM at ``IfmapSRAMBankBandwidth`` and
``FilterSRAMBankBandwidth`` words per cycle (the ``[layout]`` section), and only the ofmap
SRAM drains at ``Bandwidth`` (the first entry of ``[architecture_presets] Bandwidth``). The
three are separate ports. ``read_buffer.set_params`` asserts that a bandwidth divides by
the bank count, so the bank counts are written as 1 (banks only matter with a custom
layout, which stays off). Words are one byte (``word_size = 1`` in ``single_layer_sim``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.metadata
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run_scalesim import RUN_NAME, parse_layer, write_layout, write_topology


def write_config(path: Path, args: argparse.Namespace) -> None:
    """SCALE-Sim config in USER bandwidth mode with separate SRAM sizes and bandwidths."""
    path.write_text(f"""[general]
run_name = {RUN_NAME}

[architecture_presets]
ArrayHeight: {args.rows}
ArrayWidth: {args.cols}
IfmapSramSzkB: {args.ifmap_kb}
FilterSramSzkB: {args.filter_kb}
OfmapSramSzkB: {args.ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {args.dataflow}
Bandwidth: {args.ofmap_bw}
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {args.ifmap_bw}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {args.filter_bw}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
""")


def read_report(path: Path) -> list[dict[str, float]]:
    """Rows of a SCALE-Sim report CSV keyed by the stripped header names."""
    with path.open(newline="") as handle:
        table = [[cell.strip() for cell in row] for row in csv.reader(handle)]
    header = [h for h in table[0] if h]
    return [{h: float(v) for h, v in zip(header, row[:len(header)], strict=True)}
            for row in table[1:] if any(row)]


def simulate(args: argparse.Namespace) -> dict[str, Any]:
    """Run SCALE-Sim in a temporary folder; per layer its compute and access reports."""
    from scalesim.scale_sim import scalesim

    start = time.monotonic()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hwdse-scalesim-user-") as tmp:
        work = Path(tmp)
        config, topology, layout = work / "hwdse.cfg", work / "gemm.csv", work / "layout.csv"
        write_config(config, args)
        names = write_topology(topology, args.layer)
        write_layout(layout, names)
        with contextlib.redirect_stdout(sys.stderr):
            sim = scalesim(save_disk_space=True, verbose=False, config=str(config),
                           topology=str(topology), layout=str(layout), input_type_gemm=True)
            sim.run_scale(top_path=str(work / "out"))
        out = work / "out" / RUN_NAME
        compute = read_report(out / "COMPUTE_REPORT.csv")
        detail = read_report(out / "DETAILED_ACCESS_REPORT.csv")
    seconds = time.monotonic() - start
    layers = []
    for (m, k, n), name, rec, acc in zip(args.layer, names, compute, detail, strict=True):
        layers.append({
            "layer": name, "m": m, "k": k, "n": n,
            "total_cycles_incl_prefetch": int(rec["Total Cycles (incl. prefetch)"]),
            "total_cycles": int(rec["Total Cycles"]),
            "stall_cycles": int(rec["Stall Cycles"]),
            "overall_util_pct": rec["Overall Util %"],
            "dram_ifmap_reads": int(acc["DRAM IFMAP Reads"]),
            "dram_filter_reads": int(acc["DRAM Filter Reads"]),
            "dram_ofmap_writes": int(acc["DRAM OFMAP Writes"]),
            "dram_ifmap_start": int(acc["DRAM IFMAP Start Cycle"]),
            "dram_ifmap_stop": int(acc["DRAM IFMAP Stop Cycle"]),
            "dram_filter_start": int(acc["DRAM Filter Start Cycle"]),
            "dram_filter_stop": int(acc["DRAM Filter Stop Cycle"]),
            "dram_ofmap_start": int(acc["DRAM OFMAP Start Cycle"]),
            "dram_ofmap_stop": int(acc["DRAM OFMAP Stop Cycle"]),
        })
    return {
        "scalesim": importlib.metadata.version("scalesim"),
        "numpy": importlib.metadata.version("numpy"),
        "python": sys.version.split()[0],
        "config": {key: getattr(args, key) for key in (
            "rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb", "ifmap_bw",
            "filter_bw", "ofmap_bw")} | {"interface_bandwidth": "USER"},
        "seconds": round(seconds, 2),
        "load_average_1m_at_start": round(load, 2),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "layers": layers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="array rows (ArrayHeight)")
    parser.add_argument("--cols", type=int, required=True, help="array columns (ArrayWidth)")
    parser.add_argument("--dataflow", choices=("os", "ws"), required=True)
    parser.add_argument("--layer", type=parse_layer, action="append", required=True,
                        help="GEMM as MxKxN (A is MxK, B is KxN); repeat for more layers")
    for name in ("ifmap", "filter", "ofmap"):
        parser.add_argument(f"--{name}-kb", type=int, required=True,
                            help=f"{name} SRAM in kB (1024 bytes)")
        parser.add_argument(f"--{name}-bw", type=int, required=True,
                            help=f"{name} DRAM port in words (bytes) per cycle")
    args = parser.parse_args()
    print(json.dumps(simulate(args), indent=2))


if __name__ == "__main__":
    main()
