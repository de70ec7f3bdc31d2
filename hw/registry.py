"""The one registry of generators: a frozen spec per versioned name.

Each family exports its :class:`hw.family.GeneratorSpec` as ``GENERATOR`` and is registered
below with one line. ``sim`` (testbench, jobs) and ``dse.models`` (analytic models) register
their own record for the same versioned name, and a conformance test checks that every layer
knows every registered generator.
"""

from __future__ import annotations

from hw import accel, bitserial, pim, qmlp, systolic
from hw.family import GeneratorSpec, UnknownGeneratorError, add_record, lookup

__all__ = ["GeneratorSpec", "UnknownGeneratorError", "get", "lookup", "names", "register"]

_GENERATORS: dict[str, GeneratorSpec] = {}


def register(spec: GeneratorSpec) -> GeneratorSpec:
    """Register a generator family's spec (a family outside the package, such as the
    example family of the tests, calls this itself).

    Raises:
        ValueError: if another spec holds the name.
    """
    return add_record(_GENERATORS, spec.name, spec, "generator")


register(systolic.GENERATOR)
register(bitserial.GENERATOR)
register(pim.GENERATOR)
register(qmlp.GENERATOR)
register(accel.GENERATOR)


def names() -> tuple[str, ...]:
    """Every registered versioned name."""
    return tuple(_GENERATORS)


def get(name: str) -> GeneratorSpec:
    """The spec for a versioned name (``systolic-v1``) or a family (``systolic``: its newest
    version).

    Raises:
        UnknownGeneratorError: listing the valid names.
    """
    if name in _GENERATORS:
        return _GENERATORS[name]
    versions = sorted((s for s in _GENERATORS.values() if s.family == name),
                      key=lambda s: int(s.name.rsplit("-v", 1)[1]))
    if versions:
        return versions[-1]
    families = sorted({s.family for s in _GENERATORS.values()})
    listed = ", ".join(families + sorted(_GENERATORS))
    raise UnknownGeneratorError(f"unknown generator {name!r}; known: {listed}")
