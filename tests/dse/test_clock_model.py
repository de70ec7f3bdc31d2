"""The clock model (``dse.models.clock``) and the out-of-range signal: fitted on designs
with a known delay it gives that delay back; its data file round-trips; designs outside
the samples are named; the ``fmax_mhz`` and ``latency_s_at_fmax`` metrics follow from it."""

from __future__ import annotations

import dataclasses
import math

import pytest

from dse.models.area import AreaModelError
from dse.models.clock import (
    build_clock_model,
    find_clock_model,
    param_features,
    parse_clock_data,
)
from hw.systolic import SystolicParams

FEATURES = ("one", "acc_width", "log2_rows", "dataflow=ws")


def delay_ns(params: SystolicParams) -> float:
    """A delay that is exactly a nonnegative combination of :data:`FEATURES`."""
    return (4.0 + 0.125 * params.acc_width + 0.5 * math.log2(params.rows)
            + (1.0 if params.dataflow == "ws" else 0.0))


def designs() -> list[tuple[SystolicParams, float, str]]:
    out = []
    for index, (rows, acc, dataflow) in enumerate(
            [(r, a, d) for r in (1, 2, 4, 6) for a in (16, 24, 40) for d in ("os", "ws")]):
        params = SystolicParams(rows=rows, cols=2, input_width=8, acc_width=acc,
                                dataflow=dataflow)
        out.append((params, 1000.0 / delay_ns(params), "held_out" if index % 4 == 3
                    else "train"))
    return out


def test_param_features_are_numbers_logarithms_and_indicators():
    features = param_features(SystolicParams(rows=4, cols=3, dataflow="ws", acc_depth=64))
    assert features["one"] == 1.0 and features["rows"] == 4.0
    assert features["log2_rows"] == 2.0 and features["log2_acc_depth"] == 6.0
    assert features["dataflow=ws"] == 1.0 and "dataflow=os" not in features
    assert features["signed=True"] == 1.0
    assert "acc_depth" not in param_features(SystolicParams())  # None gives nothing


def test_a_delay_that_is_linear_in_the_features_is_fitted_exactly():
    model, samples = build_clock_model("systolic-v1", "ecp5-85k", designs(), FEATURES, {})
    assert model.train_error.max == pytest.approx(0.0, abs=1e-9)
    assert model.held_out_error.max == pytest.approx(0.0, abs=1e-9)
    assert model.held_out_error.count == sum(d[2] == "held_out" for d in designs())
    for params, mhz, _ in designs():
        assert model.estimate(params).fmax_mhz == pytest.approx(mhz, rel=1e-9)
    assert dict(zip(model.fit.features, model.fit.coefficients, strict=True)) == \
        pytest.approx({"one": 4.0, "acc_width": 0.125, "log2_rows": 0.5, "dataflow=ws": 1.0})
    reread, stored = parse_clock_data(model.to_json(samples))
    assert reread.fit == model.fit and reread.coverage == model.coverage
    assert [(p, round(m, 9), s) for p, m, s in stored] == \
        [(p, round(m, 9), s) for p, m, s in designs()]


def test_designs_outside_the_samples_are_named():
    model, _ = build_clock_model("systolic-v1", "ecp5-85k", designs(), FEATURES, {})
    inside = model.estimate(designs()[0][0])
    assert inside.out_of_range == ()
    outside = model.estimate(SystolicParams(rows=12, cols=2, input_width=8, acc_width=16))
    assert "rows = 12 (samples: 1..6)" in outside.out_of_range
    assert any(r.startswith("feature log2_rows = ") for r in outside.out_of_range)


def test_malformed_clock_data_is_rejected_naming_the_key():
    model, samples = build_clock_model("systolic-v1", "ecp5-85k", designs(), FEATURES, {})
    payload = model.to_json(samples)
    with pytest.raises(AreaModelError, match="schema"):
        parse_clock_data({**payload, "schema": "nope"})
    del payload["coefficients"]
    with pytest.raises(AreaModelError, match="missing key `coefficients`"):
        parse_clock_data(payload)


def test_no_clock_model_makes_the_fmax_metrics_unavailable():
    from dse.metrics import unavailable_metrics

    assert find_clock_model("qmlp-v1", "ice40-up5k") is None
    missing = unavailable_metrics("qmlp-v1", "ice40-up5k")
    assert missing["fmax_mhz"].startswith("no clock model for qmlp-v1 on ice40-up5k")
    assert "latency_s_at_fmax" in missing


def _shipped_clock_files() -> list[str]:
    from importlib import resources

    data = resources.files("dse.models").joinpath("data")
    return sorted(f.name for f in data.iterdir() if f.name.startswith("clock_"))


@pytest.mark.parametrize("name", _shipped_clock_files())
def test_a_shipped_clock_model_is_the_fit_of_its_stored_designs(name):
    """Every shipped clock model refits from its stored designs to its coefficients and
    errors, with at least 8 held-out designs; the fitted ones lie inside its coverage."""
    import json
    from importlib import resources

    from dse.models.clock import load_clock_model

    payload = json.loads(resources.files("dse.models").joinpath(f"data/{name}").read_text())
    model = load_clock_model(payload["generator"], payload["target"])
    _, stored = parse_clock_data(payload)
    refit, _ = build_clock_model(model.generator, model.target, stored, model.fit.features,
                                 {})
    assert refit.fit.coefficients == pytest.approx(model.fit.coefficients, rel=1e-6, abs=1e-9)
    assert refit.held_out_error.mean == pytest.approx(model.held_out_error.mean)
    assert refit.train_error.max == pytest.approx(model.train_error.max)
    assert model.held_out_error.count >= 8
    assert sum(split == "held_out" for *_, split in stored) == model.held_out_error.count
    for params, mhz, split in stored:
        assert mhz > 0
        if split == "train":  # a fitted design lies inside the coverage
            assert model.estimate(params).out_of_range == ()


def test_shipped_systolic_clock_model_drives_the_metrics():
    """The metrics are the model's estimate and the cycles at that clock, while
    ``latency_s`` stays at the spec's clock."""
    from dse.metrics import model_metrics
    from dse.models.clock import load_clock_model
    from dse.workload import Gemm, Layer

    model = load_clock_model("systolic-v1", "ecp5-85k")
    params = SystolicParams(rows=2, cols=3, input_width=8, acc_width=24)
    metrics = model_metrics(params, [Layer("l", Gemm(16, 16, 16))], target="ecp5-85k",
                            clock_mhz=25.0)
    fmax = model.estimate(params).fmax_mhz
    assert metrics["fmax_mhz"] == fmax
    assert metrics["latency_s_at_fmax"] == metrics["latency_cycles"] / (fmax * 1e6)
    assert metrics["latency_s"] == metrics["latency_cycles"] / 25e6


def test_a_family_s_own_clock_features_join_the_generic_ones():
    from dse.models.clock import _features
    from dse.models.qmlp import qmlp_clock_features
    from hw.qmlp.params import QmlpParams

    params = QmlpParams(layers="8,6,4", weight_bits=3, act_bits=2, input_bits=4,
                        folding="3x4,2x3")
    values = _features(params, "ecp5-85k")
    own = qmlp_clock_features(params, "ecp5-85k")
    assert {k: values[k] for k in own} == own
    assert values["weight_bits"] == 3 and values["layers=8,6,4"] == 1.0
    # the slowest layer's features: layer 0, whose PEs have 7 added and 4 subtracted terms
    # (these weights: 3 levels of kept adders, the subtraction and the accumulate), 2 x 2
    # steps, 3 thresholds and 8 inputs; layer 1 (raw scores) has no thresholds
    from dse.models.qmlp import _CLOCK_LAYER_WEIGHTS, _dot_product_depth

    network = params.quant_network()
    layer0 = {"clock_acc_bits": network.accumulator_width(0), "clock_adder_levels": 5,
              "clock_log2_steps": 2.0, "clock_log2_levels": 2.0, "clock_log2_inputs": 3.0}
    layer1 = {"clock_acc_bits": network.accumulator_width(1),
              "clock_adder_levels": _dot_product_depth(params, 1),
              "clock_log2_steps": 2.0, "clock_log2_levels": 0.0,
              "clock_log2_inputs": math.log2(6)}
    # and the whole design's size: the square root of the area model's LUTs, in tens
    from dse.models.area import load_area_model
    from dse.models.qmlp import qmlp_features

    luts = load_area_model("qmlp-v1", "ecp5-85k", qmlp_features).estimate(params)
    assert own == pytest.approx(
        {**layer0, "clock_sqrt_luts": math.sqrt(luts.resources()["lut"]) / 10,
         "clock_block_rom": 0.0})
    # with the weights in block RAM: the block's output (one depth slice, no multiplexer)
    block = qmlp_clock_features(dataclasses.replace(params, weight_memory="block"),
                                "ecp5-85k")
    assert block["clock_block_rom"] == 1.0 and block["clock_log2_steps"] == 0.0

    def delay(values):
        return sum(w * values[name] for name, w in _CLOCK_LAYER_WEIGHTS.items())

    assert delay(layer0) > delay(layer1)


@pytest.mark.parametrize("seed", range(8))
def test_qmlp_adder_levels_by_hand(seed):
    """2 inputs, 1 output, 2-bit weights, constant weights: a weight with bit 0 set adds
    ``x``, one with its sign bit set subtracts ``x << 1``; two terms on one side take one
    adder, then the subtraction (if any). The layer takes both inputs in one step (synapse
    fold 1), so it has no accumulate."""
    from dse.models.qmlp import qmlp_clock_features
    from hw.qmlp.params import QmlpParams

    params = QmlpParams(layers="2,1", weight_bits=2, input_bits=8, folding="1x2", seed=seed)
    weights = [int(v) & 3 for v in params.quant_network().layers[0].weights[0]]
    plus = sum(1 for v in weights if v & 1)
    minus = sum(1 for v in weights if v & 2)
    own = qmlp_clock_features(params, "ecp5-85k")
    assert own["clock_adder_levels"] == (plus == 2 or minus == 2) + (minus > 0)


def test_qmlp_adder_levels_skip_joins_without_an_adder(tmp_path):
    """The constant weight 3 (bits 0 and 1) on a 1-bit input: its terms ``x`` and ``x << 1``
    hold bits 0 and 1 and are joined without an adder, so the path has no adder at all (one
    input in one step: no accumulate); on 2-bit inputs they overlap and take one adder."""
    import numpy as np

    from dse.models.qmlp import _dot_product_depth
    from hw.qmlp.network import QuantLayer, QuantNetwork
    from hw.qmlp.params import QmlpParams

    levels = {}
    for input_bits in (1, 2):
        network = QuantNetwork(input_bits, (QuantLayer(np.array([[3]]), 3),))
        path = network.save(tmp_path / f"net{input_bits}.json")
        levels[input_bits] = _dot_product_depth(QmlpParams.for_network(path, folding="1x1"), 0)
    assert levels == {1: 0, 2: 1}


@pytest.mark.parametrize(("changes", "scheduled", "choosable"), [
    ({"pim_mode": "per-bank", "scheduler": "frfcfs"}, 8, 4),
    ({"pim_mode": "none", "scheduler": "fcfs"}, 8, 1),
    ({"pim_mode": "all-bank", "scheduler": "frfcfs"}, 1, 4),
])
def test_pim_clock_features_count_scheduled_banks_and_choosable_entries(changes, scheduled,
                                                                       choosable):
    import dataclasses

    from dse.models.clock import _features
    from hw.pim.params import PimParams

    params = PimParams(channels=2, banks=8, queue_depth=4, **changes)
    values = _features(params, "ecp5-85k")
    assert values["clock_log2_scheduled_banks"] == pytest.approx(math.log2(scheduled))
    assert values["clock_log2_choosable"] == pytest.approx(math.log2(choosable))
    assert values["banks"] == 8 and values["log2_queue_depth"] == 2
    assert values["clock_constant_products"] == 0  # row interleave: no products
    # block interleave: channel x per-bank rows (channels 0 and 1 fold away), and in
    # all-bank mode (bank x channels + channel) x per-bank rows
    block = dataclasses.replace(params, interleave="block")
    expected = 1 if params.pim_mode == "all-bank" else 0
    assert _features(block, "ecp5-85k")["clock_constant_products"] == expected
    four = dataclasses.replace(block, channels=4)
    assert _features(four, "ecp5-85k")["clock_constant_products"] == 1


def test_a_family_with_batch_models_gives_its_clock_features_in_both_forms():
    import dataclasses

    from dse.models.registry import family_models

    systolic = family_models("systolic-v1")
    with pytest.raises(ValueError, match="together"):
        dataclasses.replace(systolic, clock_features=None)
    with pytest.raises(ValueError, match="together"):
        dataclasses.replace(systolic, batch=dataclasses.replace(systolic.batch,
                                                                clock_features=None))


@pytest.mark.parametrize("target", ["ecp5-85k", "ice40-up5k"])
def test_systolic_clock_features_batch_equal_scalar(target):
    import numpy as np

    from dse.models.systolic import batch_clock_features, systolic_clock_features

    designs = [SystolicParams(rows=r, cols=c, input_width=w, acc_width=2 * w + 3, signed=s)
               for r, c, w, s in [(1, 1, 2, True), (3, 2, 5, False), (2, 4, 6, True),
                                  (4, 4, 8, False), (2, 2, 16, True)]]
    columns = {"rows": np.array([p.rows for p in designs]),
               "cols": np.array([p.cols for p in designs]),
               "input_width": np.array([p.input_width for p in designs])}
    batch = batch_clock_features(columns, target)["clock_soft_product_bits"]
    scalar = [systolic_clock_features(p, target)["clock_soft_product_bits"] for p in designs]
    assert batch.tolist() == scalar
    if target == "ice40-up5k":  # products in logic below 11 product bits
        assert scalar == [4, 25, 0, 0, 0]
    else:  # every product on a MULT18X18D
        assert scalar == [0] * 5
