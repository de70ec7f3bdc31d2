"""The DMA's burst recurrence of :mod:`dse.models.accel` (``_read_transfer``,
``_write_transfer``) for many transfers at once, on numpy arrays.

A transfer moves ``rows`` rows of ``row_beats`` bus beats; every row starts ``position``
beats past a burst boundary (the canonical DRAM layout puts rows on burst boundaries, so
all rows of a transfer split alike: ``min(row_beats, max_burst - position)`` beats, then
whole bursts, then the rest). The loop runs over burst index, all transfers at once.

A transfer of ``r`` rows runs the first ``r`` rows of a longer one, so one run per row
shape (direction, the transfer before it, row beats, position) gives ``R`` for every
number of rows (:func:`row_profiles`). Rows repeat, and the recurrence is made of ``max``
and ``+`` only, so it commutes with a shift of time: if the whole state after a row (the
last ``outstanding`` burst completions, the last data beat, and the cycle before which the
next burst cannot issue: the later of the last issue and the oldest of those completions)
equals the state ``c`` rows before plus one constant ``delta``, every further ``c`` rows
add exactly ``delta``. The run stops there (``c`` up to :data:`HISTORY`) and longer
transfers are read off the profile (:func:`runs_of_rows`); it is an identity, not an
approximation, and a shape for which it never holds is run to the rows asked for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: Stands for minus infinity (no constraint yet); far below any cycle, far from overflow.
NEG = -(1 << 50)
#: Row-end states kept to find a repeating pattern (periods of up to this many rows).
HISTORY = 8


def row_profiles(write: np.ndarray, row_beats: np.ndarray, position: np.ndarray,
                 carry: np.ndarray, rows_needed: np.ndarray, *, max_burst: int,
                 outstanding: int, interval: int, latency: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cycles ``R`` each transfer runs (the model's ``_read_transfer`` /
    ``_write_transfer`` with ``start = 0``), given the DRAM's ``next_ok`` at the start
    relative to it (``carry``; :data:`NEG` for a DRAM with nothing to finish;
    ``latency`` is the model's ``max(latency, 2)``), for every number of rows at once:
    the recurrence of a transfer of ``r`` rows is the first ``r`` rows of a longer one,
    so one run per row shape gives ``R`` for every ``r``.

    Returns ``(ends, known, period, delta)``: ``ends[t, r]`` is ``R`` of ``r`` rows for
    ``r <= known[t]``; where ``period[t] > 0`` the state after row ``known[t]`` is that
    ``period[t]`` rows before plus ``delta[t]`` (module docstring), so every further
    ``period`` rows add ``delta`` (:func:`runs_of_rows`); where it is 0 the run went to
    ``rows_needed[t]`` rows without repeating."""
    count = len(row_beats)
    rows_needed = np.asarray(rows_needed, dtype=np.int64)
    most = int(rows_needed.max()) if count else 0
    ends = np.zeros((count, min(most, 4 * HISTORY) + 1), dtype=np.int64)   # grows
    known = np.zeros(count, dtype=np.int64)
    period = np.zeros(count, dtype=np.int64)
    delta = np.zeros(count, dtype=np.int64)
    if count == 0:
        return ends, known, period, delta
    write = np.asarray(write, dtype=bool)
    row_beats = np.asarray(row_beats, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    first_len = np.minimum(row_beats, max_burst - position)
    rest = row_beats - first_len
    full = rest // max_burst
    tail = rest % max_burst
    per_row = 1 + full + (tail > 0)
    o = outstanding
    issued = np.full(count, -1, dtype=np.int64)
    ring = np.full((count, o), NEG, dtype=np.int64)
    last = np.full(count, NEG, dtype=np.int64)
    next_ok = np.asarray(carry, dtype=np.int64).copy()
    handshake = np.zeros(count, dtype=np.int64)
    response = np.full(count, NEG, dtype=np.int64)
    burst = np.zeros(count, dtype=np.int64)
    rows_done = np.zeros(count, dtype=np.int64)
    history = np.full((count, HISTORY, o + 2), NEG, dtype=np.int64)
    active = np.arange(count)
    while len(active):
        j = burst[active]
        in_row = j % per_row[active]
        length = np.where(in_row == 0, first_len[active],
                          np.where(in_row <= full[active], max_burst, tail[active]))
        slot = j % o
        at = np.maximum(issued[active] + 1, ring[active, slot] + 1)
        wr = write[active]
        nok = next_ok[active]
        first = np.where(wr, np.maximum(np.maximum(handshake[active] + 1, nok), at + 1),
                         np.maximum(at + latency, nok + 1))
        beat = first + (length - 1) * interval
        next_ok[active] = np.where(wr, beat + interval, beat - 1 + interval)
        handshake[active] = beat
        done_at = np.where(wr, np.maximum(beat + latency, response[active] + 1), beat)
        response[active] = np.where(wr, done_at, response[active])
        ring[active, slot] = done_at
        issued[active] = at
        last[active] = beat
        burst[active] = j + 1
        row_end = in_row == per_row[active] - 1
        if not row_end.any():
            continue
        ended = active[row_end]
        rows_done[ended] += 1
        done_rows = rows_done[ended]
        if done_rows.max() >= ends.shape[1]:
            grown = np.zeros((count, min(2 * ends.shape[1], most + 1)), dtype=np.int64)
            grown[:, :ends.shape[1]] = ends
            ends = grown
        ends[ended, done_rows] = np.where(write[ended], response[ended], last[ended]) + 2
        jj = burst[ended]
        order = (jj[:, None] - o + np.arange(o)[None, :]) % o
        window = np.take_along_axis(ring[ended], order, axis=1)
        state = np.concatenate([np.maximum(issued[ended][:, None], window[:, :1]), window,
                                last[ended][:, None]], axis=1)
        back = np.arange(1, HISTORY + 1)
        before = history[ended[:, None], (done_rows[:, None] - back) % HISTORY]
        shift = state[:, None, :] - before
        repeats = ((done_rows[:, None] > back) & (before > NEG // 2).all(axis=2)
                   & (shift == shift[:, :, :1]).all(axis=2))
        shortest = repeats.argmax(axis=1)   # the shortest period wins
        hit = repeats[np.arange(len(ended)), shortest]
        found = np.where(hit, shortest + 1, 0)
        shift_found = np.where(hit, shift[np.arange(len(ended)), shortest, 0], 0)
        history[ended, done_rows % HISTORY] = state
        stop = (found > 0) | (done_rows >= rows_needed[ended])
        known[ended[stop]] = done_rows[stop]
        period[ended] = found
        delta[ended] = shift_found
        finished = np.zeros(len(active), dtype=bool)
        finished[row_end] = stop
        active = active[~finished]
    return ends, known, period, delta


def runs_of_rows(rows: np.ndarray, known: np.ndarray, period: np.ndarray,
                 delta: np.ndarray, at: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``R`` of ``rows`` rows from a profile (:func:`row_profiles`): ``at(r)`` reads its
    table at ``r <= known``; beyond, ``k`` whole periods back, plus ``k`` deltas."""
    back = np.where(rows > known, -(-(rows - known) // np.maximum(period, 1)), 0)
    return at(rows - back * period) + back * delta
