"""``hw.qmlp.accelerator.table_pe``: which PEs are truth tables, and their bits by hand."""

from __future__ import annotations

import numpy as np

from hw.qmlp.accelerator import TableBit, table_pe
from hw.qmlp.network import QuantLayer, QuantNetwork
from hw.qmlp.params import LayerFold


def _layer(weights, thresholds, input_bits=1):
    hidden = QuantLayer(np.array(weights), 3, thresholds=np.array(thresholds), act_bits=1)
    last = QuantLayer(np.ones((1, len(weights)), dtype=int), 3)
    network = QuantNetwork(input_bits, (hidden, last))
    return network, LayerFold(len(weights[0]), len(weights), len(weights), len(weights[0]))


def test_table_bits_by_hand():
    """x0 - x1 >= 1 is x0 AND NOT x1 (table 0b0010 over x0, x1); x0 >= 1 with x1's weight
    0 is the wire x0; 2 x0 >= 3 never holds; -x1 >= 0 is NOT x1 over x1 alone (the
    table keeps only the bits the output depends on)."""
    network, fold = _layer([[1, -1], [1, 0], [2, 0], [0, -1]], [[1], [1], [3], [0]])
    assert [table_pe(network, 0, fold, p) for p in range(4)] == [
        (TableBit(inputs=((0, 0), (1, 0)), table=0b0010),),
        (TableBit(wire=(0, 0)),),
        (TableBit(constant=0),),
        (TableBit(inputs=((1, 0),), table=0b01),),
    ]


def test_only_small_pes_of_single_step_layers_are_tables():
    """More than 4 input bits (3 lanes of 2 bits) or a folded layer: adders, no table."""
    network, fold = _layer([[1, 1, 1], [1, 1, 0]], [[1], [1]], input_bits=2)
    assert table_pe(network, 0, fold, 0) is None
    assert table_pe(network, 0, fold, 1) is not None
    folded = LayerFold(fold.inputs, fold.outputs, 1, fold.simd)
    assert table_pe(network, 0, folded, 1) is None
