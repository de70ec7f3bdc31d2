"""Check the description: ZigZag's DRAM bytes against our closed form at ZigZag's own tiles.

Runs under the project's venv, after ``run.py``::

    .venv/bin/python bench/zigzag/check_dram.py bench/results/zigzag_raw.json [--md OUT.md]

For every layer shape and both of ZigZag's choices (least latency, least energy) whose
mapping is expressible as our tiles (``mapping.as_our_tiles``), it evaluates
``hw.accel.tiling.dram_bytes`` at those tiles, with the order read from the loops ZigZag
leaves at DRAM for C (``nmk`` when the outermost is N, else ``mnk``), and says whether our
hardware would take the job (``hw.accel.tiling.refusal``). Equal bytes mean both models
count the same reuse; a difference is padding (M or N not a granule multiple) or a bug in
the description. This is not the mapper comparison of issue 19: both sides use ZigZag's
mapping.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hw.accel.params import AccelParams
from hw.accel.tiling import Mapping, dram_bytes, padded_m, padded_n, refusal


def rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    params = AccelParams(**result["design"]["params"])
    out = []
    for key, workload in result["workloads"].items():
        seen: set[tuple[str, str]] = set()
        for layer in workload["layers"]:
            for choice, record in (("least latency", layer),
                                   ("least energy", layer["least_energy"])):
                tiles = record["mapping"]["as_our_tiles"]
                if tiles is None or (layer["gemm"], choice) in seen:
                    continue
                seen.add((layer["gemm"], choice))
                m, k, n = layer["m"], layer["k"], layer["n"]
                loops = record["mapping"]["dram_loops_outer_to_inner"]["O"]
                order = "nmk" if loops and loops[0][0] == "N" else "mnk"
                mapping = Mapping.parse(tiles, order)
                read, written = dram_bytes(params, m, k, n, mapping)
                zz_read = record["dram_bytes"]["read"]
                zz_written = record["dram_bytes"]["write"]
                padded = padded_m(params, m) != m or padded_n(params, n) != n
                verdict = ("equal" if (read, written) == (zz_read, zz_written)
                           else "padding" if padded else "DIFFERENT")
                out.append({"workload": key, "gemm": layer["gemm"], "choice": choice,
                            "tiles": tiles, "order": order,
                            "refused": refusal(params, m, k, n, mapping),
                            "ours": [read, written], "zigzag": [zz_read, zz_written],
                            "verdict": verdict})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, nargs="+", help="run.py results")
    parser.add_argument("--md", type=Path, default=None, help="write the tables here")
    args = parser.parse_args()
    lines = [
        "# ZigZag's DRAM bytes at its own tiles against `hw.accel.tiling.dram_bytes`", "",
        "Command: `.venv/bin/python bench/zigzag/check_dram.py "
        + " ".join(str(path) for path in args.json)
        + "`. Only mappings expressible as our tiles (even extents, C kept on chip over "
        "K); the order is `nmk` when the outermost loop ZigZag leaves at DRAM for C is N; "
        "`refused`: why our hardware would refuse the job (`hw.accel.tiling.refusal`).",
    ]
    for path in args.json:
        result = json.loads(path.read_text())
        lines += [
            "", f"## `{path.name}` (ZigZag {result['zigzag']}, LPF limit "
            f"{result['settings']['lpf_limit']})", "",
            "| workload | MxKxN | ZigZag choice | tiles | order | ours read / written | "
            "ZigZag read / written | verdict | refused |",
            "|---|---|---|---|---|--:|--:|---|---|",
        ]
        for row in rows(result):
            lines.append(
                f"| {row['workload']} | {row['gemm']} | {row['choice']} | {row['tiles']} | "
                f"{row['order']} | {row['ours'][0]:,} / {row['ours'][1]:,} | "
                f"{row['zigzag'][0]:,.0f} / {row['zigzag'][1]:,.0f} | {row['verdict']} | "
                f"{row['refused'] or '-'} |")
    text = "\n".join(lines) + "\n"
    if args.md is not None:
        args.md.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
