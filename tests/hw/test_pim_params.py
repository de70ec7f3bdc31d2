import re

import pytest

from hw.params import ParamError
from hw.pim import TIMING_PRESETS, PimParams


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"channels": 3}, "`channels` must be a power of two in 1, 2, 4, 8, 16, not 3"),
    ({"lanes": 0}, "`lanes` must be a power of two in 1, 2, 4, 8, 16, 32, 64, 128, not 0"),
    ({"timing": "hbm3"}, "`timing` must be one of 'hbm2', 'ddr4', not 'hbm3'"),
    ({"pim_mode": "some"}, "`pim_mode` must be one of 'all-bank', 'per-bank', 'none', "
                           "not 'some'"),
    ({"scheduler": "lifo"}, "`scheduler` must be one of 'fcfs', 'frfcfs', not 'lifo'"),
    ({"page_policy": "half"}, "`page_policy` must be one of 'open', 'closed', not 'half'"),
    ({"refresh": "never"}, "`refresh` must be one of 'all-bank', 'postponed', not 'never'"),
    ({"interleave": "col"}, "`interleave` must be one of 'row', 'block', not 'col'"),
    ({"queue_depth": 0}, "`queue_depth` must be an integer in 1..32, not 0"),
    ({"acc_width": 8}, "`acc_width` must be an integer in 16..64, not 8"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ParamError, match=f"^{re.escape(message)}$"):
        PimParams(**kwargs)


def test_a_matrix_too_large_for_the_banks_is_refused():
    params = PimParams(channels=1, banks=2, rows=4, columns=8, lanes=4)
    params.check_gemv(8, 32)  # 4 rows per bank x 8 chunks = 32 accesses = capacity
    with pytest.raises(ParamError, match=r"^`gemv` 8x33 does not fit: a bank needs 36 "):
        params.check_gemv(8, 33)


@pytest.mark.parametrize("interleave", ["row", "block"])
def test_mapping_places_every_row_once_within_capacity(interleave):
    params = PimParams(channels=2, banks=4, columns=8, lanes=4, interleave=interleave)
    rows, cols = 29, 13
    seen = set()
    for r in range(rows):
        channel, bank, index = params.place(r, rows)
        assert 0 <= channel < 2 and 0 <= bank < 4
        assert index < params.rows_per_bank(rows)
        for chunk in range(params.chunks(cols)):
            address = (channel, bank, *params.address(index, chunk, cols))
            assert address not in seen
            seen.add(address)


def test_timing_presets_are_cited_and_consistent():
    for preset in TIMING_PRESETS.values():
        assert "DRAMsim3" in preset.source
        assert preset.ras + preset.rp < preset.refi
        assert preset.rcd < preset.ras
