"""Small pieces of logic shared by the generators."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from amaranth.hdl import Const, Module, Signal, Value

T = TypeVar("T")


def tree_sum(values: Sequence[Value | int]) -> Value:
    """The sum of ``values`` as a balanced adder tree (widths grow as Amaranth's ``+`` does,
    so nothing wraps); ``Const(0, 1)`` for none. Counting set bits is the sum of the bits."""
    level: list[Value] = [Value.cast(v) for v in values] or [Const(0, 1)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def pairwise_tree(leaves: Sequence[T], join: Callable[[T, T], T]
                   ) -> tuple[T | None, list[tuple[T, T, T]]]:
    """The balanced tree of :func:`tree_sum` over ``leaves``: its root (None for no leaves)
    and each node ``(a, b, join(a, b))`` in the order built."""
    level = list(leaves)
    nodes: list[tuple[T, T, T]] = []
    while len(level) > 1:
        merged = []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                merged.append(level[i])
                continue
            merged.append(join(level[i], level[i + 1]))
            nodes.append((level[i], level[i + 1], merged[-1]))
        level = merged
    return (level[0] if level else None), nodes


def kept(m: Module, value: Value | int, name: str) -> Signal:
    """``value`` as a combinational signal ``name`` with the ``keep`` attribute: a boundary
    that Yosys and ABC do not merge or copy logic across. ABC9's delay-driven mapping
    (``abc9 -W 300`` in ``synth_ecp5``) otherwise copies a control signal's logic into
    every register bit it selects for, as wide LUTs that grow and move with unrelated
    parameters."""
    value = Value.cast(value)
    signal = Signal(value.shape(), name=name, attrs={"keep": 1})
    m.d.comb += signal.eq(value)
    return signal


def kept_sum(m: Module, values: Sequence[Value], name: str) -> Value:
    """The sum of unsigned ``values`` as the balanced adder tree of :func:`tree_sum`, each
    adder's result a combinational signal ``<name>_<n>`` with the ``keep`` attribute.

    Yosys then maps every adder to a carry chain of its own. Without the attribute,
    ``alumacc`` merges a whole tree into one ``$macc``, ``maccmap`` turns it into full adders
    in gates, and ABC's delay-driven mapping of those gates (``abc9 -W 300`` in
    ``synth_ecp5``) grows, and moves with constant inputs such as ROM contents.
    :func:`kept_sum_spans` gives the adders' widths without building them."""
    count = 0

    def add(a: Value, b: Value) -> Value:
        nonlocal count
        total = kept(m, a + b, f"{name}_{count}")
        count += 1
        return total

    root, _ = pairwise_tree([Value.cast(v) for v in values], add)
    return Const(0, 1) if root is None else root


def kept_sum_spans(spans: Sequence[tuple[int, int]]
                   ) -> list[tuple[tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """The adders :func:`kept_sum` builds for unsigned operands given as ``(low, high)``
    spans (``high`` bits wide, the bits below ``low`` zero, e.g. a value shifted left by
    ``low``), in the order built: each adder's operand spans and result span (the lower
    ``low``, one bit wider than the wider operand)."""
    return pairwise_tree(spans, lambda a, b: (min(a[0], b[0]), max(a[1], b[1]) + 1))[1]


def pack_array(values: Iterable[int], width: int) -> int:
    """Pack integers as consecutive ``width``-bit two's-complement elements, element 0 least
    significant (ROM words here, stream beats in ``sim``)."""
    word = 0
    mask = (1 << width) - 1
    for index, value in enumerate(values):
        word |= (int(value) & mask) << (index * width)
    return word
