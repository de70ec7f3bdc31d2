"""What crosses stages and is stored in a study: the names of the trial attributes hwdse
writes, the failure of an evaluation, and the higher-fidelity check of a design and of
each of its layers (stored as JSON by :meth:`DesignCheck.to_json`, read back by
:meth:`DesignCheck.from_json`, the one place they are serialized)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

#: Study user attribute holding the check of trial N: ``rtl:N``.
ATTR_PREFIX = "rtl:"
#: Trial user attributes hwdse writes: the metrics of an evaluation, why a trial failed,
#: the worker that ran it, and the trial an interrupted one was queued again from.
ATTR_METRICS, ATTR_FAILURE, ATTR_WORKER, ATTR_REQUEUED = (
    "metrics", "failure", "worker", "requeued_from")
#: Trial user attribute of a proposal the study already held: the number of the trial that
#: evaluated the design (the proposal is not evaluated again and is stored as PRUNED).
ATTR_REPEAT_OF = "repeat_of"
#: Study user attribute: why the last search stopped before its budget (a finite space
#: run out of new designs, or a searcher that proposed only known designs), or "".
ATTR_STOPPED = "stopped"


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The model-fidelity outcome of one trial's design: its metrics, or why it could not
    be evaluated (``failure``: an invalid design, an interrupted worker). Stored in the
    trial's user attributes by :meth:`store`, read back by :meth:`of`."""

    metrics: Mapping[str, float] | None = None
    failure: str = ""

    def store(self, trial: Any) -> None:
        """Write into an Optuna trial (a running ``Trial``)."""
        if self.metrics is not None:
            trial.set_user_attr(ATTR_METRICS, dict(self.metrics))
        if self.failure:
            trial.set_user_attr(ATTR_FAILURE, self.failure)

    @classmethod
    def of(cls, trial: Any) -> Evaluation:
        """What a stored trial (``FrozenTrial``) holds; empty for a trial never evaluated."""
        metrics = trial.user_attrs.get(ATTR_METRICS)
        return cls(None if metrics is None else dict(metrics),
                   str(trial.user_attrs.get(ATTR_FAILURE, "")))


#: Layers whose model predicts more cycles than this are not simulated (reported as skipped):
#: 50 M cycles take about a minute in the stream harness (``sim.stream_harness``).
DEFAULT_MAX_SIM_CYCLES = 50_000_000


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    """How far the higher-fidelity check of a design goes: layers over ``max_sim_cycles``
    model cycles are skipped, ``synth`` adds synthesis, ``timeout`` bounds each tool run
    (seconds), a co-design check runs ``inputs`` test inputs per task, and ``instances``
    runs every instance of a repeated layer."""

    max_sim_cycles: int = DEFAULT_MAX_SIM_CYCLES
    synth: bool = False
    timeout: float = 1800.0
    inputs: int = 200
    #: Every instance of a repeated layer (its ``repeat``: batch x count) as a job of its
    #: own, with its own operands (seed = instance index); else one job per layer.
    instances: bool = False


#: The default check: simulation up to :data:`DEFAULT_MAX_SIM_CYCLES`, no synthesis.
DEFAULT_CHECK = CheckOptions()


class DesignFailed(Exception):  # noqa: N818 (an outcome, raised to fail the trial)
    """An evaluation failed (invalid design, tool failure); the trial is FAIL with reason."""


@dataclasses.dataclass(frozen=True)
class LayerCheck:
    layer: str
    gemm: str
    model_cycles: int
    rtl_cycles: int | None = None
    passed: bool | None = None
    skipped: str = ""
    #: The RTL's activity counters (DRAM bytes, SRAM accesses, MACs, ...) equal the model's
    #: (None: not compared).
    activity_matches: bool | None = None
    #: The layer's run-time mapping (``"TMxTKxTN order"``; "" for a family without one).
    mapping: str = ""

    @property
    def agrees(self) -> bool | None:
        if self.rtl_cycles is None:
            return None
        return (bool(self.passed) and self.rtl_cycles == self.model_cycles
                and self.activity_matches is not False)


@dataclasses.dataclass(frozen=True)
class DesignCheck:
    """The higher-fidelity evaluation of one trial's design."""

    trial: int
    params: dict[str, Any]
    layers: tuple[LayerCheck, ...]
    synth: dict[str, Any] | None = None
    error: str = ""
    #: Every instance of a repeated layer was run (``CheckOptions.instances``).
    instances: bool = False

    @property
    def disagrees(self) -> bool:
        """True when RTL failed its golden check or its cycles differ from the model's, or
        synthesis differs from the area model by more than 10% in LUTs or FFs."""
        if self.error:
            return True
        if any(check.agrees is False for check in self.layers):
            return True
        if self.synth is not None:
            return any(abs(self.synth["area_error"][r]) > 0.10 for r in ("lut", "ff")
                       if r in self.synth["area_error"])
        return False

    @property
    def out_of_range(self) -> list[str]:
        """Where the design lies outside the samples of the area and clock models its
        synthesis was compared with (empty: inside, or not synthesized)."""
        return list((self.synth or {}).get("out_of_range", []))

    @property
    def range_note(self) -> str:
        """`` (estimate outside the model's samples: ...)``, or '' inside them."""
        if not self.out_of_range:
            return ""
        return f" (estimate outside the model's samples: {'; '.join(self.out_of_range)})"

    def to_json(self) -> dict[str, Any]:
        return {"trial": self.trial, "params": self.params, "disagrees": self.disagrees,
                "error": self.error, "synth": self.synth, "instances": self.instances,
                "layers": [dataclasses.asdict(check) | {"agrees": check.agrees}
                           for check in self.layers]}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> DesignCheck:
        """The check stored by :meth:`to_json`."""
        layers = tuple(LayerCheck(**{k: v for k, v in layer.items() if k != "agrees"})
                       for layer in payload["layers"])
        return cls(int(payload["trial"]), dict(payload["params"]), layers,
                   payload.get("synth"), str(payload.get("error", "")),
                   bool(payload.get("instances", False)))
