"""The searcher protocol and its registry: every searcher is listed once, makes the Optuna
sampler of its study, and the command line's help and errors come from the registry."""

from __future__ import annotations

import pytest

from dse import searchers
from dse.study import StudyError, make_searcher


def test_the_registry_lists_every_searcher_in_order():
    assert searchers.names() == ("tpe", "nsga2", "gp", "random", "exhaustive", "ppo", "marl")
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
                                         r"exhaustive, ppo, marl, not 'cmaes'$"):
        make_searcher("cmaes", 0)
    with pytest.raises(StudyError, match=r"^`workers` must be at most 1 for the searcher "
                                         r"'ppo' \(one agent learns from every evaluation\), "
                                         r"not 2$"):
        make_searcher("ppo", 0, workers=2)


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
    spec = parse_spec("""
name = "in-order"
generator = "systolic"
[space]
rows = [1, 2, 4]
cols = [1, 2]
[[workload]]
gemm = "8x8x8"
[objectives]
latency_cycles = "minimize"
""")
    study = explore(spec, tmp_path, trials=4, sampler="in-order")
    assert finished_count(study) == 4
    assert [t.params for t in study.trials] == list(spec.space.points())[:4]
