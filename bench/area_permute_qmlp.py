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
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import numpy as np
from area_common import (
    DEFAULT_TARGET,
    estimate_range,
    lut_spread,
    result_stem,
    sweep_arguments,
    sweep_failures,
    sweep_header,
    sweep_result,
    synthesize_all,
    write_sweep,
)
from area_qmlp import RESOURCE_FEATURES, describe

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


def permutable_layers(params: QmlpParams) -> list[int]:
    """Hidden layers of ``params`` whose neurons can be reordered by rewiring alone."""
    folds = params.folds()
    return [i for i in range(len(folds) - 1)
            if folds[i].pe == folds[i].outputs and folds[i + 1].simd == folds[i + 1].inputs]


def permuted(network: QuantNetwork, layers: list[int], rng: np.random.Generator
             ) -> QuantNetwork:
    """``network`` with the neurons of each of ``layers`` in a random order: the same
    function (the next layer's weight columns follow its neurons)."""
    new = list(network.layers)
    for index in layers:
        order = rng.permutation(new[index].outputs)
        layer, successor = new[index], new[index + 1]
        new[index] = dataclasses.replace(layer, weights=layer.weights[order],
                                         thresholds=layer.thresholds[order])
        new[index + 1] = dataclasses.replace(successor, weights=successor.weights[:, order])
    return QuantNetwork(network.input_bits, tuple(new), network.classes)


def orders(base: QmlpParams, seed: int) -> list[QmlpParams]:
    """``base`` with its drawn network and :data:`PERMUTATIONS` reorderings, each saved to
    the cache folder (a network file the synthesis processes read)."""
    layers = permutable_layers(base)
    if not layers:
        raise ValueError(f"{describe(base)}: no hidden layer can be reordered")
    network = base.quant_network()
    rng = np.random.default_rng(seed)
    networks = [network] + [permuted(network, layers, rng) for _ in range(PERMUTATIONS)]
    folder = cache_root() / "qmlp-permuted"
    designs = []
    for net in networks:
        path = net.save(folder / f"{net.sha256()[:16]}.qnet.json")
        designs.append(dataclasses.replace(base, network=str(path), seed=0))
    return designs


def main() -> None:
    args = sweep_arguments(__doc__, target=DEFAULT_TARGET)
    target = args.target
    start = time.monotonic()
    groups = [(name, base, orders(base, PERMUTATION_SEED + i))
              for i, (name, base) in enumerate(BASES.items())]
    designs = [d for _, _, ds in groups for d in ds]
    samples, failed, _ = synthesize_all(designs, dict.fromkeys(designs, "permuted"), target,
                                        describe, args.jobs)
    measured = {s.params: s.measured for s in samples}
    rows: list[dict[str, Any]] = []
    for name, base, ds in groups:
        kept = [d for d in ds if d in measured]
        luts = np.array([measured[d]["lut"] for d in kept])
        models = np.array([area(d, target).lut for d in kept])
        ratio = luts / models
        features = [qmlp_features(d, target) for d in kept]
        changed = sorted({k for f in features for k in RESOURCE_FEATURES["lut"]
                          if f[k] != features[0][k]})
        rows.append({
            "base": name, "config": describe(base), "params": base.to_dict(),
            "permuted_layers": permutable_layers(base),
            "designs": [{"network_sha256": d.quant_network().sha256(),
                         "lut": measured[d]["lut"], "ff": measured[d]["ff"],
                         "model_lut": round(float(m), 1)}
                        for d, m in zip(kept, models, strict=True)],
            **lut_spread(luts),
            # measured / modelled LUTs about their mean: what the model cannot tell apart
            "ratio_mean_abs_deviation": float(np.abs(ratio - ratio.mean()).mean()
                                              / ratio.mean()),
            "ratio_max_abs_deviation": float(np.abs(ratio - ratio.mean()).max() / ratio.mean()),
            "model_error_mean": float(np.abs(ratio - 1).mean()),
            "lut_features_changed": changed})
    result = {**sweep_result(result_stem("area_permute_qmlp", target), "qmlp-v1", target),
              "permutations": PERMUTATIONS, "permutation_seed": PERMUTATION_SEED,
              "groups": rows, "failed": failed,
              "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


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
