"""The host baseline's check without the simulator: y rebuilt from packed columns of signed
weights is W x, for every element width."""

from __future__ import annotations

import numpy as np
import pytest

from sim.pim.results import host_rows


def _pack(weights: np.ndarray, width: int) -> int:
    word = 0
    for index, value in enumerate(weights.tolist()):
        word |= (value & ((1 << width) - 1)) << (index * width)
    return word


@pytest.mark.parametrize("width", [2, 3, 7, 8, 11, 16])
@pytest.mark.parametrize("lanes", [1, 5, 32])
def test_host_rows_is_w_times_x(width, lanes):
    rng = np.random.default_rng(width * 100 + lanes)
    rows, chunks = 9, 4
    low, high = -(1 << (width - 1)), (1 << (width - 1)) - 1
    w = rng.integers(low, high, (rows, chunks * lanes), endpoint=True)
    x = rng.integers(low, high, chunks * lanes, endpoint=True)
    w[0] = low  # the most negative weight in every lane
    missing = (rows - 1, chunks - 1)  # never returned: counts as zeros
    seen = {(r, c): _pack(w[r, c * lanes:(c + 1) * lanes], width)
            for r in range(rows) for c in range(chunks) if (r, c) != missing}
    seen[(rows, 0)] = 12345  # a row beyond the matrix is not read
    w[missing[0], missing[1] * lanes:] = 0
    want = [int(v) for v in w.astype(object) @ x.astype(object)]
    assert host_rows(seen, rows, chunks, lanes, width, x.tolist()) == want
