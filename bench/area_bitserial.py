"""Benchmark: fit the analytic area model of ``bitserial-v1`` on ECP5 to real synthesis of
sampled configurations and measure its error on held-out and fresh ones.

Run: ``python bench/area_bitserial.py [--seed 7] [--samples 40] [--out bench/results]``

Samples ``--samples`` random distinct configurations (rows and cols 1..4, lanes 1..16 with
at most 64 lanes in all, max_bits 1..16, parallel width 2..16, either serial operand,
both signednesses, accumulator width from its minimum to 16 bits more, scales off or 1..8
bits) plus two corners, synthesizes each with ``flows.synth.synthesize(params, target,
place=False)`` (Yosys only, bare design; cached under ``$HWDSE_CACHE``), holds out
``--held-out`` of the random ones (seeded), fits ``dse.models.bitserial.bitserial_features`` on
the rest, checks ``--fresh`` configurations from another seed, and writes
``dse/models/data/area_bitserial-v1_<target>.json`` and ``<out>/area_bitserial.{json,md}``.
"""

from __future__ import annotations

import random

from area_common import AreaBenchmark, area_arguments, fit_and_report

from hw.bitserial import BitSerialParams
from hw.params import Params

GENERATOR = "bitserial-v1"
TARGET_ERROR = 0.10

#: Features per resource (names from ``dse.models.bitserial.bitserial_features``).
RESOURCE_FEATURES: dict[str, tuple[str, ...]] = {
    "lut": ("one", "pes", "select_bits", "tree_bits", "negate_bits", "acc_bits",
            "drain_bits", "dequant_bits", "scale_bits"),
    "ff": ("one", "pes", "acc_bits", "dequant_bits", "beat_bits", "scale_bits"),
    "dsp": ("one",),
    "bram": ("one",),
}


def anchors() -> list[BitSerialParams]:
    """Corners of the sampled space, always trained on."""
    return [
        BitSerialParams(rows=1, cols=1, lanes=1, max_bits=1, parallel_width=2, acc_width=3,
                        signed=False),
        BitSerialParams(rows=4, cols=4, lanes=4, max_bits=16, parallel_width=16,
                        acc_width=48, scale_width=8),
    ]


def sample_configs(seed: int, count: int) -> list[BitSerialParams]:
    """``count`` random distinct configurations (not the anchors)."""
    rng = random.Random(seed)
    seen = set(anchors())
    out: list[BitSerialParams] = []
    while len(out) < count:
        rows, cols = rng.randint(1, 4), rng.randint(1, 4)
        lanes = rng.choice([x for x in (1, 2, 4, 8, 16) if rows * cols * x <= 64])
        max_bits, width = rng.randint(1, 16), rng.randint(2, 16)
        params = BitSerialParams(
            rows=rows, cols=cols, lanes=lanes, max_bits=max_bits, parallel_width=width,
            serial=rng.choice(("weights", "activations")), signed=rng.random() < 0.5,
            acc_width=min(64, max_bits + width + rng.randint(0, 16)),
            scale_width=0 if rng.random() < 0.5 else rng.randint(1, 8))
        if params not in seen:
            seen.add(params)
            out.append(params)
    return out


def describe(params: Params) -> str:
    assert isinstance(params, BitSerialParams)
    return (f"{params.rows}x{params.cols}x{params.lanes} {params.serial[0]} "
            f"b{params.max_bits} w{params.parallel_width} acc{params.acc_width} "
            f"{'s' if params.signed else 'u'} sc{params.scale_width}")


def main() -> None:
    parser = area_arguments(__doc__, seed=7, samples=40, fresh=8)
    args = parser.parse_args()
    fit_and_report(args, AreaBenchmark(
        name="area_bitserial", generator=GENERATOR, anchors=anchors(),
        sample_configs=sample_configs, describe=describe, features=RESOURCE_FEATURES,
        legend="Config: rows x cols x lanes, serial operand (w / a), max bits, parallel "
               "width, accumulator width, signedness, scale width.",
        target_error=TARGET_ERROR))


if __name__ == "__main__":
    main()
