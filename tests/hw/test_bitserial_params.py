import re

import pytest
from amaranth.hdl import Fragment, Shape

from hw.bitserial import BitSerialParams
from hw.bitserial.array import BitSerialArray, activity_bounds, operand_layout
from hw.params import ParamError


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rows": 0}, "`rows` must be an integer in 1..64, not 0"),
    ({"lanes": 65}, "`lanes` must be an integer in 1..64, not 65"),
    ({"max_bits": 17}, "`max_bits` must be an integer in 1..16, not 17"),
    ({"max_bits": 0}, "`max_bits` must be an integer in 1..16, not 0"),
    ({"parallel_width": 1}, "`parallel_width` must be an integer in 2..16, not 1"),
    ({"serial": "both"}, "`serial` must be one of 'weights', 'activations', not 'both'"),
    ({"signed": "yes"}, "`signed` must be true or false, not 'yes'"),
    ({"scale_width": 17}, "`scale_width` must be an integer in 0..16, not 17"),
    ({"acc_width": 15}, "`acc_width` must be an integer in 16..64 (at least parallel_width + "
                        "max_bits = 8 + 8), not 15"),
    ({"acc_width": 65}, "`acc_width` must be an integer in 16..64, not 65"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ParamError, match=f"^{re.escape(message)}$"):
        BitSerialParams(**kwargs)


def test_precision_is_checked_against_max_bits():
    params = BitSerialParams(max_bits=4)
    assert params.check_bits(4) == 4
    with pytest.raises(ParamError, match=r"^`bits` must be an integer in 1\.\.4, not 5$"):
        params.check_bits(5)


def test_serial_operand_is_one_bit_wide_in_the_stream():
    weights = operand_layout(BitSerialParams(rows=2, cols=3, lanes=4, parallel_width=6))
    activations = operand_layout(BitSerialParams(rows=2, cols=3, lanes=4, parallel_width=6,
                                                 serial="activations", scale_width=5))
    assert Shape.cast(weights).width == 2 * 4 * 6 + 3 * 4 * 1 + 5
    assert Shape.cast(activations).width == 2 * 4 * 1 + 3 * 4 * 6 + 3 * 5 + 5


def test_peak_throughput_scales_with_precision():
    params = BitSerialParams(rows=4, cols=4, lanes=8)
    assert params.peak_macs_per_cycle(8) == 16
    assert params.peak_macs_per_cycle(1) == 128


def test_activity_taps_are_sized_by_their_bounds():
    params = BitSerialParams(rows=3, cols=2, lanes=5)
    array = BitSerialArray(params)
    Fragment.get(array, None)  # elaborates
    for name, bound in activity_bounds(params).items():
        assert array.activity[name].shape().width == bound.bit_length(), name
