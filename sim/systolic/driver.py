"""Host side of the systolic array: turn a GEMM into operand beats, results back into C.

The tile order is part of the contract with the analytic model in
``dse.models.systolic`` (which must predict the cycles of exactly this stream):

- ``os``: for each M tile (``rows``), for each N tile (``cols``): K beats.
- ``ws``: for each N tile (``cols``), for each M block (``acc_depth``), for each K tile
  (``rows``): one beat per activation row of the block; the next tile's weight rows ride on
  the first beats, and a tile shorter than the next tile's weight rows is padded with
  weight-only beats. The first tile's weights go first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from hw.systolic.array import operand_layout, result_layout
from hw.systolic.params import SystolicParams
from sim.payload import PayloadCodec


@dataclasses.dataclass(frozen=True)
class WsTile:
    """One weight-stationary tile: rows ``m0 .. m0+mb`` of A against a ``kr`` x cols weight
    tile at (``k0``, ``n0``)."""

    n0: int
    m0: int
    mb: int
    k0: int
    kr: int
    first_k: bool
    last_k: bool


def ws_tiles(params: SystolicParams, m: int, k: int, n: int) -> Iterator[WsTile]:
    assert params.acc_depth is not None
    for n0 in range(0, n, params.cols):
        for m0 in range(0, m, params.acc_depth):
            mb = min(params.acc_depth, m - m0)
            for k0 in range(0, k, params.rows):
                yield WsTile(n0, m0, mb, k0, min(params.rows, k - k0),
                             first_k=k0 == 0, last_k=k0 + params.rows >= k)


def _padded(matrix: np.ndarray, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=np.int64)
    out[:matrix.shape[0], :matrix.shape[1]] = matrix
    return out


def encode(params: SystolicParams, a: np.ndarray, b: np.ndarray) -> list[int]:
    """Operand beats (packed payload integers) that compute ``a @ b``."""
    m, k = a.shape
    k2, n = b.shape
    if k != k2:
        raise ValueError(f"inner dimensions differ: A is {m}x{k}, B is {k2}x{n}")
    codec = PayloadCodec(operand_layout(params))
    if params.dataflow == "os":
        return _encode_os(params, codec, a, b)
    return _encode_ws(params, codec, a, b)


def _encode_os(params: SystolicParams, codec: PayloadCodec, a: np.ndarray,
               b: np.ndarray) -> list[int]:
    rows, cols = params.rows, params.cols
    m, k = a.shape
    n = b.shape[1]
    m_tiles, n_tiles = -(-m // rows), -(-n // cols)
    a_pad = _padded(a, m_tiles * rows, k)
    b_pad = _padded(b, k, n_tiles * cols)
    a_words = [[codec.field_word("a", a_pad[t * rows:(t + 1) * rows, kk].tolist())
                for kk in range(k)] for t in range(m_tiles)]
    b_words = [[codec.field_word("b", b_pad[kk, t * cols:(t + 1) * cols].tolist())
                for kk in range(k)] for t in range(n_tiles)]
    last = codec.field_word("last", 1)
    beats = []
    for mt in range(m_tiles):
        for nt in range(n_tiles):
            for kk in range(k):
                beats.append(a_words[mt][kk] | b_words[nt][kk] | (last if kk == k - 1 else 0))
    return beats


def _encode_ws(params: SystolicParams, codec: PayloadCodec, a: np.ndarray,
               b: np.ndarray) -> list[int]:
    rows, cols = params.rows, params.cols
    m, k = a.shape
    n = b.shape[1]
    a_pad = _padded(a, m, -(-k // rows) * rows)
    b_pad = _padded(b, -(-k // rows) * rows, -(-n // cols) * cols)
    tiles = list(ws_tiles(params, m, k, n))

    def weight_beat(tile: WsTile, row: int) -> int:
        values = b_pad[tile.k0 + row, tile.n0:tile.n0 + cols].tolist()
        return codec.pack({"b": values, "w_valid": 1, "w_row": row})

    beats = [weight_beat(tiles[0], row) for row in range(tiles[0].kr)]
    for index, tile in enumerate(tiles):
        following = tiles[index + 1] if index + 1 < len(tiles) else None
        count = max(tile.mb, following.kr) if following else tile.mb
        for q in range(count):
            word = 0
            if q < tile.mb:
                values = a_pad[tile.m0 + q, tile.k0:tile.k0 + rows].tolist()
                word = codec.pack({"a": values, "a_valid": 1, "swap": int(q == 0),
                                   "acc_first": int(tile.first_k),
                                   "acc_last": int(tile.last_k)})
            if following is not None and q < following.kr:
                word |= weight_beat(following, q)
            beats.append(word)
    return beats


def expected_result_beats(params: SystolicParams, m: int, k: int, n: int) -> int:
    """How many result beats the array emits for an M x K x N GEMM."""
    m_tiles, n_tiles = -(-m // params.rows), -(-n // params.cols)
    if params.dataflow == "os":
        return m_tiles * n_tiles * params.rows
    return n_tiles * m


def encode_results(params: SystolicParams, c: np.ndarray) -> list[int]:
    """The result beats the array emits for C (M x N), in arrival order (the inverse of
    :func:`decode`; padding rows and columns are zero)."""
    m, n = c.shape
    rows, cols = params.rows, params.cols
    codec = PayloadCodec(result_layout(params))
    padded = np.zeros((-(-m // rows) * rows, -(-n // cols) * cols), dtype=object)
    padded[:m, :n] = c
    words = []
    if params.dataflow == "os":
        for m0 in range(0, m, rows):
            for n0 in range(0, n, cols):
                for i in range(rows):
                    words.append(codec.pack({"c": padded[m0 + i, n0:n0 + cols].tolist()}))
    else:
        for n0 in range(0, n, cols):
            for m0 in range(m):
                words.append(codec.pack({"c": padded[m0, n0:n0 + cols].tolist()}))
    return words


def decode(params: SystolicParams, m: int, k: int, n: int, words: list[int]) -> np.ndarray:
    """Assemble C (M x N, Python ints) from the result beats in arrival order.

    Raises:
        ValueError: if the number of beats is not what the GEMM produces.
    """
    expected = expected_result_beats(params, m, k, n)
    if len(words) != expected:
        raise ValueError(f"expected {expected} result beats, got {len(words)}")
    codec = PayloadCodec(result_layout(params))
    rows, cols = params.rows, params.cols
    out = np.zeros((-(-m // rows) * rows, -(-n // cols) * cols), dtype=object)
    beat = iter(words)
    if params.dataflow == "os":
        for m0 in range(0, m, rows):
            for n0 in range(0, n, cols):
                for i in range(rows):
                    out[m0 + i, n0:n0 + cols] = codec.unpack(next(beat), "c")
    else:
        for n0 in range(0, n, cols):
            for m0 in range(m):
                out[m0, n0:n0 + cols] = codec.unpack(next(beat), "c")
    return out[:m, :n]
