"""Cycle loop of a cocotb testbench for a component with one operand and one result stream.

Used inside the simulator process only (imports cocotb).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from cocotb.triggers import ReadOnly, RisingEdge

from flows.verilog import port_name


@dataclasses.dataclass
class StreamRun:
    """What one stream exchange produced."""

    results: list[int]
    first_input_cycle: int
    last_output_cycle: int
    input_stall_cycles: int   # cycles the source offered a beat the array did not take
    output_stall_cycles: int  # cycles a result waited for the sink

    @property
    def cycles(self) -> int:
        """Cycles from the first operand handshake to the last result handshake, inclusive."""
        return self.last_output_cycle - self.first_input_cycle + 1


async def reset(dut: Any, cycles: int = 2) -> None:
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0


async def exchange(dut: Any, beats: list[int], result_count: int, *, operands: str = "operands",
                   results: str = "results", gap_probability: float = 0.0, seed: int = 0,
                   max_cycles: int = 10_000_000) -> StreamRun:
    """Offer ``beats`` on the operand stream and collect ``result_count`` result beats.

    With ``gap_probability`` > 0 the source withholds ``valid`` and the sink withholds
    ``ready`` at random (seeded), to exercise back-pressure; cycle counts are then not
    the array's best case.

    Raises:
        TimeoutError: if the results do not arrive within ``max_cycles``.
    """
    in_valid = getattr(dut, port_name(operands, "valid"))
    in_ready = getattr(dut, port_name(operands, "ready"))
    in_payload = getattr(dut, port_name(operands, "payload"))
    out_valid = getattr(dut, port_name(results, "valid"))
    out_ready = getattr(dut, port_name(results, "ready"))
    out_payload = getattr(dut, port_name(results, "payload"))
    rng = random.Random(seed)
    collected: list[int] = []
    next_beat = 0
    cycle = 0
    first_in = last_out = -1
    input_stalls = output_stalls = 0
    offered_beat = -1
    while len(collected) < result_count:
        if cycle >= max_cycles:
            raise TimeoutError(f"{len(collected)} of {result_count} results after {cycle} cycles")
        offer = next_beat < len(beats) and not (gap_probability and rng.random() < gap_probability)
        take = not (gap_probability and rng.random() < gap_probability)
        in_valid.value = int(offer)
        if offer and offered_beat != next_beat:
            in_payload.value = beats[next_beat]
            offered_beat = next_beat
        out_ready.value = int(take)
        await ReadOnly()
        if offer:
            if int(in_ready.value):
                if first_in < 0:
                    first_in = cycle
                next_beat += 1
            else:
                input_stalls += 1
        if int(out_valid.value):
            if take:
                collected.append(out_payload.value.to_unsigned())
                last_out = cycle
            else:
                output_stalls += 1
        await RisingEdge(dut.clk)
        cycle += 1
    in_valid.value = 0
    return StreamRun(collected, first_in, last_out, input_stalls, output_stalls)
