"""Analytic models of ``accel-v1``: exactly the cycles, DRAM bytes, SRAM accesses and
stall cycles the RTL takes for a GEMM, a mapping and a DRAM (bandwidth, latency); energy
from cited per-access tables; the BRAM count of its buffers.

All are pure functions of (design, GEMM, mapping, bandwidth, latency), in the canonical
DRAM layout of ``hw.accel.tiling`` (rows on burst boundaries, so every row of a tile splits
into the same bursts).

Cycles (the RTL's ``cycles`` counter: command taken to done). The controller runs a check
cycle, then steps (``hw.accel.accelerator``): a launch cycle, the wait for both engines,
an advance cycle. With ``D`` the cycles the DMA is busy and ``C`` those the compute engine
is (both counted from the cycle after launch)::

    cycles = 1 + sum over steps (max(D, C) + 3)
    stall_cycles = sum over steps max(0, D - C)

``C = T_core + 3`` for a step that computes (0 otherwise): one cycle to read the first
beat from the scratchpad, the core's own cycles from first operand to last result (output-
stationary: :func:`dse.models.systolic.cycles` of the padded tile; weight-stationary:
:func:`_compute`, the accelerator's own beat order), and two to add the last result into
the accumulator and see the engine idle. ``D = 1 + sum over transfers (1 + R)``: a set-up
cycle per transfer and one to find none left, with ``R`` the cycles a transfer runs, from
the DRAM model's rules (``sim.accel.system``) as a recurrence over its bursts
(:func:`_read_transfer`, :func:`_write_transfer`): a burst issues one cycle after the
previous one once fewer than ``outstanding`` are in flight; data beats leave the DRAM at
least ``max(latency, 2)`` cycles after their request (the request enters the model's queue
at the end of its handshake cycle) and at most one every ``interval`` cycles, reads and
writes alike, carried from one transfer to the next.

The recurrence runs once per burst (a few per tile row), so a model evaluation costs
O(bursts); a vectorized mapper (issue 19) can group steps of equal shape.

The bit-serial core (``core`` ``bitserial``) runs at the job's precision ``bits``
(``Gemm.bits``, one integer; default ``max_bits``): the feeder gives it one beat per cycle
from the scratchpad (per core tile, per bit plane, per chunk of ``lanes`` of the tile's
padded K), so ``T_core`` is :func:`dse.models.bitserial.cycles` of the padded tile at that
precision, its events :func:`dse.models.bitserial.activity`'s (:class:`AccelBitSerialActivity`),
and its energy :func:`dse.models.bitserial.energy_of_activity`'s on-chip terms.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping as MappingType
from typing import Any

from dse.models import bitserial as bitserial_model
from dse.models.common import ActivityCounts
from dse.models.energy import EnergyReport, EnergyTable, default_energy_table, make_report
from dse.models.family import FamilyModels, FeatureFunction
from dse.models.systolic import ACCUMULATOR_READ_TRANSPARENT, SystolicActivity
from dse.models.systolic import activity as core_activity
from dse.models.systolic import cycles as core_cycles
from dse.models.systolic import energy_of_activity as core_energy
from dse.workload import Gemm
from hw.accel.params import AccelParams
from hw.accel.tiling import (
    DEFAULT_LATENCY,
    Mapping,
    Tile,
    beat_interval,
    check_latency,
    check_mapping,
    dram_bytes,
    resolve_mapping,
    tiles,
)
from hw.bitserial.params import BitSerialParams
from hw.params import ParamError
from hw.systolic.params import SystolicParams

#: Cycles the compute engine is busy beyond the core's own (see the module docstring).
COMPUTE_OVERHEAD = 3
#: Cycles of a step beyond max(D, C): launch, the wait's last cycle, advance.
STEP_OVERHEAD = 3


@dataclasses.dataclass(frozen=True)
class AccelActivity(ActivityCounts):
    """What the RTL counts per job (``hw.accel.accelerator`` names the counters)."""

    dram_read_bytes: int
    dram_write_bytes: int
    spad_reads: int
    spad_writes: int
    acc_reads: int
    acc_writes: int
    stall_cycles: int
    core_pe_macs: int
    core_operand_words: int
    core_result_words: int
    core_acc_reads: int
    core_acc_writes: int
    core_weight_writes: int
    core_weight_swaps: int


@dataclasses.dataclass(frozen=True)
class AccelBitSerialActivity(ActivityCounts):
    """What the RTL counts per job with the bit-serial core: the memory system's counts
    as :class:`AccelActivity`, then the core's taps (``hw.bitserial.array``)."""

    dram_read_bytes: int
    dram_write_bytes: int
    spad_reads: int
    spad_writes: int
    acc_reads: int
    acc_writes: int
    stall_cycles: int
    core_pe_steps: int
    core_group_adds: int
    core_dequant_steps: int
    core_serial_bits: int
    core_parallel_words: int
    core_scale_words: int
    core_result_words: int


def activity_class(params: AccelParams) -> type[AccelActivity] | type[AccelBitSerialActivity]:
    """The activity record of ``params``' core."""
    return AccelBitSerialActivity if params.core == "bitserial" else AccelActivity


def job_bits(params: AccelParams, gemm: Gemm) -> int | None:
    """The precision ``gemm`` runs at on ``params``: its ``bits`` (default ``max_bits``) for
    the bit-serial core, None for the systolic one.

    Raises:
        ParamError: for a per-group precision or a ``group_size`` (one precision per job,
            no scale groups), a precision out of range, or ``bits`` on the systolic core.
    """
    if gemm.group_size is not None:
        raise ParamError("accel-v1 takes no `group_size`: its bit-serial core runs one "
                         "precision per job, without scale groups")
    if isinstance(gemm.bits, tuple):
        if len(set(gemm.bits)) != 1:
            raise ParamError(f"`bits` must be one integer per accel-v1 job, not "
                             f"{list(gemm.bits)!r}")
        return params.job_bits(gemm.bits[0])
    return params.job_bits(gemm.bits)


@dataclasses.dataclass(frozen=True)
class AccelCycleReport:
    """Predicted cycles and traffic of one GEMM on the accelerator."""

    cycles: int
    compute_bound: int
    macs: int
    pes: int
    steps: int
    tiles: int
    activity: AccelActivity | AccelBitSerialActivity
    mapping: Mapping
    bandwidth: int
    latency: int

    @property
    def utilization(self) -> float:
        return self.macs / (self.cycles * self.pes)

    @property
    def stall_cycles(self) -> int:
        return self.activity.stall_cycles

    def summary(self, counters: MappingType[str, int]) -> dict[str, Any]:
        """What ``hwdse simulate --json`` adds for this family: the RTL's DRAM bytes and
        stalls next to the model's, and the mapping and DRAM used."""
        return {"dram_read_bytes": counters.get("dram_read_bytes"),
                "dram_write_bytes": counters.get("dram_write_bytes"),
                "stall_cycles": counters.get("stall_cycles"),
                "model_dram_read_bytes": self.activity.dram_read_bytes,
                "model_dram_write_bytes": self.activity.dram_write_bytes,
                "model_stall_cycles": self.activity.stall_cycles,
                "mapping": self.mapping.to_json(),
                "dram": {"bandwidth": self.bandwidth, "latency": self.latency}}


def _bursts(params: AccelParams, offset_bytes: int, row_beats: int) -> list[int]:
    """Beats of each burst of one row starting ``offset_bytes`` past a burst boundary."""
    lengths = []
    position = (offset_bytes // params.bus_bytes) % params.max_burst
    left = row_beats
    while left:
        length = min(left, params.max_burst - position)
        lengths.append(length)
        left -= length
        position = 0
    return lengths


@dataclasses.dataclass
class _Dram:
    """The DRAM model's state carried across transfers: the earliest cycle (edge) at which
    the next data beat may move."""

    next_ok: int
    interval: int
    latency: int


def _read_transfer(params: AccelParams, dram: _Dram, start: int, bursts: list[int]) -> int:
    """RUN cycles of a read transfer starting at cycle ``start``."""
    issued: list[int] = []
    lasts: list[int] = []
    for j, length in enumerate(bursts):
        at = start if j == 0 else issued[-1] + 1
        if j >= params.outstanding:
            at = max(at, lasts[j - params.outstanding] + 1)
        first = max(at + dram.latency, dram.next_ok + 1)
        last = first + (length - 1) * dram.interval
        dram.next_ok = last - 1 + dram.interval
        issued.append(at)
        lasts.append(last)
    return lasts[-1] + 2 - start


def _write_transfer(params: AccelParams, dram: _Dram, start: int, bursts: list[int]) -> int:
    """RUN cycles of a write-back transfer starting at cycle ``start``."""
    issued: list[int] = []
    responses: list[int] = []
    handshake = start  # the W sender offers its first beat at start + 1
    for j, length in enumerate(bursts):
        at = start if j == 0 else issued[-1] + 1
        if j >= params.outstanding:
            at = max(at, responses[j - params.outstanding] + 1)
        first = max(handshake + 1, dram.next_ok, at + 1)
        last = first + (length - 1) * dram.interval
        dram.next_ok = last + dram.interval
        handshake = last
        response = last + dram.latency
        if responses:
            response = max(response, responses[-1] + 1)
        issued.append(at)
        responses.append(response)
    return responses[-1] + 2 - start


def _tile_bursts(params: AccelParams, tile: Tile, what: str) -> list[int]:
    e, acc, bus = params.element_bytes, params.acc_bytes, params.bus_bytes
    if params.core == "bitserial" and what in ("a", "b"):   # rows of blocked A or B
        lanes = params.k_lanes
        start, extent = (tile.m0, tile.tm_pad) if what == "a" else (tile.n0, tile.tn_pad)
        return (_bursts(params, start * lanes * e, extent * lanes * e // bus)
                * (tile.tk_pad // lanes))
    if what == "a" and params.dataflow == "os":   # rows of A^T
        return _bursts(params, tile.m0 * e, tile.tm_pad * e // bus) * tile.tk
    if what == "a":                                # rows of A
        return _bursts(params, tile.k0 * e, tile.tk_pad * e // bus) * tile.tm_pad
    if what == "b":
        return _bursts(params, tile.n0 * e, tile.tn_pad * e // bus) * tile.tk_pad
    return _bursts(params, tile.n0 * acc, tile.tn_pad * acc // bus) * tile.tm_eff


def _bitserial_compute(params: AccelParams, tile: Tile, bits: int
                       ) -> tuple[int, int, int, int, bitserial_model.BitSerialActivity]:
    """As :func:`_compute`, and the core's events, for the bit-serial core at ``bits``:
    per core tile ``bits`` planes of ``tk_pad / lanes`` chunks, one beat a cycle."""
    core = params.bitserial_core
    shape = Gemm(tile.tm_pad, tile.tk_pad, tile.tn_pad, bits=bits)
    report = bitserial_model.cycles(core, shape)
    return (report.cycles, report.operand_beats, report.result_beats, 2,
            bitserial_model.activity(core, shape))


def _compute(params: AccelParams, tile: Tile) -> tuple[int, int, int, int]:
    """(core cycles from first operand to last result, operand beats, result rows,
    scratchpad reads per beat) of one tile. Output-stationary: the core's own model of
    the padded tile. Weight-stationary: per ``cols`` columns, block of ``acc_depth`` rows
    and ``rows`` of K, ``rows`` weight beats then one activation beat per row, one beat a
    cycle (the core never stalls); the last result leaves ``rows + cols + 2`` cycles after
    the last beat."""
    rows, cols = params.rows, params.cols
    n_subs = tile.tn_pad // cols
    if params.dataflow == "os":
        shape = Gemm(tile.tm_pad, tile.tk, tile.tn_pad)
        subtiles = (tile.tm_pad // rows) * n_subs
        return (core_cycles(params.systolic_core, shape).cycles, subtiles * tile.tk,
                subtiles * rows, 2)
    depth = params.acc_depth or 1
    blocks = -(-tile.tm_pad // depth)
    k_steps = tile.tk_pad // rows
    beats = n_subs * k_steps * (blocks * rows + tile.tm_pad)
    return beats + rows + cols + 2, beats, n_subs * tile.tm_pad, 1


def cycles(params: AccelParams, gemm: Gemm, mapping: Mapping | str | None = None,
           bandwidth: int | None = None, latency: int | None = None,
           order: str | None = None) -> AccelCycleReport:
    """Exact RTL cycles, DRAM bytes, SRAM accesses and stalls of ``gemm`` on ``params``
    with ``mapping`` (a ``Mapping``, or ``"TMxTKxTN"`` with ``order``; default:
    ``tiling.default_mapping``) against a DRAM of ``bandwidth``
    bytes per cycle (default: the bus width) and ``latency`` cycles (default
    ``tiling.DEFAULT_LATENCY``).

    Raises:
        ParamError: for a mapping the hardware refuses, or a bad bandwidth or latency.
    """
    m, k, n = gemm.m, gemm.k, gemm.n
    bits = job_bits(params, gemm)
    mapping = resolve_mapping(params, m, k, n, mapping, order)
    check_mapping(params, m, k, n, mapping, bits)
    bandwidth = params.bus_bytes if bandwidth is None else bandwidth
    latency = DEFAULT_LATENCY if latency is None else check_latency(latency)
    dram = _Dram(next_ok=-(1 << 40), interval=beat_interval(params, bandwidth),
                 latency=max(latency, 2))
    core = params.core_params
    sequence = list(tiles(params, m, k, n, mapping))
    clock = 1                           # the check cycle
    stalls = 0
    beats = results = rmw_reads = 0
    events = (bitserial_model.BitSerialActivity.events() if bits is not None
              else SystolicActivity.events())
    core_counts = dict.fromkeys(events, 0)
    for step in range(len(sequence) + 2):
        computing = sequence[step - 1] if 1 <= step <= len(sequence) else None
        loading = sequence[step] if step < len(sequence) else None
        written = sequence[step - 2] if step >= 2 and sequence[step - 2].last_k else None
        compute = 0
        if computing is not None and bits is not None:
            core_time, tile_beats, tile_results, reads_per_beat, counted = \
                _bitserial_compute(params, computing, bits)
            for name in core_counts:
                core_counts[name] += getattr(counted, name)
        elif computing is not None:
            shape = Gemm(computing.tm_pad, computing.tk_pad, computing.tn_pad)
            assert isinstance(core, SystolicParams)
            counts = core_activity(core, shape)
            for name in core_counts:
                core_counts[name] += getattr(counts, name)
            core_time, tile_beats, tile_results, reads_per_beat = _compute(params, computing)
        if computing is not None:
            compute = core_time + COMPUTE_OVERHEAD
            beats += reads_per_beat * tile_beats
            results += tile_results
            rmw_reads += 0 if computing.first_k else tile_results
        transfers = []
        if written is not None:
            transfers.append(("c", written))
        if loading is not None:
            transfers += [(what, loading) for what, needed in
                          (("a", loading.load_a), ("b", loading.load_b)) if needed]
        elapsed = 0
        for what, tile in transfers:
            start = clock + 2 + elapsed   # after the launch cycle and the set-up cycle
            run = (_write_transfer if what == "c" else _read_transfer)(
                params, dram, start, _tile_bursts(params, tile, what))
            elapsed += 1 + run
        dma = elapsed + 1
        stalls += max(0, dma - compute)
        clock += max(dma, compute) + STEP_OVERHEAD
    read, written_bytes = dram_bytes(params, m, k, n, mapping)
    bus = params.bus_bytes
    activity = activity_class(params)(
        dram_read_bytes=read, dram_write_bytes=written_bytes, spad_reads=beats,
        spad_writes=read // bus, acc_reads=rmw_reads + written_bytes // bus,
        acc_writes=results, stall_cycles=stalls,
        **{f"core_{name}": value for name, value in core_counts.items()})
    # no stall of any kind: every PE busy (the bit-serial core: bits beats per lanes MACs)
    compute_bound = (-(-gemm.macs // params.pes) if bits is None
                     else -(-gemm.macs * bits // (params.pes * params.k_lanes)))
    return AccelCycleReport(
        cycles=clock, compute_bound=compute_bound, macs=gemm.macs,
        pes=params.pes, steps=len(sequence) + 2, tiles=len(sequence), activity=activity,
        mapping=mapping, bandwidth=bandwidth, latency=latency)


# --- energy ---------------------------------------------------------------------------


def energy_of_counts(params: AccelParams, counts: AccelActivity | AccelBitSerialActivity,
                     useful_macs: int, table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the events ``counts`` on ``params``:

    - the core's own on-chip energy (``core_*``: MACs, PE registers), from
      :func:`dse.models.systolic.energy_of_activity` of its activity (its streams now come
      from the scratchpad, so its off-chip term is dropped); for the bit-serial core
      :func:`dse.models.bitserial.energy_of_activity`'s (lane adder trees, shift-and-add,
      PE and beat registers, group hand-overs), likewise without its off-chip term;
    - ``scratchpad``: reads of an A word and a B word per beat, writes of one bus beat per
      DRAM beat, each at the table's 64-bit SRAM access energy for the capacity of one half
      (``spad_kib / 2``) scaled by bits / 64 (Horowitz, ISSCC 2014, 45 nm);
    - ``accumulator``: reads of an accumulator word (read-modify-write and write-back),
      writes of one result row, at the energy of a ``acc_kib / 2`` KiB SRAM, likewise;
    - ``offchip``: every DRAM byte at the table's DRAM energy per 64 bits scaled by bits.

    Raises:
        ValueError: if ``useful_macs`` is not positive.
    """
    table = table or default_energy_table()
    core = energy_of_activity_core(params, counts, useful_macs, table)
    sram = table.sram_access_64b
    spad = sram.at(params.spad_kib / 2)
    acc = sram.at(params.acc_kib / 2)
    half_reads = counts.spad_reads // 2
    scratchpad = (half_reads * (params.a_word_bytes + params.b_word_bytes) * 8 / 64 * spad
                  + counts.spad_writes * params.bus_bytes * 8 / 64 * spad)
    accumulator = (counts.acc_reads * params.c_word_bytes * 8 / 64 * acc
                   + counts.acc_writes * params.cols * params.acc_width / 64 * acc)
    on_chip = {f"core_{name}": value for name, value in core.on_chip.items()}
    on_chip.update(scratchpad=scratchpad, accumulator=accumulator)
    return make_report(table, counts, useful_macs, on_chip,
                       8 * (counts.dram_read_bytes + counts.dram_write_bytes))


def energy_of_activity_core(params: AccelParams,
                            counts: AccelActivity | AccelBitSerialActivity,
                            useful_macs: int, table: EnergyTable) -> EnergyReport:
    """The core's energy report for the core events in ``counts``.

    Raises:
        ParamError: if ``counts`` holds another core's events than ``params``'.
    """
    if not isinstance(counts, activity_class(params)):
        raise ParamError(f"accel-v1 with core {params.core!r} counts its own core's events "
                         f"({activity_class(params).__name__}), not "
                         f"{type(counts).__name__}'s")
    core = params.core_params
    if isinstance(counts, AccelBitSerialActivity):
        assert isinstance(core, BitSerialParams)
        serial = bitserial_model.BitSerialActivity(**{
            name: getattr(counts, f"core_{name}")
            for name in bitserial_model.BitSerialActivity.events()})
        return bitserial_model.energy_of_activity(core, serial, useful_macs, table)
    assert isinstance(core, SystolicParams)
    core_counts = SystolicActivity(**{name: getattr(counts, f"core_{name}")
                                      for name in SystolicActivity.events()})
    return core_energy(core, core_counts, useful_macs, table)


def energy(params: AccelParams, gemm: Gemm, table: EnergyTable | None = None,
           mapping: Mapping | str | None = None, bandwidth: int | None = None,
           latency: int | None = None, order: str | None = None) -> EnergyReport:
    """Predicted energy of ``gemm`` with ``mapping`` and the DRAM (defaults as
    :func:`cycles`)."""
    report = cycles(params, gemm, mapping, bandwidth, latency, order)
    return energy_of_counts(params, report.activity, gemm.macs, table)


def energy_from_counters(params: AccelParams, counters: MappingType[str, int],
                         useful_macs: int, table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the activity an RTL simulation counted (``SimResult.counters``).

    Raises:
        KeyError: naming a missing count.
        ValueError: if ``useful_macs`` is not positive.
    """
    return energy_of_counts(params, activity_class(params).from_counters(counters),
                            useful_macs, table)


# --- block RAM --------------------------------------------------------------------------


def buffer_memories(params: AccelParams) -> dict[str, tuple[int, int]]:
    """The memories as (width bits, depth), as ``hw.accel.accelerator`` builds them: the A
    and B halves of the scratchpad (both slots each), the two accumulator slots and, for
    the weight-stationary core, the core's own accumulator (``acc_depth`` rows of
    ``cols`` sums)."""
    slot = params.spad_slot_bytes
    acc = params.acc_slot_bytes
    memories = {"spad_a": (8 * params.a_word_bytes, 2 * slot // params.a_word_bytes),
                "spad_b": (8 * params.b_word_bytes, 2 * slot // params.b_word_bytes),
                "acc0": (8 * params.c_word_bytes, acc // params.c_word_bytes),
                "acc1": (8 * params.c_word_bytes, acc // params.c_word_bytes)}
    if params.acc_depth is not None:
        memories["core_acc"] = (params.cols * params.acc_width, params.acc_depth)
    return memories


def transparent_read(memory: str) -> bool:
    """Whether the read port of a :func:`buffer_memories` memory is transparent to its
    write port: the core's accumulator as the systolic model has it
    (:data:`dse.models.systolic.ACCUMULATOR_READ_TRANSPARENT`); the scratchpad and
    accumulator buffers read the old word."""
    return memory == "core_acc" and ACCUMULATOR_READ_TRANSPARENT


def memory_cells(params: AccelParams, target: str = "ecp5-85k") -> dict[str, int]:
    """Primitive cells of the memories on ``target`` by kind (``bram``, ``lutram``), as
    Yosys ``memory_libmap`` maps each (:func:`dse.models.area.map_memory`)."""
    from dse.models.area import map_memory

    cells = {"bram": 0, "lutram": 0}
    for name, (width, depth) in buffer_memories(params).items():
        mapping = map_memory(width, depth, target, transparent=transparent_read(name))
        if mapping.kind in cells:
            cells[mapping.kind] += mapping.cells
    return cells


def bram_blocks(params: AccelParams, target: str = "ecp5-85k") -> int:
    """Block RAMs of ``params`` on ``target``: :func:`memory_cells`' mapping with the write
    groups of a memory written in parts padded to whole block-RAM bytes
    (:func:`buffer_bram_blocks`, equal to synthesis on every area sample)."""
    return buffer_bram_blocks(params, target)


def exact_resources(params: AccelParams, target: str) -> dict[str, float]:
    """The resources known without a fitted model: the memories' block RAMs."""
    return {"bram": float(bram_blocks(params, target))}


# --- LUTs and flip-flops (the fitted area model) ------------------------------------------

#: MULT18X18D blocks of the controller's run-time products (tile offsets times row
#: strides, the capacity checks), whatever the core: synthesized designs of every core and
#: dataflow show the core's DSPs plus these.
CONTROLLER_DSPS = 9
_ACCEL_VARIANTS = ("systolic_os", "systolic_ws", "bitserial")


def _write_groups(params: AccelParams) -> dict[str, int]:
    """Bits per write enable of each buffer (:func:`buffer_memories`): the scratchpad is
    written a bus beat at a time into wider words, the accumulator a result row at a time
    into wider words."""
    rows = 8 * params.cols * params.acc_bytes
    groups = {"spad_a": 8 * min(params.bus_bytes, params.a_word_bytes),
              "spad_b": 8 * min(params.bus_bytes, params.b_word_bytes),
              "acc0": min(rows, 8 * params.c_word_bytes),
              "acc1": min(rows, 8 * params.c_word_bytes)}
    if params.acc_depth is not None:
        groups["core_acc"] = params.cols * params.acc_width
    return groups


def buffer_bram_blocks(params: AccelParams, target: str = "ecp5-85k") -> int:
    """Block RAMs of the buffers as Yosys maps them: as :func:`memory_cells`, but a block
    RAM's byte enables take each write group of a memory written in parts padded to whole
    bytes (on ECP5 a 64-bit group takes eight 9-bit bytes), so such a memory takes the
    blocks of its padded width.

    Raises:
        AreaModelError: if the target has no memory primitives listed.
    """
    from dse.models.area import MEMORY_PRIMITIVES, map_memory

    groups = _write_groups(params)
    bytes_ = [p.byte for p in MEMORY_PRIMITIVES.get(target, ()) if p.kind == "bram"]
    byte = bytes_[0] if bytes_ else 0
    blocks = 0
    for name, (width, depth) in buffer_memories(params).items():
        transparent = transparent_read(name)
        plain = map_memory(width, depth, target, transparent=transparent)
        if plain.kind != "bram":
            continue
        group = groups[name]
        padded = width
        if byte and group < width:
            padded = width // group * -(-group // byte) * byte
        mapping = map_memory(padded, depth, target, transparent=transparent)
        blocks += (mapping if mapping.kind == "bram" else plain).cells
    return blocks


def accel_dsp_blocks(params: AccelParams, target: str = "ecp5-85k") -> int:
    """MULT18X18D blocks: the core's (one per PE of a systolic core where the target's DSP
    takes the product; none in the bit-serial core), the controller's
    :data:`CONTROLLER_DSPS`, and for the weight-stationary core one more where
    ``acc_depth`` is not a power of two (the block stride ``pitch * acc_depth`` is a
    product, not a shift)."""
    from dse.models.systolic import systolic_features

    core = params.core_params
    if not isinstance(core, SystolicParams):
        return CONTROLLER_DSPS
    depth = params.acc_depth
    stride = int(depth is not None and depth & (depth - 1) != 0)
    return int(systolic_features(core, target)["multipliers"]) + CONTROLLER_DSPS + stride


def _select_bits(word_bits: int, part_bits: int) -> int:
    """2:1 multiplexer bits of picking one ``part_bits`` part of a ``word_bits`` word."""
    return part_bits * (word_bits // part_bits - 1)


def _select_luts(word_bits: int, part_bits: int) -> int:
    """LUT4s of picking one ``part_bits`` part of a ``word_bits`` word on ECP5: per bit an
    N:1 multiplexer (N = ``word_bits / part_bits``, a power of two) is N / 2 LUT4s, each a
    2:1 multiplexer, joined by the slice's PFUMX and L6MUX21 (not counted as LUTs); a 2:1
    one is one LUT4."""
    ways = word_bits // part_bits
    return 0 if ways < 2 else part_bits * max(1, ways // 2)


def _collision_bits(written_bits: int, buffers: int, *, merged: bool) -> int:
    """Flip-flops of ``memory_libmap``'s read-write collision logic over ``buffers`` block
    RAM buffers written with the same ``written_bits``: one delayed copy of the write data,
    and a capture per buffer's read port, or one for all where their read enables are
    equal (``merged``); none without a buffer in block RAM."""
    if not buffers:
        return 0
    return written_bits * (1 + (1 if merged else buffers))


def accel_area_features(params: AccelParams, target: str) -> dict[str, float]:
    """Area features of ``accel-v1`` (every name present, zero where it does not apply),
    from the structure in ``hw.accel.accelerator``; byte widths from :class:`AccelParams`:

    - ``<variant>.one`` (``systolic_os``, ``systolic_ws``, ``bitserial``): the controller,
      DMA and counters, fixed-width (their address and dimension registers do not depend
      on the parameters) but different per core;
    - ``systolic.core_lut`` / ``systolic.core_ff`` and ``bitserial.core_lut`` /
      ``bitserial.core_ff``: the estimate of the core's own shipped area model
      (``systolic-v1`` or ``bitserial-v1`` on ``target``) for ``params.core_params``;
    - ``systolic.core.<name>`` and ``bitserial.core.<name>``: the core's own area features
      (:func:`dse.models.systolic.systolic_features`,
      :func:`dse.models.bitserial.bitserial_features`) for ``params.core_params``, zero for
      the other core, to fit the core's structure jointly with the rest of the design;
    - ``bus_bits``: the AXI data width; ``beat_address_bits``: the DMA's address bits
      above a beat (``ADDR_WIDTH - log2(bus_bytes)``: its beat and burst arithmetic);
      ``burst_bits``, ``outstanding_bits``: the widths of its burst-length and in-flight
      counters;
    - ``spad_word_bits``, ``c_word_bits``: scratchpad and accumulator-buffer word widths
      (``c_word_bits``: also the two slots' read multiplexers, write-back and
      read-modify-write);
    - ``lane_select_bits``: picking the core's beat out of a scratchpad word (A and B);
    - ``writeback_select_bits``: picking a bus beat out of an accumulator word;
    - ``result_bits = cols * acc_width``: the result row's staging register and its
      adders into the accumulator; ``result_select_bits``: picking the row's part of the
      accumulator word;
    - ``plane_select_bits``: the bit-serial core's serial operand, one bit plane picked
      from each element (elements x ``input_width``);
    - ``core_beat_bits``: the operand beat the core takes (A and B lanes);
    - ``select_bits``: the multiplexers in all: the selects above, and the choice between
      the two accumulator slots' read words (for write-back and for read-modify-write);
      ``select_luts``: the same multiplexers in ECP5 LUT4s (:func:`_select_luts`: an N:1
      multiplexer is N / 2 LUT4s per bit, the slice's muxes joining them; a bit plane
      picked out of an ``input_width``-bit element, ``input_width / 2``);
    - the buffers (:func:`buffer_memories` but the core's own accumulator, which its
      model counts) as Yosys maps them (:func:`dse.models.area.map_memory`):
      ``lutram_cells``, ``lutram_mux_bits`` and ``lutram_width_bits`` (the read
      registers) of those in distributed RAM, ``bram_mux_bits`` of those in block RAM
      split in depth, and ``lutram_bits = 4 * lutram_cells + lutram_mux_bits`` (a
      TRELLIS_DPR16X4 counts as 4 LUTs, as ``flows.targets`` counts them);
    - ``spad_lutram_width_bits``, ``acc_lutram_width_bits``: ``lutram_width_bits`` of the
      scratchpad and of the accumulator buffer apart; ``acc_lutram_whole_bits``: the
      accumulator buffer's, where a write-back beat is its whole word (``c_word_bytes <=
      bus_bytes``: the slot's read word goes to the bus without a beat select; the
      synthesized designs keep a read register of that width, and mostly none where the
      word leaves in beats); ``spad_lutram_whole_bits``, likewise, the scratchpad's where a
      word is one operand beat of the core (``a_word_bytes <= a_lane_bytes``, and B's);
    - ``bram_width_bits``: the read width of the buffers in block RAM (per data bit, the
      soft logic ``memory_libmap`` adds to emulate the read port's enable and
      transparency, :data:`dse.models.area.MEMORY_PRIMITIVES`);
    - ``spad_collision_bits``, ``acc_collision_bits``: the flip-flops Yosys'
      ``memory_libmap`` adds to a buffer in block RAM whose read may meet a write to the
      same word in the same cycle (the DMA fills one scratchpad slot while the core reads
      the other; the result stage writes an accumulator word while it or write-back
      reads): the write data delayed a cycle into the block RAM, shared by the buffers
      written from the same source, and per read port a capture of it that the read
      data is multiplexed with. The written data are the bus beat (``bus_bits``,
      replicated across a wider scratchpad word, so its copies merge) and the result
      row (``cols * acc_width``); the captures merge where read enables are equal (the
      output-stationary and bit-serial feeds read A and B together, the
      weight-stationary feed one at a time). So ``spad_collision_bits = bus_bits * (1 +
      captures)`` (captures: 1, or with ``ws`` one per scratchpad in block RAM) where a
      scratchpad is in block RAM, and ``acc_collision_bits = cols * acc_width * (1 +
      buffers in block RAM)``. Found in the netlists of the worst flip-flop estimates
      (``ws 1x1``, ``bus_bytes = 64``: 3 x 512 of them at the scratchpads) and chosen by
      leave-one-out over the 271 synthesized designs (FF 2.39% -> 0.88% mean, 18.8% ->
      6.6% max; both coefficients 0.98);
    - ``dsp_blocks``: :func:`accel_dsp_blocks`; ``bram_blocks``:
      :func:`buffer_bram_blocks`.

    Raises:
        AreaModelError: if the core's family has no area model on ``target``, or the target
            has no memory primitives.
    """
    from dse.models.area import load_area_model, map_memory
    from dse.models.bitserial import bitserial_features
    from dse.models.systolic import systolic_features
    from hw.accel.accelerator import ADDR_WIDTH

    core = params.core_params
    core_features: FeatureFunction
    if isinstance(core, BitSerialParams):
        kind, core_features, variant = "bitserial", bitserial_features, "bitserial"
    else:
        kind, core_features = "systolic", systolic_features
        variant = f"systolic_{params.dataflow}"
    core_model = load_area_model(core.generator, target, core_features)
    core_estimate = core_model.estimate(core)
    features = {f"{name}.one": float(name == variant) for name in _ACCEL_VARIANTS}
    for name in ("systolic", "bitserial"):
        features[f"{name}.core_lut"] = core_estimate.lut if name == kind else 0.0
        features[f"{name}.core_ff"] = core_estimate.ff if name == kind else 0.0
    raw_features = {
        "systolic": (systolic_features(core, target) if isinstance(core, SystolicParams)
                     else dict.fromkeys(systolic_features(SystolicParams(), target), 0.0)),
        "bitserial": (bitserial_features(core, target) if isinstance(core, BitSerialParams)
                      else dict.fromkeys(bitserial_features(BitSerialParams(), target), 0.0))}
    for name, values in raw_features.items():
        features.update({f"{name}.core.{key}": float(value) for key, value in values.items()})
    bus, word_a, word_b, word_c = (8 * params.bus_bytes, 8 * params.a_word_bytes,
                                   8 * params.b_word_bytes, 8 * params.c_word_bytes)
    lane_a, lane_b = 8 * params.a_lane_bytes, 8 * params.b_lane_bytes
    result = params.cols * params.acc_width
    serial_elements = 0
    if isinstance(core, BitSerialParams):
        serial_elements = (params.cols if core.serial == "weights" else params.rows) \
            * params.k_lanes
    lutram = {"cells": 0, "mux": 0, "width": 0, "spad_width": 0, "spad_whole": 0}
    lanes_bits = {"spad_a": lane_a, "spad_b": lane_b}
    bram_mux = bram_width = 0
    bram_buffers = {"spad": 0, "acc": 0}
    for name, (width, depth) in buffer_memories(params).items():
        if name == "core_acc":   # the core's own, in its model
            continue
        mapping = map_memory(width, depth, target, transparent=transparent_read(name))
        if mapping.kind == "lutram":
            lutram["cells"] += mapping.cells
            lutram["mux"] += mapping.mux_bits
            lutram["width"] += width
            lutram["spad_width"] += width if name.startswith("spad") else 0
            lutram["spad_whole"] += width if width <= lanes_bits.get(name, 0) else 0
        elif mapping.kind == "bram":
            bram_mux += mapping.mux_bits
            bram_width += width
            bram_buffers["spad" if name.startswith("spad") else "acc"] += 1
    selects = (_select_bits(word_a, lane_a) + _select_bits(word_b, lane_b)
               + _select_bits(word_c, bus) + _select_bits(word_c, result)
               + serial_elements * params.input_width)
    select_luts = (_select_luts(word_a, lane_a) + _select_luts(word_b, lane_b)
                   + _select_luts(word_c, bus) + _select_luts(word_c, result)
                   + serial_elements * _select_luts(params.input_width, 1) + 2 * word_c)
    features.update({
        "select_bits": float(selects + 2 * word_c),
        "select_luts": float(select_luts),
        "bus_bits": float(bus),
        "beat_address_bits": float(ADDR_WIDTH - (params.bus_bytes.bit_length() - 1)),
        "burst_bits": float(params.max_burst.bit_length()),
        "outstanding_bits": float(params.outstanding.bit_length()),
        "spad_word_bits": float(word_a + word_b),
        "c_word_bits": float(word_c),
        "lane_select_bits": float(_select_bits(word_a, lane_a) + _select_bits(word_b, lane_b)),
        "writeback_select_bits": float(_select_bits(word_c, bus)),
        "result_bits": float(result),
        "result_select_bits": float(_select_bits(word_c, result)),
        "plane_select_bits": float(serial_elements * params.input_width),
        "core_beat_bits": float(lane_a + lane_b),
        "lutram_cells": float(lutram["cells"]), "lutram_mux_bits": float(lutram["mux"]),
        "lutram_width_bits": float(lutram["width"]), "bram_mux_bits": float(bram_mux),
        "spad_lutram_width_bits": float(lutram["spad_width"]),
        "acc_lutram_width_bits": float(lutram["width"] - lutram["spad_width"]),
        "acc_lutram_whole_bits": float(lutram["width"] - lutram["spad_width"]
                                       if word_c <= bus else 0),
        "spad_lutram_whole_bits": float(lutram["spad_whole"]),
        "bram_width_bits": float(bram_width),
        "spad_collision_bits": float(_collision_bits(bus, bram_buffers["spad"],
                                                     merged=variant != "systolic_ws")),
        "acc_collision_bits": float(_collision_bits(result, bram_buffers["acc"],
                                                    merged=False)),
        "lutram_bits": float(4 * lutram["cells"] + lutram["mux"]),
        "dsp_blocks": float(accel_dsp_blocks(params, target)),
        "bram_blocks": float(buffer_bram_blocks(params, target)),
    })
    return features


MODELS = FamilyModels("accel-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters,
                      exact_resources=exact_resources, area_features=accel_area_features)

