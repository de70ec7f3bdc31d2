"""Where ``qmlp-v1`` designs with weights in block RAM take the LUTs the area model misses
(ECP5): pairs of one design with its weight ROMs in logic and in block RAM, over foldings
and weight / input widths, each synthesized as the area benchmark does, with the shipped
model's estimate beside it.

Session 22 found 16-10-5 w4 i4 [10x4,1x10] 47% above the model with its weights in block
RAM (``bench/results/area_permute_qmlp.md``). These pairs locate the excess: it is in a
layer whose inputs arrive in slices (SF > 1) and whose weights come from block RAM, and it
grows with the slice's bits (SIMD x input bits) times the PEs, not with the weight bits.

    python bench/block_mux_qmlp.py [--jobs 2]
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from area_common import (
    sweep_arguments,
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    write_sweep,
)
from area_qmlp import describe

from dse.models.registry import area
from hw.qmlp.params import QmlpParams

TARGET = "ecp5-85k"
BASE = QmlpParams(layers="16,10,5", weight_bits=4, act_bits=2, input_bits=4,
                  folding="10x4,1x10", seed=12)
#: (folding, weight bits, input bits) of each pair
PAIRS = (("10x4,1x10", 4, 4), ("10x4,5x10", 4, 4), ("10x16,1x10", 4, 4),
         ("10x4,5x10", 4, 1), ("10x4,5x10", 1, 4), ("10x4,5x10", 2, 2))


def pair(folding: str, weight_bits: int, input_bits: int) -> tuple[QmlpParams, QmlpParams]:
    logic = dataclasses.replace(BASE, folding=folding, weight_bits=weight_bits,
                                input_bits=input_bits)
    return logic, dataclasses.replace(logic, weight_memory="block")


def main() -> None:
    args = sweep_arguments(__doc__)
    start = time.monotonic()
    pairs = [pair(*p) for p in PAIRS]
    designs = [d for p in pairs for d in p]
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "pair"), TARGET,
                                        describe, args.jobs)
    measured = {s.params: s for s in samples}
    rows: list[dict[str, Any]] = []
    for logic, block in pairs:
        if logic not in measured or block not in measured:
            continue
        first = logic.folds()[0]
        rows.append({
            "config": describe(logic), "params": logic.to_dict(),
            "slice_bits_times_pes": (first.simd * logic.input_bits * first.pe
                                     if first.inputs // first.simd > 1 else 0),
            **{f"{kind}_lut": measured[d].measured["lut"] for kind, d in
               (("logic", logic), ("block", block))},
            **{f"{kind}_model": round(area(d, TARGET).lut, 1) for kind, d in
               (("logic", logic), ("block", block))},
            **{f"{kind}_cells": measured[d].cells for kind, d in
               (("logic", logic), ("block", block))}})
    result = {**sweep_result("block_mux_qmlp", "qmlp-v1", TARGET), "pairs": rows,
              "failed": failed, "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    lines = sweep_header(result, "qmlp-v1 weights in logic and in block RAM, pairwise (ECP5)",
                         "area_qmlp") + [
        "Each row is one design synthesized twice, its weight ROMs in logic and in block "
        "RAM. 'extra' is the block design's LUTs less the logic design's, measured and "
        "modelled; 'slice bits x PEs' is layer 0's SIMD x input bits x PE where its inputs "
        "arrive in slices (0 where one beat holds them all). Cells: LUT4 / PFUMX / "
        "L6MUX21 (the multiplexers that join LUT4s into wider functions).", "",
        "| design | slice bits x PEs | logic LUT (model) | block LUT (model) | extra measured "
        "| extra modelled | LUT4 / PFUMX / L6MUX21 logic | block |",
        "|---|---|---|---|---|---|---|---|"]
    for r in result["pairs"]:
        cells = [" / ".join(str(int(r[f"{k}_cells"].get(c, 0)))
                            for c in ("LUT4", "PFUMX", "L6MUX21")) for k in ("logic", "block")]
        lines.append(
            f"| {r['config']} | {r['slice_bits_times_pes']} | {r['logic_lut']:.0f} "
            f"({r['logic_model']:.0f}) | {r['block_lut']:.0f} ({r['block_model']:.0f}) | "
            f"{r['block_lut'] - r['logic_lut']:+.0f} | "
            f"{r['block_model'] - r['logic_model']:+.0f} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
