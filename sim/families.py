"""The simulation records of the registered generators (keyed like ``hw.registry``): each
family's ``sim/<family>/`` package exports its :class:`sim.family.SimFamily` as
``SIMULATION`` and is registered below with one line."""

from __future__ import annotations

from hw.family import add_record, lookup
from sim import accel, bitserial, pim, qmlp, systolic
from sim.family import OperandsJob, SimFamily

__all__ = ["FAMILIES", "OperandsJob", "SimFamily", "register", "sim_family"]

FAMILIES: dict[str, SimFamily] = {}


def register(family: SimFamily) -> SimFamily:
    """Register a family's simulation record.

    Raises:
        ValueError: if another record holds the generator's name.
    """
    return add_record(FAMILIES, family.generator, family, "simulation")


register(systolic.SIMULATION)
register(bitserial.SIMULATION)
register(pim.SIMULATION)
register(qmlp.SIMULATION)
register(accel.SIMULATION)


def sim_family(generator: str) -> SimFamily:
    """Simulation parts of a versioned generator name.

    Raises:
        UnknownGeneratorError: if none are registered.
    """
    return lookup(FAMILIES, generator, "testbench")
