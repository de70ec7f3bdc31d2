"""accel-v1 parameters and job contract: validation messages, the legality rule the
hardware checks, the default mapping, and the closed-form DRAM bytes against the tiles."""

from __future__ import annotations

import pytest

from flows.verilog import emit
from hw.accel import AccelParams
from hw.accel.tiling import (
    Mapping,
    beat_interval,
    check_latency,
    check_mapping,
    default_mapping,
    dram_bytes,
    dram_layout,
    padded_n,
    refusal,
    resolve_mapping,
    tiles,
)
from hw.params import ParamError


@pytest.mark.parametrize(("values", "message"), [
    ({"core": "tpu"}, r"^`core` must be one of 'systolic', not 'tpu'$"),
    ({"rows": 6}, r"^`rows` must be a power of two in 1\.\.64, not 6$"),
    ({"input_width": 4}, r"^`input_width` must be one of 8, 16, not 4$"),
    ({"input_width": 16, "acc_width": 16},
     r"^`acc_width` must be one of 32, 64 \(at least 2 \* input_width = 32\), not 16$"),
    ({"dataflow": "is"}, r"^`dataflow` must be one of 'os', 'ws', not 'is'$"),
    ({"acc_depth": 8}, r"^`acc_depth` applies only to dataflow 'ws'; leave it unset for "
                       r"'os', not 8$"),
    ({"bus_bytes": 12}, r"^`bus_bytes` must be one of 4, 8, 16, 32, 64, not 12$"),
    ({"bus_bytes": 64, "max_burst": 128},
     r"^`max_burst` must be a power of two in 1\.\.64 \(a burst of bus_bytes = 64 beats "
     r"stays inside 4 KiB\), not 128$"),
    ({"outstanding": 0}, r"^`outstanding` must be an integer in 1\.\.16, not 0$"),
    ({"spad_kib": 3}, r"^`spad_kib` must be a power of two in 1\.\.4096, not 3$"),
    ({"rows": 64, "cols": 64, "acc_kib": 16},
     r"^`acc_kib` is too small: the smallest tile needs a slot of 16384 bytes, a 16 KiB "
     r"buffer has 8192$"),
])
def test_bad_params_name_the_field(values, message):
    with pytest.raises(ParamError, match=message):
        AccelParams(**values)


def test_from_strings_and_core_params():
    params = AccelParams.from_strings(["rows=4", "cols=8", "bus_bytes=16", "spad_kib=64"])
    assert params.core_params.rows == 4 and params.core_params.cols == 8
    assert params.m_granule == 16 and params.n_granule == 16   # whole 16-byte beats
    assert params.spad_slot_bytes == 16384 and params.acc_slot_bytes == 8192


def test_mapping_parse_and_errors():
    assert Mapping.parse("32x64x16", "nmk") == Mapping(32, 64, 16, "nmk")
    with pytest.raises(ParamError, match=r"^`tiles` must look like TMxTKxTN"):
        Mapping.parse("32x64")
    with pytest.raises(ParamError, match=r"^`order` must be one of mnk, nmk, not 'kmn'$"):
        Mapping(8, 8, 8, "kmn")
    with pytest.raises(ParamError, match=r"^`tm` must be an integer in 1\.\.65535, not 0$"):
        Mapping(0, 8, 8)


def test_refusal_rules():
    params = AccelParams()  # 8 KiB scratchpad slots, 8 KiB accumulator slots
    assert refusal(params, 64, 64, 64, Mapping(32, 256, 32)) is None      # A just fits
    assert refusal(params, 64, 64, 64, Mapping(32, 64, 64)) is None       # C just fits
    assert "A tile" in refusal(params, 64, 64, 64, Mapping(32, 257, 8))
    assert "C tile" in refusal(params, 64, 64, 64, Mapping(64, 8, 64))
    assert "multiple of 8" in refusal(params, 64, 64, 64, Mapping(12, 8, 8))
    with pytest.raises(ParamError, match=r"^`tiles` 64x8x64 is refused by accel-v1: a C tile"):
        check_mapping(params, 64, 64, 64, Mapping(64, 8, 64))


def test_bandwidth_and_latency_rules():
    params = AccelParams(bus_bytes=8)
    assert [beat_interval(params, b) for b in (1, 2, 4, 8, 16, 64)] == [8, 4, 2, 1, 1, 1]
    with pytest.raises(ParamError, match=r"^`bandwidth` must be a divisor of bus_bytes = 8 "
                                         r"\(1, 2, 4, 8\) or a multiple of it"):
        beat_interval(params, 3)
    with pytest.raises(ParamError, match=r"^`latency` must be an integer in 1\.\.65536"):
        check_latency(0)


@pytest.mark.parametrize("shape", [(1, 1, 1), (33, 70, 17), (64, 64, 64), (9, 200, 40),
                                   (100, 3, 7)])
@pytest.mark.parametrize("params", [
    AccelParams(), AccelParams(rows=4, cols=16, bus_bytes=16, spad_kib=8, acc_kib=4),
    AccelParams(dataflow="ws", acc_depth=16, spad_kib=8)])
def test_default_mapping_is_legal_and_bytes_match_the_tiles(params, shape):
    m, k, n = shape
    for order in (None, "mnk", "nmk"):
        mapping = resolve_mapping(params, m, k, n, None, order)
        assert refusal(params, m, k, n, mapping) is None
        if order:
            assert mapping.order == order
        # closed form == summing what every tile loads and writes
        e, acc = params.element_bytes, params.acc_bytes
        read = written = 0
        for tile in tiles(params, m, k, n, mapping):
            read += tile.load_a * tile.tm_pad * tile.tk_pad * e + tile.load_b * \
                tile.tk_pad * tile.tn_pad * e
            written += tile.last_k * tile.tm_eff * tile.tn_pad * acc
        assert dram_bytes(params, m, k, n, mapping) == (read, written)
    assert default_mapping(params, m, k, n) == resolve_mapping(params, m, k, n)


def test_reuse_follows_the_order():
    params = AccelParams()
    mnk = list(tiles(params, 32, 16, 32, Mapping(8, 16, 8, "mnk")))
    assert sum(t.load_a for t in mnk) == 4 and sum(t.load_b for t in mnk) == 16
    nmk = list(tiles(params, 32, 16, 32, Mapping(8, 16, 8, "nmk")))
    assert sum(t.load_a for t in nmk) == 16 and sum(t.load_b for t in nmk) == 4


def test_ws_pads_k_not_m():
    params = AccelParams(dataflow="ws", bus_bytes=16)
    assert (params.m_granule, params.k_granule, params.n_granule) == (1, 16, 16)
    assert refusal(params, 20, 20, 20, Mapping(5, 16, 16)) is None
    assert "K granule" in refusal(params, 20, 20, 20, Mapping(8, 8, 16))
    layout = dram_layout(params, 20, 20, 20)
    assert layout.lda == params.burst_bytes          # A rows of K = 32 padded bytes


def test_layout_strides_sit_on_burst_boundaries():
    params = AccelParams(bus_bytes=16, max_burst=8)
    layout = dram_layout(params, 33, 5, 17)
    for stride in (layout.lda, layout.ldb, layout.ldc):
        assert stride % params.burst_bytes == 0
    assert layout.ldc >= padded_n(params, 17) * params.acc_bytes
    assert layout.b_addr % 4096 == 0 and layout.c_addr % 4096 == 0


def test_elaborates_with_standard_axi_names():
    text = emit(AccelParams(rows=2, cols=2, spad_kib=1, acc_kib=1, bus_bytes=4)).text
    for name in ("axi__arvalid", "axi__rdata", "axi__awlen", "axi__wstrb", "axi__bready",
                 "cmd__payload", "counters__stall_cycles"):
        assert name in text


def test_place_and_route_refuses_clearly():
    """The IO shim takes stream designs only: one line, exit 2, no traceback."""
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["synth", "accel", "-p", "spad_kib=8", "-p", "acc_kib=4"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: Accelerator has no `operands` stream")
