"""The one registry of generators: a frozen spec per versioned name.

``sim`` (testbench, golden model) and ``dse`` (space, analytic models) key their parts by
the same versioned name, and a conformance test checks that every layer knows every
registered generator.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from hw.bitserial.params import BitSerialParams
from hw.params import Params
from hw.pim.params import PimParams
from hw.qmlp.params import QmlpParams
from hw.systolic.params import SystolicParams

T = TypeVar("T")

if TYPE_CHECKING:
    from amaranth.lib.wiring import Component


class UnknownGeneratorError(KeyError):
    """No generator of that name; the message lists the valid ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class GeneratorSpec:
    """A registered generator: its versioned name, parameter class and component."""

    name: str                 # "systolic-v1"
    family: str               # "systolic"
    params_class: type[Params]
    component_path: str       # "module:ClassName", imported only when building
    summary: str

    def build(self, params: Params) -> Component:
        """Instantiate the Amaranth component for ``params``.

        Raises:
            TypeError: if ``params`` belong to another generator.
        """
        if not isinstance(params, self.params_class):
            raise TypeError(f"{self.name} needs {self.params_class.__name__}, "
                            f"not {type(params).__name__}")
        module_name, _, attr = self.component_path.partition(":")
        component_class = getattr(importlib.import_module(module_name), attr)
        return component_class(params)


_GENERATORS: dict[str, GeneratorSpec] = {
    spec.name: spec for spec in (
        GeneratorSpec("systolic-v1", "systolic", SystolicParams,
                      "hw.systolic.array:SystolicArray",
                      "output- or weight-stationary systolic array for GEMM"),
        GeneratorSpec("bitserial-v1", "bitserial", BitSerialParams,
                      "hw.bitserial.array:BitSerialArray",
                      "bit-serial GEMM array: precision set per run, per-group scales"),
        GeneratorSpec("pim-v1", "pim", PimParams, "hw.pim.controller:PimController",
                      "DRAM processing-in-memory controller for GEMV (HBM-PIM style)"),
        GeneratorSpec("qmlp-v1", "qmlp", QmlpParams, "hw.qmlp.accelerator:QmlpAccelerator",
                      "streaming dataflow accelerator for a quantized MLP (FINN-style "
                      "MVAUs, PE/SIMD folding)"),
    )
}


def lookup(table: Mapping[str, T], name: str, what: str,
           error: type[Exception] = UnknownGeneratorError) -> T:
    """``table[name]``, or ``error`` saying "no <what> for 'name'; known: ..." (the helper of
    every per-generator registry: testbenches, models, features).

    Raises:
        error: if ``name`` is not in ``table``.
    """
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise error(f"no {what} for {name!r}; known: {known}") from None


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
