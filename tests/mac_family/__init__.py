"""An example generator family that lives outside the package: a MAC chain (``mac-v1``).

It shows what a new family takes: its own modules (``hw.py``, ``sim.py``, ``models.py``)
and one registration line per layer (:func:`register`). The tests run it through
``hwdse generate``, ``simulate``, ``explore`` and ``report`` with no shared file changed.
"""

from __future__ import annotations


def register() -> None:
    """Register the family with every layer (idempotent)."""
    from dse.models.registry import register as register_models
    from hw.registry import register as register_generator
    from sim.families import register as register_simulation
    from tests.mac_family import hw, models, sim

    register_generator(hw.GENERATOR)
    register_simulation(sim.SIMULATION)
    register_models(models.MODELS)
