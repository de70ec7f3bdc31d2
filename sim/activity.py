"""Activity counters for simulation: a wrapper that sums a generator's activity taps.

A generator may expose ``activity``, a mapping of event name to a plain signal holding how
many such events happen in the current cycle (e.g. ``hw.systolic.array``). The wrapper keeps
the design's ports (same names, so the testbench drives it unchanged) and adds one output
port ``activity__<name>`` per tap: a :data:`COUNTER_WIDTH`-bit counter that adds the tap
every cycle and clears on reset. It exists only for simulation; synthesis uses the design.
"""

from __future__ import annotations

from collections.abc import Mapping

from amaranth.hdl import Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from flows.verilog import VerilogArtifact, cached_emission, emit_component, port_name
from hw.params import Params
from hw.registry import get

#: Width of every activity counter: 2**48 events is days of simulation at any speed.
COUNTER_WIDTH = 48

#: Signature member that holds the counters (ports ``activity__<name>``).
ACTIVITY_PORT = "activity"

#: ``VerilogArtifact.variant`` of an instrumented design.
VARIANT = "activity"


class NoActivityTapsError(TypeError):
    """The generator's component exposes no ``activity`` taps."""


class ActivityCounters(wiring.Component):
    """``inner`` with its ports forwarded and a counter port per activity tap in ``taps``.

    Raises:
        ValueError: if ``taps`` is empty or the inner component already has a member named
            ``activity``.
    """

    def __init__(self, inner: wiring.Component, taps: Mapping[str, Value],
                 width: int = COUNTER_WIDTH) -> None:
        if not taps:
            raise ValueError("no activity taps to count")
        members = dict(inner.signature.members.items())
        if ACTIVITY_PORT in members:
            raise ValueError(f"the inner component already has a member {ACTIVITY_PORT!r}")
        self.inner = inner
        self.taps = dict(taps)
        counters = wiring.Signature({name: Out(width) for name in self.taps})
        super().__init__({**members, ACTIVITY_PORT: Out(counters)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.submodules.inner = self.inner
        for name, member in self.inner.signature.members.items():
            outer, inner = getattr(self, name), getattr(self.inner, name)
            if member.is_signature:
                wiring.connect(m, wiring.flipped(outer), inner)
            elif member.flow == wiring.In:
                m.d.comb += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        counters = getattr(self, ACTIVITY_PORT)
        for name, tap in self.taps.items():
            counter: Signal = getattr(counters, name)
            m.d.sync += counter.eq(counter + tap)
        return m


def counter_ports(names: list[str]) -> dict[str, str]:
    """Verilog port of each counter name (``pe_macs`` -> ``activity__pe_macs``)."""
    return {name: port_name(ACTIVITY_PORT, name) for name in names}


def emit_instrumented(params: Params, *, cache: bool = True) -> VerilogArtifact:
    """Verilog of the design for ``params`` inside :class:`ActivityCounters`: the same top
    module name and stream ports as :func:`flows.verilog.emit`, plus the counter ports, and
    a different content hash (variant ``"activity"``). Served from the Verilog cache when
    ``cache`` (keyed by the generator's sources and this module's).

    Raises:
        NoActivityTapsError: if the generator has no activity taps.
    """
    return cached_emission(params, lambda: _instrumented(params), variant=VARIANT,
                           wrapper_modules=(__name__,), cache=cache)


def _instrumented(params: Params) -> VerilogArtifact:
    component = get(params.generator).build(params)
    taps = getattr(component, "activity", None)
    if not taps:
        raise NoActivityTapsError(f"{params.generator} exposes no activity taps")
    wrapper = ActivityCounters(component, taps)
    return emit_component(params, wrapper, variant=VARIANT,
                          counters=counter_ports(list(taps)))
