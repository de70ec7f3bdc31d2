"""Host side of the bit-serial array: a GEMM as operand beats, and its result beats.

The beat order is part of the contract with the analytic model in
``dse.models.bitserial``: for each M tile (``rows``), for each N tile (``cols``), for each
group of K, for each bit plane of the group's precision (most significant first), for each
chunk of ``lanes`` elements of the group: one beat (``hw.bitserial.array`` gives the flags).
Ragged tiles and chunks are padded with zeros.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from hw.bitserial.array import operand_layout, result_layout
from hw.bitserial.params import BitSerialParams
from sim.bitserial.golden import Operands
from sim.payload import PayloadCodec, pack_array


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _padded(matrix: np.ndarray, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=np.int64)
    out[:matrix.shape[0], :matrix.shape[1]] = matrix
    return out


def chunks(k0: int, k1: int, lanes: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each chunk of ``lanes`` elements of the group ``k0..k1``."""
    for start in range(k0, k1, lanes):
        yield start, min(start + lanes, k1)


def _plane(values: np.ndarray, bits: int, plane: int) -> np.ndarray:
    """Bit ``plane`` of each value's ``bits``-bit two's-complement pattern."""
    return ((values & ((1 << bits) - 1)) >> plane) & 1


def encode(params: BitSerialParams, operands: Operands) -> list[int]:
    """Operand beats (packed payload integers) that compute the scaled GEMM of
    ``operands``."""
    codec = PayloadCodec(operand_layout(params))
    rows, cols, lanes = params.rows, params.cols, params.lanes
    a, b = operands.a, operands.b
    m, k = a.shape
    n = b.shape[1]
    m_tiles, n_tiles = _ceil_div(m, rows), _ceil_div(n, cols)
    a_pad = _padded(a, m_tiles * rows, k + lanes)
    b_pad = _padded(b, k + lanes, n_tiles * cols)
    a_serial = params.serial == "activations"
    a_offset, a_width = codec.element("a")[:2]
    b_offset, b_width = codec.element("b")[:2]
    flag = {name: codec.field_word(name, 1) for name in ("start", "shift", "negate",
                                                         "group_last", "last")}
    last_group = len(operands.groups) - 1

    def lane_block(matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
        block = matrix.copy()
        block[:, stop - start:] = 0  # lanes past the group's end carry zeros
        return block

    beats: list[int] = []
    for mt in range(m_tiles):
        a_rows = a_pad[mt * rows:(mt + 1) * rows]
        for nt in range(n_tiles):
            b_cols = b_pad[:, nt * cols:(nt + 1) * cols].T  # cols x K
            for g, ((k0, k1), bits) in enumerate(zip(operands.groups, operands.group_bits,
                                                     strict=True)):
                scale = 0
                if params.scale_width:
                    row = np.zeros(cols, dtype=np.int64)
                    given = operands.scales[g, nt * cols:(nt + 1) * cols]
                    row[:len(given)] = given
                    scale = codec.field_word("scale", row.tolist())
                spans = list(chunks(k0, k1, lanes))
                a_blocks = [lane_block(a_rows[:, s:s + lanes], s, e) for s, e in spans]
                b_blocks = [lane_block(b_cols[:, s:s + lanes], s, e) for s, e in spans]
                a_words = b_words = None
                if not a_serial:
                    a_words = [pack_array(blk.ravel().tolist(), a_width) << a_offset
                               for blk in a_blocks]
                else:
                    b_words = [pack_array(blk.ravel().tolist(), b_width) << b_offset
                               for blk in b_blocks]
                for plane in range(bits - 1, -1, -1):
                    top = plane == bits - 1
                    if a_serial:
                        a_words = [pack_array(_plane(blk, bits, plane).ravel().tolist(), 1)
                                   << a_offset for blk in a_blocks]
                    else:
                        b_words = [pack_array(_plane(blk, bits, plane).ravel().tolist(), 1)
                                   << b_offset for blk in b_blocks]
                    assert a_words is not None and b_words is not None
                    for c in range(len(spans)):
                        word = a_words[c] | b_words[c] | scale
                        if c == 0:
                            word |= flag["start"] if top else flag["shift"]
                        if top and params.signed:
                            word |= flag["negate"]
                        if plane == 0 and c == len(spans) - 1:
                            word |= flag["group_last"]
                            if g == last_group:
                                word |= flag["last"]
                        beats.append(word)
    return beats


def encode_results(params: BitSerialParams, c: np.ndarray) -> list[int]:
    """The result beats for C (M x N), in arrival order: per tile, ``rows`` beats of
    ``cols`` totals (padding rows and columns are zero)."""
    m, n = c.shape
    rows, cols = params.rows, params.cols
    codec = PayloadCodec(result_layout(params))
    padded = np.zeros((_ceil_div(m, rows) * rows, _ceil_div(n, cols) * cols), dtype=object)
    padded[:m, :n] = c
    return [codec.pack({"c": padded[m0 + i, n0:n0 + cols].tolist()})
            for m0 in range(0, m, rows) for n0 in range(0, n, cols) for i in range(rows)]
