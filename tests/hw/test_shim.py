"""The IO shim that puts a design on a few pins: a GEMM through the shim, bit by bit, gives
the golden result (Amaranth simulator)."""

import pytest
from amaranth.hdl import Shape
from amaranth.sim import Simulator

from hw.shim import SerialShim, shim_flip_flops
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
