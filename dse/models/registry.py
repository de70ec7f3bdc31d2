"""Analytic cycle models keyed by versioned generator name (like ``hw.registry``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dse.models import systolic
from hw.registry import UnknownGeneratorError

CYCLE_MODELS: dict[str, Callable[[Any, Any], Any]] = {
    "systolic-v1": systolic.cycles,
}


def cycle_model(generator: str) -> Callable[[Any, Any], Any]:
    """The cycle model of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none is registered.
    """
    try:
        return CYCLE_MODELS[generator]
    except KeyError:
        known = ", ".join(sorted(CYCLE_MODELS))
        raise UnknownGeneratorError(f"no cycle model for {generator!r}; known: {known}") from None
