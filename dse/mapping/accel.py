"""The mapper of ``accel-v1``: every legal mapping of one GEMM on one design, enumerated
and costed on numpy arrays with the exact models of :mod:`dse.models.accel`.

Mappings. TM, TK and TN run over the multiples of their granules up to the padded
extents, both loop orders; the legality rules are :func:`hw.accel.tiling.refusal`'s (a
granule multiple; the A, B and C tiles fit their slots), applied to whole arrays.

Cores. The systolic core (either dataflow) and the bit-serial one, which reads A and B
as rows of ``lanes``-element chunks of K (``hw.accel.tiling``: its transfers have
``TK / lanes`` rows, and a row moves ``lanes`` times as many beats per M or N) and computes
a tile in :func:`dse.models.bitserial.cycles`' time at the GEMM's precision (``bits``):
``(L - 1) + (T - 1) max(L, rows) + rows + 2`` for ``T`` core tiles of ``L = TK / lanes *
bits`` beats each.

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

So steps are summed by block: per loop dimension a coarse group (index 0, index 1, the
last index, the interior). All steps of a block touch tiles of the same shapes and load
pattern and compute for the same ``C``; they differ only in the DRAM burst positions of
their tiles' rows (``index * tile_beats mod max_burst`` beats past a burst boundary),
which move with the interior index of two dimensions, by class modulo their period: A's
(M for ``os``, K for ``ws``) and B's and C's (N). A block's durations are then
``D = 1 + F_a + F_b`` over pairs of classes, and its sum of ``max(D, C)`` is ``sum D`` (a
sum per dimension) when ``C`` is at most the least ``D``, ``C`` times its steps when ``C``
is at least the largest, and the sum over the pairs of classes otherwise
(:func:`_block_cycles`). A transfer's ``R`` comes from its row profile
(:mod:`dse.mapping.transfers`): the burst recurrence run once per row shape, for every
number of rows at once, kept across GEMMs for one DRAM and burst shape.

The search (:func:`map_gemm`) is a branch and bound on two lower bounds of the cycles: a
closed form (:func:`_cycle_bounds`), and the block sum with every transfer at its least
``R`` over burst positions (no classes). Both hold because the recurrence is made of
``max`` and ``+``: a later start or a busier DRAM only delays a transfer.

Below ``bandwidth = bus_bytes / 9`` the carried state can delay a step, and the block sum
is no longer exact: :func:`evaluate` refuses such a bandwidth, and :func:`map_gemm` takes
it, with the same bounds (a carried state only delays a transfer, so they still hold) and
the scalar model itself for the mappings they cannot rule out.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from dse.mapping.records import LayerMapping, Mapper, check_objective
from dse.mapping.transfers import NEG, row_profiles, runs_of_rows
from dse.models.accel import (
    COMPUTE_OVERHEAD,
    STEP_OVERHEAD,
    activity_class,
    energy_of_activity_core,
    job_bits,
)
from dse.models.accel import cycles as accel_cycles
from dse.models.energy import EnergyTable, default_energy_table
from dse.workload import Gemm
from hw.accel.params import AccelParams
from hw.accel.tiling import (
    DEFAULT_LATENCY,
    MAX_DIM,
    ORDERS,
    Mapping,
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


def _log2(power: int) -> int:
    """log2 of a power of two (the core's rows, cols and lanes are: ``AccelParams``)."""
    return power.bit_length() - 1


def _ceil_pow2(a: np.ndarray, power: int) -> np.ndarray:
    """``ceil(a / power)`` for a power of two, by a shift (``a`` >= 0)."""
    return (a + (power - 1)) >> _log2(power)


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
        self.gemm = gemm
        self.m, self.k, self.n = gemm.m, gemm.k, gemm.n
        # the bit-serial core's precision (None: the systolic core)
        self.bits = job_bits(params, gemm)
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
        bus, e, lanes = params.bus_bytes, params.element_bytes, params.k_lanes
        # beats a tile advances a row's start, per dimension and operand (a row of the
        # bit-serial core's blocked A or B holds ``lanes`` elements per M or N)
        self.q_a = (self.tm * lanes if self.os else self.tk) * e // bus
        self.q_b = self.tn * lanes * e // bus
        self.q_c = self.tn * params.acc_bytes // bus

    @functools.cached_property
    def periods(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Periods of the burst positions along the outer, middle and K dimensions."""
        mb = self.p.max_burst
        period_a = mb // np.gcd(self.q_a, mb)
        # B's and C's positions together (C's period divides B's for the systolic core,
        # not for the bit-serial one, whose B rows hold `lanes` elements per N)
        period_n = mb // np.gcd(np.gcd(self.q_b, self.q_c), mb)
        ones = np.ones_like(self.tm)
        period_m = period_a if self.os else ones
        return (np.where(self.mnk, period_m, period_n), np.where(self.mnk, period_n, period_m),
                ones if self.os else period_a)

    # --- tile features, by index ------------------------------------------------------

    def m_extent(self, i: np.ndarray | slice, mi: np.ndarray) -> np.ndarray:
        """The padded M extent of the tiles at M index ``mi`` of mappings ``i``."""
        return np.minimum(self.tm[i], self.m_pad - mi * self.tm[i])

    def n_extent(self, i: np.ndarray | slice, ni: np.ndarray) -> np.ndarray:
        return np.minimum(self.tn[i], self.n_pad - ni * self.tn[i])

    def k_extents(self, i: np.ndarray | slice, ki: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(the GEMM's K extent, the padded K extent) of the tiles at K index ``ki``."""
        return (np.minimum(self.tk[i], self.k - ki * self.tk[i]),
                np.minimum(self.tk[i], self.k_pad - ki * self.tk[i]))

    def compute_cycles(self, i: np.ndarray | slice, mi: np.ndarray, ni: np.ndarray,
                       ki: np.ndarray) -> np.ndarray:
        """The compute engine's C for the tile (mi, ni, ki) of mappings ``i``."""
        return self.core_time(self.m_extent(i, mi), self.n_extent(i, ni),
                              *self.k_extents(i, ki))

    def core_time(self, tm_pad: np.ndarray, tn_pad: np.ndarray, tk: np.ndarray,
                  tk_pad: np.ndarray) -> np.ndarray:
        """The compute engine's C for tiles of these extents."""
        p = self.p
        if self.bits is not None:
            # dse.models.bitserial.cycles of the padded tile: one group of L beats per
            # core tile, no scales
            tiles = _ceil_pow2(tm_pad, p.rows) * _ceil_pow2(tn_pad, p.cols)
            beats = (tk_pad >> _log2(p.k_lanes)) * self.bits
            core = (beats - 1) + (tiles - 1) * np.maximum(beats, p.rows) + p.rows + 2
        elif self.os:
            tiles = _ceil_pow2(tm_pad, p.rows) * _ceil_pow2(tn_pad, p.cols)
            core = (tk - 1) + (tiles - 1) * np.maximum(tk, p.rows) + p.rows + p.cols + 2
        else:
            depth = p.acc_depth or 1
            beats = (tn_pad >> _log2(p.cols)) * (tk_pad >> _log2(p.rows)) * (
                _ceil_div(tm_pad, depth) * p.rows + tm_pad)
            core = beats + p.rows + p.cols + 2
        return core + COMPUTE_OVERHEAD

    def a_kind(self, i: np.ndarray, mi: np.ndarray, ki: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, row beats, burst position) of the A tile (mi, ki)."""
        p = self.p
        e, bus, mb = p.element_bytes, p.bus_bytes, p.max_burst
        tm_pad = np.minimum(self.tm[i], self.m_pad - mi * self.tm[i])
        tk_pad = np.minimum(self.tk[i], self.k_pad - ki * self.tk[i])
        if self.os:   # rows of A^T (tk_pad = tk), or of the bit-serial core's blocked A
            lanes = p.k_lanes
            return tk_pad // lanes, tm_pad * lanes * e // bus, (mi * self.q_a[i]) % mb
        return tm_pad, tk_pad * e // bus, (ki * self.q_a[i]) % mb

    def b_kind(self, i: np.ndarray, ni: np.ndarray, ki: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.p
        tn_pad = np.minimum(self.tn[i], self.n_pad - ni * self.tn[i])
        tk_pad = np.minimum(self.tk[i], self.k_pad - ki * self.tk[i])
        lanes = p.k_lanes
        return (tk_pad // lanes, tn_pad * lanes * p.element_bytes // p.bus_bytes,
                (ni * self.q_b[i]) % p.max_burst)

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
_POSITION_MASK = (1 << 9) - 1
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


def _check_interval(params: AccelParams, bandwidth: int, starved: bool = False) -> int:
    """Cycles per bus beat at ``bandwidth``; unless ``starved``, refuse those beyond
    :data:`MAX_INTERVAL`, where the block sum is not exact."""
    interval = beat_interval(params, bandwidth)
    if interval > MAX_INTERVAL and not starved:
        low = next(d for d in range(1, params.bus_bytes + 1)
                   if params.bus_bytes % d == 0 and params.bus_bytes // d <= MAX_INTERVAL)
        raise ParamError(
            f"`bandwidth` must be at least bus_bytes / {MAX_INTERVAL} for the vectorized "
            f"model (a "
            f"divisor of bus_bytes = {params.bus_bytes} from {low}, or a multiple of it), "
            f"not {bandwidth!r}: below it a step can wait for the DRAM traffic of the one "
            f"before, which the block sum does not follow (map_gemm takes it)")
    return interval


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


# --- the exact cycle model, summed by blocks of steps ------------------------------------

#: The coarse group of a loop dimension's interior (after index 0, index 1, the last).
_INTERIOR = 3


@dataclasses.dataclass(frozen=True)
class _Dimension:
    """One loop dimension of a batch of mappings: its size, how many indices each coarse
    group holds, and the interior's classes of burst position (offsets from index 2 and
    how many indices each holds)."""

    size: np.ndarray
    coarse: np.ndarray     # (mappings, 4)
    offsets: np.ndarray    # (mappings, classes)
    counts: np.ndarray     # (mappings, classes)

    @classmethod
    def of(cls, size: np.ndarray, period: np.ndarray) -> _Dimension:
        classes = int(period.max()) if len(period) else 1
        coarse = np.stack([np.ones_like(size), (size >= 2).astype(np.int64),
                           (size >= 3).astype(np.int64), np.maximum(size - 3, 0)], axis=1)
        j = np.arange(classes)[None, :]
        rep = 2 + (j - 2) % period[:, None]
        counts = np.where((j < period[:, None]) & (rep <= size[:, None] - 2),
                          (size[:, None] - 2 - rep) // period[:, None] + 1, 0)
        return cls(size, coarse, rep - 2, counts)


def _moved(keys: np.ndarray, offsets: np.ndarray, q: np.ndarray, max_burst: int
           ) -> np.ndarray:
    """``keys`` (one per mapping) with their burst position moved ``offsets`` indices of
    ``q`` beats each (one column per class); -1 stays -1."""
    position = (keys >> 40) & ((1 << 9) - 1)
    beats = ((keys >> 20) & ((1 << 20) - 1))[:, None]
    moved = (position[:, None] + offsets * q[:, None]) % max_burst
    moved = np.where(max_burst - moved >= beats, 0, moved)   # the same bursts as at 0
    return np.where(keys[:, None] >= 0, keys[:, None] + ((moved - position[:, None]) << 40),
                    -1)


class _Transfers:
    """``R`` of every transfer (by key) on one DRAM and burst shape, from row profiles
    (:func:`dse.mapping.transfers.row_profiles`), kept across GEMMs: a transfer's ``R``
    depends on its key alone, not on the GEMM it belongs to."""

    #: Rows profiled at least, so that short transfers serve longer ones later.
    MIN_ROWS = 32

    def __init__(self, max_burst: int, outstanding: int, interval: int, latency: int
                 ) -> None:
        self.max_burst, self.outstanding = max_burst, outstanding
        self.interval, self.latency = interval, latency
        self.shapes = np.zeros(0, dtype=np.int64)    # sorted keys without their rows
        self.offsets = np.zeros(0, dtype=np.int64)
        self.known = np.zeros(0, dtype=np.int64)
        self.period = np.zeros(0, dtype=np.int64)
        self.delta = np.zeros(0, dtype=np.int64)
        self.table = np.zeros(0, dtype=np.int64)
        # floor_table[line_offsets[line] + rows]: 1 + least R, -1 where not known, for
        # rows up to line_capacities[line], line = floor_lines[write * 4 + before, beats]
        # (line 0: none, capacity 0, at the table's first entry, -1)
        self.floor_lines = np.zeros((8, 1), dtype=np.int64)
        self.line_offsets = np.zeros(1, dtype=np.int64)
        self.line_capacities = np.zeros(1, dtype=np.int64)
        self.floor_table = np.full(1, -1, dtype=np.int64)

    def _find(self, shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.minimum(np.searchsorted(self.shapes, shapes), max(len(self.shapes) - 1, 0))
        found = (self.shapes[at] == shapes) if len(self.shapes) else np.zeros(
            shapes.shape, dtype=bool)
        return at, found

    def cover(self, keys: np.ndarray) -> None:
        """Profile the row shapes of ``keys`` (>= 0) not yet known far enough."""
        keys = keys[keys >= 0]
        shapes, rows = keys >> 20, keys & ((1 << 20) - 1)
        at, found = self._find(shapes)
        missing = ~found
        if len(self.shapes):
            missing |= (self.period[at] == 0) & (rows > self.known[at])
        if not missing.any():
            return
        shapes, rows = shapes[missing], rows[missing]
        new, inverse = np.unique(shapes, return_inverse=True)
        needed = np.full(len(new), self.MIN_ROWS, dtype=np.int64)
        np.maximum.at(needed, inverse, rows)
        write, pred, _, beats, position = _unkey(new << 20)
        carry = np.select([pred == _AFTER_READ, pred == _AFTER_WRITE],
                          [self.interval - 4, self.interval - 3 - self.latency], NEG)
        ends, known, period, delta = row_profiles(
            write, beats, position, carry, needed, max_burst=self.max_burst,
            outstanding=self.outstanding, interval=self.interval, latency=self.latency)
        lengths = known + 1
        offsets = len(self.table) + np.cumsum(lengths) - lengths
        table = ends[np.arange(ends.shape[1])[None, :] < lengths[:, None]]
        keep = ~np.isin(self.shapes, new, assume_unique=True)
        merged = np.concatenate([self.shapes[keep], new])
        order = np.argsort(merged)
        self.shapes = merged[order]
        self.offsets = np.concatenate([self.offsets[keep], offsets])[order]
        self.known = np.concatenate([self.known[keep], known])[order]
        self.period = np.concatenate([self.period[keep], period])[order]
        self.delta = np.concatenate([self.delta[keep], delta])[order]
        self.table = np.concatenate([self.table, table])

    def floor_runs(self, keys: np.ndarray) -> np.ndarray:
        """``1 + R`` of each transfer of ``keys`` at the burst position that makes it
        least (0 where a key is -1): a lower bound that needs no position. Kept in one
        flat table, a line per (direction and transfer before, row beats) holding every
        number of rows up to its capacity (a tile fits a slot, so lines of many beats
        are short)."""
        present = keys >= 0
        kinds = np.where(present, keys >> 49, 0)
        beats = np.where(present, (keys >> 20) & ((1 << 20) - 1), 0)
        rows = np.where(present, keys & ((1 << 20) - 1), 0)
        values = self._floor_values(kinds, beats, rows)
        missing = present & (values < 0)
        if missing.any():
            new = np.unique(keys[missing] & ~(_POSITION_MASK << 40))
            everywhere = _moved(new, np.arange(self.max_burst)[None, :],
                                np.ones(len(new), dtype=np.int64), self.max_burst)
            self.cover(everywhere.ravel())
            least = self.runs(everywhere).min(axis=1)
            new_kinds, new_beats = new >> 49, (new >> 20) & ((1 << 20) - 1)
            new_rows = new & ((1 << 20) - 1)
            self._make_room(new_kinds, new_beats, new_rows)
            line = self.floor_lines[new_kinds, new_beats]
            self.floor_table[self.line_offsets[line] + new_rows] = least
            values = self._floor_values(kinds, beats, rows)
        return np.where(present, values, 0)

    def _floor_values(self, kinds: np.ndarray, beats: np.ndarray, rows: np.ndarray
                      ) -> np.ndarray:
        """The floor table at each (kind, beats, rows); -1 where not known."""
        width = self.floor_lines.shape[1]
        line = np.where(beats < width, self.floor_lines[kinds, np.minimum(beats, width - 1)],
                        0)
        capacity = self.line_capacities[line]
        at = self.line_offsets[line] + np.minimum(rows, capacity)
        return np.where(rows <= capacity, self.floor_table[at], -1)

    def _make_room(self, kinds: np.ndarray, beats: np.ndarray, rows: np.ndarray) -> None:
        """Lines for every (kind, beats) with room for ``rows``: new lines, and lines
        too short moved to the end of the table with twice the room."""
        width = self.floor_lines.shape[1]
        if beats.max() >= width:
            lines = np.zeros((8, 2 * int(beats.max()) + 1), dtype=np.int64)
            lines[:, :width] = self.floor_lines
            self.floor_lines = lines
        codes, inverse = np.unique(kinds * (1 << 20) + beats, return_inverse=True)
        needed = np.zeros(len(codes), dtype=np.int64)
        np.maximum.at(needed, inverse, rows)
        line = self.floor_lines[codes >> 20, codes & ((1 << 20) - 1)]
        old = self.line_capacities[line]
        short = needed > old
        if not short.any():
            return
        codes, line, old = codes[short], line[short], old[short]
        capacity = np.maximum(needed[short], np.where(line > 0, 2 * old, 0))
        offsets = len(self.floor_table) + np.cumsum(capacity + 1) - (capacity + 1)
        table = np.concatenate([self.floor_table,
                                np.full(int((capacity + 1).sum()), -1, dtype=np.int64)])
        for moved_line, offset in zip(line[line > 0], offsets[line > 0], strict=True):
            start, size = self.line_offsets[moved_line], self.line_capacities[moved_line]
            table[offset:offset + size + 1] = table[start:start + size + 1]
        self.floor_table = table
        fresh = np.flatnonzero(line == 0)
        line[fresh] = len(self.line_offsets) + np.arange(len(fresh))
        self.line_offsets = np.concatenate([self.line_offsets, np.zeros(len(fresh),
                                                                        dtype=np.int64)])
        self.line_capacities = np.concatenate([self.line_capacities,
                                               np.zeros(len(fresh), dtype=np.int64)])
        self.line_offsets[line], self.line_capacities[line] = offsets, capacity
        self.floor_lines[codes >> 20, codes & ((1 << 20) - 1)] = line

    def runs(self, keys: np.ndarray) -> np.ndarray:
        """``1 + R`` of each transfer of ``keys`` (covered), 0 where a key is -1."""
        present = keys >= 0
        at, _ = self._find(np.where(present, keys >> 20, self.shapes[0]))
        rows = np.where(present, keys & ((1 << 20) - 1), 1)
        offsets = self.offsets[at]
        run = runs_of_rows(rows, self.known[at], self.period[at], self.delta[at],
                           lambda r: self.table[offsets + r])
        return np.where(present, 1 + run, 0)


def clear_transfer_profiles() -> None:
    """Forget the transfers' row profiles kept across GEMMs (for cold-start timings)."""
    _transfers.cache_clear()


@functools.lru_cache(maxsize=16)
def _transfers(max_burst: int, outstanding: int, interval: int, latency: int) -> _Transfers:
    return _Transfers(max_burst, outstanding, interval, latency)


#: Blocks of steps: the coarse groups of the outer, middle and K dimensions.
_BLOCKS = np.array([(o, d, k) for o in range(4) for d in range(4) for k in range(4)])
#: Mappings costed together (bounds the size of the arrays of blocks and classes).
_CHUNK = 1024


def _block_sums(compute: np.ndarray, f_a: np.ndarray, f_n: np.ndarray, count_a: np.ndarray,
                count_n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum of ``max(D, C)``, steps) of blocks whose steps last ``D = 1 + f_a + f_n`` over
    the pairs of classes (``count_a`` by ``count_n`` steps each), ``C = compute``."""
    steps_a, steps_n = count_a.sum(axis=1), count_n.sum(axis=1)
    steps = steps_a * steps_n
    far = np.int64(1 << 60)
    least = 1 + np.where(count_a > 0, f_a, far).min(axis=1) + np.where(
        count_n > 0, f_n, far).min(axis=1)
    most = 1 + np.where(count_a > 0, f_a, -far).max(axis=1) + np.where(
        count_n > 0, f_n, -far).max(axis=1)
    dma = steps + steps_n * (count_a * f_a).sum(axis=1) + steps_a * (count_n * f_n).sum(axis=1)
    total = np.where(compute <= least, dma, steps * compute)
    mixed = np.flatnonzero((compute > least) & (compute < most))
    if len(mixed):
        durations = 1 + f_a[mixed, :, None] + f_n[mixed, None, :]
        weights = count_a[mixed, :, None] * count_n[mixed, None, :]
        total[mixed] = (weights * np.maximum(durations, compute[mixed, None, None])
                        ).sum(axis=(1, 2))
    return total, steps


def _spread(dims: tuple[_Dimension, ...], dim: np.ndarray, group: np.ndarray,
            size: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, counts) of the classes of dimension ``dim`` (per block) of mappings
    ``i`` whose ``group`` there is the interior: one class of ``size`` steps elsewhere."""
    classes = max(d.offsets.shape[1] for d in dims)
    offsets = np.zeros((len(i), classes), dtype=np.int64)
    counts = np.zeros((len(i), classes), dtype=np.int64)
    counts[:, 0] = size
    for d in range(3):
        where = np.flatnonzero((group == _INTERIOR) & (dim == d))
        width = dims[d].offsets.shape[1]
        offsets[where, :width] = dims[d].offsets[i[where]]
        counts[where, 0] = 0
        counts[where, :width] = dims[d].counts[i[where]]
    return offsets, counts


def _blocks_of(job: _Job, dims: tuple[_Dimension, ...], transfers: _Transfers,
               rows: np.ndarray, floor: bool, cycles: np.ndarray, stalls: np.ndarray) -> None:
    """Add the steps of every block of mappings ``rows`` (all but the last two steps) to
    ``cycles`` and ``stalls``."""
    mb = job.p.max_burst
    coarse = np.stack([d.coarse[rows] for d in dims])
    live = np.ones((len(rows), len(_BLOCKS)), dtype=bool)
    for dim in range(3):
        live &= coarse[dim][:, _BLOCKS[:, dim]] > 0
    local, block = np.nonzero(live)
    i = rows[local]
    groups = _BLOCKS[block]
    index = [np.choose(groups[:, dim], (0 * i, 0 * i + 1, dims[dim].size[i] - 1, 0 * i + 2))
             for dim in range(3)]
    linear = (index[0] * job.middle[i] + index[1]) * job.kt[i] + index[2]
    compute, c_key, a_key, b_key = _step(job, i, linear)
    mnk = job.mnk[i]
    pairs = np.arange(len(i))
    # the dimensions that move A's, and B's and C's, burst positions; the third
    n_dim = np.where(mnk, 1, 0)
    a_dim = np.where(mnk, 0, 1) if job.os else np.full(len(i), 2)
    third = 3 - a_dim - n_dim
    group_a, group_n = groups[pairs, a_dim], groups[pairs, n_dim]
    size_a, size_n = coarse[a_dim, local, group_a], coarse[n_dim, local, group_n]
    multiplier = coarse[third, local, groups[pairs, third]]
    runs = transfers.floor_runs if floor else transfers.runs
    spread_a = (group_a == _INTERIOR) & ~floor
    spread_n = (group_n == _INTERIOR) & ~floor
    for kind in range(4):
        wide_a, wide_n = bool(kind & 1), bool(kind & 2)
        which = np.flatnonzero((spread_a == wide_a) & (spread_n == wide_n))
        if not len(which):
            continue
        w = i[which]
        one = np.zeros((len(which), 1), dtype=np.int64)
        off_a, count_a = (_spread(dims, a_dim[which], group_a[which], size_a[which], w)
                          if wide_a else (one, size_a[which, None]))
        off_n, count_n = (_spread(dims, n_dim[which], group_n[which], size_n[which], w)
                          if wide_n else (one, size_n[which, None]))
        keys_a = _moved(a_key[which], off_a, job.q_a[w], mb)
        keys_b = _moved(b_key[which], off_n, job.q_b[w], mb)
        keys_c = _moved(c_key[which], off_n, job.q_c[w], mb)
        if not floor:
            transfers.cover(np.concatenate([keys_a.ravel(), keys_b.ravel(),
                                            keys_c.ravel()]))
        total, steps = _block_sums(compute[which], runs(keys_a), runs(keys_b) + runs(keys_c),
                                   count_a, count_n)
        np.add.at(cycles, w, multiplier[which] * (total + STEP_OVERHEAD * steps))
        np.add.at(stalls, w, multiplier[which] * (total - steps * compute[which]))


def _block_cycles(job: _Job, floor: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Exact cycles and stall cycles of every mapping of ``job`` (module docstring); with
    ``floor``, a lower bound of the cycles instead: every transfer at its least ``R`` over
    burst positions (:meth:`_Transfers.floor_runs`), so no classes of position."""
    p = job.p
    count = len(job.tm)
    period_outer, period_middle, period_k = (job.periods if not floor else
                                             (np.ones_like(job.tm),) * 3)
    dims = (_Dimension.of(job.outer, period_outer), _Dimension.of(job.middle, period_middle),
            _Dimension.of(job.kt, period_k))
    transfers = _transfers(p.max_burst, p.outstanding, job.interval, job.latency)
    runs = transfers.floor_runs if floor else transfers.runs
    cycles = np.ones(count, dtype=np.int64)   # the check cycle
    stalls = np.zeros(count, dtype=np.int64)
    everyone = np.arange(count)
    for start in range(0, count, _CHUNK):
        _blocks_of(job, dims, transfers, everyone[start:start + _CHUNK], floor, cycles,
                   stalls)
    # the last two steps: compute tile T - 1 (and write back T - 2 if its K loop ends);
    # write back T - 1
    last = job.mt * job.nt * job.kt - 1
    mi1, ni1, ki1 = job.split(everyone, last)
    mi2, ni2, ki2 = job.split(everyone, np.maximum(last - 1, 0))
    write = (last >= 1) & (ki2 == job.kt - 1)
    fresh = np.zeros(count, dtype=np.int64)
    ones = np.ones((count, 1), dtype=np.int64)
    for compute, key in ((job.compute_cycles(everyone, mi1, ni1, ki1),
                          np.where(write, _key(1, fresh, job.c_kind(everyone, mi2, ni2)), -1)),
                         (fresh, _key(1, fresh, job.c_kind(everyone, mi1, ni1)))):
        if not floor:
            transfers.cover(key)
        total, steps = _block_sums(compute, runs(key[:, None]), 0 * ones, ones, ones)
        cycles += total + STEP_OVERHEAD
        stalls += total - compute
    return cycles, stalls


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
    events = _core_events(p)
    sums = {name: zero.copy() for name in ("beats", "results", "rmw", *(
        f"core_{event}" for event in events))}

    def extents(tile, pad, tiles):
        last = pad - (tiles - 1) * tile
        return ((tile, tiles - 1), (last, np.ones_like(tiles)))

    for tm_pad, count_m in extents(job.tm, job.m_pad, job.mt):
        for tn_pad, count_n in extents(job.tn, job.n_pad, job.nt):
            for tk_pad, count_k in extents(job.tk, job.k_pad, job.kt):
                count = count_m * count_n * count_k
                n_subs = tn_pad // cols
                if job.bits is not None:
                    # dse.models.bitserial.activity of the padded tile (one group, no
                    # scales); the feeder reads an A and a B word per beat
                    tiles = _ceil_div(tm_pad, rows) * _ceil_div(tn_pad, cols)
                    core_beats = tiles * (tk_pad // p.k_lanes) * job.bits
                    beats = core_beats * 2
                    results = tiles * rows
                    serial_side = cols if p.serial == "weights" else rows
                    core = {"pe_steps": core_beats * rows * cols,
                            "group_adds": tiles * rows * cols, "dequant_steps": zero,
                            "serial_bits": core_beats * serial_side * p.k_lanes,
                            "parallel_words": core_beats * (rows + cols - serial_side)
                            * p.k_lanes,
                            "scale_words": zero, "result_words": tiles * rows * cols}
                elif job.os:
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
            if job.bits is not None:
                results = _ceil_div(tm_pad, rows) * _ceil_div(tn_pad, cols) * rows
            elif job.os:
                results = _ceil_div(tm_pad, rows) * rows * (tn_pad // cols)
            else:
                results = (tn_pad // cols) * tm_pad
            sums["rmw"] += count_m * count_n * (job.kt - 1) * results
    bus = p.bus_bytes
    return {"dram_read_bytes": read, "dram_write_bytes": written,
            "spad_reads": sums["beats"], "spad_writes": read // bus,
            "acc_reads": sums["rmw"] + written // bus, "acc_writes": sums["results"],
            **{f"core_{event}": sums[f"core_{event}"] for event in events}}


def _core_events(params: AccelParams) -> tuple[str, ...]:
    """The names of the core's events (without ``core_``), as its activity record has
    them."""
    record = activity_class(params)
    return tuple(name.removeprefix("core_") for name in record.events()
                 if name.startswith("core_"))


def _core_event_energies(params: AccelParams, table: EnergyTable) -> dict[str, float]:
    """The core's on-chip energy per event (it is linear in its events), from the scalar
    model, taken at ``pes`` events each (the bit-serial model counts a beat per ``pes``
    PE steps) and divided back."""
    record = activity_class(params)
    unit = dict.fromkeys(record.events(), 0)
    scale = params.pes
    return {event: sum(energy_of_activity_core(
        params, record(**{**unit, f"core_{event}": scale}), 1, table).on_chip.values()) / scale
        for event in _core_events(params)}


def _energy(params: AccelParams, activity: dict[str, np.ndarray], table: EnergyTable
            ) -> np.ndarray:
    """``dse.models.accel.energy_of_counts(...).total_pj`` on arrays: the core's on-chip
    energy is linear in its events (its per-event energies taken from the scalar model),
    then the scratchpad, accumulator and DRAM terms as that function has them."""
    core = np.zeros(len(activity["spad_reads"]))
    for event, per_event in _core_event_energies(params, table).items():
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
    shapes, inverse = _tile_shapes(job)
    activity = {name: values[inverse] for name, values in _activity(
        shapes, *_dram_bytes(shapes)).items()}
    activity.update(dram_read_bytes=read, spad_writes=read // job.p.bus_bytes)
    return read, written, activity, _energy(job.p, activity, table or default_energy_table())


def _job(params: AccelParams, gemm: Gemm, maps: MappingArrays, bandwidth: int | None,
         latency: int | None, starved: bool = False) -> _Job:
    bandwidth = params.bus_bytes if bandwidth is None else bandwidth
    interval = _check_interval(params, bandwidth, starved)
    latency = DEFAULT_LATENCY if latency is None else check_latency(latency)
    return _Job(params, gemm, maps, interval, max(latency, 2))


def evaluate(params: AccelParams, gemm: Gemm, maps: MappingArrays, bandwidth: int | None = None,
             latency: int | None = None, table: EnergyTable | None = None) -> MappingCosts:
    """The exact models of :mod:`dse.models.accel` for every mapping in ``maps`` (all
    legal): cycles and stalls (equal to ``cycles(...)``), DRAM bytes, SRAM accesses, the
    core's events and energy (equal to ``energy(...).total_pj`` up to float rounding).

    Raises:
        ParamError: for a bad bandwidth or latency, naming it and what is allowed; for a
            precision (``gemm.bits``) the bit-serial core does not run.
    """
    job = _job(params, gemm, maps, bandwidth, latency)
    read, written, activity, energy = _closed_forms(job, table)
    cycles, stalls = _block_cycles(job)
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


def _tile_shapes(job: _Job) -> tuple[_Job, np.ndarray]:
    """Tile shapes of ``job`` (as ``mnk`` mappings) and, per mapping, its shape's index:
    what does not depend on the loop order is computed once per shape. Mappings in pairs
    of one shape (as :func:`legal_mappings` gives them) are taken as they come."""
    count = len(job.tm)
    paired = count % 2 == 0 and all(
        (values[0::2] == values[1::2]).all() for values in (job.tm, job.tk, job.tn))
    if paired:
        firsts, inverse = np.arange(0, count, 2), np.arange(count) // 2
    else:
        shape_ids = (job.tm * (MAX_DIM + 1) + job.tk) * (MAX_DIM + 1) + job.tn
        _, firsts, inverse = np.unique(shape_ids, return_index=True, return_inverse=True)
    shapes = _Job(job.p, job.gemm,
                  MappingArrays(job.tm[firsts], job.tk[firsts], job.tn[firsts],
                                np.ones(len(firsts), dtype=bool)), job.interval, job.latency)
    return shapes, inverse


def _coarse_bounds(job: _Job) -> np.ndarray:
    """A lower bound of each mapping's cycles cheaper than :func:`_cycle_bounds`: with
    ``T`` tiles, ``cycles = 1 + sum over the T + 2 steps of (max(D, C) + 3)`` is at least
    ``1 + 3 (T + 2)`` plus the larger of the compute engine's total (every tile's ``C``,
    by tile extents: full and ragged along each dimension; once per tile shape) and the
    DMA's: ``D = 1 + sum
    over its transfers of (1 + R)``, and a transfer of ``B`` beats runs ``R >= 4 + (B - 1)
    * interval`` cycles (its data beats leave the DRAM at least ``interval`` apart, the
    first at least two cycles after its request, the run ends two cycles after the last)."""
    shapes, inverse = _tile_shapes(job)   # the compute total is the loop order's alone
    ones = np.ones_like(shapes.mt)

    def extents(tile: np.ndarray, pad: int, count: np.ndarray
                ) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        return ((tile, count - 1), (pad - (count - 1) * tile, ones))

    k_last = shapes.k_extents(slice(None), shapes.kt - 1)
    compute = np.zeros(len(shapes.tm), dtype=np.int64)
    for tm_pad, count_m in extents(shapes.tm, shapes.m_pad, shapes.mt):
        for tn_pad, count_n in extents(shapes.tn, shapes.n_pad, shapes.nt):
            compute += count_m * count_n * (
                (shapes.kt - 1) * shapes.core_time(tm_pad, tn_pad, shapes.tk, shapes.tk)
                + shapes.core_time(tm_pad, tn_pad, *k_last))
    compute = compute[inverse]
    tiles = job.mt * job.nt * job.kt
    read, written = _dram_bytes(job)
    a_times, b_times = _load_times(job)
    transfers = (a_times * job.mt + b_times * job.nt) * job.kt + job.mt * job.nt
    beats = (read + written) // job.p.bus_bytes
    dma = tiles + 2 + job.interval * beats - transfers * (job.interval - 5)
    return 1 + STEP_OVERHEAD * (tiles + 2) + np.maximum(compute, dma)


def _cycle_bounds(job: _Job) -> np.ndarray:
    """A lower bound of each mapping's cycles, in closed form. Steps are split into parts
    (the first, which only loads; the last two; the others by the K index of the tile
    they load) and ``sum max(D, C) >= max(sum D, sum C)`` taken per part, with ``sum C``
    over the tiles by shape and ``sum D`` over the transfers by shape, each ``R`` at its
    least over burst positions and with nothing before it in its step (the recurrence is
    made of ``max`` and ``+``, so a DRAM still busy only delays a transfer).

    With two K tiles or more every step loads both operands and the bound does not depend
    on the loop order: it is computed once per tile shape."""
    shapes, inverse = _tile_shapes(job)
    parts = _shape_bounds(shapes)
    blocks = shapes.mt * shapes.nt
    steps = blocks * shapes.kt + 2
    head = 1 + STEP_OVERHEAD * steps + parts["first"] + parts["final"]
    # by the K index of the tile a step loads: 0 (after the first), 1 (writing the C tile
    # before back), the last, the others
    full = (blocks + shapes.nt * parts["a0"] + shapes.mt * parts["b0"],
            parts["compute_full"])
    by_k = (np.maximum(full[0] - parts["first"], parts["compute_last"]
                       - parts["last_compute"]),
            np.maximum(np.maximum(blocks + shapes.nt * parts["a1"] + shapes.mt * parts["b1"]
                                  + parts["c"] - parts["final"] + 1, full[1]),
                       parts["by_class_1"]),
            np.where(shapes.kt >= 3, parts["by_class_last"], 0),
            np.maximum(shapes.kt - 3, 0) * parts["by_class_inner"])
    bound = (head + np.maximum(1, parts["last_compute"]) + sum(by_k))[inverse]
    # one K tile: the loop order decides which operand stays, and which C tile the step
    # computing the last tile writes back
    i = np.flatnonzero(job.kt == 1)
    if len(i):
        one = {name: values[inverse[i]] for name, values in parts.items()}
        mt, nt, mnk = job.mt[i], job.nt[i], job.mnk[i]
        a_times = np.where(mnk | (mt == 1), 1, nt)
        b_times = np.where(~mnk | (nt == 1), 1, mt)
        tiles = mt * nt
        fresh = np.zeros(len(i), dtype=np.int64)
        mi2, ni2, _ = job.split(i, np.maximum(tiles - 2, 0))
        kind = job.c_kind(i, mi2, ni2)
        transfers = _transfers(job.p.max_burst, job.p.outstanding, job.interval,
                               job.latency)
        written = np.where(tiles >= 2, transfers.floor_runs(
            _key(1, fresh, (kind[0], kind[1], fresh))), 0)
        dma = tiles + 2 + a_times * one["a"] + b_times * one["b"] + one["c"]
        bound[i] = (head[inverse[i]] + np.maximum(1 + written, one["last_compute"])
                    + np.maximum(dma - one["first"] - one["final"] - 1 - written,
                                 one["compute"] - one["last_compute"]))
    return bound


def _shape_bounds(job: _Job) -> dict[str, np.ndarray]:
    """The order-independent sums of :func:`_cycle_bounds` for the tile shapes of
    ``job``: ``1 + R`` at its floor summed over the A, B and C tiles (``a``, ``b``,
    ``c``) and over the A (B) tiles at K index 0 and 1 (``a0``, ``a1``, ``b0``, ``b1``);
    ``C`` summed over the tiles (``compute``) and over those at K index 0 and the last
    (``compute_full``, ``compute_last``); the first step's and the last's ``D``
    (``first``, ``final``) and the last tile's ``C``; and the steps loading K index 1,
    the last and any other, bounded per M and N class of their C tile (``by_class_*``)."""
    everyone = np.arange(len(job.tm))
    zero = 0 * everyone
    lasts = (job.mt - 1, job.nt - 1, job.kt - 1)
    one = np.minimum(1, lasts[2])
    m_classes = ((zero, job.mt - 1), (lasts[0], zero + 1))
    n_classes = ((zero, job.nt - 1), (lasts[1], zero + 1))
    k_indices = (zero, one, lasts[2])
    transfers = _transfers(job.p.max_burst, job.p.outstanding, job.interval, job.latency)

    def floors(first: np.ndarray, second: np.ndarray, write: int, kind_of, indices
               ) -> np.ndarray:
        """``1 + R`` at its floor of a tile whose kind depends on two tile sizes only, at
        each pair of ``indices`` (once per distinct pair of sizes)."""
        _, at, back = np.unique(first * (MAX_DIM + 1) + second, return_index=True,
                                return_inverse=True)
        none = np.zeros(len(at), dtype=np.int64)
        keys = [_key(write, none, (*kind_of(at, x[at], y[at])[:2], none))
                for x, y in indices]
        return transfers.floor_runs(np.stack(keys))[:, back]

    a = floors(job.tm, job.tk, 0, job.a_kind, [(mi, ki) for mi, _ in m_classes
                                               for ki in k_indices]).reshape(2, 3, -1)
    b = floors(job.tk, job.tn, 0, job.b_kind, [(ni, ki) for ni, _ in n_classes
                                               for ki in k_indices]).reshape(2, 3, -1)
    c = floors(job.tm, job.tn, 1, job.c_kind, [(mi, ni) for mi, _ in m_classes
                                               for ni, _ in n_classes]).reshape(2, 2, -1)
    out = {name: 0 * everyone for name in ("a", "b", "c", "a1", "b1", "compute")}
    out.update({name: 0 * everyone for name in ("a0", "b0",
                                                 "compute_full", "compute_last")})
    for m, (_, count_m) in enumerate(m_classes):
        out["a"] += count_m * ((job.kt - 1) * a[m, 0] + a[m, 2])
        out["a0"] += count_m * a[m, 0]
        out["a1"] += count_m * a[m, 1]
        for n, (_, count_n) in enumerate(n_classes):
            out["c"] += count_m * count_n * c[m, n]
    for n, (_, count_n) in enumerate(n_classes):
        out["b"] += count_n * ((job.kt - 1) * b[n, 0] + b[n, 2])
        out["b0"] += count_n * b[n, 0]
        out["b1"] += count_n * b[n, 1]
    # m class 0 is the last where there is one M tile (its count is then 0), likewise n
    first_m = np.where(job.mt == 1, 1, 0)
    first_n = np.where(job.nt == 1, 1, 0)
    # the steps loading K index 1, the last and the others, by the M and N class of their
    # C tile (each such step computes the tile before in the same C tile): a write-back
    # (K index 1, but for the first C tile) at least the least of any C tile
    written = c.reshape(4, -1).min(axis=0)
    out.update({name: 0 * everyone for name in ("by_class_1", "by_class_last",
                                                 "by_class_inner")})
    # C of the tiles by class: the extents once per class, every shape at once
    m_extents = [job.m_extent(slice(None), mi) for mi, _ in m_classes]
    n_extents = [job.n_extent(slice(None), ni) for ni, _ in n_classes]
    k_first, k_last = job.k_extents(slice(None), zero), job.k_extents(slice(None), lasts[2])
    for m, (_, count_m) in enumerate(m_classes):
        for n, (_, count_n) in enumerate(n_classes):
            first_k = job.core_time(m_extents[m], n_extents[n], *k_first)
            last_k = job.core_time(m_extents[m], n_extents[n], *k_last)
            count = count_m * count_n
            out["compute_full"] += count * first_k
            out["compute_last"] += count * last_k
            out["compute"] += count * ((job.kt - 1) * first_k + last_k)
            writes = count - ((first_m == m) & (first_n == n))
            out["by_class_1"] += np.maximum(count * (1 + a[m, 1] + b[n, 1])
                                            + writes * written, count * first_k)
            out["by_class_last"] += count * np.maximum(1 + a[m, 2] + b[n, 2], first_k)
            out["by_class_inner"] += count * np.maximum(1 + a[m, 0] + b[n, 0], first_k)
    out["first"] = 1 + np.where(first_m == 1, a[1, 0], a[0, 0]) + np.where(
        first_n == 1, b[1, 0], b[0, 0])
    out["final"] = 1 + c[1, 1]
    out["last_compute"] = last_k   # the last M and N class, the last K index
    return out


def _scalar_cycles(params: AccelParams, gemm: Gemm, maps: MappingArrays,
                   bandwidth: int | None, latency: int | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Cycles and stall cycles of ``maps`` from the scalar model itself, one mapping at a
    time: below ``bus_bytes / MAX_INTERVAL`` a step can wait for the DRAM traffic of the
    one before, which the block sum does not follow (the bounds still hold)."""
    reports = [accel_cycles(params, gemm, Mapping(int(maps.tm[i]), int(maps.tk[i]),
                                                  int(maps.tn[i]), maps.order(i)),
                            bandwidth, latency) for i in range(len(maps))]
    return (np.array([r.cycles for r in reports], dtype=np.int64),
            np.array([r.stall_cycles for r in reports], dtype=np.int64))


#: Mappings given the step-by-step bound before the first exact costs.
FIRST_SHARPENED = 256
#: Mappings (the best by the coarse bound) given the closed-form bound before the first
#: exact costs.
FIRST_CLOSED = 1024


def map_gemm(params: AccelParams, gemm: Gemm, bandwidth: int | None = None,
             latency: int | None = None, objective: str = "cycles",
             table: EnergyTable | None = None) -> LayerMapping:
    """The legal mapping of ``gemm`` minimizing ``objective``, its cost and the number of
    legal mappings. Ties go to fewer cycles, then fewer DRAM bytes, less energy, smaller
    TM, TK, TN, then ``mnk``.

    Every legal mapping gets its DRAM bytes (a closed form) and a coarse lower bound of
    its cycles (:func:`_coarse_bounds`); energy too where the objective needs it. Branch
    and bound: mappings are taken in order of their bound of the objective; those that
    can still beat the best found get the closed-form bound (:func:`_cycle_bounds`), those
    that still can after it the step-by-step bound (:func:`_block_cycles` with ``floor``),
    and those that still can after that the exact cycles; a mapping whose bound is worse
    than the best exact value found is never costed further, so the choice is the one
    brute force makes. ``sharpened`` and ``costed`` in the result count the mappings that
    got the step-by-step bound and the exact cycles.

    Raises:
        ParamError: for an unknown objective, a bad bandwidth or latency, or a precision
            (``gemm.bits``) the bit-serial core does not run.
    """
    check_objective(objective)
    maps = legal_mappings(params, gemm)
    job = _job(params, gemm, maps, bandwidth, latency, starved=True)
    read, written = _dram_bytes(job)
    dram = read + written
    # energy is a closed form; the search needs it for every mapping only where it is the
    # objective or part of it, else only for the mappings costed exactly (ties)
    energy = (_closed_forms(job, table)[3] if objective in ("energy", "edp")
              else np.full(len(maps), np.nan))
    cycles_low = _coarse_bounds(job)

    def metric(of_cycles: np.ndarray, which: np.ndarray | slice = slice(None)) -> np.ndarray:
        return {"cycles": lambda: of_cycles[which], "dram": lambda: dram[which],
                "energy": lambda: energy[which],
                "edp": lambda: energy[which] * of_cycles[which]}[objective]()

    metric_low = metric(cycles_low).copy()
    cycles = np.zeros(len(maps), dtype=np.int64)
    stalls = np.zeros(len(maps), dtype=np.int64)
    done = np.zeros(len(maps), dtype=bool)
    closed = np.zeros(len(maps), dtype=bool)
    refined = np.zeros(len(maps), dtype=bool)
    best_metric, best_cycles, batch = np.inf, np.inf, 16

    def still_open() -> np.ndarray:
        return ~done & ((metric_low < best_metric)
                        | ((metric_low == best_metric) & (cycles_low <= best_cycles)))

    def close(which: np.ndarray) -> None:
        """The closed-form bound (:func:`_cycle_bounds`) for ``which``."""
        which = which[~closed[which]]
        if len(which):
            bound = _cycle_bounds(_Job(params, gemm, maps.take(which), job.interval,
                                       job.latency))
            cycles_low[which] = np.maximum(cycles_low[which], bound)
            metric_low[which] = metric(cycles_low, which)
            closed[which] = True

    def sharpen(which: np.ndarray) -> None:
        """The step-by-step bound (:func:`_block_cycles` with ``floor``) for ``which``."""
        which = which[~refined[which]]
        if len(which):
            sharper, _ = _block_cycles(_Job(params, gemm, maps.take(which), job.interval,
                                            job.latency), floor=True)
            cycles_low[which] = np.maximum(cycles_low[which], sharper)
            metric_low[which] = metric(cycles_low, which)
            refined[which] = True

    # a first incumbent: the closed-form bound for the best by the coarse bound, the exact
    # model for the best few of those by it; then the closed-form bound for every mapping
    # still open, and the step-by-step bound in growing chunks by it, between batches of
    # exact costs for the best by the step-by-step bound
    close(np.lexsort((cycles_low, metric_low))[:FIRST_CLOSED])
    chunk = FIRST_SHARPENED
    unrefined = np.zeros(0, dtype=np.int64)
    while True:
        if np.isfinite(best_metric):
            close(np.flatnonzero(still_open() & ~closed))
            unrefined = np.flatnonzero(still_open() & ~refined)
            if len(unrefined):
                order = np.lexsort((cycles_low[unrefined], metric_low[unrefined]))
                sharpen(unrefined[order][:chunk])
                chunk *= 2
            left = np.flatnonzero(still_open() & refined)
        else:
            left = np.flatnonzero(still_open() & closed)
        if not len(left):
            if len(unrefined):
                continue
            break
        take = left[np.lexsort((cycles_low[left], metric_low[left]))][:batch]
        if job.interval <= MAX_INTERVAL:
            cycles[take], stalls[take] = _block_cycles(_Job(params, gemm, maps.take(take),
                                                            job.interval, job.latency))
        else:
            cycles[take], stalls[take] = _scalar_cycles(params, gemm, maps.take(take),
                                                        bandwidth, latency)
        done[take] = True
        if not len(unrefined):
            batch *= 2
        found = np.flatnonzero(done)
        exact = metric(cycles, found)
        first = np.lexsort((cycles[found], exact))[0]
        best_metric, best_cycles = exact[first], cycles[found[first]]
    found = np.flatnonzero(done)
    if objective not in ("energy", "edp"):
        energy[found] = _closed_forms(_Job(params, gemm, maps.take(found), job.interval,
                                           job.latency), table)[3]
    costs = MappingCosts(cycles=cycles[found], stall_cycles=stalls[found],
                         dram_read_bytes=read[found], dram_write_bytes=written[found],
                         activity={}, energy_pj=energy[found])
    best = int(found[best_index(maps.take(found), costs, objective)])
    return LayerMapping(
        gemm=gemm, tiles=f"{maps.tm[best]}x{maps.tk[best]}x{maps.tn[best]}",
        order=maps.order(best), cycles=int(cycles[best]), stall_cycles=int(stalls[best]),
        dram_read_bytes=int(read[best]), dram_write_bytes=int(written[best]),
        energy_pj=float(energy[best]), compulsory_bytes=compulsory_bytes(params, gemm),
        legal_mappings=len(maps), sharpened=int(refined.sum()), costed=len(found))


MAPPER = Mapper("accel-v1", map_gemm, lambda params: (params.bus_bytes, DEFAULT_LATENCY))
