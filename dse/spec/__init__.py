"""Exploration specs: a TOML file names what to search and how to judge it.

``kind = "hardware"`` (the default, :mod:`dse.spec.hardware`) searches one generator's
parameters; ``kind = "codesign"`` (:mod:`dse.codesign.spec`) searches networks and hardware
together. Both share the parsers of :mod:`dse.spec.common`. Validation names the offending
key; unknown keys are rejected.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from dse.spec.common import Constraint, ObjectivesMixin, SpecError
from dse.spec.hardware import Spec

__all__ = ["Constraint", "ObjectivesMixin", "Spec", "SpecError", "load_spec",
           "parse_spec"]

def load_spec(path: Path) -> Any:
    """Read and validate a spec file.

    Raises:
        SpecError: for an unreadable file, bad TOML, or any invalid key or value.
    """
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise SpecError(f"cannot read spec {path}: {error.strerror}") from None
    return parse_spec(text, base=Path(path).parent)


def parse_spec(text: str, base: Path = Path(".")) -> Any:
    """Validate a spec given as TOML text: a hardware :class:`Spec`, or a
    :class:`dse.codesign.spec.CodesignSpec` for ``kind = "codesign"``.

    Raises:
        SpecError: naming the key that is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"spec is not valid TOML: {error}") from None
    kind = data.get("kind", "hardware")
    if kind == "codesign":
        from dse.codesign.spec import parse_codesign

        return parse_codesign(data, text, base)
    if kind != "hardware":
        raise SpecError(f"`kind` must be \"hardware\" or \"codesign\", not {kind!r}")
    from dse.spec.hardware import parse_hardware

    return parse_hardware({k: v for k, v in data.items() if k != "kind"}, text, base)
