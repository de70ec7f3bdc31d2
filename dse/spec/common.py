"""What every spec kind shares: the error type, budgets, objectives, and the parsers of the
keys every kind has (``target``, ``clock_mhz``, ``objectives``, ``constraints``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flows.targets import TARGETS
from hw.params import ParamError

_DIRECTIONS = ("minimize", "maximize")


class SpecError(ParamError):
    """An exploration spec is malformed; the message names the key."""


@dataclasses.dataclass(frozen=True)
class Constraint:
    """A budget on a metric: feasible when ``low <= value <= high``."""

    metric: str
    low: float | None
    high: float | None

    def violation(self, value: float) -> float:
        """Optuna's convention: <= 0 when feasible, else by how much it is violated."""
        over = value - self.high if self.high is not None else float("-inf")
        under = self.low - value if self.low is not None else float("-inf")
        return float(max(over, under))

    def __str__(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{self.metric} >= {self.low:g}")
        if self.high is not None:
            parts.append(f"{self.metric} <= {self.high:g}")
        return " and ".join(parts)


class ObjectivesMixin:
    """What every spec (hardware or co-design) derives from its ``objectives``."""

    objectives: tuple[tuple[str, str], ...]

    @property
    def directions(self) -> list[str]:
        return [direction for _, direction in self.objectives]

    @property
    def objective_names(self) -> list[str]:
        return [metric for metric, _ in self.objectives]


def target_and_clock(data: Mapping[str, Any]) -> tuple[str, float]:
    """A spec's ``target`` (default ``ecp5-85k``) and ``clock_mhz`` (default 100).

    Raises:
        SpecError: naming the key and the allowed values.
    """
    target = str(data.get("target", "ecp5-85k"))
    if target not in TARGETS:
        raise SpecError(f"`target` must be one of {', '.join(sorted(TARGETS))}, not {target!r}")
    clock = data.get("clock_mhz", 100.0)
    if isinstance(clock, bool) or not isinstance(clock, int | float) or clock <= 0:
        raise SpecError(f"`clock_mhz` must be a positive number, not {clock!r}")
    return target, float(clock)


def string_value(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise SpecError(f"`{key}` must be a non-empty string, not {value!r}")
    return value


def objectives_of(table: Any, known: list[str]) -> tuple[tuple[str, str], ...]:
    """``[objectives]``: metric = direction, each metric among ``known``."""
    if not isinstance(table, dict) or not table:
        raise SpecError("`objectives` must be a table of metric = \"minimize\" | \"maximize\"")
    out = []
    for metric, direction in table.items():
        if metric not in known:
            raise SpecError(f"`objectives.{metric}` is not a metric; known: "
                            f"{', '.join(known)}")
        if direction not in _DIRECTIONS:
            raise SpecError(f"`objectives.{metric}` must be \"minimize\" or \"maximize\", "
                            f"not {direction!r}")
        out.append((metric, direction))
    return tuple(out)


def constraints_of(table: Any, known: list[str]) -> tuple[Constraint, ...]:
    """``[constraints]``: metric = { min, max }, each metric among ``known``."""
    if not isinstance(table, dict):
        raise SpecError("`constraints` must be a table of metric = { max = ..., min = ... }")
    out = []
    for metric, bounds in table.items():
        where = f"constraints.{metric}"
        if metric not in known:
            raise SpecError(f"`{where}` is not a metric; known: {', '.join(known)}")
        if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
            raise SpecError(f"`{where}` must be a table with `max` and/or `min`, "
                            f"not {bounds!r}")
        values = {}
        for side in ("min", "max"):
            value = bounds.get(side)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                raise SpecError(f"`{where}.{side}` must be a number, not {value!r}")
            values[side] = None if value is None else float(value)
        if values["min"] is not None and values["max"] is not None \
                and values["min"] > values["max"]:
            raise SpecError(f"`{where}` has min > max")
        out.append(Constraint(metric, values["min"], values["max"]))
    return tuple(out)


def file_in_folder(key: str, value: Any, base: Path, error: type[ValueError] = SpecError
                   ) -> Path:
    """The file a spec names under ``key``: relative to the spec's folder ``base`` and
    inside it. A spec is stored with its study and read by every worker, so it may not
    reach files elsewhere on the machine.

    Raises:
        error: for a value that is not a relative path inside ``base`` or names no file.
    """
    if not isinstance(value, str) or not value:
        raise error(f"`{key}` must be a file name relative to the spec's folder, "
                    f"not {value!r}")
    path = base / value
    if Path(value).is_absolute() or not path.resolve().is_relative_to(base.resolve()):
        raise error(f"`{key}` must name a file inside the spec's folder {str(base)!r} "
                    f"(relative, no way out through `..` or links), not {value!r}")
    if not path.is_file():
        raise error(f"`{key}` {value!r}: no such file in {str(base)!r}")
    return path
