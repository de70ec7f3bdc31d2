"""What the area-model tests share: a shipped model's stored samples by split, and the
relative error the models report (``dse.models.area.relative_errors``' definition)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def split(samples: Sequence[Any], name: str) -> list[Any]:
    """The stored samples of split ``name`` (``train`` or ``held_out``)."""
    return [s for s in samples if s.split == name]


def relative(predicted: float, measured: float) -> float:
    """|predicted - measured| / max(measured, 1)."""
    return abs(predicted - measured) / max(measured, 1.0)
