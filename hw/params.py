"""Shared machinery for generator parameters: validation helpers and string parsing.

Every generator family declares one frozen dataclass that derives from :class:`Params`
and validates itself in ``__post_init__`` with the ``check_*`` helpers below, so every
error message has the same form: "`rows` must be an integer in 1..64, not 0".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self


class ParamError(ValueError):
    """A parameter value is not allowed. The message names the parameter, the value and
    what is allowed."""


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is an integer in ``low..high``.

    Raises:
        ParamError: if it is not an integer (bools are rejected) or out of range.
    """
    allowed = f"{low}..{high}" if high is not None else f">= {low}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamError(f"`{name}` must be an integer in {allowed}, not {value!r}")
    if value < low or (high is not None and value > high):
        raise ParamError(f"`{name}` must be an integer in {allowed}, not {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool.

    Raises:
        ParamError: otherwise.
    """
    if not isinstance(value, bool):
        raise ParamError(f"`{name}` must be true or false, not {value!r}")
    return value


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``.

    Raises:
        ParamError: otherwise, listing the choices.
    """
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise ParamError(f"`{name}` must be one of {listed}, not {value!r}")
    return typing.cast(str, value)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, text: str, annotation: Any) -> Any:
    """Convert command-line text to the annotated type of field ``name``."""
    args = typing.get_args(annotation)
    if type(None) in args:  # Optional[X]
        if text.lower() in {"none", "null", ""}:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(name, text, inner[0])
    if annotation is bool:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ParamError(f"`{name}` must be true or false, not {text!r}")
    if annotation is int:
        try:
            return int(text, 0)
        except ValueError:
            raise ParamError(f"`{name}` must be an integer, not {text!r}") from None
    return text


@dataclasses.dataclass(frozen=True)
class Params:
    """Base class of every generator's parameter dataclass."""

    #: Versioned generator name, e.g. ``"systolic-v1"``; set by each subclass.
    generator: ClassVar[str] = ""
    #: How a trained network runs on this family (co-design): ``"layers"``, each layer as
    #: a GEMM on the array (the class gives :meth:`precision_fields`); ``"network"``, the
    #: network built into the hardware (the class gives ``for_network``); None: neither.
    network_mapping: ClassVar[str | None] = None
    #: Fields that name a file (a network). A file that stores parameters (an area model's
    #: samples) keeps these relative to its own folder: :meth:`paths_relative_to`,
    #: :meth:`paths_under`.
    path_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def precision_fields(cls, weights: int, activations: int, accumulator: int,
                         values: Mapping[str, Any]) -> dict[str, int]:
        """The smallest value of each width field that runs GEMMs of signed ``weights``-bit
        by ``activations``-bit operands whose sums need ``accumulator`` bits, given the
        other parameter ``values`` (families with ``network_mapping = "layers"``).

        Raises:
            NotImplementedError: for a family that does not run a network's layers.
        """
        raise NotImplementedError(f"{cls.generator} does not run a network's layers")

    def serial_bits(self, weights: int, activations: int) -> int | None:
        """The run-time precision of a GEMM of signed ``weights``-bit by ``activations``-bit
        operands (None: a bit-parallel family, whose precision is fixed in hardware)."""
        return None

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """Build parameters from a mapping; string values (from a command line or a file)
        are converted to the field's type.

        Raises:
            ParamError: for an unknown name or a value that fails validation.
        """
        hints = typing.get_type_hints(cls)
        known = cls.field_names()
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                listed = ", ".join(f"`{k}`" for k in known)
                raise ParamError(f"unknown parameter `{key}` for {cls.generator}; known: {listed}")
            kwargs[key] = _coerce(key, value, hints[key]) if isinstance(value, str) else value
        return cls(**kwargs)

    @classmethod
    def from_strings(cls, assignments: Iterable[str]) -> Self:
        """Build parameters from ``key=value`` strings, as given to ``-p`` on the command line.

        Raises:
            ParamError: for a malformed assignment, a name given twice, an unknown name or
                a bad value.
        """
        values: dict[str, str] = {}
        for item in assignments:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ParamError(f"parameter assignment must look like key=value, not {item!r}")
            if key.strip() in values:
                raise ParamError(f"`{key.strip()}` is given twice ({key.strip()}="
                                 f"{values[key.strip()]} and {item.strip()}); give it once")
            values[key.strip()] = value.strip()
        return cls.from_mapping(values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def paths_relative_to(cls, values: Mapping[str, Any], base: Path) -> dict[str, Any]:
        """``values`` with each :attr:`path_fields` value that lies under folder ``base``
        written relative to it (others unchanged)."""
        out = dict(values)
        for name in cls.path_fields:
            if out.get(name) and Path(out[name]).resolve().is_relative_to(base.resolve()):
                out[name] = Path(out[name]).resolve().relative_to(base.resolve()).as_posix()
        return out

    @classmethod
    def paths_under(cls, values: Mapping[str, Any], base: Path) -> dict[str, Any]:
        """``values`` with each relative :attr:`path_fields` value taken under folder
        ``base`` (the inverse of :meth:`paths_relative_to`)."""
        out = dict(values)
        for name in cls.path_fields:
            if out.get(name) and not Path(out[name]).is_absolute():
                out[name] = str(base / out[name])
        return out

    def coordinates(self) -> dict[str, Any]:
        """The design as numbers and choices, which the coverage of a fitted model compares
        with its samples' (``dse.models.area.Coverage``): the fields themselves, unless a
        family's fields hold compound values (a list of sizes in one string), which it
        gives as numbers instead."""
        return self.to_dict()

    def content_hash(self) -> str:
        """SHA-256 of the generator name and the (effective) parameter values."""
        blob = json.dumps({"generator": self.generator, "params": self.to_dict()},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()
