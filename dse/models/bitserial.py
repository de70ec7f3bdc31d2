"""Analytic cycle, activity and energy model of ``bitserial-v1``: exactly the cycles and
events of the RTL.

Cycles count from the first operand handshake to the last result handshake, inclusive,
with a source that always offers a beat and a sink that always takes one, in the beat order
of ``sim.bitserial.driver``. A tile (``rows`` x ``cols`` outputs) streams, per group ``g``
of K (``group_size`` elements at ``b_g`` bits), ``L_g = ceil(size_g / lanes) * b_g``
beats. Only a group's final beat can be held back (``hw.bitserial.array``): it is taken at

    t_g = max(t_prev + L_g, t_prev_group + S, t_prev_tile + rows if it ends the tile)

where ``t_prev`` is the previous beat, ``t_prev_group`` the previous group's final beat,
``t_prev_tile`` the previous tile's final beat, ``S`` = ``scale_width`` (the
dequantization step of the previous group is busy for ``S`` cycles). After a tile the three
times coincide, so every tile after the first takes the same time ``P``; the last tile's
final beat is at ``t_1 + (T - 1) P`` for ``T = ceil(M / rows) * ceil(N / cols)`` tiles, and
its ``rows`` results leave ``S + 2`` cycles later::

    cycles = t_1 + (T - 1) * P + S + rows + 2

Activity (:func:`activity`): the events the RTL's taps count, in closed form (zero padding
of ragged tiles and chunks included: the array does that work).

Energy (:func:`energy`), events times the energies of ``dse.models.energy``'s table
(clock-gated: only events cost):

- ``pe_adders``: per PE step, the adder tree over ``lanes`` words (``lanes - 1`` adds of
  ``parallel_width`` bits; the bit-select AND gates are not counted) and the
  ``acc_width``-bit shift-and-add into the group accumulator;
- ``pe_registers``: per PE step, the ``acc_width``-bit group accumulator written;
- ``input_registers``: per beat, the broadcast register of the whole beat written;
- ``dequant``: per dequantization step an ``acc_width`` add and two ``acc_width`` registers
  (total and shifted sum); per group hand-over one ``acc_width`` register (and, without
  scales, the add into the total);
- ``offchip``: every streamed bit from or to DRAM (serial bits, parallel words, scales,
  results), at the 64-bit DRAM access energy scaled by bits / 64.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from dse.models.area import lane_tree_bits
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
from hw.bitserial.params import MAX_LANES, MAX_SIDE, SERIAL_OPERANDS, BitSerialParams
from hw.params import ParamError


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def group_beats(params: BitSerialParams, gemm: Gemm) -> list[int]:
    """Beats of each group of K in one tile: chunks of ``lanes`` times the group's bits.

    Raises:
        ParamError: if a group's precision exceeds ``max_bits``.
    """
    bits = [params.check_bits(b) for b in gemm.group_bits(params.max_bits)]
    return [_ceil_div(k1 - k0, params.lanes) * b
            for (k0, k1), b in zip(gemm.groups(), bits, strict=True)]


def cycles(params: BitSerialParams, gemm: Gemm) -> ArrayCycleReport:
    """Exact RTL cycles of ``gemm`` on ``params`` (see the module docstring).

    Raises:
        ParamError: if the GEMM's precision exceeds ``max_bits``.
    """
    beats = group_beats(params, gemm)
    scale, rows = params.scale_width, params.rows
    tiles = _ceil_div(gemm.m, rows) * _ceil_div(gemm.n, params.cols)

    def tile_end(start: int, previous_group: float, previous_tile: float) -> int:
        t = start
        for index, length in enumerate(beats):
            t = int(max(t + length, previous_group + scale))
            if index == len(beats) - 1:
                t = int(max(t, previous_tile + rows))
            previous_group = t
        return t

    first = tile_end(-1, float("-inf"), float("-inf"))
    period = tile_end(0, 0, 0) if tiles > 1 else 0
    last = first + (tiles - 1) * period
    per_tile = sum(beats)
    # compute bound: the beats, if no group or tile end were ever held back
    return ArrayCycleReport(
        cycles=last + scale + rows + 2, compute_bound=tiles * per_tile, tiles=tiles,
        operand_beats=tiles * per_tile, result_beats=tiles * rows, macs=gemm.macs,
        pes=params.pes)


@dataclasses.dataclass(frozen=True)
class BitSerialActivity(ActivityCounts):
    """Events of one GEMM on the array, as counted by the RTL's activity taps
    (``hw.bitserial.array`` defines them)."""

    pe_steps: int
    group_adds: int
    dequant_steps: int
    serial_bits: int
    parallel_words: int
    scale_words: int
    result_words: int


#: Names of the activity counts, as the RTL taps and :class:`BitSerialActivity` call them.
ACTIVITY_EVENTS = BitSerialActivity.events()


def activity(params: BitSerialParams, gemm: Gemm) -> BitSerialActivity:
    """Exact activity counts of ``gemm`` on ``params``."""
    beats_per_tile = sum(group_beats(params, gemm))
    tiles = _ceil_div(gemm.m, params.rows) * _ceil_div(gemm.n, params.cols)
    beats = tiles * beats_per_tile
    groups = tiles * len(gemm.groups())
    serial_side = params.cols if params.serial == "weights" else params.rows
    parallel_side = params.rows + params.cols - serial_side
    return BitSerialActivity(
        pe_steps=beats * params.pes, group_adds=groups * params.pes,
        dequant_steps=groups * params.scale_width * params.pes,
        serial_bits=beats * serial_side * params.lanes,
        parallel_words=beats * parallel_side * params.lanes,
        scale_words=groups * params.cols if params.scale_width else 0,
        result_words=tiles * params.rows * params.cols)


def energy_of_activity(params: BitSerialParams, counts: BitSerialActivity, useful_macs: int,
                       table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the events ``counts`` on ``params`` (see the module docstring).

    Raises:
        ValueError: if ``useful_macs`` is not positive.
    """
    table = table or default_energy_table()
    acc, width, lanes = params.acc_width, params.parallel_width, params.lanes
    register_bit = table.register_write_bit.energy_pj
    add_acc = table.int_add.at(acc)
    a_width, b_width = params.serial_widths
    beat_bits = ((params.rows * a_width + params.cols * b_width) * lanes
                 + params.cols * params.scale_width + 5)  # operands, scales, flags
    beats = counts.pe_steps // params.pes
    hand_over = acc * register_bit + (0.0 if params.scale_width else add_acc)
    return make_report(table, counts, useful_macs, {
        "pe_adders": counts.pe_steps * ((lanes - 1) * table.int_add.at(width) + add_acc),
        "pe_registers": counts.pe_steps * acc * register_bit,
        "input_registers": beats * beat_bits * register_bit,
        "dequant": (counts.dequant_steps * (add_acc + 2 * acc * register_bit)
                    + counts.group_adds * hand_over),
    }, (counts.serial_bits + counts.parallel_words * width
        + counts.scale_words * params.scale_width + counts.result_words * acc))


def energy(params: BitSerialParams, gemm: Gemm, table: EnergyTable | None = None
           ) -> EnergyReport:
    """Predicted energy of ``gemm`` on ``params`` (the default table unless ``table``)."""
    return energy_of_activity(params, activity(params, gemm), gemm.macs, table)


def energy_from_counters(params: BitSerialParams, counters: Mapping[str, int],
                         useful_macs: int, table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the activity an instrumented RTL simulation counted.

    Raises:
        KeyError: naming a missing activity count.
        ValueError: if ``useful_macs`` is not positive.
    """
    return energy_of_activity(params, BitSerialActivity.from_counters(counters), useful_macs,
                              table)


# --- area features ----------------------------------------------------------------


#: LUTs of a PE's lane adder tree on ECP5, measured: per parallel width, the LUTs of a 1x1
#: array with ``lanes`` = 1..16 minus those with one lane (``bench/area_bitserial_tree.py``,
#: ``bench/results/area_bitserial_tree.md``; a test holds this table to that json). ABC maps
#: the tree into LUTs irregularly in the lane count, so no closed form follows it.
ECP5_LANE_TREE_LUTS: dict[int, tuple[int, ...]] = {
    2: (0, 22, 26, 43, 30, 52, 63, 76, 80, 116, 113, 133, 135, 140, 160, 152),
    3: (0, 30, 30, 34, 53, 68, 94, 125, 142, 144, 199, 205, 198, 244, 254, 278),
    5: (0, 14, 42, 49, 88, 108, 183, 164, 188, 290, 283, 314, 329, 339, 362, 383),
    8: (0, 19, 62, 75, 131, 164, 304, 256, 274, 464, 465, 537, 537, 562, 586, 625),
    11: (0, 26, 77, 96, 188, 222, 415, 339, 373, 632, 635, 723, 698, 778, 802, 876),
    13: (0, 30, 86, 110, 222, 261, 481, 388, 441, 738, 743, 828, 814, 931, 915, 976),
    16: (0, 35, 101, 130, 271, 306, 542, 453, 525, 908, 929, 1022, 962, 1103, 1105, 1182),
}


def lane_tree_luts(lanes: int, width: int) -> float:
    """The measured ECP5 LUTs of a lane tree (:data:`ECP5_LANE_TREE_LUTS`), linear between
    the measured widths; past 16 lanes (outside the table and the area samples) scaled from
    16 by the tree's output bits (:func:`~dse.models.area.lane_tree_bits`)."""
    widths = sorted(ECP5_LANE_TREE_LUTS)
    measured_lanes = len(ECP5_LANE_TREE_LUTS[widths[0]])
    column = min(lanes, measured_lanes) - 1
    luts = float(np.interp(width, widths, [ECP5_LANE_TREE_LUTS[w][column] for w in widths]))
    if lanes > measured_lanes:
        luts *= lane_tree_bits(lanes, width) / lane_tree_bits(measured_lanes, width)
    return luts


def bitserial_features(params: BitSerialParams, target: str) -> dict[str, float]:
    """Features of ``bitserial-v1`` from the structure in ``hw.bitserial.array`` (``P`` PEs,
    ``A`` accumulator width, ``W`` parallel width, ``L`` lanes, ``S`` scale width):

    - ``one``, ``pes``: fixed and per-PE control;
    - ``select_bits = P * L * W``: the bit-select of each lane's word;
    - ``tree_bits``: output bits of every PE's lane adder tree (:func:`lane_tree_bits`);
    - ``tree_luts``: the LUTs every PE's lane tree takes on ECP5, measured
      (:func:`lane_tree_luts`; the ECP5 model's tree feature in place of ``select_bits``
      and ``tree_bits``);
    - ``negate_bits = P * (W + ceil(log2 L))``: the negation of each PE's lane sum;
    - ``acc_bits = P * A``: per PE the group accumulator (start / shift / negate and add),
      the total and the result register with its capture multiplexer;
    - ``drain_bits = (rows - 1) * cols * A``: the result rows shifting towards the port;
    - ``dequant_bits = P * A`` when ``S`` > 0, else 0: the shifted sum and its scale-bit
      select;
    - ``beat_bits``: the registered operand beat (operands, scales, flags);
    - ``scale_bits = cols * S``: the per-column scale shift registers.

    No multiplier: DSPs stay zero.
    """
    pes, lanes = params.pes, params.lanes
    a_width, b_width = params.serial_widths
    scaled = params.scale_width > 0
    return {
        "one": 1.0, "pes": float(pes),
        "select_bits": float(pes * lanes * params.parallel_width),
        "tree_bits": float(pes * lane_tree_bits(lanes, params.parallel_width)),
        "tree_luts": pes * lane_tree_luts(lanes, params.parallel_width),
        "negate_bits": float(pes * (params.parallel_width + (lanes - 1).bit_length())),
        "acc_bits": float(pes * params.acc_width),
        "drain_bits": float((params.rows - 1) * params.cols * params.acc_width),
        "dequant_bits": float(pes * params.acc_width) if scaled else 0.0,
        "beat_bits": float((params.rows * a_width + params.cols * b_width) * lanes
                           + params.cols * params.scale_width + 5),
        "scale_bits": float(params.cols * params.scale_width),
    }


# --- batch forms (dse.models.batch: the same operations, in the same order, on arrays) ---


def _precision_failure(max_bits: int, gemm: Gemm) -> str:
    """Why :func:`group_beats` refuses ``gemm`` on a design of ``max_bits`` ('' if not)."""
    smallest = BitSerialParams(max_bits=max_bits, parallel_width=2, acc_width=64)
    try:
        group_beats(smallest, gemm)
    except ParamError as error:
        return str(error)
    return ""


def _batch_group_beats(columns: Columns, gemm: Gemm) -> list[np.ndarray]:
    """:func:`group_beats` of every design (whatever its ``max_bits`` allows)."""
    max_bits, lanes = columns["max_bits"], columns["lanes"]
    bits: list[np.ndarray | int] = (
        [max_bits] * len(gemm.groups()) if gemm.bits is None else list(gemm.group_bits(1)))
    return [ceil_div(k1 - k0, lanes) * b for (k0, k1), b in zip(gemm.groups(), bits,
                                                                strict=True)]


def batch_cycles(columns: Columns, gemm: Gemm) -> BatchCycles:
    """:func:`cycles` (its ``cycles`` and ``pes``) of every design in ``columns``; where the
    GEMM's precision exceeds ``max_bits``, the scalar model's error as the failure."""
    beats = _batch_group_beats(columns, gemm)
    scale, rows = columns["scale_width"], columns["rows"]
    tiles = ceil_div(gemm.m, rows) * ceil_div(gemm.n, columns["cols"])

    def tile_end(start: int, previous_group: np.ndarray | None,
                 previous_tile: np.ndarray | None) -> np.ndarray:
        t: np.ndarray | int = start
        for index, length in enumerate(beats):
            t = t + length if previous_group is None else np.maximum(
                t + length, previous_group + scale)
            if index == len(beats) - 1 and previous_tile is not None:
                t = np.maximum(t, previous_tile + rows)
            previous_group = np.asarray(t)
        return np.asarray(t)

    first = tile_end(-1, None, None)
    zero = np.zeros(len(rows), dtype=np.int64)
    period = np.where(tiles > 1, tile_end(0, zero, zero), 0)
    last = first + (tiles - 1) * period
    failure = None
    if gemm.bits is not None:
        failure = per_unique(lambda b: _precision_failure(b, gemm), columns["max_bits"],
                             dtype=object)
    return BatchCycles(cycles=(last + scale + rows + 2).astype(np.int64),
                       pes=(rows * columns["cols"]).astype(np.int64), failure=failure)


def batch_energy(columns: Columns, gemm: Gemm, table: EnergyTable | None = None
                 ) -> np.ndarray:
    """:func:`energy`'s ``total_pj`` of every design in ``columns``."""
    table = table or default_energy_table()
    rows, cols, lanes = columns["rows"], columns["cols"], columns["lanes"]
    acc, width, scale = columns["acc_width"], columns["parallel_width"], columns["scale_width"]
    pes = rows * cols
    # activity
    beats_per_tile = sum(_batch_group_beats(columns, gemm))
    tiles = ceil_div(gemm.m, rows) * ceil_div(gemm.n, cols)
    beats = tiles * beats_per_tile
    groups = tiles * len(gemm.groups())
    weights_serial = columns["serial"] == "weights"
    serial_side = np.where(weights_serial, cols, rows)
    parallel_side = rows + cols - serial_side
    pe_steps = beats * pes
    group_adds = groups * pes
    dequant_steps = groups * scale * pes
    serial_bits = beats * serial_side * lanes
    parallel_words = beats * parallel_side * lanes
    scale_words = np.where(scale > 0, groups * cols, 0)
    result_words = tiles * rows * cols
    # energy_of_activity
    register_bit = table.register_write_bit.energy_pj
    add_acc = per_unique(table.int_add.at, acc)
    a_width = np.where(weights_serial, width, 1)
    b_width = np.where(weights_serial, 1, width)
    beat_bits = (rows * a_width + cols * b_width) * lanes + cols * scale + 5
    beats = pe_steps // pes
    hand_over = acc * register_bit + np.where(scale > 0, 0.0, add_acc)
    on_chip = (pe_steps * ((lanes - 1) * per_unique(table.int_add.at, width) + add_acc)
               + pe_steps * acc * register_bit
               + beats * beat_bits * register_bit
               + (dequant_steps * (add_acc + 2 * acc * register_bit) + group_adds * hand_over))
    offchip_bits = serial_bits + parallel_words * width + scale_words * scale + result_words * acc
    return on_chip + offchip_bits / 64 * table.dram_access_64b.energy_pj


def batch_features(columns: Columns, target: str) -> dict[str, np.ndarray]:
    """:func:`bitserial_features` of every design in ``columns``."""
    rows, cols, lanes = columns["rows"], columns["cols"], columns["lanes"]
    width, acc, scale = columns["parallel_width"], columns["acc_width"], columns["scale_width"]
    pes = rows * cols
    weights_serial = columns["serial"] == "weights"
    a_width = np.where(weights_serial, width, 1)
    b_width = np.where(weights_serial, 1, width)
    features = {
        "one": np.ones(len(rows)), "pes": pes,
        "select_bits": pes * lanes * width,
        "tree_bits": pes * per_unique(lane_tree_bits, lanes, width, dtype=np.int64),
        "tree_luts": pes * per_unique(lane_tree_luts, lanes, width),
        "negate_bits": pes * (width + per_unique(lambda n: (n - 1).bit_length(), lanes,
                                                 dtype=np.int64)),
        "acc_bits": pes * acc,
        "drain_bits": (rows - 1) * cols * acc,
        "dequant_bits": np.where(scale > 0, pes * acc, 0),
        "beat_bits": (rows * a_width + cols * b_width) * lanes + cols * scale + 5,
        "scale_bits": cols * scale,
    }
    return {name: values.astype(np.float64) for name, values in features.items()}


def batch_check(columns: Columns) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``BitSerialParams``' validation of every design in ``columns``: the values (the
    class changes none) and whether the class accepts each design."""
    width, max_bits, acc = (columns["parallel_width"], columns["max_bits"],
                            columns["acc_width"])
    valid = (in_range(columns["rows"], 1, MAX_SIDE) & in_range(columns["cols"], 1, MAX_SIDE)
             & in_range(columns["lanes"], 1, MAX_LANES) & in_range(max_bits, 1, 16)
             & in_range(width, 2, 16) & np.isin(columns["serial"], SERIAL_OPERANDS)
             & is_bool(columns["signed"]) & in_range(columns["scale_width"], 0, 16)
             & in_range(acc, 0, 64) & (acc >= width + max_bits))
    return dict(columns), valid


MODELS = FamilyModels("bitserial-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters,
                      area_features=bitserial_features,
                      batch=BatchModels(batch_cycles, batch_energy, batch_features,
                                        batch_check))
