"""The RL environments pass gymnasium's and PettingZoo's own API checks, decode designs
as the Optuna path does, score them as documented and never evaluate a design twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

from dse.rl.envs import DesignEnv, DesignParallelEnv, EvaluationCache, decode
from dse.spec import load_spec

SPEC = load_spec(Path("examples/systolic_dnn.toml"))


def test_gymnasium_env_checker_passes():
    check_env(DesignEnv(SPEC, horizon=4), skip_render_check=True)


def test_pettingzoo_parallel_api_test_passes():
    parallel_api_test(DesignParallelEnv(SPEC, horizon=4), num_cycles=20)


def test_pim_space_works_too():
    spec = load_spec(Path("examples/gpt2_decode_pim.toml"))
    env = DesignParallelEnv(spec, horizon=3)
    observations, _ = env.reset(seed=1)
    assert set(observations) == set(spec.space.names)
    actions = {agent: env.action_space(agent).sample() for agent in env.agents}
    _, rewards, _, _, infos = env.step(actions)
    assert len(set(rewards.values())) == 1  # one shared, cooperative reward


def test_conditional_dimension_is_dropped_where_it_does_not_apply():
    names = SPEC.space.names
    os_choice = [0] * len(names)
    os_choice[names.index("dataflow")] = SPEC.space.dimensions[
        names.index("dataflow")].all_values().index("os")
    assert "acc_depth" not in decode(SPEC, os_choice)
    ws_choice = list(os_choice)
    ws_choice[names.index("dataflow")] = 1 - os_choice[names.index("dataflow")]
    assert "acc_depth" in decode(SPEC, ws_choice)


def test_reward_scalarization_and_penalty():
    env = DesignEnv(SPEC, horizon=2)
    env.reset(seed=0)
    reference = env.scoring.reference
    # the reference design scores 0 before penalties
    first = next(iter(SPEC.space.points()))
    evaluation = env.cache(first)
    if evaluation.metrics == reference:
        assert env.scoring.reward(evaluation) == pytest.approx(
            -env.scoring.penalty * np.clip(env.scoring.observe(evaluation)[3:], 0, None).sum())
    # a design over the LUT budget is penalized by its slack
    big = {n: d.all_values()[-1] for n, d in zip(SPEC.space.names, SPEC.space.dimensions,
                                                 strict=True) if n != "acc_depth"}
    big["dataflow"] = "os"
    result = env.cache(big)
    observed = env.scoring.observe(result)
    slack = observed[len(SPEC.objectives):]
    assert slack.max() > 0  # 16x16 with 16-bit inputs is over 40k LUTs / 156 DSPs
    assert env.scoring.reward(result) == pytest.approx(
        -observed[:len(SPEC.objectives)].mean() - np.clip(slack, 0, None).sum(), rel=1e-5)


def test_cache_evaluates_each_design_once():
    cache = EvaluationCache(SPEC)
    env = DesignEnv(SPEC, horizon=50, cache=cache)
    env.reset(seed=0)
    misses = cache.misses
    action = env.action_space.sample()
    first = env.step(action)
    first_cached = env.last.cached
    second = env.step(action)
    assert cache.misses == misses + (0 if first_cached else 1)
    assert env.last.cached is True
    assert second[1] == first[1]


def test_invalid_design_gets_the_invalid_reward():
    env = DesignEnv(SPEC, horizon=2)
    env.reset(seed=0)
    names = SPEC.space.names
    choice = [0] * len(names)
    # input_width 16 with the fixed 32-bit accumulator is valid; find any invalid point
    for point in SPEC.space.points():
        result = env.cache(point)
        if result.metrics is None:
            assert env.scoring.reward(result) == -env.scoring.invalid_reward
            assert not env.scoring.observe(result).any()
            break
    assert choice  # the space has dimensions


def test_groups_must_partition_the_dimensions():
    with pytest.raises(ValueError, match="every searched dimension exactly once"):
        DesignParallelEnv(SPEC, groups={"all": ("rows",)})
    env = DesignParallelEnv(SPEC, groups={"array": ("rows", "cols"),
                                          "datapath": tuple(n for n in SPEC.space.names
                                                            if n not in ("rows", "cols"))})
    assert env.action_space("array").shape == (2,)
