"""The analytic models of the registered generators (keyed like ``hw.registry``): each
family's ``dse/models/<family>.py`` exports its :class:`FamilyModels` as ``MODELS`` and is
registered below with one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dse.models import accel, bitserial, pim, qmlp, systolic
from dse.models.area import (
    DEFAULT_TARGET,
    AreaModel,
    AreaModelError,
    AreaReport,
    AreaSample,
    load_area_data,
)
from dse.models.family import FamilyModels, FeatureFunction
from hw.family import add_record, lookup
from hw.params import Params

__all__ = ["FamilyModels", "area", "area_data", "area_features", "area_model", "cycle_model",
           "family_models", "register"]

_MODELS: dict[str, FamilyModels] = {}


def register(models: FamilyModels) -> FamilyModels:
    """Register a family's models.

    Raises:
        ValueError: if another record holds the generator's name.
    """
    return add_record(_MODELS, models.generator, models, "model record")


register(systolic.MODELS)
register(bitserial.MODELS)
register(pim.MODELS)
register(qmlp.MODELS)
register(accel.MODELS)


def family_models(generator: str) -> FamilyModels:
    """The models of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none are registered.
    """
    return lookup(_MODELS, generator, "analytic models")


def names() -> tuple[str, ...]:
    """Every generator with registered models."""
    return tuple(_MODELS)


def cycle_model(generator: str) -> Callable[[Any, Any], Any]:
    """The cycle model of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none is registered.
    """
    return family_models(generator).cycles


def area_features(generator: str) -> FeatureFunction:
    """The area features of a versioned generator name.

    Raises:
        AreaModelError: if the family has no area model (or is not registered), listing
            the families that have one.
    """
    models = _MODELS.get(generator)
    if models is None or models.area_features is None:
        known = ", ".join(sorted(n for n, m in _MODELS.items() if m.area_features))
        raise AreaModelError(f"no area features for {generator!r}; known: {known}")
    return models.area_features


def area_data(generator: str, target: str = DEFAULT_TARGET
              ) -> tuple[AreaModel, tuple[AreaSample, ...]]:
    """The shipped area model of ``generator`` on ``target`` and its samples.

    Raises:
        AreaModelError: if there is none, or its data file is malformed.
    """
    return load_area_data(generator, target, area_features(generator))


def area_model(generator: str, target: str = DEFAULT_TARGET) -> AreaModel:
    """The shipped area model of ``generator`` on ``target``.

    Raises:
        AreaModelError: if there is none, or its data file is malformed.
    """
    return area_data(generator, target)[0]


def area(params: Params, target: str = DEFAULT_TARGET) -> AreaReport:
    """Estimated LUTs, FFs, DSPs and BRAMs of ``params`` on ``target``, with the model's
    recorded held-out error.

    Raises:
        AreaModelError: if there is no model for the generator on ``target``.
    """
    return area_model(params.generator, target).estimate(params)
