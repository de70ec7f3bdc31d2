"""Analytic models of ``systolic-v1``: exactly the cycles the RTL takes, its activity and
energy, and the features of its area model.

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
import math
from collections.abc import Mapping

import numpy as np

from dse.models.area import dsp_adder_width, map_memory, on_dsp
from dse.models.batch import (
    BatchCycles,
    BatchModels,
    Columns,
    ceil_div,
    in_range,
    is_bool,
    per_unique,
)
from dse.models.common import ActivityCounts, ArrayCycleReport
from dse.models.energy import EnergyReport, EnergyTable, default_energy_table, make_report
from dse.models.family import FamilyModels
from dse.workload import Gemm
from hw.systolic.params import DATAFLOWS, DEFAULT_ACC_DEPTH, MAX_SIDE, SystolicParams


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


# --- energy -----------------------------------------------------------------------


def energy_of_activity(params: SystolicParams, counts: SystolicActivity, useful_macs: int,
                       table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the events ``counts`` on ``params`` (``useful_macs`` sets pJ per MAC).

    Raises:
        ValueError: if ``useful_macs`` is not positive.
    """
    table = table or default_energy_table()
    width, acc_width, cols = params.input_width, params.acc_width, params.cols
    register_bit = table.register_write_bit.energy_pj
    mac = table.int_multiply.at(width) + table.int_add.at(acc_width)
    pe_bits = (2 * width if params.dataflow == "os" else width) + acc_width
    accumulator = 0.0
    if params.acc_depth is not None:
        row_bits = cols * acc_width
        capacity_kib = params.acc_depth * row_bits / 8 / 1024
        accumulator = ((counts.acc_reads + counts.acc_writes)
                       * table.sram_access_64b.at(capacity_kib) * row_bits / 64)
    return make_report(table, counts, useful_macs, {
        "mac": counts.pe_macs * mac,
        "pe_registers": counts.pe_macs * pe_bits * register_bit,
        "weight_registers": (counts.weight_writes + counts.weight_swaps) * width * register_bit,
        "accumulator": accumulator,
    }, counts.operand_words * width + counts.result_words * acc_width)


def energy(params: SystolicParams, gemm: Gemm, table: EnergyTable | None = None) -> EnergyReport:
    """Predicted energy of ``gemm`` on ``params`` (the default table unless ``table``)."""
    return energy_of_activity(params, activity(params, gemm), gemm.macs, table)


def energy_from_counters(params: SystolicParams, counters: Mapping[str, int], useful_macs: int,
                         table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the activity an instrumented RTL simulation counted (``SimResult.counters``).

    Raises:
        KeyError: naming a missing activity count.
        ValueError: if ``useful_macs`` is not positive.
    """
    return energy_of_activity(params, SystolicActivity.from_counters(counters), useful_macs,
                              table)


# --- area features ----------------------------------------------------------------


#: Rows whose signed partial sums Yosys narrows (``synth_ecp5`` merges the sign-extension
#: flip-flops of the first three rows only; unsigned zero extension is dropped in every row,
#: except where the products stay in logic: then, as signed, in the first three rows only).
SIGNED_NARROWED_ROWS = 3
#: ``hw.systolic.array`` reads its ws accumulator memory transparent to the write port
#: (``read_port(transparent_for=(write,))``), which sets how Yosys maps it
#: (:func:`dse.models.area.map_memory`).
ACCUMULATOR_READ_TRANSPARENT = True
#: Input widths from which Yosys' signed products in logic cost about three times as much
#: per bit of sign extension (iCE40 probes: 2 LUTs per bit up to 4-bit inputs, 6 at 5 bits).
WIDE_SOFT_INPUT_WIDTH = 5

_SYSTOLIC_OS = ("one", "pes", "pe_acc_bits", "pe_input_bits", "skew_bits", "column_acc_bits",
                "deskew_acc_bits", "pick_bits", "logic_acc_bits", "soft_sign_extension_bits",
                "wide_soft_sign_extension_bits")
_SYSTOLIC_WS = ("one", "pes", "psum_bits", "psum_adder_bits", "pe_input_bits", "skew_bits",
                "column_acc_bits", "deskew_psum_bits", "lutram_cells", "lutram_mux_bits",
                "bram_blocks", "address_bits", "memory_ff_bits", "bram_mux_bits",
                "ram_width_bits", "logic_psum_adder_bits", "soft_sign_extension_bits",
                "wide_soft_sign_extension_bits", "row_input_bits")


def psum_widths(params: SystolicParams, products_in_logic: bool = False,
                adders_in_dsp: bool = False) -> list[int]:
    """Bits Yosys keeps of each row's partial sums (``ws``): row ``i`` adds ``i + 1``
    products of ``2 * input_width`` bits, so ``min(acc_width, 2 * input_width + i)``; signed
    sums, and unsigned ones whose products stay in logic (``products_in_logic``: iCE40
    under 11 product bits), only in the first :data:`SIGNED_NARROWED_ROWS` rows, the others
    keep ``acc_width``; unsigned sums whose adders all go into the DSP blocks
    (``adders_in_dsp``: iCE40 up to a 33-bit accumulator, :func:`logic_adder_bits`) keep
    ``acc_width`` in every row if there are adders, two rows or more (read from Yosys'
    netlists)."""
    acc, product = params.acc_width, 2 * params.input_width
    if adders_in_dsp and not params.signed and params.rows > 1:
        return [acc] * params.rows
    limited = params.signed or products_in_logic
    return [min(acc, product + i) if not limited or i < SIGNED_NARROWED_ROWS else acc
            for i in range(params.rows)]


def sign_extension_bits(widths: list[int], input_width: int) -> int:
    """Bits of adders of ``widths`` above the ``2 * input_width``-bit products they add:
    where a signed product stays in logic, Yosys extends its partial products across them
    (a register wider than its adder only copies the sign)."""
    return sum(max(0, width - 2 * input_width) for width in widths)


def logic_adder_bits(adders: list[int], absorbed: int, signed: bool, acc_width: int,
                     registers: list[int]) -> int:
    """Bits of the partial-sum adders (:func:`psum_adder_widths`) left in logic beside DSP
    blocks that take in adders of up to ``absorbed`` bits: signed, every wider one, and
    every one whose partial-sum register (``registers``, rows 1..: :func:`psum_widths`) is
    wider (the block's output register holds the sum: from the fourth row on, a signed
    register keeps ``acc_width`` bits; a sweep of ws 4x2 arrays of signed 11-bit inputs
    over the accumulator width, session 19: exact up to 33 bits, then 51 LUTs over the
    model from 34 bits on, the two columns' fourth-row adders of 25 bits); unsigned, none
    if the accumulator of ``acc_width`` bits fits the block, else every one but the first
    (read from the iCE40 netlists' SB_CARRY counts: ``ice40_dsp`` packs the adders before
    Yosys narrows them, and one post-adder of an unsigned column only when they are wider;
    probes of ws 6x2 arrays with 8-bit inputs pack every adder up to a 33-bit accumulator,
    one from 34 bits)."""
    if absorbed == 0:
        return sum(adders)
    if signed:
        return sum(bits for bits, register in zip(adders, registers, strict=True)
                   if bits > absorbed or register > absorbed)
    if acc_width <= absorbed:
        return 0
    return sum(adders[1:]) + sum(bits for bits in adders[:1] if bits > absorbed)


def psum_adder_widths(widths: list[int], input_width: int, acc_width: int) -> list[int]:
    """Widths of the partial-sum adders of rows 1.. (``widths``: :func:`psum_widths`): row
    ``i > 0`` adds a product to row ``i - 1``'s sum, one bit wider than the wider of the
    two (the adder is narrowed even where the register is not)."""
    return [min(acc_width, max(below, 2 * input_width) + 1) for below in widths[:-1]]


def systolic_features(params: SystolicParams, target: str) -> dict[str, float]:
    """Area features of ``systolic-v1``; every name is present, zero where it does not
    apply. Per dataflow (``os.*`` or ``ws.*``, zero
for the other dataflow) from the structure in ``hw.systolic.array``; ``R`` rows, ``C``
columns, ``P = R * C`` PEs, ``B`` input width, ``A`` accumulator width:

- ``one``, ``pes``: fixed control, and per-PE control;
- ``pe_input_bits = P * B``: forwarded operands (``ws``: also weight and shadow registers
  and the weight select);
- ``skew_bits = (R (R + 1) / 2 + C (C + 1) / 2) * B``: input skew registers;
- ``column_acc_bits = C * A``: per-column result registers (``ws``: the accumulator adders,
  the memory's read register and the result registers);
- ``os`` only: ``pe_acc_bits = P * A`` (accumulator and result registers, adders),
  ``logic_acc_bits``: the accumulator adders' bits left in logic (``P * A`` unless the
  target's DSP block takes in the whole adder, :func:`dse.models.area.dsp_adder_width`:
  on iCE40 up to 33 bits), ``deskew_acc_bits = C (C - 1) / 2 * A`` (result deskew) and
  ``pick_bits = C * A * ceil((2 R - 1) / 3)`` (LUT4s of the per-column OR of done-gated
  results over the rows: 2 R inputs per bit, each LUT4 taking four and giving one);
- ``ws`` only: ``psum_bits`` and ``psum_adder_bits`` (partial-sum registers, and the
  adders of rows 1.., narrowed as Yosys does: :func:`psum_widths`),
  ``logic_psum_adder_bits`` (of those adder bits, the ones a DSP block does not take in),
  ``row_input_bits = R * B`` (the activations gated by their valid flag as they enter),
  ``deskew_psum_bits`` (deskew and staging registers of the bottom row's width), and the
  accumulator memory of
  ``acc_depth`` words of ``C * A`` bits mapped as Yosys ``memory_libmap`` does for the
  target (:func:`map_memory`): ``lutram_cells`` (distributed RAM primitives),
  ``lutram_mux_bits`` (read multiplexing across them), ``bram_blocks``, ``bram_mux_bits``
  (read multiplexing across DP16KD blocks in depth), ``ram_width_bits`` (``C * A`` where
  the memory is RAM: its read and write ports' logic), ``memory_ff_bits`` (a memory of
  depth 1 is flip-flops) and ``address_bits``;
- ``multipliers``: DSP blocks, one per PE where the target's DSP takes the ``B`` x ``B``
  product (:func:`dse.models.area.on_dsp`: on ECP5 every product, even 2 x 2 bits, is a
  MULT18X18D; on iCE40 products of fewer than 11 bits stay in logic), else 0;
- ``soft_multiplier_bits = P * B * B`` where the products stay in logic, else 0;
  ``soft_signed_multiplier_bits``, the same where they are also signed;
- ``soft_sign_extension_bits`` (per dataflow) where signed products stay in logic: the bits
  of the adders above the ``2 B``-bit products (:func:`sign_extension_bits`: ``P * (A -
  2 B)`` for ``os``, ``C`` times that of the partial-sum adders for ``ws``), across which
  Yosys extends the partial products; ``wide_soft_sign_extension_bits`` the same from
  :data:`WIDE_SOFT_INPUT_WIDTH` bits on (about three times the cost per bit).

    Raises:
        AreaModelError: for a ``ws`` design on a target without memory primitives.
    """
    rows, cols, width, acc = params.rows, params.cols, params.input_width, params.acc_width
    pes = rows * cols
    absorbed = dsp_adder_width(width, width, target)
    dsp = on_dsp(width, width, target)
    signed_soft = params.signed and not dsp
    wide = width >= WIDE_SOFT_INPUT_WIDTH
    common = {"one": 1.0, "pes": float(pes), "pe_input_bits": float(pes * width),
              "skew_bits": (rows * (rows + 1) + cols * (cols + 1)) / 2 * width,
              "column_acc_bits": float(cols * acc)}
    output_stationary = dict.fromkeys(_SYSTOLIC_OS, 0.0)
    weight_stationary = dict.fromkeys(_SYSTOLIC_WS, 0.0)
    if params.dataflow == "os":
        # per column and bit, an OR over rows of (done pulse AND result): 2 R inputs into a
        # tree of LUT4s, each taking four and giving one
        output_stationary.update(common, pe_acc_bits=float(pes * acc),
                                 logic_acc_bits=float(pes * acc if acc > absorbed else 0),
                                 deskew_acc_bits=cols * (cols - 1) / 2 * acc,
                                 pick_bits=float(cols * acc * _ceil_div(2 * rows - 1, 3)))
        extension = pes * sign_extension_bits([acc], width) if signed_soft else 0
        output_stationary.update(soft_sign_extension_bits=float(extension),
                                 wide_soft_sign_extension_bits=float(extension if wide else 0))
    else:
        assert params.acc_depth is not None
        widths = psum_widths(params, products_in_logic=not dsp,
                             adders_in_dsp=0 < acc <= absorbed)
        adders = psum_adder_widths(widths, width, acc)
        extension = cols * sign_extension_bits(adders, width) if signed_soft else 0
        mapping = map_memory(cols * acc, params.acc_depth, target,
                             transparent=ACCUMULATOR_READ_TRANSPARENT)
        weight_stationary.update(
            common, psum_bits=float(cols * sum(widths)),
            psum_adder_bits=float(cols * sum(adders)),
            logic_psum_adder_bits=float(cols * logic_adder_bits(adders, absorbed,
                                                                params.signed, acc,
                                                                widths[1:])),
            soft_sign_extension_bits=float(extension),
            wide_soft_sign_extension_bits=float(extension if wide else 0),
            row_input_bits=float(rows * width),
            # deskew registers and the staging register, of the bottom row's width
            deskew_psum_bits=cols * (cols + 1) / 2 * widths[-1],
            address_bits=float(max(1, math.ceil(math.log2(params.acc_depth)))))
        if mapping.kind == "lutram":
            weight_stationary.update(lutram_cells=float(mapping.cells),
                                     lutram_mux_bits=float(mapping.mux_bits),
                                     ram_width_bits=float(cols * acc))
        elif mapping.kind == "bram":
            weight_stationary.update(bram_blocks=float(mapping.cells),
                                     bram_mux_bits=float(mapping.mux_bits),
                                     ram_width_bits=float(cols * acc))
        else:  # flip-flops (a depth of 1)
            weight_stationary["memory_ff_bits"] = float(cols * acc * params.acc_depth)
    return {"multipliers": float(pes) if dsp else 0.0,
            "soft_multiplier_bits": 0.0 if dsp else float(pes * width * width),
            "soft_signed_multiplier_bits": float(pes * width * width) if signed_soft else 0.0,
            **{f"os.{name}": value for name, value in output_stationary.items()},
            **{f"ws.{name}": value for name, value in weight_stationary.items()}}


# --- batch forms (dse.models.batch: the same operations, in the same order, on arrays) ---


def batch_cycles(columns: Columns, gemm: Gemm) -> BatchCycles:
    """:func:`cycles` (its ``cycles`` and ``pes``) of every design in ``columns``."""
    rows, cols, depth = columns["rows"], columns["cols"], columns["acc_depth"]
    m, k, n = gemm.m, gemm.k, gemm.n
    m_tiles, n_tiles = ceil_div(m, rows), ceil_div(n, cols)
    output_stationary = (k - 1) + (m_tiles * n_tiles - 1) * np.maximum(k, rows) + rows + cols + 2
    depth = np.where(depth > 0, depth, 1)  # output-stationary designs: unused
    k_tiles = ceil_div(k, rows)
    last_kr = k - rows * (k_tiles - 1)
    full_blocks, rest = m // depth, m % depth
    # the sum over M blocks and K tiles of max(Mb, kr), as the scalar model's double loop
    block = (k_tiles - 1) * np.maximum(depth, rows) + np.maximum(depth, last_kr)
    partial = (k_tiles - 1) * np.maximum(rest, rows) + np.maximum(rest, last_kr)
    stretched = n_tiles * (full_blocks * block + np.where(rest > 0, partial, 0))
    first_kr = np.where(k_tiles > 1, rows, last_kr)
    last_mb = np.where(rest > 0, rest, depth)
    beats = first_kr + stretched - np.maximum(last_mb, first_kr) + last_mb
    weight_stationary = beats - 1 + rows + cols + 3
    total = np.where(columns["dataflow"] == "os", output_stationary, weight_stationary)
    return BatchCycles(cycles=total.astype(np.int64), pes=(rows * cols).astype(np.int64))


def batch_energy(columns: Columns, gemm: Gemm, table: EnergyTable | None = None
                 ) -> np.ndarray:
    """:func:`energy`'s ``total_pj`` of every design in ``columns``."""
    table = table or default_energy_table()
    rows, cols, depth = columns["rows"], columns["cols"], columns["acc_depth"]
    width, acc_width = columns["input_width"], columns["acc_width"]
    output_stationary = columns["dataflow"] == "os"
    m, k, n = gemm.m, gemm.k, gemm.n
    # activity, per dataflow
    n_tiles = ceil_div(n, cols)
    os_beats = ceil_div(m, rows) * n_tiles * k
    k_tiles = ceil_div(k, rows)
    m_blocks = ceil_div(m, np.where(depth > 0, depth, 1))
    activations = n_tiles * k_tiles * m
    weight_rows = n_tiles * m_blocks * k
    accumulations = np.where(output_stationary, 0, n_tiles * m * (k_tiles - 1))
    pe_macs = np.where(output_stationary, os_beats, activations) * rows * cols
    operand_words = np.where(output_stationary, os_beats * (rows + cols),
                             activations * rows + weight_rows * cols)
    result_words = np.where(output_stationary, ceil_div(m, rows) * n_tiles * rows * cols,
                            n_tiles * m * cols)
    weights = np.where(output_stationary, 0,
                       weight_rows * cols + n_tiles * m_blocks * k_tiles * rows * cols)
    # energy_of_activity
    register_bit = table.register_write_bit.energy_pj
    mac = (per_unique(table.int_multiply.at, width)
           + per_unique(table.int_add.at, acc_width))
    pe_bits = np.where(output_stationary, 2 * width, width) + acc_width
    row_bits = cols * acc_width
    capacity_kib = depth * row_bits / 8 / 1024
    sram = per_unique(lambda kib: table.sram_access_64b.at(kib) if kib > 0 else 0.0,
                      capacity_kib)
    accumulator = np.where(output_stationary, 0.0,
                           (accumulations + accumulations) * sram * row_bits / 64)
    on_chip = (pe_macs * mac + pe_macs * pe_bits * register_bit
               + weights * width * register_bit + accumulator)
    offchip = (operand_words * width + result_words * acc_width) / 64 \
        * table.dram_access_64b.energy_pj
    return on_chip + offchip


def _psum_sums(rows: int, width: int, acc_width: int, signed: bool, absorbed: int,
               dsp: bool) -> tuple[int, int, int, int, int]:
    """Of :func:`psum_widths` (products on a DSP block or not): their sum, the partial-sum
    adders' bits and those of them left in logic beside a DSP block taking in ``absorbed``
    bits (as :func:`systolic_features` counts them), the bottom row's width and the adders'
    :func:`sign_extension_bits`."""
    widths = psum_widths(SystolicParams(rows=rows, input_width=width, acc_width=acc_width,
                                        signed=signed, dataflow="ws"),
                         products_in_logic=not dsp, adders_in_dsp=0 < acc_width <= absorbed)
    adders = psum_adder_widths(widths, width, acc_width)
    return (sum(widths), sum(adders),
            logic_adder_bits(adders, absorbed, signed, acc_width, widths[1:]),
            widths[-1], sign_extension_bits(adders, width))


def _memory_features(width: int, depth: int, target: str
                     ) -> tuple[float, float, float, float, float, float]:
    """``lutram_cells``, ``lutram_mux_bits``, ``bram_blocks``, ``memory_ff_bits``,
    ``bram_mux_bits`` and ``ram_width_bits`` of an accumulator memory, as
    :func:`systolic_features` has them."""
    mapping = map_memory(width, depth, target, transparent=ACCUMULATOR_READ_TRANSPARENT)
    if mapping.kind == "lutram":
        return float(mapping.cells), float(mapping.mux_bits), 0.0, 0.0, 0.0, float(width)
    if mapping.kind == "bram":
        return 0.0, 0.0, float(mapping.cells), 0.0, float(mapping.mux_bits), float(width)
    return 0.0, 0.0, 0.0, float(width * depth), 0.0, 0.0


def batch_features(columns: Columns, target: str) -> dict[str, np.ndarray]:
    """:func:`systolic_features` of every design in ``columns``.

    Raises:
        AreaModelError: for a ``ws`` design on a target without memory primitives.
    """
    rows, cols, width = columns["rows"], columns["cols"], columns["input_width"]
    acc, depth = columns["acc_width"], columns["acc_depth"]
    output_stationary = columns["dataflow"] == "os"
    ws = ~output_stationary
    pes = rows * cols
    common = {"one": np.ones(len(rows)), "pes": pes.astype(np.float64),
              "pe_input_bits": (pes * width).astype(np.float64),
              "skew_bits": (rows * (rows + 1) + cols * (cols + 1)) / 2 * width,
              "column_acc_bits": (cols * acc).astype(np.float64)}
    absorbed = per_unique(lambda w: dsp_adder_width(w, w, target), width, dtype=np.int64)
    dsp = per_unique(lambda w: on_dsp(w, w, target), width, dtype=bool)
    signed_soft = columns["signed"].astype(bool) & ~dsp
    wide = width >= WIDE_SOFT_INPUT_WIDTH
    os_extension = np.where(signed_soft, pes * np.maximum(0, acc - 2 * width), 0
                            ).astype(np.float64)
    os_only = {"pe_acc_bits": (pes * acc).astype(np.float64),
               "soft_sign_extension_bits": os_extension,
               "wide_soft_sign_extension_bits": np.where(wide, os_extension, 0.0),
               "logic_acc_bits": np.where(acc > absorbed, pes * acc, 0).astype(np.float64),
               "deskew_acc_bits": cols * (cols - 1) / 2 * acc,
               "pick_bits": (cols * acc * ceil_div(2 * rows - 1, 3)).astype(np.float64)}
    ws_only = dict.fromkeys(("psum_bits", "psum_adder_bits", "logic_psum_adder_bits",
                             "soft_sign_extension_bits", "wide_soft_sign_extension_bits",
                             "row_input_bits", "deskew_psum_bits",
                             "lutram_cells", "lutram_mux_bits", "bram_blocks",
                             "address_bits"), np.zeros(len(rows)))
    if ws.any():
        psums = per_unique(_psum_sums, rows[ws], width[ws], acc[ws], columns["signed"][ws],
                           absorbed[ws], dsp[ws], dtype=np.int64)
        memory = per_unique(lambda w, d: _memory_features(w, d, target), (cols * acc)[ws],
                            depth[ws])
        address = per_unique(lambda d: float(max(1, math.ceil(math.log2(d)))), depth[ws])
        on_ws = {"psum_bits": (cols[ws] * psums[:, 0]).astype(np.float64),
                 "psum_adder_bits": (cols[ws] * psums[:, 1]).astype(np.float64),
                 "logic_psum_adder_bits": (cols[ws] * psums[:, 2]).astype(np.float64),
                 "soft_sign_extension_bits": np.where(
                     signed_soft[ws], cols[ws] * psums[:, 4], 0).astype(np.float64),
                 "wide_soft_sign_extension_bits": np.where(
                     signed_soft[ws] & wide[ws], cols[ws] * psums[:, 4], 0).astype(np.float64),
                 "row_input_bits": (rows[ws] * width[ws]).astype(np.float64),
                 "deskew_psum_bits": cols[ws] * (cols[ws] + 1) / 2 * psums[:, 3],
                 "lutram_cells": memory[:, 0], "lutram_mux_bits": memory[:, 1],
                 "bram_blocks": memory[:, 2], "memory_ff_bits": memory[:, 3],
                 "bram_mux_bits": memory[:, 4], "ram_width_bits": memory[:, 5],
                 "address_bits": address}
        for name, values in on_ws.items():
            ws_only[name] = np.zeros(len(rows))
            ws_only[name][ws] = values
    features = {"multipliers": np.where(dsp, pes, 0).astype(np.float64),
                "soft_multiplier_bits": np.where(dsp, 0, pes * width * width).astype(np.float64),
                "soft_signed_multiplier_bits": np.where(signed_soft, pes * width * width, 0
                                                        ).astype(np.float64)}
    for name in _SYSTOLIC_OS:
        features[f"os.{name}"] = np.where(output_stationary, {**common, **os_only}[name], 0.0)
    for name in _SYSTOLIC_WS:
        features[f"ws.{name}"] = np.where(ws, {**common, **ws_only}[name], 0.0)
    return features


def batch_check(columns: Columns) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``SystolicParams``' validation of every design in ``columns`` (an unset
    ``acc_depth`` is 0): the effective values (``ws`` designs without a depth get
    :data:`DEFAULT_ACC_DEPTH`) and whether the class accepts each design."""
    rows, cols, width = columns["rows"], columns["cols"], columns["input_width"]
    acc, depth, dataflow = columns["acc_width"], columns["acc_depth"], columns["dataflow"]
    output_stationary = dataflow == "os"
    depth = np.where(~output_stationary & (depth == 0), DEFAULT_ACC_DEPTH, depth)
    valid = (in_range(rows, 1, MAX_SIDE) & in_range(cols, 1, MAX_SIDE)
             & in_range(width, 2, 16) & in_range(acc, 0, 64) & (acc >= 2 * width)
             & is_bool(columns["signed"]) & np.isin(dataflow, DATAFLOWS)
             & np.where(output_stationary, depth == 0, in_range(depth, 1, 65536)))
    return {**columns, "acc_depth": depth}, valid


def systolic_clock_features(params: SystolicParams, target: str) -> dict[str, float]:
    """The clock model's own feature of ``systolic-v1``: ``clock_soft_product_bits``, the
    square of the input width where the target leaves the products in logic (``on_dsp``,
    as the area features decide it: on iCE40 below 11 product bits), else 0; such a
    product's adder array, not a DSP block, sets the clock there."""
    width = params.input_width
    return {"clock_soft_product_bits": 0.0 if on_dsp(width, width, target)
            else float(width * width)}


def batch_clock_features(columns: Columns, target: str) -> dict[str, np.ndarray]:
    """:func:`systolic_clock_features` of every design in ``columns``."""
    width = columns["input_width"]
    dsp = per_unique(lambda w: on_dsp(w, w, target), width, dtype=bool)
    return {"clock_soft_product_bits": np.where(dsp, 0, width * width).astype(np.float64)}


MODELS = FamilyModels("systolic-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters,
                      area_features=systolic_features,
                      clock_features=systolic_clock_features,
                      batch=BatchModels(batch_cycles, batch_energy, batch_features,
                                        batch_check, batch_clock_features))
