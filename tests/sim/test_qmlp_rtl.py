"""qmlp-v1 in Verilator: bit-exact against the integer model, RTL cycles equal to the exact
cycle model (also where a slow layer back-pressures a fast one), RTL activity counts equal
to the model's; random networks of every weight kind (bipolar 1-bit, multi-bit) and input
width, extreme inputs, a slow consumer, weight ROMs in logic and in block RAM; and a trained
network on every test input."""

from __future__ import annotations

import pytest

from dse.models import qmlp as model
from dse.qnn.datasets import digits
from dse.qnn.train import TrainConfig, train
from dse.verify import verify_gemm
from dse.workload import Gemm
from hw.qmlp.params import QmlpParams
from sim.activity import emit_instrumented
from sim.qmlp.jobs import gemm_job, inference_job
from sim.runner import simulate

pytestmark = pytest.mark.sim

DESIGNS = [
    QmlpParams(folding="2x4,2x2"),                      # balanced, II 16
    QmlpParams(folding=""),                             # fully folded
    QmlpParams(folding="8x16,1x1"),                     # fast layer 0, slow layer 1
    QmlpParams(folding="8x16,4x8"),                     # fully parallel, II 1
    QmlpParams(layers="12,6,6,3", folding="3x4,6x1,1x6", weight_bits=4, act_bits=1,
               input_bits=4, seed=5),
    QmlpParams(layers="10,8,5", folding="4x2,5x8", weight_bits=1, act_bits=3, input_bits=3,
               seed=7),
    QmlpParams(layers="6,4,2", folding="1x6,1x4", weight_bits=8, act_bits=8, input_bits=8,
               seed=9),
    # weight ROMs in block RAM, read a cycle ahead: the same results and cycles
    QmlpParams(folding="", weight_memory="block"),
    QmlpParams(folding="8x16,1x1", weight_memory="block"),   # layer 0 unrolled: no ROM
    QmlpParams(layers="12,6,6,3", folding="3x4,6x1,1x6", weight_bits=4, act_bits=1,
               input_bits=4, seed=5, weight_memory="block"),
    QmlpParams(layers="10,8,5", folding="4x2,5x8", weight_bits=1, act_bits=3, input_bits=3,
               seed=7, weight_memory="block"),
    # PEs of a one-step layer on at most 4 input bits are truth tables (``table_pe``):
    # every PE of the last layer (sums; constant, wire and table bits) ...
    QmlpParams(layers="2,10", folding="10x2", weight_bits=5, act_bits=2, input_bits=2,
               seed=660),
    # ... and of a hidden layer between two that add (counts of thresholds passed)
    QmlpParams(layers="4,2,33,11", folding="1x1,33x2,1x11", weight_bits=7, act_bits=2,
               input_bits=5, seed=644, weight_memory="block"),
    # bipolar weights and 1-bit inputs: a single threshold and wires
    QmlpParams(layers="3,4,2", folding="4x3,2x4", weight_bits=1, act_bits=1, input_bits=1,
               seed=3),
]


def _jobs(params: QmlpParams) -> list[dict]:
    k, n = params.sizes[0], params.sizes[-1]
    return [gemm_job(params, 1, k, n, seed=1), gemm_job(params, 9, k, n, seed=2),
            gemm_job(params, 4, k, n, seed=3, values="max"),
            gemm_job(params, 4, k, n, seed=4, values="min"),
            gemm_job(params, 6, k, n, seed=5, values="extreme")]


@pytest.mark.parametrize("params", DESIGNS, ids=lambda p: f"{p.layers}[{p.folding or '1x1'}]"
                         f"w{p.weight_bits}i{p.input_bits}-{p.weight_memory}")
def test_bit_exact_and_models_equal_rtl(params):
    jobs = _jobs(params)
    jobs.append(gemm_job(params, 7, params.sizes[0], params.sizes[-1], seed=6,
                         gap_probability=0.3))
    run = simulate(emit_instrumented(params), "sim.stream_testbench", jobs)
    for job, result in zip(jobs, run.results, strict=True):
        assert result.passed, job["meta"]
        vectors = job["meta"]["m"]
        predicted = model.activity_of(params, vectors).to_dict()
        assert {k: result.counters[k] for k in predicted} == predicted, job["meta"]
        if job["gap_probability"]:
            # a stalling sink and source only slow it down
            assert result.cycles >= model.cycles_of(params, vectors).cycles
            continue
        report = model.cycles_of(params, vectors)
        assert result.cycles == report.cycles, job["meta"]
        if vectors == 1:
            assert result.cycles == report.latency


def test_verify_gemm_agrees_on_energy_and_cycles():
    params = DESIGNS[0]
    verification = verify_gemm(params, Gemm(5, 16, 4), seed=3)
    assert verification.result.passed
    assert verification.model_matches and verification.activity_matches
    assert verification.energy.total_pj == pytest.approx(verification.rtl_energy.total_pj)


def test_trained_digits_network_on_every_test_input(tmp_path):
    data = digits(seed=0, input_bits=2)
    result = train(data, TrainConfig(hidden=(16,), weight_bits=2, act_bits=2, epochs=15))
    path = result.network.save(tmp_path / "digits.qnet.json")
    params = QmlpParams.for_network(path, "4x8,5x4")
    job = inference_job(params, data.x_test)
    run = simulate(emit_instrumented(params), "sim.stream_testbench", [job])
    assert run.results[0].passed, "RTL scores differ from the integer model"
    assert run.results[0].cycles == model.cycles_of(params, len(data.x_test)).cycles
    assert len(data.x_test) == 359
