"""The outcome of one PIM job as a record, shared by both device backends' testbenches
(``sim.pim.testbench``: the device model in Python; ``sim.pim.harness_testbench``: in C++
inside the simulator), so that both check the results against the golden y by the same code.

Plain Python (no cocotb): it runs inside the simulator process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def host_rows(seen: Mapping[Any, int], rows: int, chunks: int, lanes: int, width: int,
              x: list[int]) -> list[int]:
    """y as the host computes it from the returned columns: ``seen[(row, chunk)]`` holds
    ``lanes`` signed ``width``-bit weights (a column never returned counts as zeros), and
    ``x`` is cut into ``chunks`` of ``lanes``. Exact: weights and x below 2^16 in magnitude
    and at most 2^20 columns keep every sum below 2^52 in int64."""
    keys = [(row, chunk) for row, chunk in seen if 0 <= row < rows and 0 <= chunk < chunks]
    weights = np.zeros((rows, chunks, lanes), dtype=np.int64)
    if keys:
        column_bytes = -(-lanes * width // 8)
        mask = (1 << (lanes * width)) - 1
        blob = b"".join((seen[key] & mask).to_bytes(column_bytes, "little") for key in keys)
        bits = np.unpackbits(np.frombuffer(blob, dtype=np.uint8), bitorder="little")
        bits = bits.reshape(len(keys), column_bytes * 8)[:, :lanes * width]
        fields = bits.reshape(len(keys), lanes, width).astype(np.int64)
        values = fields @ (np.int64(1) << np.arange(width, dtype=np.int64))
        values -= fields[:, :, -1] << width  # two's complement
        index = np.array(keys, dtype=np.int64)
        weights[index[:, 0], index[:, 1]] = values
    vector = np.zeros(chunks * lanes, dtype=np.int64)
    vector[:min(len(x), chunks * lanes)] = x[:chunks * lanes]
    return [int(v) for v in (weights.reshape(rows, -1) @ vector)]


def job_record(job: Mapping[str, Any], seen: Mapping[Any, int], error: str | None,
               start: int | None, last_result: int | None, counts: Mapping[str, int],
               bank_ops: Mapping[str, int]) -> dict[str, Any]:
    """The record the runner reads for ``job`` (a ``sim.pim.jobs`` job, of which only the
    check needs ``meta``, ``expected``, ``x``, ``chunks`` and the design's widths and mode).

    ``seen`` maps each returned result to its data: by matrix row with PIM, by (row, chunk)
    without (the host computes y from the weights). ``error`` is the first timing violation,
    timeout or duplicate result; ``start`` the cycle of the job handshake, ``last_result``
    the cycle of the last result; ``counts`` and ``bank_ops`` the commands and bank
    operations per kind (``"MAC"``, ...), summed over the channels.
    """
    config = job["design"]
    width, acc_width, lanes = config["element_width"], config["acc_width"], config["lanes"]
    host = config["pim_mode"] == "none"
    wrong = []
    if error is None:
        mask = (1 << acc_width) - 1
        expected = job["expected"]
        if host:
            computed: list[Any] = [value & mask for value in host_rows(
                seen, len(expected), job["chunks"], lanes, width, job["x"])]
        else:
            computed = [seen.get(row) for row in range(len(expected))]
        wrong = [row for row, want in enumerate(expected) if computed[row] != int(want)]
    cycles = (last_result - start + 1) if (last_result is not None and start is not None) \
        else 0
    return {"meta": {**job["meta"], "error": error}, "passed": error is None and not wrong,
            "mismatches": len(wrong), "first_mismatch": wrong[0] if wrong else None,
            "error": error, "cycles": cycles,
            "counters": {**{f"cmd_{k.lower()}": v for k, v in counts.items()},
                         **{f"bank_{k.lower()}": v for k, v in bank_ops.items()}}}
