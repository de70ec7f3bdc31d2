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
    ({"core": "tpu"}, r"^`core` must be one of 'systolic', 'bitserial', not 'tpu'$"),
    ({"lanes": 4}, r"^`lanes` applies only to core 'bitserial'; leave it unset for "
                   r"'systolic', not 4$"),
    ({"max_bits": 4}, r"^`max_bits` applies only to core 'bitserial'; leave it unset for "
                      r"'systolic', not 4$"),
    ({"core": "bitserial", "lanes": 3},
     r"^`lanes` must be a power of two in 1\.\.64, not 3$"),
    ({"core": "bitserial", "max_bits": 9},
     r"^`max_bits` must be an integer in 1\.\.8, not 9$"),
    ({"core": "bitserial", "serial": "both"},
     r"^`serial` must be one of 'weights', 'activations', not 'both'$"),
    ({"core": "bitserial", "dataflow": "ws"},
     r"^`dataflow` must be 'os' for core 'bitserial' \(each PE holds one output\), "
     r"not 'ws'$"),
    ({"core": "bitserial", "acc_depth": 16},
     r"^`acc_depth` applies only to core 'systolic' with dataflow 'ws'; leave it unset for "
     r"'bitserial', not 16$"),
    ({"core": "bitserial", "rows": 64, "lanes": 16, "spad_kib": 1},
     r"^`spad_kib` is too small: the smallest tile needs a slot of 1024 bytes, a 1 KiB "
     r"buffer has 256$"),
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


# --- the bit-serial core ---------------------------------------------------------------


def test_bitserial_defaults_core_params_and_granules():
    params = AccelParams(core="bitserial", rows=2, cols=4, lanes=4, bus_bytes=16)
    assert (params.lanes, params.max_bits, params.serial) == (4, 8, "weights")
    core = params.core_params
    assert (core.rows, core.cols, core.lanes, core.max_bits, core.parallel_width,
            core.scale_width, core.acc_width) == (2, 4, 4, 8, 8, 0, 32)
    # a core beat is rows (cols) x lanes elements; 16-byte beats hold 4 lanes of 4 M
    assert (params.m_granule, params.k_granule, params.n_granule) == (4, 4, 4)
    assert (params.a_word_bytes, params.b_word_bytes) == (16, 16)
    assert AccelParams().lanes is None and AccelParams().k_lanes == 1
    assert AccelParams.from_strings(["core=bitserial", "serial=activations"]).serial == \
        "activations"


def test_bitserial_precision_is_checked():
    params = AccelParams(core="bitserial", max_bits=4)
    assert params.check_bits(4) == 4 and params.job_bits(None) == 4
    with pytest.raises(ParamError, match=r"^`bits` must be an integer in 1\.\.4, not 5$"):
        params.check_bits(5)
    with pytest.raises(ParamError, match=r"^`bits` applies only to core 'bitserial' "
                                         r"\(run-time precision\); core 'systolic' is "
                                         r"bit-parallel$"):
        AccelParams().check_bits(4)
    assert AccelParams().job_bits(None) is None
    mapping = Mapping(8, 8, 8)
    assert refusal(params, 8, 8, 8, mapping, 4) is None
    assert refusal(params, 8, 8, 8, mapping, 5) == "bits = 5 is not a precision of the " \
                                                   "core (1..4)"
    assert "precision" in refusal(params, 8, 8, 8, mapping, 0)
    assert refusal(AccelParams(), 8, 8, 8, mapping, 20) is None   # systolic: no bits


def test_bitserial_blocked_layout_and_k_granule():
    params = AccelParams(core="bitserial", rows=2, cols=4, lanes=4, bus_bytes=8, max_burst=4)
    layout = dram_layout(params, 5, 13, 9)      # K padded to 16: 4 chunk rows
    burst = params.burst_bytes
    assert layout.lda == -(-(6 * 4) // burst) * burst     # padded M = 6, 4 lanes of bytes
    assert layout.ldb == -(-(12 * 4) // burst) * burst    # padded N = 12
    assert layout.b_addr >= 4 * layout.lda and layout.c_addr >= layout.b_addr + 4 * layout.ldb
    assert "K granule" in refusal(params, 20, 20, 20, Mapping(2, 6, 4))
    assert refusal(params, 20, 20, 20, Mapping(2, 8, 4)) is None


@pytest.mark.parametrize("shape", [(1, 1, 1), (33, 70, 17), (9, 200, 40), (100, 3, 7)])
@pytest.mark.parametrize("params", [
    AccelParams(core="bitserial", rows=2, cols=4, lanes=4, spad_kib=4, acc_kib=4),
    AccelParams(core="bitserial", rows=4, cols=2, lanes=1, bus_bytes=16, spad_kib=8,
                serial="activations", input_width=16, max_bits=12)])
def test_bitserial_default_mapping_is_legal_and_bytes_match_the_tiles(params, shape):
    m, k, n = shape
    for order in (None, "mnk", "nmk"):
        mapping = resolve_mapping(params, m, k, n, None, order)
        assert refusal(params, m, k, n, mapping) is None
        e, acc = params.element_bytes, params.acc_bytes
        read = written = 0
        for tile in tiles(params, m, k, n, mapping):
            assert tile.tk_pad % params.lanes == 0
            read += tile.load_a * tile.tm_pad * tile.tk_pad * e + tile.load_b * \
                tile.tk_pad * tile.tn_pad * e
            written += tile.last_k * tile.tm_eff * tile.tn_pad * acc
        assert dram_bytes(params, m, k, n, mapping) == (read, written)


def test_bitserial_elaborates_with_a_bits_field():
    from hw.accel.accelerator import command_layout, core_counters

    params = AccelParams(core="bitserial", rows=2, cols=2, lanes=2, spad_kib=1, acc_kib=1,
                         bus_bytes=4)
    text = emit(params).text
    for name in ("counters__core_pe_steps", "counters__core_serial_bits", "axi__arvalid"):
        assert name in text
    assert "counters__core_pe_macs" not in text
    assert command_layout(params).size == command_layout().size + 5
    assert core_counters(params)[0] == "core_pe_steps"


def test_a_systolic_design_keeps_its_dict_and_hash():
    """The bit-serial fields stay out of a systolic design's dict, so its content hash (the
    key of caches and stored studies) is what it was before the bit-serial core."""
    params = AccelParams()
    assert set(params.to_dict()) == {"core", "rows", "cols", "input_width", "acc_width",
                                     "signed", "dataflow", "acc_depth", "spad_kib",
                                     "acc_kib", "bus_bytes", "max_burst", "outstanding"}
    assert AccelParams.from_mapping(params.to_dict()) == params
    bitserial = AccelParams(core="bitserial", lanes=2)
    assert AccelParams.from_mapping(bitserial.to_dict()) == bitserial
    assert bitserial.content_hash() != AccelParams(core="bitserial", lanes=4).content_hash()
