"""Exact fronts of small spaces: every point of a finite space through the analytic models,
the feasible Pareto front computed exactly, the front stored as trials (so reports, the RTL
re-check and every reader of the study see it) and every point in one compact table.

The table is a gzipped CSV in the run folder (:data:`TABLE_NAME`: the point's searched
parameters, its metrics, whether it meets the constraints, whether it is on the front, and
why it could not be evaluated); the study attribute :data:`ATTR_EXHAUSTIVE` says how many
points, feasible points and front designs there are and names the table.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hw.params import ParamError

#: Spaces up to this many points are small enough for ``--sampler exhaustive``: at the
#: analytic models' 1,200-1,900 points per second on one core, under a minute.
EXHAUSTIVE_LIMIT = 50_000
#: The table of every point, in the run folder.
TABLE_NAME = "space_table.csv.gz"
#: Study user attribute: ``{"points", "feasible", "front", "table"}`` of the last
#: exhaustive search.
ATTR_EXHAUSTIVE = "exhaustive"


@dataclasses.dataclass(frozen=True)
class PointResult:
    """One point of the space: its metrics, or why it could not be evaluated."""

    point: Mapping[str, Any]
    metrics: Mapping[str, float] | None
    failure: str = ""


@dataclasses.dataclass(frozen=True)
class SpaceTable:
    """Every point of a space with its outcome; ``feasible`` and ``front`` are indices into
    ``rows``."""

    rows: tuple[PointResult, ...]
    feasible: tuple[int, ...]
    front: tuple[int, ...]


def evaluate_space(spec: Any) -> SpaceTable:
    """Every point of ``spec``'s space through the models, and the exact feasible front."""
    rows = []
    for point in spec.space.points():
        try:
            metrics = spec.evaluate(spec.space.params(point))
        except ParamError as error:
            rows.append(PointResult(point, None, f"invalid design: {error}"))
            continue
        rows.append(PointResult(point, metrics))
    feasible = tuple(index for index, row in enumerate(rows) if row.metrics is not None and all(
        constraint.violation(row.metrics[constraint.metric]) <= 0
        for constraint in spec.constraints))
    objectives = np.array([[(rows[index].metrics or {})[name] for name in spec.objective_names]
                           for index in feasible], dtype=np.float64
                          ).reshape(len(feasible), len(spec.objective_names))
    mask = pareto_mask(objectives, spec.directions)
    front = tuple(index for index, keep in zip(feasible, mask, strict=True) if keep)
    return SpaceTable(tuple(rows), feasible, front)


def pareto_mask(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Which rows of ``values`` no other row dominates (better or equal in every objective
    and better in one); rows with equal values are all kept."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    loss = values * np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    order = np.lexsort(loss.T[::-1])  # by the first objective, then the next ones
    keep = np.zeros(len(loss), dtype=bool)
    kept: list[np.ndarray] = []
    for index in order:
        row = loss[index]
        if kept:
            front = np.array(kept)
            if np.any(np.all(front <= row, axis=1) & np.any(front < row, axis=1)):
                continue
        keep[index] = True
        kept.append(row)
    return keep


def write_table(spec: Any, table: SpaceTable, path: Path) -> Path:
    """The table as a gzipped CSV, written to a temporary file and renamed."""
    dimensions = list(spec.space.names)
    metrics = sorted({k for row in table.rows if row.metrics for k in row.metrics})
    feasible, front = set(table.feasible), set(table.front)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with gzip.open(temporary, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*dimensions, *metrics, "feasible", "pareto", "failure"])
        for index, row in enumerate(table.rows):
            values = row.metrics or {}
            writer.writerow([row.point.get(name, "") for name in dimensions]
                            + [values.get(name, "") for name in metrics]
                            + [index in feasible, index in front, row.failure])
    temporary.replace(path)
    return path


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a table written by :func:`write_table`."""
    with gzip.open(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))
