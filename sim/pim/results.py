"""The outcome of one PIM job as a record, shared by both device backends' testbenches
(``sim.pim.testbench``: the device model in Python; ``sim.pim.harness_testbench``: in C++
inside the simulator), so that both check the results against the golden y by the same code.

Plain Python (no cocotb): it runs inside the simulator process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) else value


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
        for row, want in enumerate(job["expected"]):
            got: Any = 0
            if host:
                for chunk in range(job["chunks"]):
                    packed = seen.get((row, chunk), 0)
                    weights = [_signed((packed >> (i * width)) & ((1 << width) - 1), width)
                               for i in range(lanes)]
                    got += sum(w * v for w, v in zip(
                        weights, job["x"][chunk * lanes:(chunk + 1) * lanes], strict=False))
                got &= mask
            else:
                got = seen.get(row)
            if got != int(want):
                wrong.append(row)
    cycles = (last_result - start + 1) if (last_result is not None and start is not None) \
        else 0
    return {"meta": {**job["meta"], "error": error}, "passed": error is None and not wrong,
            "mismatches": len(wrong), "first_mismatch": wrong[0] if wrong else None,
            "error": error, "cycles": cycles,
            "counters": {**{f"cmd_{k.lower()}": v for k, v in counts.items()},
                         **{f"bank_{k.lower()}": v for k, v in bank_ops.items()}}}
