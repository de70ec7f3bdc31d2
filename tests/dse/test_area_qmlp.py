"""The fitted area model of ``qmlp-v1`` on ECP5 (``bench/area_qmlp.py``): refit from the
stored samples, the recorded errors, DSP / BRAM exact, and the partial-product feature
checked by hand (fast)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from dse.models.area import parse_area_data, shipped_data_dir, shipped_json
from dse.models.qmlp import qmlp_features, qmlp_layer_features, weight_rom_brams
from dse.models.registry import area_data
from hw.qmlp.network import QuantLayer, QuantNetwork
from hw.qmlp.params import QmlpParams
from tests.dse.area_samples import relative, split

GENERATOR, TARGET = "qmlp-v1", "ecp5-85k"
#: Held-out designs of the shipped fit: two fresh draws of 32 (seeds 2195 and 2196, since
#: session 37; bench/results/area_qmlp.md)
SHIPPED_HELD_OUT = 64
#: FFs follow the registers one for one: the shipped fit's largest FF error on any stored
#: design (train or held out) is below this. The largest, 1.66%, is a held-out design of
#: the seed-2156 draw (2-73-3-3-15 w4 a1 i3) in which Yosys drops 16 accumulator bits of
#: PEs whose terms are all shifted (low bits that stay 0); counting every such bit
#: over-counts (tried: FF train max 0.38% -> 1.38%), so the model does not. Since session
#: 21 the largest is 5.7%, 6-33-2-5 w2 a4 i1 [33x3,1x33,5x2] of the seed-2158 draw (625
#: FFs measured, 36 fewer than modelled); not yet explained: no activation bit of its
#: first layer is constant over the sums its weights allow (checked), so it is not the
#: case above. Since session 28 the largest is 7.6%, 4-7-2 w2 a1 i5 [7x4,2x7], one of the
#: fully unrolled probes (140 FFs measured, 151 modelled: Yosys keeps 9 fewer accumulator
#: bits and one output bit fewer; not yet explained either). Since session 31 (the
#: accumulators of SF = 1 layers gone in the RTL, the last layer's output flip-flops
#: counted per driver) the largest is 11.3%, 2-2-11 w6 a2 i3 [2x2,11x2], a training
#: design: its last layer's PEs depend on 4 input bits each and are priced from their truth
#: tables (``_collapsed_pes``), which merge sign bits that Yosys registers apart (117 FFs
#: measured, 104 modelled); merging none of them over-counts elsewhere by up to 54% (tried).
#: Since session 37 the PEs whose outputs nothing reads lose their accumulator and output
#: flip-flops (``_dead_pes``), which explains 6-33-2-5 (564 FFs, modelled 563.9) and
#: 4-7-2 above; the largest is then 9.0%, 2-43-83-37-12 w1 a2 i3 [43x2,1x43,37x1,2x37]
#: block (1,131 FFs measured, 1,233 modelled; not traced).
FF_LIMIT = 0.12


@pytest.fixture(scope="module")
def data():
    return area_data(GENERATOR, TARGET)


def test_held_out_draw_is_large_enough_and_disjoint(data):
    _, samples = data
    train = {s.params for s in split(samples, "train")}
    held_out = [s.params for s in split(samples, "held_out")]
    assert len(held_out) == SHIPPED_HELD_OUT
    assert not train & set(held_out)


def test_dsp_and_bram_are_exact_and_ffs_within_the_limit(data):
    model, samples = data
    for sample in samples:
        estimate = model.estimate(sample.params).resources()
        assert estimate["dsp"] == sample.measured["dsp"] == 0
        # the fitted bram_blocks coefficient is 1 to float precision; the count is exact
        assert round(estimate["bram"], 6) == sample.measured["bram"] \
            == weight_rom_brams(sample.params, TARGET)
        assert relative(estimate["ff"], sample.measured["ff"]) < FF_LIMIT, sample.params


@pytest.mark.parametrize("input_bits", [3, 8])
@pytest.mark.parametrize("seed", range(8))
def test_adder_costs_by_hand(seed, input_bits):
    """A 2-input, 1-output layer of 2-bit weights on ``i``-bit inputs, fully unrolled
    (constant weights): a weight with bit 0 set adds ``x`` (bits 0..i-1), one with its sign
    bit set subtracts ``x << 1`` (bits 1..i). Two added terms take an adder of bits 0..i,
    two subtracted ones one of bits 1..i+1 (i + 1 bits each, the shifted bit 0 passes
    through), and any subtracted term a subtraction from bit 1 to one above the wider
    side. An adder of 5 bits or more is a carry chain (two LUTs per two bits), a smaller
    one gates. A PE whose output depends on at most 4 input bits (one 3-bit lane: the
    other weight is 0) has no adders of its own: it is priced by its output functions
    (``collapsed_luts``, ``test_a_fully_unrolled_pe_of_few_input_bits_is_...``)."""
    i = input_bits
    params = QmlpParams(layers="2,1", weight_bits=2, input_bits=i, folding="1x2", seed=seed)
    weights = [int(v) & 3 for v in params.quant_network().layers[0].weights[0]]
    plus = sum(1 for v in weights if v & 1)
    minus = sum(1 for v in weights if v & 2)
    adders = [i + 1] * (plus == 2) + [i + 1] * (minus == 2)
    if minus:
        plus_high = {0: 1, 1: i, 2: i + 1}[plus]
        minus_high = i + 1 + (minus == 2)
        adders.append(max(plus_high, minus_high))        # bits 1 .. max(high)
    features = qmlp_layer_features(params, 0)
    if sum(1 for v in weights if v) * i <= 4:
        assert features["collapsed_pes"] == 1
        adders = []
    assert features["carry_luts"] == sum(2 * -(-b // 2) for b in adders if b >= 5)
    assert features["gate_adder_bits"] == sum(b for b in adders if b < 5)
    assert features["gated_bits"] == 0          # one ROM word: no weight bit varies


def test_a_rom_of_one_word_costs_no_rom_luts_and_folding_adds_them():
    unrolled = QmlpParams(layers="8,4", weight_bits=2, folding="4x8")
    folded = QmlpParams(layers="8,4", weight_bits=2, folding="1x2")
    assert qmlp_layer_features(unrolled, 0)["rom_luts"] == 0
    assert qmlp_layer_features(unrolled, 0)["slice_mux_luts"] == 0
    assert qmlp_layer_features(folded, 0)["rom_luts"] > 0
    assert qmlp_layer_features(folded, 0)["slice_mux_luts"] > 0


@pytest.mark.parametrize(("folding", "luts", "shared", "joins"), [
    ("1x1", 5 * (-(-12 // 2) + (-(-12 // 8) - 1)), False, 5 * 11),   # SF 12: 6 + 1 LUT4
    ("2x1", 5 * (-(-12 // 2) + (-(-12 // 8) - 1)), True, 5 * 11),    # per bit; two PEs
    ("2x4", 4 * 5 * -(-3 // 2), True, 4 * 5 * 2),                    # SF 3: 2 per bit
    ("2x12", 0, True, 0),                                            # SF 1: no multiplexer
])
def test_slice_multiplexer_by_hand(folding, luts, shared, joins):
    """The SF:1 multiplexer of each step's input slice: per picked bit (SIMD x input bits),
    two inputs per LUT4 joined by PFUMX / L6MUX21 up to 8, one more LUT4 per further 8;
    priced apart where more than one PE reads it; and as SF - 1 2:1 joins per bit
    (``slice_mux_join_luts``, for the targets without those join cells)."""
    params = QmlpParams(layers="12,2", weight_bits=3, input_bits=5, folding=folding)
    features = qmlp_layer_features(params, 0)
    assert features["slice_mux_luts"] == luts
    assert features["slice_mux_shared_luts"] == (luts if shared else 0)
    assert features["slice_mux_join_luts"] == joins


def test_rom_joins_by_hand():
    """A logic ROM of 64 words (a 1 x 1 layer of 32 inputs and 2 outputs): each distinct
    output bit that varies over the words is four 16-word slices, joined once fewer than
    its slices that are not all 0 (``rom_join_luts``); 16 words need no join, and a ROM
    in block RAM has none."""
    from hw.qmlp.accelerator import weight_bit_columns

    params = QmlpParams(layers="32,2", weight_bits=2, folding="1x1")
    network, fold = params.quant_network(), params.folds()[0]
    columns = weight_bit_columns(network, 0, fold)   # pe x words x simd x bits
    assert columns.shape[1] == 64
    varying = {columns[p, :, lane, bit].tobytes(): columns[p, :, lane, bit]
               for p in range(fold.pe) for lane in range(fold.simd)
               for bit in range(columns.shape[3])
               if len(set(columns[p, :, lane, bit])) > 1}
    assert varying
    joins = [max(0, sum(bool(column[s:s + 16].any()) for s in (0, 16, 32, 48)) - 1)
             for column in varying.values()]
    assert qmlp_layer_features(params, 0)["rom_join_luts"] == sum(joins)
    shallow = QmlpParams(layers="8,2", weight_bits=2, folding="1x1")   # 16 words
    assert qmlp_layer_features(shallow, 0)["rom_join_luts"] == 0
    block = dataclasses.replace(params, weight_memory="block")
    assert qmlp_layer_features(block, 0)["rom_join_luts"] == 0


@pytest.mark.synth
@pytest.mark.parametrize("params", [
    QmlpParams(layers="4,2,6,4,3", weight_bits=2, act_bits=1, input_bits=8, seed=764,
               folding="1x1,6x2,1x1,3x2"),
    QmlpParams(layers="6,4,2", weight_bits=3, act_bits=3, input_bits=4, seed=0,
               folding="4x3,2x4"),
], ids=["4-2-6-4-3", "6-4-2"])
def test_unread_pes_lose_their_accumulators_and_comparisons(params, tmp_path):
    """A PE whose outputs nothing reads (``_dead_pes``: in 4-2-6-4-3 the second layer's
    table PEs are all constant, so the first layer's one PE is read by nothing; in 6-4-2
    the second layer weighs the first layer's neuron 1 with 0 in every PE) keeps no
    accumulator flip-flops in Yosys 0.70, and its kept dot product stays (its kept wire is
    in the netlist before ABC); the model drops the PE's accumulator, comparisons and
    thresholds and keeps its adders. Checked in the area samples' flow (``ecp5-85k-area``),
    in its final netlist: Yosys drops those flip-flops only after ABC."""
    from dse.models.qmlp import _dead_pes

    gates, module = _area_flow_netlists(params, tmp_path)
    registered = _registered(module)
    nets = {name: set(net["bits"]) for name, net in module["netnames"].items()}
    network, folds = params.quant_network(), params.folds()
    dead_by_layer = _dead_pes(network, folds)
    assert dead_by_layer[0][0] and not dead_by_layer[0][1]   # dead, with a kept sum
    for index, (fold, (dead, _)) in enumerate(zip(folds, dead_by_layer, strict=True)):
        if fold.synapse_fold == 1:
            continue
        for p in range(fold.pe):
            accumulator = nets.get(f"layer{index}.acc{p}", set())
            assert bool(accumulator & registered) == (p not in dead), (index, p)
            if p in dead:
                assert f"layer{index}.dot{p}" in gates["netnames"]
        features = qmlp_layer_features(params, index)
        live = fold.pe - len(dead)
        assert features["acc_bits"] == live * network.accumulator_width(index)
    first = qmlp_layer_features(params, 0)
    everything = _dead_pes_ignored(params)
    assert first["carry_luts"] == everything["carry_luts"]
    assert first["gated_bits"] == everything["gated_bits"]
    assert first["out_bits"] < everything["out_bits"]


def _area_flow_netlists(params: QmlpParams, work: Path) -> tuple[dict, dict]:
    """``params`` through the area samples' flow (``ecp5-85k-area``): its netlist just
    before ABC maps the LUTs, and its final one (Yosys JSON modules)."""
    import json

    from flows.synth import synthesis_commands
    from flows.targets import TARGETS
    from flows.tools import YOSYS, run_tool
    from flows.verilog import emit

    artifact = emit(params)
    (work / "top.v").write_text(artifact.text)
    commands = synthesis_commands(TARGETS["ecp5-85k-area"], artifact.top)
    script = "; ".join(["read_verilog top.v", commands[0],
                        f"select {artifact.top}", "write_json -selected gates.json",
                        "select -clear", *commands[1:], "write_json final.json"])
    run_tool(YOSYS, ["-q", "-p", script], cwd=work, log_name="yosys.stdout", timeout=600)
    return tuple(json.loads((work / name).read_text())["modules"][artifact.top]
                 for name in ("gates.json", "final.json"))


def _registered(module: dict) -> set[int]:
    """The bits of a Yosys JSON module that flip-flops drive."""
    return {bit for cell in module["cells"].values()
            for bit in cell["connections"].get("Q", ())}


def _registered_bits(module: dict, net: str) -> int:
    """How many bits of ``net`` flip-flops drive in a Yosys JSON module."""
    return len(set(module["netnames"][net]["bits"]) & _registered(module))


@pytest.mark.synth
def test_one_step_pes_of_equal_weights_share_their_logic(tmp_path):
    """In a one-step layer (``SF = NF = 1``), PEs of equal weights compute one dot product
    and compare it once per distinct threshold, and PEs of equal weights and thresholds
    register one output; so do the next layer's capture and vector registers
    (``_pe_neuron``). Here the first layer's 24 PEs weigh three inputs by +-1: 8 distinct
    weight rows, 20 distinct neurons. Checked in Yosys 0.70, in the area samples' flow:
    the comparisons' carry chains before ABC take 8 distinct sums, and the output, capture
    and vector flip-flops are those of 20 neurons, as the model counts them; the model's
    comparisons and the inputs of the PEs' counts by hand."""
    from dse.models.qmlp import (
        _CARRY_CHAIN_MIN_BITS,
        _dot_product_bits,
        _pe_neuron,
        _trailing_zeros,
    )

    params = QmlpParams(layers="3,24,4", weight_bits=1, act_bits=2, input_bits=3, seed=1,
                        folding="24x3,4x24")
    network, fold = params.quant_network(), params.folds()[0]
    neurons = [_pe_neuron(network, 0, fold, p) for p in range(fold.pe)]
    rows = {row for row, _ in neurons}
    assert (len(rows), len(set(neurons))) == (8, 20)
    first, second = qmlp_layer_features(params, 0), qmlp_layer_features(params, 1)
    assert first["out_bits"] == 20 * params.act_bits
    assert second["vector_ff_bits"] == 2 * 20 * params.act_bits
    weights = network.layers[0].weights
    widths = [width for width, _, _ in _dot_product_bits(network, 0, fold)[3]]

    def reached(p: int) -> set[int]:
        """PE p's thresholds, but 0, inside its sum's width and what its weights let the
        dot product reach (inputs 0..7)."""
        low = max(-(1 << (widths[p] - 1)), 7 * weights[p][weights[p] < 0].sum())
        high = min((1 << (widths[p] - 1)) - 1, 7 * weights[p][weights[p] > 0].sum())
        return {t for t in neurons[p][1] if t != 0 and low < t <= high}

    # each distinct PE counts its own comparisons
    assert first["count_compares"] == sum(
        len(reached(p)) for p in {neuron: p for p, neuron in enumerate(neurons)}.values())
    # a carry chain per weight row and threshold, not per PE
    chains = {(neurons[p][0], t, widths[p] - _trailing_zeros(t))
              for p in range(fold.pe) for t in reached(p)}
    assert first["constant_compare_bits"] == sum(
        bits for _, _, bits in chains if bits >= _CARRY_CHAIN_MIN_BITS)

    gates, final = _area_flow_netlists(params, tmp_path)
    # the PEs' sums as signals (``layer0.total<p>``; one signal has the names of its PEs)
    sums = {frozenset(net["bits"]) for name, net in gates["netnames"].items()
            if name.startswith("layer0.total")}
    compared = {bits for cell in gates["cells"].values() if cell["type"] == "CCU2C"
                for bits in sums
                if bits & {bit for pin in ("A0", "A1", "B0", "B1")
                           for bit in cell["connections"][pin]}}
    assert len(compared) == len(rows)
    assert _registered_bits(gates, "layer0.out__payload") == first["out_bits"]
    for net in ("layer1.capture", "layer1.vector"):
        assert _registered_bits(final, net) == second["vector_ff_bits"] / 2


def _dead_pes_ignored(params: QmlpParams) -> dict[str, float]:
    """Layer 0's features with every PE taken as read (as the folding optimizer does)."""
    from dse.models.qmlp import _beat_features, _fold_features

    network, folds = params.quant_network(), params.folds()
    features = _fold_features(network, 0, folds[0], params.weight_memory)
    for name, value in _beat_features(network, 0, folds[0], folds[0].simd).items():
        features[name] = features.get(name, 0.0) + value
    return features


@pytest.mark.parametrize("seed", range(4))
def test_constant_threshold_comparisons_by_hand(seed):
    """A hidden layer of one neuron group (constant thresholds) that accumulates over two
    steps: per PE each distinct threshold is one comparison, as wide as the accumulator
    less the threshold's trailing zero bits, counted where that leaves 5 bits or more (a
    carry chain); 0 and the accumulator's lowest value cost nothing. With two neuron
    groups the thresholds are in a ROM and every comparison is full width. (With one step
    per group the comparisons take the dot product's width:
    ``test_a_one_step_layer_compares_only_its_dot_products_bits``.) A neuron that the next
    layer weighs 0 in every PE is read by nothing, and its comparisons go
    (``test_unread_pes_lose_their_accumulators_and_comparisons``; seed 0 has one)."""
    unrolled = QmlpParams(layers="6,4,2", weight_bits=3, act_bits=3, input_bits=4,
                          folding="4x3,2x4", seed=seed)
    network = unrolled.quant_network()
    width = network.accumulator_width(0)
    read = (network.layers[1].weights != 0).any(axis=0)   # no table PEs in layer 1 here
    expected = 0
    for row in network.layers[0].thresholds[read]:
        for threshold in set(row.tolist()):
            if threshold in (0, -(1 << (width - 1))):
                continue
            text = format(abs(threshold), "b")
            compared = width - (len(text) - len(text.rstrip("0")))
            expected += compared if compared >= 5 else 0
    features = qmlp_layer_features(unrolled, 0)
    assert width >= 5 and expected > 0
    assert features["constant_compare_bits"] == expected
    assert features["rom_compare_bits"] == 0
    folded = dataclasses.replace(unrolled, folding="2x6,2x4")
    features = qmlp_layer_features(folded, 0)
    assert features["constant_compare_bits"] == 0
    assert features["rom_compare_bits"] == 2 * 7 * width == features["compare_bits"]
    assert qmlp_layer_features(unrolled, 1)["constant_compare_bits"] == 0   # no thresholds


def test_gated_terms_split_at_a_rom_of_eight_words():
    """Terms gated by a weight bit of a ROM of up to 8 words share the ROM bit's LUT4
    (3 address bits and the gated bit); deeper ROMs are counted apart."""
    for folding, steps in (("2x2", 8), ("1x1", 32)):
        params = QmlpParams(layers="16,2", weight_bits=4, input_bits=3, folding=folding)
        features = qmlp_layer_features(params, 0)
        assert params.folds()[0].cycles_per_vector == steps
        assert features["gated_bits"] > 0
        assert features["gated_folded_bits"] + features["gated_rom_bits"] \
            == features["gated_bits"]
        assert features["gated_folded_bits" if steps <= 8 else "gated_rom_bits"] \
            == features["gated_bits"]


def test_vector_flip_flops_of_unused_inputs_by_hand():
    """An input whose weight is zero in every PE (fully unrolled 2-bit layers, one input
    beat) has no term: Yosys drops its vector and capture flip-flops, two registers of
    ``input_bits`` each. Over these seeds some inputs are unused and some are not."""
    dead_seen = 0
    for seed in range(12):
        params = QmlpParams(layers="4,2,3", weight_bits=2, input_bits=3, folding="2x4,3x2",
                            seed=seed)
        weights = params.quant_network().layers[0].weights
        dead = int((weights == 0).all(axis=0).sum())
        dead_seen += dead
        features = qmlp_layer_features(params, 0)
        assert features["vector_ff_bits"] == 2 * 3 * (4 - dead)
        assert features["vector_bits"] == 4 * 3
    assert dead_seen > 0


def _single_layer(tmp_path, weights, input_bits, weight_bits, folding):
    """A one-layer network with these weights (outputs x inputs), as parameters."""
    network = QuantNetwork(input_bits, (QuantLayer(np.array(weights), weight_bits),))
    path = network.save(tmp_path / "net.json")
    return QmlpParams.for_network(path, folding=folding)


def test_terms_whose_bits_do_not_overlap_need_no_adder(tmp_path):
    """1-bit inputs times the constant weight 3 (bits 0 and 1 set): the terms ``x`` and
    ``x << 1`` hold bits 0 and 1, which Yosys joins without an adder (traced in its
    netlist, ``bench/results/area_qmlp.md``). With 2-bit inputs they overlap in bit 1: an
    adder of bits 1..2 (3 bits, gates). Two neuron groups of equal weights: a layer of one
    group this small is priced by its output functions instead (``collapsed_luts``)."""
    one = _single_layer(tmp_path, [[3], [3]], 1, 3, "1x1")
    assert qmlp_layer_features(one, 0)["carry_luts"] == 0
    assert qmlp_layer_features(one, 0)["gate_adder_bits"] == 0
    two = _single_layer(tmp_path, [[3], [3]], 2, 3, "1x1")
    assert qmlp_layer_features(two, 0)["gate_adder_bits"] == 3


def test_equal_pes_share_their_cells(tmp_path):
    """Two PEs with the same weights (the same terms and gates) compute the same dot product:
    Yosys' opt_merge keeps one copy of its adders and gated terms, so the second PE adds
    only its accumulator; a PE with other weights adds its own. Synthesized in Yosys 0.70
    (synth_ecp5): 17 CCU2C cells alone (12 counted here and the accumulator's 5), 22 twice
    (5 more), 40 mixed (31 counted here and 10)."""
    row = [3, -2, 1, 2]
    other = [-1, 2, 3, -3]
    alone = qmlp_layer_features(_single_layer(tmp_path, [row], 6, 3, "1x2"), 0)
    twice = qmlp_layer_features(_single_layer(tmp_path, [row, row], 6, 3, "2x2"), 0)
    mixed = qmlp_layer_features(_single_layer(tmp_path, [row, other], 6, 3, "2x2"), 0)
    assert alone["gated_bits"] > 0 and alone["carry_luts"] > 0
    for name in ("carry_luts", "gate_adder_bits", "gated_bits", "rom_luts"):
        assert twice[name] == alone[name], name
    assert twice["acc_bits"] == 2 * alone["acc_bits"]
    assert mixed["carry_luts"] + mixed["gate_adder_bits"] \
        > alone["carry_luts"] + alone["gate_adder_bits"]


def test_adders_of_the_same_operands_at_another_shift_are_one_cell(tmp_path):
    """6-bit inputs, 3-bit weights. A PE of weights 1, 1 adds ``x0 + x1`` (bits 0..6, a
    7-bit carry chain); one of weights -4, -4 subtracts ``(x0 << 2) + (x1 << 2)``, which is
    ``x0 + x1`` wired two bits up: Yosys strips the low bits neither operand sets, and
    ``opt_merge`` keeps one adder for both PEs (traced in Yosys 0.70 on 3-8 w3 a1 i6 [8x3],
    ``test_dot_product_adders_are_those_yosys_builds``): the second PE adds only its
    subtraction. So with weights 2, 2 (``x0 + x1`` one bit up) no adder of its own, and
    with 2, 1 (``(x0 << 1) + x1``: the operands one bit apart) one."""
    from dse.models.qmlp import _dot_product_adders

    def adders(weights):
        params = _single_layer(tmp_path, weights, 6, 3, "2x2")
        return _dot_product_adders(params.quant_network(), 0, params.folds()[0])[0]

    alone = adders([[1, 1], [0, 0]])
    assert [high - low for low, high, _ in alone] == [7]
    merged = adders([[1, 1], [-4, -4]])
    assert len(merged) == 2 and merged[0] == alone[0]   # the shared adder, the subtraction
    assert adders([[1, 1], [2, 2]]) == alone
    assert len(adders([[1, 1], [2, 1]])) == 2


def test_chained_gate_adder_bits_by_hand(tmp_path):
    """Five 1-bit inputs of weight 1 (2-bit weights): the balanced tree adds ``x0 + x1``
    and ``x2 + x3`` (2 bits each, gates), their sum (3 bits, fed by two gate-mapped adders:
    chained) and then ``x4`` (4 bits, chained): 11 gate-mapped bits, 7 of them chained.
    With 4-bit inputs the first adders are carry chains (5 bits): none is chained."""
    one_bit = qmlp_layer_features(_single_layer(tmp_path, [[1] * 5], 1, 2, "1x5"), 0)
    assert one_bit["collapsed_pes"] == 0
    assert one_bit["gate_adder_bits"] == 11
    assert one_bit["chained_adder_bits"] == 7
    wide = qmlp_layer_features(_single_layer(tmp_path, [[1] * 5], 4, 2, "1x5"), 0)
    assert wide["chained_adder_bits"] == 0 and wide["carry_luts"] > 0


def test_aligned_gate_adder_bits_by_hand(tmp_path):
    """Five 2-bit inputs of weight 1 (2-bit weights): ``x0 + x1`` and ``x2 + x3`` add
    operands that set the same bits (3 bits each, gates, aligned), so does their sum (4
    bits), and ``+ x4`` takes a 4-bit and a 2-bit operand (5 bits: a carry chain). Weight 3
    (3-bit weights) on three lanes: each lane adds ``x + (x << 1)`` (bits 1..3, gates, not
    aligned); the lanes' sums are added in carry chains (5 bits and more)."""
    ones = qmlp_layer_features(_single_layer(tmp_path, [[1] * 5], 2, 2, "1x5"), 0)
    assert ones["collapsed_pes"] == 0
    assert ones["gate_adder_bits"] == ones["aligned_adder_bits"] == 3 + 3 + 4
    # ``multibit_aligned_adder_bits``: the same where the inputs have more than one bit
    assert ones["multibit_aligned_adder_bits"] == ones["aligned_adder_bits"]
    single = qmlp_layer_features(_single_layer(tmp_path, [[1] * 5], 1, 2, "1x5"), 0)
    assert single["collapsed_pes"] == 0 and single["aligned_adder_bits"] > 0
    assert single["multibit_aligned_adder_bits"] == 0
    threes = qmlp_layer_features(_single_layer(tmp_path, [[3, 3, 3]], 2, 3, "1x3"), 0)
    assert threes["collapsed_pes"] == 0
    assert threes["gate_adder_bits"] == 3 * 3 and threes["aligned_adder_bits"] == 0
    assert threes["carry_luts"] > 0


@pytest.mark.parametrize(("column", "luts", "column_luts"), [
    ([1, 0] * 16, 1, 2),                     # two equal 16-word slices: one LUT (shared)
    ([1, 0] * 8 + [0, 1] * 8, 2, 2),         # two different slices
    ([1] * 16 + [1, 0] * 8, 2, 1),           # a constant slice counts (probed in Yosys)
    ([1, 0, 0, 1] * 16, 1, 4),               # 64 words of one slice
    ([1, 0] * 8 + [0, 1] * 8 + [1, 1, 0, 0] * 8 + [1, 0] * 8, 3 + 1, 5 + 1),  # 80: one more mux
    ([1, 0] * 4, 0, 0),                      # 8 words: folded into the gates
])
def test_rom_luts_count_distinct_slices(tmp_path, column, luts, column_luts):
    """A 1 x 1 layer whose one varying ROM bit (bit 0 of 2-bit weights 0 or 1) holds
    ``column`` over its words: one LUT per distinct 16-word slice, one more per further
    64 words (``dse.models.qmlp._rom_luts``); per column, one per 16-word slice that is
    not constant (``_rom_column_luts``)."""
    params = _single_layer(tmp_path, [column], 4, 2, "1x1")
    assert params.folds()[0].cycles_per_vector == len(column)
    features = qmlp_layer_features(params, 0)
    assert (features["rom_luts"], features["rom_column_luts"]) == (luts, column_luts)


def test_rom_column_luts_share_no_slice_between_columns(tmp_path):
    """Bits 0 and 1 of 2-bit weights ``a - 2b`` hold columns ``a`` and ``b``, whose first
    16-word slices are equal: one LUT for both in ``rom_luts``, one each in
    ``rom_column_luts`` (a wide-LUT mapping cannot share half of a LUT5)."""
    a = np.array([1, 0] * 8 + [0, 1] * 8)
    b = np.array([1, 0] * 8 + [1, 1, 0, 0] * 4)
    params = _single_layer(tmp_path, [list(a - 2 * b)], 4, 2, "1x1")
    features = qmlp_layer_features(params, 0)
    assert (features["rom_luts"], features["rom_column_luts"]) == (3, 4)


def test_carry_cells_above_the_largest_sum_are_not_counted(tmp_path):
    """A PE of two 8-bit inputs and 2-bit weights over two neurons (a ROM of two words):
    the adder of its two terms is a 9-bit carry chain (5 CCU2C cells, 10 LUTs) where some
    word sets both weights (``1, 1`` then ``1, 0``; or constant ``1, 1``), since the sum
    reaches 510; where no word does (``1, 0`` then ``0, 1``) the sum stays below 256, bit 8
    is never set and ABC drops its cell: 8 LUTs. Synthesized in Yosys 0.70 (synth_ecp5):
    9, 10 and 10 CCU2C cells, the accumulator's 5 included."""
    luts = {}
    for name, weights in (("alternating", [[1, 0], [0, 1]]), ("overlapping", [[1, 1], [1, 0]]),
                          ("constant", [[1, 1], [1, 1]])):
        params = _single_layer(tmp_path, weights, 8, 2, "1x2")
        assert params.folds()[0].neuron_fold == 2
        luts[name] = qmlp_layer_features(params, 0)["carry_luts"]
    assert luts == {"alternating": 8, "overlapping": 10, "constant": 10}


def test_block_rom_brams_equal_synthesis_on_every_probe():
    # bench/bram_qmlp.py: ROMs across every DP16KD geometry, deeper and wider than a block
    import json
    from pathlib import Path

    from dse.models.qmlp import weight_rom_brams
    path = Path(__file__).resolve().parents[2] / "bench" / "results" / "bram_qmlp.json"
    result = json.loads(path.read_text())
    assert len(result["designs"]) >= 20 and not result["failed"]
    for row in result["designs"]:
        params = QmlpParams.from_mapping(row["params"])
        assert params.weight_memory == "block"
        assert weight_rom_brams(params, TARGET) == row["bram"], row["config"]
        assert weight_rom_brams(dataclasses.replace(params, weight_memory="logic"), TARGET) == 0


@pytest.mark.parametrize("width, depth, cells, geometry_depth", [
    (32, 256, 1, 512),      # one 512 x 36 block
    (32, 1024, 2, 1024),    # two 1K x 18 side by side
    (6, 4608, 2, 2048),     # three 2K slices of 6 bits packed into two 9-bit blocks
    (1, 16384, 1, 16384),
    (512, 225, 15, 512),
])
def test_block_rom_mapping_by_hand(width, depth, cells, geometry_depth):
    from dse.models.area import map_block_rom
    mapping = map_block_rom(width, depth, TARGET)
    assert (mapping.kind, mapping.cells) == ("bram", cells)
    assert mapping.mux_bits == (-(-depth // geometry_depth) - 1) * width


def test_block_weights_drop_the_rom_luts_and_count_its_kept_bits():
    params = QmlpParams(layers="8,256", weight_bits=4, act_bits=1, input_bits=4, seed=7,
                        folding="1x8")
    logic = qmlp_layer_features(params, 0)
    block = qmlp_layer_features(dataclasses.replace(params, weight_memory="block"), 0)
    assert logic["rom_luts"] > 0 and logic["block_rom_bits"] == 0
    assert block["rom_luts"] == 0 and block["block_rom_bits"] == 32   # every bit varies
    unrolled = QmlpParams(layers="8,4", folding="4x8", weight_memory="block")
    assert qmlp_layer_features(unrolled, 0)["block_rom_bits"] == 0   # constants, no ROM


def test_a_clock_other_than_the_samples_is_flagged_where_synthesis_maps_to_it():
    """``ecp5-85k-area`` maps LUTs to the clock, and its area samples were synthesized at
    the default 25 MHz, whose LUTs designs keep from 10 to 100 MHz
    (``bench/results/area_clock_mapping_qmlp-v1_ecp5-85k-area.md``): the verify check
    (``dse.check.out_of_range``) flags an estimate at a clock outside that range there, and
    nowhere the netlist does not depend on the clock."""
    from dse.check import out_of_range

    inside = QmlpParams(layers="16,2", weight_bits=1, act_bits=1, input_bits=4, seed=830,
                        folding="1x1")
    for clock in (None, 10.0, 25.0, 100.0):
        assert out_of_range(inside, "ecp5-85k-area", clock) == []
    assert out_of_range(inside, "ecp5-85k-area", 150.0) == [
        "area: clock_mhz = 150 (ecp5-85k-area maps LUTs to the clock; its samples hold at "
        "10..100)"]
    assert out_of_range(inside, "ecp5-85k", 150.0) == []
    assert out_of_range(inside, "ecp5-85k-nowidelut", 150.0) == []


def test_coverage_compares_sizes_and_folding_not_the_layer_string(data):
    """The coverage of the fit (the out-of-range signal) reads ``layers`` and ``folding``
    as numbers (``QmlpParams.coordinates``): a network no sample had is inside where its
    sizes, folding and features are, and a hidden layer larger than any sampled one is
    named as such."""
    model, samples = data
    unseen = QmlpParams(layers="20,10,3", weight_bits=3, act_bits=2, input_bits=4, seed=7,
                        folding="2x4,1x2")
    assert unseen.layers not in {s.params.layers for s in samples}
    assert model.estimate(unseen).out_of_range == ()
    large = dataclasses.replace(unseen, layers="20,300,3", folding="")
    assert "largest_hidden = 300 (samples: 2..128)" in model.estimate(large).out_of_range


@pytest.mark.parametrize(("a", "b", "mask", "adders"), [
    (0b1, 0b10, 0b11, []),                         # x and x << 1 of a 1-bit x: wires
    (0b1000001, 0b110000, 0b1110001, []),           # spans overlap, bits do not: wires
    (0b11, 0b11, 0b111, [(0, 3)]),                  # bits 0..1 and the carry out
    (0b1110, 0b0101, 0b11111, [(2, 5)]),            # bits 0 and 1 pass, the adder from 2
    (0b1101, 0b0101, 0b11111, [(0, 2), (2, 5)]),    # split at bit 1, which neither sets
])
def test_kept_adders_by_hand(a, b, mask, adders):
    """An addition's adders as Yosys leaves them, from the bits each operand may set: bits
    below the lowest both may set pass through, an adder runs from there to the next bit
    neither sets (its carry out), and then the same again."""
    from dse.models.qmlp import _kept_adders

    assert _kept_adders(a, b) == (mask, adders)
    assert _kept_adders(b, a) == (mask, adders)


@pytest.mark.synth
@pytest.mark.parametrize("params", [
    QmlpParams(layers="4,12", weight_bits=8, act_bits=2, input_bits=4, seed=139,
               folding="2x2"),
    QmlpParams(layers="32,50,41,2,10,10", weight_bits=8, act_bits=2, input_bits=4, seed=653,
               folding="2x8,1x1,1x1,1x2,10x1", weight_memory="block"),
    QmlpParams(layers="55,5,4,63,7,16", weight_bits=1, act_bits=1, input_bits=1, seed=301,
               folding="1x1,4x1,9x1,7x1,4x7"),
    QmlpParams(layers="3,8", weight_bits=3, act_bits=1, input_bits=6, seed=683,
               folding="8x3"),
], ids=["4-12", "32-50-41-2-10-10-block", "55-5-4-63-7-16", "3-8"])
def test_dot_product_adders_are_those_yosys_builds(params, tmp_path):
    """Per layer, the traced dot-product adders against the ``$alu`` cells Yosys 0.70 has
    before it maps them to carry chains and gates (``synth_ecp5 -run :map_gates``), found
    by the kept wires they drive (``dot<p>``, ``dot<p>_plus_<n>``, ``dot<p>_minus_<n>``):
    as many adders, as many CCU2C cells for those of 5 bits or more (two bits a cell) and
    as many bits of the smaller ones (gates). The first two are designs where the span
    trace before session 28 was not exact (it took the bits between an operand's lowest and
    highest as set), the third has 1-bit inputs throughout. A few adders here are a bit
    wider in Yosys without another cell. Not exact on every design: in 22-7 w8 a2 i1
    [7x11] Yosys keeps each PE's subtraction one bit wider and has 3 fewer small adders
    (172 adders against 175 traced; carry-chain LUTs 712 against 698, where the span trace
    before session 28 counted 1,074)."""
    import json
    import re

    from dse.models.qmlp import _dot_product_adders
    from flows.tools import YOSYS, run_tool
    from flows.verilog import emit

    def tally(widths):
        return (len(widths), sum(-(-w // 2) for w in widths if w >= 5),
                sum(w for w in widths if w < 5))

    artifact = emit(params)
    (tmp_path / "top.v").write_text(artifact.text)
    script = (f"read_verilog top.v; synth_ecp5 -top {artifact.top} -run :map_gates; "
              f"select {artifact.top}; write_json -selected gates.json")
    run_tool(YOSYS, ["-q", "-p", script], cwd=tmp_path, log_name="yosys.stdout",
             timeout=600)
    module = json.loads((tmp_path / "gates.json").read_text())["modules"][artifact.top]
    kept = {}
    for name, net in module["netnames"].items():
        match = re.fullmatch(r"layer(\d+)\.dot\d+(_(plus|minus)_\d+)?", name)
        if match:
            kept.update(dict.fromkeys((b for b in net["bits"] if isinstance(b, int)),
                                      int(match.group(1))))
    built: dict[int, list[int]] = {}
    for cell in module["cells"].values():
        if cell["type"] == "$alu":
            layers = {kept[b] for b in cell["connections"]["Y"] if b in kept}
            if layers:
                (layer,) = layers
                built.setdefault(layer, []).append(len(cell["connections"]["Y"]))
    network = params.quant_network()
    traced = {index: [high - low for low, high, _ in
                      _dot_product_adders(network, index, fold)[0]]
              for index, fold in enumerate(params.folds())}
    assert {layer: tally(widths) for layer, widths in built.items()} == \
        {layer: tally(widths) for layer, widths in traced.items() if widths}


def test_a_fully_unrolled_pe_of_few_input_bits_is_priced_by_its_output_functions(tmp_path):
    """A PE of a layer with one step per neuron group and one group (constant weights, no
    accumulator) whose output depends on at most 4 input bits costs one LUT per distinct
    output function (``collapsed_luts``), none where a bit is an input bit, and none of the
    adder and comparison features; its output flip-flops are its distinct bits."""
    import numpy as np

    from hw.qmlp.network import QuantLayer, QuantNetwork

    hidden = QuantLayer(np.array([[1, 1], [1, 0], [1, 1]]), 2,
                        thresholds=np.array([[1], [1], [2]]), act_bits=1)
    last = QuantLayer(np.array([[1, -1, 1]]), 2)
    path = QuantNetwork(1, (hidden, last)).save(tmp_path / "net.json")
    params = QmlpParams.for_network(path, folding="3x2,1x3")
    first, second = (qmlp_layer_features(params, index) for index in (0, 1))
    # x0 | x1 and x0 & x1 take a LUT each; x0 >= 1 is x0 itself
    assert (first["collapsed_pes"], first["collapsed_luts"], first["out_bits"]) == (3, 2, 3)
    # a - b + c in -1..2: bit 0 (parity), bit 1, and the sign bits above (one function)
    assert (second["collapsed_pes"], second["collapsed_luts"], second["out_bits"]) == (1, 3, 3)
    for features in (first, second):
        assert features["gate_adder_bits"] == features["constant_compare_bits"] == 0
        assert features["acc_bits"] == features["count_bits"] == 0


def test_a_one_step_layer_compares_only_its_dot_products_bits():
    """With one step per neuron group the comparisons take the dot product, sign-extended
    to the accumulator: a PE whose dot product is narrower than the layer's accumulator
    compares only its own bits, and a threshold beyond its range costs nothing."""
    import numpy as np

    from dse.models.qmlp import _constant_compare_bits, _dot_product_adders
    from hw.qmlp.network import QuantLayer, QuantNetwork

    # 4-bit inputs: PE 0 adds x0 + x1 (0..30: 5 bits, 6 as a signed value); PE 1's weights
    # 3 and 3 widen the layer's accumulator
    layer = QuantLayer(np.array([[1, 1], [3, 3]]), 3,
                       thresholds=np.array([[7, 9, 80], [1, 2, 3]]), act_bits=2)
    network = QuantNetwork(4, (layer, QuantLayer(np.array([[1, 1]]), 2)))
    fold = QmlpParams(layers="2,2,1", folding="2x2,1x2").folds()[0]
    width = network.accumulator_width(0)
    widths = [w for w, _, _ in _dot_product_adders(network, 0, fold)[2]]
    assert widths[0] == 6 < width
    only_first = frozenset({1})
    # 7 and 9: 6 bits each (no trailing zeros); 80 is beyond x0 + x1
    assert _constant_compare_bits(network, 0, fold, only_first, widths) == 12
    # at the accumulator's 8 bits: 7 and 9 in full; 80 = 5 << 4 compares only bits 4..7,
    # too few for a carry chain
    assert width == 8
    assert _constant_compare_bits(network, 0, fold, only_first) == 2 * width


def test_a_one_step_layer_compares_only_thresholds_its_weights_can_reach():
    """With one step per neuron group the weights are constants and the comparison a
    function of the input bits alone: a threshold at or below the least dot product the
    weights allow is always passed, one above the largest never, and ABC finds both
    constant, so they cost nothing even where they are inside the dot product's width."""
    import numpy as np

    from dse.models.qmlp import _constant_compare_bits, _dot_product_adders
    from hw.qmlp.network import QuantLayer, QuantNetwork

    # 5-bit inputs (0..31; 5 bits, so no table PEs): PE 0 is x0 (0..31), PE 1 is
    # -x0 - x1 (-62..0)
    layer = QuantLayer(np.array([[1, 0], [-1, -1]]), 2,
                       thresholds=np.array([[-3, 17, 32], [-62, -33, 5]]), act_bits=2)
    network = QuantNetwork(5, (layer, QuantLayer(np.array([[1, 1]]), 2)))
    fold = QmlpParams(layers="2,2,1", folding="2x2,1x2").folds()[0]
    widths = [w for w, _, _ in _dot_product_adders(network, 0, fold)[2]]
    assert widths[0] == 6 and widths[1] >= 7   # -3 and 5 are inside the PEs' widths
    # PE 0: -3 is passed by every x0 and 32 by none; 17 compares 6 bits
    assert _constant_compare_bits(network, 0, fold, frozenset({1}), widths) == 6
    # PE 1: -62 is passed by every sum and 5 by none; -33 compares all the sum's bits
    assert _constant_compare_bits(network, 0, fold, frozenset({0}), widths) == widths[1]


@pytest.mark.synth
def test_a_one_step_last_layer_registers_each_distinct_bit_of_its_sums(tmp_path):
    """The last layer's output register, with one step per neuron group, holds each PE's
    dot product: one flip-flop per bit that may be set, where the bits that are wires of an
    input bit (below a subtraction's lowest bit, or a lone term) are one flip-flop in all
    PEs, and the sign extension above the sum is its sign bit. Counted by hand and against
    the flip-flops Yosys 0.70 keeps on the output port (``synth_ecp5``, whole flow)."""
    # 5-bit inputs, 2-bit weights: -x0 = x0 - 2 x0 (bit 0 the wire x0[0], a subtraction
    # for bits 1..6: 7), x0 (wires; x0[0] already counted: 4), x1 (5 wires), x0 + x1 (an
    # adder, bits 0..5: 6), -2 x0 - 2 x1 (a subtraction for bits 1..7: 7)
    layer = QuantLayer(np.array([[-1, 0], [1, 0], [0, 1], [1, 1], [-2, -2]]), 2)
    path = QuantNetwork(5, (layer,)).save(tmp_path / "net.json")
    params = QmlpParams.for_network(path, folding="5x2")
    assert qmlp_layer_features(params, 0)["out_bits"] == 7 + 4 + 5 + 6 + 7
    module = _synthesized(params, tmp_path)
    (port,) = (p for name, p in module["ports"].items()
               if name.endswith("payload") and p["direction"] == "output")
    registered = {c["connections"]["Q"][0] for c in module["cells"].values()
                  if c["type"] == "TRELLIS_FF"}
    assert len(registered & {b for b in port["bits"] if isinstance(b, int)}) == 29


def _hidden_network(tmp_path):
    """A 2-input hidden layer of 3-bit weights, one threshold each, on 1-bit inputs, and a
    last layer: PEs 0 and 1 compute x0 AND NOT x1 from other weights, PEs 2-4 compute x0
    (PE 4 as PE 2, PE 3 from other weights and threshold)."""
    hidden = QuantLayer(np.array([[1, -1], [1, -2], [1, 0], [2, 0], [1, 0]]), 3,
                        thresholds=np.array([[1], [1], [1], [2], [1]]), act_bits=1)
    last = QuantLayer(np.array([[1, 1, 1, 1, 1]]), 3)
    path = QuantNetwork(1, (hidden, last)).save(tmp_path / "net.json")
    return QmlpParams.for_network(path, folding="5x2,1x5")


def _synthesized(params, tmp_path):
    """The top module of ``params`` as Yosys 0.70 synthesizes it (``synth_ecp5``, whole
    flow), from its JSON netlist."""
    import json

    from flows.tools import YOSYS, run_tool
    from flows.verilog import emit

    artifact = emit(params)
    (tmp_path / "top.v").write_text(artifact.text)
    run_tool(YOSYS, ["-q", "-p", f"read_verilog top.v; synth_ecp5 -top {artifact.top}; "
                     "write_json netlist.json"], cwd=tmp_path, log_name="yosys.stdout",
             timeout=600)
    return json.loads((tmp_path / "netlist.json").read_text())["modules"][artifact.top]


def _flip_flops_on(module, *prefixes):
    """The flip-flops of a synthesized ``module`` whose output is a bit of a net named
    with one of ``prefixes``."""
    named = {b for name, net in module["netnames"].items()
             if name.startswith(prefixes) for b in net["bits"]}
    return sum(1 for c in module["cells"].values()
               if c["type"] == "TRELLIS_FF" and c["connections"]["Q"][0] in named)


def test_hidden_table_output_flip_flops_by_hand(tmp_path):
    """PEs 0 and 1: one function (x0 AND NOT x1) from other weights, one table cell, one
    LUT and one flip-flop; PEs 2-4: the wire x0 with one threshold, one flip-flop in all."""
    features = qmlp_layer_features(_hidden_network(tmp_path), 0)
    assert (features["collapsed_pes"], features["collapsed_luts"], features["out_bits"]) \
        == (5, 1, 2)


@pytest.mark.synth
def test_a_table_layer_registers_each_distinct_function(tmp_path):
    """A layer of table PEs (``hw.qmlp.accelerator.table_pe``) keeps one output flip-flop
    per distinct table (of the input bits it depends on) and per input wire, and the next
    layer's capture and vector registers one each of those too (Yosys merges flip-flops of
    one signal): the model's ``out_bits`` of layer 0 and ``vector_ff_bits`` of layer 1
    against the flip-flops Yosys keeps on those registers, on the small network above and
    on 2-37-7 w5 a3 i1 [37x2,1x1] (110 output flip-flops when these PEs added and compared,
    before session 34)."""
    small = _hidden_network(tmp_path)
    drawn = QmlpParams(layers="2,37,7", weight_bits=5, act_bits=3, input_bits=1, seed=869,
                       folding="37x2,1x1", weight_memory="block")
    for params, out, vector in ((small, 2, 4), (drawn, 13, 26)):
        assert qmlp_layer_features(params, 0)["out_bits"] == out
        assert qmlp_layer_features(params, 1)["vector_ff_bits"] == vector
        module = _synthesized(params, tmp_path)
        assert _flip_flops_on(module, "layer0.out__payload") == out
        assert _flip_flops_on(module, "layer1.capture", "layer1.vector") == vector


def test_network_paths_are_stored_relative_to_the_data_folder(tmp_path):
    """A sample's network file is written relative to the data file's folder and read back
    under it (``Params.path_fields``); a file outside the folder keeps its path."""
    network = QuantNetwork(1, (QuantLayer(np.array([[1, -1], [0, 1]]), 2),))
    path = network.save(tmp_path / "data" / "networks" / "net.qnet.json")
    values = QmlpParams.for_network(path).to_dict()
    stored = QmlpParams.paths_relative_to(values, tmp_path / "data")
    assert stored["network"] == "networks/net.qnet.json"
    assert QmlpParams.paths_under(stored, tmp_path / "data")["network"] == str(
        tmp_path / "data" / "networks" / "net.qnet.json")
    assert QmlpParams.paths_relative_to(values, tmp_path / "other") == values


@pytest.mark.parametrize("target", ["ecp5-85k", "ecp5-85k-area", "ecp5-85k-nowidelut"])
def test_trained_samples_load_from_any_working_folder(target, tmp_path, monkeypatch):
    """The fit holds trained networks (``dse/models/data/networks/qmlp-v1``, since session
    36), named relative to the data file: the model loads with any working folder, and
    every stored network is a sample."""
    monkeypatch.chdir(tmp_path)
    payload, origin = shipped_json("area", GENERATOR, target)
    _, samples = parse_area_data(payload, qmlp_features, origin, shipped_data_dir())
    folder = shipped_data_dir() / "networks" / GENERATOR
    trained = {Path(s.params.network) for s in samples if s.params.network}
    assert trained == set(folder.glob("*.qnet.json"))
    assert all(s["params"]["network"].startswith(f"networks/{GENERATOR}/")
               for s in payload["samples"] if s["params"]["network"])
    assert all(s.split == "train" for s in samples if s.params.network)


def _rom_fields(network: QuantNetwork, index: int, fold) -> np.ndarray:
    """Layer ``index``'s weight ROM as a words x fields array of ``weight_bits``-bit fields
    (``hw.qmlp.accelerator.weight_rom``'s layout)."""
    from hw.qmlp.accelerator import weight_rom
    bits = network.layers[index].weight_bits
    count = fold.pe * fold.simd
    return np.array([[(word >> (bits * k)) & ((1 << bits) - 1) for k in range(count)]
                     for word in weight_rom(network, index, fold)])


def test_rewired_network_is_the_drawn_circuit_up_to_wire_order() -> None:
    """``bench/area_permute_qmlp.py --draw``: a rewired network computes the drawn one's
    scores from reordered inputs, reordered, and every layer's weight ROM is the drawn one
    with its fields in another order, the same order in every word (the claim behind the
    report's floor: the circuit differs in the order of its wires only)."""
    import sys
    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    from area_permute_qmlp import block_order, permuted, rewiring_blocks

    params = QmlpParams(layers="12,8,6,4", weight_bits=3, act_bits=2, input_bits=2,
                        folding="4x6,2x4,2x2", seed=5)
    blocks = rewiring_blocks(params)
    # inputs in slices of SIMD 6; gcd(PE, next SIMD): gcd(4, 4), gcd(2, 2); last layer PE 2
    assert blocks == {-1: 6, 0: 4, 1: 2, 2: 2}
    assert rewiring_blocks(dataclasses.replace(params, folding="1x1,1x1,1x1")) == {}
    network = params.quant_network()
    rewired = permuted(network, blocks, np.random.default_rng(3))
    # the same draws in the same order as permuted()
    rng = np.random.default_rng(3)
    inputs = block_order(12, 6, rng)
    outputs = [block_order(layer.outputs, blocks[i], rng)
               for i, layer in enumerate(network.layers)][-1]
    assert sorted(inputs) == list(range(12)) and not np.array_equal(inputs, np.arange(12))
    x = np.random.default_rng(0).integers(0, 4, size=(64, 12))
    np.testing.assert_array_equal(rewired.forward(x[:, inputs]), network.forward(x)[:, outputs])
    for index, fold in enumerate(params.folds()):
        drawn = _rom_fields(network, index, fold)
        new = _rom_fields(rewired, index, fold)
        assert not np.array_equal(drawn, new)
        # one field order for every word: the columns are the same multiset of columns
        assert sorted(map(tuple, drawn.T)) == sorted(map(tuple, new.T))
