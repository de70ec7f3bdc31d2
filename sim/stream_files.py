"""Job and result files of the stream harness (``sim.stream_harness``), read and written
in bulk by the host (``sim.runner``), the cocotb testbench and the harness's C++ side.

Stays light (standard library only): the testbench imports it inside the simulator.

A job file ``job-<n>.in`` is a header of :data:`JOB_HEADER` little-endian 64-bit words
(``magic``, operand beats, result beats, 32-bit words per operand beat, per result beat,
seed, gap threshold out of 65,536, cycle limit) followed by the operand beats, each as
little-endian 32-bit words (the layout of a SystemVerilog DPI ``svBitVecVal`` array). The
harness writes ``job-<n>.out``: a header of :data:`RESULT_HEADER` words (``magic``, result
beats taken, first operand handshake cycle, last result handshake cycle, input stall
cycles, output stall cycles, timed out, counter count), the counters (64-bit each) and the
result beats it took. The host writes the golden beats as ``job-<n>.expected`` in the
result beats' layout, for the testbench to compare bytes with bytes.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from pathlib import Path

JOB_MAGIC = 0x424F4A4553445748   # "HWDSEJOB"
RESULT_MAGIC = 0x5453455244534857  # "HWDSREST"
JOB_HEADER = 8
RESULT_HEADER = 8


def words_per_beat(width: int) -> int:
    """32-bit words that hold a ``width``-bit beat (at least one)."""
    return max(1, -(-width // 32))


def pack_beats(hex_words: Sequence[str], width: int) -> bytes:
    """Beats given as hex strings, as little-endian 32-bit words per beat."""
    size = 4 * words_per_beat(width)
    return b"".join(int(word, 16).to_bytes(size, "little") for word in hex_words)


def write_job(path: Path, operands: bytes | memoryview, operand_width: int,
              result_beats: int, result_width: int, *, seed: int, gap_probability: float,
              max_cycles: int) -> None:
    """Write a job file (see the module's docstring); ``operands`` holds the packed beats."""
    in_words, out_words = words_per_beat(operand_width), words_per_beat(result_width)
    threshold = min(65536, max(0, round(gap_probability * 65536)))
    header = struct.pack(f"<{JOB_HEADER}Q", JOB_MAGIC, len(operands) // (4 * in_words),
                         result_beats, in_words, out_words, seed & 0xFFFFFFFF, threshold,
                         max_cycles)
    with open(path, "wb") as handle:
        handle.write(header)
        handle.write(operands)


@dataclasses.dataclass(frozen=True)
class HarnessRun:
    """What the harness reports for one job."""

    results: bytes            # the result beats taken, in the job's result layout
    result_beats: int
    first_input_cycle: int
    last_output_cycle: int
    input_stall_cycles: int   # cycles the source offered a beat the design did not take
    output_stall_cycles: int  # cycles a result waited for the sink
    timed_out: bool
    counters: tuple[int, ...]

    @property
    def cycles(self) -> int:
        """Cycles from the first operand handshake to the last result handshake, inclusive."""
        return self.last_output_cycle - self.first_input_cycle + 1


def read_result(path: Path) -> HarnessRun:
    """Read a result file (see the module's docstring).

    Raises:
        ValueError: if the file is not a harness result.
    """
    data = path.read_bytes()
    header = struct.unpack_from(f"<{RESULT_HEADER}Q", data)
    if header[0] != RESULT_MAGIC:
        raise ValueError(f"{path} is not a stream harness result")
    count = header[7]
    counters = struct.unpack_from(f"<{count}Q", data, 8 * RESULT_HEADER)
    signed = [value - (1 << 64) if value >> 63 else value for value in header[2:4]]
    return HarnessRun(data[8 * (RESULT_HEADER + count):], header[1], signed[0], signed[1],
                      header[4], header[5], bool(header[6]), tuple(counters))


def mismatched_beats(got: bytes, want: bytes, beat_bytes: int) -> list[int]:
    """Indexes of the beats that differ (a beat missing from ``got`` counts as differing)."""
    if got == want:
        return []
    count = len(want) // beat_bytes
    return [index for index in range(count)
            if got[index * beat_bytes:(index + 1) * beat_bytes]
            != want[index * beat_bytes:(index + 1) * beat_bytes]]
