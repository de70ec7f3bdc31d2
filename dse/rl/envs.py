"""Reinforcement-learning environments over any hwdse design space: a gymnasium ``Env``
(one agent sets every parameter) and a PettingZoo ``ParallelEnv`` (one agent per
parameter group, one shared cooperative reward). Both evaluate designs with the same
analytic models as the Optuna studies (``dse.study.evaluate``), through one cache.

Episode: ``horizon`` steps; each step proposes one whole design (the action picks a value
for every searched dimension; a conditional dimension's pick is ignored where its condition
does not hold) and observes the result.

Observation (``Box(-CLIP, CLIP)``, one vector): per objective, ``log10(value / reference)``
(sign flipped for maximized objectives, so lower is better everywhere), then per
constraint its slack ``violation / max(|bound|, 1)`` (<= 0 when met). The reference is the
metric of the first valid design in the space's point order (:func:`reference_metrics`).
An invalid design observes zeros.

Reward (the scalarization, documented here and in the README): ``-mean`` over objectives
of ``log10(value / reference)`` (so the reference design scores 0 and a design twice as good
on every objective scores ``+0.30``), minus ``penalty`` times the sum of positive
constraint slacks; an invalid design (the generator or a model rejects it) gets
``-invalid_reward``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from dse.space import Value, applies
from hw.params import ParamError

#: Observations are clipped to this magnitude.
CLIP = 10.0


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """One design's metrics (or why it is invalid), and whether it came from the cache."""

    point: Mapping[str, Value]
    metrics: Mapping[str, float] | None
    failure: str | None
    cached: bool


class EvaluationCache:
    """Evaluates designs of ``spec`` at the model fidelity, each distinct design once."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self._store: dict[tuple[tuple[str, Any], ...], tuple[Any, str | None]] = {}
        self.hits = 0
        self.misses = 0

    def __call__(self, point: Mapping[str, Value]) -> Evaluation:
        key = tuple(sorted(point.items()))
        if key in self._store:
            self.hits += 1
            metrics, failure = self._store[key]
            return Evaluation(dict(point), metrics, failure, cached=True)
        self.misses += 1
        try:
            metrics, failure = self.spec.evaluate(self.spec.space.params(point)), None
        except ParamError as error:
            metrics, failure = None, f"invalid design: {error}"
        self._store[key] = (metrics, failure)
        return Evaluation(dict(point), metrics, failure, cached=False)

    def __len__(self) -> int:
        return len(self._store)


def decode(spec: Any, choices: Sequence[int]) -> dict[str, Value]:
    """The design point of one index per searched dimension (conditional dimensions whose
    condition does not hold are left out)."""
    point: dict[str, Value] = {}
    for dimension, index in zip(spec.space.dimensions, choices, strict=True):
        if applies(dimension, point):
            point[dimension.name] = dimension.all_values()[int(index)]
    return point


def reference_metrics(spec: Any, cache: EvaluationCache, limit: int = 10_000
                      ) -> dict[str, float]:
    """Metrics of the first valid design in the space's point order (within ``limit``).

    Raises:
        ValueError: if none of the first ``limit`` points is a valid design.
    """
    for index, point in enumerate(spec.space.points()):
        if index >= limit:
            break
        result = cache(point)
        if result.metrics is not None:
            return dict(result.metrics)
    raise ValueError(f"no valid design among the first {limit} points of {spec.name}")


@dataclasses.dataclass
class Scoring:
    """Observation and reward of a design (see the module docstring)."""

    spec: Any
    reference: Mapping[str, float]
    penalty: float = 1.0
    invalid_reward: float = 2.0

    @property
    def size(self) -> int:
        return len(self.spec.objectives) + len(self.spec.constraints)

    def _ratio(self, metric: str, direction: str, value: float) -> float:
        ref = self.reference[metric]
        if value <= 0 or ref <= 0 or not math.isfinite(value):
            return CLIP if direction == "minimize" else -CLIP
        ratio = math.log10(value / ref)
        return ratio if direction == "minimize" else -ratio

    def observe(self, evaluation: Evaluation) -> np.ndarray:
        if evaluation.metrics is None:
            return np.zeros(self.size, dtype=np.float32)
        metrics = evaluation.metrics
        parts = [self._ratio(m, d, metrics[m]) for m, d in self.spec.objectives]
        for constraint in self.spec.constraints:
            bound = constraint.high if constraint.high is not None else constraint.low
            parts.append(constraint.violation(metrics[constraint.metric])
                         / max(abs(bound or 0.0), 1.0))
        return np.clip(np.array(parts, dtype=np.float32), -CLIP, CLIP)

    def reward(self, evaluation: Evaluation) -> float:
        if evaluation.metrics is None:
            return -self.invalid_reward
        observed = self.observe(evaluation)
        objectives = observed[:len(self.spec.objectives)]
        slack = observed[len(self.spec.objectives):]
        return float(-objectives.mean() - self.penalty * np.clip(slack, 0, None).sum())


class DesignEnv(gymnasium.Env):  # type: ignore[misc]
    """One agent proposes whole designs (``MultiDiscrete``: one index per dimension).
    The exploration spec is ``design_spec`` (gymnasium keeps ``spec`` for its own)."""

    metadata = {"render_modes": []}

    def __init__(self, spec: Any, *, horizon: int = 16, cache: EvaluationCache | None = None,
                 penalty: float = 1.0) -> None:
        if horizon < 1:
            raise ValueError(f"`horizon` must be a positive integer, not {horizon}")
        self.design_spec = spec
        self.cache = cache if cache is not None else EvaluationCache(spec)
        self.scoring = Scoring(spec, reference_metrics(spec, self.cache), penalty)
        self.horizon = horizon
        self.action_space = spaces.MultiDiscrete([d.size() for d in spec.space.dimensions])
        self.observation_space = spaces.Box(-CLIP, CLIP, (self.scoring.size,), np.float32)
        self._steps = 0
        self.last: Evaluation | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._steps = 0
        return np.zeros(self.scoring.size, dtype=np.float32), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        evaluation = self.cache(decode(self.design_spec, list(action)))
        self.last = evaluation
        self._steps += 1
        # `cached` stays out of info (it depends on history, not on the seed and action);
        # `self.last.cached` has it
        info = {"point": evaluation.point, "metrics": evaluation.metrics,
                "failure": evaluation.failure}
        return (self.scoring.observe(evaluation), self.scoring.reward(evaluation), False,
                self._steps >= self.horizon, info)


def default_groups(spec: Any) -> dict[str, tuple[str, ...]]:
    """One agent per searched dimension, named after it."""
    return {name: (name,) for name in spec.space.names}


class DesignParallelEnv(ParallelEnv):  # type: ignore[misc]
    """One agent per parameter group; each sets its dimensions, all share one reward.

    ``groups`` maps agent name to the dimensions it sets (every dimension in exactly one
    group; default :func:`default_groups`). A group of one dimension acts with
    ``Discrete``, a larger one with ``MultiDiscrete``.

    Raises:
        ValueError: if the groups do not partition the searched dimensions.
    """

    metadata = {"render_modes": [], "name": "hwdse_design_v0"}
    render_mode = None

    def __init__(self, spec: Any, *, groups: Mapping[str, Sequence[str]] | None = None,
                 horizon: int = 16, cache: EvaluationCache | None = None,
                 penalty: float = 1.0) -> None:
        groups = dict(groups or default_groups(spec))
        listed = [name for members in groups.values() for name in members]
        if sorted(listed) != sorted(spec.space.names):
            raise ValueError(f"`groups` must list every searched dimension exactly once "
                             f"({', '.join(spec.space.names)}), not {', '.join(listed)}")
        self.design_spec = spec
        self.groups = {agent: tuple(members) for agent, members in groups.items()}
        self.cache = cache if cache is not None else EvaluationCache(spec)
        self.scoring = Scoring(spec, reference_metrics(spec, self.cache), penalty)
        self.horizon = horizon
        self.possible_agents = list(self.groups)
        self.agents: list[str] = []
        self._index = {d.name: i for i, d in enumerate(spec.space.dimensions)}
        self._steps = 0
        self.last: Evaluation | None = None

    @functools.cache  # noqa: B019 - one space object per agent, as PettingZoo asks
    def observation_space(self, agent: str) -> spaces.Space:
        return spaces.Box(-CLIP, CLIP, (self.scoring.size,), np.float32)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        sizes = [self.design_spec.space.dimensions[self._index[name]].size()
                 for name in self.groups[agent]]
        return spaces.Discrete(sizes[0]) if len(sizes) == 1 else spaces.MultiDiscrete(sizes)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self.agents = list(self.possible_agents)
        self._steps = 0
        if seed is not None:
            for agent in self.possible_agents:
                self.action_space(agent).seed(seed)
        zeros = np.zeros(self.scoring.size, dtype=np.float32)
        return {a: zeros.copy() for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
        choices = [0] * len(self.design_spec.space.dimensions)
        for agent, action in actions.items():
            values = np.atleast_1d(np.asarray(action))
            for name, value in zip(self.groups[agent], values, strict=True):
                # an action padded to a wider space (SuperSuit) wraps onto this one
                size = self.design_spec.space.dimensions[self._index[name]].size()
                choices[self._index[name]] = int(value) % size
        evaluation = self.cache(decode(self.design_spec, choices))
        self._steps += 1
        observation = self.scoring.observe(evaluation)
        reward = self.scoring.reward(evaluation)
        done = self._steps >= self.horizon
        self.last = evaluation
        info = {"point": evaluation.point, "failure": evaluation.failure}
        agents = list(self.agents)
        if done:
            self.agents = []
        return ({a: observation.copy() for a in agents}, dict.fromkeys(agents, reward),
                dict.fromkeys(agents, False), dict.fromkeys(agents, done),
                {a: dict(info) for a in agents})
