"""IO shim for place-and-route: a stream component behind a handful of pins.

Generated designs have hundreds of port bits; FPGA packages have tens to a few hundred
pins. For place-and-route (and for a board), the shim shifts operand payloads in one bit at
a time and result payloads out one bit at a time, so every bit of the design stays
observable (nothing is optimized away) while the top level has ten pins:

    in_bit, in_shift      shift ``in_bit`` into the operand register (LSB first order:
                          the last bit shifted in ends up as payload bit ``width - 1``)
    in_valid / in_ready   the operand register is offered as a beat while ``in_valid``
    out_valid, out_ready  a result beat is available / taken into the result register
    out_bit, out_shift    result register bit 0 / shift the result register right

The shim's own cost is one flip-flop per operand and result payload bit plus a few gates;
:func:`shim_flip_flops` gives the exact count of its registers.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Shape, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class NotAStreamComponentError(ValueError):
    """The component has no operand or result stream for the shim to serialize."""


def _payload_width(component: wiring.Component, port: str) -> int:
    stream = getattr(component, port, None)
    if stream is None or not hasattr(stream, "payload"):
        raise NotAStreamComponentError(
            f"{type(component).__name__} has no `{port}` stream: the IO shim that places a "
            f"design on a package's pins takes designs with one operand and one result "
            f"stream; synthesize this one alone (`hwdse synth --synth-only`)")
    return Shape.cast(stream.payload.shape()).width


def shim_flip_flops(component: wiring.Component, operands: str = "operands",
                    results: str = "results") -> int:
    """Registers the shim adds around ``component``."""
    return _payload_width(component, operands) + _payload_width(component, results)


class SerialShim(wiring.Component):
    """Wraps a component with one operand stream and one result stream (see module doc)."""

    def __init__(self, inner: wiring.Component, operands: str = "operands",
                 results: str = "results") -> None:
        self.inner = inner
        self._operands = operands
        self._results = results
        super().__init__({
            "in_bit": In(1), "in_shift": In(1), "in_valid": In(1), "in_ready": Out(1),
            "out_valid": Out(1), "out_ready": In(1), "out_bit": Out(1), "out_shift": In(1),
        })

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.core = self.inner
        operands = getattr(self.inner, self._operands)
        results = getattr(self.inner, self._results)
        in_width = _payload_width(self.inner, self._operands)
        out_width = _payload_width(self.inner, self._results)

        operand_register = Signal(in_width)
        with m.If(self.in_shift):
            if in_width > 1:
                m.d.sync += operand_register.eq(Cat(operand_register[1:], self.in_bit))
            else:
                m.d.sync += operand_register.eq(self.in_bit)
        m.d.comb += [operands.payload.eq(operand_register), operands.valid.eq(self.in_valid),
                     self.in_ready.eq(operands.ready)]

        result_register = Signal(out_width)
        m.d.comb += [results.ready.eq(self.out_ready), self.out_valid.eq(results.valid),
                     self.out_bit.eq(result_register[0])]
        with m.If(results.valid & self.out_ready):
            m.d.sync += result_register.eq(results.payload)
        with m.Elif(self.out_shift):
            m.d.sync += result_register.eq(result_register >> 1)
        return m
