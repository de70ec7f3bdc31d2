"""Analytic cycle model of ``systolic-v1``: exactly the cycles the RTL takes.

Cycles count from the first operand handshake to the last result handshake, inclusive,
with a source that always offers a beat and a sink that always takes one (the stream order
of ``sim.systolic.driver``). Derivation, per dataflow:

Output-stationary. T = ceil(M/rows) * ceil(N/cols) tiles of K beats each. PE (i, j) sees a
beat 1 + i + j cycles after it is taken; row i of a tile leaves ``cols + 2 + i`` cycles after
the tile's last beat. The array takes a ``last`` beat only ``rows`` or more cycles after the
previous one, so consecutive last beats are ``max(K, rows)`` apart::

    cycles = (K - 1) + (T - 1) * max(K, rows) + rows + cols + 2

Weight-stationary. Tiles in order (N tile, M block of ``acc_depth``, K tile of ``rows``);
tile t streams ``Mb_t`` activation beats, stretched to ``max(Mb_t, kr_{t+1})`` beats so the
next tile's ``kr_{t+1}`` weight rows ride along; ``kr_0`` weight-only beats come first. A
result leaves ``rows + cols + 2`` cycles after its activation beat::

    cycles = kr_0 + sum_{t < T-1} max(Mb_t, kr_{t+1}) + Mb_{T-1} - 1 + rows + cols + 3

Activity (:func:`activity`): the events the RTL's activity taps count (``hw.systolic.array``
defines them), in closed form. Zero padding of ragged tiles is work the array does, so it
counts. Output-stationary, ``T * K`` beats, each carrying ``rows + cols`` elements through
all ``rows * cols`` PEs. Weight-stationary, with ``Nt`` N tiles, ``Kt`` K tiles and ``Mb``
M blocks: ``Nt * Kt * M`` activation beats of ``rows`` elements pass all PEs; each tile
loads its ``kr`` weight rows of ``cols`` elements (``Nt * Mb * K`` rows in all) and swaps
all ``rows * cols`` weights once; each output row reads and writes its accumulator row
once per K tile but the first (read) and the last (write).
"""

from __future__ import annotations

import dataclasses

from dse.models.common import ActivityCounts, ArrayCycleReport
from dse.workload import Gemm
from hw.systolic.params import SystolicParams


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def cycles(params: SystolicParams, gemm: Gemm) -> ArrayCycleReport:
    """Exact RTL cycles of ``gemm`` on the array ``params`` (see the module docstring)."""
    rows, cols = params.rows, params.cols
    m, k, n = gemm.m, gemm.k, gemm.n
    m_tiles, n_tiles = _ceil_div(m, rows), _ceil_div(n, cols)
    if params.dataflow == "os":
        tiles = m_tiles * n_tiles
        total = (k - 1) + (tiles - 1) * max(k, rows) + rows + cols + 2
        beats = tiles * k
        results = tiles * rows
    else:
        depth = params.acc_depth
        assert depth is not None
        k_tiles = _ceil_div(k, rows)
        k_sizes = [rows] * (k_tiles - 1) + [k - rows * (k_tiles - 1)]
        m_sizes = [depth] * (m // depth) + ([m % depth] if m % depth else [])
        first_kr, last_mb = k_sizes[0], m_sizes[-1]
        # Every tile but the last is stretched to the next tile's weight rows; within an
        # M block the "next" K tiles are a rotation of the block's own, so sum them whole
        # and correct for the very last tile, which has no successor.
        stretched = n_tiles * sum(max(mb, kr) for mb in m_sizes for kr in k_sizes)
        beats = first_kr + stretched - max(last_mb, first_kr) + last_mb
        total = beats - 1 + rows + cols + 3
        tiles = n_tiles * len(m_sizes) * k_tiles
        results = n_tiles * m
    # compute bound: cycles if every PE did a useful MAC every cycle
    return ArrayCycleReport(
        cycles=total, compute_bound=_ceil_div(gemm.macs, rows * cols), tiles=tiles,
        operand_beats=beats, result_beats=results, macs=gemm.macs, pes=rows * cols)


@dataclasses.dataclass(frozen=True)
class SystolicActivity(ActivityCounts):
    """Events of one GEMM on the array, as counted by the RTL's activity taps.

    ``pe_macs`` multiply-accumulates (zero padding included), ``operand_words`` /
    ``result_words`` elements streamed in / out, ``acc_reads`` / ``acc_writes`` accumulator
    memory rows (``cols`` accumulators each, ``ws`` only), ``weight_writes`` weight shadow
    registers written and ``weight_swaps`` weight registers loaded from them (``ws`` only).
    """

    pe_macs: int
    operand_words: int
    result_words: int
    acc_reads: int
    acc_writes: int
    weight_writes: int
    weight_swaps: int


#: Names of the activity counts, as the RTL taps and :class:`SystolicActivity` call them.
ACTIVITY_EVENTS = SystolicActivity.events()


def activity(params: SystolicParams, gemm: Gemm) -> SystolicActivity:
    """Exact activity counts of ``gemm`` on the array ``params`` (see the module docstring)."""
    rows, cols = params.rows, params.cols
    m, k, n = gemm.m, gemm.k, gemm.n
    n_tiles = _ceil_div(n, cols)
    if params.dataflow == "os":
        beats = _ceil_div(m, rows) * n_tiles * k
        return SystolicActivity(
            pe_macs=beats * rows * cols, operand_words=beats * (rows + cols),
            result_words=_ceil_div(m, rows) * n_tiles * rows * cols,
            acc_reads=0, acc_writes=0, weight_writes=0, weight_swaps=0)
    assert params.acc_depth is not None
    k_tiles = _ceil_div(k, rows)
    m_blocks = _ceil_div(m, params.acc_depth)
    activations = n_tiles * k_tiles * m
    weight_rows = n_tiles * m_blocks * k
    accumulations = n_tiles * m * (k_tiles - 1)
    return SystolicActivity(
        pe_macs=activations * rows * cols,
        operand_words=activations * rows + weight_rows * cols,
        result_words=n_tiles * m * cols, acc_reads=accumulations, acc_writes=accumulations,
        weight_writes=weight_rows * cols, weight_swaps=n_tiles * m_blocks * k_tiles * rows * cols)
