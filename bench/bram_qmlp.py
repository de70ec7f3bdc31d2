"""Block RAMs of ``qmlp-v1`` weight ROMs (``weight_memory = "block"``) on ECP5: the model
(``dse.models.qmlp.weight_rom_brams``) against synthesis, over ROMs whose depth and width
cross every DP16KD geometry (16K x 1 .. 512 x 36), deeper than one block, wider than one
block, with bits equal in every word (which Yosys drops), and in multi-layer designs with
a fully unrolled layer (constant weights, no ROM).

Each design is also synthesized with its ROMs in logic, to show what the block RAMs save.

    python bench/bram_qmlp.py [--jobs 2]
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

from dse.models.qmlp import block_rom_width, weight_rom_brams
from hw.qmlp.params import QmlpParams

TARGET = "ecp5-85k"
SEED = 11

#: (layers, folding, weight bits): ROM depth NF x SF, width up to PE x SIMD x bits
DESIGNS = (
    ("2,2", "2x1", 8),         # 2 words: some bits equal in both
    ("4,4", "1x1", 3),         # 16 words
    ("16,10", "1x1", 4),       # 160 x 4
    ("48,48", "4x4", 4),       # 144 x 64: two 512 x 36 blocks
    ("8,256", "1x8", 4),       # 256 x 32
    ("32,32", "1x2", 8),       # 512 x 16
    ("64,20", "1x4", 5),       # 320 x 20
    ("64,36", "1x8", 8),       # 288 x 64
    ("100,30", "1x5", 8),      # 600 x 40
    ("8,1024", "1x8", 4),      # 1024 x 32
    ("40,40", "1x1", 8),       # 1600 x 8
    ("96,96", "2x1", 3),       # 4608 x 6
    ("64,64", "1x1", 2),       # 4096 x 2
    ("87,59", "1x1", 2),       # 5133 x 2
    ("87,59", "1x1", 4),       # 5133 x 4
    ("128,128", "1x1", 1),     # 16384 x 1
    ("128,128", "1x1", 2),     # 16384 x 2: two blocks deep or wide
    ("120,120", "8x8", 8),     # 225 x 512
    ("75,40", "1x1", 3),       # 3000 x 3: two slices packed in one 2K x 9 block
    ("100,60", "1x1", 5),      # 6000 x 5: three slices in two 2K x 9 blocks
    ("90,100", "1x1", 6),      # 9000 x 6: nine slices in three 1K x 18 blocks
    ("64,32,16,10", "1x4,2x4,2x2", 4),
    ("12,8,6,4", "8x12,1x4,2x3", 3),   # the first layer fully unrolled: no ROM
)


def design(layers: str, folding: str, weight_bits: int, memory: str) -> QmlpParams:
    return QmlpParams(layers=layers, weight_bits=weight_bits, act_bits=2, input_bits=3,
                      seed=SEED, folding=folding, weight_memory=memory)


def describe(params: QmlpParams) -> str:
    return (f"{params.layers} w{params.weight_bits} [{params.folding}] "
            f"{params.weight_memory}")


def roms(params: QmlpParams) -> str:
    """The folded layers' ROMs as ``depth x kept width``."""
    network = params.quant_network()
    return ", ".join(f"{fold.cycles_per_vector} x {block_rom_width(network, i, fold)}"
                     for i, fold in enumerate(params.folds()) if fold.cycles_per_vector > 1)


def main() -> None:
    args = sweep_arguments(__doc__)
    start = time.monotonic()
    blocks = [design(*entry, "block") for entry in DESIGNS]
    logic = [dataclasses.replace(p, weight_memory="logic") for p in blocks]
    designs = blocks + logic
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "sweep"), TARGET,
                                        describe, args.jobs)
    measured = {sample.params: sample.measured for sample in samples}
    rows: list[dict[str, Any]] = []
    for params, plain in zip(blocks, logic, strict=True):
        if params not in measured:
            continue
        got = measured[params]
        rows.append({"config": describe(params), "params": params.to_dict(), "roms": roms(params),
                     "bram": got["bram"], "model_bram": weight_rom_brams(params, TARGET),
                     "lut": got["lut"], "ff": got["ff"],
                     "logic_lut": measured.get(plain, {}).get("lut"),
                     "logic_ff": measured.get(plain, {}).get("ff")})
    wrong = [r["config"] for r in rows if r["bram"] != r["model_bram"]]
    result = {**sweep_result("bram_qmlp", "qmlp-v1", TARGET), "designs": rows,
              "bram_disagreements": wrong, "failed": failed,
              "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    rows = result["designs"]
    wrong = result["bram_disagreements"]
    lines = sweep_header(result, "Block RAMs of qmlp-v1 weight ROMs (ECP5)", "area_qmlp") + [
        f"Designs: network seed {SEED}, 3-bit inputs, 2-bit activations, "
        "`weight_memory = \"block\"`, each also synthesized with `\"logic\"`. ROMs: each "
        "folded layer's depth x the word bits that vary over the words "
        "(`dse.models.qmlp.block_rom_width`); the model's block RAMs are "
        "`dse.models.qmlp.weight_rom_brams` (memory_libmap's cheapest DP16KD geometry, "
        "`dse.models.area.map_block_rom`).", "",
        f"The model's block RAM count equals synthesis on {len(rows) - len(wrong)} of "
        f"{len(rows)} designs" + (f"; it differs on {', '.join(wrong)}." if wrong else "."),
        "",
        "| design | ROMs (depth x bits) | DP16KD | model | LUT | FF | LUT with ROMs in logic "
        "| FF with ROMs in logic |",
        "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['roms']} | {r['bram']:.0f} | {r['model_bram']} | "
                     f"{r['lut']:.0f} | {r['ff']:.0f} | {r['logic_lut'] or 0:.0f} | "
                     f"{r['logic_ff'] or 0:.0f} |")
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
