"""Host side of a systolic-array simulation: one GEMM as a job for the stream testbench
(operand beats and the golden model's result beats).

The beats are packed with numpy (``sim.beats``), output-stationary ones vectorized over
the tile loop, and the golden GEMM runs in floating point where that is exact (every
partial sum below 2**53), so a job of millions of cycles is built in about a second; small
jobs also carry their beats as hex strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.systolic.array import operand_layout, result_layout
from hw.systolic.params import SystolicParams
from sim.beats import (
    array_fields,
    pack_fields,
    stream_job,
    tile_result_words,
    words_from_ints,
    wrap_int64,
)
from sim.family import OperandsJob
from sim.payload import PayloadCodec
from sim.systolic import driver, golden


def gemm_job(params: SystolicParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0) -> dict[str, Any]:
    """A job computing a seeded random M x K x N GEMM of kind ``values``.

    With ``gap_probability`` > 0 the testbench withholds valid / ready at random.
    """
    a, b = golden.random_operands(params, m, k, n, seed, values)
    return operands_job(params, a, b, seed=seed, values=values,
                        gap_probability=gap_probability)


def operands_job(params: SystolicParams, a: np.ndarray, b: np.ndarray, *, seed: int = 0,
                 values: str = "given", gap_probability: float = 0.0) -> dict[str, Any]:
    """A job computing ``a @ b`` (M x K by K x N, within the operand range); the golden
    model gives the expected result beats."""
    (m, k), n = a.shape, b.shape[1]
    operand_words = encode_words(params, a, b)
    expected_words = result_words(params, exact_gemm(params, a, b))
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values,
            "gap_probability": gap_probability, "macs": m * k * n}
    return stream_job(meta, operand_words, expected_words,
                      gap_probability=gap_probability, seed=seed)


def exact_gemm(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`sim.systolic.golden.gemm`, in float64 matrix products where every partial
    sum is below 2**53 (exact), as int64 when ``acc_width`` allows; otherwise the golden
    model's Python integers."""
    k = a.shape[1]
    bound = (1 << params.input_width) ** 2 * max(1, k)
    if bound >= 1 << 53 or params.acc_width > 62:
        return np.asarray(golden.gemm(params, a, b))
    exact = np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return wrap_int64(exact, params.acc_width, params.signed)


def encode_words(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`sim.systolic.driver.encode` as packed words (``sim.beats``), vectorized over
    the beats."""
    codec = PayloadCodec(operand_layout(params))
    if params.dataflow != "os":
        return _encode_ws_words(params, codec, a, b)
    rows, cols = params.rows, params.cols
    m, k = a.shape
    n = b.shape[1]
    m_tiles, n_tiles = -(-m // rows), -(-n // cols)
    a_pad = np.zeros((m_tiles * rows, k), dtype=np.int64)
    a_pad[:m] = a
    b_pad = np.zeros((k, n_tiles * cols), dtype=np.int64)
    b_pad[:, :n] = b
    a_offset, a_width = codec.element("a")[:2]
    b_offset, b_width = codec.element("b")[:2]
    a_tiles = a_pad.reshape(m_tiles, rows, k)          # [tile, row, k]
    b_tiles = b_pad.reshape(k, n_tiles, cols)          # [k, tile, col]
    a_words = pack_fields(m_tiles * k, codec.width, array_fields(
        a_offset, a_width, [a_tiles[:, i, :].ravel() for i in range(rows)]))
    b_words = pack_fields(n_tiles * k, codec.width, array_fields(
        b_offset, b_width, [b_tiles[:, :, j].T.ravel() for j in range(cols)]))
    last = pack_fields(1, codec.width, [(codec.element("last")[0], 1, np.ones(1))])[0]
    words = a_words.shape[1]
    beats = np.empty((m_tiles, n_tiles, k, words), dtype=np.uint32)
    np.bitwise_or(a_words.reshape(m_tiles, 1, k, words), b_words.reshape(1, n_tiles, k, words),
                  out=beats)
    beats[:, :, k - 1] |= last
    return beats.reshape(-1, words)


def _encode_ws_words(params: SystolicParams, codec: PayloadCodec, a: np.ndarray,
                     b: np.ndarray) -> np.ndarray:
    """The weight-stationary beats of :func:`sim.systolic.driver.encode`: the first tile's
    weight rows, then per tile its activation rows with the next tile's weight rows riding
    on the first beats."""
    rows, cols = params.rows, params.cols
    m, k = a.shape
    n = b.shape[1]
    a_pad = np.zeros((m, -(-k // rows) * rows), dtype=np.int64)
    a_pad[:, :k] = a
    b_pad = np.zeros((-(-k // rows) * rows, -(-n // cols) * cols), dtype=np.int64)
    b_pad[:k, :n] = b
    tiles = list(driver.ws_tiles(params, m, k, n))
    table = np.array([(t.n0, t.m0, t.mb, t.k0, t.kr, t.first_k, t.last_k) for t in tiles],
                     dtype=np.int64).reshape(-1, 7)
    n0, m0, mb, k0, kr, first_k, last_k = table.T
    next_kr = np.append(kr[1:], 0)
    count = np.maximum(mb, next_kr)
    tile = np.repeat(np.arange(len(tiles)), count)
    q = np.arange(len(tile)) - np.repeat(np.cumsum(count) - count, count)
    # the first tile's weight rows, then the tiles' beats
    head = np.arange(kr[0]) if len(tiles) else np.zeros(0, dtype=np.int64)
    has_a = np.concatenate([np.zeros(len(head), bool), q < mb[tile]])
    a_row = np.concatenate([np.zeros(len(head), np.int64), np.where(q < mb[tile],
                                                                     m0[tile] + q, 0)])
    a_k0 = np.concatenate([np.zeros(len(head), np.int64), k0[tile]])
    following = np.minimum(tile + 1, len(tiles) - 1)
    has_w = np.concatenate([np.ones(len(head), bool), q < next_kr[tile]])
    w_q = np.concatenate([head, q])
    w_k = np.concatenate([k0[0] + head, k0[following] + q]) if len(tiles) else w_q
    w_n0 = np.concatenate([np.full(len(head), n0[0] if len(tiles) else 0), n0[following]])
    w_k = np.where(has_w, w_k, 0)
    fields = []
    a_offset, a_width = codec.element("a")[:2]
    b_offset, b_width = codec.element("b")[:2]
    fields += array_fields(a_offset, a_width, [np.where(has_a, a_pad[a_row, a_k0 + j], 0)
                                               for j in range(rows)])
    fields += array_fields(b_offset, b_width, [np.where(has_w, b_pad[w_k, w_n0 + j], 0)
                                               for j in range(cols)])
    a_tile = np.concatenate([np.zeros(len(head), np.int64), tile])
    for name, values in (("a_valid", has_a), ("swap", has_a & (np.concatenate(
            [np.zeros(len(head), np.int64), q]) == 0)),
            ("acc_first", has_a & (first_k[a_tile] != 0)),
            ("acc_last", has_a & (last_k[a_tile] != 0)),
            ("w_valid", has_w), ("w_row", np.where(has_w, w_q, 0))):
        offset, width = codec.element(name)[:2]
        fields.append((offset, width, np.asarray(values, dtype=np.int64)))
    return pack_fields(len(has_a), codec.width, fields)


def result_words(params: SystolicParams, c: np.ndarray) -> np.ndarray:
    """:func:`sim.systolic.driver.encode_results` as packed words (``sim.beats``)."""
    codec = PayloadCodec(result_layout(params))
    if c.dtype == object:
        return words_from_ints(driver.encode_results(params, c), codec.width)
    rows, cols = params.rows, params.cols
    offset, width = codec.element("c")[:2]
    if params.dataflow == "os":  # per M tile, per N tile: the tile's rows
        return tile_result_words(c, rows, cols, offset, width, codec.width)
    m, n = c.shape  # per N tile: every row of C
    n_tiles = -(-n // cols)
    padded = np.zeros((m, n_tiles * cols), dtype=np.int64)
    padded[:, :n] = c
    flat = padded.reshape(m, n_tiles, cols).transpose(1, 0, 2).reshape(-1, cols)
    return pack_fields(len(flat), codec.width,
                       array_fields(offset, width, [flat[:, j] for j in range(cols)]))


def network_operands_job(params: SystolicParams, a: np.ndarray, b: np.ndarray,
                         bits: int | None = None) -> OperandsJob:
    """A job on given operands (a network layer's activations and weights), with what the
    array computes for them and its operand range (``bits`` is for run-time precision
    families; a bit-parallel array takes none)."""
    del bits
    low_high = golden.operand_range(params)
    return OperandsJob(operands_job(params, a, b), exact_gemm(params, a, b),
                       (low_high, low_high))
