"""Every registered generator is known to every layer and passes the same checks."""

from __future__ import annotations

import pytest

from dse.models import registry as models
from flows.verilog import emit
from hw import registry
from sim.families import FAMILIES

#: Generators without a fitted area model yet, and why (say so in the README too).
AREA_EXEMPT: dict[str, str] = {}


@pytest.mark.parametrize("name", registry.names())
def test_every_layer_knows_the_generator(name):
    assert name in FAMILIES, f"sim has no testbench for {name}"
    simulation = FAMILIES[name]
    assert simulation.generator == name
    assert callable(simulation.gemm_job_builder())
    assert name in models.names(), f"dse.models has no models for {name}"
    record = models.family_models(name)
    assert record.generator == name
    assert all(callable(f) for f in (record.cycles, record.energy,
                                     record.energy_from_counters))
    assert 0 <= record.tolerance < 0.1
    if name in AREA_EXEMPT:
        assert record.area_features is None
    else:
        assert callable(record.area_features)
        assert models.area_model(name, "ecp5-85k").generator == name


@pytest.mark.parametrize("name", registry.names())
def test_default_params_elaborate_and_convert(name):
    spec = registry.get(name)
    artifact = emit(spec.params_class())
    assert f"module {artifact.top}(" in artifact.text


def test_layers_register_nothing_unknown():
    assert set(FAMILIES) <= set(registry.names())
    assert set(models.names()) <= set(registry.names())
