"""Packing stream payloads to integers and back, from Amaranth layouts.

Testbenches never hard-code bit offsets: they ask the component's payload layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from amaranth.hdl import Shape
from amaranth.lib import data

from hw.logic import pack_array

__all__ = ["PayloadCodec", "from_bits", "pack_array", "to_twos", "unpack_array"]


def _offsets(layout: data.StructLayout) -> dict[str, tuple[int, Any]]:
    return {name: (field.offset, field.shape) for name, field in layout}


def to_twos(value: int, width: int) -> int:
    """``value`` as a ``width``-bit two's-complement bit pattern."""
    return value & ((1 << width) - 1)


def from_bits(bits: int, width: int, is_signed: bool) -> int:
    """Interpret the low ``width`` bits of ``bits`` as a (signed) integer."""
    bits &= (1 << width) - 1
    if is_signed and bits >> (width - 1):
        return bits - (1 << width)
    return bits


def unpack_array(word: int, width: int, count: int, is_signed: bool) -> list[int]:
    return [from_bits(word >> (index * width), width, is_signed) for index in range(count)]


class PayloadCodec:
    """Packs and unpacks one struct layout whose fields are scalars or arrays of scalars."""

    def __init__(self, layout: data.StructLayout) -> None:
        self.layout = layout
        self.width = Shape.cast(layout).width
        self.fields = _offsets(layout)

    def element(self, name: str) -> tuple[int, int, bool, int]:
        """(offset, element width, signed, length) of field ``name``."""
        offset, shape = self.fields[name]
        if isinstance(shape, data.ArrayLayout):
            element = Shape.cast(shape.elem_shape)
            return offset, element.width, element.signed, shape.length
        scalar = Shape.cast(shape)
        return offset, scalar.width, scalar.signed, 1

    def pack(self, values: Mapping[str, int | Sequence[int]]) -> int:
        """Pack a mapping of field name to int (scalar) or sequence of ints (array)."""
        word = 0
        for name, value in values.items():
            offset, width, _, length = self.element(name)
            if length == 1 and not isinstance(value, Sequence):
                word |= to_twos(int(value), width) << offset
            else:
                word |= pack_array(value, width) << offset  # type: ignore[arg-type]
        return word

    def field_word(self, name: str, value: int | Sequence[int]) -> int:
        """One field packed in place (to be OR-ed with other fields)."""
        return self.pack({name: value})

    def unpack(self, word: int, name: str) -> list[int]:
        offset, width, is_signed, length = self.element(name)
        return unpack_array(word >> offset, width, length, is_signed)
