"""The record a generator family registers with the hardware layer.

A family lives in ``hw/<family>/`` and exports one :class:`GeneratorSpec` as
``GENERATOR``; ``hw/registry.py`` registers it with one line. The other layers (``sim``,
``dse.models``) register their own record for the same versioned name, so a family is
complete when every layer knows it, and a conformance test checks that.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from hw.params import Params

if TYPE_CHECKING:
    from amaranth.lib.wiring import Component

T = TypeVar("T")


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


def lookup(table: Mapping[str, T], name: str, what: str,
           error: type[Exception] = UnknownGeneratorError) -> T:
    """``table[name]``, or ``error`` saying "no <what> for 'name'; known: ..." (the helper of
    every per-generator registry: generators, simulations, models).

    Raises:
        error: if ``name`` is not in ``table``.
    """
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise error(f"no {what} for {name!r}; known: {known}") from None


def add_record(table: dict[str, T], name: str, record: T, what: str) -> T:
    """Register ``record`` under ``name`` in one layer's ``table``.

    Raises:
        ValueError: if another record already holds the name.
    """
    if name in table and table[name] is not record:
        raise ValueError(f"{name!r} already has a {what}")
    table[name] = record
    return record
