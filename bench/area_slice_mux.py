"""What the slice multiplexer and the weight ROM of a ``qmlp-v1`` layer cost in ECP5 LUTs:
single-layer designs whose only large part is one of them, synthesized as the area
benchmark does.

Each design is one layer of ``N`` inputs and 2 outputs folded 1 x 1 (one PE, one SIMD lane,
so ``SF = N`` steps pick one ``i``-bit input each). The RTL picks the step's slice with
``vector.word_select(sf, ...)``; Yosys makes of it a tree of ``(N - 1) x i`` 2:1 multiplexer
cells (``$_MUX_`` before LUT mapping) and ABC9 maps those. The table puts the measured LUTs
beside the shipped model's estimate, and divides the LUTs left after the model's other
terms by the multiplexer cells: what one cell costs as Yosys maps it here. That cost moves
with the size and the weights in ways a count of structure cannot follow, so it bounds how
close ``bench/area_qmlp.py``'s LUT model can come (see its notes).

A second sweep does the same for the weight ROM: one layer of 8 inputs and ``M`` outputs
folded 1 x 8 (one PE, all 8 lanes, so ``M`` steps read an ``M``-word ROM of 32 bits, no
slice multiplexer), which Yosys leaves in logic for ABC9 to map.

    python bench/area_slice_mux.py [--jobs 2]
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from area_common import (
    sweep_arguments,
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    write_sweep,
)

from dse.models.qmlp import qmlp_features
from dse.models.registry import area_model
from hw.qmlp.params import QmlpParams

TARGET = "ecp5-85k"
SIZES = (8, 16, 32, 64, 89, 128)
#: (input bits, weight bits) of each sweep over :data:`SIZES`
SWEEPS = ((1, 1), (4, 1), (7, 1), (4, 2), (4, 4), (4, 8))
SEED = 830
#: ROM depths (outputs of the ``8,M`` layer) of the ROM sweep, and its network seed
ROM_DEPTHS = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024)
ROM_SEED = 7


def design(inputs: int, input_bits: int, weight_bits: int) -> QmlpParams:
    return QmlpParams(layers=f"{inputs},2", weight_bits=weight_bits, act_bits=1,
                      input_bits=input_bits, seed=SEED, folding="1x1")


#: What earlier runs found (the report's notes)
NOTES = (
    "History: the first run (2026-12-03 16:57 UTC) measured the slice-multiplexer designs "
    "against the model of session 19, fitted without them: 29.5% mean error (+28.3% "
    "signed), 67.4% max, a cell priced at 1.51-1.68 LUTs. They are now probes of "
    "`bench/area_qmlp.py` (always fitted), so the errors above are of a model fitted to "
    "them: they show how far one set of coefficients can follow them, not a held-out error.",
)


def mux_designs() -> list[QmlpParams]:
    """Every slice-multiplexer design: each of :data:`SWEEPS` over :data:`SIZES`."""
    return [design(n, i, w) for i, w in SWEEPS for n in SIZES]


def rom_design(depth: int) -> QmlpParams:
    return QmlpParams(layers=f"8,{depth}", weight_bits=4, act_bits=1, input_bits=4,
                      seed=ROM_SEED, folding="1x8")


def _shrinks(rows: list[dict[str, Any]], same: tuple[str, ...]) -> list[str]:
    """Pairs of consecutive rows with the same ``same`` values where the larger design
    maps to fewer LUTs."""
    return [f"{a['config']} {a['lut']:.0f} -> {b['config']} {b['lut']:.0f}"
            for a, b in zip(rows, rows[1:], strict=False)
            if all(a[k] == b[k] for k in same) and b["lut"] < a["lut"]]


def describe(params: QmlpParams) -> str:
    return f"{params.layers} i{params.input_bits} w{params.weight_bits}"


def main() -> None:
    args = sweep_arguments(__doc__)
    start = time.monotonic()
    muxes = mux_designs()
    roms = [rom_design(depth) for depth in ROM_DEPTHS]
    designs = muxes + roms
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "sweep"), TARGET,
                                        describe, args.jobs)
    model = area_model("qmlp-v1", TARGET)
    fit = model.resources["lut"].fit
    coefficients = dict(zip(fit.features, fit.coefficients, strict=True))
    measured = {sample.params: sample for sample in samples}
    rom_rows = [{"config": describe(params), "params": params.to_dict(),
                 "depth": params.sizes[1], "lut": measured[params].measured["lut"],
                 "lut4": measured[params].cells.get("LUT4", 0),
                 "model_lut": round(model.estimate(params).lut, 1),
                 "model_rom_luts": round(coefficients["rom_luts"]
                                         * qmlp_features(params, TARGET)["rom_luts"], 1)}
                for params in roms if params in measured]
    rows: list[dict[str, Any]] = []
    for params in muxes:
        if params not in measured:
            continue
        lut = measured[params].measured["lut"]
        estimate = model.estimate(params).lut
        # the model without its slice-multiplexer terms
        rest = sum(coefficients.get(k, 0.0) * v
                   for k, v in qmlp_features(params, TARGET).items()
                   if not k.startswith("slice_mux"))
        cells = (params.sizes[0] - 1) * params.input_bits
        rows.append({
            "config": describe(params), "params": params.to_dict(),
            "inputs": params.sizes[0], "input_bits": params.input_bits,
            "weight_bits": params.weight_bits, "lut": lut,
            "lut4": measured[params].cells.get("LUT4", 0), "model_lut": round(estimate, 1),
            "model_other_terms": round(rest, 1), "mux_cells": cells,
            "lut_per_cell": round((lut - rest) / cells, 3),
            "model_lut_per_cell": round((estimate - rest) / cells, 3)})
    per_cell = np.array([r["lut_per_cell"] for r in rows if r["inputs"] >= 32])
    # a larger multiplexer that maps to fewer LUTs than the next smaller one, same bits
    shrinks = _shrinks(rows, ("input_bits", "weight_bits"))
    errors = np.array([(r["model_lut"] - r["lut"]) / r["lut"] for r in rows])
    result = {**sweep_result("area_slice_mux", "qmlp-v1", TARGET),
              "slice_mux_coefficient": coefficients["slice_mux_luts"],
              "per_cell_from_32": {"min": float(per_cell.min()), "max": float(per_cell.max()),
                                   "mean": float(per_cell.mean())},
              "larger_but_fewer_luts": shrinks,
              "model_error": {"mean_abs": float(np.abs(errors).mean()),
                              "mean_signed": float(errors.mean()),
                              "max_abs": float(np.abs(errors).max())},
              "designs": rows, "rom_designs": rom_rows,
              "rom_larger_but_fewer_luts": _shrinks(rom_rows, ()),
              "failed": failed,
              "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    spread = result["per_cell_from_32"]
    err = result["model_error"]
    title = "LUTs of the qmlp-v1 slice multiplexer and weight ROM (ECP5)"
    lines = sweep_header(result, title, "area_qmlp") + [
        f"Designs: one layer of N inputs and 2 outputs, 1-bit activations, network seed "
        f"{SEED}, folded 1 x 1: the step's input is picked by an N:1 multiplexer of "
        "`input_bits` bits, which Yosys builds of (N - 1) x `input_bits` 2:1 cells before "
        "ABC9 maps them. 'Other terms' is the shipped LUT model's estimate without its "
        "`slice_mux_luts` term; 'LUTs per cell' = (measured - other terms) / cells. The "
        f"model prices a cell at `slice_mux_luts` x {result['slice_mux_coefficient']:.2f} "
        "(its fitted coefficient) / cells.", "",
        f"From 32 inputs up, one cell costs {spread['min']:.2f} to {spread['max']:.2f} LUTs "
        f"here (mean {spread['mean']:.2f}). A larger multiplexer with the same bits maps "
        "to fewer LUTs than the next smaller one in "
        f"{len(result['larger_but_fewer_luts'])} cases: "
        f"{'; '.join(result['larger_but_fewer_luts']) or 'none'}. The model's error on "
        f"these designs: {100 * err['mean_abs']:.1f}% mean ({100 * err['mean_signed']:+.1f}% "
        f"signed), {100 * err['max_abs']:.1f}% max.", "",
        "## The slice multiplexer", "",
        "| design | inputs | input bits | weight bits | LUT | LUT4 | model LUT | other terms | "
        "mux cells | LUTs per cell | model LUTs per cell |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["designs"]:
        lines.append(
            f"| {r['config']} | {r['inputs']} | {r['input_bits']} | {r['weight_bits']} | "
            f"{r['lut']:.0f} | {r['lut4']} | {r['model_lut']:.0f} | "
            f"{r['model_other_terms']:.0f} | {r['mux_cells']} | {r['lut_per_cell']:.2f} | "
            f"{r['model_lut_per_cell']:.2f} |")
    lines += [
        "", "## The weight ROM", "",
        "One layer of 8 inputs and M outputs, 4-bit weights and inputs, network seed "
        f"{ROM_SEED}, folded 1 x 8: an M-word ROM of 32 bits in logic, read one word per "
        "step. A deeper ROM maps to fewer LUTs than the next shallower one in "
        f"{len(result['rom_larger_but_fewer_luts'])} cases: "
        f"{'; '.join(result['rom_larger_but_fewer_luts']) or 'none'}.", "",
        "| design | ROM words | LUT | LUT4 | model LUT | error | model ROM term |",
        "|---|---|---|---|---|---|---|"]
    for r in result["rom_designs"]:
        lines.append(f"| {r['config']} | {r['depth']} | {r['lut']:.0f} | {r['lut4']} | "
                     f"{r['model_lut']:.0f} | "
                     f"{100 * (r['model_lut'] - r['lut']) / r['lut']:+.1f}% | "
                     f"{r['model_rom_luts']:.0f} |")
    lines += ["", "## Notes", ""] + [f"- {note}" for note in NOTES]
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
