"""Every shipped area model (``dse/models/data/area_<generator>_<target>.json``, issue 21)
holds what its data says: a refit from its training samples gives its coefficients, its
training and held-out designs are disjoint, and its recorded errors are the errors of its
stored samples. What is particular to a family (DSP and BRAM rules, features, coverage)
is tested beside the family (``test_area_<family>.py``, ``test_area_model.py``,
``test_area_ice40.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dse.models.area import RESOURCES, fit
from dse.models.registry import area_data, area_features
from tests.dse.area_samples import relative, split

DATA = Path(__file__).resolve().parents[2] / "dse" / "models" / "data"
#: (generator, target) of every shipped model, from its file name
SHIPPED = sorted(tuple(re.fullmatch(r"area_(.+-v\d+)_(.+)\.json", path.name).groups())
                 for path in DATA.glob("area_*.json"))


def test_the_shipped_models_are_found():
    assert ("systolic-v1", "ecp5-85k") in SHIPPED and ("systolic-v1", "ice40-up5k") in SHIPPED


@pytest.fixture(scope="module", params=SHIPPED, ids=[f"{g}-{t}" for g, t in SHIPPED])
def data(request):
    return area_data(*request.param)


def test_a_refit_from_the_training_samples_gives_the_shipped_coefficients(data):
    model, samples = data
    features = {r: m.fit.features for r, m in model.resources.items()}
    refit = fit(split(samples, "train"), area_features(model.generator), features,
                model.target)
    for resource in RESOURCES:
        assert refit[resource].features == model.resources[resource].fit.features
        assert refit[resource].coefficients == pytest.approx(
            model.resources[resource].fit.coefficients, rel=1e-6, abs=1e-9), resource
        assert min(model.resources[resource].fit.coefficients) >= 0, resource


def test_training_and_held_out_designs_are_disjoint(data):
    _, samples = data
    train, held_out = split(samples, "train"), split(samples, "held_out")
    assert train and held_out
    assert not {s.params for s in train} & {s.params for s in held_out}


def test_the_recorded_errors_are_the_errors_of_the_stored_samples(data):
    model, samples = data
    for resource, entry in model.resources.items():
        for name, recorded in (("train", entry.train_error),
                               ("held_out", entry.held_out_error)):
            errors = [relative(model.estimate(s.params).resources()[resource],
                                s.measured[resource]) for s in split(samples, name)]
            assert recorded.count == len(errors)
            assert recorded.mean == pytest.approx(np.mean(errors), abs=1e-12)
            assert recorded.p95 == pytest.approx(np.percentile(errors, 95), abs=1e-12)
            assert recorded.max == pytest.approx(max(errors), abs=1e-12)
