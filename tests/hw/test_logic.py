"""Shared logic pieces (``hw.logic``) and the qmlp dot product's shift-and-add terms
(``hw.qmlp.accelerator.pe_terms``), checked by construction."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from amaranth.hdl import Module, Signal

from hw.logic import kept_sum, kept_sum_spans
from hw.qmlp.accelerator import CLEAR, SET, VARIES, pe_terms


@pytest.mark.parametrize("spans", [[], [(0, 3)], [(0, 3), (2, 5)], [(1, 4)] * 3,
                                   [(0, 2), (3, 7), (0, 3), (1, 3), (5, 9)], [(0, 1)] * 9])
def test_kept_sum_builds_the_adders_kept_sum_spans_counts(spans):
    """Operands ``x << low`` of ``high - low`` bits: every kept adder is as wide as
    :func:`kept_sum_spans` says, with the pairing it says (the first adder takes the first
    two operands)."""
    m = Module()
    values = [Signal(high - low).shift_left(low) for low, high in spans]
    total = kept_sum(m, values, "t")
    kept = [s.lhs for s in m._statements.get("comb", [])]  # one assignment per adder, in order
    adders = kept_sum_spans(spans)
    assert [len(s) for s in kept] == [result[1] for _, _, result in adders]
    if adders:
        assert adders[0][:2] == (spans[0], spans[1])
        assert adders[-1][2][0] == min(low for low, _ in spans)
    assert all(s.attrs.get("keep") == 1 for s in kept)
    if len(spans) > 1:
        assert total is kept[-1]


def _kinds(words: np.ndarray, bits: int) -> np.ndarray:
    stored = (words > 0).astype(np.int64) if bits == 1 else words & ((1 << bits) - 1)
    bit = (stored[:, :, None] >> np.arange(bits)) & 1        # word, lane, bit
    some, every = bit.max(axis=0).astype(bool), bit.min(axis=0).astype(bool)
    return np.where(some != every, VARIES, np.where(every, SET, CLEAR))


@pytest.mark.parametrize("bits", [1, 2, 3, 5])
def test_the_terms_of_every_rom_word_sum_to_the_dot_product(bits):
    """For ROMs of 1..3 words over 2 lanes, every word's terms (a gated term on where its
    weight bit is set) sum to the exact dot product with every 3-bit input pair; constant
    bits give ungated terms or none."""
    rng = np.random.default_rng(bits)
    values = [-1, 1] if bits == 1 else list(range(-(1 << (bits - 1)), 1 << (bits - 1)))
    for depth in (1, 2, 3):
        for _ in range(20):
            words = rng.choice(values, size=(depth, 2))
            kinds = _kinds(words, bits)
            terms = pe_terms(kinds, bits)
            for word in words:
                stored = (word > 0).astype(np.int64) if bits == 1 else word & ((1 << bits) - 1)
                for xs in itertools.product(range(8), repeat=2):
                    total = 0
                    for t in terms:
                        on = t.bit is None or (int(stored[t.lane]) >> t.bit) & 1
                        total += (-1 if t.negative else 1) * on * (xs[t.lane] << t.shift)
                    assert total == int(np.dot(word, xs))
            # no term for a bit clear in every word (bits > 1), gated ones only where it varies
            for t in terms:
                if bits > 1:
                    assert kinds[t.lane, t.shift] != CLEAR
                    assert (t.bit is not None) == (kinds[t.lane, t.shift] == VARIES)
                elif t.bit is not None:
                    assert kinds[t.lane, 0] == VARIES
