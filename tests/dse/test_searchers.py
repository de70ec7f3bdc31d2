"""The searcher protocol and its registry: every searcher is listed once, makes the Optuna
sampler of its study, and the command line's help and errors come from the registry."""

from __future__ import annotations

import pytest

from dse import searchers
from dse.study import StudyError, make_searcher

#: Six designs, one GEMM: a spec for searchers plugged in by the tests.
SMALL_SPEC = """
name = "{name}"
generator = "systolic"
[space]
rows = [1, 2, 4]
cols = [1, 2]
[[workload]]
gemm = "8x8x8"
[objectives]
latency_cycles = "minimize"
"""

def test_the_registry_lists_every_searcher_in_order():
    assert searchers.names() == ("tpe", "nsga2", "gp", "random", "exhaustive", "ppo", "marl",
                                "sequential", "sequential-random")
    for name, cls in searchers.SEARCHERS.items():
        searcher = cls(seed=3)
        assert searcher.name == name and searcher.summary
        assert searcher.sampler() is not None
        assert isinstance(searcher, searchers.Searcher)


def test_help_and_errors_come_from_the_registry():
    from typer.testing import CliRunner

    from flows.cli import app

    help_text = CliRunner().invoke(app, ["explore", "--help"], env={"COLUMNS": "300"}).output
    for name in searchers.names():
        assert f"{name}:" in help_text
    with pytest.raises(StudyError, match=r"^`sampler` must be one of tpe, nsga2, gp, random, "
                                         r"exhaustive, ppo, marl, sequential, sequential-random, "
                                         r"not 'cmaes'$"):
        make_searcher("cmaes", 0)
    with pytest.raises(StudyError, match=r"^`workers` must be at most 1 for the searcher "
                                         r"'ppo' \(one agent learns from every evaluation\), "
                                         r"not 2$"):
        make_searcher("ppo", 0, workers=2)


def test_the_sequential_baseline_refuses_a_spec_without_network_choices():
    from dse.spec import parse_spec

    with pytest.raises(StudyError, match=r"^the searcher 'sequential' searches co-design specs "
                                         r"\(kind = \"codesign\"\) only: this spec has no "
                                         r"network choices$"):
        make_searcher("sequential", 0, spec=parse_spec(SMALL_SPEC))


def test_a_new_searcher_is_one_class_and_one_registry_line(tmp_path, monkeypatch):
    """A searcher that proposes the space's points in order plugs in and runs a study."""
    from dse.spec import parse_spec
    from dse.study import explore, finished_count

    class InOrder(searchers.Searcher):
        name = "in-order"
        summary = "every point in the space's order"

        def sampler(self):
            import optuna

            return optuna.samplers.RandomSampler(seed=self.seed)

        def search(self, context):
            for point in context.spec.space.points():
                if context.done():
                    return
                params = context.spec.space.params(point)
                context.record(point, context.spec.evaluate(params))

    monkeypatch.setitem(searchers.SEARCHERS, "in-order", InOrder)
    spec = parse_spec(SMALL_SPEC.format(name="in-order"))
    study = explore(spec, tmp_path, trials=4, sampler="in-order")
    assert finished_count(study) == 4
    assert [t.params for t in study.trials] == list(spec.space.points())[:4]


def test_a_searcher_driving_optimize_itself_evaluates_no_design_twice(tmp_path, monkeypatch):
    """The context's objective and callback serve `study.optimize` too: a design the study
    holds is pruned, not evaluated, and the budget counts distinct designs."""
    import optuna

    from dse.records import ATTR_REPEAT_OF
    from dse.spec import parse_spec
    from dse.study import explore, finished_count

    class Optimizing(searchers.Searcher):
        name = "optimizing"
        summary = "study.optimize with the context's objective"

        def sampler(self):
            return optuna.samplers.RandomSampler(seed=self.seed)

        def search(self, context):
            context.study.optimize(context.objective, callbacks=[context.after_trial])

    monkeypatch.setitem(searchers.SEARCHERS, "optimizing", Optimizing)
    spec = parse_spec(SMALL_SPEC.format(name="optimizing"))
    study = explore(spec, tmp_path, trials=5, sampler="optimizing", seed=0)
    assert finished_count(study) == 5
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len({tuple(sorted(t.params.items())) for t in complete}) == len(complete) == 5
    repeats = [t for t in study.trials if ATTR_REPEAT_OF in t.user_attrs]
    assert repeats, "random proposals on 6 designs repeat"
    for repeat in repeats:
        assert repeat.state.name == "PRUNED"
        # one objective: the repeat carries the stored value
        assert repeat.values == study.trials[repeat.user_attrs[ATTR_REPEAT_OF]].values


def test_an_invalid_design_a_searcher_found_is_stored_without_evaluating_it_again(
        tmp_path, monkeypatch):
    """``record(point, None, failure)`` stores the searcher's reason and calls no model;
    ``record(point, None)`` without a reason evaluates the design to learn it."""
    import optuna

    from dse.records import ATTR_FAILURE
    from dse.spec import parse_spec
    from dse.study import explore

    spec = parse_spec(SMALL_SPEC.format(name="invalid"))
    calls = []
    evaluate = type(spec).evaluate

    def counting(self, params):
        calls.append(params)
        return evaluate(self, params)

    monkeypatch.setattr(type(spec), "evaluate", counting)

    class Reporting(searchers.Searcher):
        name = "reporting"
        summary = "records the first design invalid with a reason, the second without"

        def sampler(self):
            return optuna.samplers.RandomSampler(seed=self.seed)

        def search(self, context):
            first, second = list(context.spec.space.points())[:2]
            context.record(first, None, "invalid design: found by the searcher")
            context.record(second, None)

    monkeypatch.setitem(searchers.SEARCHERS, "reporting", Reporting)
    study = explore(spec, tmp_path, trials=2, sampler="reporting")
    first, second = study.trials
    assert first.state.name == "FAIL"
    assert first.user_attrs[ATTR_FAILURE] == "invalid design: found by the searcher"
    assert second.state.name == "COMPLETE"  # evaluated here: the design is valid
    assert len(calls) == 1
