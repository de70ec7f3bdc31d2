"""Searchers: what proposes the designs of a study.

Every searcher implements one protocol, :class:`Searcher` (in the way Optuna's
``BaseSampler`` is one protocol for its samplers): it names the Optuna sampler the study is
loaded with, and it searches a :class:`SearchContext` (the spec, the study, the objective
that evaluates and stores a trial, the store of designs evaluated elsewhere, and when to
stop). The registry (:data:`SEARCHERS`) lists them, in order, for the command line, its
help text and its errors; a new searcher is one class here and one registry line.

- ``tpe``, ``nsga2``, ``gp``, ``random``: Optuna samplers, with their settings pinned here,
  not left to Optuna's defaults (Optuna 5 changed them), asked and told in batches;
- ``exhaustive``: every point of a finite space, the exact front (:mod:`dse.exhaustive`);
- ``ppo``, ``marl``: reinforcement-learning agents (:mod:`dse.rl.agents`) that propose
  designs, evaluate them through their cache and store each new one as a trial;
- ``sequential``, ``sequential-random``: the co-design baseline (networks first, then the
  hardware for the best network), for ``kind = "codesign"`` specs.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from dse.space import design_key, suggest_point
from hw.params import ParamError


class SearcherError(ValueError):
    """A searcher cannot be made or run as asked (an unknown name, too many workers)."""


class SearchContext(Protocol):
    """What a searcher searches: provided by :mod:`dse.study` for one worker."""

    spec: Any    # the spec (hardware or co-design): its space, objectives, constraints
    study: Any   # the Optuna study, loaded with the searcher's sampler
    trials: int  # the budget: distinct designs the study is to hold
    @property
    def max_proposals(self) -> int:
        """Most designs the searcher may propose (an agent that only repeats known designs
        must stop)."""

    def objective(self, trial: Any) -> tuple[float, ...]:
        """Evaluate an Optuna trial's design and store its metrics and constraints (a design
        the study holds is not evaluated again: the trial is pruned)."""

    def remaining(self) -> int:
        """Distinct designs still to evaluate."""

    def known(self, params: Mapping[str, Any]) -> int | None:
        """The number of the trial that evaluated this design, or None."""

    def evaluate_batch(self, size: int) -> None:
        """Ask the study's sampler for ``size`` trials and tell their results: new designs
        evaluated, designs the study holds answered from it (a repeat, not counted)."""

    def record_all(self, designs: Any) -> None:
        """:meth:`record` each (point, metrics) of ``designs``, written to the storage
        together where it can (one fsync for them all)."""

    def record(self, point: dict[str, Any], metrics: Mapping[str, float] | None,
               failure: str | None = None) -> None:
        """Store a design evaluated by the searcher itself as a trial (an invalid one:
        ``metrics`` None and the ``failure`` found, so it is not evaluated again)."""

    @property
    def run_dir(self) -> Path:
        """The run folder (files a searcher writes beside the study)."""

    def stop(self, reason: str) -> None:
        """End the search, and store why in the study."""

    def after_trial(self, study: Any, trial: Any) -> None:
        """Optuna callback after each trial: progress, and stopping at the budget."""

    def done(self) -> bool:
        """Whether the study holds the trials asked for."""


class Searcher(abc.ABC):
    """Proposes designs for a study and learns from their results.

    Subclasses set ``name`` and ``summary`` and implement :meth:`sampler` and
    :meth:`search`; ``max_workers`` bounds the worker processes that may share a study
    (an agent that learns from every evaluation runs alone).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    max_workers: ClassVar[int | None] = None
    #: Why ``max_workers`` bounds the workers (for the error).
    workers_reason: ClassVar[str] = ""
    #: Whether the search stops at the budget of distinct designs (``--trials``).
    uses_budget: ClassVar[bool] = True

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def check_spec(self, spec: Any) -> None:
        """Whether this searcher can search ``spec`` (every searcher can search any spec
        unless it says otherwise).

        Raises:
            SearcherError: naming what the spec lacks.
        """
        return None

    @abc.abstractmethod
    def sampler(self) -> Any:
        """The Optuna sampler the study is loaded with."""

    @abc.abstractmethod
    def search(self, context: SearchContext) -> None:
        """Propose, evaluate and store designs until ``context.done()``."""


class OptunaSearcher(Searcher):
    """A searcher that is an Optuna sampler: Optuna proposes (ask), the context evaluates
    and tells the results, ``batch_size`` trials between two reads of the study (progress,
    other workers' designs, the stop)."""

    #: Trials asked and told between two reads of the study.
    batch_size: ClassVar[int] = 32

    def search(self, context: SearchContext) -> None:
        while not context.done():
            context.evaluate_batch(max(1, min(self.batch_size, context.remaining())))


class Tpe(OptunaSearcher):
    name = "tpe"
    summary = "Optuna TPE (multivariate, constant liar)"

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=10,
                                          multivariate=True, constant_liar=True,
                                          n_ei_candidates=24)


class Nsga2(OptunaSearcher):
    name = "nsga2"
    summary = "Optuna NSGA-II (population 20)"

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.NSGAIISampler(seed=self.seed, population_size=20,
                                             crossover_prob=0.9, swapping_prob=0.5)


class Gp(OptunaSearcher):
    name = "gp"
    summary = "Optuna Gaussian process"

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.GPSampler(seed=self.seed, n_startup_trials=10,
                                         deterministic_objective=True)


class RandomSearch(OptunaSearcher):
    name = "random"
    summary = "uniform random designs"

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)


class Exhaustive(Searcher):
    """Every point of a finite space (:mod:`dse.exhaustive`): the exact feasible Pareto front
    stored as trials, every point in a compact table in the run folder. It ignores the
    budget (``--trials``): it evaluates the whole space, once."""

    name = "exhaustive"
    summary = "every point of a small space, the exact Pareto front stored"
    max_workers = 1
    workers_reason = "one process evaluates the whole space"
    uses_budget = False

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)  # proposes nothing here

    def check_spec(self, spec: Any) -> None:
        from dse.exhaustive import MAX_POINTS

        if spec.space.size() > MAX_POINTS:
            raise SearcherError(f"the searcher 'exhaustive' sweeps spaces of at most "
                                f"{MAX_POINTS:,} designs (it holds them all in memory): this "
                                f"spec's space holds {spec.space.size():,} (use another "
                                "--sampler)")

    def search(self, context: SearchContext) -> None:
        from dse import exhaustive

        table = exhaustive.evaluate_space(context.spec)
        path = exhaustive.write_table(context.spec, table,
                                      context.run_dir / exhaustive.TABLE_NAME)
        context.record_all((table.point(index), table.metrics_of(index))
                           for index in table.front.tolist())
        context.study.set_user_attr(exhaustive.ATTR_EXHAUSTIVE, {
            "points": len(table), "feasible": len(table.feasible),
            "front": len(table.front), "table": path.name})
        context.stop(f"exhaustive: evaluated all {len(table)} designs of the space "
                     f"({len(table.feasible)} feasible); the exact Pareto front "
                     f"({len(table.front)} designs) is stored as trials, every design in "
                     f"{path}")


class Agent(Searcher):
    """A reinforcement-learning agent (:func:`dse.rl.agents.run_agent`): it evaluates
    designs through its own cache and stores each new one through ``context.record``."""

    max_workers = 1
    workers_reason = "one agent learns from every evaluation"
    #: The name of the environment factory in :mod:`dse.rl.agents`.
    environment: ClassVar[str]

    def sampler(self) -> Any:
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)  # only replays stored designs

    def search(self, context: SearchContext) -> None:
        from dse.rl import agents

        agents.run_agent(context.spec, context.study,
                         make_env=getattr(agents, self.environment), seed=self.seed,
                         record=context.record, done=context.done,
                         max_steps=context.max_proposals)


class Ppo(Agent):
    name = "ppo"
    summary = "one PPO agent setting every parameter (stable-baselines3)"
    environment = "single_agent_env"


class Marl(Agent):
    name = "marl"
    summary = "one agent per parameter, shared reward (PettingZoo, SuperSuit, PPO)"
    environment = "multi_agent_env"


@runtime_checkable
class PhasedSpec(Protocol):
    """A spec that splits into a network phase and a hardware phase (a co-design spec)."""

    def network_only(self) -> Any:
        """The spec searching the networks alone (one objective, maximized)."""

    def with_networks(self, point: dict[str, Any]) -> Any:
        """The spec searching the hardware with the networks fixed at ``point``."""

    def network_choice(self, name: str) -> bool:
        """Whether the dimension ``name`` is a network choice."""


#: The study's user attribute holding the sequential searcher's network phase.
ATTR_NETWORK_PHASE = "sequential:networks"
#: ... and the network its hardware phase searches for (set when that phase begins).
ATTR_NETWORK_CHOSEN = "sequential:network"


def best_network(study: Any) -> dict[str, Any] | None:
    """The network a sequential search's hardware phase searches for: the most accurate of
    its network phase (ties: the earlier), None before any network trained."""
    chosen = study.user_attrs.get(ATTR_NETWORK_CHOSEN)
    if chosen is not None:
        return dict(chosen)
    trained = [(dict(p), a) for p, a in study.user_attrs.get(ATTR_NETWORK_PHASE, [])
               if a is not None]
    return max(trained, key=lambda entry: entry[1])[0] if trained else None


class Sequential(Searcher):
    """The co-design baseline NASAIC compares against (networks first, then hardware): the
    first ``network_share`` of the budget searches the networks alone for the highest mean
    validation accuracy; the rest searches the hardware for the best of those networks with
    the spec's objectives and constraints (precision choices that network cannot use are
    left out). Both phases ask ``inner`` for their designs. The network phase is stored in
    the study (:data:`ATTR_NETWORK_PHASE`), the hardware designs as its trials, so a resumed
    search goes on where it stopped; ``--trials`` counts the evaluations of both phases."""

    name = "sequential"
    summary = "co-design baseline: networks first (mean accuracy), then hardware (TPE)"
    max_workers = 1
    workers_reason = "the hardware phase starts from the network phase's best network"
    inner: ClassVar[str] = "tpe"
    network_share: ClassVar[float] = 0.5

    def sampler(self) -> Any:
        return SEARCHERS[self.inner](self.seed).sampler()

    def check_spec(self, spec: Any) -> None:
        if not isinstance(spec, PhasedSpec):
            raise SearcherError(f"the searcher {self.name!r} searches co-design specs "
                                '(kind = "codesign") only: this spec has no network choices')
        names = [d.name for d in spec.space.dimensions]
        if not any(spec.network_choice(n) for n in names):
            raise SearcherError(f"the searcher {self.name!r} needs network choices in the "
                                "space: this spec searches none (use another --sampler)")
        if all(spec.network_choice(n) for n in names):
            raise SearcherError(f"the searcher {self.name!r} needs hardware choices in the "
                                "space to search after the networks: this spec has none")

    def search(self, context: SearchContext) -> None:
        import optuna

        self.check_spec(context.spec)
        first = round(context.trials * self.network_share)
        if not 1 <= first < context.trials:
            raise SearcherError(f"`trials` must be at least 2 for the searcher {self.name!r} "
                                f"(one network and one hardware phase), not {context.trials}")
        chosen = context.study.user_attrs.get(ATTR_NETWORK_CHOSEN)
        if chosen is None:  # the network phase; it ends when the hardware phase begins
            self._network_phase(context, first)
            best = best_network(context.study)
            if best is None:
                context.stop("sequential: no network of the first phase trained; nothing "
                             "for the hardware phase")
                return
            context.study.set_user_attr(ATTR_NETWORK_CHOSEN, best)
        else:  # resumed in the hardware phase: the network stays (a larger budget goes to
            best = dict(chosen)  # the hardware)
        first = len(context.study.user_attrs.get(ATTR_NETWORK_PHASE, []))
        hardware = context.spec.with_networks(best)
        study = optuna.create_study(directions=hardware.directions, sampler=self.sampler())
        held = self._replay_hardware(context, hardware, best, study)
        budget = context.trials - first
        proposals = 0
        while held < budget and proposals < context.max_proposals:
            proposals += 1
            trial = study.ask()
            point = suggest_point(hardware.space, trial)
            joint = {**best, **point}
            number = context.known(joint)
            if number is not None:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                continue
            failure = None
            try:
                metrics = hardware.evaluate(hardware.space.params(point))
            except ParamError as error:
                metrics, failure = None, f"invalid design: {error}"
            context.record(joint, metrics, failure)
            held += 1
            if metrics is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, [metrics[name] for name in hardware.objective_names])
        context.stop(f"sequential: {first} network evaluations, then {held} hardware designs "
                     f"for the best network ({', '.join(f'{k}={v}' for k, v in best.items())})")

    def _network_phase(self, context: SearchContext, first: int) -> None:
        """Evaluate ``first`` distinct networks (those stored before are replayed), each
        stored with its mean validation accuracy (None: it could not be trained)."""
        import optuna

        spec = context.spec.network_only()
        stored = [(dict(p), a) for p, a in context.study.user_attrs.get(ATTR_NETWORK_PHASE, [])]
        study = optuna.create_study(directions=spec.directions, sampler=self.sampler())
        seen: dict[tuple[tuple[str, Any], ...], float | None] = {}
        for point, accuracy in stored:
            study.enqueue_trial(point)
            trial = study.ask()
            suggest_point(spec.space, trial)
            self._tell(study, trial, accuracy)
            seen[design_key(point)] = accuracy
        proposals = 0
        while len(seen) < first and proposals < context.max_proposals:
            proposals += 1
            trial = study.ask()
            point = suggest_point(spec.space, trial)
            key = design_key(point)
            if key not in seen:
                try:
                    accuracy = spec.evaluate(spec.space.params(point))["accuracy"]
                except ParamError:
                    accuracy = None
                seen[key] = accuracy
                stored.append((point, accuracy))
                context.study.set_user_attr(ATTR_NETWORK_PHASE, stored)
            self._tell(study, trial, seen[key])

    @staticmethod
    def _tell(study: Any, trial: Any, value: float | None) -> None:
        import optuna

        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)

    @staticmethod
    def _replay_hardware(context: SearchContext, hardware: Any, best: dict[str, Any],
                         study: Any) -> int:
        """Tell ``study`` the hardware designs the context's study holds for the network
        ``best``; returns how many."""
        import optuna

        held = 0
        for trial in context.study.get_trials(deepcopy=False):
            if trial.state.name not in ("COMPLETE", "FAIL") or any(
                    trial.params.get(k) != v for k, v in best.items()):
                continue
            if trial.state.name == "FAIL" and context.known(trial.params) != trial.number:
                continue  # an interrupted trial, queued again
            point = {k: v for k, v in trial.params.items() if k not in best}
            study.enqueue_trial(point)
            inner = study.ask()
            suggest_point(hardware.space, inner)
            if trial.state.name == "COMPLETE":
                study.tell(inner, list(trial.values))
            else:
                study.tell(inner, state=optuna.trial.TrialState.FAIL)
            held += 1
        return held


class SequentialRandom(Sequential):
    name = "sequential-random"
    summary = "the sequential co-design baseline with uniform random designs in both phases"
    inner = "random"


#: Every searcher, by name, in the order the command line lists them.
SEARCHERS: dict[str, type[Searcher]] = {}


def register(searcher: type[Searcher]) -> type[Searcher]:
    """Add a searcher class to the registry.

    Raises:
        ValueError: if another searcher holds its name.
    """
    if SEARCHERS.get(searcher.name, searcher) is not searcher:
        raise ValueError(f"searcher {searcher.name!r} is already registered")
    SEARCHERS[searcher.name] = searcher
    return searcher


for _searcher in (Tpe, Nsga2, Gp, RandomSearch, Exhaustive, Ppo, Marl, Sequential,
                  SequentialRandom):
    register(_searcher)


def names() -> tuple[str, ...]:
    return tuple(SEARCHERS)


def describe() -> str:
    """One line for the command line's help: every searcher and what it is."""
    return "; ".join(f"{name}: {cls.summary}" for name, cls in SEARCHERS.items())


def make_searcher(name: str, seed: int | None = None) -> Searcher:
    """The searcher called ``name``, seeded.

    Raises:
        SearcherError: listing the known names.
    """
    try:
        return SEARCHERS[name](seed)
    except KeyError:
        raise SearcherError(f"`sampler` must be one of {', '.join(SEARCHERS)}, "
                                   f"not {name!r}") from None


def check_workers(searcher: Searcher, workers: int) -> None:
    """Whether ``workers`` processes may run ``searcher`` on one study.

    Raises:
        SearcherError: naming the limit.
    """
    if searcher.max_workers is not None and workers > searcher.max_workers:
        raise SearcherError(
            f"`workers` must be at most {searcher.max_workers} for the searcher "
            f"{searcher.name!r} ({searcher.workers_reason}), not {workers}")


