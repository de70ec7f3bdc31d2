"""The mapper of ``accel-v1``: every legal mapping of one GEMM on one design, enumerated
and costed on numpy arrays with the exact models of :mod:`dse.models.accel`.

Mappings. TM, TK and TN run over the multiples of their granules up to the padded
extents, both loop orders; the legality rules are :func:`hw.accel.tiling.refusal`'s (a
granule multiple; the A, B and C tiles fit their slots), applied to whole arrays.

Cycles. The model runs steps ``s = 0 .. T + 1`` (``T`` tiles): step ``s`` writes back tile
``s - 2`` (if its K loop ends there), loads tile ``s``'s A and B tiles (those not on chip)
and computes tile ``s - 1``; it lasts ``max(D, C) + 3`` with ``D = 1 + sum(1 + R)`` over
its transfers. Two facts make the sum exact without running every step:

1. Within a step, a transfer's ``R`` depends only on its own bursts and on the kind of the
   transfer before it (none, a read or a write): the DRAM's ``next_ok`` at its start is a
   fixed offset from its start (``interval - 4`` after a read, ``interval - 3 - latency``
   after a write).
2. Across steps, the DRAM state carried into a step is ``next_ok - clock <= interval - 6``
   (the previous step ended ``max(D, C) + 3 >= D + 3`` cycles after its DMA started its last
   beat). A step's first transfer waits for it only if it exceeds ``latency + 1`` (a read)
   or ``3`` (a write), so with ``interval = bus_bytes / bandwidth <= 9`` no step ever
   waits for the one before, and every step's duration is a function of the tiles it
   touches alone. Cycles are then ``1 + sum over steps``, in any order.

So steps are summed by group: per loop dimension, the first two indices, the last, and
the others by class modulo the period of their DRAM burst positions (a tile's rows start
``index * tile_beats mod max_burst`` beats past a burst boundary). All steps of a group
touch tiles of the same shapes, burst splits and load pattern, so one representative
step, costed on arrays, stands for the group times its size. The transfers' ``R`` come
from the burst recurrence run once per distinct transfer (:mod:`dse.mapping.transfers`).

Below ``bandwidth = bus_bytes / 9`` the carried state can delay a step; the mapper then
refuses the bandwidth (the scalar model still covers it).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dse.mapping.records import LayerMapping, Mapper, check_objective
from dse.mapping.transfers import NEG, transfer_cycles
from dse.models.accel import (
    COMPUTE_OVERHEAD,
    STEP_OVERHEAD,
    AccelActivity,
    energy_of_activity_core,
)
from dse.models.energy import EnergyTable, default_energy_table
from dse.models.systolic import SystolicActivity
from dse.workload import Gemm
from hw.accel.params import AccelParams
from hw.accel.tiling import (
    DEFAULT_LATENCY,
    MAX_DIM,
    ORDERS,
    beat_interval,
    check_latency,
    padded_k,
    padded_m,
    padded_n,
)
from hw.params import ParamError

#: The largest ``bus_bytes / bandwidth`` the grouped sum is exact for (module docstring).
MAX_INTERVAL = 9


@dataclasses.dataclass(frozen=True)
class MappingArrays:
    """Mappings as arrays: tile sizes and ``mnk`` (True) or ``nmk`` (False)."""

    tm: np.ndarray
    tk: np.ndarray
    tn: np.ndarray
    mnk: np.ndarray

    def __len__(self) -> int:
        return len(self.tm)

    def order(self, index: int) -> str:
        return ORDERS[0] if self.mnk[index] else ORDERS[1]

    def take(self, index: np.ndarray) -> MappingArrays:
        return MappingArrays(self.tm[index], self.tk[index], self.tn[index], self.mnk[index])


def _multiples(granule: int, limit: int) -> np.ndarray:
    return np.arange(granule, limit + 1, granule, dtype=np.int64)


def legal_mappings(params: AccelParams, gemm: Gemm) -> MappingArrays:
    """Every mapping :func:`hw.accel.tiling.refusal` accepts with tiles up to the padded
    extents, ordered by TM, TN, TK, then ``mnk`` before ``nmk``.

    Raises:
        ParamError: for a GEMM the hardware refuses whatever the mapping (M, K or N out of
            range).
    """
    for name, value in (("M", gemm.m), ("K", gemm.k), ("N", gemm.n)):
        if not 1 <= value <= MAX_DIM:
            raise ParamError(f"{params.generator} refuses the GEMM {gemm}: M, K and N must "
                             f"be in 1..{MAX_DIM} ({name} = {value})")
    e, slot, acc_slot = params.element_bytes, params.spad_slot_bytes, params.acc_slot_bytes
    tms = _multiples(params.m_granule, padded_m(params, gemm.m))
    tns = _multiples(params.n_granule, padded_n(params, gemm.n))
    gk = params.k_granule
    tm, tn = (a.ravel() for a in np.meshgrid(tms, tns, indexing="ij"))
    fits = tm * tn * params.acc_bytes <= acc_slot
    tm, tn = tm[fits], tn[fits]
    # TK: granule multiples up to the padded K, with both operand tiles in a slot
    top = np.minimum(np.minimum(padded_k(params, gemm.k), slot // (tm * e)), slot // (tn * e))
    steps = np.maximum(top // gk, 0)
    tm, tn = np.repeat(tm, steps), np.repeat(tn, steps)
    starts = np.cumsum(steps) - steps
    tk = (np.arange(int(steps.sum()), dtype=np.int64) - np.repeat(starts, steps) + 1) * gk
    tm, tk, tn = np.repeat(tm, 2), np.repeat(tk, 2), np.repeat(tn, 2)
    mnk = np.tile(np.array([True, False]), len(tm) // 2)
    return MappingArrays(tm, tk, tn, mnk)


def _ceil_div(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a) // np.asarray(b))


@dataclasses.dataclass(frozen=True)
class MappingCosts:
    """The models' results for each mapping (arrays in the mappings' order)."""

    cycles: np.ndarray
    stall_cycles: np.ndarray
    dram_read_bytes: np.ndarray
    dram_write_bytes: np.ndarray
    activity: dict[str, np.ndarray]   # AccelActivity's fields
    energy_pj: np.ndarray

    @property
    def dram_bytes(self) -> np.ndarray:
        return self.dram_read_bytes + self.dram_write_bytes

    @property
    def edp(self) -> np.ndarray:
        return self.energy_pj * self.cycles


class _Job:
    """One GEMM on one design and DRAM, with the per-mapping quantities the steps use."""

    def __init__(self, params: AccelParams, gemm: Gemm, maps: MappingArrays,
                 interval: int, latency: int) -> None:
        self.p = params
        self.m, self.k, self.n = gemm.m, gemm.k, gemm.n
        self.m_pad, self.n_pad = padded_m(params, gemm.m), padded_n(params, gemm.n)
        self.k_pad = padded_k(params, gemm.k)
        self.interval, self.latency = interval, latency
        self.os = params.dataflow == "os"
        self.tm, self.tk, self.tn, self.mnk = maps.tm, maps.tk, maps.tn, maps.mnk
        self.mt = _ceil_div(self.m, self.tm)
        self.nt = _ceil_div(self.n, self.tn)
        self.kt = _ceil_div(self.k, self.tk)
        self.outer = np.where(self.mnk, self.mt, self.nt)
        self.middle = np.where(self.mnk, self.nt, self.mt)
        bus, mb, e = params.bus_bytes, params.max_burst, params.element_bytes
        # beats a tile advances a row's start, per dimension and operand
        self.q_a = (self.tm if self.os else self.tk) * e // bus
        self.q_b = self.tn * e // bus
        self.q_c = self.tn * params.acc_bytes // bus
        period_a = mb // np.gcd(self.q_a, mb)
        period_n = mb // np.gcd(self.q_b, mb)   # C's period divides B's
        ones = np.ones_like(self.tm)
        period_m = period_a if self.os else ones
        self.period_k = ones if self.os else period_a
        self.period_outer = np.where(self.mnk, period_m, period_n)
        self.period_middle = np.where(self.mnk, period_n, period_m)

    # --- tile features, by index ------------------------------------------------------

    def compute_cycles(self, i: np.ndarray, mi: np.ndarray, ni: np.ndarray, ki: np.ndarray
                       ) -> np.ndarray:
        """The compute engine's C for the tile (mi, ni, ki) of mappings ``i``."""
        p = self.p
        tm_pad = np.minimum(self.tm[i], self.m_pad - mi * self.tm[i])
        tn_pad = np.minimum(self.tn[i], self.n_pad - ni * self.tn[i])
        tk = np.minimum(self.tk[i], self.k - ki * self.tk[i])
        tk_pad = np.minimum(self.tk[i], self.k_pad - ki * self.tk[i])
        if self.os:
            tiles = _ceil_div(tm_pad, p.rows) * _ceil_div(tn_pad, p.cols)
            core = (tk - 1) + (tiles - 1) * np.maximum(tk, p.rows) + p.rows + p.cols + 2
        else:
            depth = p.acc_depth or 1
            beats = (tn_pad // p.cols) * (tk_pad // p.rows) * (
                _ceil_div(tm_pad, depth) * p.rows + tm_pad)
            core = beats + p.rows + p.cols + 2
        return core + COMPUTE_OVERHEAD

    def a_kind(self, i: np.ndarray, mi: np.ndarray, ki: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, row beats, burst position) of the A tile (mi, ki)."""
        p = self.p
        e, bus, mb = p.element_bytes, p.bus_bytes, p.max_burst
        tm_pad = np.minimum(self.tm[i], self.m_pad - mi * self.tm[i])
        tk = np.minimum(self.tk[i], self.k - ki * self.tk[i])
        tk_pad = np.minimum(self.tk[i], self.k_pad - ki * self.tk[i])
        if self.os:
            return tk, tm_pad * e // bus, (mi * self.q_a[i]) % mb
        return tm_pad, tk_pad * e // bus, (ki * self.q_a[i]) % mb

    def b_kind(self, i: np.ndarray, ni: np.ndarray, ki: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.p
        tn_pad = np.minimum(self.tn[i], self.n_pad - ni * self.tn[i])
        tk_pad = np.minimum(self.tk[i], self.k_pad - ki * self.tk[i])
        return tk_pad, tn_pad * p.element_bytes // p.bus_bytes, (ni * self.q_b[i]) % p.max_burst

    def c_kind(self, i: np.ndarray, mi: np.ndarray, ni: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.p
        tm_eff = np.minimum(self.tm[i], self.m - mi * self.tm[i])
        tn_pad = np.minimum(self.tn[i], self.n_pad - ni * self.tn[i])
        return tm_eff, tn_pad * p.acc_bytes // p.bus_bytes, (ni * self.q_c[i]) % p.max_burst

    def split(self, i: np.ndarray, linear: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mi, ni, ki) of the tiles at ``linear`` positions of the tile sequence."""
        kt, middle = self.kt[i], self.middle[i]
        ki = linear % kt
        d = (linear // kt) % middle
        o = linear // (kt * middle)
        mnk = self.mnk[i]
        return np.where(mnk, o, d), np.where(mnk, d, o), ki


# transfer keys: what a transfer's R depends on, packed into one integer
_FRESH, _AFTER_READ, _AFTER_WRITE = 0, 1, 2


def _key(write: int, pred: np.ndarray, kind: tuple[np.ndarray, np.ndarray, np.ndarray]
         ) -> np.ndarray:
    rows, beats, position = kind
    return ((((write * 4 + pred) << 9) + position) << 40) + (beats << 20) + rows


def _unkey(keys: np.ndarray) -> tuple[np.ndarray, ...]:
    rows = keys & ((1 << 20) - 1)
    beats = (keys >> 20) & ((1 << 20) - 1)
    position = (keys >> 40) & ((1 << 9) - 1)
    pred = (keys >> 49) & 3
    write = keys >> 51
    return write.astype(bool), pred, rows, beats, position


def _groups(size: np.ndarray, period: np.ndarray, slots: int,
            steps: tuple[np.ndarray, ...] = (), max_burst: int = 1
            ) -> tuple[np.ndarray, np.ndarray]:
    """Representative index and size of each group of one loop dimension (module
    docstring): index 0, index 1, the last index, then the classes of 2 .. size - 2
    modulo ``period`` (``slots`` of them, the largest period).

    A step touches tiles at index ``i``, ``i - 1`` and ``i - 2`` of a dimension, and a
    tile's burst position matters only through how its rows split into bursts (the first
    burst's length ``min(row_beats, max_burst - position)``; ``steps``: the beats a tile
    advances each position, its interior row beats too). Classes whose three tiles split
    alike are one group (the first of them takes the others' sizes)."""
    n = len(size)
    reps = np.zeros((n, 3 + slots), dtype=np.int64)
    counts = np.zeros((n, 3 + slots), dtype=np.int64)
    reps[:, 1], counts[:, 0], counts[:, 1] = 1, 1, size >= 2
    reps[:, 2], counts[:, 2] = size - 1, size >= 3
    for j in range(slots):
        rep = 2 + (j - 2) % period
        reps[:, 3 + j] = rep
        counts[:, 3 + j] = np.where((j < period) & (rep <= size - 2),
                                    (size - 2 - rep) // period + 1, 0)
    if slots > 1 and steps:
        signature = np.zeros((n, slots), dtype=np.int64)
        for step in steps:
            for back in range(3):
                index = reps[:, 3:] - back
                first = np.minimum(step[:, None], max_burst - index * step[:, None] % max_burst)
                signature = signature * (max_burst + 1) + first
        for j in range(1, slots):
            live = counts[:, 3 + j] > 0
            for earlier in range(j):
                same = live & (counts[:, 3 + earlier] > 0) & (
                    signature[:, earlier] == signature[:, j])
                counts[same, 3 + earlier] += counts[same, 3 + j]
                counts[same, 3 + j] = 0
                live &= ~same
    return reps, counts


def _check_interval(params: AccelParams, bandwidth: int) -> int:
    interval = beat_interval(params, bandwidth)
    if interval > MAX_INTERVAL:
        low = next(d for d in range(1, params.bus_bytes + 1)
                   if params.bus_bytes % d == 0 and params.bus_bytes // d <= MAX_INTERVAL)
        raise ParamError(
            f"`bandwidth` must be at least bus_bytes / {MAX_INTERVAL} for the mapper (a "
            f"divisor of bus_bytes = {params.bus_bytes} from {low}, or a multiple of it), "
            f"not {bandwidth!r}: below it a step can wait for the DRAM traffic of the one "
            f"before, which the grouped model does not follow")
    return interval


@dataclasses.dataclass
class _TransferCache:
    """Transfers already run through the burst recurrence for one GEMM, design and DRAM
    (sorted keys and their ``R``), shared by the batches of one search."""

    keys: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    runs: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))


def _cycles(job: _Job, bound: bool = False, cache: _TransferCache | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Exact cycles and stall cycles of every mapping of ``job``; with ``bound``, a lower
    bound of the cycles instead: the same sum of ``max(D, C) + 3`` over the steps, with
    each transfer's ``R`` at its floor ``latency + 2 + (beats - 1) * interval`` (see
    :func:`_cycle_bounds`), which needs no burst positions, so one class per dimension."""
    p = job.p
    count = len(job.tm)
    everyone = np.arange(count)
    ones = np.ones(count, dtype=np.int64)
    periods = ((ones, ones, ones) if bound else
               (job.period_outer, job.period_middle, job.period_k))
    # the beats each dimension's index moves the operands' burst positions (0: none)
    q_m = job.q_a if job.os else 0 * ones
    q_k = 0 * ones if job.os else job.q_a
    steps = ((np.where(job.mnk, q_m, job.q_b), np.where(job.mnk, 0, job.q_c)),
             (np.where(job.mnk, job.q_b, q_m), np.where(job.mnk, job.q_c, 0)), (q_k,))
    outer_reps, outer_counts = _groups(job.outer, periods[0], int(periods[0].max()),
                                       steps[0], p.max_burst)
    middle_reps, middle_counts = _groups(job.middle, periods[1], int(periods[1].max()),
                                         steps[1], p.max_burst)
    k_reps, k_counts = _groups(job.kt, periods[2], int(periods[2].max()), steps[2],
                               p.max_burst)
    tiles = job.mt * job.nt * job.kt
    # pass 1: every group's representative step, with its transfers as keys
    groups = []
    for go in range(outer_reps.shape[1]):
        live_o = everyone[outer_counts[:, go] > 0]
        for gd in range(middle_reps.shape[1]):
            live_d = live_o[middle_counts[live_o, gd] > 0]
            for gk in range(k_reps.shape[1]):
                i = live_d[k_counts[live_d, gk] > 0]
                if not len(i):
                    continue
                size = outer_counts[i, go] * middle_counts[i, gd] * k_counts[i, gk]
                linear = (outer_reps[i, go] * job.middle[i] + middle_reps[i, gd]) * job.kt[i] \
                    + k_reps[i, gk]
                groups.append((i, size) + _step(job, i, linear))
    # the last two steps: compute tile T - 1 (and write back T - 2 if its K loop ends);
    # write back T - 1
    last = tiles - 1
    mi1, ni1, ki1 = job.split(everyone, last)
    mi2, ni2, ki2 = job.split(everyone, np.maximum(last - 1, 0))
    write = (last >= 1) & (ki2 == job.kt - 1)
    none = np.full(count, -1, dtype=np.int64)
    fresh = np.zeros(count, dtype=np.int64)
    groups.append((everyone, np.ones(count, dtype=np.int64),
                   job.compute_cycles(everyone, mi1, ni1, ki1),
                   np.where(write, _key(1, fresh, job.c_kind(everyone, mi2, ni2)), -1),
                   none, none))
    groups.append((everyone, np.ones(count, dtype=np.int64), np.zeros(count, dtype=np.int64),
                   _key(1, fresh, job.c_kind(everyone, mi1, ni1)), none, none))
    # pass 2: each distinct transfer once through the burst recurrence
    keys = np.unique(np.concatenate([g[k] for g in groups for k in (3, 4, 5)]))
    keys = keys[keys >= 0]
    cache = cache if cache is not None and not bound else _TransferCache()
    known = np.isin(keys, cache.keys, assume_unique=True)
    new = keys[~known]
    write_flag, pred, rows, beats, position = _unkey(new)
    carry = np.select([pred == _AFTER_READ, pred == _AFTER_WRITE],
                      [job.interval - 4, job.interval - 3 - job.latency], NEG)
    if bound:
        fresh_runs = job.latency + 2 + (rows * beats - 1) * job.interval
    else:
        fresh_runs = transfer_cycles(write_flag, rows, beats, position, carry,
                                     max_burst=p.max_burst, outstanding=p.outstanding,
                                     interval=job.interval, latency=job.latency)
    merged = np.concatenate([cache.keys, new])
    order = np.argsort(merged, kind="stable")
    cache.keys, cache.runs = merged[order], np.concatenate([cache.runs, fresh_runs])[order]
    keys, runs = cache.keys, cache.runs
    # pass 3: durations
    cycles = np.ones(count, dtype=np.int64)   # the check cycle
    stalls = np.zeros(count, dtype=np.int64)
    for i, size, compute, *transfer_keys in groups:
        dma = np.ones(len(i), dtype=np.int64)
        for key in transfer_keys:
            present = key >= 0
            run = runs[np.searchsorted(keys, np.where(present, key, keys[0]))]
            dma += np.where(present, 1 + run, 0)
        busy = np.maximum(dma, compute)
        cycles[i] += size * (busy + STEP_OVERHEAD)   # i holds each mapping once
        stalls[i] += size * (busy - compute)
    return cycles, stalls


def _step(job: _Job, i: np.ndarray, linear: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The step that loads tile ``linear`` (< T) of mappings ``i``: its compute cycles and
    its transfers' keys (write-back, A, B; -1 where absent)."""
    mi, ni, ki = job.split(i, linear)
    has1, has2 = linear >= 1, linear >= 2
    mi1, ni1, ki1 = job.split(i, np.maximum(linear - 1, 0))
    mi2, ni2, ki2 = job.split(i, np.maximum(linear - 2, 0))
    load_a = ~has1 | (mi1 != mi) | (ki1 != ki)
    load_b = ~has1 | (ki1 != ki) | (ni1 != ni)
    write = has2 & (ki2 == job.kt[i] - 1)
    compute = np.where(has1, job.compute_cycles(i, mi1, ni1, ki1), 0)
    fresh = np.zeros(len(i), dtype=np.int64)
    c_key = np.where(write, _key(1, fresh, job.c_kind(i, mi2, ni2)), -1)
    a_pred = np.where(write, _AFTER_WRITE, _FRESH)
    a_key = np.where(load_a, _key(0, a_pred, job.a_kind(i, mi, ki)), -1)
    b_pred = np.where(load_a, _AFTER_READ, a_pred)
    b_key = np.where(load_b, _key(0, b_pred, job.b_kind(i, ni, ki)), -1)
    return compute, c_key, a_key, b_key


# --- traffic, activity and energy ------------------------------------------------------


def _load_times(job: _Job) -> tuple[np.ndarray, np.ndarray]:
    """How many times each A tile and each B tile is loaded (``tiling.dram_bytes``)."""
    one_k = job.kt == 1
    a_mnk = np.where(one_k, 1, job.nt)
    b_mnk = np.where(one_k & (job.nt == 1), 1, job.mt)
    b_nmk = np.where(one_k, 1, job.mt)
    a_nmk = np.where(one_k & (job.mt == 1), 1, job.nt)
    return np.where(job.mnk, a_mnk, a_nmk), np.where(job.mnk, b_mnk, b_nmk)


def _dram_bytes(job: _Job) -> tuple[np.ndarray, np.ndarray]:
    """``hw.accel.tiling.dram_bytes`` on arrays."""
    p = job.p
    a_times, b_times = _load_times(job)
    read = (a_times * job.m_pad * job.k_pad + b_times * job.n_pad * job.k_pad) * p.element_bytes
    written = np.full(len(job.tm), job.m * job.n_pad * p.acc_bytes, dtype=np.int64)
    return read, written


def _activity(job: _Job, read: np.ndarray, written: np.ndarray) -> dict[str, np.ndarray]:
    """AccelActivity's counts (all but stalls) summed over the tiles, by tile shape: each
    dimension has full tiles and possibly one ragged last tile."""
    p = job.p
    rows, cols = p.rows, p.cols
    zero = np.zeros(len(job.tm), dtype=np.int64)
    sums = {name: zero.copy() for name in ("beats", "results", "rmw", *(
        f"core_{event}" for event in SystolicActivity.events()))}

    def extents(tile, pad, tiles):
        last = pad - (tiles - 1) * tile
        return ((tile, tiles - 1), (last, np.ones_like(tiles)))

    for tm_pad, count_m in extents(job.tm, job.m_pad, job.mt):
        for tn_pad, count_n in extents(job.tn, job.n_pad, job.nt):
            for tk_pad, count_k in extents(job.tk, job.k_pad, job.kt):
                count = count_m * count_n * count_k
                n_subs = tn_pad // cols
                if job.os:
                    subtiles = _ceil_div(tm_pad, rows) * n_subs
                    beats = subtiles * tk_pad * 2
                    results = subtiles * rows
                    core_beats = _ceil_div(tm_pad, rows) * _ceil_div(tn_pad, cols) * tk_pad
                    core = {"pe_macs": core_beats * rows * cols,
                            "operand_words": core_beats * (rows + cols),
                            "result_words": _ceil_div(tm_pad, rows) * _ceil_div(
                                tn_pad, cols) * rows * cols,
                            "acc_reads": zero, "acc_writes": zero, "weight_writes": zero,
                            "weight_swaps": zero}
                else:
                    depth = p.acc_depth or 1
                    blocks = _ceil_div(tm_pad, depth)
                    beats = n_subs * (tk_pad // rows) * (blocks * rows + tm_pad)
                    results = n_subs * tm_pad
                    n_tiles = _ceil_div(tn_pad, cols)
                    k_tiles = _ceil_div(tk_pad, rows)
                    activations = n_tiles * k_tiles * tm_pad
                    weight_rows = n_tiles * blocks * tk_pad
                    accumulations = n_tiles * tm_pad * (k_tiles - 1)
                    core = {"pe_macs": activations * rows * cols,
                            "operand_words": activations * rows + weight_rows * cols,
                            "result_words": n_tiles * tm_pad * cols,
                            "acc_reads": accumulations, "acc_writes": accumulations,
                            "weight_writes": weight_rows * cols,
                            "weight_swaps": n_tiles * blocks * k_tiles * rows * cols}
                sums["beats"] += count * beats
                sums["results"] += count * results
                for event, value in core.items():
                    sums[f"core_{event}"] += count * value
    # read-modify-write: every tile whose K loop does not start there
    for tm_pad, count_m in extents(job.tm, job.m_pad, job.mt):
        for tn_pad, count_n in extents(job.tn, job.n_pad, job.nt):
            results = (_ceil_div(tm_pad, rows) * rows * (tn_pad // cols) if job.os
                       else (tn_pad // cols) * tm_pad)
            sums["rmw"] += count_m * count_n * (job.kt - 1) * results
    bus = p.bus_bytes
    return {"dram_read_bytes": read, "dram_write_bytes": written,
            "spad_reads": sums["beats"], "spad_writes": read // bus,
            "acc_reads": sums["rmw"] + written // bus, "acc_writes": sums["results"],
            **{f"core_{event}": sums[f"core_{event}"] for event in SystolicActivity.events()}}


def _energy(params: AccelParams, activity: dict[str, np.ndarray], table: EnergyTable
            ) -> np.ndarray:
    """``dse.models.accel.energy_of_counts(...).total_pj`` on arrays: the core's on-chip
    energy is linear in its events (its per-event energies taken from the scalar model),
    then the scratchpad, accumulator and DRAM terms as that function has them."""
    events = SystolicActivity.events()
    unit = dict.fromkeys(AccelActivity.events(), 0)
    core = np.zeros(len(activity["spad_reads"]))
    for event in events:
        counts = AccelActivity(**{**unit, f"core_{event}": 1})
        per_event = sum(energy_of_activity_core(params, counts, 1, table).on_chip.values())
        core = core + activity[f"core_{event}"] * per_event
    sram = table.sram_access_64b
    spad, acc = sram.at(params.spad_kib / 2), sram.at(params.acc_kib / 2)
    scratchpad = (activity["spad_reads"] // 2 * (params.a_word_bytes + params.b_word_bytes)
                  * 8 / 64 * spad + activity["spad_writes"] * params.bus_bytes * 8 / 64 * spad)
    accumulator = (activity["acc_reads"] * params.c_word_bytes * 8 / 64 * acc
                   + activity["acc_writes"] * params.cols * params.acc_width / 64 * acc)
    offchip = (8 * (activity["dram_read_bytes"] + activity["dram_write_bytes"]) / 64
               * table.dram_access_64b.energy_pj)
    return core + scratchpad + accumulator + offchip


def _closed_forms(job: _Job, table: EnergyTable | None
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """DRAM bytes (read, written), activity (all but stalls) and energy of every mapping:
    none of them depends on the cycle model."""
    read, written = _dram_bytes(job)
    activity = _activity(job, read, written)
    return read, written, activity, _energy(job.p, activity, table or default_energy_table())


def _job(params: AccelParams, gemm: Gemm, maps: MappingArrays, bandwidth: int | None,
         latency: int | None) -> _Job:
    bandwidth = params.bus_bytes if bandwidth is None else bandwidth
    interval = _check_interval(params, bandwidth)
    latency = DEFAULT_LATENCY if latency is None else check_latency(latency)
    return _Job(params, gemm, maps, interval, max(latency, 2))


def evaluate(params: AccelParams, gemm: Gemm, maps: MappingArrays, bandwidth: int | None = None,
             latency: int | None = None, table: EnergyTable | None = None) -> MappingCosts:
    """The exact models of :mod:`dse.models.accel` for every mapping in ``maps`` (all
    legal): cycles and stalls (equal to ``cycles(...)``), DRAM bytes, SRAM accesses, the
    core's events and energy (equal to ``energy(...).total_pj`` up to float rounding).

    Raises:
        ParamError: for a bad bandwidth or latency, naming it and what is allowed.
    """
    job = _job(params, gemm, maps, bandwidth, latency)
    cycles, stalls = _cycles(job)
    read, written, activity, energy = _closed_forms(job, table)
    activity["stall_cycles"] = stalls
    return MappingCosts(cycles=cycles, stall_cycles=stalls, dram_read_bytes=read,
                        dram_write_bytes=written, activity=activity, energy_pj=energy)


# --- the mapper ---------------------------------------------------------------------------


def compulsory_bytes(params: AccelParams, gemm: Gemm) -> int:
    """DRAM bytes no mapping can avoid: A and B read once, C written once, unpadded."""
    return ((gemm.m * gemm.k + gemm.k * gemm.n) * params.element_bytes
            + gemm.m * gemm.n * params.acc_bytes)


def objective_values(costs: MappingCosts, objective: str) -> np.ndarray:
    """The metric a mapping is chosen by (``OBJECTIVES`` of :mod:`dse.mapping`)."""
    return {"cycles": costs.cycles, "dram": costs.dram_bytes, "energy": costs.energy_pj,
            "edp": costs.edp}[objective]


def best_index(maps: MappingArrays, costs: MappingCosts, objective: str) -> int:
    """The mapping minimizing ``objective``; ties go to fewer cycles, then fewer DRAM
    bytes, then less energy, then smaller TM, TK, TN, then ``mnk``."""
    keys = (~maps.mnk, maps.tn, maps.tk, maps.tm, costs.energy_pj, costs.dram_bytes,
            costs.cycles, objective_values(costs, objective))
    return int(np.lexsort(keys)[0])


def _cycle_bounds(job: _Job, read: np.ndarray, written: np.ndarray) -> np.ndarray:
    """A lower bound of each mapping's cycles, in closed form:
    ``1 + sum(max(D, C) + 3) >= 1 + 3 (T + 2) + max(sum C, sum D)``, with ``sum C`` over the
    tiles by shape and ``sum D >= (T + 2) + sum(1 + R)``, where a transfer of ``b`` beats
    runs ``R >= latency + 2 + (b - 1) * interval`` (its first beat comes ``latency``
    after its request, each next one ``interval`` after the one before)."""
    everyone = np.arange(len(job.tm))
    compute = np.zeros(len(job.tm), dtype=np.int64)
    last = (job.mt - 1, job.nt - 1, job.kt - 1)
    for mi, count_m in ((0 * job.mt, job.mt - 1), (last[0], 1)):
        for ni, count_n in ((0 * job.nt, job.nt - 1), (last[1], 1)):
            for ki, count_k in ((0 * job.kt, job.kt - 1), (last[2], 1)):
                compute += count_m * count_n * count_k * job.compute_cycles(everyone, mi, ni,
                                                                            ki)
    steps = job.mt * job.nt * job.kt + 2
    read_d, write_d = _dram_bytes_parts(job)
    transfers = read_d + write_d
    beats = (read + written) // job.p.bus_bytes
    dma = steps + transfers * (job.latency + 3) + (beats - transfers) * job.interval
    return 1 + STEP_OVERHEAD * steps + np.maximum(compute, dma)


def _dram_bytes_parts(job: _Job) -> tuple[np.ndarray, np.ndarray]:
    """Transfers a job makes: (A and B tile loads, C tile writes)."""
    a_times, b_times = _load_times(job)
    return a_times * job.mt * job.kt + b_times * job.nt * job.kt, job.mt * job.nt


def map_gemm(params: AccelParams, gemm: Gemm, bandwidth: int | None = None,
             latency: int | None = None, objective: str = "cycles",
             table: EnergyTable | None = None) -> LayerMapping:
    """The legal mapping of ``gemm`` minimizing ``objective``, its cost and the number of
    legal mappings. Ties go to fewer cycles, then fewer DRAM bytes, less energy, smaller
    TM, TK, TN, then ``mnk``.

    DRAM bytes and energy are closed forms, evaluated for every mapping. Cycles come from
    the exact grouped model (:func:`evaluate`) for the mappings that can still win: every
    mapping has a closed-form lower bound of its cycles (:func:`_cycle_bounds`); mappings
    are taken in order of their bound of the objective, and those whose bound is worse
    than the best exact value found are never costed further (branch and bound: the
    choice is the one brute force makes).

    Raises:
        ParamError: for an unknown objective, a bad bandwidth or latency.
    """
    check_objective(objective)
    maps = legal_mappings(params, gemm)
    job = _job(params, gemm, maps, bandwidth, latency)
    read, written, activity, energy = _closed_forms(job, table)
    dram = read + written
    cycles_low = _cycle_bounds(job, read, written)
    metric_low = {"cycles": cycles_low, "dram": dram, "energy": energy,
                  "edp": energy * cycles_low}[objective].copy()
    cycles = np.zeros(len(maps), dtype=np.int64)
    stalls = np.zeros(len(maps), dtype=np.int64)
    done = np.zeros(len(maps), dtype=bool)
    refined = np.zeros(len(maps), dtype=bool)
    best_metric, best_cycles, batch = np.inf, np.inf, 256
    cache = _TransferCache()

    def still_open() -> np.ndarray:
        return ~done & ((metric_low < best_metric)
                        | ((metric_low == best_metric) & (cycles_low <= best_cycles)))

    while True:
        if np.isfinite(best_metric):
            # the step-by-step bound, for the mappings the closed form cannot rule out
            sharpen = np.flatnonzero(still_open() & ~refined)
            if len(sharpen):
                sharper, _ = _cycles(_Job(params, gemm, maps.take(sharpen), job.interval,
                                          job.latency), bound=True)
                cycles_low[sharpen] = np.maximum(cycles_low[sharpen], sharper)
                metric_low[sharpen] = {"cycles": cycles_low, "dram": dram, "energy": energy,
                                       "edp": energy * cycles_low}[objective][sharpen]
                refined[sharpen] = True
        left = np.flatnonzero(still_open())
        if not len(left):
            break
        take = left[np.lexsort((cycles_low[left], metric_low[left]))][:batch]
        cycles[take], stalls[take] = _cycles(_Job(params, gemm, maps.take(take),
                                                  job.interval, job.latency), cache=cache)
        done[take] = True
        batch *= 2
        found = np.flatnonzero(done)
        exact = {"cycles": cycles, "dram": dram, "energy": energy,
                 "edp": energy * cycles}[objective]
        first = found[np.lexsort((cycles[found], exact[found]))[0]]
        best_metric, best_cycles = exact[first], cycles[first]
    found = np.flatnonzero(done)
    costs = MappingCosts(cycles=cycles[found], stall_cycles=stalls[found],
                         dram_read_bytes=read[found], dram_write_bytes=written[found],
                         activity={}, energy_pj=energy[found])
    best = int(found[best_index(maps.take(found), costs, objective)])
    return LayerMapping(
        gemm=gemm, tiles=f"{maps.tm[best]}x{maps.tk[best]}x{maps.tn[best]}",
        order=maps.order(best), cycles=int(cycles[best]), stall_cycles=int(stalls[best]),
        dram_read_bytes=int(read[best]), dram_write_bytes=int(written[best]),
        energy_pj=float(energy[best]), compulsory_bytes=compulsory_bytes(params, gemm),
        legal_mappings=len(maps))


MAPPER = Mapper("accel-v1", map_gemm, lambda params: (params.bus_bytes, DEFAULT_LATENCY))
