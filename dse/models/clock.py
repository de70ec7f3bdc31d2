"""Analytic clock models: the Fmax a design reaches after place-and-route, as a fitted
function of its parameters.

A model is data: per (generator, target) one JSON file in ``dse/models/data`` named
``clock_<generator>_<target>.json`` (schema ``hwdse.clock-model/1``) with the feature
names and coefficients, the relative errors of Fmax on the training and held-out designs,
the coverage of the training designs and every design it was fitted to (parameters and
achieved Fmax), so the fit can be repeated without the tools. ``bench/clock_model.py``
places and routes the designs (``flows.synth.synthesize``) and writes the file.

The model predicts the critical-path delay ``1000 / Fmax`` (ns) as a nonnegative linear
function of features of the parameters (:func:`param_features`: each numeric parameter,
its base-2 logarithm and indicators of the other values, plus a family's own
``FamilyModels.clock_features`` where its parameters do not carry its structure as
numbers), fitted like the area models (nonnegative least squares on relative error,
:func:`dse.models.area.fit`). This module knows no family.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from dse.models.area import (
    AreaModelError,
    AreaSample,
    Coverage,
    ErrorStats,
    LinearFit,
    fit,
    relative_errors,
    shipped_json,
    stats_from_json,
)
from hw.params import Params
from hw.registry import get as get_generator

SCHEMA = "hwdse.clock-model/1"
DELAY = "delay_ns"


def param_features(params: Params, target: str = "") -> dict[str, float]:
    """Generic features of ``params``: ``one``; per numeric parameter ``x`` its value
    ``x`` and ``log2_x`` (of ``max(x, 1)``); per other parameter ``x`` with value ``v``,
    ``x=v`` is 1 (None values give nothing)."""
    out = {"one": 1.0}
    for name, value in params.to_dict().items():
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
            out[f"log2_{name}"] = math.log2(max(float(value), 1.0))
        else:
            out[f"{name}={value}"] = 1.0
    return out


def _features(params: Params, target: str) -> Mapping[str, float]:
    """The generic features and the family's own (``FamilyModels.clock_features``)."""
    from dse.models.registry import family_models

    values = param_features(params, target)
    extra = family_models(params.generator).clock_features
    if extra is not None:
        values.update(extra(params, target))
    return _WithDefault(values)


class _WithDefault(dict[str, float]):
    """Feature values, 0 for features of values the design does not have."""

    def __missing__(self, key: str) -> float:
        return 0.0


@dataclasses.dataclass(frozen=True)
class ClockReport:
    """Estimated Fmax of one design on one target, the model's held-out error, and where
    the design lies outside the model's samples (empty: inside)."""

    generator: str
    target: str
    fmax_mhz: float
    held_out_error: ErrorStats
    out_of_range: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "target": self.target,
                "fmax_mhz": self.fmax_mhz, "held_out_error": self.held_out_error.to_json(),
                "out_of_range": list(self.out_of_range)}


@dataclasses.dataclass(frozen=True)
class ClockModel:
    """A fitted clock model of one generator on one target."""

    generator: str
    target: str
    fit: LinearFit              # critical-path delay in ns
    train_error: ErrorStats     # relative error of Fmax
    held_out_error: ErrorStats
    coverage: Coverage
    provenance: Mapping[str, Any]

    def estimate(self, params: Params) -> ClockReport:
        """Estimated Fmax of ``params``.

        Raises:
            TypeError: if ``params`` belong to another generator.
        """
        if params.generator != self.generator:
            raise TypeError(f"the {self.generator} clock model cannot estimate "
                            f"{params.generator} params")
        values = _features(params, self.target)
        delay = max(self.fit.predict(values), 1e-3)
        return ClockReport(self.generator, self.target, 1000.0 / delay, self.held_out_error,
                           self.coverage.outside(params, values))

    def to_json(self, samples: Sequence[AreaSample]) -> dict[str, Any]:
        """The data file's content with ``samples`` (measured ``fmax_mhz``)."""
        return {
            "schema": SCHEMA, "generator": self.generator, "target": self.target,
            "provenance": dict(self.provenance), "coverage": self.coverage.to_json(),
            "coefficients": dict(zip(self.fit.features, self.fit.coefficients, strict=True)),
            "train_error": self.train_error.to_json(),
            "held_out_error": self.held_out_error.to_json(),
            "samples": [{"params": s.params.to_dict(), "split": s.split,
                         "fmax_mhz": 1000.0 / s.measured[DELAY]} for s in samples]}


def fmax_errors(linear: LinearFit, samples: Sequence[AreaSample], target: str) -> ErrorStats:
    """Relative errors of the Fmax ``linear`` predicts (through the delay) on ``samples``."""
    inverted = [AreaSample(s.params, {"fmax": 1000.0 / s.measured[DELAY]}, s.split)
                for s in samples]
    fmax_fit = _InverseFit(linear)
    return relative_errors(fmax_fit, _features, "fmax", inverted, target)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class _InverseFit:
    linear: LinearFit

    def predict(self, values: Mapping[str, float]) -> float:
        return 1000.0 / max(self.linear.predict(values), 1e-3)


def build_clock_model(generator: str, target: str, fmax: Sequence[tuple[Params, float, str]],
                      features: Sequence[str], provenance: Mapping[str, Any]
                      ) -> tuple[ClockModel, list[AreaSample]]:
    """Fit the delay of the ``train`` designs of ``fmax`` ((params, achieved MHz, split))
    on ``features`` and measure the Fmax error on the ``train`` and ``held_out`` ones.

    Raises:
        ValueError: if there are no training designs.
    """
    samples = [AreaSample(p, {DELAY: 1000.0 / mhz}, split) for p, mhz, split in fmax]
    train = [s for s in samples if s.split == "train"]
    held = [s for s in samples if s.split == "held_out"]
    linear = fit(train, _features, {DELAY: tuple(features)}, target)[DELAY]
    model = ClockModel(generator, target, linear, fmax_errors(linear, train, target),
                       fmax_errors(linear, held, target),
                       Coverage.of(train, _features, target, list(features)),
                       dict(provenance))
    return model, samples


def data_file_name(generator: str, target: str) -> str:
    """``clock_<generator>_<target>.json``, in ``dse/models/data``."""
    return f"clock_{generator}_{target}.json"


def parse_clock_data(data: Mapping[str, Any], origin: str = "<data>"
                     ) -> tuple[ClockModel, tuple[tuple[Params, float, str], ...]]:
    """The model and designs of a parsed data file.

    Raises:
        AreaModelError: for a wrong schema or a missing or malformed key, naming it.
    """
    def fail(message: str) -> AreaModelError:
        return AreaModelError(f"clock model {origin}: {message}")

    if data.get("schema") != SCHEMA:
        raise fail(f"`schema` must be {SCHEMA!r}, not {data.get('schema')!r}")
    try:
        generator, target = str(data["generator"]), str(data["target"])
        coefficients = {str(k): float(v) for k, v in data["coefficients"].items()}
        params_class = get_generator(generator).params_class
        designs = tuple((params_class.from_mapping(s["params"]), float(s["fmax_mhz"]),
                         str(s["split"])) for s in data["samples"])
        coverage = Coverage.from_json(data["coverage"])
    except KeyError as missing:
        raise fail(f"missing key `{missing.args[0]}`") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise fail(f"malformed: {error}") from None
    model = ClockModel(generator, target,
                       LinearFit(tuple(coefficients), tuple(coefficients.values())),
                       stats_from_json(data.get("train_error"), f"{origin}: `train_error`"),
                       stats_from_json(data.get("held_out_error"), f"{origin}: `held_out_error`"),
                       coverage, dict(data.get("provenance", {})))
    return model, designs


@functools.cache
def load_clock_model(generator: str, target: str) -> ClockModel:
    """The clock model of ``generator`` on ``target`` shipped with the package.

    Raises:
        AreaModelError: if there is none (listing the ones there are) or it is malformed.
    """
    payload, origin = shipped_json("clock", generator, target)
    return parse_clock_data(payload, origin)[0]


@functools.cache
def find_clock_model(generator: str, target: str) -> ClockModel | None:
    """:func:`load_clock_model`, or None where there is no model (remembered).

    Raises:
        AreaModelError: if the shipped data file is malformed.
    """
    data_dir = resources.files("dse.models").joinpath("data")
    if not data_dir.joinpath(data_file_name(generator, target)).is_file():
        return None
    return load_clock_model(generator, target)
