"""Probe SCALE-Sim 3.0.0's double-buffered read SRAM (``memory/read_buffer.py``) in its
user-bandwidth mode, alone, to see how it charges a bandwidth-bound operand stream.

Runs under SCALE-Sim's own venv::

    bench/scalesim/.venv/bin/python bench/scalesim/probe_read_buffer.py

An operand of ``words`` one-byte words is read in order, ``demand`` words per cycle, from a
read SRAM of ``sram`` words (half active, half prefetch, as ``single_layer_sim`` sets it)
fed at ``bandwidth`` words per cycle. Stalls are accumulated as
``double_buffered_scratchpad.service_memory_requests`` does (a line issues at its index
plus the stalls so far). The first active half is loaded before cycle 0
(``prefetch_active_buffer``), so a stream limited by the port needs at least
``(words - sram / 2) / bandwidth`` cycles from cycle 0; the table shows what SCALE-Sim
reports against that bound.
"""

from __future__ import annotations

import numpy as np
from scalesim.memory.read_buffer import read_buffer
from scalesim.memory.read_port import read_port


def stream(words: int, demand: int, sram: int, bandwidth: int) -> tuple[int, int]:
    """(demand lines, stall cycles) of reading ``words`` words in order."""
    buffer = read_buffer()
    buffer.set_params(backing_buf_obj=read_port(), total_size_bytes=sram, word_size=1,
                      active_buf_frac=0.5, backing_buf_bw=bandwidth, num_bank=1)
    buffer.set_fetch_matrix(np.arange(words).reshape(1, words))
    stalls = lines = 0
    for first in range(0, words, demand):
        cycle = lines + stalls
        line = np.arange(first, min(first + demand, words)).reshape(1, -1)
        served = int(buffer.service_reads(line, np.array([[cycle]]))[0][0])
        stalls += max(served - cycle - buffer.get_hit_latency(), 0)
        lines += 1
    return lines, stalls


def main() -> None:
    words, sram = 800, 200
    print("| bandwidth | demand / cycle | lines | stalls | lines + stalls | port bound "
          "after the preload |")
    print("|--:|--:|--:|--:|--:|--:|")
    for bandwidth, demand in ((1, 1), (1, 2), (1, 4), (2, 4)):
        lines, stalls = stream(words, demand, sram, bandwidth)
        bound = max(lines, (words - sram // 2) // bandwidth)
        print(f"| {bandwidth} | {demand} | {lines} | {stalls} | {lines + stalls} | {bound} |")


if __name__ == "__main__":
    main()
