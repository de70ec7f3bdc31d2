"""What a co-design point is: tasks, their designs (a network and a sub-accelerator), and
what a sub-accelerator must hold to run its network bit-exact. Both the spec
(:mod:`dse.codesign.spec`) and the evaluation (:mod:`dse.codesign.evaluate`) use these.

The families a task can use come from the generator registry: every family whose params
class says how it runs a network (``network_mapping``): ``"layers"`` (each layer as a GEMM
on an array) or ``"network"`` (the network built into the hardware).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from hw.params import ParamError, Params
from hw.registry import get, names


def families() -> dict[str, str]:
    """Family name in a spec -> versioned generator, for every registered family that can
    run a network."""
    out: dict[str, str] = {}
    for name in names():
        spec = get(name)
        if spec.params_class.network_mapping is not None:
            out.setdefault(spec.family, get(spec.family).name)
    return out


def network_mapping(family: str) -> str:
    """``"layers"`` or ``"network"``: how the ``family`` runs a task's network."""
    mapping = get(family).params_class.network_mapping
    assert mapping is not None, family
    return mapping


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task: a dataset, and the searched network and hardware of its sub-accelerator
    (``families`` empty: the network alone, as in the first phase of a sequential
    search)."""

    name: str
    dataset: str
    dataset_options: Mapping[str, Any]
    families: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class TaskDesign:
    """One task's network (a training config) and hardware (``family`` None: none).

    ``hardware`` is the generator's params (``systolic``, ``bitserial``) or the target
    initiation interval of the ``qmlp`` folding optimizer."""

    task: str
    dataset: str
    dataset_options: Mapping[str, Any]
    train: Any  # dse.qnn.train.TrainConfig
    family: str | None
    hardware: Params | int | None

    def to_dict(self) -> dict[str, Any]:
        hardware: Any = self.hardware
        if isinstance(hardware, Params):
            hardware = hardware.to_dict()
        elif hardware is not None:
            hardware = {"target_ii": hardware}
        return {"task": self.task, "dataset": self.dataset,
                "network": {"hidden": list(self.train.hidden),
                            "weight_bits": self.train.weight_bits,
                            "act_bits": self.train.act_bits},
                "family": self.family, "hardware": hardware}


@dataclasses.dataclass(frozen=True)
class JointDesign:
    """A point of a co-design space: one :class:`TaskDesign` per task."""

    generator: ClassVar[str] = "codesign"
    tasks: tuple[TaskDesign, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"tasks": [task.to_dict() for task in self.tasks]}


def operand_widths(task: TaskSpec, config: Any) -> tuple[int, int]:
    """Signed widths a bit-parallel datapath needs for the network's (weights,
    activations): ``weight_bits`` (2 for bipolar 1-bit weights) and one more than the
    widest unsigned activation or input."""
    from dse.qnn.datasets import input_bits_of

    weights = max(config.weight_bits, 2)
    activations = max(config.act_bits, input_bits_of(task.dataset, task.dataset_options)) + 1
    return weights, activations


def precision_needs(task: TaskSpec, config: Any, generator: str,
                    values: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Smallest width of each field of a ``generator`` array (its other parameters
    ``values``) that runs the network of ``config`` bit-exact: operand widths for the
    signed weights and unsigned activations, and an accumulator that holds the largest dot
    product of any layer."""
    from dse.qnn.datasets import DATASET_FEATURES, input_bits_of

    weights, activations = operand_widths(task, config)
    largest = 0
    inputs = (DATASET_FEATURES[task.dataset], *config.hidden)
    for index, fan_in in enumerate(inputs):
        bits = input_bits_of(task.dataset, task.dataset_options) if index == 0 \
            else config.act_bits
        weight = 1 if config.weight_bits == 1 else 1 << (config.weight_bits - 1)
        largest = max(largest, fan_in * weight * ((1 << bits) - 1))
    accumulator = largest.bit_length() + 1
    return get(generator).params_class.precision_fields(weights, activations, accumulator,
                                                        values or {})


def check_precision(task: TaskSpec, config: Any, params: Params) -> None:
    """Whether ``params`` can run the network of ``config`` bit-exact.

    Raises:
        ParamError: naming the too narrow dimension and the width it needs.
    """
    from dse.qnn.datasets import input_bits_of

    need = precision_needs(task, config, params.generator, params.to_dict())
    inputs = input_bits_of(task.dataset, task.dataset_options)
    family = get(params.generator).family
    for field, width in need.items():
        if getattr(params, field) < width:
            what = ("the largest dot product of the network" if field == "acc_width" else
                    "the network's operands")
            raise ParamError(
                f"`{task.name}.{family}.{field}` = {getattr(params, field)} cannot hold {what} "
                f"({config.weight_bits}-bit weights, {config.act_bits}-bit activations, "
                f"{inputs}-bit inputs; signed, they need {field} >= {width})")
    if not getattr(params, "signed", True):
        raise ParamError(f"`{task.name}.{family}.signed` must be true (the weights are "
                         "signed)")
