"""Benchmark: fit the analytic area model of ``qmlp-v1`` on ECP5 to real synthesis of
sampled configurations and measure its error on held-out and fresh ones.

Run: ``python bench/area_qmlp.py [--seed 11] [--samples 40] [--out bench/results]``

Samples ``--samples`` random distinct designs: seeded random integer networks (``hw.qmlp.
network.random_network``: the ROM contents are random weights, as a trained network's look
to the synthesizer) of 1..3 layers, 8..96 inputs, 4..64 hidden neurons, 2..10 outputs,
weight bits 1..4, activation bits 1..4, input bits 1..4, each layer folded by random
divisors (at most 128 multipliers per layer), plus two corners; synthesizes each with
``flows.synth.synthesize(params, target, place=False)``, holds out ``--held-out`` of the
random ones, fits ``dse.models.qmlp.qmlp_features`` on the rest, checks ``--fresh`` designs
of another seed, and writes ``dse/models/data/area_qmlp-v1_<target>.json`` and
``<out>/area_qmlp.{json,md}``.
"""

from __future__ import annotations

import random

from area_common import AreaBenchmark, area_arguments, fit_and_report

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


def sample_configs(seed: int, count: int) -> list[QmlpParams]:
    rng = random.Random(seed)
    seen = set(anchors())
    out: list[QmlpParams] = []
    while len(out) < count:
        sizes = [rng.choice([8, 12, 16, 24, 32, 48, 64, 84, 96])]
        sizes += [rng.choice([4, 8, 16, 24, 32, 64]) for _ in range(rng.randint(0, 2))]
        sizes.append(rng.randint(2, 10))
        folding = []
        for inputs, outputs in zip(sizes, sizes[1:], strict=False):
            while True:
                pe, simd = rng.choice(divisors(outputs)), rng.choice(divisors(inputs))
                if pe * simd <= 128:
                    break
            folding.append((pe, simd))
        params = QmlpParams(layers=",".join(map(str, sizes)), weight_bits=rng.randint(1, 4),
                            act_bits=rng.randint(1, 4), input_bits=rng.randint(1, 4),
                            seed=rng.randint(0, 1000), folding=format_folding(tuple(folding)))
        if params not in seen:
            seen.add(params)
            out.append(params)
    return out


def describe(params: Params) -> str:
    assert isinstance(params, QmlpParams)
    return (f"{params.layers.replace(',', '-')} w{params.weight_bits} a{params.act_bits} "
            f"i{params.input_bits} [{params.folding or '1x1'}]")


def main() -> None:
    args = area_arguments(__doc__, seed=11, samples=40, fresh=8).parse_args()
    fit_and_report(args, AreaBenchmark(
        name="area_qmlp", generator=GENERATOR, anchors=anchors(),
        sample_configs=sample_configs, describe=describe, features=RESOURCE_FEATURES,
        legend="Config: layer sizes, weight / activation / input bits, folding PExSIMD per "
               "layer. Networks are seeded random integer networks."))


if __name__ == "__main__":
    main()
