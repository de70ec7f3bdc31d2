"""Network x hardware co-design: the joint spec, evaluation with real training, every
searcher on the joint space, two tasks sharing an area budget, joint vs sequential search,
and the RTL check of joint designs on real network data."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
from typer.testing import CliRunner

from dse.codesign.evaluate import check_design, task_dataset, task_hardware, task_network
from dse.codesign.search import outcome, run_search
from dse.codesign.spec import check_precision, network_only, with_networks
from dse.models import qmlp
from dse.records import ATTR_METRICS, ATTR_STOPPED, CheckOptions
from dse.searchers import ATTR_NETWORK_PHASE, SEARCHERS
from dse.searchers import names as searcher_names
from dse.spec import SpecError, parse_spec
from dse.study import explore, finished_count
from flows.cli import app
from hw.params import ParamError

TINY = """
kind = "codesign"
name = "tiny"
clock_mhz = 50

[training]
epochs = 2
patience = 1

[[task]]
name = "digits"
dataset = "digits"
dataset_options = { input_bits = 2 }
depth = [1, 2]
width = [4, 8]
weight_bits = [1, 2]
act_bits = 2
family = ["qmlp", "systolic", "bitserial"]
qmlp = { target_ii = [16, 64] }
systolic = { rows = [1, 2], cols = 4, input_width = [2, 4] }
bitserial = { rows = 1, cols = [2, 4], lanes = 8, max_bits = 2, parallel_width = 4 }

[objectives]
accuracy = "maximize"
lut = "minimize"

[constraints]
lut = { max = 4000 }
"digits.latency_cycles" = { max = 300 }
"""

TWO_TASKS = """
kind = "codesign"
name = "two"
clock_mhz = 50

[training]
epochs = 2
patience = 1

[[task]]
name = "can"
dataset = "can"
dataset_options = { frames_per_class = 150 }
depth = 1
width = [4, 8]
weight_bits = 2
act_bits = 2
family = "qmlp"
qmlp = { target_ii = [16, 84] }

[[task]]
name = "digits"
dataset = "digits"
dataset_options = { input_bits = 2 }
depth = 1
width = [4, 8]
weight_bits = 2
act_bits = 2
family = ["systolic", "bitserial"]
systolic = { rows = 1, cols = [2, 4], input_width = 4 }
bitserial = { rows = 1, cols = 2, lanes = [4, 8], max_bits = 2, parallel_width = 4 }

[objectives]
accuracy = "maximize"
lut = "minimize"

[constraints]
lut = { max = 3000 }
"""


@pytest.fixture(scope="module")
def tiny():
    return parse_spec(TINY)


@pytest.fixture(scope="module")
def two():
    return parse_spec(TWO_TASKS)


def _point(**values):
    return {f"digits.{k.replace('__', '.')}": v for k, v in values.items()}


def test_joint_space_names_network_and_hardware_choices(tiny):
    names = tiny.space.names
    assert names[:4] == ("digits.depth", "digits.width1", "digits.width2",
                         "digits.weight_bits")
    width2 = tiny.space.dimensions[2]
    assert dict(width2.when) == {"digits.depth": (2,)}  # only for two hidden layers
    rows = next(d for d in tiny.space.dimensions if d.name == "digits.systolic.rows")
    assert dict(rows.when) == {"digits.family": "systolic"}
    assert tiny.space.fixed["digits.act_bits"] == 2
    assert tiny.space.fixed["digits.systolic.cols"] == 4
    points = list(tiny.space.points())
    assert len(points) == tiny.space.size()
    # 2 depths' widths (2 + 4) x 2 weight bits x (qmlp 2 + systolic 4 + bitserial 2)
    assert len(points) == 6 * 2 * 8
    assert all(("digits.width2" in p) == (p["digits.depth"] == 2) for p in points)
    design = tiny.space.params(_point(depth=2, width1=8, width2=4, weight_bits=1,
                                      family="qmlp", qmlp__target_ii=16))
    (task,) = design.tasks
    assert task.train.hidden == (8, 4) and task.train.weight_bits == 1
    assert task.train.act_bits == 2 and task.train.epochs == 2 and task.hardware == 16


@pytest.mark.parametrize("change, message", [
    ('dataset = "digits"', None),
    ('dataset = "mnist"', "`digits.dataset` must be one of can, digits, not 'mnist'"),
    ('family = ["qmlp", "gpu"]', "`digits.family` must be one of systolic, bitserial, qmlp"),
    ('qmlp = { folding = "1x1" }', "`digits.qmlp` takes `target_ii` only"),
    ('systolic = { rows = [1, 2], colz = 4 }', "`digits.systolic.colz` is not a parameter "
                                               "of systolic-v1; known: rows, cols"),
    ('depth = [1, 9]', "`digits.depth` must be an integer in 1..4"),
    ('dataset_options = { frames = 3 }', "unknown key `digits.dataset_options.frames`; "
                                         "digits takes input_bits"),
])
def test_bad_task_entries_name_the_key(change, message):
    key = change.split(" = ")[0]
    lines = [change if line.startswith(key + " = ") else line for line in TINY.splitlines()]
    text = "\n".join(lines)
    if message is None:
        parse_spec(text)
        return
    with pytest.raises(SpecError) as error:
        parse_spec(text)
    assert message in str(error.value)


def test_bad_metrics_and_training_keys_list_the_allowed_ones():
    with pytest.raises(SpecError, match=r"`objectives.digits.lutz` is not a metric; known: "
                                        r"accuracy, min_accuracy, latency_cycles"):
        parse_spec(TINY.replace('lut = "minimize"', '"digits.lutz" = "minimize"'))
    with pytest.raises(SpecError, match=r"unknown key `training.hidden`; allowed: epochs"):
        parse_spec(TINY.replace("epochs = 2", "hidden = [4]"))
    with pytest.raises(SpecError, match=r"`kind` must be \"hardware\" or \"codesign\""):
        parse_spec(TINY.replace('kind = "codesign"', 'kind = "nas"'))


def test_sub_accelerator_too_narrow_for_the_network_is_invalid_before_training(tiny):
    # 2-bit unsigned inputs need 3 signed bits
    with pytest.raises(ParamError, match=r"`digits.systolic.input_width` = 2 cannot hold the "
                                         r"network's operands .* need input_width >= 3"):
        tiny.space.params(_point(depth=1, width1=4, weight_bits=2, family="systolic",
                                 systolic__rows=1, systolic__input_width=2))


def test_evaluation_trains_the_network_and_uses_the_hardware_models(tiny, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("HWDSE_CACHE", str(tmp_path))
    design = tiny.space.params(_point(depth=2, width1=8, width2=4, weight_bits=2,
                                      family="qmlp", qmlp__target_ii=16))
    metrics = tiny.evaluate(design)
    (task,) = design.tasks
    trained = task_network(task)
    assert trained.cached  # trained once by evaluate, then read from the cache
    assert trained.network.sizes == (64, 8, 4, 10)
    hardware = task_hardware(task, tiny.target)
    data = task_dataset(task)
    assert metrics["digits.accuracy"] == pytest.approx(
        float((trained.network.predict(data.x_val) == data.y_val).mean()))
    timing = qmlp.cycles_of(hardware.params, 1)
    assert timing.initiation_interval <= 16
    assert metrics["digits.latency_cycles"] == timing.cycles
    assert metrics["digits.initiation_interval"] == timing.initiation_interval
    assert metrics["lut"] == metrics["digits.lut"] > 0
    assert metrics["accuracy"] == metrics["digits.accuracy"]
    assert metrics["digits.weights"] == 64 * 8 + 8 * 4 + 4 * 10


@pytest.mark.parametrize("sampler", [name for name in searcher_names()
                                     if SEARCHERS[name].uses_budget])  # not exhaustive
def test_every_searcher_runs_on_the_joint_space(tiny, tmp_path, sampler):
    study = explore(tiny, tmp_path, trials=5, sampler=sampler, seed=1)
    # the sequential baselines spend round(5 / 2) = 2 of the 5 evaluations on networks alone
    assert finished_count(study) == (3 if sampler.startswith("sequential") else 5)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert complete
    for trial in complete:
        metrics = trial.user_attrs[ATTR_METRICS]
        assert 0 <= metrics["accuracy"] <= 1 and metrics["lut"] > 0
        assert trial.values == [metrics["accuracy"], metrics["lut"]]
        assert trial.system_attrs["constraints:lut"] == pytest.approx(metrics["lut"] - 4000)
        assert trial.system_attrs["constraints:digits.latency_cycles"] == pytest.approx(
            metrics["digits.latency_cycles"] - 300)
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert all("cannot hold" in t.user_attrs["failure"] for t in failed)


def test_two_tasks_share_the_area_budget_on_heterogeneous_sub_accelerators(two, tmp_path):
    study = explore(two, tmp_path, trials=6, sampler="random", seed=0)
    families = set()
    for trial in (t for t in study.trials if t.state.name == "COMPLETE"):
        metrics = trial.user_attrs[ATTR_METRICS]
        assert metrics["lut"] == pytest.approx(metrics["can.lut"] + metrics["digits.lut"])
        assert metrics["latency_cycles"] == max(metrics["can.latency_cycles"],
                                                metrics["digits.latency_cycles"])
        assert metrics["accuracy"] == pytest.approx(
            (metrics["can.accuracy"] + metrics["digits.accuracy"]) / 2)
        families.add(trial.params["digits.family"])
        design = two.space.params(trial.params)
        assert [t.family for t in design.tasks] == ["qmlp", trial.params["digits.family"]]
    assert families == {"systolic", "bitserial"}


def test_sequential_search_fixes_the_most_accurate_network_then_searches_hardware(
        tiny, tmp_path):
    run = run_search(tiny, tmp_path, method="sequential", trials=8, sampler="tpe", seed=0)
    hardware = run.study
    networks = hardware.user_attrs[ATTR_NETWORK_PHASE]
    assert len(networks) == 4 and finished_count(hardware) == 4  # half the budget each
    assert len({tuple(sorted(p.items())) for p, _ in networks}) == 4  # distinct networks
    best_point, best_accuracy = max(((p, a) for p, a in networks if a is not None),
                                    key=lambda e: e[1])
    assert run.network_point == best_point
    assert "sequential: 4 network evaluations, then 4 hardware designs" in \
        hardware.user_attrs[ATTR_STOPPED]
    sizes = [64] + [best_point[f"digits.width{i}"]
                    for i in range(1, best_point["digits.depth"] + 1)] + [10]
    weights = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    complete = [t for t in hardware.trials if t.state.name == "COMPLETE"]
    assert complete
    for trial in complete:  # every hardware trial runs the chosen network
        metrics = trial.user_attrs[ATTR_METRICS]
        assert metrics["digits.weights"] == weights
        assert metrics["accuracy"] == best_accuracy
    result = outcome(run)
    assert result["hardware_trials"] == len(complete)
    assert result["invalid_trials"] == 4 - len(complete)
    assert all(t.params[k] == v for t in hardware.trials for k, v in best_point.items())
    again = run_search(tiny, tmp_path, method="sequential", trials=8, sampler="tpe", seed=0)
    assert len(again.study.trials) == len(hardware.trials)  # resumed: nothing evaluated anew
    assert again.study.user_attrs[ATTR_NETWORK_PHASE] == networks
    feasible = [t for t in complete
                if t.user_attrs[ATTR_METRICS]["lut"] <= 4000
                and t.user_attrs[ATTR_METRICS]["digits.latency_cycles"] <= 300]
    assert result["feasible_trials"] == len(feasible)
    assert result["met_budgets"] == bool(feasible)
    joint_run = run_search(tiny, tmp_path, method="joint", trials=8, seed=0)
    joint = outcome(joint_run)
    assert joint["method"] == "joint" and joint["network_point"] is None
    assert joint["hardware_trials"] + joint["invalid_trials"] == 8
    assert network_only(tiny).space.names == ("digits.depth", "digits.width1",
                                              "digits.width2", "digits.weight_bits")


def test_a_resumed_sequential_search_keeps_its_network_and_its_budget(tiny, tmp_path):
    from dse.searchers import ATTR_NETWORK_CHOSEN
    from dse.study import StudyError

    with pytest.raises(StudyError, match=r"^`trials` must be at least 2 for the searcher "
                                         r"'sequential-random'"):
        explore(tiny, tmp_path / "one", trials=1, sampler="sequential-random", seed=0)
    first = run_search(tiny, tmp_path, method="sequential", sampler="random", trials=2,
                       seed=0)
    chosen = first.study.user_attrs[ATTR_NETWORK_CHOSEN]
    grown = run_search(tiny, tmp_path, method="sequential", sampler="random", trials=8,
                       seed=0)
    study = grown.study
    assert study.user_attrs[ATTR_NETWORK_CHOSEN] == chosen == grown.network_point
    assert len(study.user_attrs[ATTR_NETWORK_PHASE]) == 1  # not extended once hardware began
    held = [t for t in study.trials if t.state.name in ("COMPLETE", "FAIL")]
    # 8 evaluations: 1 network and 7 hardware designs, or every design the network's
    # hardware space holds
    assert len(held) == min(7, tiny.with_networks(chosen).space.size())
    assert all(t.params[k] == v for t in held for k, v in chosen.items())


def test_hardware_phase_leaves_out_precisions_the_chosen_network_cannot_use(tiny):
    network = {"digits.depth": 1, "digits.width1": 8, "digits.weight_bits": 2}
    hardware = with_networks(tiny, network)
    assert hardware.space.fixed["digits.depth"] == 1
    widths = next(d for d in hardware.space.dimensions
                  if d.name == "digits.systolic.input_width")
    assert widths.values == (4,)  # 2-bit inputs need 3 signed bits: 2 is left out
    assert "digits.depth" not in hardware.space.names


def test_every_task_needs_a_sub_accelerator_or_none_does():
    two = TWO_TASKS.replace('family = "qmlp"\nqmlp = { target_ii = [16, 84] }\n', "")
    with pytest.raises(SpecError, match=r"`can.family` is missing: give every task a "
                                        r"sub-accelerator"):
        parse_spec(two)


def test_precision_checks_cover_accumulators_and_serial_activations(tiny):
    point = _point(depth=1, width1=8, weight_bits=2, family="systolic", systolic__rows=1,
                   systolic__input_width=4)
    design = tiny.space.params(point)
    systolic = design.tasks[0].hardware
    task = tiny.tasks[0]
    # 64 inputs x 2 (largest weight magnitude) x 3 (2-bit input) = 384: 10 signed bits
    narrow = dataclasses.replace(systolic, acc_width=9)
    with pytest.raises(ParamError, match=r"`digits.systolic.acc_width` = 9 cannot hold the "
                                         r"largest dot product .* need acc_width >= 10"):
        check_precision(task, design.tasks[0].train, narrow)
    check_precision(task, design.tasks[0].train, dataclasses.replace(systolic, acc_width=10))
    from hw.bitserial.params import BitSerialParams

    serial_activations = BitSerialParams(rows=1, cols=2, max_bits=2, parallel_width=4,
                                         serial="activations")
    # serial activations: 2-bit unsigned activations need 3 serial bits
    with pytest.raises(ParamError, match=r"`digits.bitserial.max_bits` = 2 .* need "
                                         r"max_bits >= 3"):
        check_precision(task, design.tasks[0].train, serial_activations)


def test_cli_explores_a_codesign_spec_with_the_multi_agent_searcher(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY)
    result = CliRunner().invoke(app, ["explore", str(spec), "--trials", "3", "--sampler",
                                      "marl", "--verify", "0", "--run-dir",
                                      str(tmp_path / "run"), "--json"])
    assert result.exit_code == 0, result.output
    assert '"trials": 3' in result.output
    report = CliRunner().invoke(app, ["report", str(spec), "--run-dir", str(tmp_path / "run"),
                                      "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert "Co-design of 1 task(s) (digits: digits)" in summary
    # each Pareto design's sub-accelerator as Verilog, in a folder per task
    emitted = list((tmp_path / "report" / "designs").glob("*/digits/*.v"))
    assert emitted and all("module" in path.read_text() for path in emitted)


@pytest.mark.sim
@pytest.mark.parametrize("family, hardware", [
    ("qmlp", {"qmlp__target_ii": 16}),
    ("systolic", {"systolic__rows": 2, "systolic__input_width": 4}),
    ("bitserial", {"bitserial__cols": 2}),
])
def test_joint_designs_are_bit_exact_on_real_network_data(tiny, family, hardware):
    point = _point(depth=2, width1=8, width2=4, weight_bits=2, family=family, **hardware)
    check = check_design(tiny, types.SimpleNamespace(params=point, number=7),
                         CheckOptions(inputs=24))
    assert check.error == ""
    assert not check.disagrees
    expected = 1 if family == "qmlp" else 3
    assert len(check.layers) == expected
    for layer in check.layers:
        assert layer.passed and layer.rtl_cycles == layer.model_cycles


def test_golden_model_is_checked_against_the_network_accumulators(tiny):
    from dse.codesign.evaluate import _gemm_job

    params = tiny.space.params(_point(depth=1, width1=4, weight_bits=2, family="systolic",
                                      systolic__rows=1, systolic__input_width=4)
                               ).tasks[0].hardware
    a = np.full((2, 3), 7)
    with pytest.raises(ValueError, match=r"the layer's weights \(8..8\) do not fit the "
                                         r"systolic-v1 operands \(-8..7\)"):
        _gemm_job(params, a, np.full((3, 2), 8), None)
    wide = dataclasses.replace(params, acc_width=8)  # 3 x 7 x 7 = 147 wraps at 8 bits
    with pytest.raises(ValueError, match="golden model differs from the network's"):
        _gemm_job(wide, a, np.full((3, 2), 7), None)


def test_a_codesign_study_resumes_with_every_finished_trial(tiny, tmp_path):
    first = explore(tiny, tmp_path, trials=3, sampler="tpe", seed=2)
    before = [(t.number, t.state.name, t.params, t.values) for t in first.trials]
    resumed = explore(tiny, tmp_path, trials=6, sampler="tpe", seed=2)
    assert finished_count(resumed) == 6
    after = [(t.number, t.state.name, t.params, t.values) for t in resumed.trials]
    assert after[:len(before)] == before


@pytest.mark.parametrize(("target", "bare_clock"), [("ecp5-85k", None),
                                                     ("ecp5-85k-area", 50.0)])
def test_the_synthesis_check_compares_the_model_with_the_bare_design(monkeypatch, target,
                                                                     bare_clock):
    """The area model is fitted to the bare design: the co-design check sums each
    sub-accelerator's bare synthesis (no IO shim, whose flip-flops the placed one holds),
    at the spec's clock where the target maps LUTs to it, and takes Fmax from the placed
    design (the synthesis calls are recorded, not run)."""
    import flows.synth
    from dse.codesign.evaluate import _synthesize
    from hw.qmlp.params import QmlpParams

    calls = []

    def fake(params, target_name, *, clock_mhz=None, timeout=0.0, place=True, **_):
        calls.append((target_name, clock_mhz, place))
        counts = {"lut": 120.0, "ff": 90.0 if place else 60.0, "dsp": 0.0, "bram": 0.0}
        return types.SimpleNamespace(synthesized=counts, shim_flip_flops=30 if place else 0,
                                     status="ok", fmax_mhz=70.0 if place else None)

    monkeypatch.setattr(flows.synth, "synthesize", fake)
    params = QmlpParams(layers="16,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                        folding="1x1")
    hardware = types.SimpleNamespace(params=params, design=types.SimpleNamespace(task="t"))
    spec = types.SimpleNamespace(target=target, clock_mhz=50.0)
    result = _synthesize([hardware], spec)
    assert calls == [(target, 50.0, True), (target, bare_clock, False)]
    assert result["synthesized"]["ff"] == result["tasks"]["t"]["synthesized"]["ff"] == 60.0
    assert result["fmax_mhz"] == 70.0
    assert result["out_of_range"] == result["tasks"]["t"]["out_of_range"] == []


def test_the_synthesis_check_names_the_task_outside_its_models_samples(monkeypatch):
    """A sub-accelerator outside its area model's samples (here 512 inputs, sampled up to
    128) is flagged by task, as ``explore --verify --synth`` flags a design, and the check
    record shows it next to the estimate."""
    import flows.synth
    from dse.codesign.evaluate import _synthesize
    from dse.records import DesignCheck
    from hw.qmlp.params import QmlpParams

    def fake(params, target_name, *, clock_mhz=None, timeout=0.0, place=True, **_):
        counts = {"lut": 120.0, "ff": 60.0, "dsp": 0.0, "bram": 0.0}
        return types.SimpleNamespace(synthesized=counts, shim_flip_flops=0, status="ok",
                                     fmax_mhz=70.0 if place else None)

    monkeypatch.setattr(flows.synth, "synthesize", fake)
    inside = QmlpParams(layers="16,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                        folding="1x1")
    outside = QmlpParams(layers="512,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                         folding="1x1")
    built = [types.SimpleNamespace(params=p, design=types.SimpleNamespace(task=name))
             for name, p in (("small", inside), ("wide", outside))]
    spec = types.SimpleNamespace(target="ecp5-85k", clock_mhz=50.0)
    result = _synthesize(built, spec)
    assert result["tasks"]["small"]["out_of_range"] == []
    assert result["tasks"]["wide"]["out_of_range"]
    assert all(r.startswith("wide: ") for r in result["out_of_range"])
    assert any("inputs = 512" in r for r in result["out_of_range"]), result["out_of_range"]
    check = DesignCheck(0, {}, (), result, "")
    assert check.out_of_range == result["out_of_range"]
    assert "wide: area: inputs = 512" in check.range_note
