"""Co-design specs: network choices and hardware choices of one or more tasks in one space.

A co-design spec is a TOML file with ``kind = "codesign"``; :func:`dse.spec.parse_spec`
hands it here, so ``hwdse explore`` and every searcher take it like a hardware spec::

    kind = "codesign"
    name = "can-digits"
    target = "ecp5-85k"
    clock_mhz = 50

    [training]                    # dse.qnn.train.TrainConfig, shared by every candidate
    epochs = 15
    patience = 3
    seed = 0

    [[task]]
    name = "can"
    dataset = "can"               # dse.qnn.datasets: can, digits
    dataset_options = { frames_per_class = 2000 }
    depth = [1, 2]                # hidden layers
    width = [16, 32, 64]          # width of each hidden layer (one dimension per layer)
    weight_bits = [1, 2, 4]
    act_bits = [1, 2, 4]
    family = ["qmlp", "systolic"] # the task's sub-accelerator
    qmlp = { target_ii = [1, 4, 16, 64] }  # folding: cheapest (area model) meeting the II
    systolic = { rows = [1, 2], cols = [4, 8, 16], input_width = [4, 8] }

    [objectives]
    accuracy = "maximize"         # mean validation accuracy over the tasks
    lut = "minimize"              # LUTs of all sub-accelerators together

    [constraints]
    lut = { max = 8000 }          # the shared area budget
    "can.latency_cycles" = { max = 200 }

A value given as a list is searched, a single value is fixed. The family tables take the
generator's parameters (``systolic``, ``bitserial``: any field of their params, with the
``[space]`` syntax of hardware specs) or, for ``qmlp``, ``target_ii``: the folding of
every layer is the cheapest one (LUTs of the area model) whose initiation interval is at
most ``target_ii`` (:func:`dse.models.qmlp.optimize_folding`) — the network's layer sizes
change with the network choices, so a folding cannot be a fixed list of PE / SIMD pairs.
Precision support: a ``systolic`` array needs ``input_width`` (signed) to hold the
network's weights and unsigned activations; a ``bitserial`` array serializes the weights
(``max_bits`` must hold them) and needs ``parallel_width`` for the activations. A design
that cannot run its network is invalid (a failed trial naming the parameter), before any
training.

Dimensions are named ``<task>.<choice>``: ``can.depth``, ``can.width1`` (searched when
``can.depth`` >= 1), ``can.weight_bits``, ``can.family``, ``can.qmlp.target_ii`` (searched
when ``can.family`` is ``qmlp``), ...

Metrics (objectives and constraints), per task as ``<task>.<metric>``:
:data:`TASK_METRICS`; over all tasks: :data:`TOTAL_METRICS` (``accuracy``: the mean,
``min_accuracy``; ``lut``, ``ff``, ``dsp``, ``bram``, ``energy_pj``: sums, since each task
has its own sub-accelerator; ``latency_cycles`` / ``latency_s``: the largest, since they
run side by side).
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from dse.codesign.design import (
    JointDesign,
    TaskDesign,
    TaskSpec,
    check_precision,
    families,
    network_mapping,
    precision_needs,
)
from dse.records import DEFAULT_CHECK, CheckOptions, DesignCheck
from dse.space import Choice, Dimension, Space, Value, parse_space
from dse.spec.common import (
    Constraint,
    ObjectivesMixin,
    SpecError,
    constraints_of,
    objectives_of,
    target_and_clock,
)
from hw.params import ParamError, Params, check_int

#: Network choices of a task.
NETWORK_KEYS = ("depth", "width", "weight_bits", "act_bits")
MAX_DEPTH = 4
#: Metrics of one task (``<task>.<metric>``).
TASK_METRICS: dict[str, str] = {
    "accuracy": "validation accuracy of the integer network",
    "test_accuracy": "test accuracy of the integer network",
    "latency_cycles": "cycles of one inference", "latency_s": "one inference at clock_mhz",
    "initiation_interval": "cycles between inferences", "energy_pj": "per inference",
    "lut": "LUTs", "ff": "FFs", "dsp": "DSPs", "bram": "BRAMs", "pes": "PEs",
    "weights": "network weights",
}
#: Metrics over all tasks.
TOTAL_METRICS: dict[str, str] = {
    "accuracy": "mean of the tasks' accuracy", "min_accuracy": "lowest task accuracy",
    "latency_cycles": "largest task latency", "latency_s": "largest task latency",
    "energy_pj": "sum (one inference per task)", "lut": "sum", "ff": "sum", "dsp": "sum",
    "bram": "sum",
}
_TOP_KEYS = {"kind", "name", "target", "clock_mhz", "training", "task", "objectives",
             "constraints"}
_TASK_KEYS = {"name", "dataset", "dataset_options", *NETWORK_KEYS, "family"}
_TRAINING_KEYS = ("epochs", "batch_size", "learning_rate", "patience", "seed")


@dataclasses.dataclass(frozen=True)
class JointSpace(Space):
    """The dimensions of every task; a point becomes a :class:`JointDesign`."""

    tasks: tuple[TaskSpec, ...] = ()
    training: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def params(self, point: Mapping[str, Any]) -> JointDesign:  # type: ignore[override]
        """The joint design at ``point``.

        Raises:
            ParamError: if a network or a sub-accelerator is invalid, or a sub-accelerator
                cannot hold its network's precisions (naming the dimension).
        """
        from dse.qnn.train import TrainConfig

        values = {**self.fixed, **point}
        designs = []
        for task in self.tasks:
            def get(key: str, task: TaskSpec = task) -> Any:
                name = f"{task.name}.{key}"
                if name not in values:
                    raise ParamError(f"`{name}` is not set")
                return values[name]

            depth = get("depth")
            hidden = tuple(get(f"width{layer}") for layer in range(1, depth + 1))
            config = TrainConfig(hidden=hidden, weight_bits=get("weight_bits"),
                                 act_bits=get("act_bits"), **self.training)
            family = get("family") if task.families else None
            hardware: Params | int | None = None
            if family is not None and network_mapping(family) == "network":
                hardware = get(f"{family}.target_ii")
            elif family is not None:
                prefix = f"{task.name}.{family}."
                fields = {name.removeprefix(prefix): value for name, value in values.items()
                          if name.startswith(prefix)}
                from hw.registry import get as generator

                hardware = generator(family).params_class.from_mapping(fields)
                check_precision(task, config, hardware)
            designs.append(TaskDesign(task.name, task.dataset, task.dataset_options, config,
                                      family, hardware))
        return JointDesign(tuple(designs))


@dataclasses.dataclass(frozen=True)
class CodesignSpec(ObjectivesMixin):
    """A validated co-design spec (see the module docstring). It offers what the study,
    the RL environments, the front check and the report use of a hardware spec."""

    name: str
    target: str
    clock_mhz: float
    space: JointSpace
    objectives: tuple[tuple[str, str], ...]
    constraints: tuple[Constraint, ...]
    source: str = ""
    generator: ClassVar[str] = "codesign"
    energy_table: ClassVar[None] = None

    @property
    def tasks(self) -> tuple[TaskSpec, ...]:
        return self.space.tasks

    def evaluate(self, design: JointDesign) -> dict[str, float]:
        from dse.codesign.evaluate import evaluate

        return evaluate(design, target=self.target, clock_mhz=self.clock_mhz)

    def check_design(self, trial: Any, options: CheckOptions = DEFAULT_CHECK) -> DesignCheck:
        from dse.codesign.evaluate import check_design

        return check_design(self, trial, options)

    def designs(self, design: JointDesign) -> dict[str, Params]:
        """The sub-accelerators' params by task (trains the networks if not cached)."""
        from dse.codesign.evaluate import task_hardware

        return {task.task: task_hardware(task, self.target).params for task in design.tasks
                if task.family is not None}

    def network_only(self) -> CodesignSpec:
        """The spec of a sequential search's first phase (:func:`network_only`)."""
        return network_only(self)

    def with_networks(self, point: Mapping[str, Any]) -> CodesignSpec:
        """The spec of a sequential search's second phase (:func:`with_networks`)."""
        return with_networks(self, point)

    @staticmethod
    def network_choice(name: str) -> bool:
        """Whether the dimension ``name`` is a network choice (depth, widths, bits)."""
        return _network_choice(name)

    def describe(self) -> str:
        return (f"Co-design of {len(self.tasks)} task(s) "
                f"({', '.join(f'{t.name}: {t.dataset}' for t in self.tasks)}), target "
                f"`{self.target}`")


def metric_names(tasks: tuple[TaskSpec, ...]) -> list[str]:
    """Every metric a spec over ``tasks`` can optimize or constrain."""
    hardware = any(task.families for task in tasks)
    per_task = [m for m in TASK_METRICS if hardware or "accuracy" in m or m == "weights"]
    totals = [m for m in TOTAL_METRICS if hardware or "accuracy" in m]
    return totals + [f"{task.name}.{m}" for task in tasks for m in per_task]


def parse_codesign(data: Mapping[str, Any], text: str, base: Path) -> CodesignSpec:
    """Validate a co-design spec (``data`` is its parsed TOML).

    Raises:
        SpecError: naming the offending key and the allowed values.
    """
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SpecError(f"unknown key `{unknown[0]}` in a codesign spec; allowed: "
                        f"{', '.join(sorted(_TOP_KEYS))}")
    for key in ("task", "objectives"):
        if key not in data:
            raise SpecError(f"a codesign spec needs `{key}`")
    target, clock = target_and_clock(data)
    training = _training(data.get("training", {}))
    entries = data["task"]
    if not isinstance(entries, list) or not entries:
        raise SpecError("`task` must be a non-empty array of tables ([[task]])")
    tasks: list[TaskSpec] = []
    dimensions: list[Dimension] = []
    fixed: dict[str, Value] = {}
    for index, entry in enumerate(entries):
        task, task_dims, task_fixed = _task(index, entry, {t.name for t in tasks})
        tasks.append(task)
        dimensions += task_dims
        fixed.update(task_fixed)
    if not dimensions:
        raise SpecError("a codesign spec must search at least one choice (give a list)")
    with_hardware = [t.name for t in tasks if t.families]
    if with_hardware and len(with_hardware) < len(tasks):
        missing = next(t.name for t in tasks if not t.families)
        raise SpecError(f"`{missing}.family` is missing: give every task a sub-accelerator "
                        "(or none of them, to search networks alone)")
    space = JointSpace("codesign", tuple(dimensions), fixed, tuple(tasks), training)
    known = metric_names(space.tasks)
    objectives = objectives_of(data["objectives"], known)
    constraints = constraints_of(data.get("constraints", {}), known)
    name = data.get("name", "codesign")
    if not isinstance(name, str) or not name:
        raise SpecError(f"`name` must be a non-empty string, not {name!r}")
    return CodesignSpec(name, target, clock, space, objectives, constraints, text)


def _training(table: Any) -> dict[str, Any]:
    from dse.qnn.train import TrainConfig

    if not isinstance(table, dict):
        raise SpecError("`training` must be a table")
    bad = sorted(set(table) - set(_TRAINING_KEYS))
    if bad:
        raise SpecError(f"unknown key `training.{bad[0]}`; allowed: {', '.join(_TRAINING_KEYS)}"
                        " (the network choices are per task)")
    try:
        TrainConfig(**table)
    except (ParamError, TypeError) as error:
        raise SpecError(f"`training`: {error}") from None
    return dict(table)


def _task(index: int, entry: Any, taken: set[str]
          ) -> tuple[TaskSpec, list[Dimension], dict[str, Value]]:
    from dse.qnn.datasets import DATASET_OPTIONS, DATASETS

    where = f"task[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(f"`{where}` must be a table")
    known = families()
    allowed = _TASK_KEYS | set(known)
    bad = sorted(set(entry) - allowed)
    if bad:
        raise SpecError(f"unknown key `{where}.{bad[0]}`; allowed: {', '.join(sorted(allowed))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise SpecError(f"`{where}.name` must be an identifier (letters, digits, _), "
                        f"not {name!r}")
    if name in taken:
        raise SpecError(f"`{where}.name` {name!r} names two tasks")
    dataset = entry.get("dataset")
    if dataset not in DATASETS:
        raise SpecError(f"`{name}.dataset` must be one of {', '.join(DATASETS)}, "
                        f"not {dataset!r}")
    options = entry.get("dataset_options", {})
    if not isinstance(options, dict):
        raise SpecError(f"`{name}.dataset_options` must be a table")
    bad = sorted(set(options) - set(DATASET_OPTIONS[dataset]))
    if bad:
        raise SpecError(f"unknown key `{name}.dataset_options.{bad[0]}`; {dataset} takes "
                        f"{', '.join(DATASET_OPTIONS[dataset])}")
    limits = {"input_bits": (1, 8), "frames_per_class": (1, 10**7)}
    for key, (low, high) in limits.items():
        if key in options:
            try:
                check_int(f"{name}.dataset_options.{key}", options[key], low, high)
            except ParamError as error:
                raise SpecError(str(error)) from None
    for key in NETWORK_KEYS:
        if key not in entry:
            raise SpecError(f"`{name}` needs `{key}` (a value or a list of values)")
    dims: list[Dimension] = []
    fixed: dict[str, Value] = {}

    def add(key: str, value: Any, low: int, high: int,
            when: Mapping[str, Any] | None = None) -> None:
        full = f"{name}.{key}"
        values = value if isinstance(value, list) else [value]
        if not values or any(isinstance(v, bool) or not isinstance(v, int)
                             or not low <= v <= high for v in values) \
                or len(set(values)) != len(values):
            raise SpecError(f"`{full}` must be an integer in {low}..{high} or a list of "
                            f"distinct ones, not {value!r}")
        if isinstance(value, list) and len(value) > 1:
            dims.append(Choice(full, tuple(values), dict(when or {})))
        else:
            fixed[full] = values[0]

    add("depth", entry["depth"], 1, MAX_DEPTH)
    depths = entry["depth"] if isinstance(entry["depth"], list) else [entry["depth"]]
    for layer in range(1, max(depths) + 1):
        deep_enough = tuple(d for d in depths if d >= layer)
        searched_depth = f"{name}.depth" in {d.name for d in dims}
        when = ({f"{name}.depth": deep_enough}
                if searched_depth and len(deep_enough) < len(depths) else None)
        add(f"width{layer}", entry["width"], 1, 1024, when)
    add("weight_bits", entry["weight_bits"], 1, 8)
    add("act_bits", entry["act_bits"], 1, 8)
    chosen = entry.get("family")
    if chosen is None:
        return TaskSpec(name, dataset, dict(options), ()), dims, fixed
    family_list = chosen if isinstance(chosen, list) else [chosen]
    if not family_list or any(f not in known for f in family_list) \
            or len(set(family_list)) != len(family_list):
        raise SpecError(f"`{name}.family` must be one of {', '.join(known)} or a list of "
                        f"them, not {chosen!r}")
    if len(family_list) > 1:
        dims.append(Choice(f"{name}.family", tuple(family_list)))
    else:
        fixed[f"{name}.family"] = family_list[0]
    for family in family_list:
        table = entry.get(family)
        in_hardware = network_mapping(family) == "network"
        if table is None:
            if in_hardware:
                raise SpecError(f"`{name}.{family}` needs `target_ii` (a value or a list)")
            table = {}
        if not isinstance(table, dict):
            raise SpecError(f"`{name}.{family}` must be a table of the family's choices")
        when = {f"{name}.family": family} if len(family_list) > 1 else {}
        if in_hardware:  # the network is the design: only its folding target is searched
            bad = sorted(set(table) - {"target_ii"})
            if bad or "target_ii" not in table:
                raise SpecError(f"`{name}.{family}` takes `target_ii` only (the folding "
                                f"follows from it), not {', '.join(bad) or 'nothing'}")
            add(f"{family}.target_ii", table["target_ii"], 1, 1 << 20, when)
            continue
        try:
            space = parse_space(known[family], table, f"{name}.{family}",
                                allow_fixed=True)
        except ParamError as error:
            raise SpecError(str(error)) from None
        for dimension in space.dimensions:
            inner = {f"{name}.{family}.{k}": v for k, v in dimension.when.items()}
            dims.append(dataclasses.replace(dimension, name=f"{name}.{family}.{dimension.name}",
                                            when={**when, **inner}))
        fixed.update({f"{name}.{family}.{k}": v for k, v in space.fixed.items()})
    return TaskSpec(name, dataset, dict(options), tuple(family_list)), dims, fixed


def network_only(spec: CodesignSpec) -> CodesignSpec:
    """The first phase of a sequential search: the same networks, no hardware, maximize
    the mean accuracy (network architecture search alone)."""
    dims = tuple(d for d in spec.space.dimensions if _network_choice(d.name))
    fixed = {k: v for k, v in spec.space.fixed.items() if _network_choice(k)}
    tasks = tuple(dataclasses.replace(t, families=()) for t in spec.tasks)
    space = JointSpace("codesign", dims, fixed, tasks, spec.space.training)
    return CodesignSpec(f"{spec.name}-network", spec.target, spec.clock_mhz, space,
                        (("accuracy", "maximize"),), (), "")


def with_networks(spec: CodesignSpec, point: Mapping[str, Any]) -> CodesignSpec:
    """The second phase of a sequential search: the networks fixed at ``point``, the
    hardware searched with the spec's objectives and constraints. Precision choices the
    fixed networks cannot use (an array too narrow for their operands or accumulators) are
    left out, as a hardware designer who knows the network would."""
    from dse.qnn.train import TrainConfig

    chosen = {k: v for k, v in point.items() if _network_choice(k)}
    values = {**spec.space.fixed, **chosen}
    dims = []
    for dimension in spec.space.dimensions:
        if _network_choice(dimension.name):
            continue
        task_name, _, rest = dimension.name.partition(".")
        family, _, field = rest.partition(".")
        task = next(t for t in spec.tasks if t.name == task_name)
        if family in families() and network_mapping(family) == "layers" \
                and isinstance(dimension, Choice):
            depth = values[f"{task_name}.depth"]
            config = TrainConfig(
                hidden=tuple(values[f"{task_name}.width{i}"] for i in range(1, depth + 1)),
                weight_bits=values[f"{task_name}.weight_bits"],
                act_bits=values[f"{task_name}.act_bits"], **spec.space.training)
            need = _least_need(spec, task, config, family, dimension.name, values)
            if field in need:
                usable = tuple(v for v in dimension.values if int(v) >= need[field])
                if usable:
                    dimension = dataclasses.replace(dimension, values=usable)
        dims.append(dimension)
    space = dataclasses.replace(spec.space, dimensions=tuple(dims), fixed=values)
    return dataclasses.replace(spec, name=f"{spec.name}-hardware", space=space, source="")


def _least_need(spec: CodesignSpec, task: TaskSpec, config: Any, family: str, skip: str,
                values: Mapping[str, Any]) -> dict[str, int]:
    """Per width field, the least a ``family`` array needs for the network of ``config``
    over every value of the family's other searched choices (such as which operand a
    bit-serial array serializes): a value below it suits no design."""
    prefix = f"{task.name}.{family}."
    fixed = {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}
    searched = [d for d in spec.space.dimensions
                if d.name.startswith(prefix) and d.name != skip and isinstance(d, Choice)]
    least: dict[str, int] = {}
    for combination in itertools.product(*(d.values for d in searched)):
        chosen = {d.name.removeprefix(prefix): v
                  for d, v in zip(searched, combination, strict=True)}
        need = precision_needs(task, config, families()[family], {**fixed, **chosen})
        for name, width in need.items():
            least[name] = min(least.get(name, width), width)
    return least


def _network_choice(name: str) -> bool:
    key = name.split(".", 1)[1]
    return key in ("depth", "weight_bits", "act_bits") or (
        key.startswith("width") and key[5:].isdigit())


def parse_codesign_text(text: str, base: Path = Path(".")) -> CodesignSpec:
    """A co-design spec from TOML text.

    Raises:
        SpecError: for bad TOML or any invalid key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"spec is not valid TOML: {error}") from None
    return parse_codesign(data, text, base)


