"""Exploration specs and spaces: validation names the key, spaces enumerate and map to
Optuna distributions, workloads lower convolutions to GEMMs."""

from __future__ import annotations

from pathlib import Path

import pytest

from dse.spec import SpecError, load_spec, parse_spec
from dse.workload import Conv2d, Gemm

BASE = """
generator = "systolic"
[space]
rows = [2, 4]
cols = { low = 2, high = 8, step = 2 }
dataflow = ["os", "ws"]
acc_depth = { values = [16, 64], when = { dataflow = "ws" } }
[[workload]]
gemm = "8x8x8"
[objectives]
latency_cycles = "minimize"
"""


def test_examples_parse():
    for path in sorted(Path("examples").glob("*.toml")):
        spec = load_spec(path)
        # a co-design spec has tasks instead of a workload; its space has billions of
        # points, counted without enumerating them
        assert spec.space.size() > 0 and (spec.tasks if spec.generator == "codesign"
                                          else spec.workload)


def test_conditional_dimension_enumerates_only_where_it_applies():
    spec = parse_spec(BASE)
    points = list(spec.space.points())
    # rows 2 x cols 4 x (os + ws with 2 depths)
    assert len(points) == spec.space.size() == 2 * 4 * 3
    assert all(("acc_depth" in p) == (p["dataflow"] == "ws") for p in points)
    assert {type(d).__name__ for d in spec.space.distributions().values()} == {
        "CategoricalDistribution", "IntDistribution"}
    params = spec.space.params(points[-1])
    assert params.dataflow == "ws" and params.acc_depth == 64


def test_conv_is_lowered_to_its_im2col_gemm():
    conv = Conv2d(in_channels=16, out_channels=32, height=16, width=12, kernel=3, stride=2,
                  padding=1, batch=2)
    assert conv.gemm() == Gemm(2 * 8 * 6, 16 * 9, 32)


@pytest.mark.parametrize(("change", "message"), [
    (("", "colour = 1\n"), r"^unknown key `colour` in spec; allowed: "),
    (("rows = [2, 4]", "rowz = [2, 4]"), r"^`space.rowz` is not a parameter of systolic-v1"),
    (("rows = [2, 4]", "rows = []"), r"^`space.rows` must list at least one value$"),
    (("rows = [2, 4]", "rows = [2, 2]"), r"^`space.rows` lists a value twice"),
    (("step = 2", "step = 4"), r"^`space.cols` must have low <= high and a step >= 1 that "
                               r"divides high - low, not low=2, high=8, step=4$"),
    (("dataflow = \"ws\"", "dataflow = \"rs\""),
     r"^`space.acc_depth.when.dataflow` = 'rs' is not among the values of `dataflow`$"),
    (('latency_cycles = "minimize"', 'latency = "minimize"'),
     r"^`objectives.latency` is not a metric; known: latency_cycles, latency_s"),
    (('latency_cycles = "minimize"', 'latency_cycles = "lower"'),
     r'^`objectives.latency_cycles` must be "minimize" or "maximize", not \'lower\'$'),
    (('gemm = "8x8x8"', 'gemm = "8x8"'), r"^`workload\[0\]`: `gemm` must look like MxKxN"),
    (('gemm = "8x8x8"', 'conv2d = { in_channels = 1, out_channels = 1, height = 2, '
                        'width = 2, kernel = 5 }'),
     r"^`workload\[0\]`: `kernel` 5 is larger than the padded height 2$"),
    (('gemm = "8x8x8"', 'name = "x"'),
     r"^`workload\[0\]` needs exactly one of `gemm`, `conv2d`, `model`, `onnx` or "
     r"`transformer`$"),
    (('generator = "systolic"', 'generator = "systolix"'),
     r"^`generator`: unknown generator 'systolix'"),
])
def test_bad_specs_name_the_key(change, message):
    old, new = change
    text = BASE.replace(old, new, 1) if old else new + BASE
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


@pytest.mark.parametrize(("constraints", "message"), [
    ("lut = 5000", r"^`constraints.lut` must be a table with `max` and/or `min`, not 5000$"),
    ("lut = { most = 5 }", r"^`constraints.lut` must be a table with `max` and/or `min`"),
    ("luts = { max = 5 }", r"^`constraints.luts` is not a metric"),
    ("lut = { max = \"5\" }", r"^`constraints.lut.max` must be a number, not '5'$"),
    ("lut = { min = 9, max = 5 }", r"^`constraints.lut` has min > max$"),
])
def test_bad_constraints_name_the_key(constraints, message):
    with pytest.raises(SpecError, match=message):
        parse_spec(BASE + "[constraints]\n" + constraints + "\n")


def test_constraint_violation_follows_optuna_convention():
    spec = parse_spec(BASE + "[constraints]\nlut = { max = 100 }\ndsp = { min = 2, max = 4 }\n")
    lut, dsp = spec.constraints
    assert lut.violation(90) == -10 and lut.violation(130) == 30
    assert dsp.violation(1) == 1 and dsp.violation(3) == -1 and dsp.violation(6) == 2


def test_bad_toml_and_missing_file():
    with pytest.raises(SpecError, match=r"^spec is not valid TOML: "):
        parse_spec("generator = ")
    with pytest.raises(SpecError, match=r"^cannot read spec /nonexistent.toml: "):
        load_spec(Path("/nonexistent.toml"))


@pytest.mark.parametrize(("change", "message"), [
    (("rows = [2, 4]", 'rows = ["two", 4]'), r"^`space.rows` must be an integer, not 'two'$"),
    (("rows = [2, 4]", 'rows = 2.5'), r"^`space.rows` must be an integer, not 2.5$"),
    (("rows = [2, 4]", 'rows = [2, 4]\nsigned = 1'), r"^`space.signed` must be true/false, "
                                                     r"not 1$"),
    (("dataflow = [\"os\", \"ws\"]", "dataflow = [1, 2]"),
     r"^`space.dataflow` must be a string, not 1$"),
    (("low = 2, high = 8", "low = 8, high = 2"),
     r"^`space.cols` must have low <= high and a step >= 1"),
])
def test_wrong_types_in_the_space_name_the_key(change, message):
    old, new = change
    with pytest.raises(SpecError, match=message):
        parse_spec(BASE.replace(old, new, 1))


def test_metric_the_family_cannot_compute_is_refused():
    with pytest.raises(SpecError, match=r"^`objectives.lut` cannot be computed: no area model "
                                        r"for systolic-v1 on generic"):
        parse_spec(BASE.replace('[objectives]', '[objectives]\nlut = "minimize"').replace(
            'generator = "systolic"', 'generator = "systolic"\ntarget = "generic"'))


@pytest.mark.parametrize("path", sorted(Path("examples").glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_runs_a_few_trials(tmp_path, path):
    from dse.study import explore, finished_count

    study = explore(load_spec(path), tmp_path / path.stem, trials=3, sampler="random")
    assert finished_count(study) == 3
