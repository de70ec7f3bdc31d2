"""The batch models (dse.models.batch) equal the scalar models bit for bit: cycles and
features exactly, energy to the last bit (the same float operations in the same order),
on random designs and GEMMs; and a whole space evaluated as arrays equals the same space
evaluated point by point through ``spec.evaluate``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dse import exhaustive
from dse.models import bitserial, systolic
from dse.models.area import AreaModelError
from dse.models.batch import per_unique
from dse.models.energy import load_energy_table
from dse.spec import parse_spec
from dse.workload import Gemm
from hw.bitserial.params import BitSerialParams
from hw.params import ParamError
from hw.systolic.params import SystolicParams

TARGETS = ("ecp5-85k", "ice40-up5k", "xc7a35t", "generic")


def random_systolic(rng: random.Random) -> SystolicParams:
    width = rng.randint(2, 16)
    dataflow = rng.choice(["os", "ws"])
    return SystolicParams(
        rows=rng.choice([rng.randint(1, 8), rng.randint(1, 128)]),
        cols=rng.choice([rng.randint(1, 8), rng.randint(1, 128)]), input_width=width,
        acc_width=rng.randint(2 * width, 64), signed=rng.random() < 0.5, dataflow=dataflow,
        acc_depth=rng.choice([rng.randint(1, 64), 2 ** rng.randint(0, 16),
                              rng.randint(1, 65536)]) if dataflow == "ws" else None)


def random_bitserial(rng: random.Random) -> BitSerialParams:
    width, max_bits = rng.randint(2, 16), rng.randint(1, 16)
    return BitSerialParams(
        rows=rng.randint(1, 64), cols=rng.randint(1, 64), lanes=rng.randint(1, 64),
        max_bits=max_bits, parallel_width=width,
        serial=rng.choice(["weights", "activations"]), signed=rng.random() < 0.5,
        acc_width=rng.randint(width + max_bits, 64), scale_width=rng.choice([0, 0, 4, 16]))


def random_gemm(rng: random.Random, precision: bool) -> Gemm:
    dims = [rng.choice([1, rng.randint(1, 9), rng.randint(1, 300), rng.randint(1, 5000)])
            for _ in range(3)]
    if not precision or rng.random() < 0.3:
        return Gemm(*dims)
    group = rng.choice([None, rng.randint(1, 64)])
    bits = rng.choice([rng.randint(1, 16), tuple(rng.randint(1, 8) for _ in range(3))])
    return Gemm(*dims, bits=bits, group_size=group)


def as_columns(fields):
    """Field values (None: 0) as arrays, as dse.exhaustive gives them to batch models."""
    return {name: np.array([0 if v is None else v for v in values])
            for name, values in fields.items()}


def columns_of(designs):
    return as_columns({name: [getattr(p, name) for p in designs]
                    for name in designs[0].field_names()})


FAMILIES = {"systolic": (systolic, random_systolic, False),
            "bitserial": (bitserial, random_bitserial, True)}


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_cycles_and_energy_equal_the_scalar_models(family):
    module, make, precision = FAMILIES[family]
    rng = random.Random(20)
    designs = [make(rng) for _ in range(300)]
    columns = columns_of(designs)
    custom = load_energy_table("dse/models/data/energy_45nm_horowitz.toml")
    runs = 0
    for _ in range(25):
        gemm = random_gemm(rng, precision)
        report = module.MODELS.batch.cycles(columns, gemm)
        energy = module.MODELS.batch.energy(columns, gemm, custom)
        for index, params in enumerate(designs):
            try:
                expected = module.cycles(params, gemm)
            except ParamError as error:
                assert report.failure is not None and report.failure[index] == str(error)
                continue
            assert report.failure is None or report.failure[index] == ""
            runs += 1
            assert report.cycles[index] == expected.cycles
            assert report.pes[index] == expected.pes
            # floats compared with ==: the same operations in the same order
            assert energy[index] == module.energy(params, gemm, custom).total_pj
    assert runs > 3000  # most pairs run: the comparison is not vacuous


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_area_features_equal_the_scalar_features(family):
    module, make, _ = FAMILIES[family]
    rng = random.Random(21)
    designs = [make(rng) for _ in range(400)]
    columns = columns_of(designs)
    scalar_features = module.MODELS.area_features
    for target in TARGETS:
        try:
            expected = [scalar_features(params, target) for params in designs]
        except AreaModelError as error:  # ws memories on a target without RAM primitives
            with pytest.raises(AreaModelError, match=f"^{error}$"):
                module.MODELS.batch.area_features(columns, target)
            continue
        features = module.MODELS.batch.area_features(columns, target)
        assert set(features) == set(expected[0])
        for name, values in features.items():
            assert values.dtype == np.float64
            assert values.tolist() == [row[name] for row in expected], name


def test_per_unique_calls_the_function_once_per_combination():
    calls = []

    def function(a, b):
        calls.append((a, b))
        return (a * 10 + len(b), a)

    out = per_unique(function, np.array([3, 1, 3, 1, 2]), np.array(["x", "yy", "x", "x", "x"]),
                     dtype=np.int64)
    assert out.tolist() == [[31, 3], [12, 1], [31, 3], [11, 1], [21, 2]]
    assert sorted(calls) == [(1, "x"), (1, "yy"), (2, "x"), (3, "x")]
    assert all(type(a) is int and type(b) is str for a, b in calls)


SPACES = {
    "systolic": """
name = "systolic"
generator = "systolic"
clock_mhz = 125
[space]
rows = [1, 2, 3, 8, 16]
cols = [1, 4, 7, 16]
input_width = [4, 8, 16]
acc_width = [24, 32]
signed = [true, false]
dataflow = ["os", "ws"]
acc_depth = { values = [1, 5, 64, 512], when = { dataflow = "ws" } }
[[workload]]
gemm = "30x70x17"
repeat = 3
[[workload]]
conv2d = { in_channels = 3, out_channels = 8, height = 9, width = 9, padding = 1 }
[objectives]
latency_cycles = "minimize"
energy_pj = "minimize"
lut = "minimize"
[constraints]
lut = { max = 6000 }
utilization = { min = 0.05 }
""",
    "bitserial": """
name = "bitserial"
generator = "bitserial"
[space]
rows = [1, 2, 4]
cols = [1, 3, 8]
lanes = [1, 3, 8, 16]
max_bits = [2, 4, 8]
parallel_width = [4, 8]
acc_width = [16, 32]
serial = ["weights", "activations"]
scale_width = [0, 6]
[[workload]]
gemm = "20x100x9"
bits = [2, 4]
group_size = 16
[[workload]]
gemm = "33x64x5"
[objectives]
latency_cycles = "minimize"
energy_pj = "minimize"
lut = "minimize"
[constraints]
lut = { max = 3000 }
""",
}


@pytest.mark.parametrize("family", SPACES)
def test_the_batch_space_equals_the_scalar_space(family, monkeypatch):
    """Every metric of every point (and the failures, feasible set and front) as arrays
    equals ``spec.evaluate`` point by point."""
    spec = parse_spec(SPACES[family])
    with monkeypatch.context() as patch:  # the batch path, not a fallback to the scalar one
        patch.setattr(exhaustive, "_scalar_outcome", None)
        batch = exhaustive.evaluate_space(spec)
    monkeypatch.setattr(exhaustive, "_batch_models", lambda spec: None)
    scalar = exhaustive.evaluate_space(spec)
    assert len(batch) == len(scalar) == spec.space.size()
    failures = [batch.failure(i) for i in range(len(batch))]
    assert failures == [scalar.failure(i) for i in range(len(scalar))]
    assert sum(not f for f in failures) > len(batch) // 3  # most points run
    assert any(failures)  # and some fail: invalid designs, precisions over max_bits
    points = list(spec.space.points())
    assert [batch.point(i) for i in range(len(batch))] == points
    assert list(batch.metrics) == list(scalar.metrics)
    for name, values in batch.metrics.items():
        assert np.array_equal(values, scalar.metrics[name], equal_nan=True), name
    assert batch.feasible.tolist() == scalar.feasible.tolist()
    assert 0 < len(batch.feasible) < len(batch)
    assert batch.front.tolist() == scalar.front.tolist()
    index = int(batch.front[0])
    expected = spec.evaluate(spec.space.params(points[index]))
    assert {k: repr(v) for k, v in batch.metrics_of(index).items()} == {
        k: repr(v) for k, v in expected.items()}  # repr: NaN where there is no clock model


def test_point_columns_enumerate_the_points_in_order():
    space = parse_spec(SPACES["systolic"]).space
    values, present = exhaustive.point_columns(space)
    expected = list(space.points())
    assert len(expected) == space.size() == len(present["rows"])
    assert [{name: values[name][i].item() for name in space.names if present[name][i]}
            for i in range(len(expected))] == expected
    assert 0 < present["acc_depth"].sum() < len(expected)  # a conditional dimension


@pytest.mark.parametrize("family", FAMILIES)
def test_the_batch_check_accepts_what_the_params_class_accepts(family):
    """Random field values, in and out of range: the batch check's verdict and effective
    values equal the params class's."""
    module, make, _ = FAMILIES[family]
    rng = random.Random(22)
    params_class = type(make(rng))
    designs = [make(rng).to_dict() for _ in range(600)]
    for values in designs[::2]:  # spoil one field of every other design
        name = rng.choice(sorted(values))
        if isinstance(values[name], bool):
            continue
        if isinstance(values[name], str):
            values[name] = rng.choice(["os", "ws", "weights", "activations", "xs"])
        elif values[name] is not None:  # 0 stands for None in an optional field
            values[name] = rng.choice([0 if name != "acc_depth" else -1, -1, 1, 2, 17, 65,
                                       129, 65537, values[name] * 2])
    for values in designs:
        if values.get("dataflow") == "ws" and rng.random() < 0.3:
            values["acc_depth"] = None  # the default
    fields = {name: [values[name] for values in designs] for name in designs[0]}
    columns, valid = module.MODELS.batch.check(as_columns(fields))
    for index, values in enumerate(designs):
        try:
            params = params_class(**values)
        except ParamError:
            assert not valid[index], values
            continue
        assert valid[index], values
        assert {name: column[index].item() for name, column in columns.items()} == {
            name: 0 if value is None else value for name, value in params.to_dict().items()}
    assert 100 < valid.sum() < 550
