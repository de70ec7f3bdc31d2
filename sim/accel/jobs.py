"""Host side of an ``accel-v1`` simulation: a GEMM as a job for the system testbench
(``sim.accel.testbench``): the DRAM image (A and B in the layout of ``hw.accel.tiling`` for
the design's core, zero-padded), the command word, the DRAM settings, and the whole DRAM
as it must be afterwards (C from the golden model in its rows, zeros in its padding columns,
everything else untouched). The bit-serial core's golden model is ``sim.bitserial``'s (one
precision per job, no scales).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hw.accel.accelerator import COUNTERS, command_layout, core_counters
from hw.accel.params import AccelParams
from hw.accel.tiling import (
    DEFAULT_LATENCY,
    DramLayout,
    Mapping,
    beat_interval,
    check_latency,
    dram_bytes,
    dram_layout,
    padded_k,
    padded_m,
    padded_n,
    refusal,
    resolve_mapping,
)
from hw.params import ParamError
from sim.accel.system import DRAM_BYTES, POISON_BYTE
from sim.bitserial import golden as bitserial_golden
from sim.bitserial.jobs import exact_gemm as bitserial_gemm
from sim.systolic import golden
from sim.systolic.jobs import exact_gemm


def command_word(params: AccelParams, layout: DramLayout, m: int, k: int, n: int,
                 mapping: Mapping, bits: int | None = None) -> int:
    """The ``cmd`` payload of a job, packed as the layout orders its fields (``bits``: the
    bit-serial core's precision, default ``max_bits``).

    Raises:
        ParamError: for a value wider than its field.
    """
    values = {"a_addr": layout.a_addr, "b_addr": layout.b_addr, "c_addr": layout.c_addr,
              "lda": layout.lda, "ldb": layout.ldb, "ldc": layout.ldc, "m": m, "k": k, "n": n,
              "tm": mapping.tm, "tk": mapping.tk, "tn": mapping.tn,
              "order": 0 if mapping.order == "mnk" else 1,
              "bits": (params.max_bits or 0) if bits is None else bits}
    word = 0
    for name, field in command_layout(params):
        width = field.shape.width if hasattr(field.shape, "width") else int(field.shape)
        if values[name] >> width:
            raise ParamError(f"`{name}` = {values[name]} does not fit the command's "
                             f"{width}-bit field")
        word |= values[name] << field.offset
    return word


def _element_bytes(values: np.ndarray, width_bytes: int) -> np.ndarray:
    """Little-endian two's-complement bytes of integers (``values``: int64 or objects)."""
    mask = (1 << (8 * width_bytes)) - 1
    if values.dtype == object:
        as_unsigned = np.array([int(v) & mask for v in values.ravel()], dtype=np.uint64)
    else:
        as_unsigned = values.astype(np.int64).view(np.uint64) & np.uint64(mask)
    as_unsigned = as_unsigned.reshape(values.shape)
    return as_unsigned.astype(f"<u{width_bytes}").view(np.uint8).reshape(
        *values.shape[:-1], values.shape[-1] * width_bytes)


def hex_words(image: np.ndarray, bus: int) -> str:
    """``$readmemh`` text of a byte image: one bus word per line (byte 0 least significant)."""
    text = image.reshape(-1, bus)[:, ::-1].tobytes().hex()
    step = 2 * bus
    return "\n".join(text[i:i + step] for i in range(0, len(text), step)) + "\n"


def gemm_job(params: AccelParams, m: int, k: int, n: int, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0,
             mapping: Mapping | str | None = None, order: str | None = None,
             bandwidth: int | None = None, latency: int | None = None,
             bits: int | None = None, group_size: int | None = None) -> dict[str, Any]:
    """A job computing a seeded M x K x N GEMM with ``mapping`` (a ``Mapping``, or
    ``"TMxTKxTN"`` with ``order``; default: :func:`hw.accel.tiling.default_mapping`)
    against a DRAM of ``bandwidth`` bytes per cycle (default: the bus width) and
    ``latency`` cycles (default :data:`hw.accel.tiling.DEFAULT_LATENCY`), for the
    bit-serial core at ``bits`` of serial precision (default ``max_bits``). A mapping the
    hardware refuses, or a precision outside 1..``max_bits`` (up to 31, the command
    field's range), makes a job that expects the refusal (the error flag, DRAM untouched).

    Raises:
        ParamError: for a bad bandwidth or latency, ``gap_probability`` (the DRAM's pacing
            is set by the bandwidth), ``bits`` on the systolic core, a ``bits`` list or a
            ``group_size`` (one precision per job, no scale groups), or a job larger than
            the simulated DRAM.
    """
    if gap_probability:
        raise ParamError("accel-v1 takes no `gap_probability`: the DRAM model's bandwidth "
                         "and latency pace the AXI port")
    if group_size is not None:
        raise ParamError("accel-v1 takes no `group_size`: its bit-serial core runs one "
                         "precision per job, without scale groups")
    if params.core != "bitserial" and bits is not None:
        params.check_bits(bits)   # raises: the systolic core is bit-parallel
    if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int)):
        raise ParamError(f"`bits` must be one integer per accel-v1 job, not {bits!r}")
    if params.core == "bitserial" and bits is None:
        bits = params.max_bits
    bandwidth = params.bus_bytes if bandwidth is None else bandwidth
    latency = DEFAULT_LATENCY if latency is None else latency
    interval = beat_interval(params, bandwidth)
    check_latency(latency)
    mapping = resolve_mapping(params, m, k, n, mapping, order)
    layout = dram_layout(params, m, k, n)
    if layout.size + params.burst_bytes > DRAM_BYTES:
        raise ParamError(f"`gemm` {m}x{k}x{n} needs {layout.size:,} bytes of DRAM; the "
                         f"simulated DRAM has {DRAM_BYTES:,}")
    e, acc = params.element_bytes, params.acc_bytes
    image = np.full(layout.size, POISON_BYTE, dtype=np.uint8)
    if params.core == "bitserial":
        assert bits is not None and params.max_bits is not None
        operands = bitserial_golden.random_operands(
            params.bitserial_core, m, k, n, seed, values, min(max(bits, 1), params.max_bits))
        a, b = operands.a, operands.b
        a_rows, b_rows = _blocked_rows(params, layout, a, b)
    else:
        a, b = golden.random_operands(params.systolic_core, m, k, n, seed, values)
        a_stored = a.T if params.dataflow == "os" else a   # A^T for os, A for ws
        a_rows = np.zeros((a_stored.shape[0], layout.lda), dtype=np.uint8)
        a_rows[:, :a_stored.shape[1] * e] = _element_bytes(np.ascontiguousarray(a_stored), e)
        b_rows = np.zeros((padded_k(params, k), layout.ldb), dtype=np.uint8)  # past K: zeros
        b_rows[:k, :n * e] = _element_bytes(b, e)
    image[layout.a_addr:layout.a_addr + a_rows.size] = a_rows.ravel()
    image[layout.b_addr:layout.b_addr + b_rows.size] = b_rows.ravel()
    loaded = image[:layout.c_addr]
    refused = refusal(params, m, k, n, mapping, bits)
    expected = image.copy()
    if refused is None:
        if params.core == "bitserial":
            c = bitserial_gemm(params.bitserial_core, operands)
        else:
            c = exact_gemm(params.systolic_core, a, b)
        c_rows = np.full((m, layout.ldc), POISON_BYTE, dtype=np.uint8)
        c_rows[:, :padded_n(params, n) * acc] = 0
        c_rows[:, :n * acc] = _element_bytes(c, acc)
        expected[layout.c_addr:] = c_rows.ravel()
    bus = params.bus_bytes
    dump_words = -(-(layout.size + params.burst_bytes) // bus)
    expected = np.concatenate([expected, np.full(dump_words * bus - layout.size, POISON_BYTE,
                                                 dtype=np.uint8)])
    meta = {"m": m, "k": k, "n": n, "seed": seed, "values": values, "gap_probability": 0.0,
            "macs": m * k * n, "mapping": mapping.to_json(), "bandwidth": bandwidth,
            "latency": latency, "refused": refused}
    if bits is not None:
        meta["bits"] = bits
    return {"meta": meta,
            "command": str(command_word(params, layout, m, k, n, mapping, bits)),
            "counters": [*COUNTERS, *core_counters(params)],
            "interval": interval, "latency": latency, "image": hex_words(loaded, bus),
            "expected": hex_words(expected, bus), "dump_words": dump_words,
            "expect_error": refused is not None,
            "max_cycles": _cycle_limit(params, m, k, n, mapping, interval, latency,
                                       bits or 1)}


def _blocked_rows(params: AccelParams, layout: DramLayout, a: np.ndarray, b: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The DRAM rows of A and B for the bit-serial core (``hw.accel.tiling``): per chunk
    of ``lanes`` of K, the chunk's elements of every row of A (of every column of B) in
    turn, zero-padded to the padded M (N) and K."""
    (m, k), n = a.shape, b.shape[1]
    lanes, e = params.k_lanes, params.element_bytes
    m_pad, n_pad, k_pad = padded_m(params, m), padded_n(params, n), padded_k(params, k)
    chunks = k_pad // lanes
    a_pad = np.zeros((m_pad, k_pad), dtype=np.int64)
    a_pad[:m, :k] = a
    b_pad = np.zeros((k_pad, n_pad), dtype=np.int64)
    b_pad[:k, :n] = b
    a_blocked = a_pad.reshape(m_pad, chunks, lanes).transpose(1, 0, 2).reshape(chunks, -1)
    b_blocked = b_pad.reshape(chunks, lanes, n_pad).transpose(0, 2, 1).reshape(chunks, -1)
    a_rows = np.zeros((chunks, layout.lda), dtype=np.uint8)
    a_rows[:, :m_pad * lanes * e] = _element_bytes(np.ascontiguousarray(a_blocked), e)
    b_rows = np.zeros((chunks, layout.ldb), dtype=np.uint8)
    b_rows[:, :n_pad * lanes * e] = _element_bytes(np.ascontiguousarray(b_blocked), e)
    return a_rows, b_rows


def _cycle_limit(params: AccelParams, m: int, k: int, n: int, mapping: Mapping,
                 interval: int, latency: int, bits: int = 1) -> int:
    """Cycles after which a job counts as hung: far above any schedule (every beat its own
    burst paying the latency, every core tile its full drain, ``bits`` beats per element
    of K for the bit-serial core)."""
    read, written = dram_bytes(params, m, k, n, mapping)
    beats = (read + written) // params.bus_bytes
    steps = -(-m // mapping.tm) * -(-n // mapping.tn) * -(-k // mapping.tk) + 2
    core_tiles = -(-m // params.rows) * -(-n // params.cols) * -(-k // mapping.tk)
    compute = core_tiles * (mapping.tk * bits + 2 * (params.rows + params.cols) + 8)
    return 100_000 + 2 * (beats * (interval + latency + 4) + compute
                          + steps * (2 * latency + 64))
