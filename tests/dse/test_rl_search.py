"""`--sampler ppo|marl`: the RL agents write the same trial records as the Optuna samplers,
never store a design twice, resume from the study and are reproducible by seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dse.records import ATTR_METRICS
from dse.spec import load_spec
from dse.study import StudyError, explore, finished_count

SPEC = load_spec(Path("examples/systolic_dnn.toml"))


def _designs(study) -> list[tuple]:
    return [tuple(sorted(t.params.items())) for t in study.trials]


@pytest.mark.parametrize("method", ["ppo", "marl"])
def test_agent_fills_the_study_with_distinct_recorded_designs(tmp_path, method):
    study = explore(SPEC, tmp_path / method, trials=25, sampler=method, seed=3)
    assert finished_count(study) == 25
    designs = _designs(study)
    assert len(set(designs)) == len(designs)  # the cache: no design stored twice
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert complete and all(set(t.user_attrs[ATTR_METRICS]) >= {"lut", "energy_pj"}
                            for t in complete)
    assert all(len(t.values) == 3 for t in complete)
    # resuming the same study adds only new designs
    more = explore(SPEC, tmp_path / method, trials=35, sampler=method, seed=4)
    assert finished_count(more) == 35
    assert len(set(_designs(more))) == len(more.trials)


def test_same_seed_same_designs(tmp_path):
    first = explore(SPEC, tmp_path / "a", trials=15, sampler="ppo", seed=7)
    second = explore(SPEC, tmp_path / "b", trials=15, sampler="ppo", seed=7)
    assert _designs(first) == _designs(second)


def test_rl_refuses_several_workers(tmp_path):
    with pytest.raises(StudyError, match=r"`workers` must be at most 1 for the searcher 'marl'"):
        explore(SPEC, tmp_path, trials=5, sampler="marl", workers=2)
