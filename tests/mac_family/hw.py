"""The MAC chain: ``lanes`` multipliers summed into one accumulator. Each operand beat
carries ``lanes`` elements of a row of A and of a column of B and a ``last`` flag; the
beat with ``last`` set ends the dot product, whose sum (wrapped to ``acc_width`` bits) leaves
as one result beat on the next cycle. The datapath holds while a result waits (the
``StreamArray`` global stall)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data

from hw.family import GeneratorSpec
from hw.params import ParamError, Params, check_int
from hw.stream import StreamArray


@dataclasses.dataclass(frozen=True)
class MacParams(Params):
    generator: ClassVar[str] = "mac-v1"

    lanes: int = 2
    width: int = 8        # signed operands
    acc_width: int = 24   # wraps modulo 2**acc_width

    def __post_init__(self) -> None:
        check_int("lanes", self.lanes, 1, 16)
        check_int("width", self.width, 2, 16)
        check_int("acc_width", self.acc_width, 2, 48)
        if self.acc_width < 2 * self.width:
            raise ParamError(f"`acc_width` must be at least 2 * width = {2 * self.width}, "
                             f"not {self.acc_width}")


def operand_layout(params: MacParams) -> data.StructLayout:
    lane = data.ArrayLayout(signed(params.width), params.lanes)
    return data.StructLayout({"a": lane, "b": lane, "last": 1})


class MacChain(StreamArray):
    def __init__(self, params: MacParams) -> None:
        self.params = params
        super().__init__(operand_layout(params), signed(params.acc_width),
                         {"macs": params.lanes, "result_words": 1}, 1)

    def elaborate_datapath(self, m: Module, advance: Signal) -> None:
        p = self.params
        beat = self.operands.payload
        m.d.comb += self.operands.ready.eq(advance)
        take = self.operands.valid & self.operands.ready
        acc = Signal(signed(p.acc_width))
        fresh = Signal(init=1)
        result = Signal(signed(p.acc_width))
        products = sum(beat.a[i] * beat.b[i] for i in range(p.lanes))
        total = Signal(signed(p.acc_width))
        m.d.comb += total.eq(Mux(fresh, 0, acc) + products)
        m.d.comb += [self.results.payload.eq(result),
                     self.activity["macs"].eq(Mux(take, p.lanes, 0))]
        with m.If(self.results.valid & self.results.ready):
            m.d.sync += self.results.valid.eq(0)
        with m.If(take):
            m.d.sync += [acc.eq(total), fresh.eq(beat.last)]
            with m.If(beat.last):
                m.d.sync += [result.eq(total), self.results.valid.eq(1)]


GENERATOR = GeneratorSpec("mac-v1", "mac", MacParams, "tests.mac_family.hw:MacChain",
                          "example family: a MAC chain of `lanes` multipliers")
