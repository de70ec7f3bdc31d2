"""Streaming dataflow accelerator for an integer MLP (``qmlp-v1``), FINN-style.

Each layer is a matrix-vector-threshold unit (:class:`Mvau`) with its own folding: ``pe``
output neurons and ``simd`` inputs per cycle, so one input vector takes
``neuron_fold x synapse_fold`` steps. Layers are chained by valid/ready streams; a layer's
output beat (``pe`` activations) is the next layer's input beat.

Per layer:

- a capture shift register takes the input vector beat by beat (ready while not full, and
  in the cycle it hands a full vector over, so capture and compute overlap);
- on hand-over (the engine idle or on its last step) the vector is copied into the compute
  register and the capture register starts on the next vector;
- each step reads one ROM word (``pe x simd`` weights of output neurons ``nf*pe + p``,
  inputs ``sf*simd + s``; a ROM in block RAM reads it on the clock edge that starts the
  step, from the address that edge loads), adds ``pe`` dot products of ``simd`` products to
  the accumulators; a layer of one step per neuron group (``synapse_fold = 1``) has neither
  accumulators nor a synapse counter, its sums are the step's dot products. A PE's dot
  product is shift-and-add over the weight bits (:func:`pe_terms`): an input shifted by a
  weight bit's position, gated by that ROM bit where it differs between words, left out
  where it is 0 in every word, the sign bit's terms subtracted; every adder is its own carry
  chain (:func:`hw.logic.kept_sum`). The step that completes a neuron group (``sf`` last)
  compares each sum with its ``2**act_bits - 1`` thresholds (a second ROM, one word per
  group) and registers the count as the group's output beat; the last layer registers the
  raw sums (class scores);
- in a layer of a single step (``synapse_fold = neuron_fold = 1``: constant weights), a PE
  whose used inputs carry at most 4 bits is a truth table instead (:func:`table_pe`): each
  output bit a LUT4 of the input bits it depends on, an input wire or a constant, with the
  same result and timing as the adders and comparisons it replaces;
- a step that completes a group waits while the previous output beat is not taken; other
  steps never wait.

Activity taps per layer ``i`` (events this cycle, summed by ``sim.activity`` in simulation):
``l<i>_steps``, ``l<i>_in_beats``, ``l<i>_out_beats``; and ``result_words`` (scores taken).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import C, Cat, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.logic import kept, kept_sum, pack_array, tree_sum
from hw.qmlp.network import QuantNetwork
from hw.qmlp.params import LayerFold, QmlpParams
from hw.stream import index_shape, stream_signature


def weight_rom(network: QuantNetwork, index: int, fold: LayerFold) -> list[int]:
    """ROM words of layer ``index``: word ``nf*SF + sf`` holds, PE by PE, the ``simd``
    weights of neuron ``nf*pe + p`` on inputs ``sf*simd ..``; 1-bit weights are stored as
    1 for +1 and 0 for -1."""
    layer = network.layers[index]
    bits = layer.weight_bits
    words = []
    for nf in range(fold.neuron_fold):
        for sf in range(fold.synapse_fold):
            fields: list[int] = []
            for p in range(fold.pe):
                row = layer.weights[nf * fold.pe + p, sf * fold.simd:(sf + 1) * fold.simd]
                fields.extend(int(w > 0) if bits == 1 else int(w) for w in row)
            words.append(pack_array(fields, bits))
    return words


#: :func:`weight_bit_kinds` values: a weight bit 0 in every ROM word, 1 in every word, or not
#: the same in all
CLEAR, SET, VARIES = 0, 1, 2


def weight_bit_columns(network: QuantNetwork, index: int, fold: LayerFold) -> np.ndarray:
    """Each stored weight bit of layer ``index`` over the ROM words, per PE (shape ``pe x
    words x simd x bits``, words in address order ``nf * SF + sf``): the function of the
    ROM address that gates the bit's term (two equal columns are one signal)."""
    layer = network.layers[index]
    bits = layer.weight_bits
    weights = layer.weights.astype(np.int64)
    stored = (weights > 0).astype(np.int64) if bits == 1 else weights & ((1 << bits) - 1)
    words = stored.reshape(fold.neuron_fold, fold.pe, fold.synapse_fold, fold.simd)
    bit = (words[..., None] >> np.arange(bits)) & 1          # nf, pe, sf, simd, bit
    return np.moveaxis(bit, 1, 0).reshape(fold.pe, -1, fold.simd, bits)


def weight_bit_kinds(network: QuantNetwork, index: int, fold: LayerFold) -> np.ndarray:
    """Per PE, SIMD lane and stored weight bit (shape ``pe x simd x bits``), whether the
    bit is :data:`CLEAR`, :data:`SET` or :data:`VARIES` over the lane's ROM words (a fully
    unrolled layer has one word: its weights are constants)."""
    columns = weight_bit_columns(network, index, fold)
    some = columns.max(axis=1).astype(bool)
    every = columns.min(axis=1).astype(bool)
    return np.where(some != every, VARIES, np.where(every, SET, CLEAR))


@dataclass(frozen=True)
class Term:
    """One shift-and-add term of a PE's dot product: the input of lane ``lane`` shifted
    left by ``shift``, gated by weight bit ``bit`` of that lane (``None``: always on),
    added or (``negative``) subtracted."""

    lane: int
    shift: int
    bit: int | None
    negative: bool


def pe_terms(kinds: np.ndarray, weight_bits: int) -> list[Term]:
    """The terms of one PE's dot product, from its ``simd x bits`` :func:`weight_bit_kinds`.

    A ``b``-bit two's-complement weight is the sum of its bits ``j < b - 1`` times ``2**j``
    minus its sign bit times ``2**(b-1)``; a bit 0 in every word gives no term, a bit 1 in
    every word an ungated one. A 1-bit weight is bipolar (+1 stored as 1, -1 as 0): ``+x``
    or ``-x`` where constant, else ``2 * (bit ? x : 0) - x``."""
    terms: list[Term] = []
    for lane in range(kinds.shape[0]):
        if weight_bits == 1:
            kind = kinds[lane, 0]
            if kind == VARIES:
                terms += [Term(lane, 1, 0, False), Term(lane, 0, None, True)]
            else:
                terms.append(Term(lane, 0, None, kind == CLEAR))
            continue
        for j in range(weight_bits):
            if kinds[lane, j] != CLEAR:
                terms.append(Term(lane, j, j if kinds[lane, j] == VARIES else None,
                                  j == weight_bits - 1))
    return terms


def threshold_rom(network: QuantNetwork, index: int, fold: LayerFold) -> list[int]:
    """Threshold ROM words of layer ``index``: word ``nf`` holds, PE by PE, the ascending
    thresholds of neuron ``nf*pe + p``."""
    layer = network.layers[index]
    assert layer.thresholds is not None
    width = network.accumulator_width(index)
    return [pack_array([int(t) for p in range(fold.pe)
                  for t in layer.thresholds[nf * fold.pe + p]], width)
            for nf in range(fold.neuron_fold)]


#: The most input bits (used lanes x input bits) a PE of a one-step layer may depend on for
#: its output bits to be built as truth tables (:func:`table_pe`): one LUT4's inputs.
TABLE_MAX_SUPPORT = 4


@dataclass(frozen=True)
class TableBit:
    """One output bit of a table PE (:func:`table_pe`): a constant (``table`` None and
    ``wire`` None: ``constant``), an input wire (``wire``: lane and bit), or the truth table
    ``table`` of the input bits ``inputs`` it depends on ((lane, bit) pairs; bit ``v`` of
    ``table`` is the output for those bits' values ``v``, the first pair lowest)."""
    inputs: tuple[tuple[int, int], ...] = ()
    table: int | None = None
    wire: tuple[int, int] | None = None
    constant: int = 0


def table_pe(network: QuantNetwork, index: int, fold: LayerFold, p: int
             ) -> tuple[TableBit, ...] | None:
    """The output bits of PE ``p`` of layer ``index`` as functions of its input bits, when
    the layer takes one step per vector (``SF = NF = 1``: constant weights, no accumulator)
    and the PE's used lanes (nonzero weights) carry at most :data:`TABLE_MAX_SUPPORT` input
    bits; else ``None`` (the PE adds and compares). The output is the count of thresholds
    passed (hidden layers) or the sum's ``accumulator_width`` bits (last layer), evaluated
    over every input value. Shift-and-add and comparisons become carry chains from 5 bits
    up, and ABC dissolves such chains only where it proves them redundant (in some PEs of a
    layer and not in others); a truth table is one LUT4 per output bit, a wire or
    nothing."""
    if fold.synapse_fold != 1 or fold.neuron_fold != 1:
        return None
    layer = network.layers[index]
    in_bits = network.input_bits_of(index)
    weights = np.asarray(layer.weights)
    lanes = tuple(lane for lane in range(fold.simd) if weights[p, lane] != 0)
    support = len(lanes) * in_bits
    if support > TABLE_MAX_SUPPORT:
        return None
    values = np.arange(1 << support)
    dot = np.zeros_like(values)
    for k, lane in enumerate(lanes):
        dot = dot + int(weights[p, lane]) * ((values >> (k * in_bits)) & ((1 << in_bits) - 1))
    if layer.thresholds is None:
        bits = network.accumulator_width(index)
        out = dot & ((1 << bits) - 1)
    else:
        bits = layer.act_bits
        out = sum((dot >= int(t) for t in layer.thresholds[p]), np.zeros_like(values))
    inputs = [(lane, bit) for lane in lanes for bit in range(in_bits)]
    result = []
    for b in range(bits):
        column = (out >> b) & 1
        # the input bits the output bit depends on, and its table over them alone
        used = [k for k in range(support)
                if not np.array_equal(column[values & ~(1 << k) == values],
                                      column[values | (1 << k) == values])]
        if not used:
            result.append(TableBit(constant=int(column[0])))
            continue
        index_of = sum(((values >> k) & 1) << j for j, k in enumerate(used))
        table = 0
        for v in range(len(values)):
            table |= int(column[v]) << int(index_of[v])
        if len(used) == 1 and table == 0b10:
            result.append(TableBit(wire=inputs[used[0]]))
        else:
            result.append(TableBit(inputs=tuple(inputs[k] for k in used), table=table))
    return tuple(result)


class Mvau(wiring.Component):
    """Layer ``index`` of ``network`` folded by ``fold``: input beats of ``in_elements``
    unsigned elements, output beats of ``pe`` activations (or signed sums, last layer);
    its weight ROM in ``weight_memory`` (:data:`hw.qmlp.params.WEIGHT_MEMORIES`)."""

    def __init__(self, network: QuantNetwork, index: int, fold: LayerFold,
                 in_elements: int, weight_memory: str = "logic") -> None:
        self.network, self.index, self.fold = network, index, fold
        self.weight_memory = weight_memory
        self.layer = network.layers[index]
        self.in_bits = network.input_bits_of(index)
        self.in_elements = in_elements
        self.acc_width = network.accumulator_width(index)
        self.last = self.layer.thresholds is None
        self.out_bits = self.acc_width if self.last else self.layer.act_bits
        super().__init__({
            "inp": In(stream_signature(unsigned(in_elements * self.in_bits))),
            "out": Out(stream_signature(unsigned(fold.pe * self.out_bits))),
        })
        self.activity = {f"l{index}_{name}": Signal(name=f"l{index}_{name}")
                         for name in ("steps", "in_beats", "out_beats")}

    def _dot(self, m: Module, p: int, kinds: np.ndarray, xs: list[Value], ws: list[Value]
             ) -> Value:
        """PE ``p``'s dot product of this step's inputs ``xs`` and ROM weights ``ws`` as
        shift-and-add (:func:`pe_terms`; LUT logic: Yosys would put even a 2-bit ``*`` in a
        DSP block), the added and the subtracted terms each a tree of kept adders."""
        def value(term: Term) -> Value:
            shifted = xs[term.lane].shift_left(term.shift)
            return shifted if term.bit is None else Mux(ws[term.lane][term.bit], shifted, 0)

        terms = pe_terms(kinds, self.layer.weight_bits)
        plus = [value(t) for t in terms if not t.negative]
        minus = [value(t) for t in terms if t.negative]
        added = kept_sum(m, plus, f"dot{p}_plus")
        if not minus:
            return added
        return kept(m, added - kept_sum(m, minus, f"dot{p}_minus"), f"dot{p}")

    @staticmethod
    def _table_bit(xs: list[Value], bit: TableBit) -> Value:
        """One output bit of a table PE (:func:`table_pe`) from this step's inputs ``xs``."""
        if bit.wire is not None:
            return xs[bit.wire[0]][bit.wire[1]]
        if bit.table is None:
            return C(bit.constant, 1)
        select = Cat(*(xs[lane][k] for lane, k in bit.inputs))
        return C(bit.table, 1 << len(select)).bit_select(select, 1)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        fold, layer = self.fold, self.layer
        beats = fold.inputs // self.in_elements
        steps = fold.neuron_fold * fold.synapse_fold
        vector_bits = fold.inputs * self.in_bits
        slice_bits = fold.simd * self.in_bits

        # Capture: a shift register filled from the top, beat 0 ends at the bottom.
        capture = Signal(vector_bits)
        beat = Signal(index_shape(beats))
        full = Signal()
        # Engine.
        vector = Signal(vector_bits)
        busy = Signal()
        # one step per neuron group (SF = 1): no synapse counter, nothing to accumulate
        accumulates = fold.synapse_fold > 1
        sf = Signal(index_shape(fold.synapse_fold), name="sf") if accumulates else C(0, 1)
        nf = Signal(index_shape(fold.neuron_fold))
        address = Signal(index_shape(steps))
        accs = [Signal(signed(self.acc_width), name=f"acc{p}") for p in range(fold.pe)] \
            if accumulates else []

        writes = sf == fold.synapse_fold - 1 if accumulates else C(1, 1)
        out_free = ~self.out.valid | self.out.ready
        step = Signal()
        final = Signal()
        handover = Signal()
        m.d.comb += [
            step.eq(busy & (~writes | out_free)),
            final.eq(step & writes & (nf == fold.neuron_fold - 1)),
            handover.eq(full & (~busy | final)),
            self.inp.ready.eq(~full | handover),
        ]
        taken = self.inp.valid & self.inp.ready
        last_beat = beat == beats - 1
        with m.If(taken):
            m.d.sync += capture.eq(Cat(capture[len(self.inp.payload):], self.inp.payload))
            m.d.sync += beat.eq(Mux(last_beat, 0, beat + 1))
        m.d.sync += full.eq((taken & last_beat) | (full & ~handover))

        # Engine: steps over (nf, sf); hand-over restarts it on the captured vector.
        with m.If(handover):
            restart = [sf.eq(0)] if accumulates else []
            m.d.sync += [vector.eq(capture), busy.eq(1), *restart, nf.eq(0), address.eq(0)]
        with m.Elif(final):
            m.d.sync += busy.eq(0)
        with m.If(step & ~handover):
            advance = [sf.eq(Mux(writes, 0, sf + 1))] if accumulates else []
            m.d.sync += [*advance, address.eq(address + 1)]
            with m.If(writes):
                m.d.sync += nf.eq(nf + 1)

        wbits = layer.weight_bits
        in_block = self.weight_memory == "block" and steps > 1
        weights = Memory(shape=unsigned(fold.pe * fold.simd * wbits), depth=steps,
                         init=weight_rom(self.network, self.index, fold),
                         attrs={"rom_style": "block"} if in_block else None)
        m.submodules.weights = weights
        if in_block:
            # a block RAM reads on the clock edge: it reads the word of the address the
            # edge loads (the next step's), so its output is the current step's word
            wport = weights.read_port(domain="sync")
            m.d.comb += wport.addr.eq(Mux(handover, 0, Mux(step, address + 1, address)))
        else:
            wport = weights.read_port(domain="comb")
            m.d.comb += wport.addr.eq(address)
        x_slice = vector.word_select(sf, slice_bits) if fold.synapse_fold > 1 \
            else vector[:slice_bits]
        xs = [x_slice[s * self.in_bits:(s + 1) * self.in_bits] for s in range(fold.simd)]

        levels = (1 << layer.act_bits) - 1 if not self.last else 0
        if not self.last:
            thresholds = Memory(shape=unsigned(fold.pe * levels * self.acc_width),
                                depth=fold.neuron_fold,
                                init=threshold_rom(self.network, self.index, fold))
            m.submodules.thresholds = thresholds
            tport = thresholds.read_port(domain="comb")
            m.d.comb += tport.addr.eq(nf)

        outputs = []
        kinds = weight_bit_kinds(self.network, self.index, fold)
        for p in range(fold.pe):
            table = table_pe(self.network, self.index, fold, p)
            if table is not None:
                outputs.append(Cat(*(self._table_bit(xs, bit) for bit in table)))
                continue
            ws = [wport.data[(p * fold.simd + s) * wbits:(p * fold.simd + s + 1) * wbits]
                  for s in range(fold.simd)]
            dot = self._dot(m, p, kinds[p], xs, ws)
            total = Signal(signed(self.acc_width), name=f"total{p}")
            if accumulates:
                m.d.comb += total.eq(Mux(sf == 0, 0, accs[p]) + dot)
                with m.If(step):
                    m.d.sync += accs[p].eq(total)
            else:
                m.d.comb += total.eq(dot)
            if self.last:
                outputs.append(total.as_unsigned())
            else:
                base = p * levels * self.acc_width
                compares = [total >= tport.data[base + k * self.acc_width:
                                                base + (k + 1) * self.acc_width].as_signed()
                            for k in range(levels)]
                count = Signal(unsigned(layer.act_bits), name=f"act{p}")
                m.d.comb += count.eq(tree_sum(compares))
                outputs.append(count)

        packed = Signal(fold.pe * self.out_bits)
        m.d.comb += packed.eq(Cat(*(value[:self.out_bits] for value in outputs)))
        with m.If(step & writes):
            m.d.sync += [self.out.payload.eq(packed), self.out.valid.eq(1)]
        with m.Elif(self.out.ready):
            m.d.sync += self.out.valid.eq(0)

        m.d.comb += [
            self.activity[f"l{self.index}_steps"].eq(step),
            self.activity[f"l{self.index}_in_beats"].eq(taken),
            self.activity[f"l{self.index}_out_beats"].eq(self.out.valid & self.out.ready),
        ]
        return m


class QmlpAccelerator(wiring.Component):
    """The whole network: ``operands`` takes input vectors as beats of layer 0's ``simd``
    unsigned ``input_bits``-bit features; ``results`` gives each vector's class scores as
    beats of the last layer's ``pe`` signed sums (its accumulator width)."""

    def __init__(self, params: QmlpParams) -> None:
        self.params = params
        self.network = params.quant_network()
        self.folds = params.folds()
        self.layers = []
        in_elements = self.folds[0].simd
        for index, fold in enumerate(self.folds):
            self.layers.append(Mvau(self.network, index, fold, in_elements,
                                   params.weight_memory))
            in_elements = fold.pe
        first, last = self.layers[0], self.layers[-1]
        super().__init__({"operands": In(stream_signature(
                              unsigned(self.folds[0].simd * first.in_bits))),
                          "results": Out(stream_signature(
                              unsigned(last.fold.pe * last.out_bits)))})
        self.result_width = last.fold.pe
        # the layers' taps are counted as they are (sim.activity)
        self.activity: dict[str, Signal] = {}
        for layer in self.layers:
            self.activity.update(layer.activity)
        self.activity["result_words"] = Signal(range(self.result_width + 1),
                                               name="tap_result_words")

    def elaborate(self, platform: object) -> Module:
        m = Module()
        for layer in self.layers:
            m.submodules[f"layer{layer.index}"] = layer
        wiring.connect(m, wiring.flipped(self.operands), self.layers[0].inp)
        for before, after in zip(self.layers, self.layers[1:], strict=False):
            wiring.connect(m, before.out, after.inp)
        wiring.connect(m, self.layers[-1].out, wiring.flipped(self.results))
        m.d.comb += self.activity["result_words"].eq(
            Mux(self.results.valid & self.results.ready, self.result_width, 0))
        return m
