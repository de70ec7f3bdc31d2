"""The IO shims that put a design on a few pins: a GEMM through the stream shim, bit by bit,
gives the golden result (Amaranth simulator); the port shim drives and captures every port
bit, and its flip-flops are exactly the ones synthesis keeps."""

import json

import pytest
from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Shape
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from flows.synth import run_yosys
from hw.accel import AccelParams
from hw.accel.accelerator import Accelerator
from hw.shim import (
    NoOutputPortsError,
    PortShim,
    SerialShim,
    port_shim_flip_flops,
    shim_flip_flops,
    shim_for,
)
from hw.systolic import SystolicParams
from hw.systolic.array import SystolicArray, operand_layout, result_layout
from sim.systolic import driver, golden


def _through_shim(params, beats, result_count):
    """Shift ``beats`` in and ``result_count`` results out, concurrently (the array stalls
    while a result waits)."""
    shim = SerialShim(SystolicArray(params))
    in_width = Shape.cast(operand_layout(params)).width
    out_width = Shape.cast(result_layout(params)).width
    results = []

    async def source(ctx):
        for beat in beats:
            for bit in range(in_width):  # the last bit shifted in becomes the top bit
                ctx.set(shim.in_bit, (beat >> bit) & 1)
                ctx.set(shim.in_shift, 1)
                await ctx.tick()
            ctx.set(shim.in_shift, 0)
            ctx.set(shim.in_valid, 1)
            await ctx.tick().until(shim.in_ready)
            ctx.set(shim.in_valid, 0)

    async def sink(ctx):
        for _ in range(result_count):
            ctx.set(shim.out_ready, 1)
            await ctx.tick().until(shim.out_valid)
            ctx.set(shim.out_ready, 0)
            word = 0
            for bit in range(out_width):
                word |= ctx.get(shim.out_bit) << bit
                ctx.set(shim.out_shift, 1)
                await ctx.tick()
            ctx.set(shim.out_shift, 0)
            results.append(word)

    sim = Simulator(shim)
    sim.add_clock(1e-6)
    sim.add_testbench(source, background=True)
    sim.add_testbench(sink)
    sim.run()
    return results


@pytest.mark.parametrize("dataflow", ["os", "ws"])
def test_gemm_through_shim_is_bit_exact(dataflow):
    params = SystolicParams(rows=2, cols=2, input_width=4, acc_width=12, dataflow=dataflow)
    a, b = golden.random_operands(params, 3, 3, 3, seed=7, values="extreme")
    beats = driver.encode(params, a, b)
    expected = driver.encode_results(params, golden.gemm(params, a, b))
    assert _through_shim(params, beats, len(expected)) == expected


def test_shim_flip_flops_count_both_payloads():
    params = SystolicParams(rows=3, cols=2, input_width=8, acc_width=20)
    array = SystolicArray(params)
    assert shim_flip_flops(array) == (3 * 8 + 2 * 8 + 1) + 2 * 20


class _Ports(wiring.Component):
    """No registers: nested ports both ways, a layout-typed input, a constant output; each
    output is a function of the inputs, so the test knows what the shim must capture."""

    def __init__(self):
        bus = wiring.Signature({"addr": Out(5), "ready": In(1), "data": In(6), "id": Out(2)})
        super().__init__({"cmd": In(data.StructLayout({"op": 3, "arg": 4})), "go": In(1),
                          "bus": Out(bus), "status": Out(3)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.bus.addr.eq(Cat(self.cmd.arg, self.go)), self.bus.id.eq(0b10),
                     self.status.eq(self.cmd.op ^ self.bus.data[:3] ^ self.bus.ready)]
        return m


def _bits(value, width):
    return [(value >> i) & 1 for i in range(width)]


def test_port_shim_drives_every_input_and_captures_every_output():
    """Inputs in signature order from register bit 0: cmd (op, arg), go, bus.ready, bus.data;
    outputs: bus.addr, bus.id, status, then the input register's bits follow on the scan."""
    shim = PortShim(_Ports())
    op, arg, go, ready, bus_data = 0b101, 0b0110, 1, 1, 0b110011
    inputs = op | arg << 3 | go << 7 | ready << 8 | bus_data << 9
    in_width = 15
    addr, ident, status = arg | go << 4, 0b10, op ^ (bus_data & 7) ^ ready
    outputs = addr | ident << 5 | status << 7
    out_width = 10
    assert port_shim_flip_flops(shim.inner) == in_width + out_width
    seen = []

    async def bench(ctx):
        for bit in _bits(inputs, in_width):
            ctx.set(shim.in_bit, bit)
            ctx.set(shim.in_shift, 1)
            await ctx.tick()
        ctx.set(shim.in_shift, 0)
        assert ctx.get(shim.inner.cmd.as_value()) == op | arg << 3
        assert ctx.get(shim.inner.bus.data) == bus_data
        ctx.set(shim.out_ready, 1)
        await ctx.tick()
        ctx.set(shim.out_ready, 0)
        ctx.set(shim.out_shift, 1)
        ctx.set(shim.in_shift, 1)  # both registers shift: one scan path
        ctx.set(shim.in_bit, 0)
        for _ in range(out_width + in_width):
            seen.append(ctx.get(shim.out_bit))
            await ctx.tick()

    sim = Simulator(shim)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen == _bits(outputs, out_width) + _bits(inputs, in_width)


@pytest.mark.synth
def test_port_shim_flip_flops_are_what_yosys_keeps(tmp_path):
    """Around a component without registers every flip-flop is the shim's, and none is
    optimized away (the constant output's bits and unused inputs included)."""
    inner = _Ports()
    (tmp_path / "top.v").write_text(verilog.convert(PortShim(inner), name="top",
                                                    emit_src=False))
    (tmp_path / "s.ys").write_text("read_verilog top.v\nsynth -flatten -top top\n"
                                   "tee -q -o stat.json stat -json\n")
    run_yosys(tmp_path, "s.ys", timeout=600)
    cells = json.loads((tmp_path / "stat.json").read_text())["design"]["num_cells_by_type"]
    flip_flops = sum(n for cell, n in cells.items() if "DFF" in cell)
    assert flip_flops == port_shim_flip_flops(inner) == 25


def test_shim_for_picks_the_stream_shim_for_streams_and_the_port_shim_otherwise():
    shim, flip_flops = shim_for(SystolicArray(SystolicParams(rows=2, cols=2)))
    assert isinstance(shim, SerialShim) and flip_flops == shim_flip_flops(shim.inner)
    accel = Accelerator(AccelParams(rows=2, cols=2, spad_kib=1, acc_kib=1, bus_bytes=4))
    shim, flip_flops = shim_for(accel)
    assert isinstance(shim, PortShim) and flip_flops == port_shim_flip_flops(accel)
    assert set(shim.signature.members) == {"in_bit", "in_shift", "out_ready", "out_bit",
                                           "out_shift"}


def test_port_shim_refuses_a_component_without_outputs():
    class Sink(wiring.Component):
        go: In(1)

        def elaborate(self, platform):
            return Module()

    with pytest.raises(NoOutputPortsError, match=r"^Sink has no output port for the IO shim "
                                                 r"to capture$"):
        PortShim(Sink())
