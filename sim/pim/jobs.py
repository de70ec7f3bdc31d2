"""Host side of a PIM simulation: a GEMV (W: R x C, x: C) as a job for the PIM testbench:
the bank images W is stored as, x, the golden y and the design's port layouts."""

from __future__ import annotations

from typing import Any

import numpy as np
from amaranth.hdl import Shape
from amaranth.lib import data

from hw.params import ParamError
from hw.pim.controller import (
    ROWS_WIDTH,
    cmd_layout,
    job_layout,
    rdata_layout,
    result_layout,
)
from hw.pim.params import PimParams
from sim.golden import draw


def _fields(layout: data.StructLayout) -> dict[str, Any]:
    return {"width": Shape.cast(layout).width,
            "fields": {name: [field.offset, Shape.cast(field.shape).width]
                       for name, field in layout}}


def design_config(params: PimParams) -> dict[str, Any]:
    """What the testbench needs to know of the design: layouts, timing, geometry."""
    return {
        "layout": {"cmd": _fields(cmd_layout(params)), "rdata": _fields(rdata_layout(params)),
                   "result": _fields(result_layout(params)), "job": _fields(job_layout())},
        "channels": params.channels, "banks": params.banks, "rows": params.rows,
        "columns": params.columns, "lanes": params.lanes,
        "element_width": params.element_width, "acc_width": params.acc_width,
        "pim_mode": params.pim_mode, "timing": params.timing_values.as_dict(),
    }


def bank_images(params: PimParams, w: np.ndarray) -> list[list[list[Any]]]:
    """Per channel, ``[bank, row, col, lanes values]`` for every stored column of W."""
    rows, cols = w.shape
    chunks = params.chunks(cols)
    padded = np.zeros((rows, chunks * params.lanes), dtype=np.int64)
    padded[:, :cols] = w
    images: list[list[list[Any]]] = [[] for _ in range(params.channels)]
    for r in range(rows):
        channel, bank, index = params.place(r, rows)
        for chunk in range(chunks):
            row, col = params.address(index, chunk, cols)
            images[channel].append(
                [bank, row, col, padded[r, chunk * params.lanes:(chunk + 1) * params.lanes]
                 .tolist()])
    return images


def gemv_job(params: PimParams, m: int, k: int, n: int = 1, *, seed: int = 0,
             values: str = "random", gap_probability: float = 0.0) -> dict[str, Any]:
    """A job computing y = W x for a seeded random W (``m`` x ``k``) and x (``k``): the
    GEMM M x K x N with N = 1.

    Raises:
        ParamError: if ``n`` is not 1, back-pressure is asked for (the DRAM bus has none),
            or the matrix does not fit the banks.
    """
    if n != 1:
        raise ParamError(f"pim-v1 runs GEMVs: the GEMM's N must be 1, not {n}")
    if gap_probability:
        raise ParamError("pim-v1 results have no back-pressure: `gap_probability` must be 0")
    params.check_gemv(m, k)
    rng = np.random.default_rng(seed)
    high = (1 << (params.element_width - 1)) - 1
    w = draw(rng, (m, k), -high - 1, high, values)
    x = draw(rng, (k,), -high - 1, high, values)
    y = (w.astype(object) @ x.astype(object)) % (1 << params.acc_width)
    chunks = params.chunks(k)
    padded_x = np.zeros(chunks * params.lanes, dtype=np.int64)
    padded_x[:k] = x
    job_word = m | (k << ROWS_WIDTH)
    per_bank = params.rows_per_bank(m) * chunks
    return {
        "meta": {"m": m, "k": k, "n": 1, "seed": seed, "values": values,
                 "gap_probability": 0.0, "macs": m * k},
        "design": design_config(params), "job_word": job_word, "chunks": chunks,
        "memory": bank_images(params, w), "x": padded_x.tolist(),
        "expected": [int(v) for v in y],
        # generous: every access on its own with full row cycles and refreshes
        "max_cycles": 10_000 + 4 * per_bank * params.banks
        * (params.timing_values.ras + params.timing_values.rp + 8),
    }
