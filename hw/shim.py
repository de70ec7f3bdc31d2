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

Components with other ports (the accelerator's AXI4 master, command stream, status and
counters) go in :class:`PortShim` instead: every input port bit comes from a shift register
and every output port bit is captured into one, on five of the same pins (so one constraint
file serves both shims). :func:`shim_for` picks the shim a component needs.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Shape, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class NotAStreamComponentError(ValueError):
    """The component has no operand or result stream for the shim to serialize."""


def _payload_width(component: wiring.Component, port: str) -> int:
    stream = getattr(component, port, None)
    if stream is None or not hasattr(stream, "payload"):
        raise NotAStreamComponentError(
            f"{type(component).__name__} has no `{port}` stream: the stream shim takes "
            f"designs with one operand and one result stream; put this one in `PortShim` "
            f"(`shim_for` picks the shim a component needs)")
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


class NoOutputPortsError(ValueError):
    """The component has no output port: nothing of it would survive synthesis."""


def _ports(component: wiring.Component) -> tuple[list[Value], list[Value]]:
    """The component's input and output port values, in signature order."""
    inputs: list[Value] = []
    outputs: list[Value] = []
    for _, member, value in component.signature.flatten(component):
        (inputs if member.flow == wiring.In else outputs).append(Value.cast(value))
    if not outputs:
        raise NoOutputPortsError(
            f"{type(component).__name__} has no output port for the IO shim to capture")
    return inputs, outputs


def port_shim_flip_flops(component: wiring.Component) -> int:
    """Registers :class:`PortShim` adds around ``component``: one per port bit.

    Raises:
        NoOutputPortsError: if the component has no output port.
    """
    inputs, outputs = _ports(component)
    return sum(len(v) for v in inputs) + sum(len(v) for v in outputs)


class PortShim(wiring.Component):
    """Wraps a component with any ports behind five pins, so that every port bit stays
    observable (nothing is optimized away):

        in_bit, in_shift      shift ``in_bit`` into the input register (LSB first order:
                              the last bit shifted in ends up as its top bit); the input
                              register drives the input ports, in signature order from bit 0
        out_ready             take every output port, in signature order from bit 0, into
                              the output register
        out_bit, out_shift    output register bit 0 / shift the output register right, its
                              top bit taking input register bit 0 (one scan path from
                              ``in_bit`` to ``out_bit``: with ``in_shift`` and
                              ``out_shift`` both high, the input register follows the
                              captured outputs out)

    Its registers are one flip-flop per input and per output port bit
    (:func:`port_shim_flip_flops`); every one of them reaches ``out_bit``, so synthesis
    keeps them all whatever the wrapped component leaves unused or constant.

    Raises:
        NoOutputPortsError: if the component has no output port.
    """

    def __init__(self, inner: wiring.Component) -> None:
        _ports(inner)
        self.inner = inner
        super().__init__({"in_bit": In(1), "in_shift": In(1), "out_ready": In(1),
                          "out_bit": Out(1), "out_shift": In(1)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.core = self.inner
        inputs, outputs = _ports(self.inner)
        in_width = sum(len(v) for v in inputs)
        out_width = sum(len(v) for v in outputs)

        scan_in = self.in_bit
        if in_width:
            input_register = Signal(in_width)
            with m.If(self.in_shift):
                m.d.sync += input_register.eq(Cat(input_register[1:], self.in_bit))
            m.d.comb += Cat(*inputs).eq(input_register)
            scan_in = input_register[0]

        output_register = Signal(out_width)
        with m.If(self.out_ready):
            m.d.sync += output_register.eq(Cat(*outputs))
        with m.Elif(self.out_shift):
            m.d.sync += output_register.eq(Cat(output_register[1:], scan_in))
        m.d.comb += self.out_bit.eq(output_register[0])
        return m


def has_streams(component: wiring.Component, operands: str = "operands",
                results: str = "results") -> bool:
    """Whether ``component`` has the operand and result streams :class:`SerialShim` takes."""
    return all(hasattr(getattr(component, port, None), "payload")
               for port in (operands, results))


def shim_for(component: wiring.Component) -> tuple[wiring.Component, int]:
    """The IO shim around ``component`` and the flip-flops it adds: :class:`SerialShim` for a
    component with one operand and one result stream, else :class:`PortShim`.

    Raises:
        NoOutputPortsError: for a component with no output port.
    """
    if has_streams(component):
        return SerialShim(component), shim_flip_flops(component)
    return PortShim(component), port_shim_flip_flops(component)
