"""Benchmark: fit the analytic area model of ``systolic-v1`` on an FPGA target (ECP5 by
default, ``--target ice40-up5k``) to real synthesis of designs sampled over the whole space
and measure its error on a fresh random draw.

Run: ``python bench/area_systolic.py [--seed 2126] [--samples 48] [--fresh 32] [--jobs 2]
[--target ecp5-85k]``

The sampled space (:data:`SPACE`) is every parameter of ``SystolicParams`` over its legal
range, except that rows and cols stop at 12 (an ECP5-85k holds 156 MULT18X18D, one per PE)
and the accumulator depth at 4096 (deeper memories of a wide array do not fit its 208
DP16KD). The iCE40 UP5K fit samples the same space (8 SB_MAC16 and 30 SB_RAM40_4K: most
designs exceed the device, which synthesis-only area does not mind). The fit's designs are
four corners and a Latin hypercube (``--seed``); the held-out ones a uniform draw (``--seed
+ 1``). Each is synthesized with ``flows.synth.synthesize(params, target, place=False)``
(Yosys only, bare design; cached under ``$HWDSE_CACHE``, so a rerun resumes), ``--jobs`` at
a time. Writes:

- ``dse/models/data/area_systolic-v1_<target>.json``: coefficients, errors, the coverage of
  the samples (the out-of-range signal) and every sample with its measured counts and split
  (tests refit from it without the tools);
- ``<out>/area_systolic.json`` and ``.md`` (``area_systolic_<target>.*`` on other targets):
  machine, command, tool versions, synthesis times, train / held-out relative errors (mean,
  p95, max), held-out designs predicted vs measured, and a check of the predicted memory
  mapping against Yosys' cells.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from area_common import (
    AreaBenchmark,
    area_arguments,
    fit_and_report,
    latin_hypercube,
    pick,
    pick_int,
    pick_log_int,
    target_features,
)

from dse.models.area import MEMORY_PRIMITIVES, AreaSample, map_memory
from dse.models.systolic import ACCUMULATOR_READ_TRANSPARENT
from hw.params import Params
from hw.systolic import SystolicParams

GENERATOR = "systolic-v1"
MAX_SIDE_SAMPLED = 12
MAX_DEPTH = 4096
AXES = ("rows", "cols", "input_width", "acc_width", "signed", "dataflow", "acc_depth")
SPACE = (f"rows and cols 1..{MAX_SIDE_SAMPLED}, input_width 2..16, acc_width "
         "2 * input_width..64, signed or not, dataflow os or ws, acc_depth (ws) 1.."
         f"{MAX_DEPTH} uniform in its logarithm")
NOTES = (
    "Yosys maps every product, even 2 x 2 bits, to one MULT18X18D: DSPs = PEs.",
    "ws: the accumulator memory goes to flip-flops, distributed RAM (TRELLIS_DPR16X4) or "
    "DP16KD blocks by memory_libmap's cost rule; the LUT count jumps with it.",
    "ws: Yosys narrows partial sums to the bits products can set, but for signed arrays "
    "only in the first three rows; unsigned arrays are narrowed in every row "
    "(`psum_widths`).",
    "History (2026-12-02): the previous fit (52 designs: the corners and the Latin hypercube "
    "of 48, seed 2126; LUT features without `ws.row_input_bits` and `os.skew_bits`) held "
    "out the seed-2128 draw at LUT 2.64% mean / 9.21% p95 / 11.89% max (target missed: ws "
    "2x10 w3 d19, a memory two distributed-RAM primitives deep, -11.9%; ws 6x9 w4 d1, in "
    "flip-flops, +11.7%; the fit held 1 design of the first kind and 3 of the second). "
    "The probes were added for those regimes, the earlier draws (seeds 2127, 2128) fitted "
    "to, and the two LUT features chosen by leave-one-out over these 144 designs (LUT "
    "2.20% mean / 7.60% p95 without them, 1.65% / 6.09% with them, the 1x1 2-bit corners "
    "left out of both) before any design of the seed-2160 draw was synthesized. That draw "
    "held out LUT 1.90% mean / 4.86% p95 / 5.09% max, FF 0.70% / 1.72% / 3.46% (target "
    "met; commit 13d14c4). The iCE40 fit then showed output-stationary arrays with 3, 5 "
    "and 11 rows over-estimated on both targets: `pick_bits` counted the OR over the rows "
    "as LUT4s of two (done, result) pairs and a tree above them, where a tree of LUT4s "
    "takes the 2 R inputs four at a time (ceil((2 R - 1) / 3) LUT4s a bit, one fewer for "
    "3, 5, 9 and 11 rows). With that count, leave-one-out over the 174 designs (the seed-"
    "2160 draw included) went from LUT 1.91% mean / 6.27% p95 to 1.51% / 4.71% (os "
    "designs 2.49% to 1.47%); the seed-2160 draw was fitted to and a fresh one held out "
    "(seed 2162, synthesized after the change): the table above.",
)

#: Features per resource (names from ``dse.models.systolic.systolic_features``), ECP5.
RESOURCE_FEATURES: dict[str, tuple[str, ...]] = {
    "lut": ("os.one", "os.pes", "os.pe_acc_bits", "os.column_acc_bits", "os.pick_bits",
            "os.skew_bits",
            "ws.one", "ws.pes", "ws.psum_adder_bits", "ws.pe_input_bits", "ws.row_input_bits",
            "ws.column_acc_bits", "ws.lutram_cells", "ws.lutram_mux_bits", "ws.address_bits",
            "ws.memory_ff_bits", "ws.bram_mux_bits", "ws.ram_width_bits"),
    "ff": ("os.one", "os.pes", "os.pe_acc_bits", "os.pe_input_bits", "os.skew_bits",
           "os.column_acc_bits", "os.deskew_acc_bits",
           "ws.one", "ws.pes", "ws.psum_bits", "ws.pe_input_bits", "ws.skew_bits",
           "ws.column_acc_bits", "ws.deskew_psum_bits", "ws.address_bits",
           "ws.memory_ff_bits"),
    "dsp": ("multipliers",),
    "bram": ("ws.bram_blocks",),
}


#: iCE40: no distributed RAM; products under 11 bits stay in logic (signed ones extended
#: across the sums above them); SB_MAC16 takes in the low 32 bits of the accumulator (os)
#: or partial-sum (ws) adder after its product.
RESOURCE_FEATURES_ICE40: dict[str, tuple[str, ...]] = {
    "lut": ("soft_multiplier_bits", "soft_signed_multiplier_bits",
            "os.one", "os.pes", "os.pe_acc_bits", "os.logic_acc_bits",
            "os.soft_sign_extension_bits", "os.wide_soft_sign_extension_bits",
            "os.column_acc_bits", "os.pick_bits", "os.skew_bits",
            "ws.one", "ws.pes", "ws.psum_adder_bits", "ws.logic_psum_adder_bits",
            "ws.soft_sign_extension_bits", "ws.wide_soft_sign_extension_bits",
            "ws.pe_input_bits", "ws.row_input_bits", "ws.column_acc_bits", "ws.address_bits",
            "ws.memory_ff_bits", "ws.bram_mux_bits", "ws.ram_width_bits"),
    # the RAM ports' registers (SB_RAM40_4K has no transparent read; memory_libmap
    # emulates it) and across depth slices
    "ff": (*RESOURCE_FEATURES["ff"], "ws.ram_width_bits", "ws.bram_mux_bits"),
    "dsp": ("multipliers",),
    "bram": ("ws.bram_blocks",),
}
FEATURES_BY_TARGET = {"ecp5-85k": RESOURCE_FEATURES, "ice40-up5k": RESOURCE_FEATURES_ICE40}
NOTES_ICE40 = (
    "synth_ice40 -dsp maps a product to one SB_MAC16 only from 11 product bits on "
    "(mul2dsp's DSP_Y_MINWIDTH): input widths 2..5 stay in logic (`soft_multiplier_bits`).",
    "ice40_dsp packs the adder after a product into SB_MAC16 (32-bit output and its "
    "carry): an os accumulator or a ws partial-sum adder of up to 33 bits leaves logic "
    "whole, a wider one stays whole; in an unsigned ws column only one partial-sum adder "
    "is packed (the training netlists' SB_CARRY counts), every one where the accumulator "
    "has at most 33 bits (probes).",
    "Products left in logic (input widths 2..5) cost partial products of their own width "
    "(`soft_multiplier_bits`); signed ones are also extended across the sum's bits above "
    "the product (`soft_sign_extension_bits`: about 2 LUTs per bit up to 4-bit inputs, 6 at "
    "5 bits, `wide_soft_sign_extension_bits`), which unsigned ones are not (read from the "
    "probes: os 2x2 arrays over input and accumulator widths).",
    "ws: where products stay in logic, Yosys narrows unsigned partial sums only in the first "
    "three rows, as signed ones (`psum_widths`; the probes' flip-flop counts); with products "
    "on SB_MAC16, in every row.",
    "ws: the accumulator memory goes to flip-flops or SB_RAM40_4K blocks by "
    "memory_libmap's cost rule (no distributed RAM on iCE40).",
    "History (2026-12-02): the previous fit (206 designs) held out the seed-2129 draw at "
    "LUT 3.82% mean / 13.70% p95 / 21.23% max, FF 1.10% / 2.22% / 3.84%. Its fit held 13 "
    "designs with the accumulator memory in flip-flops; 32 probes stratified over the "
    "memory's regimes were added and the seed-2129 draw fitted to (features unchanged): "
    "a fresh draw (seed 2161) held out LUT 3.42% / 7.15% / 8.33%, FF 1.00% / 2.77% / "
    "3.12%. Its output-stationary arrays with 3, 5 and 11 rows were all over-estimated "
    "(+5% to +7%), as were the fitted ones: `pick_bits` now counts the OR over the rows "
    "as a tree of LUT4s (see the ECP5 notes; leave-one-out over these 268 designs and the "
    "seed-2161 draw: LUT 2.88% mean / 7.75% p95 to 2.58% / 7.25%). The seed-2161 draw was "
    "fitted to and a fresh one held out (seed 2163, synthesized after the change): LUT "
    "2.34% mean / 9.22% p95 / 10.57% max, FF 1.04% / 3.33% / 5.50% (the run of "
    "2026-12-02 15:24 UTC).",
    "Then (2026-12-03, session 19): the weight-stationary designs the model under-estimated "
    "most (seed-2163's worst, ws 4x2 w11 acc61 s d8, 457 LUTs against 409, and the fitted "
    "ws 4x5 w9 acc48 s, 5x3 w14 acc50 s, 5x4 w13 acc55 s) were all signed, on SB_MAC16, "
    "with accumulators over 33 bits. A sweep of ws 4x2 w11 s d8 over the accumulator width "
    "was exact up to 33 bits and 51 LUTs over from 34 on (and exact with 2 rows): a signed "
    "partial-sum adder whose register is wider than the block's 32-bit output stays in "
    "logic (the fourth row's, whose register keeps the accumulator's width), now counted "
    "in `ws.logic_psum_adder_bits`. Leave-one-out over the 298 fitted designs: LUT 2.58% "
    "mean / 7.25% p95 to 2.21% / 6.20%. The seed-2163 draw joined the fit, and a fresh "
    "draw (seed 2164) was synthesized and held out: the table above.",
)


PROBES_ICE40_TEXT = (
    "small arrays across the input widths whose products stay in logic, signed and "
    "unsigned, narrow and wide accumulators, accumulator depths, and unsigned partial sums "
    "on SB_MAC16 against the accumulator width; weight-stationary Latin hypercubes within "
    "the accumulator memory's regimes: depth 1, 8 designs, seed 2173; depths 2..4 "
    "(flip-flops), 16, seed 2174; depths 5..8 (flip-flops or SB_RAM40_4K by width), 8, "
    "seed 2175 (`regime_probes`); `ice40_probes`")


def ice40_probes() -> list[SystolicParams]:
    """Small designs fitted to on iCE40 besides the corners: the costs of products in logic
    (input widths 2..5, signed or not) against the accumulator width (os 2x2) and the
    partial sums' narrowing (ws 3x2, 6x2 and R x 1), products on SB_MAC16 just above
    (widths 6 and 8), the accumulator memory over its depth (ws 3x2 and 3x3), and the
    packing of unsigned partial-sum adders into SB_MAC16 against the accumulator width
    (ws 6x2, 8- and 10-bit inputs); and :data:`ICE40_REGIME_STRATA`'s memory regimes."""
    probes = []
    for width, signed in itertools.product((2, 3, 4, 5), (False, True)):
        probes += [SystolicParams(rows=2, cols=2, input_width=width, acc_width=acc,
                                  signed=signed)
                   for acc in sorted({2 * width, 2 * width + 6, 32, 48})]
        probes += [SystolicParams(rows=rows, cols=2, input_width=width, acc_width=acc,
                                  signed=signed, dataflow="ws", acc_depth=16)
                   for rows, accs in ((3, (2 * width + 3, 40)), (6, (2 * width + 5, 36)))
                   for acc in sorted(set(accs))]
    for width, signed in itertools.product((6, 8), (False, True)):
        probes += [SystolicParams(rows=2, cols=2, input_width=width, acc_width=40,
                                  signed=signed),
                   SystolicParams(rows=6, cols=2, input_width=width, acc_width=36,
                                  signed=signed, dataflow="ws", acc_depth=16)]
    probes += [SystolicParams(rows=3, cols=2, input_width=4, acc_width=40, signed=False,
                              dataflow="ws", acc_depth=depth)
               for depth in (1, 2, 16, 256, 512, 1024, 2048, 2049, 3000, 4096)]
    probes += [SystolicParams(rows=3, cols=3, input_width=8, acc_width=24, signed=True,
                              dataflow="ws", acc_depth=depth) for depth in (512, 2048, 4096)]
    probes += [SystolicParams(rows=rows, cols=1, input_width=2, acc_width=40, signed=signed,
                              dataflow="ws", acc_depth=16)
               for signed in (False, True) for rows in (2, 3, 4, 5, 6, 8)]
    # unsigned partial-sum adders on SB_MAC16 against the accumulator width
    probes += [SystolicParams(rows=6, cols=2, input_width=width, acc_width=acc, signed=False,
                              dataflow="ws", acc_depth=16)
               for width, accs in ((8, (17, 18, 19, 20, 21, 22, 24, 28, 31, 32, 33, 34)),
                                   (10, (21, 22, 23, 26)))
               for acc in accs]
    probes += regime_probes(ICE40_REGIME_STRATA)
    return list(dict.fromkeys(probes))


#: Weight-stationary probes per target: Latin hypercubes within the accumulator-memory
#: regimes a depth uniform in its logarithm rarely draws (seed, count, depths).
ECP5_REGIME_STRATA = ((2170, 8, (1, 1)), (2171, 16, (17, 64)), (2172, 8, (2, 16)))
ICE40_REGIME_STRATA = ((2173, 8, (1, 1)), (2174, 16, (2, 4)), (2175, 8, (5, 8)))
PROBES_ECP5_TEXT = (
    "weight-stationary Latin hypercubes over rows, cols, widths and signedness within the "
    "accumulator memory's regimes: depth 1 (flip-flops), 8 designs, seed 2170; depths "
    "17..64 (distributed RAM more than one primitive deep), 16, seed 2171; depths 2..16, "
    "8, seed 2172; `regime_probes`")


def regime_probes(strata: Sequence[tuple[int, int, tuple[int, int]]]) -> list[SystolicParams]:
    """Weight-stationary designs fitted to besides the corners and the Latin hypercube: per
    ``(seed, count, (low, high))`` of ``strata``, a Latin hypercube of ``count`` designs
    over the other axes with the accumulator depth in ``low..high`` (uniform in its
    logarithm). A depth uniform in its logarithm over 1..4096 puts 1 design in 20 at depth
    1 and 1 in 10 at depths 17..64; each memory regime needs designs across the rest."""
    probes = []
    for seed, count, (low, high) in strata:
        for u in latin_hypercube(AXES, count, seed):
            probes.append(dataclasses.replace(
                from_unit(u), dataflow="ws", acc_depth=pick_log_int(u["acc_depth"], low, high)))
    return list(dict.fromkeys(probes))


def anchors() -> list[SystolicParams]:
    """The corners of the sampled space, always trained on."""
    small = {"rows": 1, "cols": 1, "input_width": 2, "acc_width": 4, "signed": False}
    large = {"rows": MAX_SIDE_SAMPLED, "cols": MAX_SIDE_SAMPLED, "input_width": 16,
             "acc_width": 64, "signed": True}
    return [SystolicParams(**small), SystolicParams(**large),
            SystolicParams(**small, dataflow="ws", acc_depth=1),
            SystolicParams(**large, dataflow="ws", acc_depth=MAX_DEPTH)]


def describe(params: Params) -> str:
    assert isinstance(params, SystolicParams)
    text = (f"{params.dataflow} {params.rows}x{params.cols} w{params.input_width} "
            f"acc{params.acc_width} {'s' if params.signed else 'u'}")
    return text + (f" d{params.acc_depth}" if params.dataflow == "ws" else "")


def memory_check(samples: list[AreaSample], target: str) -> list[dict[str, Any]]:
    """``ws`` samples whose predicted accumulator-memory mapping differs from Yosys' cells."""
    mismatches = []
    for sample in samples:
        params = sample.params
        assert isinstance(params, SystolicParams)
        if params.dataflow != "ws":
            continue
        assert params.acc_depth is not None
        mapping = map_memory(params.cols * params.acc_width, params.acc_depth, target,
                             transparent=ACCUMULATOR_READ_TRANSPARENT)
        measured = {kind: sum(sample.cells.get(p.name, 0) for p in MEMORY_PRIMITIVES[target]
                              if p.kind == kind) for kind in ("lutram", "bram")}
        predicted = {"lutram": mapping.cells if mapping.kind == "lutram" else 0,
                     "bram": mapping.cells if mapping.kind == "bram" else 0}
        if measured != predicted:
            mismatches.append({"config": describe(params), "predicted": predicted,
                               "measured": measured})
    return mismatches


def memory_lines(samples: Sequence[AreaSample], target: str) -> tuple[Any, list[str]]:
    """The memory check's JSON and Markdown lines."""
    mismatches = memory_check(list(samples), target)
    lines = ["", "## Accumulator memory mapping (ws)", ""]
    if mismatches:
        lines.append("Predicted mapping differs from Yosys' cells for:")
        lines += [f"- {m['config']}: predicted {m['predicted']}, measured {m['measured']}"
                  for m in mismatches]
    else:
        names = " or ".join(p.name for p in MEMORY_PRIMITIVES[target])
        lines.append(f"The predicted mapping ({names} cells, from memory_libmap's cost rule) "
                     "matches Yosys' cells on every ws sample.")
    return mismatches, lines


def from_unit(u: Mapping[str, float]) -> SystolicParams:
    """The design at unit coordinates ``u`` of the sampled space."""
    width = pick_int(u["input_width"], 2, 16)
    dataflow = pick(u["dataflow"], ("os", "ws"))
    return SystolicParams(
        rows=pick_int(u["rows"], 1, MAX_SIDE_SAMPLED),
        cols=pick_int(u["cols"], 1, MAX_SIDE_SAMPLED), input_width=width,
        acc_width=pick_int(u["acc_width"], 2 * width, 64), signed=pick(u["signed"], (False, True)),
        dataflow=dataflow,
        acc_depth=pick_log_int(u["acc_depth"], 1, MAX_DEPTH) if dataflow == "ws" else None)


def main() -> None:
    parser = area_arguments(__doc__, seed=2126, samples=48, fresh=32)
    args = parser.parse_args()
    features = target_features(parser, args.target, FEATURES_BY_TARGET)
    fit_and_report(args, AreaBenchmark(
        name="area_systolic", generator=GENERATOR, anchors=anchors(), axes=AXES,
        from_unit=from_unit, space=SPACE, describe=describe,
        features=features,
        legend="Config: dataflow, rows x cols, input width, accumulator width, signedness "
               "(s / u), accumulator depth (ws).",
        notes=NOTES_ICE40 if args.target == "ice40-up5k" else NOTES, extra=memory_lines,
        probes=(ice40_probes() if args.target == "ice40-up5k"
                else regime_probes(ECP5_REGIME_STRATA)),
        probes_text=PROBES_ICE40_TEXT if args.target == "ice40-up5k" else PROBES_ECP5_TEXT))


if __name__ == "__main__":
    main()
