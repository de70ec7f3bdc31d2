"""Host side of a bit-serial simulation: one GEMM as a job for the stream testbench
(operand beats and the golden model's result beats).

The beats are packed with numpy (``sim.beats``), vectorized over the tiles and the beats of
a tile (no per-beat Python loop); :func:`sim.bitserial.driver.encode` is the beat-by-beat
reference they equal. The golden GEMM runs in floating point where that is exact (every
partial sum below 2**53), else in the golden model's Python integers. Small jobs also carry
their beats as hex strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.bitserial.array import FLAGS, operand_layout, result_layout
from hw.bitserial.params import BitSerialParams
from sim.beats import (
    array_fields,
    pack_fields,
    stream_job,
    tile_result_words,
    tile_rows,
    words_from_ints,
    wrap_int64,
)
from sim.bitserial import driver, golden
from sim.family import OperandsJob
from sim.payload import PayloadCodec


def gemm_job(params: BitSerialParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0,
             bits: int | tuple[int, ...] | None = None,
             group_size: int | None = None) -> dict[str, Any]:
    """A job computing a seeded random M x K x N GEMM of kind ``values`` at ``bits`` of
    serial precision (an int, or one per group of ``group_size`` K elements; default
    ``max_bits``) with random per-group scales.

    Raises:
        ParamError: if ``bits`` exceeds the design's ``max_bits`` or a size is invalid.
    """
    if isinstance(bits, list):
        bits = tuple(bits)
    operands = golden.random_operands(params, m, k, n, seed, values, bits, group_size)
    return operands_job(params, operands, seed=seed, values=values,
                        gap_probability=gap_probability,
                        per_group=isinstance(bits, tuple | list), group_size=group_size)


def operands_job(params: BitSerialParams, operands: golden.Operands, *, seed: int = 0,
                 values: str = "given", gap_probability: float = 0.0,
                 per_group: bool = False, group_size: int | None = None,
                 computed: np.ndarray | None = None) -> dict[str, Any]:
    """A job computing ``operands`` (e.g. a network layer's activations and weights at
    their precision); the golden model (or ``computed``, its result when the caller has
    it) gives the expected result beats."""
    (m, k), n = operands.a.shape, operands.b.shape[1]
    operand_words = encode_words(params, operands)
    if computed is None:
        computed = exact_gemm(params, operands)
    expected_words = result_words(params, computed)
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values,
            "gap_probability": gap_probability, "macs": m * k * n,
            "bits": list(operands.group_bits) if per_group else operands.group_bits[0],
            "group_size": group_size}
    return stream_job(meta, operand_words, expected_words,
                      gap_probability=gap_probability, seed=seed)


def exact_gemm(params: BitSerialParams, operands: golden.Operands) -> np.ndarray:
    """:func:`sim.bitserial.golden.gemm` as int64, in float64 matrix products where every
    partial sum is below 2**53 (exact) and ``acc_width`` allows; otherwise the golden
    model's Python integers."""
    a, b = operands.a, operands.b
    bound = (1 << (params.parallel_width + params.max_bits + params.scale_width)) \
        * max(1, a.shape[1])
    if bound >= 1 << 53 or params.acc_width > 62:
        return np.asarray(golden.gemm(params, operands))
    total = np.zeros((a.shape[0], b.shape[1]))
    for g, (k0, k1) in enumerate(operands.groups):
        product = a[:, k0:k1].astype(np.float64) @ b[k0:k1, :].astype(np.float64)
        total += product * operands.scales[g].astype(np.float64)
    return wrap_int64(np.rint(total).astype(np.int64), params.acc_width, params.signed)


def encode_words(params: BitSerialParams, operands: golden.Operands) -> np.ndarray:
    """:func:`sim.bitserial.driver.encode` as packed words (``sim.beats``): the beats of
    one tile (per group, per bit plane from the top, per chunk of ``lanes``) are one
    schedule, and A's fields (per M tile), B's and the scales (per N tile) and the flags
    are packed once each and OR-ed over every tile pair."""
    codec = PayloadCodec(operand_layout(params))
    rows, cols, lanes = params.rows, params.cols, params.lanes
    a, b = operands.a, operands.b
    m, k = a.shape
    n = b.shape[1]
    m_tiles, n_tiles = -(-m // rows), -(-n // cols)
    a_pad = np.zeros((m_tiles * rows, k + lanes), dtype=np.int64)
    a_pad[:m, :k] = a
    b_pad = np.zeros((k + lanes, n_tiles * cols), dtype=np.int64)
    b_pad[:k, :n] = b
    schedule = _tile_schedule(params, operands)
    start, length, plane, bits, group = (schedule[name] for name in
                                         ("k_start", "length", "plane", "bits", "group"))
    steps = len(start)

    def lane_values(matrix: np.ndarray, lane: int, serial: bool) -> np.ndarray:
        values = np.where(lane < length, matrix, 0)  # lanes past the group's end: zeros
        if serial:
            values = ((values & ((1 << bits) - 1)) >> plane) & 1
        return values

    a_serial = params.serial == "activations"
    a_tiles = a_pad.reshape(m_tiles, rows, k + lanes)
    a_offset, a_width = codec.element("a")[:2]
    a_words = pack_fields(m_tiles * steps, codec.width, array_fields(a_offset, a_width, [
        lane_values(a_tiles[:, r, start + lane], lane, a_serial).ravel()
        for r in range(rows) for lane in range(lanes)]))
    b_tiles = b_pad.reshape(k + lanes, n_tiles, cols)
    b_offset, b_width = codec.element("b")[:2]
    b_fields = array_fields(b_offset, b_width, [
        lane_values(b_tiles[start + lane, :, c].T, lane, not a_serial).ravel()
        for c in range(cols) for lane in range(lanes)])
    if params.scale_width:
        scales = np.zeros((len(operands.groups), n_tiles * cols), dtype=np.int64)
        scales[:, :n] = operands.scales
        scale_offset, scale_width = codec.element("scale")[:2]
        b_fields += array_fields(scale_offset, scale_width, [
            scales.reshape(-1, n_tiles, cols)[group, :, c].T.ravel() for c in range(cols)])
    b_words = pack_fields(n_tiles * steps, codec.width, b_fields)
    flag_words = pack_fields(steps, codec.width, [
        (codec.element(name)[0], 1, schedule[name]) for name in FLAGS])
    return tile_rows(a_words.reshape(m_tiles, steps, -1), b_words.reshape(n_tiles, steps, -1),
                     flag_words)


def _tile_schedule(params: BitSerialParams, operands: golden.Operands
                   ) -> dict[str, np.ndarray]:
    """Per beat of one tile: the chunk's first K index, its length, the bit plane, the
    group's precision and index, and each flag of :data:`hw.bitserial.array.FLAGS`
    (``sim.bitserial.driver.encode``'s order)."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in (
        "k_start", "length", "plane", "bits", "group", *FLAGS)}
    last_group = len(operands.groups) - 1
    for g, ((k0, k1), bits) in enumerate(zip(operands.groups, operands.group_bits,
                                             strict=True)):
        starts = np.arange(k0, k1, params.lanes)
        chunks = len(starts)
        plane = np.repeat(np.arange(bits - 1, -1, -1), chunks)
        chunk = np.tile(np.arange(chunks), bits)
        top, first = plane == bits - 1, chunk == 0
        group_last = (plane == 0) & (chunk == chunks - 1)
        parts["k_start"].append(np.tile(starts, bits))
        parts["length"].append(np.tile(np.minimum(starts + params.lanes, k1) - starts, bits))
        parts["plane"].append(plane)
        parts["bits"].append(np.full(len(plane), bits))
        parts["group"].append(np.full(len(plane), g))
        parts["start"].append(first & top)
        parts["shift"].append(first & ~top)
        parts["negate"].append(top & params.signed)
        parts["group_last"].append(group_last)
        parts["last"].append(group_last & (g == last_group))
    return {name: np.concatenate(values).astype(np.int64) for name, values in parts.items()}


def result_words(params: BitSerialParams, c: np.ndarray) -> np.ndarray:
    """:func:`sim.bitserial.driver.encode_results` as packed words (``sim.beats``)."""
    codec = PayloadCodec(result_layout(params))
    if c.dtype == object:
        return words_from_ints(driver.encode_results(params, c), codec.width)
    offset, width = codec.element("c")[:2]
    return tile_result_words(c, params.rows, params.cols, offset, width, codec.width)


def network_operands_job(params: BitSerialParams, a: np.ndarray, b: np.ndarray,
                         bits: int | None = None) -> OperandsJob:
    """A job on given operands (a network layer's activations and weights) with the serial
    operand at ``bits`` (default ``max_bits``), one group and unit scales, with what the
    array computes for them and the ranges of A and B."""
    serial_bits = params.max_bits if bits is None else int(bits)
    operands = golden.Operands(a, b, np.ones((1, b.shape[1]), dtype=np.int64),
                               (serial_bits,), ((0, a.shape[1]),))
    parallel = params.operand_range(params.parallel_width)
    serial = params.operand_range(serial_bits)
    ranges = (parallel, serial) if params.serial == "weights" else (serial, parallel)
    computed = exact_gemm(params, operands)
    return OperandsJob(operands_job(params, operands, computed=computed), computed, ranges)
