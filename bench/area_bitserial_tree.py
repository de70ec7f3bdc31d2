"""Benchmark: measure the LUTs of the bit-serial PE's lane adder tree on ECP5, the table
behind the ``tree_luts`` feature of ``dse.models.bitserial`` (:data:`~dse.models.bitserial.
ECP5_LANE_TREE_LUTS`).

Run: ``python bench/area_bitserial_tree.py [--jobs 1]``

Each probe is a 1x1 ``bitserial-v1`` array (unsigned, ``max_bits`` 8, a 40-bit accumulator,
no scales) with ``lanes`` 1..16 and ``parallel_width`` in :data:`WIDTHS`, synthesized with
``flows.synth.synthesize(params, "ecp5-85k", place=False)`` (cached under
``$HWDSE_CACHE``). Yosys maps the sum of the lanes' selected words with everything around
it into LUTs (no carry chain: the CCU2C count does not grow with the lanes), and ABC's
result is irregular in the lane count (7 lanes take more LUTs than 8, 10 a jump over 9), so
no closed form of the tree's size follows it; the table is the measurement: per width, the
LUTs of ``lanes`` lanes minus those of one lane. Writes ``<out>/area_bitserial_tree.
{json,md}``; ``tests/dse/test_bitserial_tree_luts.py`` holds the model's table to the json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from area_common import synthesize_all
from common import machine

from hw.bitserial import BitSerialParams

WIDTHS = (2, 3, 5, 8, 11, 13, 16)
LANES = tuple(range(1, 17))


def probe(lanes: int, width: int) -> BitSerialParams:
    """The probe of ``lanes`` lanes of ``width``-bit parallel words."""
    return BitSerialParams(rows=1, cols=1, lanes=lanes, max_bits=8, parallel_width=width,
                           acc_width=40, signed=False, scale_width=0)


def describe(params: Any) -> str:
    return f"1x1x{params.lanes} w{params.parallel_width}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="synthesis processes")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    start = time.monotonic()
    designs = [probe(lanes, width) for width in WIDTHS for lanes in LANES]
    samples, failed, tools = synthesize_all(designs, dict.fromkeys(designs, "probe"),
                                            "ecp5-85k", describe, args.jobs)
    if failed:
        raise SystemExit(f"{len(failed)} probes failed to synthesize: {failed}")
    lut = {(s.params.parallel_width, s.params.lanes): int(s.measured["lut"]) for s in samples}
    table = {str(w): [lut[(w, lanes)] - lut[(w, 1)] for lanes in LANES] for w in WIDTHS}
    result = {
        "benchmark": "area_bitserial_tree", "target": "ecp5-85k", "machine": machine(),
        "tools": tools, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": "python bench/area_bitserial_tree.py",
        "probe": describe(probe(1, 2)).replace("1x1x1 w2", "1x1xL wW")
                 + " unsigned, max_bits 8, acc_width 40, scale_width 0",
        "lanes": list(LANES), "lut": {f"{w}x{lanes}": v for (w, lanes), v in lut.items()},
        "tree_luts": table,
        "synth_seconds_total": round(sum(s.synth_seconds or 0.0 for s in samples), 1),
        "wall_seconds": round(time.monotonic() - start, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "area_bitserial_tree.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# Lane adder tree of bitserial-v1 on ecp5-85k", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores  ",
        f"Tools: yosys {tools.get('yosys', '?')}; probes: 1x1 arrays, {result['probe']}; "
        f"{len(samples)} syntheses, {result['synth_seconds_total']:.0f} s of Yosys", "",
        "LUTs (LUT4 + 2 x CCU2C) of `lanes` lanes minus those of one lane, per parallel "
        "width (the table `dse.models.bitserial.ECP5_LANE_TREE_LUTS`):", "",
        "| width | " + " | ".join(str(lanes) for lanes in LANES) + " |",
        "|---|" + "---|" * len(LANES),
    ]
    lines += [f"| {w} | " + " | ".join(str(v) for v in table[str(w)]) + " |" for w in WIDTHS]
    (args.out / "area_bitserial_tree.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(table))


if __name__ == "__main__":
    main()
