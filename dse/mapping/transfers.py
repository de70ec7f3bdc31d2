"""The DMA's burst recurrence of :mod:`dse.models.accel` (``_read_transfer``,
``_write_transfer``) for many transfers at once, on numpy arrays.

A transfer moves ``rows`` rows of ``row_beats`` bus beats; every row starts ``position``
beats past a burst boundary (the canonical DRAM layout puts rows on burst boundaries, so
all rows of a transfer split alike: ``min(row_beats, max_burst - position)`` beats, then
whole bursts, then the rest). The loop runs over burst index, all transfers at once.

Rows repeat, and the recurrence is made of ``max`` and ``+`` only, so it commutes with a
shift of time: if the whole state after a row (the last ``outstanding`` burst
completions, the last data beat, and the cycle before which the next burst cannot issue:
the later of the last issue and the oldest of those completions) equals the state ``c``
rows before plus one constant ``delta``, every further ``c`` rows add exactly ``delta``.
The loop checks that at every row end (``c`` up to :data:`HISTORY`), jumps over the whole
periods left and runs the rest; it is an identity, not an approximation, and a transfer
for which it never holds is run to its last burst.
"""

from __future__ import annotations

import numpy as np

#: Stands for minus infinity (no constraint yet); far below any cycle, far from overflow.
NEG = -(1 << 50)
#: Row-end states kept to find a repeating pattern (periods of up to this many rows).
HISTORY = 8


def _put(table: np.ndarray, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = table.copy()
    np.put_along_axis(out, index, values, axis=1)
    return out


def transfer_cycles(write: np.ndarray, rows: np.ndarray, row_beats: np.ndarray,
                    position: np.ndarray, carry: np.ndarray, *, max_burst: int,
                    outstanding: int, interval: int, latency: int) -> np.ndarray:
    """The cycles ``R`` each transfer runs (the model's ``_read_transfer`` /
    ``_write_transfer`` with ``start = 0``), given the DRAM's ``next_ok`` at the start
    relative to it (``carry``; :data:`NEG` for a DRAM with nothing to finish).

    ``latency`` is the model's (``max(latency, 2)``).
    """
    count = len(rows)
    result = np.zeros(count, dtype=np.int64)
    if count == 0:
        return result
    write = np.asarray(write, dtype=bool)
    rows = np.asarray(rows, dtype=np.int64)
    row_beats = np.asarray(row_beats, dtype=np.int64)
    position = np.asarray(position, dtype=np.int64)
    first_len = np.minimum(row_beats, max_burst - position)
    rest = row_beats - first_len
    full = rest // max_burst
    tail = rest % max_burst
    per_row = 1 + full + (tail > 0)
    o = outstanding
    # state, per transfer
    issued = np.full(count, -1, dtype=np.int64)          # cycle of the last issue
    ring = np.full((count, o), NEG, dtype=np.int64)       # completions of the last o bursts
    last = np.full(count, NEG, dtype=np.int64)            # last data beat so far
    next_ok = np.asarray(carry, dtype=np.int64).copy()
    handshake = np.zeros(count, dtype=np.int64)
    response = np.full(count, NEG, dtype=np.int64)
    burst = np.zeros(count, dtype=np.int64)               # bursts done
    rows_done = np.zeros(count, dtype=np.int64)
    history = np.full((count, HISTORY, o + 2), NEG, dtype=np.int64)   # row-end states
    active = np.arange(count)
    while len(active):
        j = burst[active]
        in_row = j % per_row[active]
        length = np.where(in_row == 0, first_len[active],
                          np.where(in_row <= full[active], max_burst, tail[active]))
        slot = j % o
        gate = ring[active, slot] + 1
        at = np.maximum(issued[active] + 1, gate)
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
        finished = np.zeros(len(active), dtype=bool)
        if row_end.any():
            ended = active[row_end]
            rows_done[ended] += 1
            done_rows = rows_done[ended]
            jj = burst[ended]
            order = (jj[:, None] - o + np.arange(o)[None, :]) % o
            window = np.take_along_axis(ring[ended], order, axis=1)
            # the next issue waits for max(last issue, oldest completion) + 1: only that
            # maximum is state (a last issue below it never acts again)
            state = np.concatenate([np.maximum(issued[ended][:, None], window[:, :1]), window,
                                    last[ended][:, None]], axis=1)
            period = np.zeros(len(ended), dtype=np.int64)
            delta = np.zeros(len(ended), dtype=np.int64)
            for rows_back in range(HISTORY, 0, -1):   # the shortest period wins
                before = history[ended, (done_rows - rows_back) % HISTORY]
                shift = state - before
                repeats = ((done_rows > rows_back) & (before > NEG // 2).all(axis=1)
                           & (shift == shift[:, :1]).all(axis=1))
                period = np.where(repeats, rows_back, period)
                delta = np.where(repeats, shift[:, 0], delta)
            history[ended, done_rows % HISTORY] = state
            left = rows[ended] - done_rows
            jumps = np.where(period > 0, left // np.maximum(period, 1), 0)
            jump = jumps > 0
            if jump.any():
                which, times = ended[jump], jumps[jump]
                shift = (times * delta[jump])
                skipped_rows = times * period[jump]
                burst[which] += skipped_rows * per_row[which]
                rows_done[which] += skipped_rows
                new_order = (burst[which][:, None] - o + np.arange(o)[None, :]) % o
                ring[which] = _put(ring[which], new_order, window[jump] + shift[:, None])
                issued[which] = state[jump, 0] + shift
                last[which] += shift
                next_ok[which] += shift
                handshake[which] += shift
                response[which] = np.where(write[which], response[which] + shift, NEG)
                history[which] = NEG
            complete = rows_done[ended] == rows[ended]
            result[ended[complete]] = (np.where(write[ended], response[ended], last[ended])
                                       + 2)[complete]
            finished[row_end] = complete
        active = active[~finished]
    return result
