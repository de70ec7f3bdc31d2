"""How far synthesis moves the LUTs of one ``qmlp-v1`` circuit when only the order of its
hidden neurons changes (ECP5): each base design is synthesized with its network as drawn
and with networks whose hidden neurons are permuted, which compute the same function with
the same weights and thresholds.

A hidden layer whose neurons all leave in one beat (PE = outputs) and whose successor takes
them all in one beat (SIMD = inputs) gets a random order of its neurons: its weight rows and
thresholds and the next layer's weight columns are permuted together. The circuit is then
the same up to the order of its wires, of the fields in the next layer's ROM words and of
the next layer's adder trees (which add the inputs in index order, so a few traced adder
widths change: the model sees that, the column 'LUT features that change'). What the model
does not see is reported as the spread of measured / modelled LUTs within a base: the
mapping's own variation (Yosys and ABC9 visit the netlist in another order), a floor under
any area model that reads the network's structure and values but not its order;
``bench/area_qmlp.py`` reports its held-out error against it.

    python bench/area_permute_qmlp.py [--jobs 2] [--target ecp5-85k]

On a target other than ``ecp5-85k`` the report is ``area_permute_qmlp_<target>.{json,md}``.

With ``--draw SEED`` the bases are instead the designs of a random draw of the whole sampled
space (``bench/area_qmlp.py``'s held-out draw of that seed, 32 designs), each rewired
``--orders`` times in every way its folding allows (:func:`rewiring_blocks`): the first
layer's inputs within each SIMD slice, and each layer's neurons within blocks of
gcd(PE, next layer's SIMD) PEs, the same order in every block, so every ROM word's fields,
every PE and every capture register are permuted alike and the circuit is the drawn one up
to the order of its wires. The report (``area_permute_qmlp_draw<SEED>[_<target>]``) gives
per design the floor this spread sets under any model that gives the variants one estimate:
the least mean and the least largest relative error a single number can have on them.

    python bench/area_permute_qmlp.py --draw 2204 [--orders 3] [--target ecp5-85k]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from typing import Any

import numpy as np
from area_common import (
    DEFAULT_TARGET,
    distinct,
    estimate_range,
    lut_spread,
    result_stem,
    sweep_arguments,
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    uniform_draw,
    write_sweep,
)
from area_qmlp import RESOURCE_FEATURES, axes_of, describe, from_unit

from dse.models.qmlp import qmlp_features
from dse.models.registry import area
from flows.tools import cache_root
from hw.qmlp.network import QuantNetwork
from hw.qmlp.params import QmlpParams

#: Bases: every hidden layer named in ``PERMUTED`` has PE = outputs and its successor
#: SIMD = inputs (checked in :func:`permutable_layers`).
BASES = {
    "A": QmlpParams(layers="8,12,4", weight_bits=2, act_bits=2, input_bits=2,
                    folding="12x8,4x12", seed=11),
    "B": QmlpParams(layers="16,10,5", weight_bits=4, act_bits=2, input_bits=4,
                    folding="10x4,1x10", seed=12),
    "C": QmlpParams(layers="16,10,5", weight_bits=4, act_bits=2, input_bits=4,
                    folding="10x4,1x10", seed=12, weight_memory="block"),
    "D": QmlpParams(layers="6,24,3", weight_bits=1, act_bits=1, input_bits=1,
                    folding="24x6,3x24", seed=13),
    "E": QmlpParams(layers="10,20,12,4", weight_bits=3, act_bits=3, input_bits=3,
                    folding="20x5,4x20,4x3", seed=14),
}
#: Orders per base: the network as drawn and this many permutations of it.
PERMUTATIONS = 7
PERMUTATION_SEED = 2200
#: ``--draw``: the designs of a draw (as ``bench/area_qmlp.py``'s held-out draws) and the
#: rewirings of each
DRAW_COUNT = 32
DRAW_ORDERS = 3


def permutable_layers(params: QmlpParams) -> list[int]:
    """Hidden layers of ``params`` whose neurons can be reordered by rewiring alone."""
    folds = params.folds()
    return [i for i in range(len(folds) - 1)
            if folds[i].pe == folds[i].outputs and folds[i + 1].simd == folds[i + 1].inputs]


def rewiring_blocks(params: QmlpParams) -> dict[int, int]:
    """The block sizes by which the folding of ``params`` lets its circuit be rewired: ``-1``
    for the first layer's inputs (its SIMD: an input beat is one slice), and per layer its
    neurons in blocks of gcd(PE, next layer's SIMD), or PE for the last layer (its output
    beat). Blocks of 1 are left out."""
    folds = params.folds()
    blocks = {-1: folds[0].simd}
    for i, fold in enumerate(folds):
        blocks[i] = math.gcd(fold.pe, folds[i + 1].simd) if i + 1 < len(folds) else fold.pe
    return {k: g for k, g in blocks.items() if g > 1}


def block_order(size: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """An order of ``size`` indices: one random order of ``block`` applied to every block."""
    inner = rng.permutation(block)
    return (np.arange(size) // block * block + inner[np.arange(size) % block]).astype(int)


def permuted(network: QuantNetwork, blocks: dict[int, int], rng: np.random.Generator
             ) -> QuantNetwork:
    """``network`` rewired: the first layer's inputs (key ``-1``) and the neurons of each
    layer ``i`` reordered within blocks of ``blocks[i]``, the same order in every block (the
    next layer's weight columns follow the neurons): the same function, up to the order of
    the input and output wires."""
    new = list(network.layers)
    if -1 in blocks:
        order = block_order(new[0].inputs, blocks[-1], rng)
        new[0] = dataclasses.replace(new[0], weights=new[0].weights[:, order])
    for index in sorted(k for k in blocks if k >= 0):
        layer = new[index]
        order = block_order(layer.outputs, blocks[index], rng)
        changes: dict[str, Any] = {"weights": layer.weights[order]}
        if layer.thresholds is not None:
            changes["thresholds"] = layer.thresholds[order]
        new[index] = dataclasses.replace(layer, **changes)
        if index + 1 < len(new):
            successor = new[index + 1]
            new[index + 1] = dataclasses.replace(successor,
                                                 weights=successor.weights[:, order])
    return QuantNetwork(network.input_bits, tuple(new), network.classes)


def whole_layers(base: QmlpParams) -> dict[int, int]:
    """The rewiring of a base of :data:`BASES`: its permutable hidden layers reordered
    whole (one block of all their neurons)."""
    return {i: base.folds()[i].outputs for i in permutable_layers(base)}


def orders(base: QmlpParams, seed: int, count: int, blocks: dict[int, int]
           ) -> list[QmlpParams]:
    """``base`` with its drawn network and ``count`` rewirings of it by ``blocks``
    (:func:`permuted`), each saved to the cache folder (a network file the synthesis
    processes read)."""
    if not blocks:
        raise ValueError(f"{describe(base)}: no hidden layer can be reordered")
    network = base.quant_network()
    rng = np.random.default_rng(seed)
    networks = [network] + [permuted(network, blocks, rng) for _ in range(count)]
    folder = cache_root() / "qmlp-permuted"
    designs = []
    for net in networks:
        path = net.save(folder / f"{net.sha256()[:16]}.qnet.json")
        designs.append(dataclasses.replace(base, network=str(path), seed=0))
    return designs


def floor(luts: np.ndarray) -> dict[str, float]:
    """The least errors one estimate can have on designs measured at ``luts``: the mean of
    |c / x - 1| at its best c (a measured value: the mean is piecewise linear in c) and the
    largest, (max - min) / (max + min) at c = 2 max min / (max + min)."""
    mean = min(float(np.abs(c / luts - 1).mean()) for c in luts)
    return {"floor_mean": mean,
            "floor_max": float((luts.max() - luts.min()) / (luts.max() + luts.min()))}


def group_row(name: str, base: QmlpParams, designs: list[QmlpParams],
              measured: dict[QmlpParams, dict[str, float]], target: str,
              blocks: dict[int, int]) -> dict[str, Any]:
    """One base's report row: its variants' LUTs and model estimates and their spread."""
    kept = [d for d in designs if d in measured]
    luts = np.array([measured[d]["lut"] for d in kept])
    models = np.array([area(d, target).lut for d in kept])
    ratio = luts / models
    features = [qmlp_features(d, target) for d in kept]
    changed = sorted({k for f in features for k in RESOURCE_FEATURES["lut"]
                      if f[k] != features[0][k]})
    return {
        "base": name, "config": describe(base), "params": base.to_dict(),
        "permuted_layers": permutable_layers(base),
        "blocks": {str(k): g for k, g in blocks.items()},
        "designs": [{"network_sha256": d.quant_network().sha256(),
                     "lut": measured[d]["lut"], "ff": measured[d]["ff"],
                     "model_lut": round(float(m), 1)}
                    for d, m in zip(kept, models, strict=True)],
        **lut_spread(luts), **floor(luts),
        # measured / modelled LUTs about their mean: what the model cannot tell apart
        "ratio_mean_abs_deviation": float(np.abs(ratio - ratio.mean()).mean() / ratio.mean()),
        "ratio_max_abs_deviation": float(np.abs(ratio - ratio.mean()).max() / ratio.mean()),
        "model_error_mean": float(np.abs(ratio - 1).mean()),
        "lut_features_changed": changed}


def drawn_bases(seed: int) -> list[QmlpParams]:
    """The designs of ``bench/area_qmlp.py``'s random draw of ``seed`` (its held-out draws)."""
    return distinct([from_unit(u) for u in uniform_draw(axes_of(seed), DRAW_COUNT, seed)])


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--draw", type=int, default=None,
                        help="bases: the designs of this seed's random draw of the whole space")
    parser.add_argument("--orders", type=int, default=DRAW_ORDERS,
                        help=f"rewirings per drawn design (default {DRAW_ORDERS})")


def main() -> None:
    args = sweep_arguments(__doc__, target=DEFAULT_TARGET, extend=options)
    target = args.target
    start = time.monotonic()
    # (name, base, blocks, seed): seed PERMUTATION_SEED + the base's index
    if args.draw is None:
        groups = [(name, base, whole_layers(base), PERMUTATION_SEED + i)
                  for i, (name, base) in enumerate(BASES.items())]
        count = PERMUTATIONS
    else:
        drawn = drawn_bases(args.draw)
        groups = [(str(i), base, rewiring_blocks(base), PERMUTATION_SEED + i)
                  for i, base in enumerate(drawn)]
        unwired = [describe(base) for _, base, blocks, _ in groups if not blocks]
        groups = [g for g in groups if g[2]]
        count = args.orders
    variants = [(name, base, blocks, orders(base, seed, count, blocks))
                for name, base, blocks, seed in groups]
    designs = [d for *_, ds in variants for d in ds]
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "permuted"), target,
                                        describe, args.jobs)
    measured = {s.params: s.measured for s in samples}
    rows = [group_row(name, base, ds, measured, target, blocks)
            for name, base, blocks, ds in variants]
    stem = "area_permute_qmlp" if args.draw is None else f"area_permute_qmlp_draw{args.draw}"
    result = {**sweep_result(result_stem(stem, target), "qmlp-v1", target),
              "permutations": count, "permutation_seed": PERMUTATION_SEED,
              "groups": rows, "failed": failed,
              "wall_seconds": round(time.monotonic() - start, 1)}
    if args.draw is None:
        write_sweep(args.out, result, markdown(result))
    else:
        result.update(draw_seed=args.draw, draw_count=DRAW_COUNT, not_rewirable=unwired,
                      summary=draw_summary(rows))
        write_sweep(args.out, result, draw_markdown(result))


def draw_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The floor over the drawn designs: the mean of their least mean errors, and how many
    of them no single estimate gets within 5% or 10% of every variant."""
    means = np.array([r["floor_mean"] for r in rows])
    maxima = np.array([r["floor_max"] for r in rows])
    return {"designs": len(rows), "floor_mean_mean": float(means.mean()),
            "floor_max_max": float(maxima.max()),
            "over_5pct": int((maxima > 0.05).sum()), "over_10pct": int((maxima > 0.10).sum()),
            "lut_spread_mean": float(np.mean([r["spread"] for r in rows]))}


def draw_markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    title = (f"LUT spread of {s['designs']} drawn qmlp-v1 designs under rewirings "
             f"({result['target']})")
    lines = sweep_header(result, title, "area_qmlp") + [
        f"Bases: the {result['draw_count']} designs of `bench/area_qmlp.py`'s random draw of "
        f"seed {result['draw_seed']} (the whole sampled space), each synthesized as drawn and "
        f"with {result['permutations']} rewirings (numpy seed {result['permutation_seed']} + "
        "base index): the first layer's inputs reordered within each SIMD slice (key -1) and "
        "each layer's neurons within blocks of gcd(PE, next layer's SIMD) PEs (the last "
        "layer's: its PE), one order for every block, so the circuit is the drawn one up to "
        "the order of its wires. 'floor mean' is the least mean relative error one estimate "
        "can have on a base's variants (at its best value); 'floor max' the least largest "
        "one, (max - min) / (max + min). A model that cannot tell the variants apart (the "
        "area model's estimate moves only where the adder trees pair other inputs: 'model') "
        "cannot do better than these on them.", "",
        f"Summary over {s['designs']} designs: floor mean {100 * s['floor_mean_mean']:.2f}% "
        f"(mean over designs), floor max {100 * s['floor_max_max']:.1f}% (largest); designs "
        f"whose floor max exceeds 5%: {s['over_5pct']}, 10%: {s['over_10pct']}; mean LUT "
        f"spread (max - min) / mean {100 * s['lut_spread_mean']:.1f}%.", "",
        "| base | design | blocks | LUTs (drawn first) | spread | floor mean | floor max | "
        "model | model error mean |",
        "|---|---|---|---|---|---|---|---|---|"]
    for row in result["groups"]:
        luts = ", ".join(f"{d['lut']:.0f}" for d in row["designs"])
        blocks = " ".join(f"{k}:{g}" for k, g in row["blocks"].items())
        model = estimate_range([d["model_lut"] for d in row["designs"]])
        lines.append(f"| {row['base']} | {row['config']} | {blocks} | {luts} | "
                     f"{100 * row['spread']:.1f}% | {100 * row['floor_mean']:.2f}% | "
                     f"{100 * row['floor_max']:.1f}% | {model} | "
                     f"{100 * row['model_error_mean']:.1f}% |")
    if result["not_rewirable"]:
        lines += ["", "Not rewirable (every block of 1): " + ", ".join(result["not_rewirable"])]
    return "\n".join(lines + sweep_failures(result)) + "\n"


def markdown(result: dict[str, Any]) -> str:
    title = ("LUT spread of one qmlp-v1 circuit under reorderings of its hidden neurons "
             f"({result['target']})")
    lines = sweep_header(result, title, "area_qmlp") + [
        "Each base is synthesized with its network as drawn and with "
        f"{result['permutations']} random orders of the neurons of its permutable hidden "
        f"layers (numpy seed {result['permutation_seed']} + base index): the same function, "
        "weights and thresholds, wired in another order. The next layer's adder trees pair other "
        "inputs, so a few of the area model's LUT features move a little (the column 'LUT "
        "features that change'); the columns 'ratio deviation' take that out: the mean and "
        "largest deviation of measured / modelled LUTs from their mean within the base, the "
        "part of the spread the model cannot see. 'model error' is the mean of |measured / "
        "modelled - 1|.", "",
        "| base | design | permuted layers | designs | LUTs min..max | mean | spread "
        "(max-min)/mean | mean abs. deviation | model estimate | ratio deviation mean / max | "
        "model error | LUT features that change |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["groups"]:
        model = estimate_range([d["model_lut"] for d in row["designs"]])
        lines.append(
            f"| {row['base']} | {row['config']} | {row['permuted_layers']} | "
            f"{len(row['designs'])} | {row['lut_min']:.0f}..{row['lut_max']:.0f} | "
            f"{row['lut_mean']:.0f} | {100 * row['spread']:.1f}% | "
            f"{100 * row['mean_abs_deviation']:.1f}% | {model} | "
            f"{100 * row['ratio_mean_abs_deviation']:.1f}% / "
            f"{100 * row['ratio_max_abs_deviation']:.1f}% | {100 * row['model_error_mean']:.1f}% | "
            f"{', '.join(row['lut_features_changed']) or 'none'} |")
    lines += ["", "Bases: " + "; ".join(f"{r['base']} = {json.dumps(r['params'])}"
                                        for r in result["groups"]) + ".", "",
              "## Designs (first: the network as drawn)", "",
              "| base | network sha256 | LUT | FF | model LUT |", "|---|---|---|---|---|"]
    for row in result["groups"]:
        for d in row["designs"]:
            lines.append(f"| {row['base']} | {d['network_sha256'][:12]} | {d['lut']:.0f} | "
                         f"{d['ff']:.0f} | {d['model_lut']:.0f} |")
    return "\n".join(lines + sweep_failures(result)) + "\n"


if __name__ == "__main__":
    main()
