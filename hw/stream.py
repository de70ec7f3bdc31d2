"""The one stream signature every generator uses for its data links.

A stream is Amaranth's ``lib.stream.Signature``: ``payload`` (a struct layout), ``valid``
driven by the source and ``ready`` driven by the sink; a beat moves on a clock edge where
both are high. Sources keep ``payload`` stable while ``valid`` is high and ``ready`` low.
"""

from __future__ import annotations

from collections.abc import Mapping

from amaranth.hdl import EnableInserter, Module, Mux, Shape, ShapeLike, Signal, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out


def stream_signature(payload: ShapeLike) -> stream.Signature:
    """A valid/ready stream carrying ``payload``."""
    return stream.Signature(payload)


def int_shape(width: int, is_signed: bool) -> Shape:
    """Two's-complement ``width``-bit shape if ``is_signed``, else unsigned."""
    return signed(width) if is_signed else unsigned(width)


def index_shape(count: int) -> Shape:
    """Unsigned shape that holds an index in ``0..count-1`` (at least one bit)."""
    return unsigned(max(1, (count - 1).bit_length()))


class StreamArray(wiring.Component):
    """Base of the array generators: one ``operands`` stream in, one ``results`` stream
    out, a datapath that holds as a whole while a result waits for its sink (global stall),
    and ``activity`` taps (plain signals: events in the current cycle, see ``sim.activity``)
    sized by their per-cycle bounds, among them ``result_words`` (``result_width`` words per
    result beat taken).

    Subclasses build the datapath in :meth:`elaborate_datapath`, whose ``sync`` domain
    advances only on ``advance``.
    """

    def __init__(self, operands: ShapeLike, results: ShapeLike, bounds: Mapping[str, int],
                 result_width: int) -> None:
        super().__init__({"operands": In(stream_signature(operands)),
                          "results": Out(stream_signature(results))})
        self.result_width = result_width
        self.activity: dict[str, Signal] = {
            name: Signal(range(bound + 1), name=f"activity_{name}")
            for name, bound in bounds.items()}

    def elaborate(self, platform: object) -> Module:
        m = Module()
        advance = Signal()
        m.d.comb += advance.eq(~(self.results.valid & ~self.results.ready))
        m.d.comb += self.activity["result_words"].eq(
            Mux(self.results.valid & self.results.ready, self.result_width, 0))
        datapath = Module()
        self.elaborate_datapath(datapath, advance)
        # The whole datapath holds while the result port is stalled.
        m.submodules.datapath = EnableInserter({"sync": advance})(datapath)
        return m

    def elaborate_datapath(self, m: Module, advance: Signal) -> None:
        raise NotImplementedError
