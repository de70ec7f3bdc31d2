"""How much of a family's LUT models' error (``qmlp-v1``, ``pim-v1``) a model of the same
features could remove, from the recorded area samples alone (no synthesis): 10-fold
cross-validation over every design sampled on all three ECP5 targets (the fitted ones and
the held-out draws) of

- ``linear``: the shipped model's form, its LUT features fitted by
  ``dse.models.area.fit`` (non-negative least squares on relative error);
- ``linear + boosted``: that fit with a gradient-boosted correction of its log residual,
  learnt from the same features (each over the linear estimate) and the estimate's log;
  a flexible model of the features the linear one reads, so its error bounds what
  reweighting or combining those features could gain;
- on ``ecp5-85k`` and ``ecp5-85k-nowidelut`` also the design's *measured* LUTs on
  ``ecp5-85k-area`` (the same netlist up to ABC's LUT mapping) times the median ratio of
  the training folds, and boosted from those LUTs and the features: what is left when the
  area-oriented mapping's count is known exactly, the part of the error that ABC's
  delay-driven mapping (``synth_ecp5``'s ``abc9`` without a delay target) adds;
- on ``ecp5-85k`` the same from its measured LUTs on ``ecp5-85k-nowidelut`` (the same
  delay-driven mapping, to LUT4s only): the part that the wide functions (LUT5-LUT7 of
  LUT4s joined by PFUMX / L6MUX21) add.

    python bench/area_limits.py [--generator qmlp-v1]     # -> area_limits_<family>.{json,md}
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from area_common import params_key, sweep_result, write_sweep
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.model_selection import KFold

from dse.models.area import AreaSample, fit
from dse.models.registry import area_data, area_features, area_model

TARGETS = ("ecp5-85k-area", "ecp5-85k-nowidelut", "ecp5-85k")
#: Per target, the targets whose measured LUTs stand for "the mapping's count, known
#: exactly" (the same netlist, mapped another way)
REFERENCES = {"ecp5-85k-nowidelut": ("ecp5-85k-area",),
              "ecp5-85k": ("ecp5-85k-area", "ecp5-85k-nowidelut")}
FOLDS = 10
SEED = 0


def _boosted() -> GradientBoostingRegressor:
    return GradientBoostingRegressor(n_estimators=200, max_depth=3, learning_rate=0.05,
                                     subsample=0.8, random_state=SEED)


def linear_fit(rows: list[AreaSample], values: list[dict[str, float]],
               names: list[str], target: str) -> Callable[[np.ndarray], np.ndarray]:
    """The LUT coefficients (in ``names`` order) that the area models' own fit gives on
    the rows indexed, with the features ``values`` of each row worked out once."""
    found = {params_key(s.params): v for s, v in zip(rows, values, strict=True)}

    def coefficients(train: np.ndarray) -> np.ndarray:
        fits = fit([rows[i] for i in train], lambda params, _: found[params_key(params)],
                   {"lut": names}, target)
        return np.array(fits["lut"].coefficients)
    return coefficients


def _stats(predicted: np.ndarray, measured: np.ndarray) -> dict[str, float]:
    error = np.abs(predicted - measured) / np.maximum(measured, 1.0)
    return {"mean": float(error.mean()), "p95": float(np.percentile(error, 95)),
            "max": float(error.max()), "count": len(error)}


def cross_validate(count: int, predict: Callable[[np.ndarray, np.ndarray], np.ndarray]
                   ) -> np.ndarray:
    """Each design's prediction by ``predict(train, test)`` (index arrays) fitted without
    it, over :data:`FOLDS` seeded folds."""
    out = np.zeros(count)
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(np.arange(count)):
        out[test] = predict(train, test)
    return out


def methods(x: np.ndarray, y: np.ndarray, coefficients: Callable[[np.ndarray], np.ndarray],
            references: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cross-validated predictions of each method (``coefficients``: the linear fit on the
    rows indexed; ``references``: measured LUTs on the target's :data:`REFERENCES`)."""
    def linear(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return x[test] @ coefficients(train)

    def corrected(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        estimate = np.maximum(x @ coefficients(train), 1.0)
        inputs = np.column_stack([x / estimate[:, None], np.log(estimate)])
        model = _boosted().fit(inputs[train], np.log(y[train] / estimate[train]))
        return estimate[test] * np.exp(model.predict(inputs[test]))

    out = {"linear": cross_validate(len(y), linear),
           "linear + boosted": cross_validate(len(y), corrected)}
    for name, reference in references.items():
        def scaled(train: np.ndarray, test: np.ndarray,
                   reference: np.ndarray = reference) -> np.ndarray:
            return reference[test] * float(np.median(y[train] / reference[train]))

        def boosted(train: np.ndarray, test: np.ndarray,
                    reference: np.ndarray = reference) -> np.ndarray:
            inputs = np.column_stack([x / reference[:, None], np.log(reference)])
            model = _boosted().fit(inputs[train], np.log(y[train] / reference[train]))
            return reference[test] * np.exp(model.predict(inputs[test]))

        out[f"measured {name} LUTs x median ratio"] = cross_validate(len(y), scaled)
        out[f"measured {name} LUTs + boosted"] = cross_validate(len(y), boosted)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--generator", default="qmlp-v1", choices=("qmlp-v1", "pim-v1"))
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    start = time.monotonic()
    features = area_features(args.generator)
    samples = {target: {params_key(s.params): s for s in area_data(args.generator, target)[1]}
               for target in TARGETS}
    common = sorted(set.intersection(*(set(found) for found in samples.values())))
    results: dict[str, Any] = {}
    for target in TARGETS:
        names = list(area_model(args.generator, target).resources["lut"].fit.features)
        rows = [samples[target][key] for key in common]
        values = [features(s.params, target) for s in rows]
        x = np.array([[found.get(name, 0.0) for name in names] for found in values])
        y = np.array([s.measured["lut"] for s in rows])
        references = {name: np.array([samples[name][key].measured["lut"] for key in common])
                      for name in REFERENCES.get(target, ())}
        linear = linear_fit(rows, values, names, target)
        results[target] = {name: _stats(predicted, y) for name, predicted
                           in methods(x, y, linear, references).items()}
    family = args.generator.split("-")[0]
    result = {**sweep_result(f"area_limits_{family}", args.generator, "ecp5-85k"),
              "designs": len(common), "folds": FOLDS, "seed": SEED, "results": results,
              "wall_seconds": round(time.monotonic() - start, 1)}
    write_sweep(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"# What the {result['generator']} LUT features leave unexplained (ECP5)", "",
        f"Command: `{result['command']}` ({result['date']})  ",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}  ",
        f"Data: the recorded area samples (`dse/models/data/area_{result['generator']}_"
        f"<target>.json`), the {result['designs']} designs "
        f"sampled on all three targets (fitted and held out); {result['folds']}-fold "
        f"cross-validation, seed {result['seed']}; wall time {result['wall_seconds']:.0f} s",
        "",
        "Each design's LUTs predicted by a model fitted without it (relative error, as the "
        "area reports). 'linear': the shipped model's form and features. 'linear + "
        "boosted': with a gradient-boosted correction from the same features. 'measured "
        "ecp5-85k-area LUTs': the design's LUT count as synthesized for ecp5-85k-area (the "
        "same netlist, LUTs mapped to the clock constraint), scaled by the median ratio or "
        "corrected by boosting on it and the features; 'measured ecp5-85k-nowidelut LUTs' "
        "the same from its count on ecp5-85k-nowidelut (the same delay-driven mapping as "
        "ecp5-85k, to LUT4s only: what is left is the wide functions').", "",
        "| target | predicted from | mean | p95 | max |", "|---|---|---|---|---|"]
    for target, found in result["results"].items():
        for name, stats in found.items():
            lines.append(f"| {target} | {name} | {stats['mean']:.2%} | {stats['p95']:.1%} | "
                         f"{stats['max']:.1%} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
