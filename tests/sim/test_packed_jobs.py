"""The bit-serial and qmlp job builders pack their beats with numpy (issue 22): the packed
beats equal the beat-by-beat drivers', and the fast golden GEMM equals the golden model,
on every design of the RTL tests and every kind of operand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hw.bitserial import BitSerialParams
from hw.qmlp.params import QmlpParams
from sim.beats import hex_beats
from sim.bitserial import driver, golden
from sim.bitserial import jobs as bitserial_jobs
from sim.golden import draw
from sim.qmlp import jobs as qmlp_jobs
from tests.sim.test_bitserial_rtl import DESIGNS as BITSERIAL_DESIGNS
from tests.sim.test_qmlp_rtl import DESIGNS as QMLP_DESIGNS

WIDE = BitSerialParams(rows=2, cols=2, lanes=2, max_bits=16, parallel_width=16, acc_width=64,
                       scale_width=16)  # golden GEMM in Python integers


@pytest.mark.parametrize("params", [*BITSERIAL_DESIGNS, WIDE],
                         ids=lambda p: f"{p.rows}x{p.cols}x{p.lanes}-{p.serial[0]}")
def test_bitserial_packed_beats_equal_the_drivers(params: BitSerialParams) -> None:
    mixed = tuple(sorted({1, params.max_bits, max(1, params.max_bits // 2)}))
    for (m, k, n), values, bits, group_size in itertools.product(
            [(1, 1, 1), (5, 7, 3), (9, 33, 5)], ["random", "extreme", "min", "max"],
            [None, 1, mixed], [None, 3]):
        operands = golden.random_operands(params, m, k, n, m + k, values, bits, group_size)
        job = bitserial_jobs.operands_job(params, operands)
        reference = golden.gemm(params, operands)
        assert job["beats"] == [format(w, "x") for w in driver.encode(params, operands)]
        assert job["expected"] == [format(w, "x")
                                   for w in driver.encode_results(params, reference)]
        assert hex_beats(job["operand_words"]) == job["beats"]
        computed = bitserial_jobs.exact_gemm(params, operands)
        assert computed.dtype == (object if params is WIDE else np.int64)
        assert (computed == reference).all()


def test_bitserial_large_jobs_carry_packed_words_only() -> None:
    params = BitSerialParams(rows=2, cols=2, lanes=2, max_bits=2)
    job = bitserial_jobs.gemm_job(params, 2, 70_000, 2, bits=2)
    assert "beats" not in job and job["operand_words"].shape[0] == 70_000
    assert job["expected_words"].dtype == np.uint32


@pytest.mark.parametrize("params", QMLP_DESIGNS, ids=lambda p: f"{p.layers}[{p.folding}]")
def test_qmlp_packed_beats_equal_the_encoders(params: QmlpParams) -> None:
    k, n = params.sizes[0], params.sizes[-1]
    for m, values in [(1, "random"), (9, "random"), (4, "max"), (4, "min"), (6, "extreme")]:
        job = qmlp_jobs.gemm_job(params, m, k, n, seed=m, values=values)
        x = draw(np.random.default_rng(m), (m, k), 0, (1 << params.input_bits) - 1, values)
        scores = params.quant_network().forward(x)
        assert job["beats"] == [format(w, "x") for w in qmlp_jobs.encode_inputs(params, x)]
        assert job["expected"] == [format(w, "x")
                                   for w in qmlp_jobs.encode_scores(params, scores)]
        assert hex_beats(job["expected_words"]) == job["expected"]
