"""RL agents that search an hwdse design space and store every new design they propose as
a trial of the spec's Optuna study (so reports, the dashboard and resume work unchanged).

- ``ppo``: one stable-baselines3 PPO agent on :class:`dse.rl.envs.DesignEnv`, which sets
  every parameter at once (``MultiDiscrete``).
- ``marl``: one agent per parameter on :class:`dse.rl.envs.DesignParallelEnv` with a shared
  cooperative reward, trained by parameter sharing: SuperSuit pads every agent's action and
  observation space to the largest (a padded action wraps onto the agent's own choices),
  adds a one-hot agent indicator to the observation, and turns the agents into the copies
  of a vectorized environment for one PPO policy.

Both use the same hyper-parameters (:data:`PPO_SETTINGS`), are seeded (torch, numpy and
Python through stable-baselines3's ``set_random_seed``) and run on the CPU. A design the
agent proposes again is taken from the evaluation cache, not evaluated or stored again;
designs stored by an earlier run of the same study seed the cache, so a resumed search
does not store them twice. The search stops once ``done()`` holds, or after ``max_steps``
proposals (:data:`MAX_STEPS_PER_TRIAL` per trial asked for: an agent that keeps proposing
known designs cannot loop forever).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dse.rl.envs import DesignEnv, DesignParallelEnv, Evaluation, EvaluationCache

#: PPO hyper-parameters shared by both methods (stable-baselines3 names).
PPO_SETTINGS: dict[str, Any] = {"n_steps": 64, "batch_size": 64, "n_epochs": 4,
                                "learning_rate": 3e-4, "gamma": 0.0, "ent_coef": 0.01}
#: Episode length: designs proposed between resets.
HORIZON = 16
MAX_STEPS_PER_TRIAL = 50


#: Caches of running agents, so that copies of an environment share their cache.
_LIVE: dict[int, _RecordingCache] = {}


def _live_cache(key: int) -> _RecordingCache:
    try:
        return _LIVE[key]
    except KeyError:
        raise RuntimeError("an agent's evaluation cache can be copied only within its "
                           "process, while the agent runs") from None


class _RecordingCache(EvaluationCache):
    """The evaluation cache, which hands every new design to ``record``.

    SuperSuit copies the environment (through cloudpickle) when it vectorizes it; a copy
    of this cache is this cache itself (``__reduce__``), so designs are recorded once,
    through the caller's ``record`` (which may hold what cannot be pickled: the study,
    a progress display)."""

    def __init__(self, spec: Any,
                 record: Callable[[dict[str, Any], Mapping[str, float] | None, str | None],
                                  None]) -> None:
        super().__init__(spec)
        self.record = record
        self.recording = False

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        _LIVE[id(self)] = self
        return _live_cache, (id(self),)

    def __call__(self, point: Mapping[str, Any]) -> Evaluation:
        result = super().__call__(point)
        if self.recording and not result.cached:
            self.record(dict(result.point), result.metrics, result.failure)
        return result


def _seed_from_study(cache: EvaluationCache, study: Any) -> None:
    """Designs the study already holds count as evaluated (resume)."""
    from dse.records import Evaluation

    for trial in study.trials:
        if trial.state.name not in ("COMPLETE", "FAIL") or not trial.params:
            continue
        key = tuple(sorted(trial.params.items()))
        cache._store[key] = (Evaluation.of(trial).metrics,
                             None if trial.state.name == "COMPLETE" else "stored failure")


def single_agent_env(spec: Any, cache: EvaluationCache, seed: int | None) -> Any:
    """``ppo``: one agent sets every parameter (:class:`DesignEnv`)."""
    env = DesignEnv(spec, horizon=HORIZON, cache=cache)
    env.reset(seed=seed)
    return env


def multi_agent_env(spec: Any, cache: EvaluationCache, seed: int | None) -> Any:
    """``marl``: one agent per parameter (:class:`DesignParallelEnv`), trained by parameter
    sharing as the copies of one vectorized environment (see the module docstring)."""
    import supersuit

    parallel = DesignParallelEnv(spec, horizon=HORIZON, cache=cache)
    padded = supersuit.agent_indicator_v0(supersuit.pad_observations_v0(
        supersuit.pad_action_space_v0(parallel)))
    env = supersuit.concat_vec_envs_v1(supersuit.pettingzoo_env_to_vec_env_v1(padded),
                                       1, num_cpus=0, base_class="stable_baselines3")
    env.reset()
    return env


#: An agent's environment over a spec: (spec, evaluation cache, seed) -> environment.
EnvFactory = Callable[[Any, EvaluationCache, "int | None"], Any]


def run_agent(spec: Any, study: Any, *, make_env: EnvFactory, seed: int | None,
              record: Callable[[dict[str, Any], Mapping[str, float] | None], None],
              done: Callable[[], bool], max_steps: int) -> EvaluationCache:
    """Train a PPO policy on the environment ``make_env`` builds over ``spec``
    (:func:`single_agent_env`, :func:`multi_agent_env`) until ``done()`` or ``max_steps``
    proposals; every new design goes to ``record(point, metrics)``. Returns the evaluation
    cache."""
    import numpy as np
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.utils import set_random_seed

    cache = _RecordingCache(spec, record)
    _seed_from_study(cache, study)
    set_random_seed(0 if seed is None else seed)
    env = make_env(spec, cache, seed)
    cache.recording = True  # the reference design found while building is not a proposal
    budget = {"steps": 0}

    class Stop(BaseCallback):  # type: ignore[misc]
        def _on_step(self) -> bool:
            budget["steps"] += 1
            return not done() and budget["steps"] < max_steps

    model = PPO("MlpPolicy", env, verbose=0, device="cpu", **PPO_SETTINGS)
    try:
        model.learn(total_timesteps=np.iinfo(np.int32).max, callback=Stop())
    finally:
        _LIVE.pop(id(cache), None)
    return cache
