"""Stream beats packed in bulk with numpy, as the harness reads them (``sim.stream_files``):
one row of little-endian 32-bit words per beat.

A job's beats as a list of hex strings cost about a microsecond each to build and as much
again to parse; a GEMM of millions of cycles has millions of beats. The families' job
builders pack large jobs with :func:`pack_fields` instead, vectorized over the beats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sim.stream_files import words_per_beat

#: Jobs up to this many operand beats also carry them as hex strings (``beats``,
#: ``expected``), the form tests edit by hand; larger ones carry only the packed words.
HEX_BEATS_LIMIT = 1 << 16


def stream_job(meta: dict[str, Any], operand_words: np.ndarray, expected_words: np.ndarray,
               *, gap_probability: float, seed: int) -> dict[str, Any]:
    """A job of ``sim.stream_testbench``: the packed operand and golden result beats, and
    for a job of at most :data:`HEX_BEATS_LIMIT` operand beats the same as hex strings."""
    job: dict[str, Any] = {"meta": meta, "operand_words": operand_words,
                           "expected_words": expected_words,
                           "gap_probability": gap_probability, "seed": seed}
    if len(operand_words) <= HEX_BEATS_LIMIT:
        job.update(beats=hex_beats(operand_words), expected=hex_beats(expected_words))
    return job


def pack_fields(count: int, width: int,
                fields: Iterable[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """``count`` beats of ``width`` bits, as a ``(count, words)`` ``uint32`` array, whose
    field at bit ``offset`` of ``field_width`` bits (at most 64) holds ``values`` (integers,
    two's complement if negative, broadcast to ``count``).

    Raises:
        ValueError: if a field is wider than 64 bits or reaches past ``width``.
    """
    words = words_per_beat(width)
    out = np.zeros((count, words + 1), dtype=np.uint64)
    for offset, field_width, values in fields:
        if field_width > 64 or offset + field_width > width:
            raise ValueError(f"a {field_width}-bit field at bit {offset} does not fit "
                             f"{width}-bit beats of at most 64-bit fields")
        bits = np.broadcast_to(np.asarray(values, dtype=np.int64), (count,)).astype(np.uint64)
        if field_width < 64:
            bits = bits & np.uint64((1 << field_width) - 1)
        for piece in range(-(-field_width // 32)):
            part = (bits >> np.uint64(32 * piece)) & np.uint64(0xFFFFFFFF)
            index, shift = divmod(offset + 32 * piece, 32)
            part = part << np.uint64(shift)
            out[:, index] |= part & np.uint64(0xFFFFFFFF)
            out[:, index + 1] |= part >> np.uint64(32)
    return out[:, :words].astype(np.uint32)


def array_fields(offset: int, element_width: int,
                 elements: Sequence[np.ndarray]) -> list[tuple[int, int, np.ndarray]]:
    """The fields of an array field at ``offset``: element ``i`` (values per beat) at
    ``offset + i * element_width``."""
    return [(offset + index * element_width, element_width, values)
            for index, values in enumerate(elements)]


def tile_rows(left: np.ndarray, right: np.ndarray, common: np.ndarray) -> np.ndarray:
    """The beats of every (left tile, right tile) pair in that order, each the OR of
    ``left[i]`` (``(left tiles, beats, words)``), ``right[j]`` (``(right tiles, beats,
    words)``) and ``common`` (``(beats, words)``): the ``(left * right * beats, words)``
    beats of a GEMM whose operand fields depend on the M tile or the N tile alone."""
    beats, words = common.shape
    out = np.empty((left.shape[0], right.shape[0], beats, words), dtype=np.uint32)
    np.bitwise_or(left[:, None], right[None, :], out=out)
    out |= common
    return out.reshape(-1, words)


def tile_result_words(c: np.ndarray, rows: int, cols: int, offset: int, width: int,
                      beat_width: int) -> np.ndarray:
    """C (M x N, int64) as the result beats of an array of ``rows`` x ``cols`` results per
    tile: per M tile, per N tile, the tile's ``rows`` rows (zero-padded), element ``j`` of
    a row at bit ``offset + j * width`` of a ``beat_width``-bit beat."""
    m, n = c.shape
    m_tiles, n_tiles = -(-m // rows), -(-n // cols)
    padded = np.zeros((m_tiles * rows, n_tiles * cols), dtype=np.int64)
    padded[:m, :n] = c
    flat = padded.reshape(m_tiles, rows, n_tiles, cols).transpose(0, 2, 1, 3).reshape(-1, cols)
    return pack_fields(len(flat), beat_width,
                       array_fields(offset, width, [flat[:, j] for j in range(cols)]))


def wrap_int64(values: np.ndarray, width: int, is_signed: bool) -> np.ndarray:
    """Exact int64 results reduced modulo ``2**width`` (``width`` <= 62; two's complement
    if signed), as :func:`sim.golden.wrap` does for Python integers."""
    wrapped = values & np.int64((1 << width) - 1)
    if is_signed:
        half = np.int64(1 << (width - 1))
        wrapped = np.where(wrapped >= half, wrapped - (half << np.int64(1)), wrapped)
    return wrapped


def words_from_ints(beats: Sequence[int], width: int) -> np.ndarray:
    """Beats given as Python integers, packed like :func:`pack_fields`."""
    size = 4 * words_per_beat(width)
    data = b"".join(int(beat).to_bytes(size, "little") for beat in beats)
    return np.frombuffer(data, dtype="<u4").reshape(len(beats), size // 4).astype(np.uint32)


def hex_beats(words: np.ndarray) -> list[str]:
    """Packed beats as hex strings (the job form of ``sim.stream_testbench``)."""
    rows = np.ascontiguousarray(words, dtype="<u4")
    return [format(int.from_bytes(row.tobytes(), "little"), "x") for row in rows]
