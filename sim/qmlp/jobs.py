"""Host side of a quantized-MLP simulation: input vectors as operand beats for the generic
stream testbench (``sim.stream_testbench``) and the integer model's scores as the expected
result beats.

Jobs carry the beats packed with numpy (``sim.beats``, no per-beat Python loop);
:func:`encode_inputs` and :func:`encode_scores` are the beat-by-beat reference they equal.
Small jobs also carry them as hex strings."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.logic import pack_array
from hw.qmlp.params import QmlpParams
from sim.beats import array_fields, pack_fields, stream_job
from sim.golden import draw


def encode_inputs(params: QmlpParams, x: np.ndarray) -> list[int]:
    """Operand beats: each vector as beats of layer 0's ``simd`` features, in order."""
    simd = params.folds()[0].simd
    return [pack_array([int(v) for v in row[start:start + simd]], params.input_bits)
            for row in np.asarray(x) for start in range(0, len(row), simd)]


def encode_scores(params: QmlpParams, scores: np.ndarray) -> list[int]:
    """Result beats: each vector's scores as beats of the last layer's ``pe`` sums."""
    network = params.quant_network()
    width = network.accumulator_width(len(network.layers) - 1)
    pe = params.folds()[-1].pe
    return [pack_array([int(v) for v in row[start:start + pe]], width)
            for row in np.asarray(scores) for start in range(0, len(row), pe)]


def _packed(values: np.ndarray, per_beat: int, width: int) -> np.ndarray:
    """Each row of ``values`` as beats of ``per_beat`` ``width``-bit elements, in order."""
    elements = np.asarray(values, dtype=np.int64).reshape(-1, per_beat)
    return pack_fields(len(elements), per_beat * width,
                       array_fields(0, width, [elements[:, i] for i in range(per_beat)]))


def input_words(params: QmlpParams, x: np.ndarray) -> np.ndarray:
    """:func:`encode_inputs` as packed words (``sim.beats``)."""
    return _packed(x, params.folds()[0].simd, params.input_bits)


def score_words(params: QmlpParams, scores: np.ndarray) -> np.ndarray:
    """:func:`encode_scores` as packed words (``sim.beats``)."""
    network = params.quant_network()
    return _packed(scores, params.folds()[-1].pe,
                   network.accumulator_width(len(network.layers) - 1))


def inference_job(params: QmlpParams, x: np.ndarray, *, meta: dict[str, Any] | None = None,
                  gap_probability: float = 0.0, seed: int = 0) -> dict[str, Any]:
    """A job running the inputs ``x`` (vectors x features) through the design; the golden
    scores come from the integer model.

    Raises:
        ParamError: if ``x`` does not fit the network's inputs.
    """
    x = np.asarray(x, dtype=np.int64)
    scores = params.quant_network().forward(x)
    vectors = int(x.shape[0])
    macs = vectors * sum(f.inputs * f.outputs for f in params.folds())
    return stream_job(
        {"m": vectors, "k": int(x.shape[1]), "n": int(scores.shape[1]), "seed": seed,
         "values": "given", "gap_probability": gap_probability, "macs": macs, **(meta or {})},
        input_words(params, x), score_words(params, scores),
        gap_probability=gap_probability, seed=seed)


def gemm_job(params: QmlpParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0) -> dict[str, Any]:
    """``m`` seeded input vectors of kind ``values`` through the network: the workload
    M x K x N is M inferences of a network with K inputs and N outputs.

    Raises:
        ParamError: if K or N differ from the network's inputs and outputs.
    """
    params.check_inferences(m, k, n)
    rng = np.random.default_rng(seed)
    x = draw(rng, (m, k), 0, (1 << params.input_bits) - 1, values)
    job = inference_job(params, x, gap_probability=gap_probability, seed=seed)
    job["meta"]["values"] = values
    return job
