"""Benchmark: fit the analytic area model of ``qmlp-v1`` on ECP5 to real synthesis of
sampled configurations and measure its error on held-out and fresh ones.

Run: ``python bench/area_qmlp.py [--seed 11] [--samples 40] [--fresh 30] [--jobs 2]``

Fits to two corners and a Latin hypercube of ``--samples`` seeded random integer networks
(``hw.qmlp.network.random_network``: the ROM contents are random weights, as a trained
network's look to the synthesizer) over :data:`SPACE`, holds out a fresh uniform draw of
``--fresh`` (seed + 1), synthesizes each with ``flows.synth.synthesize(params, target,
place=False)`` (cached, ``--jobs`` at a time), fits ``dse.models.qmlp.qmlp_features`` and
writes ``dse/models/data/area_qmlp-v1_<target>.json`` and ``<out>/area_qmlp.{json,md}``.
The shipped model predates this sampling (see ``bench/results/area_qmlp.md``).
"""

from __future__ import annotations

from collections.abc import Mapping

from area_common import AreaBenchmark, area_arguments, fit_and_report, pick, pick_int

from hw.params import Params
from hw.qmlp.params import QmlpParams, divisors, format_folding

GENERATOR = "qmlp-v1"

#: Features per resource (names from ``dse.models.qmlp.qmlp_features``).
RESOURCE_FEATURES: dict[str, tuple[str, ...]] = {
    "lut": ("one", "layers", "product_bits", "tree_bits", "acc_bits", "rom_bits",
            "rom_word_bits", "compare_bits", "threshold_rom_bits", "slice_mux_bits"),
    "ff": ("one", "layers", "acc_bits", "vector_bits", "out_bits"),
    "dsp": ("one",),
    "bram": ("one",),
}


def anchors() -> list[QmlpParams]:
    """Corners, always trained on: a tiny fully folded network, and a CAN-sized one."""
    return [
        QmlpParams(layers="8,4,2", weight_bits=1, act_bits=1, input_bits=1, folding=""),
        QmlpParams(layers="84,64,32,5", weight_bits=2, act_bits=2, input_bits=1,
                   folding="8x12,4x16,5x8"),
    ]


INPUTS = (8, 12, 16, 24, 32, 48, 64, 84, 96)
HIDDEN = (4, 8, 16, 24, 32, 64)
AXES = ("hidden_layers", "inputs", "hidden0", "hidden1", "outputs", "weight_bits",
        "act_bits", "input_bits", "seed", *(f"{kind}{i}" for i in range(3)
                                            for kind in ("pe", "simd")))
SPACE = (f"1..3 layers, inputs {', '.join(map(str, INPUTS))}, hidden "
         f"{', '.join(map(str, HIDDEN))}, outputs 2..10, weight / activation / input bits "
         "1..4, each layer folded by divisors PE x SIMD with at most 128 multipliers")


def from_unit(u: Mapping[str, float]) -> QmlpParams:
    """The network at unit coordinates ``u`` of the sampled space."""
    hidden = pick_int(u["hidden_layers"], 0, 2)
    sizes = [pick(u["inputs"], INPUTS)]
    sizes += [pick(u[f"hidden{i}"], HIDDEN) for i in range(hidden)]
    sizes.append(pick_int(u["outputs"], 2, 10))
    folding = []
    for index, (inputs, outputs) in enumerate(zip(sizes, sizes[1:], strict=False)):
        pe = pick(u[f"pe{index}"], divisors(outputs))
        simd = pick(u[f"simd{index}"], [d for d in divisors(inputs) if pe * d <= 128])
        folding.append((pe, simd))
    return QmlpParams(layers=",".join(map(str, sizes)),
                      weight_bits=pick_int(u["weight_bits"], 1, 4),
                      act_bits=pick_int(u["act_bits"], 1, 4),
                      input_bits=pick_int(u["input_bits"], 1, 4),
                      seed=pick_int(u["seed"], 0, 1000),
                      folding=format_folding(tuple(folding)))


def describe(params: Params) -> str:
    assert isinstance(params, QmlpParams)
    return (f"{params.layers.replace(',', '-')} w{params.weight_bits} a{params.act_bits} "
            f"i{params.input_bits} [{params.folding or '1x1'}]")


def main() -> None:
    args = area_arguments(__doc__, seed=11, samples=40, fresh=30).parse_args()
    fit_and_report(args, AreaBenchmark(
        name="area_qmlp", generator=GENERATOR, anchors=anchors(), axes=AXES,
        from_unit=from_unit, space=SPACE, describe=describe, features=RESOURCE_FEATURES,
        legend="Config: layer sizes, weight / activation / input bits, folding PExSIMD per "
               "layer. Networks are seeded random integer networks."))


if __name__ == "__main__":
    main()
