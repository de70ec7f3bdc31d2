"""Small pieces of logic shared by the generators."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from amaranth.hdl import Const, Value


def tree_sum(values: Sequence[Value | int]) -> Value:
    """The sum of ``values`` as a balanced adder tree (widths grow as Amaranth's ``+`` does,
    so nothing wraps); ``Const(0, 1)`` for none. Counting set bits is the sum of the bits."""
    level: list[Value] = [Value.cast(v) for v in values] or [Const(0, 1)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def pack_array(values: Iterable[int], width: int) -> int:
    """Pack integers as consecutive ``width``-bit two's-complement elements, element 0 least
    significant (ROM words here, stream beats in ``sim``)."""
    word = 0
    mask = (1 << width) - 1
    for index, value in enumerate(values):
        word |= (int(value) & mask) << (index * width)
    return word
