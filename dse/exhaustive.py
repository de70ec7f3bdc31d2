"""Exact fronts of finite spaces: every point of a space through the analytic models,
the feasible Pareto front computed exactly, the front stored as trials (so reports, the RTL
re-check and every reader of the study see it) and every point in one compact table.

The space's points are enumerated as arrays (:func:`point_columns`, in the order of
:meth:`dse.space.Space.points`). A hardware spec whose family has batch models
(``FamilyModels.batch``, :mod:`dse.models.batch`) is then validated and evaluated as
arrays, all points at once (:func:`batch_metrics`, equal to
:func:`dse.metrics.model_metrics` point by point; an invalid design's message comes from
the generator's params class itself); any other spec (another family, a co-design spec)
one point at a time through its params class and ``spec.evaluate``.

The table (:data:`TABLE_NAME`, in the run folder) is a compressed numpy archive of columns
(read it with :func:`read_table` or ``numpy.load``): ``point.<name>`` per searched
dimension (``present.<name>`` says where a conditional one applies), ``metric.<name>`` per
metric (NaN where the point could not be evaluated), ``feasible`` and ``pareto`` (bools),
``failure`` (an index into ``failure_messages``, whose first entry is '': evaluated). The
study attribute :data:`ATTR_EXHAUSTIVE` says how many points, feasible points and front
designs there are and names the table.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hw.params import ParamError

#: Spaces up to this many points are small enough for ``--sampler exhaustive`` on any
#: family: at the scalar models' 700-1,900 points per second on one core, under a minute.
EXHAUSTIVE_LIMIT = 50_000
#: ... and up to this many for a hardware spec whose family has batch models: a
#: 1,048,576-point space took 40.6 s end to end (``bench/results/exhaustive_speed.md``).
BATCH_EXHAUSTIVE_LIMIT = 1 << 20
#: The most points ``--sampler exhaustive`` sweeps: it holds every point's columns in
#: memory (about 200 bytes a point).
MAX_POINTS = 1 << 23
#: The table of every point, in the run folder.
TABLE_NAME = "space_table.npz"
#: Study user attribute: ``{"points", "feasible", "front", "table"}`` of the last
#: exhaustive search.
ATTR_EXHAUSTIVE = "exhaustive"


@dataclasses.dataclass(frozen=True)
class SpaceTable:
    """Every point of a space with its outcome, as columns: ``points`` holds each searched
    dimension's value per point and ``present`` where it applies (its ``when`` holds);
    ``metrics`` each metric per point (NaN where the point could not be evaluated);
    ``failures`` an index into ``messages`` per point (``messages[0]`` is '': evaluated);
    ``feasible`` and ``front`` are indices of points."""

    points: Mapping[str, np.ndarray]
    present: Mapping[str, np.ndarray]
    metrics: Mapping[str, np.ndarray]
    failures: np.ndarray
    messages: tuple[str, ...]
    feasible: np.ndarray
    front: np.ndarray

    def __len__(self) -> int:
        return len(self.failures)

    def failure(self, index: int) -> str:
        """Why point ``index`` could not be evaluated ('' if it was)."""
        return self.messages[int(self.failures[index])]

    def point(self, index: int) -> dict[str, Any]:
        """The searched values of point ``index``, as :meth:`dse.space.Space.points` gives
        them."""
        return {name: values[index].item() for name, values in self.points.items()
                if self.present[name][index]}

    def metrics_of(self, index: int) -> dict[str, float] | None:
        """The metrics of point ``index`` (None: it could not be evaluated)."""
        if self.failures[index]:
            return None
        return {name: float(values[index]) for name, values in self.metrics.items()}


class _NoBatch(Exception):
    """The batch models cannot evaluate this space; evaluate it point by point."""


def point_columns(space: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every point of ``space`` as columns, in the order of :meth:`dse.space.Space.points`:
    per searched dimension its values (the dimension's first value where it does not
    apply) and where it applies. Only the dimensions a later ``when`` names are branched
    on; the others repeat whole blocks."""
    from dse.space import applies

    dims = space.dimensions
    named = {name for d in dims for name in d.when}

    def build(index: int, assigned: dict[str, Any]
              ) -> tuple[int, dict[str, tuple[np.ndarray, np.ndarray]]]:
        if index == len(dims):
            return 1, {}
        dimension = dims[index]
        values = np.array(dimension.all_values())
        if not applies(dimension, assigned):
            count, columns = build(index + 1, assigned)
            columns[dimension.name] = (np.full(count, values[0]), np.zeros(count, bool))
            return count, columns
        if dimension.name not in named:
            count, columns = build(index + 1, assigned)
            out = {name: (np.tile(v, len(values)), np.tile(p, len(values)))
                   for name, (v, p) in columns.items()}
            out[dimension.name] = (np.repeat(values, count),
                                   np.ones(count * len(values), bool))
            return count * len(values), out
        parts = [build(index + 1, {**assigned, dimension.name: value})
                 for value in dimension.all_values()]
        out = {name: (np.concatenate([columns[name][0] for _, columns in parts]),
                      np.concatenate([columns[name][1] for _, columns in parts]))
               for name in parts[0][1]}
        out[dimension.name] = (np.repeat(values, [count for count, _ in parts]),
                               np.ones(sum(count for count, _ in parts), bool))
        return sum(count for count, _ in parts), out

    _, columns = build(0, {})
    names = space.names
    return ({name: columns[name][0] for name in names},
            {name: columns[name][1] for name in names})


def evaluate_space(spec: Any) -> SpaceTable:
    """Every point of ``spec``'s space through the models, and the exact feasible front:
    as arrays where the family has batch models (see the module docstring), else point by
    point."""
    values, present = point_columns(spec.space)
    outcome = None
    models = _batch_models(spec)
    if models is not None and models.check is not None:
        try:
            outcome = _batch_outcome(spec, models, values, present)
        except _NoBatch:
            outcome = None
    if outcome is None:
        outcome = _scalar_outcome(spec)
    metrics, failures = outcome
    messages = tuple(dict.fromkeys(["", *failures]))
    codes = {message: code for code, message in enumerate(messages)}
    failure_codes = np.array([codes[failure] for failure in failures], dtype=np.int32)
    evaluated = failure_codes == 0
    for column in metrics.values():
        column[~evaluated] = np.nan
    if not metrics:  # no valid design
        empty = np.zeros(0, dtype=np.int64)
        return SpaceTable(values, present, metrics, failure_codes, messages, empty, empty)
    feasible = np.flatnonzero(evaluated & _meets(spec.constraints, metrics, len(failures)))
    objectives = np.stack([metrics[name][feasible] for name in spec.objective_names],
                          axis=1)
    front = feasible[pareto_mask(objectives, spec.directions)]
    return SpaceTable(values, present, metrics, failure_codes, messages, feasible, front)


def _params_builder(space: Any) -> Any:
    """A function from a point to its params, as :meth:`dse.space.Space.params` builds
    them, without its per-point type lookup where no value needs converting (a spec's
    values already have their fields' types, checked when the spec is read).

    Raises:
        ParamError: (from the function) if the generator rejects the point.
    """
    from dse.space import Space
    from hw.registry import get

    if type(space) is not Space:  # a joint co-design space builds its own designs
        return space.params
    params_class = get(space.generator).params_class
    hints = typing.get_type_hints(params_class)
    values = [(d.name, v) for d in space.dimensions for v in d.all_values()]
    if not all(not isinstance(value, str) or hints[name] is str
               for name, value in [*values, *space.fixed.items()]):
        return space.params
    fixed = dict(space.fixed)
    return lambda point: params_class(**{**fixed, **point})


def exhaustive_limit(spec: Any) -> int:
    """The largest space ``--sampler exhaustive`` sweeps in about a minute for ``spec``:
    :data:`BATCH_EXHAUSTIVE_LIMIT` with batch models, else :data:`EXHAUSTIVE_LIMIT`."""
    models = _batch_models(spec)
    return BATCH_EXHAUSTIVE_LIMIT if models is not None and models.check is not None \
        else EXHAUSTIVE_LIMIT


def _batch_models(spec: Any) -> Any:
    """The batch models of a hardware spec's family (None: evaluate point by point)."""
    from dse.models.registry import family_models, names
    from dse.spec.hardware import Spec

    if getattr(type(spec), "evaluate", None) is not Spec.evaluate \
            or spec.generator not in names():
        return None
    return family_models(spec.generator).batch


def _fields(space: Any, values: Mapping[str, np.ndarray], present: Mapping[str, np.ndarray]
            ) -> dict[str, np.ndarray]:
    """Every params field of every point, as :data:`dse.models.batch.Columns`: the point's
    value, else the spec's fixed value, else the field's default (an unset optional integer
    is 0).

    Raises:
        _NoBatch: where the columns cannot say it (a field without a default that the
            space leaves unset, an optional field that is not an integer, a value 0 given
            for an optional field).
    """
    from hw.registry import get

    size = len(next(iter(present.values())))
    columns = {}
    for field in dataclasses.fields(get(space.generator).params_class):
        name = field.name
        fallback = space.fixed.get(name, field.default)
        if fallback is dataclasses.MISSING:
            if name not in values or not present[name].all():
                raise _NoBatch(f"`{name}` has no value")
            fallback = None
        if fallback is None:
            given = values[name] if name in values else np.zeros(0, dtype=np.int64)
            if given.dtype.kind != "i" or (given == 0).any():
                raise _NoBatch(f"`{name}` is optional and not a positive integer")
            fallback = 0
        if name in values:
            columns[name] = np.where(present[name], values[name], fallback)
        else:
            columns[name] = np.full(size, fallback)
    return columns


def _batch_outcome(spec: Any, models: Any, values: Mapping[str, np.ndarray],
                   present: Mapping[str, np.ndarray]
                   ) -> tuple[dict[str, np.ndarray], list[str]]:
    """The metrics and failures of every point from the family's batch models; an
    invalid design's message from its params class.

    Raises:
        _NoBatch: as :func:`_fields` and :func:`batch_metrics`.
        RuntimeError: if the batch check refuses a design that the params class accepts
            (a bug in the family's batch check).
    """
    columns, valid = models.check(_fields(spec.space, values, present))
    failures = [""] * len(valid)
    build = _params_builder(spec.space)
    for index in np.flatnonzero(~valid).tolist():
        point = {name: column[index].item() for name, column in values.items()
                 if present[name][index]}
        try:
            build(point)
        except ParamError as error:
            failures[index] = f"invalid design: {error}"
        else:
            raise RuntimeError(f"the batch check of {spec.generator} refuses {point}, "
                               "which its params class accepts")
    if not valid.any():
        return {}, failures
    first = int(np.argmax(valid))  # invalid rows take a valid design's values
    columns = {name: np.where(valid, column, column[first]) for name, column in columns.items()}
    names = _metric_names(spec, build, values, present, valid)
    metrics, failed = batch_metrics(models, columns, spec, names)
    failures = [old or (f"invalid design: {new}" if new else "")
                for old, new in zip(failures, failed.tolist(), strict=True)]
    return metrics, failures


def _metric_names(spec: Any, build: Any, values: Mapping[str, np.ndarray],
                  present: Mapping[str, np.ndarray], valid: np.ndarray) -> list[str]:
    """The metrics ``spec.evaluate`` gives, in its order (the first valid design that runs
    the workload, of the first 100, evaluated).

    Raises:
        _NoBatch: if none of them runs the workload.
    """
    for index in np.flatnonzero(valid)[:100].tolist():
        point = {name: column[index].item() for name, column in values.items()
                 if present[name][index]}
        try:
            return list(spec.evaluate(build(point)))
        except ParamError:
            continue
    raise _NoBatch("no design of the first 100 runs the workload")


def _scalar_outcome(spec: Any) -> tuple[dict[str, np.ndarray], list[str]]:
    """``spec.evaluate`` of each valid point, one at a time, as columns."""
    build = _params_builder(spec.space)
    rows: list[Mapping[str, float] | None] = []
    failures = []
    for point in spec.space.points():
        try:
            rows.append(spec.evaluate(build(point)))
            failures.append("")
        except ParamError as error:
            rows.append(None)
            failures.append(f"invalid design: {error}")
    names = list(dict.fromkeys(name for row in rows if row for name in row))
    return {name: np.array([row[name] if row else np.nan for row in rows], dtype=np.float64)
            for name in names}, failures


def batch_metrics(models: Any, columns: Mapping[str, np.ndarray], spec: Any,
                  names: Sequence[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """:func:`dse.metrics.model_metrics` of every design in ``columns``, from the family's
    batch models ``models``, with the same operations in the same order (so the same
    values, bit for bit), and each design's failure ('' where it runs the workload).
    ``names`` are the metrics ``model_metrics`` gives, in its order.

    Raises:
        _NoBatch: where the batch area features refuse a design that the scalar model
            gives NaN area for (a target without memory primitives), or for a metric the
            batch path does not know.
    """
    from dse.models.area import RESOURCES, AreaModelError
    from dse.models.energy import load_energy_table
    from dse.models.registry import area_model

    size = len(next(iter(columns.values())))
    table = None if spec.energy_table is None else load_energy_table(spec.energy_table)
    cycles = np.zeros(size, dtype=np.int64)
    energy = np.zeros(size)
    busy = np.zeros(size)
    failure = np.full(size, "", dtype=object)
    macs = 0
    pes = np.zeros(size, dtype=np.int64)
    for layer in spec.workload:
        report = models.cycles(columns, layer.gemm)
        if report.failure is not None:
            failure = np.where(failure == "", report.failure, failure)
        cycles += layer.repeat * report.cycles
        energy += layer.repeat * models.energy(columns, layer.gemm, table)
        macs += layer.macs
        pes = report.pes
        utilization = (report.utilization if report.utilization is not None
                       else layer.gemm.macs / (report.cycles * report.pes))
        busy += layer.repeat * utilization * report.cycles
    resources = dict.fromkeys(RESOURCES, np.full(size, np.nan))
    try:
        model = area_model(spec.generator, spec.target)
    except AreaModelError:
        model = None
    if model is not None and models.area_features is not None:
        try:
            features = models.area_features(columns, spec.target)
        except AreaModelError as error:
            raise _NoBatch(str(error)) from None
        resources = {name: _predict(resource.fit, features, size)
                     for name, resource in model.resources.items()}
    metrics = {
        "latency_cycles": cycles.astype(np.float64),
        "latency_s": cycles / (spec.clock_mhz * 1e6),
        "energy_pj": energy, **{name: resources[name] for name in RESOURCES},
        "pes": pes.astype(np.float64), "utilization": busy / cycles,
        "macs_per_cycle": macs / cycles,
    }
    if "fmax_mhz" in names:
        fmax = _batch_fmax(spec, columns, size)
        metrics.update(fmax_mhz=fmax, latency_s_at_fmax=cycles / (fmax * 1e6))
    if list(metrics) != list(names):
        raise _NoBatch(f"the scalar metrics are {names}, the batch ones {list(metrics)}")
    return metrics, failure


def _batch_fmax(spec: Any, columns: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """The clock model's Fmax (``dse.models.clock``: a linear delay model of generic
    parameter features and the family's own) of every design, as ``ClockModel.estimate``
    computes it (NaN without a model)."""
    import math

    from dse.models.batch import linear_sum, per_unique
    from dse.models.clock import find_clock_model
    from dse.models.registry import family_models

    model = find_clock_model(spec.generator, spec.target)
    if model is None:
        return np.full(size, np.nan)
    features: dict[str, np.ndarray] = {"one": np.ones(size)}
    for name, column in columns.items():  # clock.param_features, on arrays
        if column.dtype.kind in "iuf":  # an unset optional integer (0) gives nothing
            given = column != 0 if name in _optional_fields(spec) else np.ones(size, bool)
            features[name] = np.where(given, column.astype(np.float64), 0.0)
            features[f"log2_{name}"] = np.where(given, per_unique(
                lambda value: math.log2(max(float(value), 1.0)), column), 0.0)
        else:
            for value in np.unique(column).tolist():
                features[f"{name}={value}"] = (column == value).astype(np.float64)
    batch = family_models(spec.generator).batch
    if batch is not None and batch.clock_features is not None:
        features.update(batch.clock_features(columns, spec.target))
    zero = np.zeros(size)
    delay = linear_sum([(coefficient, features.get(name, zero)) for name, coefficient
                        in zip(model.fit.features, model.fit.coefficients, strict=True)], size)
    return 1000.0 / np.maximum(delay, 1e-3)


def _optional_fields(spec: Any) -> set[str]:
    """The params fields whose default is None (0 in the columns where unset)."""
    from hw.registry import get

    return {field.name for field in dataclasses.fields(get(spec.generator).params_class)
            if field.default is None}


def _predict(fit: Any, features: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """``fit.predict`` (:class:`dse.models.area.LinearFit`) of every design: the products
    added from 0 in the fit's order."""
    from dse.models.batch import linear_sum

    return linear_sum([(coefficient, features[name]) for name, coefficient
                       in zip(fit.features, fit.coefficients, strict=True)], size)


def _meets(constraints: Sequence[Any], metrics: Mapping[str, np.ndarray], size: int
           ) -> np.ndarray:
    """Whether each point meets every constraint, as ``Constraint.violation(value) <= 0``
    decides (Python's ``max`` of the two sides, NaN included)."""
    ok = np.ones(size, dtype=bool)
    for constraint in constraints:
        value = metrics[constraint.metric]
        over = value - constraint.high if constraint.high is not None else np.full(size, -np.inf)
        under = constraint.low - value if constraint.low is not None else np.full(size, -np.inf)
        ok &= np.where(under > over, under, over) <= 0
    return ok


def pareto_mask(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Which rows of ``values`` no other row dominates (better or equal in every objective
    and better in one); rows with equal values are all kept.

    In lexicographic order a row can only be dominated by rows before it, so the first
    row left is on the front; it then removes every row it dominates, and so on."""
    keep = np.zeros(len(values), dtype=bool)
    if len(values) == 0:
        return keep
    loss = values * np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    remaining = np.lexsort(loss.T[::-1])  # by the first objective, then the next ones
    while remaining.size:
        first, rest = remaining[0], remaining[1:]
        keep[first] = True
        row, others = loss[first], loss[rest]
        dominated = np.all(row <= others, axis=1) & np.any(row < others, axis=1)
        remaining = rest[~dominated]
    return keep


def write_table(spec: Any, table: SpaceTable, path: Path) -> Path:
    """The table as a compressed numpy archive (see the module docstring), written to a
    temporary file and renamed."""
    import os

    arrays: dict[str, np.ndarray] = {}
    for name in spec.space.names:
        arrays[f"point.{name}"] = table.points[name]
        if not table.present[name].all():
            arrays[f"present.{name}"] = table.present[name]
    for name, values in table.metrics.items():
        arrays[f"metric.{name}"] = values
    for name, indices in (("feasible", table.feasible), ("pareto", table.front)):
        arrays[name] = np.zeros(len(table), dtype=bool)
        arrays[name][indices] = True
    arrays["failure"] = table.failures
    arrays["failure_messages"] = np.array(table.messages)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub
    temporary.replace(path)
    return path


def read_table(path: Path) -> dict[str, np.ndarray]:
    """The columns of a table written by :func:`write_table`: each searched dimension by
    name (an object array, None where it does not apply), each metric by name,
    ``feasible``, ``pareto``, and ``failure`` (each point's message, '' if evaluated)."""
    with np.load(path) as archive:
        data = {name: archive[name] for name in archive.files}
    columns: dict[str, np.ndarray] = {}
    for key, values in data.items():
        kind, _, name = key.partition(".")
        if kind == "point":
            column = values.astype(object)
            if f"present.{name}" in data:
                column[~data[f"present.{name}"]] = None
            columns[name] = column
        elif kind == "metric":
            columns[name] = values
    columns["feasible"], columns["pareto"] = data["feasible"], data["pareto"]
    columns["failure"] = data["failure_messages"].astype(object)[data["failure"]]
    return columns
