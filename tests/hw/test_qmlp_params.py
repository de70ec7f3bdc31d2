"""qmlp-v1 parameters, the integer network format and its integer model."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from hw.params import ParamError
from hw.qmlp.network import QuantLayer, QuantNetwork, load_network, random_network
from hw.qmlp.params import QmlpParams, parse_folding


def test_folding_parses_and_defaults_to_fully_folded():
    assert parse_folding("", (16, 8, 4)) == ((1, 1), (1, 1))
    assert parse_folding("2x4, 4X8", (16, 8, 4)) == ((2, 4), (4, 8))
    folds = QmlpParams(folding="2x4,2x2").folds()
    assert [(f.neuron_fold, f.synapse_fold, f.cycles_per_vector) for f in folds] == [
        (4, 4, 16), (2, 4, 8)]


@pytest.mark.parametrize("folding, message", [
    ("3x1,1x1", r"^`folding` layer 0: PE must divide the layer's 8 outputs \(1, 2, 4, 8\), "
                r"not 3$"),
    ("1x5,1x1", r"^`folding` layer 0: SIMD must divide the layer's 16 inputs "
                r"\(1, 2, 4, 8, 16\), not 5$"),
    ("1x1", r"^`folding` needs one PExSIMD entry per layer \(2\), not 1"),
    ("1x1,axb", r"^`folding` entry 1 must look like PExSIMD"),
    ("1x1,4", r"^`folding` entry 1 must look like PExSIMD"),
])
def test_bad_folding_names_the_layer_and_allowed_values(folding, message):
    with pytest.raises(ParamError, match=message):
        QmlpParams(folding=folding)


@pytest.mark.parametrize("field, value, message", [
    ("weight_bits", 9, r"^`weight_bits` must be an integer in 1\.\.8, not 9$"),
    ("act_bits", 0, r"^`act_bits` must be an integer in 1\.\.8, not 0$"),
    ("layers", "16", r"^`layers` needs at least two sizes"),
    ("layers", "16,x", r"^`layers` must be comma-separated sizes"),
    ("weight_memory", "bram", r"^`weight_memory` must be one of 'logic', 'block', not 'bram'$"),
])
def test_bad_params(field, value, message):
    with pytest.raises(ParamError, match=message):
        QmlpParams(**{field: value})


def test_network_file_params_hold_its_shape_and_hash_its_weights(tmp_path):
    path = random_network((12, 6, 3), 2, 2, 1, seed=3).save(tmp_path / "n.qnet.json")
    params = QmlpParams.for_network(path, "3x4,3x2")
    assert (params.layers, params.weight_bits, params.act_bits) == ("12,6,3", 2, 2)
    with pytest.raises(ParamError, match=r"^`layers` must be '12,6,3' for network"):
        QmlpParams(network=str(path), layers="12,6,4")
    before = params.content_hash()
    other = random_network((12, 6, 3), 2, 2, 1, seed=4)
    other.save(path)
    assert QmlpParams.for_network(path, "3x4,3x2").content_hash() != before
    with pytest.raises(ParamError, match=r"^`network`: no exported network at"):
        QmlpParams.for_network(tmp_path / "missing.json")


def test_integer_model_matches_a_direct_computation():
    net = random_network((10, 7, 5, 3), 3, 2, 2, seed=1)
    x = np.random.default_rng(0).integers(0, 4, size=(50, 10))
    a = x
    for layer in net.layers:
        acc = np.array([[sum(int(w) * int(v) for w, v in zip(row, vec, strict=True))
                         for row in layer.weights] for vec in a])
        if layer.thresholds is None:
            a = acc
        else:
            a = np.array([[sum(int(s >= t) for t in layer.thresholds[j])
                           for j, s in enumerate(r)] for r in acc])
    assert (net.forward(x) == a).all()
    assert (net.predict(x) == np.argmax(a, axis=1)).all()
    # every activation level occurs somewhere in the random network's hidden layers
    hidden = net.forward(x, all_layers=True)[0]
    assert set(np.unique(hidden)) == {0, 1, 2, 3}


def test_network_json_round_trip(tmp_path):
    net = random_network((8, 4, 2), 1, 3, 4, seed=2)
    loaded = load_network(net.save(tmp_path / "net.json"))
    assert loaded.sha256() == net.sha256()
    assert (loaded.forward(np.ones((1, 8), dtype=int)) == net.forward(np.ones((1, 8),
                                                                               dtype=int))).all()
    data = json.loads((tmp_path / "net.json").read_text())
    data["schema"] = "other"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ParamError, match=r"not an exported network \(schema must be"):
        load_network(tmp_path / "bad.json")


def test_network_validation():
    w = np.ones((2, 3), dtype=int)
    with pytest.raises(ParamError, match=r"^`weights` of a 1-bit layer must be -1 or \+1$"):
        QuantLayer(np.zeros((2, 3), dtype=int), 1)
    with pytest.raises(ParamError, match=r"^`weights` of a 2-bit layer must be -2\.\.1$"):
        QuantLayer(w * 2, 2)
    with pytest.raises(ParamError, match=r"^`thresholds` must have shape \(2, 3\)"):
        QuantLayer(w, 2, np.zeros((2, 2), dtype=int), 2)
    with pytest.raises(ParamError, match=r"^`thresholds` must be ascending"):
        QuantLayer(w, 2, np.array([[0, 2, 1], [0, 1, 2]]), 2)
    hidden = QuantLayer(w, 2, np.array([[0, 1, 2], [0, 1, 2]]), 2)
    with pytest.raises(ParamError, match=r"^layer 1 takes 3 inputs but layer 0 has 2 outputs$"):
        QuantNetwork(1, (hidden, QuantLayer(np.ones((2, 3), dtype=int), 2)))
    with pytest.raises(ParamError, match=r"^the last layer outputs raw scores"):
        QuantNetwork(1, (hidden,))
    with pytest.raises(ParamError, match=r"^layer 0: thresholds must lie in 0\.\.4"):
        QuantNetwork(1, (QuantLayer(w, 2, np.array([[0, 1, 9], [0, 1, 2]]), 2),
                         QuantLayer(np.ones((2, 2), dtype=int), 2)))
    with pytest.raises(ParamError, match=r"^inputs must be unsigned 1-bit integers$"):
        QuantNetwork(1, (hidden, QuantLayer(np.ones((2, 2), dtype=int), 2))).forward(
            np.full((1, 3), 2))


def test_a_layer_of_one_step_per_neuron_group_has_no_accumulator():
    """A layer with ``synapse_fold = 1`` sums each neuron group in one step: its Verilog has
    no accumulator registers and no synapse counter (Yosys kept both while the RTL added a
    never-selected accumulator to the dot product); a layer that folds its inputs has both.
    Bit-exactness and cycles of both kinds: ``tests/sim/test_qmlp_rtl.py``."""
    from flows.verilog import emit

    def registers(folding):
        text = emit(QmlpParams(layers="8,4,2", folding=folding)).text
        return sorted(re.findall(r"reg (?:signed )?(?:\[\d+:0\] )?(\S*(?:acc|sf)\S*) ", text))

    assert registers("4x8,2x4") == []                            # both layers unrolled
    assert registers("4x2,2x4") == ["acc0", "acc1", "acc2", "acc3", "sf"]   # layer 0 folded
    assert registers("2x2,1x1") == ["acc0", "acc0", "acc1", "sf", "sf"]     # both folded
