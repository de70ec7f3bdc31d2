"""Design spaces as data: one declaration per parameter, turned into Optuna distributions
(and, later, gymnasium / PettingZoo spaces) from the same source.

A dimension is fixed (one value), a choice among listed values, or an integer range with an
optional step. A dimension may apply only ``when`` other (earlier) dimensions have given
values, e.g. the accumulator depth of a weight-stationary array; elsewhere it is left out,
as in Optuna's define-by-run conditional parameters. The space knows the generator, so
every point becomes a validated params object; a point the generator rejects (e.g. an
accumulator narrower than two inputs) is an invalid design, reported with the generator's
message.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from hw.params import ParamError, Params
from hw.registry import get

Value = int | float | str | bool


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of ``values`` (ints, strings or bools)."""

    name: str
    values: tuple[Value, ...]
    when: Mapping[str, Value | tuple[Value, ...]] = dataclasses.field(default_factory=dict)

    def size(self) -> int:
        return len(self.values)

    def all_values(self) -> tuple[Value, ...]:
        return self.values


@dataclasses.dataclass(frozen=True)
class IntRange:
    """An integer in ``low..high`` (inclusive) on a grid of ``step``."""

    name: str
    low: int
    high: int
    step: int = 1
    when: Mapping[str, Value | tuple[Value, ...]] = dataclasses.field(default_factory=dict)

    def size(self) -> int:
        return (self.high - self.low) // self.step + 1

    def all_values(self) -> tuple[Value, ...]:
        return tuple(range(self.low, self.high + 1, self.step))


Dimension = Choice | IntRange


@dataclasses.dataclass(frozen=True)
class Space:
    """The searched dimensions of one generator's parameters, plus fixed values."""

    generator: str
    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, Value]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def size(self) -> int:
        """Number of points (valid or not), counted without enumerating them: only the
        dimensions a later ``when`` names are branched on."""
        dims = self.dimensions
        named = {name for d in dims for name in d.when}

        @functools.cache
        def count(index: int, assigned: tuple[tuple[str, Value], ...]) -> int:
            if index == len(dims):
                return 1
            dimension = dims[index]
            if not applies(dimension, dict(assigned)):
                return count(index + 1, assigned)
            if dimension.name not in named:
                return dimension.size() * count(index + 1, assigned)
            return sum(count(index + 1, (*assigned, (dimension.name, value)))
                       for value in dimension.all_values())

        return count(0, ())

    def points(self, pinned: Mapping[str, Value] | None = None) -> Iterator[dict[str, Value]]:
        """Every point, in a fixed order (the first dimension varies slowest), one at a
        time (a joint space can hold billions); a conditional dimension appears only where
        its condition holds. ``pinned`` restricts dimensions to one value each."""
        dims = self.dimensions
        pinned = pinned or {}

        def walk(index: int, point: dict[str, Value]) -> Iterator[dict[str, Value]]:
            if index == len(dims):
                yield dict(point)
                return
            dimension = dims[index]
            if not applies(dimension, point):
                yield from walk(index + 1, point)
                return
            values = ((pinned[dimension.name],) if dimension.name in pinned
                      else dimension.all_values())
            for value in values:
                point[dimension.name] = value
                yield from walk(index + 1, point)
            del point[dimension.name]

        yield from walk(0, {})

    def params(self, point: Mapping[str, Any]) -> Params:
        """The generator's params at ``point`` (fixed values filled in).

        Raises:
            ParamError: if the generator rejects the combination.
        """
        spec = get(self.generator)
        return spec.params_class.from_mapping({**self.fixed, **point})

    def check_values(self, where: str = "space", tries: int = 2000) -> None:
        """Refuse a value that no design of the space accepts: for each value of each
        dimension, look (in order, at most ``tries`` points) for a point with that value
        that the generator accepts. A value is refused when every point with it was tried
        and failed, or when every point tried failed on that very parameter.

        Raises:
            ParamError: naming the dimension, the value and the generator's reason.
        """
        for dimension in self.dimensions:
            for value in dimension.all_values():
                first_error: ParamError | None = None
                blames_value, exhausted = True, True
                for count, point in enumerate(self.points({dimension.name: value})):
                    if count == tries:
                        exhausted = False
                        break
                    if dimension.name not in point:
                        continue  # its condition does not hold here
                    try:
                        self.params(point)
                    except ParamError as error:
                        first_error = first_error or error
                        blames_value &= str(error).startswith(f"`{dimension.name}`")
                        continue
                    first_error = None
                    break
                if first_error is not None and (exhausted or blames_value):
                    raise ParamError(f"`{where}.{dimension.name}` = {value!r} is refused by "
                                     f"{self.generator} in every design of the space: "
                                     f"{first_error}")

    def distributions(self) -> dict[str, Any]:
        """Optuna distributions of the searched dimensions."""
        from optuna.distributions import CategoricalDistribution, IntDistribution

        out: dict[str, Any] = {}
        for d in self.dimensions:
            if isinstance(d, Choice):
                out[d.name] = CategoricalDistribution(list(d.values))
            else:
                out[d.name] = IntDistribution(d.low, d.high, step=d.step)
        return out


def _check_types(key: str, value: Any, annotation: Any) -> None:
    """Every value given for a parameter must have the parameter's type.

    Raises:
        ParamError: naming the key, the value and the expected type.
    """
    allowed = tuple(t for t in (typing.get_args(annotation) or (annotation,))
                    if t is not type(None))
    if isinstance(value, dict):
        values = list(value.get("values", [])) + [value[k] for k in ("low", "high", "step")
                                                  if k in value]
    else:
        values = value if isinstance(value, list) else [value]
    for item in values:
        ok = any(isinstance(item, t) and not (t is int and isinstance(item, bool))
                 for t in allowed)
        if not ok:
            names = " or ".join({int: "an integer", bool: "true/false", str: "a string"}.get(
                t, t.__name__) for t in allowed)
            raise ParamError(f"`{key}` must be {names}, not {item!r}")


def applies(dimension: Dimension, point: Mapping[str, Any]) -> bool:
    """Whether ``dimension`` is searched at ``point`` (its ``when`` condition holds: each
    named dimension has the given value, or one of the given values if a tuple)."""
    return all(point.get(name) in value if isinstance(value, tuple)
               else point.get(name) == value for name, value in dimension.when.items())


def parse_space(generator: str, table: Mapping[str, Any], where: str = "space", *,
                allow_fixed: bool = False) -> Space:
    """A space from a spec's ``[space]`` table: ``name = value`` (fixed),
    ``name = [v1, v2, ...]`` (choice) or ``name = {low = a, high = b, step = s}``; with
    ``allow_fixed`` every value may be fixed (a part of a larger space).

    Raises:
        ParamError: naming the key, for unknown parameters or malformed dimensions.
    """
    spec = get(generator)
    known = spec.params_class.field_names()
    hints = typing.get_type_hints(spec.params_class)
    dimensions: list[Dimension] = []
    fixed: dict[str, Value] = {}
    for name, value in table.items():
        key = f"{where}.{name}"
        if name not in known:
            listed = ", ".join(known)
            raise ParamError(f"`{key}` is not a parameter of {spec.name}; known: {listed}")
        _check_types(key, value, hints[name])
        if isinstance(value, list):
            dimensions.append(_choice(key, name, value))
        elif isinstance(value, dict):
            dimensions.append(_table(key, name, value, dimensions))
        elif isinstance(value, int | str | bool | float):
            fixed[name] = value
        else:
            raise ParamError(f"`{key}` must be a value, a list of values or a table "
                             f"{{low, high, step}}, not {value!r}")
    if not dimensions and not allow_fixed:
        raise ParamError(f"`{where}` must search at least one parameter (a list or a range)")
    return Space(spec.name, tuple(dimensions), fixed)


def _table(key: str, name: str, table: Mapping[str, Any],
           earlier: list[Dimension]) -> Dimension:
    """``{values = [...]}`` or ``{low, high, step}``, each with an optional ``when``."""
    when = table.get("when", {})
    if not isinstance(when, dict) or not when:
        if "when" in table:
            raise ParamError(f"`{key}.when` must be a table of earlier dimension = value")
    searched = {d.name: d for d in earlier}
    for other, value in when.items():
        if other not in searched:
            raise ParamError(f"`{key}.when.{other}` must name an earlier searched "
                             f"dimension; earlier: {', '.join(searched) or 'none'}")
        if value not in searched[other].all_values():
            raise ParamError(f"`{key}.when.{other}` = {value!r} is not among the values of "
                             f"`{other}`")
    rest = {k: v for k, v in table.items() if k != "when"}
    if "values" in rest:
        if set(rest) != {"values"}:
            raise ParamError(f"`{key}` takes `values` or `low`/`high`/`step`, not both")
        choice = _choice(key, name, rest["values"])
        return dataclasses.replace(choice, when=dict(when))
    return dataclasses.replace(_int_range(key, name, rest), when=dict(when))


def _choice(key: str, name: str, value: Any) -> Choice:
    if not isinstance(value, list) or not value:
        raise ParamError(f"`{key}` must list at least one value")
    if len({type(v) for v in value}) != 1 or not all(
            isinstance(v, int | str | bool) for v in value):
        raise ParamError(f"`{key}` must list values of one type (integers, strings "
                         f"or booleans), not {value!r}")
    if len(set(value)) != len(value):
        raise ParamError(f"`{key}` lists a value twice: {value!r}")
    return Choice(name, tuple(value))


def _int_range(key: str, name: str, table: Mapping[str, Any]) -> IntRange:
    unknown = set(table) - {"low", "high", "step"}
    if unknown:
        raise ParamError(f"`{key}` has unknown keys {sorted(unknown)}; allowed: low, high, "
                         "step, values, when")
    try:
        low, high, step = table["low"], table["high"], table.get("step", 1)
    except KeyError as missing:
        raise ParamError(f"`{key}` needs `{missing.args[0]}`") from None
    for part, value in (("low", low), ("high", high), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"`{key}.{part}` must be an integer, not {value!r}")
    if step < 1 or high < low or (high - low) % step:
        raise ParamError(f"`{key}` must have low <= high and a step >= 1 that divides "
                         f"high - low, not low={low}, high={high}, step={step}")
    return IntRange(name, low, high, step)


def design_key(params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What identifies a design: its parameters, in name order."""
    return tuple(sorted(params.items()))


def suggest_point(space: Space, trial: Any) -> dict[str, Any]:
    """The design an Optuna trial proposes: each dimension of the space that applies,
    suggested in the space's order (the sampler decides, or a queued trial's values)."""
    point: dict[str, Any] = {}
    for dimension in space.dimensions:
        if not applies(dimension, point):
            continue
        if isinstance(dimension, Choice):
            point[dimension.name] = trial.suggest_categorical(
                dimension.name, list(dimension.values))
        else:
            point[dimension.name] = trial.suggest_int(
                dimension.name, dimension.low, dimension.high, step=dimension.step)
    return point
