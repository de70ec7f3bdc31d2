"""Analytic cycle and energy model of ``pim-v1`` (a GEMV y = W x, W: R x C).

Cycles (:func:`cycles`) count from the job handshake to the last result, as the testbench
does. Each channel works on its own rows; the job takes as long as the slowest channel.
For one channel with timing ``t`` (``hw.pim.params.Timing``):

- **column commands** leave at most one per ``tCCD``: MACs (RDs without PIM) for every
  stored column access, plus one RDRES per matrix row (all-bank mode: one per bank and
  matrix-row step, padding banks included);
- **row switches**: a DRAM row's last access is followed by PRE (after ``tRTP``, and at
  least ``tRAS`` after its ACT), ``tRP``, ACT and ``tRCD`` before the next access to that
  bank: ``gap = max(tRTP, tRAS - tRCD - (S - 1) tCCD) + tRP + tRCD`` for a row of ``S``
  accesses, of which ``tCCD`` is the normal spacing. In all-bank mode the whole gap shows,
  less the result reads (RDRES) that fill it when a matrix row ended just before. Per
  bank, a switch or a bank change is hidden behind other banks' accesses when FR-FCFS
  sees beyond the current bank's run (``queue_depth`` > accesses per matrix row),
  otherwise it shows (FCFS serves the oldest request only);
- **refresh**: every ``tREFI`` (``postponed``: only beyond eight owed during the job) the
  channel drains and refreshes: ``tRTP + tRP + tRFC + tRCD`` lost;
- **start and drain**: the first ACT is on the bus 4 cycles after the handshake, the first
  access ``tRCD`` later; the last result is ``CL + 2`` cycles after its read.

The model is exact where nothing is hidden or overlapped and approximate otherwise;
``tests/sim/test_pim_rtl.py`` holds it within 2% of the RTL and
``bench/results/pim_gpt2.md`` records the error on every job there.

Energy (:func:`energy`): DRAM command energies from the IDD currents of the timing preset's
source (Micron's method, as DRAMsim3 computes them; ``data/pim_dram_power.toml``):
``ACT`` (with its PRE) ``= VDD (IDD0 tRC - IDD3N tRAS - IDD2N tRP)``, ``RD`` / ``MAC``
column access ``= VDD (IDD4R - IDD3N) BL/2``, ``REF = VDD (IDD5AB - IDD3N) tRFC``,
background ``VDD IDD3N`` per cycle and channel (active standby, an upper bound), all
times ``tCK`` and the devices of a channel; each MAC adds ``lanes`` multiply-adds from
the Horowitz table (``dse.models.energy``). RDRES is priced as one RD. The DRAM I/O and
the host's arithmetic in the no-PIM baseline are not counted (no cited figure here), which
favours the baseline.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from dse.models.energy import EnergyReport, EnergyTable, default_energy_table, make_report
from dse.models.family import FamilyModels
from dse.workload import Gemm
from hw.params import ParamError
from hw.pim.controller import COLS_WIDTH, ROWS_WIDTH, TIMER_WIDTH, data_width
from hw.pim.params import MAX_POSTPONED, PimParams

#: Cycles from the job handshake to the first ACT on the command bus.
START_CYCLES = 4
#: Cycles from a read command on the bus to the result, beyond CL.
DRAIN_CYCLES = 2


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def gemv_shape(gemm: Gemm) -> tuple[int, int]:
    """(R, C) of the GEMV a GEMM stands for (N must be 1).

    Raises:
        ParamError: if N is not 1.
    """
    if gemm.n != 1:
        raise ParamError(f"pim-v1 runs GEMVs: the GEMM's N must be 1, not {gemm.n}")
    return gemm.m, gemm.k


#: The cycle model is analytic, not cycle-exact (see the module docstring): its stated
#: bound on the relative error against the RTL.
PIM_TOLERANCE = 0.02


@dataclasses.dataclass(frozen=True)
class PimCycleReport:
    """Predicted cycles of one GEMV, and the command counts behind them."""

    cycles: int
    compute_bound: int      # column commands x tCCD of the busiest channel
    commands: Mapping[str, int]     # command kind -> count (all channels)
    bank_operations: Mapping[str, int]  # command kind -> banks it acted on (all channels)
    macs: int
    pes: int                # MAC units (banks with PIM, else 0)
    weight_bytes: int
    seconds: float
    #: The model is analytic, not cycle-exact: its stated bound on the relative error.
    tolerance: float = PIM_TOLERANCE

    @property
    def utilization(self) -> float:
        """Share of the column-command bus time the GEMV's accesses use."""
        return self.compute_bound / self.cycles

    @property
    def bandwidth_gbs(self) -> float:
        """Weights streamed (by the banks or to the host) per second, GB/s."""
        return self.weight_bytes / self.seconds / 1e9


def _channel_rows(params: PimParams, rows: int) -> list[list[int]]:
    """Per channel, the number of matrix rows each bank holds."""
    counts = [[0] * params.banks for _ in range(params.channels)]
    if params.interleave == "row":
        for flat in range(params.bank_count):
            channel, bank = flat % params.channels, flat // params.channels
            counts[channel][bank] = max(0, _ceil_div(rows - flat, params.bank_count))
    else:
        per_bank = params.rows_per_bank(rows)
        for flat in range(params.bank_count):
            channel, bank = flat % params.channels, flat // params.channels
            counts[channel][bank] = max(0, min(per_bank, rows - flat * per_bank))
    return counts


def _segments(accesses: int, columns: int) -> list[int]:
    """Accesses in each DRAM row of a bank holding ``accesses`` column accesses."""
    full, rest = divmod(accesses, columns)
    return [columns] * full + ([rest] if rest else [])


def _switch_gap(params: PimParams, size: int) -> int:
    """Cycles from a row's last access to the next row's first, beyond one tCCD."""
    t = params.timing_values
    hold = max(t.rtp, t.ras - t.rcd - (size - 1) * t.ccd)
    return max(0, hold + t.rp + t.rcd - t.ccd)


def _channel_cycles(params: PimParams, bank_rows: list[int], chunks: int, steps: int
                    ) -> tuple[int, int, dict[str, int], dict[str, int]]:
    """(cycles to the last read command, column-bound cycles, commands, bank operations)
    of one channel; ``steps`` is the matrix rows every bank holds in all-bank mode."""
    t = params.timing_values
    commands: dict[str, int] = dict.fromkeys(("ACT", "PRE", "MAC", "RD", "RDRES", "REF"), 0)
    ops = dict(commands)
    if not any(bank_rows) and params.pim_mode != "all-bank":
        return 0, 0, commands, ops
    column_kind = "RD" if params.pim_mode == "none" else "MAC"
    if params.pim_mode == "all-bank":  # every channel runs every step, padding included
        accesses = steps * chunks
        segments = _segments(accesses, params.columns)
        reads = steps * params.banks
        commands.update(ACT=len(segments), PRE=len(segments), MAC=accesses, RDRES=reads)
        ops.update(ACT=len(segments) * params.banks, PRE=len(segments) * params.banks,
                   MAC=accesses * params.banks, RDRES=reads)
        column = accesses + reads
        exposed = 0
        for index, size in enumerate(segments[:-1]):
            gap = _switch_gap(params, size)
            end = sum(segments[:index + 1])
            if end % chunks == 0:  # a matrix row ended here: its reads fill the gap
                gap = max(0, gap - params.banks * t.ccd)
            exposed += gap
        # the reads of padding banks after the last real row return nothing
        padding = sum(1 for n in bank_rows if n < steps)
        exposed -= padding * t.ccd
    else:
        column, exposed, acts = _per_bank_schedule(params, bank_rows, chunks)
        accesses = sum(n * chunks for n in bank_rows)
        reads = 0 if params.pim_mode == "none" else sum(bank_rows)
        commands.update({"ACT": acts, "PRE": acts, column_kind: accesses, "RDRES": reads})
        ops.update({"ACT": acts, "PRE": acts, column_kind: accesses, "RDRES": reads})
    busy = START_CYCLES + t.rcd + (column - 1) * t.ccd + exposed
    refreshes = busy // t.refi
    if params.refresh == "postponed":
        refreshes = max(0, refreshes - MAX_POSTPONED)
    busy += refreshes * (t.rtp + t.rp + t.rfc + t.rcd)
    refreshes = busy // t.refi if params.refresh == "all-bank" else refreshes
    # a REF refreshes every bank of the channel; its energy (IDD5AB) is per command
    commands["REF"] = ops["REF"] = refreshes
    return busy, column * t.ccd, commands, ops


def _runs(params: PimParams, bank_rows: list[int], chunks: int) -> list[tuple[int, int, int]]:
    """The channel's requests in arrival order as runs ``(bank, first address, length)``
    of consecutive accesses to one bank."""
    if params.interleave == "block":
        return [(bank, 0, n * chunks) for bank, n in enumerate(bank_rows) if n]
    runs = []
    for index in range(max(bank_rows)):
        for bank, n in enumerate(bank_rows):
            if index < n:
                runs.append((bank, index * chunks, chunks))
    return runs


def _per_bank_schedule(params: PimParams, bank_rows: list[int], chunks: int
                       ) -> tuple[int, int, int]:
    """(column commands, exposed cycles, ACTs) of one channel addressing banks one by one.

    A run of accesses to one bank starts when its row is ready: already open (0), closed
    (``tRCD``), or open on another row (``tRP + tRCD``, open policy). FR-FCFS issues that
    ACT (and PRE) as soon as the run's first request is in the queue, up to
    ``(queue_depth - 1) tCCD`` before the previous run ends, and so hides that much; FCFS
    hides nothing. A DRAM row boundary inside a run shows the whole switch gap. Runs that
    each need an ACT also wait for ``tRRD`` and ``tFAW / 4`` per ACT.
    """
    t = params.timing_values
    lookahead = (params.queue_depth - 1) * t.ccd if params.scheduler == "frfcfs" else 0
    reads_per_row = 0 if params.pim_mode == "none" else 1
    open_rows: dict[int, int | None] = {}
    column = exposed = acts = 0
    runs = _runs(params, bank_rows, chunks)

    def need(bank: int, first: int) -> int:
        """Cycles before a run's first access can issue, beyond one tCCD."""
        current, row = open_rows.get(bank), first // params.columns
        if current == row:
            return 0
        return max(0, (t.rcd if current is None else t.rp + t.rcd) - t.ccd)

    for index, (bank, first, length) in enumerate(runs):
        row = first // params.columns
        start_need = need(bank, first)
        if open_rows.get(bank) != row:
            acts += 1
        slots = length + reads_per_row * (length // chunks)
        if column:  # the first run's ACT is in the start-up time
            exposed += max(0, start_need - lookahead)
            if start_need:  # runs that each open a row also wait for tRRD and tFAW
                exposed += max(0, max(t.rrd, -(-t.faw // 4)) - slots * t.ccd)
        column += slots
        # the run's own row switches; once the next run's first request is in the queue,
        # FR-FCFS serves that run while this bank switches
        last = first + length - 1
        switches = last // params.columns - row
        following = runs[index + 1] if index + 1 < len(runs) else None
        for boundary in range(row + 1, row + 1 + switches):
            remaining = first + length - boundary * params.columns
            gap = _switch_gap(params, params.columns)
            if (params.scheduler == "frfcfs" and following is not None
                    and following[0] != bank and remaining <= params.queue_depth - 1):
                gap = min(gap, need(following[0], following[1]))
            exposed += gap
        acts += switches
        end_row = last // params.columns
        row_done = (last + 1) % params.columns == 0 or last + 1 == bank_rows[bank] * chunks
        open_rows[bank] = None if params.page_policy == "closed" and row_done else end_row
    return column, exposed, acts


def cycles(params: PimParams, gemm: Gemm) -> PimCycleReport:
    """Predicted cycles of the GEMV ``gemm`` (N = 1) on ``params``.

    Raises:
        ParamError: if N is not 1 or the matrix does not fit the banks.
    """
    rows, cols = gemv_shape(gemm)
    params.check_gemv(rows, cols)
    chunks = params.chunks(cols)
    t = params.timing_values
    worst = bound = 0
    commands: dict[str, int] = {}
    ops: dict[str, int] = {}
    for bank_rows in _channel_rows(params, rows):
        busy, column, counts, bank_ops = _channel_cycles(params, bank_rows, chunks,
                                                         params.rows_per_bank(rows))
        worst, bound = max(worst, busy), max(bound, column)
        for kind, n in counts.items():
            commands[kind] = commands.get(kind, 0) + n
        for kind, n in bank_ops.items():
            ops[kind] = ops.get(kind, 0) + n
    total = worst + t.cl + DRAIN_CYCLES
    return PimCycleReport(
        cycles=total, compute_bound=bound, commands=commands, bank_operations=ops,
        macs=rows * cols, pes=0 if params.pim_mode == "none" else params.bank_count,
        weight_bytes=rows * cols * params.element_width // 8,
        seconds=total * t.tck_ns * 1e-9)


# --- energy ------------------------------------------------------------------------------

DRAM_POWER_FILE = "data/pim_dram_power.toml"


@dataclasses.dataclass(frozen=True)
class DramPower:
    """IDD currents (mA), VDD (V) and burst length of one timing preset, with the source."""

    vdd: float
    idd0: float
    idd2n: float
    idd3n: float
    idd4r: float
    idd5ab: float
    burst_length: int
    devices: int
    source: str


@functools.cache
def dram_power() -> dict[str, DramPower]:
    """The cited IDD data per timing preset (package data of ``dse.models``)."""
    text = resources.files("dse.models").joinpath(DRAM_POWER_FILE).read_text()
    raw = tomllib.loads(text)
    return {name: DramPower(**entry) for name, entry in raw.items()}


@dataclasses.dataclass(frozen=True)
class PimActivity:
    """Bank operations per command kind (refreshes: REF commands, each refreshing every bank
    of its channel) and the cycles of the job (for background)."""

    mac: int
    rd: int
    rdres: int
    # row openings (a refresh closes rows that open again), refreshes and cycles come from
    # the approximate timeline: not part of equality
    act: int = dataclasses.field(compare=False)
    pre: int = dataclasses.field(compare=False)
    ref: int = dataclasses.field(compare=False)
    cycles: int = dataclasses.field(compare=False)
    channels: int = dataclasses.field(compare=False)

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    @classmethod
    def from_counts(cls, ops: Mapping[str, int], cycles: int, channels: int) -> PimActivity:
        return cls(act=ops.get("ACT", 0), pre=ops.get("PRE", 0), mac=ops.get("MAC", 0),
                   rd=ops.get("RD", 0), rdres=ops.get("RDRES", 0), ref=ops.get("REF", 0),
                   cycles=cycles, channels=channels)


def command_energies(params: PimParams, table: EnergyTable | None = None) -> dict[str, float]:
    """pJ per bank operation of each kind, and ``background`` per cycle and channel."""
    t = params.timing_values
    power = dram_power()[params.timing]
    table = table or default_energy_table()
    tck = t.tck_ns * power.devices  # the devices of a channel all draw their current
    trc = t.ras + t.rp
    act = power.vdd * (power.idd0 * trc - power.idd3n * t.ras - power.idd2n * t.rp) * tck
    column = power.vdd * (power.idd4r - power.idd3n) * power.burst_length / 2 * tck
    mac_ops = params.lanes * (table.int_multiply.at(params.element_width)
                              + table.int_add.at(params.acc_width))
    return {"ACT": act, "PRE": 0.0, "RD": column, "MAC": column + mac_ops, "RDRES": column,
            "REF": power.vdd * (power.idd5ab - power.idd3n) * t.rfc * tck,
            "background": power.vdd * power.idd3n * tck}


def energy_of_activity(params: PimParams, counts: PimActivity, useful_macs: int,
                       table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the bank operations ``counts`` (see the module docstring)."""
    e = command_energies(params, table)
    table = table or default_energy_table()
    return make_report(table, counts, useful_macs, {
        "activate": counts.act * e["ACT"],
        "column_access": counts.mac * e["RD"] + counts.rd * e["RD"] + counts.rdres * e["RDRES"],
        "pim_arithmetic": counts.mac * (e["MAC"] - e["RD"]),
        "refresh": counts.ref * e["REF"],
        "background": counts.cycles * counts.channels * e["background"],
    }, 0.0)


def energy(params: PimParams, gemm: Gemm, table: EnergyTable | None = None) -> EnergyReport:
    """Predicted energy of the GEMV ``gemm`` on ``params``."""
    report = cycles(params, gemm)
    counts = PimActivity.from_counts(report.bank_operations, report.cycles, params.channels)
    return energy_of_activity(params, counts, gemm.macs, table)


def energy_from_counters(params: PimParams, counters: Mapping[str, Any], useful_macs: int,
                         table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the bank operations the testbench's device counted (``bank_<kind>``;
    refreshes as commands, ``cmd_ref``) over the measured cycles (``cycles``)."""
    ops = {kind.upper(): int(counters.get(f"bank_{kind}", 0))
           for kind in ("act", "pre", "mac", "rd", "rdres")}
    ops["REF"] = int(counters.get("cmd_ref", 0))
    counts = PimActivity.from_counts(ops, int(counters["cycles"]), params.channels)
    return energy_of_activity(params, counts, useful_macs, table)


# --- area features ----------------------------------------------------------------------


def _index_bits(count: int) -> int:
    """Bits of an index in ``0..count-1`` (at least one, as ``hw.stream.index_shape``)."""
    return max(1, (count - 1).bit_length())


def constant_multipliers(params: PimParams) -> int:
    """Products of a constant (at least 2) and the per-bank row count in the RTL: with
    ``block`` interleave, each channel's first row ``channel * per_bank`` (per-bank and
    no-PIM modes) or, in all-bank mode, each bank's row ``flat * per_bank + j`` with
    ``flat = bank * channels + channel``. Products by 0 and 1 fold away; every other one,
    powers of two included, is one MULT18X18D on ECP5 (the training netlists' counts)."""
    if params.interleave != "block":
        return 0
    count = params.bank_count if params.pim_mode == "all-bank" else params.channels
    return max(0, count - 2)


def scheduled_banks(params: PimParams) -> int:
    """Banks a channel engine schedules apart: 1 in all-bank mode (they act as one), else
    ``banks``."""
    return 1 if params.pim_mode == "all-bank" else params.banks


def choosable_entries(params: PimParams) -> int:
    """Queue entries the scheduler chooses among: the whole queue with FR-FCFS, the oldest
    alone with FCFS."""
    return params.queue_depth if params.scheduler == "frfcfs" else 1


def register_bits(params: PimParams) -> int:
    """Flip-flops of ``hw.pim.controller`` for ``params``, counted register by register as
    Yosys keeps them (``tests/dse/test_area_pim.py`` holds it within 2% of every stored
    sample's ``TRELLIS_FF``; ``bench/results/area_pim.md`` has the errors).

    Per design: the job's rows (merged with the per-bank row count when there is one bank
    in all), its chunk count and per-bank row count (their constant top bits removed) and
    the start flag. Per channel engine: the request generator (active flag, bank, row
    index ``j``, chunk counter, the ``cb + rb`` low bits of the running address that the
    request uses; the matrix row ``r`` and, block interleave, its block start except in
    all-bank mode); per scheduled bank the open flag, open row, three timers and (closed
    page) the pending PRE; the channel timers (any ACT, any column, refresh, four tFAW
    ages); with PIM, each bank's pending flag and latched-result tag (all-bank mode with
    row interleave: the tags ``j * banks + bank`` share their ``24 - log2(C B)`` varying
    bits; all-bank mode: each bank's keep flag); the refresh counter and debt; the queue
    (entries, valid flags, count); the command word; the tags of reads in flight; the
    registered result. With row interleave, the bits of the channel number that are zero
    stay constant in every matrix-row tag the engine carries (as its initial value) and are
    removed: its generator's row, queue entries, latched tags (not in all-bank mode, whose
    tags come from ``j``), the tags in flight and the result.
    """
    channels, banks, depth = params.channels, params.banks, params.queue_depth
    all_bank = params.pim_mode == "all-bank"
    pim = params.pim_mode != "none"
    scheduled = scheduled_banks(params)
    closed = int(params.page_policy == "closed")
    t = params.timing_values
    row_bits = _index_bits(params.rows)
    col_bits = (params.columns - 1).bit_length()  # 0: a constant column
    bank_bits = _index_bits(banks)
    bank_count = params.bank_count
    total_bank_bits = bank_count.bit_length() - 1
    lane_bits = params.lanes.bit_length() - 1
    chunk_width = 0 if pim else COLS_WIDTH
    top = ((ROWS_WIDTH if bank_count > 1 else 0) + min(COLS_WIDTH, COLS_WIDTH + 2 - lane_bits)
           + min(ROWS_WIDTH, ROWS_WIDTH + 2 - total_bank_bits) + 1)
    entry = ((0 if all_bank else bank_bits) + row_bits + col_bits + 1 + closed + ROWS_WIDTH
             + chunk_width)
    generator = 1 + ROWS_WIDTH + COLS_WIDTH + col_bits + row_bits
    if not all_bank:
        generator += bank_bits + ROWS_WIDTH + 1
        if params.interleave == "block":
            generator += ROWS_WIDTH + 1
    bank_state = scheduled * (1 + row_bits + 3 * TIMER_WIDTH + closed)
    channel_timers = 7 * TIMER_WIDTH
    results = 0
    if pim:
        results = banks
        if all_bank:
            shared = params.interleave == "row"
            results += (ROWS_WIDTH - total_bank_bits if shared else banks * ROWS_WIDTH) + banks
        else:
            results += banks * ROWS_WIDTH
    refresh = (t.refi - 1).bit_length() + (MAX_POSTPONED + 1).bit_length()
    queue = depth * (entry + 1) + depth.bit_length()
    command = 3 + 1 + bank_bits + row_bits + col_bits + 1
    in_flight = (t.cl + 1) * (1 + ROWS_WIDTH + chunk_width)
    result = 1 + ROWS_WIDTH + chunk_width + data_width(params)
    total = top + channels * (generator + bank_state + channel_timers + results + refresh
                              + queue + command + in_flight + result)
    if params.interleave == "row":
        zero_bits = channels * (channels.bit_length() - 1) // 2
        carriers = t.cl + 2 if all_bank else 1 + depth + (banks if pim else 0) + t.cl + 2
        total -= zero_bits * carriers
    return total


def pim_features(params: PimParams, target: str) -> dict[str, float]:
    """Features of ``pim-v1`` from the structure of ``hw.pim.controller`` (``C`` channel
    engines, each with ``Q`` queue entries, ``S`` scheduled banks (1 in all-bank mode, else
    ``banks``), ``B`` physical banks, ``Qr`` entries the scheduler chooses from (1 with
    FCFS, else ``Q``), row / column / bank index bits ``rb``, ``cb``, ``bb``):

    - ``one``, ``channels``: the job port and each engine's fixed control (generator
      counters, channel timers, refresh counter, command choice);
    - ``entry_bits = C * Q * E``: queue entries of ``E`` bits (bank, row, column, last,
      row end with a closed page, the 24-bit tag, the 20-bit chunk without PIM), held,
      shifted or loaded;
    - ``chosen_bits = C * (Qr - 1) * E``: the issued entry's multiplexer (none with FCFS);
    - ``entry_bank_bits = C * Qr * (S - 1) * (rb + 6)``: per choosable entry, its bank's
      open row, open flag, four timer checks and latched-result flag, each picked out of
      ``S`` banks by a chain of ``S - 1`` multiplexers;
    - ``hit_bits = C * Qr * (rb + bb)``: each entry's row-hit comparison and ACT address;
    - ``older_bits = C * Qr (Qr - 1) / 2 * (bb + 1)``: "no older request to the same
      bank" (all-bank: to any bank, one bit);
    - ``bank_state_bits = C * S * (rb + 3 * TIMER_WIDTH)``: open row and three timers per
      scheduled bank;
    - ``scheduled_banks = C * S``: per scheduled bank, the decode of the chosen command
      into its state updates (PRE, ACT, column, pending precharge);
    - ``result_tag_bits = C * B * 24`` with PIM: each bank's latched-result tag;
      ``tag_mux_bits = C * (B - 1) * 24`` with PIM: the multiplexer that reads it back;
    - ``keep_bits = C * B * 25`` in all-bank mode: each bank's row and its comparison with
      the job's rows (padding banks);
    - ``block_generators = C`` with block interleave outside all-bank mode: each request
      generator's block start (a register and its adder) and the bank-skipping control;
    - ``block_products`` with block interleave in all-bank mode: the products of a constant
      and the per-bank row count (:func:`constant_multipliers`), each with the adder after
      it (the two replaced ``block_bits = 24 * (products + C)``, which priced both alike:
      leave-one-out over the 257 synthesized designs 5.1% to 4.4% mean LUT error);
    - ``address_bits = C * (rb + cb + bb)``: the command word's address;
    - ``return_bits = C * (CL + 1) * (25 + 20 without PIM)``: the tags of reads in
      flight (flip-flops only);
    - ``data_bits = C * data_width``: the registered returned word (flip-flops only);
    - ``flip_flops``: :func:`register_bits`, the RTL's registers counted one by one;
    - ``multipliers``: :func:`constant_multipliers` (DSPs, exactly); ``memories``: 0 (no
      memory in the RTL: BRAMs are zero by construction).
    """
    channels, banks = params.channels, params.banks
    all_bank = params.pim_mode == "all-bank"
    pim = params.pim_mode != "none"
    scheduled = scheduled_banks(params)
    depth = params.queue_depth
    choosable = choosable_entries(params)
    row_bits, col_bits = _index_bits(params.rows), _index_bits(params.columns)
    bank_bits = 0 if all_bank else _index_bits(banks)
    entry = (bank_bits + row_bits + col_bits + 1 + (params.page_policy == "closed")
             + ROWS_WIDTH + (0 if pim else COLS_WIDTH))
    multipliers = constant_multipliers(params)
    block = params.interleave == "block"
    return {
        "one": 1.0, "channels": float(channels),
        "entry_bits": float(channels * depth * entry),
        "chosen_bits": float(channels * (choosable - 1) * entry),
        "entry_bank_bits": float(channels * choosable * (scheduled - 1) * (row_bits + 6)),
        "hit_bits": float(channels * choosable * (row_bits + bank_bits)),
        "older_bits": float(channels * choosable * (choosable - 1) // 2 * (bank_bits + 1)),
        "bank_state_bits": float(channels * scheduled * (row_bits + 3 * TIMER_WIDTH)),
        "scheduled_banks": float(channels * scheduled),
        "result_tag_bits": float(channels * banks * ROWS_WIDTH if pim else 0),
        "tag_mux_bits": float(channels * (banks - 1) * ROWS_WIDTH if pim else 0),
        "keep_bits": float(channels * banks * (ROWS_WIDTH + 1) if all_bank else 0),
        "block_generators": float(channels if block and not all_bank else 0),
        "block_products": float(multipliers if block and all_bank else 0),
        "address_bits": float(channels * (row_bits + col_bits + bank_bits)),
        "return_bits": float(channels * (params.timing_values.cl + 1)
                             * (ROWS_WIDTH + 1 + (0 if pim else COLS_WIDTH))),
        "data_bits": float(channels * data_width(params)),
        "flip_flops": float(register_bits(params)),
        "multipliers": float(multipliers),
        "memories": 0.0,
    }


def pim_clock_features(params: PimParams, target: str) -> dict[str, float]:
    """The clock model's own features of ``pim-v1`` (besides the generic ones):

    - ``clock_log2_scheduled_banks``: ``log2 S``, the depth of the multiplexers that pick
      each entry's bank state (open row, timers) out of the ``S`` scheduled banks (1 in
      all-bank mode, else ``banks``);
    - ``clock_log2_choosable``: ``log2 Qr``, the entries the scheduler chooses among (the
      whole queue with FR-FCFS, the oldest alone with FCFS): its priority choice and the
      multiplexer of the chosen entry;
    - ``clock_constant_products``: 1 where block interleave multiplies a constant by the
      per-bank row count (:func:`constant_multipliers`: a DSP block and the adder and
      comparison after it on a path), else 0.
    """
    return {"clock_log2_scheduled_banks": math.log2(scheduled_banks(params)),
            "clock_log2_choosable": math.log2(choosable_entries(params)),
            "clock_constant_products": 1.0 if constant_multipliers(params) else 0.0}


MODELS = FamilyModels("pim-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters, tolerance=PIM_TOLERANCE,
                      area_features=pim_features, clock_features=pim_clock_features)
