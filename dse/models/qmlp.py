"""Analytic models of ``qmlp-v1`` (streaming quantized-MLP accelerators): cycles,
initiation interval and latency, activity, energy, and the folding optimizer.

Cycles. With ``S = NF x SF`` steps per vector in layer ``l`` (FINN: (MH/PE) x (MW/SIMD))
and ``B`` input beats per vector (MW / elements per beat), the layer accepts a vector every
``II_l = max(S_l, B_l)`` cycles; the pipeline's initiation interval is the largest
``II_l``. One vector alone takes ``B_0 + sum_l (S_l + 2)`` cycles from its first input
beat to its last score (each layer hands a full vector over one cycle after its last beat
arrives, and registers each output beat). For a batch, :func:`cycles` follows every beat
through the RTL's hand-shakes (a max-plus recurrence, no simulation of values): capture
while not full (or on hand-over), hand-over when full and the engine is idle or on its last
step, a group-completing step only when the previous output beat has been taken. It is
exact against the RTL (tests/sim/test_qmlp_rtl.py); ``latency + (N - 1) x II`` is the
closed form it approaches.

Energy (:func:`energy`), from activity counts (per layer: steps, input beats, output
beats), energy per event from the table (default Horowitz 45 nm):

- ``mac``: per step ``pe x simd`` multiplies (``in_bits x weight_bits``, priced as a
  multiply of ``sqrt(in_bits x weight_bits)`` bits, i.e. proportional to the product) and
  ``pe x simd`` adds at the accumulator width (adder tree and accumulate);
- ``weight_rom``: the ``pe x simd x weight_bits`` ROM bits read per step, at the 64-bit
  SRAM access energy for the layer's ROM size, scaled by bits / 64;
- ``thresholds``: per output beat, ``pe x (2**act_bits - 1)`` comparisons (adds at the
  accumulator width) and the threshold ROM bits read;
- ``registers``: accumulator writes per step (layers with ``SF > 1``), capture-register
  writes per input beat, the vector copy per hand-over and the output register per output
  beat, per bit written.

Inputs arrive on a stream (a CAN controller or host) and every weight is on chip: no
off-chip traffic is counted.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from dse.models.area import MemoryMapping, load_area_model, map_block_rom
from dse.models.energy import EnergyReport, EnergyTable, default_energy_table, make_report
from dse.models.family import FamilyModels
from dse.workload import Gemm
from hw.logic import pairwise_tree
from hw.params import ParamError
from hw.qmlp.accelerator import (
    CLEAR,
    VARIES,
    TableBit,
    pe_terms,
    table_pe,
    threshold_rom,
    weight_bit_columns,
    weight_bit_kinds,
)
from hw.qmlp.network import QuantNetwork
from hw.qmlp.params import LayerFold, QmlpParams, divisors

_NEVER = -(10**18)


@dataclasses.dataclass(frozen=True)
class LayerTiming:
    """Analytic timing of one layer."""

    steps: int                 # NF x SF per vector
    in_beats: int              # B: input beats per vector
    initiation_interval: int   # max(steps, in_beats)


@dataclasses.dataclass(frozen=True)
class QmlpCycleReport:
    """Predicted cycles of ``vectors`` inferences."""

    cycles: int            # first input beat to last score beat, inclusive (exact)
    vectors: int
    latency: int           # cycles of one vector alone
    initiation_interval: int
    layers: tuple[LayerTiming, ...]
    macs: int
    pes: int               # multipliers: sum of pe x simd

    @property
    def compute_bound(self) -> int:
        """The closed form ``latency + (vectors - 1) x II``."""
        return self.latency + (self.vectors - 1) * self.initiation_interval

    @property
    def bottleneck(self) -> int:
        """Index of the slowest layer."""
        return max(range(len(self.layers)), key=lambda i: self.layers[i].initiation_interval)

    @property
    def utilization(self) -> float:
        """Useful MACs per multiplier-cycle."""
        return self.macs / (self.cycles * self.pes)


def layer_timing(folds: tuple[LayerFold, ...]) -> tuple[LayerTiming, ...]:
    timings = []
    elements = folds[0].simd
    for fold in folds:
        beats = fold.inputs // elements
        steps = fold.cycles_per_vector
        timings.append(LayerTiming(steps, beats, max(steps, beats)))
        elements = fold.pe
    return tuple(timings)


def latency(folds: tuple[LayerFold, ...]) -> int:
    """Cycles of one vector alone: ``B_0 + sum_l (S_l + 2)``."""
    timings = layer_timing(folds)
    return timings[0].in_beats + sum(t.steps + 2 for t in timings)


def schedule(folds: tuple[LayerFold, ...], vectors: int) -> list[list[int]]:
    """Cycle of every score beat taken, per vector (cycle 0: the first input beat), by the
    max-plus recurrence of the RTL's hand-shakes (see the module docstring)."""
    timings = layer_timing(folds)
    count = len(folds)
    handover = [_NEVER] * count      # previous vector's hand-over cycle, per layer
    final_step = [_NEVER] * count    # previous vector's last step, per layer
    taken_out = [_NEVER] * count     # last output beat taken downstream, per layer
    outputs: list[list[int]] = []
    for _ in range(vectors):
        # layer 0's beats: the source offers them back to back
        ready = max(0, handover[0])
        accepted = []
        for _beat in range(timings[0].in_beats):
            accepted.append(ready)
            ready += 1
        for index, fold in enumerate(folds):
            start = max(accepted[-1] + 1, final_step[index])
            step = start
            previous_taken = taken_out[index]
            downstream = index + 1 < count
            ready = handover[index + 1] if downstream else _NEVER
            taken = []
            for _group in range(fold.neuron_fold):
                step = max(step + fold.synapse_fold, previous_taken)
                valid = step + 1
                beat = max(valid, ready) if downstream else valid
                ready = beat + 1
                taken.append(beat)
                previous_taken = beat
            handover[index] = start
            final_step[index] = step
            taken_out[index] = previous_taken
            accepted = taken
        outputs.append(accepted)
    return outputs


def vectors_of(params: QmlpParams, gemm: Gemm) -> int:
    """Inferences in the workload: M of an M x K x N GEMM whose K and N are the network's.

    Raises:
        ParamError: if K or N differ from the network's inputs and outputs.
    """
    return params.check_inferences(gemm.m, gemm.k, gemm.n)


def cycles_of(params: QmlpParams, vectors: int) -> QmlpCycleReport:
    folds = params.folds()
    last = schedule(folds, vectors)[-1][-1]
    return QmlpCycleReport(
        cycles=last + 1, vectors=vectors, latency=latency(folds),
        initiation_interval=max(t.initiation_interval for t in layer_timing(folds)),
        layers=layer_timing(folds), macs=vectors * sum(f.inputs * f.outputs for f in folds),
        pes=sum(f.pe * f.simd for f in folds))


def cycles(params: QmlpParams, gemm: Gemm) -> QmlpCycleReport:
    """Exact cycles of ``gemm.m`` inferences (the registry's cycle model)."""
    return cycles_of(params, vectors_of(params, gemm))


@dataclasses.dataclass(frozen=True)
class QmlpActivity:
    """Event counts per layer (the RTL's ``l<i>_steps``, ``l<i>_in_beats``,
    ``l<i>_out_beats`` taps) and score words taken."""

    steps: tuple[int, ...]
    in_beats: tuple[int, ...]
    out_beats: tuple[int, ...]
    result_words: int

    def to_dict(self) -> dict[str, int]:
        counts = {}
        for index in range(len(self.steps)):
            counts[f"l{index}_steps"] = self.steps[index]
            counts[f"l{index}_in_beats"] = self.in_beats[index]
            counts[f"l{index}_out_beats"] = self.out_beats[index]
        counts["result_words"] = self.result_words
        return counts

    @classmethod
    def from_counters(cls, counters: Mapping[str, int], layers: int) -> QmlpActivity:
        """Raises:
            KeyError: naming the first missing count."""
        names = [f"l{i}_{kind}" for i in range(layers)
                 for kind in ("steps", "in_beats", "out_beats")] + ["result_words"]
        missing = [name for name in names if name not in counters]
        if missing:
            raise KeyError(f"counters lack activity count {missing[0]!r}")
        return cls(tuple(int(counters[f"l{i}_steps"]) for i in range(layers)),
                   tuple(int(counters[f"l{i}_in_beats"]) for i in range(layers)),
                   tuple(int(counters[f"l{i}_out_beats"]) for i in range(layers)),
                   int(counters["result_words"]))


def activity_of(params: QmlpParams, vectors: int) -> QmlpActivity:
    folds = params.folds()
    timings = layer_timing(folds)
    return QmlpActivity(tuple(vectors * t.steps for t in timings),
                        tuple(vectors * t.in_beats for t in timings),
                        tuple(vectors * f.neuron_fold for f in folds),
                        vectors * folds[-1].outputs)


def activity(params: QmlpParams, gemm: Gemm) -> QmlpActivity:
    return activity_of(params, vectors_of(params, gemm))


def energy_of_activity(params: QmlpParams, counts: QmlpActivity, useful_macs: int,
                       table: EnergyTable | None = None) -> EnergyReport:
    """Energy of the events ``counts`` (see the module docstring).

    Raises:
        ValueError: if ``useful_macs`` is not positive.
    """
    table = table or default_energy_table()
    network = params.quant_network()
    register_bit = table.register_write_bit.energy_pj
    parts = {"mac": 0.0, "weight_rom": 0.0, "thresholds": 0.0, "registers": 0.0}
    elements = params.folds()[0].simd
    for index, fold in enumerate(params.folds()):
        layer = network.layers[index]
        in_bits = network.input_bits_of(index)
        acc = network.accumulator_width(index)
        lanes = fold.pe * fold.simd
        steps, beats_in, beats_out = (counts.steps[index], counts.in_beats[index],
                                      counts.out_beats[index])
        multiply = table.int_multiply.at(math.sqrt(in_bits * layer.weight_bits))
        parts["mac"] += steps * lanes * (multiply + table.int_add.at(acc))
        rom_bits = fold.inputs * fold.outputs * layer.weight_bits
        parts["weight_rom"] += (steps * lanes * layer.weight_bits
                                * table.sram_access_64b.at(rom_bits / 8 / 1024) / 64)
        vectors = beats_out // fold.neuron_fold
        out_bits = acc if layer.thresholds is None else layer.act_bits
        if layer.thresholds is not None:
            levels = (1 << layer.act_bits) - 1
            t_bits = fold.outputs * levels * acc
            parts["thresholds"] += beats_out * fold.pe * levels * (
                table.int_add.at(acc)
                + acc * table.sram_access_64b.at(t_bits / 8 / 1024) / 64)
        parts["registers"] += register_bit * (
            steps * fold.pe * acc * (fold.synapse_fold > 1) + beats_in * elements * in_bits
            + vectors * fold.inputs * in_bits + beats_out * fold.pe * out_bits)
        elements = fold.pe
    return make_report(table, counts, useful_macs, parts, 0.0)


def energy(params: QmlpParams, gemm: Gemm, table: EnergyTable | None = None) -> EnergyReport:
    return energy_of_activity(params, activity(params, gemm), gemm.macs, table)


def energy_from_counters(params: QmlpParams, counters: Mapping[str, int], useful_macs: int,
                         table: EnergyTable | None = None) -> EnergyReport:
    """Raises:
        KeyError: naming a missing activity count."""
    return energy_of_activity(
        params, QmlpActivity.from_counters(counters, len(params.folds())), useful_macs, table)


# --- folding optimizer -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FoldingChoice:
    """The folding the optimizer picked, its cost and the cycles it achieves."""

    params: QmlpParams
    initiation_interval: int
    latency: int
    cost: float
    cost_metric: str
    candidates: int
    #: block RAMs of the weight ROMs (0 with weights in logic) and the budget they met
    brams: int = 0
    max_bram: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"folding": self.params.folding, "initiation_interval": self.initiation_interval,
                "latency": self.latency, "cost": self.cost, "cost_metric": self.cost_metric,
                "candidates": self.candidates, "brams": self.brams, "max_bram": self.max_bram}


def _layer_options(fold: LayerFold) -> list[tuple[int, int]]:
    return [(pe, simd) for pe in divisors(fold.outputs) for simd in divisors(fold.inputs)]


def optimize_folding(params: QmlpParams, target_ii: int, *, cost: str = "lut",
                     target: str = "ecp5-85k", max_bram: int | None = None) -> FoldingChoice:
    """The cheapest folding whose initiation interval is at most ``target_ii`` cycles
    (FINN's "set folding", but resource-aware): ``cost`` ``"lut"`` uses the fitted area
    model for ``target``; ``"pes"`` counts multipliers (pe x simd summed). With weights in
    block RAM (``params.weight_memory``), ``max_bram`` bounds the block RAMs of the weight
    ROMs on ``target`` (exact: :func:`weight_rom_brams`), e.g. a device's count; ``None``
    leaves them unbounded.

    Both costs are sums of per-layer terms (the area features are summed over layers), and
    layers are coupled only through beat widths (a layer's input beats are the previous
    layer's PE) and the block RAMs used so far, so a dynamic program over (the previous
    layer's PE, block RAMs used) finds the exact optimum over every layer's (PE, SIMD)
    divisor pairs with ``max(NF x SF, beats) <= target_ii``; ties go to the lower latency,
    then to fewer block RAMs. A budget never leaves no choice: a layer folded fully
    parallel (one step) has no ROM.

    Raises:
        ParamError: if ``target_ii`` < 1, ``cost`` is unknown, ``max_bram`` is negative, or
            no folding meets ``target_ii``.
        AreaModelError: for ``lut`` without an area model for ``target``, or ``max_bram``
            with block weights on a target without block RAM listed.
    """
    if isinstance(target_ii, bool) or not isinstance(target_ii, int) or target_ii < 1:
        raise ParamError(f"`target_ii` must be a positive integer of cycles, not {target_ii!r}")
    if cost not in ("lut", "pes"):
        raise ParamError(f"`cost` must be one of 'lut', 'pes', not {cost!r}")
    check_max_bram(max_bram)
    folds = params.folds()
    layer_cost = _layer_cost_function(params, cost, target)
    layer_brams = _layer_bram_function(params, target, max_bram)
    # state: (PE of the last layer placed, block RAMs so far) -> (cost, latency, folding)
    State = tuple[float, int, tuple[tuple[int, int], ...]]
    states: dict[tuple[int, int], State] = {}
    for index, fold in enumerate(folds):
        next_states: dict[tuple[int, int], State] = {}
        previous = states.items() if index else [((0, 0), (0.0, 0, ()))]
        for (prev_pe, prev_brams), (prev_cost, prev_latency, chosen) in previous:
            for pe in divisors(fold.outputs):
                for simd in divisors(fold.inputs):
                    steps = (fold.outputs // pe) * (fold.inputs // simd)
                    beats = fold.inputs // (simd if index == 0 else prev_pe)
                    if max(steps, beats) > target_ii:
                        continue
                    brams = prev_brams + layer_brams(index, pe, simd)
                    if max_bram is not None and brams > max_bram:
                        continue
                    total = prev_cost + layer_cost(index, pe, simd, prev_pe)
                    lat = prev_latency + steps + (beats if index == 0 else 0)
                    state = (pe, brams)
                    if state not in next_states or (total, lat) < next_states[state][:2]:
                        next_states[state] = (total, lat, (*chosen, (pe, simd)))
        if not next_states:
            raise ParamError(f"no folding reaches II {target_ii}: layer {index} "
                             f"({fold.inputs} inputs x {fold.outputs} outputs) cannot take "
                             "its input beats or steps that fast")
        states = next_states
    _, (total, _, folding) = min(states.items(),
                                 key=lambda item: (*item[1][:2], item[0][1]))
    chosen_params = params.with_folding(folding)
    timings = layer_timing(chosen_params.folds())
    candidates = 1
    for fold in folds:
        candidates *= len(divisors(fold.outputs)) * len(divisors(fold.inputs))
    if cost == "lut":
        model = load_area_model(params.generator, target, qmlp_features)
        total = float(model.estimate(chosen_params).resources()["lut"])
    return FoldingChoice(chosen_params, max(t.initiation_interval for t in timings),
                         latency(chosen_params.folds()), total, cost, candidates,
                         weight_rom_brams(chosen_params, target), max_bram)


def check_max_bram(max_bram: int | None) -> None:
    """Raises:
        ParamError: unless ``max_bram`` is ``None`` or a block RAM count >= 0."""
    if max_bram is not None and (isinstance(max_bram, bool) or not isinstance(max_bram, int)
                                 or max_bram < 0):
        raise ParamError(f"`max_bram` must be a block RAM count >= 0, not {max_bram!r}")


def _layer_bram_function(params: QmlpParams, target: str, max_bram: int | None
                         ) -> Callable[[int, int, int], int]:
    """Block RAMs of layer ``index``'s weight ROM folded (pe, simd) on ``target`` (0 with
    weights in logic, or without a budget: then they are not tracked)."""
    if params.weight_memory != "block" or max_bram is None:
        return lambda index, pe, simd: 0
    network = params.quant_network()
    sizes = params.sizes
    counts: dict[tuple[int, int, int], int] = {}

    def brams(index: int, pe: int, simd: int) -> int:
        key = (index, pe, simd)
        if key not in counts:
            fold = LayerFold(sizes[index], sizes[index + 1], pe, simd)
            counts[key] = _layer_brams(network, index, fold, params.weight_memory, target)
        return counts[key]

    return brams


def _layer_cost_function(params: QmlpParams, cost: str, target: str
                         ) -> Callable[[int, int, int, int], float]:
    """Per-layer cost of layer ``index`` folded (pe, simd) after a layer of ``previous_pe``
    PEs: multipliers, or the area model's LUT coefficients times the layer's features (the
    fixed term is the same for every folding and left out). The features that depend on
    the fold alone (the dot products' traced adders, the ROMs, the comparisons) are
    computed once per (layer, pe, simd); only the beat counter and the capture register
    depend on ``previous_pe`` (the input beat width)."""
    if cost == "pes":
        return lambda index, pe, simd, previous_pe: float(pe * simd)
    fit = load_area_model(params.generator, target, qmlp_features).resources["lut"].fit
    coefficients = dict(zip(fit.features, fit.coefficients, strict=True))
    network = params.quant_network()
    sizes = params.sizes
    fold_costs: dict[tuple[int, int, int], float] = {}

    def lut(index: int, pe: int, simd: int, previous_pe: int) -> float:
        fold = LayerFold(sizes[index], sizes[index + 1], pe, simd)
        key = (index, pe, simd)
        if key not in fold_costs:
            fold_costs[key] = _weighted(
                coefficients, _fold_features(network, index, fold, params.weight_memory))
        in_elements = simd if index == 0 else previous_pe
        return fold_costs[key] + _weighted(
            coefficients, _beat_features(network, index, fold, in_elements))

    return lut


def _weighted(coefficients: dict[str, float], features: dict[str, float]) -> float:
    return sum(coefficients.get(name, 0.0) * value for name, value in features.items())


# --- area features ----------------------------------------------------------------


#: Deepest ROM whose address bits ABC folds into the LUTs that use each output bit (a
#: LUT4 keeps one input for what the bit gates)
_ROM_FOLDED_DEPTH = 8


def _trailing_zeros(value: int) -> int:
    value = abs(value)
    return (value & -value).bit_length() - 1


def _constant_compare_bits(network: QuantNetwork, index: int, fold: LayerFold,
                           skip: frozenset[int] = frozenset(),
                           widths: list[int] | None = None) -> int:
    """Bits of layer ``index``'s threshold comparisons that stay carry chains when its
    thresholds are constants (one neuron group, ``NF = 1``): per PE, each distinct
    threshold compared with the ``A``-bit sum, at ``A`` less the threshold's trailing zero
    bits (Yosys compares only the sum's bits above them), where that leaves at least
    :data:`_CARRY_CHAIN_MIN_BITS`. Narrower ones go to ABC with the count of thresholds
    passed; a threshold of 0 (the sign bit) or of the range's lowest value (always
    passed) costs nothing. Probed in Yosys 0.70: ``x >= k`` on a signed 6-bit ``x`` maps
    to three CCU2C cells for every ``k`` but the multiples of 4, which map to gates.

    With ``widths`` (a layer of ``SF = 1``, whose sums are its dot products, sign-extended:
    each PE's dot-product width) a PE's sum is that wide instead of ``A``, and a threshold
    outside its range is always or never passed. That range is also what the constant
    weights let the dot product reach (every input at 0 or at its largest): the
    comparison is a function of the input bits alone, and ABC finds it constant outside
    that range (since session 37: on 2-30-10 w2 a4 i8 [30x2,10x1], whose PEs weigh two
    8-bit inputs by -2..1, ABC left 287 of the 399 carry chains Yosys built; leave-one-out
    over the 1,155 fitted designs 3.26% -> 3.22% mean on ``ecp5-85k-area``, 3.42% ->
    3.39% on ``ecp5-85k-nowidelut``, 6.73% -> 6.64% on ``ecp5-85k``). An accumulated sum
    (``SF > 1``) is a register, whose reach ABC does not know. In a one-step layer, PEs
    of equal weights compare one dot product, and a threshold two of them share is one
    comparison (:func:`_pe_neuron`; since session 38). The PEs in ``skip`` are left
    out."""
    bits = 0
    compared_once: set[tuple[bytes, int]] = set()   # (weight row, threshold), SF = 1
    for p, width, threshold in _reachable_thresholds(network, index, fold, skip, widths):
        if widths is not None:
            row = _weight_row(network, index, p)
            if (row, threshold) in compared_once:
                continue
            compared_once.add((row, threshold))
        compared = width - _trailing_zeros(threshold)
        bits += compared if compared >= _CARRY_CHAIN_MIN_BITS else 0
    return bits


def _reachable_thresholds(network: QuantNetwork, index: int, fold: LayerFold,
                          skip: frozenset[int], widths: list[int] | None
                          ) -> Iterator[tuple[int, int, int]]:
    """Per PE of layer ``index`` (``NF = 1``; those in ``skip`` left out), its sum's
    width and each distinct threshold that is not 0 and lies inside what the sum can
    reach (as :func:`_constant_compare_bits` has it): ``(pe, width, threshold)``."""
    layer = network.layers[index]
    if layer.thresholds is None or fold.neuron_fold > 1:
        return
    top = (1 << network.input_bits_of(index)) - 1
    weights = np.asarray(layer.weights, dtype=np.int64)
    for p, row in enumerate(np.asarray(layer.thresholds)):
        if p in skip:
            continue
        width = network.accumulator_width(index) if widths is None else widths[p]
        if width <= 0:   # no terms: the sum is 0, and so is every comparison
            continue
        lowest, highest = -(1 << (width - 1)), (1 << (width - 1)) - 1
        if widths is not None:   # the dot product of constant weights, combinational
            lowest = max(lowest, int(np.minimum(weights[p], 0).sum()) * top)
            highest = min(highest, int(np.maximum(weights[p], 0).sum()) * top)
        for threshold in sorted({int(t) for t in row}):
            if threshold != 0 and lowest < threshold <= highest:
                yield p, width, threshold


def _count_compares(network: QuantNetwork, index: int, fold: LayerFold,
                    distinct: frozenset[int], widths: list[int] | None) -> int:
    """In a one-step layer (``widths`` given: ``SF = 1``), the comparisons that the counts
    of thresholds passed take, once per distinct PE (:func:`_pe_neuron`): each PE counts
    its own comparisons, though PEs of equal weights share them
    (:func:`_constant_compare_bits`); ``distinct``: one PE of each kind
    (:func:`_distinct_pes`). Since session 38, with that sharing: on 7-19-3-29-15
    w1 a3 i5 [1x7,1x1,29x3,5x1] block (seed 253), whose third layer's 29 PEs have 8
    distinct weight rows, Yosys 0.70 built 71 comparisons where the model had priced 195
    (one per PE and threshold), and the design measured 1,284 LUTs, 1,413 modelled before
    and 1,117 with the comparisons shared and no count logic. Leave-one-out over the fitted
    designs with this feature: 3.27% -> 3.16% mean on ``ecp5-85k-area``, 3.41% -> 3.27%
    on ``ecp5-85k-nowidelut``, 6.63% -> 6.56% on ``ecp5-85k``."""
    if widths is None:
        return 0
    others = frozenset(range(fold.pe)) - distinct
    return sum(1 for _ in _reachable_thresholds(network, index, fold, others, widths))


def _pe_neuron(network: QuantNetwork, index: int, fold: LayerFold, p: int
               ) -> tuple[bytes, tuple[int, ...]] | None:
    """What PE ``p`` of a one-step layer (``SF = NF = 1``: constant weights) computes, as
    its weight row and thresholds; ``None`` in other layers. Two PEs with equal ones build
    the same adders, comparisons and output register from the same inputs, which
    Yosys' ``opt_merge`` makes one (since session 38: on 2-43-83-37-12 w1 a2 i3
    [43x2,1x43,37x1,2x37] block, seed 172, whose first layer's 43 PEs weigh two inputs by
    +-1 and are 26 distinct neurons, Yosys 0.70 kept 26 x 2 output bits and the next
    layer's capture and vector flip-flops of those alone: 1,131 FFs measured, 1,233
    modelled before)."""
    layer = network.layers[index]
    if fold.synapse_fold != 1 or fold.neuron_fold != 1:
        return None
    thresholds = () if layer.thresholds is None else \
        tuple(int(t) for t in np.asarray(layer.thresholds)[p])
    return _weight_row(network, index, p), thresholds


def _weight_row(network: QuantNetwork, index: int, p: int) -> bytes:
    """Neuron ``p``'s weights in layer ``index``, as a key (equal rows, equal keys)."""
    return np.ascontiguousarray(network.layers[index].weights[p], dtype=np.int64).tobytes()


def _distinct_pes(network: QuantNetwork, index: int, fold: LayerFold,
                  skip: frozenset[int]) -> frozenset[int]:
    """The PEs of layer ``index`` not in ``skip`` that Yosys keeps apart: in a one-step
    layer the first of each kind (:func:`_pe_neuron`: PEs of equal weights and thresholds
    are one), elsewhere all of them."""
    first: dict[Any, int] = {}
    for p in range(fold.pe):
        if p not in skip:
            first.setdefault(_pe_neuron(network, index, fold, p) or p, p)
    return frozenset(first.values())


def _collapsed_pes(network: QuantNetwork, index: int, fold: LayerFold,
                   dead: frozenset[int] = frozenset()) -> tuple[frozenset[int], int, int]:
    """The PEs of layer ``index`` that the RTL builds as truth tables
    (:func:`hw.qmlp.accelerator.table_pe`: a one-step layer, at most 4 input bits), the
    LUTs of their output bits and the flip-flops that register them. A table bit is one
    LUT4 of the input bits it depends on, and equal tables of the same bits (in any PE) are
    one cell after ``opt_merge``: one LUT and one flip-flop. A bit equal to an input bit is
    that wire, no LUT, and one flip-flop for all the PEs that register it; a constant 0
    costs nothing (the flip-flop's initial value), a constant 1 one flip-flop for all.

    Since session 34. Before, these PEs added and compared, and ABC dissolved the carry
    chains of some PEs and not of others: on 4-2-33-11 w7 a2 i5 [1x1,33x2,1x11] block,
    788 CCU2C before ABC and 348 after, where the model priced the layer's 33 PEs as 46
    LUTs (the design measured 1,152 LUTs, 29% over the model).

    The tables of the PEs in ``dead`` (:func:`_dead_pes`: nothing reads their outputs)
    are removed with their flip-flops: such PEs are collapsed, with no LUTs or
    flip-flops."""
    skip: set[int] = set()
    registered: set[Any] = set()   # one flip-flop each (:func:`_bit_source`)
    for p in range(fold.pe):
        bits = table_pe(network, index, fold, p)
        if bits is None:
            continue
        skip.add(p)
        if p not in dead:
            registered.update(_bit_source(bit) for bit in bits)
    registered.discard(None)
    functions = {source for source in registered if source[0] == "table"}
    return frozenset(skip), len(functions), len(registered)


def _bit_source(bit: TableBit) -> tuple[Any, ...] | None:
    """What drives the output flip-flop of a table PE's output bit: a table of its input
    bits (one LUT; equal tables of the same bits are one cell after ``opt_merge``), an
    input wire, the constant 1, or ``None`` for a constant 0 (no flip-flop: its initial
    value)."""
    if bit.wire is not None:
        return ("wire", bit.wire)
    if bit.table is not None:
        return ("table", bit.inputs, bit.table)
    return ("one",) if bit.constant else None


def _threshold_rom_luts(network: QuantNetwork, index: int, fold: LayerFold,
                        dead: frozenset[int] = frozenset()) -> int:
    """LUT4s of layer ``index``'s threshold ROM (``NF > 1`` words): per output bit that is
    not constant, counted once where bits are equal over the words (one signal after
    ``opt_merge``), one LUT4 per 16 words and at least one: each bit is an operand of a
    comparison's carry chain, which takes no logic of its own (unlike a weight bit, which
    ABC folds into its term's gate; leave-one-out over the 208 designs of
    ``bench/results/area_qmlp.md``, 6.4% -> 6.2%, against every bit priced by
    :func:`_rom_luts_per_bit`). The thresholds of the PEs in ``dead`` (:func:`_dead_pes`)
    feed nothing: their bits are removed."""
    layer = network.layers[index]
    if layer.thresholds is None or fold.neuron_fold == 1:
        return 0
    per_pe = ((1 << layer.act_bits) - 1) * network.accumulator_width(index)
    words = threshold_rom(network, index, fold)   # PE by PE in each word
    columns = {tuple((word >> bit) & 1 for word in words)
               for p in range(fold.pe) if p not in dead
               for bit in range(p * per_pe, (p + 1) * per_pe)}
    varying = [column for column in columns if len(set(column)) > 1]
    return len(varying) * max(1, _rom_luts_per_bit(fold.neuron_fold))


def _output_sources(network: QuantNetwork, index: int, fold: LayerFold
                    ) -> list[list[Any]] | None:
    """What drives each output flip-flop of layer ``index`` (per output element, per
    bit), where the layer takes a single step (its ``pe`` elements are all its outputs)
    and has table PEs (:func:`hw.qmlp.accelerator.table_pe`) or thresholds; else ``None``.
    ``None`` stands for a constant 0 (no flip-flop); equal keys are one signal: a table of
    the same bits (one cell after ``opt_merge``), the same input wire, or the output of
    PEs of equal weights and thresholds (:func:`_pe_neuron`)."""
    if fold.synapse_fold != 1 or fold.neuron_fold != 1:
        return None
    layer = network.layers[index]
    out_bits = network.accumulator_width(index) if layer.thresholds is None \
        else layer.act_bits
    sources: list[list[Any]] = []
    found = layer.thresholds is not None   # or a table PE, below
    for p in range(fold.pe):
        bits = table_pe(network, index, fold, p)
        if bits is None:
            # PEs of equal weights and thresholds register one output (:func:`_pe_neuron`)
            neuron = _pe_neuron(network, index, fold, p) if layer.thresholds is not None \
                else p
            sources.append([("pe", neuron, b) for b in range(out_bits)])
            continue
        found = True
        sources.append([_bit_source(bit) for bit in bits])
    return sources if found else None


def _read_input_bits(network: QuantNetwork, index: int, fold: LayerFold,
                     removed: frozenset[int] = frozenset()) -> np.ndarray:
    """Which bits of each SIMD lane's input layer ``index`` reads (shape ``simd x input
    bits``): every bit of a lane with a term in some PE (a weight that is not zero in
    every ROM word; a 1-bit, bipolar, weight is never zero), and of a table PE
    (:func:`hw.qmlp.accelerator.table_pe`) only the input bits its output bits depend on
    (none where they are constant); the PEs in ``removed`` read nothing (:func:`_dead_pes`:
    no logic of theirs stays)."""
    in_bits = network.input_bits_of(index)
    if network.layers[index].weight_bits == 1:
        used = np.ones((fold.pe, fold.simd), dtype=bool)
    else:
        used = (weight_bit_kinds(network, index, fold) != CLEAR).any(axis=2)
    reads = np.zeros((fold.simd, in_bits), dtype=bool)
    for p in range(fold.pe):
        if p in removed:
            continue
        bits = table_pe(network, index, fold, p)
        if bits is None:
            reads[used[p]] = True
            continue
        for bit in bits:
            for lane, k in bit.inputs + ((bit.wire,) if bit.wire is not None else ()):
                reads[lane, k] = True
    return reads


def _has_kept_signal(kinds: np.ndarray, weight_bits: int) -> bool:
    """Whether a PE's dot product (:func:`hw.qmlp.accelerator.pe_terms` of its ``simd x
    bits`` weight-bit kinds) has a signal with the ``keep`` attribute
    (:func:`hw.logic.kept_sum`): an adder of two added terms, or the subtraction of
    subtracted ones. A kept signal stays with all the logic before it, even where nothing
    reads it."""
    terms = pe_terms(kinds, weight_bits)
    added = sum(1 for t in terms if not t.negative)
    return added >= 2 or len(terms) > added


def _dead_pes(network: QuantNetwork, folds: tuple[LayerFold, ...]
              ) -> list[tuple[frozenset[int], frozenset[int]]]:
    """Per layer, the PEs whose outputs nothing reads (dead) and, of those, the ones of
    which no logic stays (removed), from the last layer back (whose outputs are all read).
    Layer ``i + 1`` reads the elements of its input lanes that :func:`_read_input_bits`
    names, its removed PEs left out; a PE of layer ``i`` is dead where none of its neurons
    (``nf * pe + p``) is such an element. Yosys then removes the dead PE's accumulator,
    comparisons, threshold bits and output register, and the dot product too unless it has
    a kept signal (:func:`_has_kept_signal`), which keeps its adders, gates and ROM bits; a
    dead table PE goes whole. Since session 37: on 4-2-6-4-3 w2 a1 i8
    [1x1,6x2,1x1,3x2] (seed 764), whose second layer's table PEs are all constant, Yosys
    0.70 kept none of the first layer's accumulator and output flip-flops but all of its
    subtraction's logic (164 LUTs and 136 FFs measured on ``ecp5-85k-area``, 206 and 147
    modelled before)."""
    result: list[tuple[frozenset[int], frozenset[int]]] = []
    read: list[bool] | None = None   # per output element of the layer in hand
    for index in reversed(range(len(folds))):
        fold = folds[index]
        if read is None:
            dead: frozenset[int] = frozenset()
        else:
            dead = frozenset(p for p in range(fold.pe)
                             if not any(read[nf * fold.pe + p]
                                        for nf in range(fold.neuron_fold)))
        kinds = weight_bit_kinds(network, index, fold)
        weight_bits = network.layers[index].weight_bits
        removed = frozenset(p for p in dead
                            if table_pe(network, index, fold, p) is not None
                            or not _has_kept_signal(kinds[p], weight_bits))
        result.append((dead, removed))
        lanes = _read_input_bits(network, index, fold, removed).any(axis=1)
        read = [bool(lanes[element % fold.simd]) for element in range(fold.inputs)]
    return result[::-1]


def _vector_flip_flops(network: QuantNetwork, index: int, fold: LayerFold,
                       in_elements: int, sources: list[list[Any]] | None = None,
                       removed: frozenset[int] = frozenset()) -> int:
    """Flip-flops of layer ``index``'s capture shift register and vector register that
    Yosys keeps. A vector bit no PE reads (:func:`_read_input_bits`: its SIMD lane has a
    zero weight in every PE and ROM word, or only table PEs take the lane and none of
    their outputs depends on the bit) is dropped; a capture bit is dropped when its vector
    bit is and so is the capture bit it shifts into (``in_elements`` further down), so
    only the unread ones at the bottom of the shift register go.

    After a one-step layer with table PEs or thresholds (``sources``,
    :func:`_output_sources`: its output beat is the whole vector, so the capture register
    is one beat deep) Yosys merges the capture and vector flip-flops of equal output bits
    and drops those of constant ones, as it does in the output register before them
    (since session 34; the outputs of PEs with equal weights and thresholds since session
    38)."""
    reads = _read_input_bits(network, index, fold, removed)
    if sources is not None:
        assert in_elements == fold.inputs == len(sources)
        return 2 * len({sources[element][k] for element in range(fold.inputs)
                        for k in range(reads.shape[1])
                        if reads[element % fold.simd, k] and sources[element][k] is not None})
    kept = 0
    for k in range(reads.shape[1]):
        removable = [False] * fold.inputs
        for element in range(fold.inputs):
            unread = not reads[element % fold.simd, k]
            below = element - in_elements
            removable[element] = unread and (below < 0 or removable[below])
            kept += 2 - unread - removable[element]
    return kept


def _rom_luts_per_bit(depth: int) -> int:
    """LUT4s per output bit of a ROM of ``depth`` random words in logic: one per 16 words,
    plus one per further 64-word group (PFUMX / L6MUX21 join up to 64); none up to 8 words,
    whose 3 address bits ABC folds into the LUTs that use the bit (the leave-one-out error
    of the fit says so: 9.2% against 10.4% counting one LUT, ``bench/results/area_qmlp.md``)."""
    if depth <= _ROM_FOLDED_DEPTH:
        return 0
    return -(-depth // 16) + max(0, -(-depth // 64) - 1)


#: Words of a ROM that one LUT4 holds (its four inputs: the address's low bits)
_ROM_SLICE_WORDS = 16


def _varying_rom_columns(network: QuantNetwork, index: int, fold: LayerFold
                         ) -> dict[bytes, np.ndarray]:
    """The distinct columns of layer ``index``'s weight ROM (one stored weight bit of one
    PE and lane over the words) that are not constant, by their bytes."""
    columns = weight_bit_columns(network, index, fold)
    kinds = weight_bit_kinds(network, index, fold)
    return {columns[p, :, lane, bit].tobytes(): columns[p, :, lane, bit]
            for p, lane, bit in np.argwhere(kinds == VARIES)}


def _rom_luts(network: QuantNetwork, index: int, fold: LayerFold) -> int:
    """LUT4s of layer ``index``'s weight ROM in logic (``SF x NF`` words, addressed in step
    order): none up to 8 words (:func:`_rom_luts_per_bit`); above that, over the ROM's
    distinct output bits that are not constant, one LUT per distinct slice of 16
    consecutive words (a function of the address's low four bits: equal slices, in any
    bit or at any address, are one LUT after ABC's structural hashing), and per output bit
    one more per further 64-word group (PFUMX / L6MUX21 join up to 64). A constant slice
    counts as well: probed in Yosys 0.70 (``ecp5-85k-area``, a 1 x 1 layer of 32 inputs and
    one 1-bit ROM column), a column whose first 16 words are all 1 took as many LUTs as one
    with two different varying slices (174), one of two equal slices 16 fewer, and 64
    words of one slice four times over 8 fewer than 64 random words. Since session 33, in
    place of :func:`_rom_luts_per_bit` per output bit: leave-one-out over the fitted
    designs of ``bench/results/area_qmlp_ecp5-85k-area.md`` 3.77% -> 3.68% mean, 3.93% ->
    3.74% on ``ecp5-85k-nowidelut``, 7.19% -> 7.17% on ``ecp5-85k`` (with
    ``chained_adder_bits``)."""
    steps = fold.cycles_per_vector
    if steps <= _ROM_FOLDED_DEPTH:
        return 0
    distinct = _varying_rom_columns(network, index, fold)
    slices = {column[start:start + _ROM_SLICE_WORDS].tobytes()
              for column in distinct.values()
              for start in range(0, steps, _ROM_SLICE_WORDS)}
    return len(slices) + len(distinct) * max(0, -(-steps // 64) - 1)


def _rom_join_luts(network: QuantNetwork, index: int, fold: LayerFold) -> int:
    """The 2:1 joins of layer ``index``'s weight ROM in logic: per distinct output bit that
    is not constant, one fewer than its 16-word slices that are not all 0 (a LUT4 each
    where no PFUMX / L6MUX21 joins them: ``ecp5-85k-nowidelut``, and on ``ecp5-85k-area``
    as its fit says; a slice of zeros only gates the join, which ABC folds into the rest);
    none up to 8 words (:func:`_rom_luts`). Since session 38, with
    ``slice_mux_join_luts`` (the input-slice multiplexer's 2:1 joins) on those two
    targets: leave-one-out over the 1,283 fitted designs 3.16% -> 2.97% mean on
    ``ecp5-85k-area`` (3.00% counting every slice: trained networks, whose ROMs hold many
    slices of zeros, 3.88% -> 3.83% with this count and 3.96% with that one), 3.28% ->
    3.07% on ``ecp5-85k-nowidelut`` (trained 4.13% -> 3.95%); on ``ecp5-85k``, whose
    wide-function cells join up to 8 and 64 inputs, no gain (6.56% -> 6.56%). Found as
    the features that a gradient-boosted correction of the ``ecp5-85k-nowidelut`` fit
    leaned on most (``bench/area_limits.py``)."""
    steps = fold.cycles_per_vector
    if steps <= _ROM_FOLDED_DEPTH:
        return 0
    joins = 0
    for column in _varying_rom_columns(network, index, fold).values():
        nonzero = sum(1 for start in range(0, steps, _ROM_SLICE_WORDS)
                      if column[start:start + _ROM_SLICE_WORDS].any())
        joins += max(0, nonzero - 1)
    return joins


def _rom_column_luts(network: QuantNetwork, index: int, fold: LayerFold) -> int:
    """:func:`_rom_luts` with no slice shared between the ROM's distinct columns, and a
    constant slice free: one LUT4 per 16-word slice of each distinct column that varies
    within the slice, and one more per further 64-word group. Where synthesis maps to wide
    LUTs, a column's slices and the PFUMX / L6MUX21 that join them make one LUT5..LUT7 of
    the address (and of what ABC folds in), which another column cannot share unless all
    of it is equal. Trained networks tell the two counts apart (their sparse columns repeat
    slices, random ones rarely do): on the 16 trained networks of
    ``bench/results/area_trained_qmlp_ecp5-85k-area.md`` (session 35), with the shipped
    coefficients refitted on the random samples with this count in place of
    :func:`_rom_luts`, LUT error 4.30% -> 3.38% mean, -3.1% -> -2.2% signed, leave-one-out
    over the random fit unchanged (3.37%). Both counts are features; the fit weighs them
    per target."""
    steps = fold.cycles_per_vector
    if steps <= _ROM_FOLDED_DEPTH:
        return 0
    distinct = _varying_rom_columns(network, index, fold)
    varying = sum(int(column[start:start + _ROM_SLICE_WORDS].min()
                      != column[start:start + _ROM_SLICE_WORDS].max())
                  for column in distinct.values()
                  for start in range(0, steps, _ROM_SLICE_WORDS))
    return varying + len(distinct) * max(0, -(-steps // 64) - 1)


def _mux_luts_per_bit(inputs: int) -> int:
    """LUT4s per bit of an ``inputs``:1 multiplexer (two inputs per LUT4, joined by PFUMX /
    L6MUX21 up to 8, one more LUT4 per further group of 8)."""
    if inputs <= 1:
        return 0
    return -(-inputs // 2) + max(0, -(-inputs // 8) - 1)


#: The block RAM whose geometries price a ROM's read multiplexer in the area features (the
#: qmlp-v1 area model is fitted on ECP5)
_BLOCK_RAM_TARGET = "ecp5-85k"

#: Yosys's ECP5 ``$alu`` map (``techlibs/lattice/arith_map_ccu2c.v``) makes an adder of
#: more than 4 result bits a chain of CCU2C cells (two LUT4s per two bits) and leaves
#: smaller ones to gates
_CARRY_CHAIN_MIN_BITS = 5


def _adder_cost(low: int, high: int) -> tuple[int, int]:
    """(carry-chain LUTs, gate-mapped bits) of an adder computing bits ``low..high-1``
    (Yosys strips the low bits where an operand is zero: they pass through)."""
    bits = high - low
    if bits >= _CARRY_CHAIN_MIN_BITS:
        return 2 * -(-bits // 2), 0
    return 0, bits


def _joined_without_adder(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two operands of ``(low, high)`` bit spans do not overlap: Yosys then joins
    them as wires, with no adder and no carry bit (e.g. ``x`` and ``x << 1`` of a 1-bit
    ``x``)."""
    return a[1] <= b[0] or b[1] <= a[0]


def _kept_adders(a: int, b: int) -> tuple[int, list[tuple[int, int]]]:
    """``a + b`` of two operands given by the bits that may be set (masks) as Yosys leaves
    it: the sum's mask and its adders, each ``(low, high)``, computing bits
    ``low..high-1``. Bits below the lowest that both operands may set pass through (no
    adder, none at all where no bit is shared: ``x`` and ``x << 1`` of a 1-bit ``x``). From
    there an adder runs up to the next bit that neither may set, which takes its carry
    out; above it the same again (Yosys splits the ``$alu`` there: no carry crosses it).
    Since session 28, in place of a ``(low, high)`` span per operand, which took the bits
    between a 1-bit input's sparse terms as set and counted adders where Yosys has wires
    (traced against the ``$alu`` cells Yosys 0.70 has before techmapping them)."""
    total, adders = 0, []
    either, both = a | b, a & b
    start = 0
    while both >> start:
        low = start + _trailing_zeros(both >> start)
        total |= either & ((1 << low) - 1) & ~((1 << start) - 1)
        end = low
        while either >> end & 1:
            end += 1
        adders.append((low, end + 1))
        total |= ((1 << (end + 1)) - 1) & ~((1 << low) - 1)
        start = end + 1
    return total | (either & ~((1 << start) - 1)), adders


@dataclasses.dataclass(frozen=True)
class _Operand:
    """A value in a PE's adder tree as the synthesized netlist has it: the bits that may be
    set (``mask``; the others are constant zero as far as Yosys knows), the cells it comes
    from (``key``, a number per distinct cell: equal keys are one cell after Yosys'
    ``opt_merge``, in whichever PE) and its largest value for each ROM word (``peak``:
    every input at its largest)."""

    mask: int
    key: int
    peak: np.ndarray
    #: the value is the cell's (or term's) own value shifted left by ``shift``: Yosys
    #: strips an adder's low bits where both operands are 0 (``x << 2`` plus ``y << 2`` is
    #: ``x + y`` wired two bits up), so adders of the same operands at any common shift are
    #: one cell after ``opt_merge``
    shift: int = 0
    #: how many gate-mapped adders deep the value is: 0 for a term or a carry chain's
    #: output (a signal ABC takes as it is), one more than the deeper operand where every
    #: adder of the addition is gate-mapped
    gate_depth: int = 0
    #: the bits that are wires of an input (or of one AND gate of an input bit and a ROM
    #: bit), by position: ``(gate, lane, input bit)``, equal wherever they are shifted to
    wires: dict[int, tuple[Any, ...]] = dataclasses.field(default_factory=dict)

    def source(self, bit: int) -> tuple[Any, ...]:
        """What drives bit ``bit``: an input wire, or this cell's own output bit."""
        return self.wires.get(bit, ("cell", self.key, bit - self.shift))


#: A PE's dot product: its width as a signed value, its cell, what drives each bit
_Sum = tuple[int, int, frozenset[tuple[Any, ...]]]


def _dot_product_bits(network: QuantNetwork, index: int, fold: LayerFold,
                      opaque: bool = False, skip: frozenset[int] = frozenset()
                      ) -> tuple[int, int, int, list[_Sum], int, int]:
    """The carry-chain LUTs and gate-mapped bits of layer ``index``'s dot-product adders
    (:func:`_dot_product_adders`, :func:`_adder_cost`; a chain's top CCU2C cells from its
    ``live_high`` up dropped, as ABC does), its gated term bits, each PE's dot product, and
    the bits of its gate-mapped adders fed by gate-mapped adders and of those whose
    operands set the same bits (:func:`_dot_product_adders`); the cells of the PEs in
    ``skip`` left out."""
    adders, gated, sums, chained, aligned = _dot_product_adders(network, index, fold,
                                                                opaque, skip)
    chain = small = 0
    for low, high, live_high in adders:
        luts, bits = _adder_cost(low, high)
        if luts:   # CCU2C cells hold two bits from ``low`` up; ABC drops those wholly dead
            luts = 2 * -(-(min(high, live_high) - low) // 2)
        chain += luts
        small += bits
    return chain, small, gated, sums, chained, aligned


def _dot_product_adders(network: QuantNetwork, index: int, fold: LayerFold,
                        opaque: bool = False, skip: frozenset[int] = frozenset()
                        ) -> tuple[list[tuple[int, int, int]], int, list[_Sum], int, int]:
    """Of layer ``index``'s dot products as the RTL builds them
    (:func:`hw.qmlp.accelerator.pe_terms`, each adder kept apart by
    :func:`hw.logic.kept_sum`) and as Yosys leaves them: each distinct adder or subtraction
    as ``(low, high, live_high)`` (it computes bits ``low..high-1``; none of its bits from
    ``live_high`` up can be set), the bits of the gated terms (an AND per bit), and each
    PE's dot product as
    ``(width, key, bits)``: its width as a signed value, at most the accumulator's (bits
    above it are copies of its sign, or 0), its cell (equal keys: one signal; ``-1`` for a
    PE with no terms) and what drives each of its bits that may be set (an input wire,
    equal in every PE and at every shift, or a cell's output bit: one flip-flop each where
    the sum is registered). The cells of the PEs in ``skip`` are left out of the counts;
    their sums are given all the same. Counted as the netlists of
    ``bench/area_qmlp.py`` show (traced per adder in Yosys 0.70):

    - an addition's adders are those of :func:`_kept_adders`, from the bits each operand
      may set;
    - terms, adders and ROM bits equal in two PEs (the same lane and weight-bit column over
      the ROM words, so the same gate) are one cell (``opt_merge``), counted once, and so
      are adders of the same operands at another common shift (``x << 2`` plus ``y << 2``
      is ``x + y`` two bits up: Yosys strips the low bits no operand sets; since session
      33, where the trace had counted them apart: on 3-8 w3 a1 i6 [8x3] 19 adders as in
      Yosys against 23; leave-one-out over the fitted designs of
      ``bench/results/area_qmlp_ecp5-85k-area.md`` 4.15% -> 3.95% mean); not so
      with ``opaque`` weights: each bit a block RAM reads out is a cell of its own (Yosys
      keeps a block ROM's equal columns apart, :func:`block_rom_width`), so each PE's
      gates, terms and adders are its own (since session 26: leave-one-out over the 428
      designs of ``bench/results/area_qmlp.md``, 7.63% -> 7.43% mean);
    - a carry chain's top CCU2C cells whose bits can never be set (above the largest sum
      the ROM words allow, or above the sign of a difference) are dropped by ABC; with
      ``opaque`` weights (a ROM in block RAM, whose words ABC cannot see) only those above
      the largest sum of any weights.

    Also returned: the bits of the gate-mapped adders (fewer than
    :data:`_CARRY_CHAIN_MIN_BITS`) that take the output of another gate-mapped adder (its
    ``_Operand.gate_depth``), and of those whose two operands may set the same bits
    (aligned: two lanes' terms of one weight bit, say), each counted once per cell as
    above."""
    in_bits = network.input_bits_of(index)
    weight_bits = network.layers[index].weight_bits
    columns = weight_bit_columns(network, index, fold)
    kinds = weight_bit_kinds(network, index, fold)
    largest = (1 << in_bits) - 1
    cells: dict[tuple[Any, ...], int] = {}   # a cell's inputs -> its key
    seen: set[int] = set()
    found: list[tuple[int, int, int]] = []
    chained = 0   # bits of gate-mapped adders fed by gate-mapped adders
    aligned = 0   # bits of gate-mapped adders whose operands set the same bits

    def cell(*inputs: Any) -> int:
        return cells.setdefault(inputs, len(cells))

    def add(key: int, adders: list[tuple[int, int]], live_high: int) -> None:
        if counting and key not in seen:
            seen.add(key)
            found.extend((low, high, live_high) for low, high in adders)

    def join(a: _Operand, b: _Operand) -> _Operand:
        nonlocal chained, aligned
        shift = min(a.shift, b.shift)
        key = cell("add", *sorted([(a.key, a.shift - shift), (b.key, b.shift - shift)]))
        peak = a.peak + b.peak
        mask, adders = _kept_adders(a.mask, b.mask)
        small = [high - low for low, high in adders if high - low < _CARRY_CHAIN_MIN_BITS]
        deeper = max(a.gate_depth, b.gate_depth)
        depth = deeper if not adders else deeper + 1 if len(small) == len(adders) else 0
        if counting and key not in seen and depth >= 2:
            chained += sum(small)
        if counting and key not in seen and a.mask == b.mask:
            aligned += sum(small)
        add(key, adders, int(peak.max()).bit_length())
        summed = {bit for low, high in adders for bit in range(low, high)}
        wires = {bit: (a if a.mask >> bit & 1 else b).source(bit)
                 for bit in _set_bits(mask) if bit not in summed}
        return _Operand(mask, key, peak, shift, depth, wires)

    gates: set[tuple[int, bytes]] = set()
    acc = network.accumulator_width(index)
    empty: frozenset[tuple[Any, ...]] = frozenset()
    sums = [(0, -1, empty)] * fold.pe
    counting = True   # whether the cells of the PE in hand are counted (not in ``skip``)
    for p in range(fold.pe):
        counting = p not in skip
        roots = []
        for negative in (False, True):
            leaves = []
            for t in pe_terms(kinds[p], weight_bits):
                if t.negative != negative:
                    continue
                gate = None if t.bit is None else columns[p, :, t.lane, t.bit]
                # a block RAM's output bits are cells of their own, whatever they hold
                gate_id = None if gate is None else (
                    (p, t.bit) if opaque else gate.tobytes())
                key = cell("term", t.lane, gate_id)
                if gate is not None and counting:   # the lane's input AND the gate
                    gates.add((t.lane, gate_id))
                on = np.ones(columns.shape[1], dtype=np.int64) if gate is None or opaque \
                    else gate
                leaves.append(_Operand(largest << t.shift, key,
                                       on.astype(np.int64) * (largest << t.shift), t.shift,
                                       0, {t.shift + i: (gate_id, t.lane, i)
                                        for i in range(in_bits)}))
            roots.append(pairwise_tree(leaves, join)[0])
        added, subtracted = roots
        if subtracted is not None:   # added - subtracted, from the latter's low bit
            mask = added.mask if added is not None else 1
            peak = 0 if added is None else int(added.peak.max())
            sign = max(peak.bit_length(), int(subtracted.peak.max()).bit_length()) + 1
            high = max(mask.bit_length(), subtracted.mask.bit_length()) + 1
            low = _trailing_zeros(subtracted.mask)
            key = cell("sub", None if added is None else (added.key, added.shift - low),
                       (subtracted.key, subtracted.shift - low))
            add(key, [(low, high)], sign)
            # below the subtraction's low bit the sum's bits are the added operand's wires
            sums[p] = (min(high, acc), key, frozenset(
                {("cell", key, b) for b in range(low, min(high, acc))}
                | ({added.source(b) for b in _set_bits(added.mask) if b < min(low, acc)}
                   if added is not None else set())))
        elif added is not None:   # unsigned, zero-extended: one more bit as signed
            sums[p] = (min(added.mask.bit_length() + 1, acc), added.key,
                       frozenset(added.source(b) for b in _set_bits(added.mask) if b < acc))
    return found, in_bits * len(gates), sums, chained, aligned


def _set_bits(mask: int) -> list[int]:
    """The positions of the bits set in ``mask``."""
    return [b for b in range(mask.bit_length()) if mask >> b & 1]


def qmlp_layer_features(params: QmlpParams, index: int) -> dict[str, float]:
    """Features of layer ``index`` of a ``qmlp-v1`` design (summed over layers by
    :func:`qmlp_features`, so a per-layer cost is the fitted coefficients times these)."""
    network = params.quant_network()
    folds = params.folds()
    in_elements = folds[0].simd if index == 0 else folds[index - 1].pe
    dead, removed = _dead_pes(network, folds)[index]
    features = _fold_features(network, index, folds[index], params.weight_memory,
                              dead, removed)
    sources = None if index == 0 else _output_sources(network, index - 1, folds[index - 1])
    for name, value in _beat_features(network, index, folds[index], in_elements,
                                      sources, removed).items():
        features[name] = features.get(name, 0.0) + value
    return features


def block_rom_width(network: QuantNetwork, index: int, fold: LayerFold) -> int:
    """Bits of layer ``index``'s weight ROM word that synthesis keeps in block RAM: those
    that vary over the words (a bit equal in every word feeds no gate, so Yosys drops it
    from the memory; ``bench/results/bram_qmlp.md``)."""
    return int((weight_bit_kinds(network, index, fold) == VARIES).sum())


def _block_rom(network: QuantNetwork, index: int, fold: LayerFold, weight_memory: str,
               target: str = _BLOCK_RAM_TARGET) -> tuple[int, MemoryMapping | None]:
    """Layer ``index``'s weight ROM in block RAM: its kept width (:func:`block_rom_width`)
    and its mapping on ``target``; ``(0, None)`` where it has none (weights in logic, a
    single word, or no bit that varies)."""
    if weight_memory != "block" or fold.cycles_per_vector <= 1:
        return 0, None
    width = block_rom_width(network, index, fold)
    return width, map_block_rom(width, fold.cycles_per_vector, target) if width else None


def _block_rom_slices(block: MemoryMapping | None, width: int) -> int:
    """Depth slices of a ROM's block-RAM mapping (1 without one)."""
    return block.mux_bits // width + 1 if block else 1


def weight_rom_brams(params: QmlpParams, target: str = "ecp5-85k") -> int:
    """Block RAMs of the weight ROMs of ``params`` on ``target``: none with ``logic``
    weights; with ``block``, each folded layer's ROM of :func:`block_rom_width` bits and
    ``NF x SF`` words as ``memory_libmap`` maps it (:func:`dse.models.area.map_block_rom`).

    Raises:
        AreaModelError: if ``target`` has no block RAM listed.
    """
    if params.weight_memory != "block":
        return 0
    network = params.quant_network()
    return sum(_layer_brams(network, index, fold, params.weight_memory, target)
               for index, fold in enumerate(params.folds()))


def _layer_brams(network: QuantNetwork, index: int, fold: LayerFold, weight_memory: str,
                 target: str) -> int:
    """Block RAMs of layer ``index``'s weight ROM folded ``fold`` (0 without one)."""
    _, block = _block_rom(network, index, fold, weight_memory, target)
    return block.cells if block else 0


def exact_resources(params: QmlpParams, target: str) -> dict[str, float]:
    """The resources known without a fitted model: the weight ROMs' block RAMs."""
    return {"bram": float(weight_rom_brams(params, target))}


def _index_bits(count: int) -> int:
    return max(1, (count - 1).bit_length())


def _fold_features(network: QuantNetwork, index: int, fold: LayerFold,
                   weight_memory: str = "logic", dead: frozenset[int] = frozenset(),
                   removed: frozenset[int] = frozenset()) -> dict[str, float]:
    """The features of layer ``index`` that depend on its own fold and weight memory alone
    (not on the beat width its input arrives in: :func:`_beat_features`), and on which of
    its PEs nothing reads (``dead``, of which no logic stays of ``removed``:
    :func:`_dead_pes`; the folding optimizer takes every PE as read)."""
    layer = network.layers[index]
    in_bits = network.input_bits_of(index)
    acc = network.accumulator_width(index)
    levels = 0 if layer.thresholds is None else (1 << layer.act_bits) - 1
    out_bits = acc if layer.thresholds is None else layer.act_bits
    steps = fold.cycles_per_vector
    in_block = weight_memory == "block" and steps > 1
    collapsed, collapsed_luts, collapsed_ffs = _collapsed_pes(network, index, fold, dead)
    # the PEs that add and compare, those of a one-step layer with equal weights and
    # thresholds as one
    distinct = _distinct_pes(network, index, fold, collapsed | dead)
    live_pes = fold.pe - len(dead)
    carry_luts, gate_adder_bits, gated_bits, sums, chained, aligned = _dot_product_bits(
        network, index, fold, opaque=in_block, skip=collapsed | removed)
    # with SF = 1 the comparisons and the last layer's output register take the dot product
    # itself, sign-extended: Yosys compares and registers only its own bits, and the output
    # flip-flops of two PEs with one sum (equal weights) are one
    dot_widths = None if fold.synapse_fold > 1 else [width for width, _, _ in sums]
    width, block = _block_rom(network, index, fold, weight_memory)
    slices = _block_rom_slices(block, width)
    # a ROM in block RAM gives its bits from the block's output register: no ROM LUTs, and
    # nothing of the ROM for ABC to fold into the gates
    folded_rom = steps <= _ROM_FOLDED_DEPTH and not in_block
    rom_thresholds = layer.thresholds is not None and fold.neuron_fold > 1
    # a layer of one step per neuron group (SF = 1) has no synapse counter and no
    # accumulators (``hw.qmlp.accelerator.Mvau``)
    accumulates = fold.synapse_fold > 1
    counters = (fold.synapse_fold, fold.neuron_fold, steps) if accumulates \
        else (fold.neuron_fold, steps)
    counter_luts = sum(_adder_cost(0, _index_bits(count))[0] for count in counters)
    slice_mux = fold.simd * in_bits * _mux_luts_per_bit(fold.synapse_fold)
    return {
        "layers": 1.0,
        "carry_luts": float(carry_luts + counter_luts),
        "gate_adder_bits": float(gate_adder_bits),
        "unrolled_adder_bits": float(gate_adder_bits if steps == 1 else 0),
        "chained_adder_bits": float(chained),
        "aligned_adder_bits": float(aligned),
        "multibit_aligned_adder_bits": float(aligned if in_bits > 1 else 0),
        "gated_bits": float(gated_bits),
        "gated_folded_bits": float(gated_bits if folded_rom else 0),
        "gated_rom_bits": float(0 if folded_rom else gated_bits),
        "acc_bits": float(live_pes * acc if accumulates else 0),
        "rom_luts": float(0 if in_block else _rom_luts(network, index, fold)),
        "rom_column_luts": float(0 if in_block else _rom_column_luts(network, index, fold)),
        "rom_join_luts": float(0 if in_block else _rom_join_luts(network, index, fold)),
        "block_rom_bits": float(width),
        "bram_blocks": float(block.cells if block else 0),
        "block_rom_mux_bits": float(block.mux_bits if block else 0),
        "block_rom_select_bits": float(_index_bits(slices) if slices > 1 else 0),
        "threshold_rom_luts": float(_threshold_rom_luts(network, index, fold, dead)),
        "compare_bits": float(len(distinct) * levels * acc),
        "rom_compare_bits": float(live_pes * levels * acc if rom_thresholds else 0),
        "constant_compare_bits": float(_constant_compare_bits(
            network, index, fold, collapsed | dead, dot_widths)),
        "count_bits": float(len(distinct) * levels if levels > 1 else 0),
        "count_compares": float(_count_compares(network, index, fold, distinct, dot_widths)),
        "collapsed_luts": float(collapsed_luts),
        "collapsed_pes": float(len(collapsed)),
        "slice_mux_luts": float(slice_mux),
        "slice_mux_shared_luts": float(slice_mux if fold.pe > 1 else 0),
        "slice_mux_join_luts": float(fold.simd * in_bits * (fold.synapse_fold - 1)),
        "counter_bits": float(sum(_index_bits(count) for count in counters)),
        "vector_bits": float(fold.inputs * in_bits),
        "out_bits": float(live_pes * out_bits if dot_widths is None
                          else collapsed_ffs + len(distinct) * out_bits
                          if layer.thresholds is not None
                          else collapsed_ffs + len(frozenset().union(
                              *(bits for p, (_, _, bits) in enumerate(sums)
                                if p not in collapsed | dead)))),
    }


def _beat_features(network: QuantNetwork, index: int, fold: LayerFold, in_elements: int,
                   sources: list[list[Any]] | None = None,
                   removed: frozenset[int] = frozenset()) -> dict[str, float]:
    """The features of layer ``index`` that depend on the width of its input beats,
    ``in_elements`` elements (the first layer's SIMD, else the previous layer's PE): the
    beat counter (its carry chain and bits) and the capture register's kept flip-flops
    (``sources``: the previous layer's, :func:`_output_sources`)."""
    beats = _index_bits(fold.inputs // in_elements)
    return {"carry_luts": float(_adder_cost(0, beats)[0]), "counter_bits": float(beats),
            "vector_ff_bits": float(_vector_flip_flops(network, index, fold, in_elements,
                                                       sources, removed))}


def qmlp_features(params: QmlpParams, target: str) -> dict[str, float]:
    """Features of ``qmlp-v1`` (``hw.qmlp.accelerator``), summed over layers; per layer
    with ``P`` PE, ``S`` SIMD, ``SF`` x ``NF`` steps, ``i``-bit inputs, ``w``-bit weights and
    an ``A``-bit accumulator:

    - ``one``, ``layers``: fixed control, and per-layer control and hand-shakes;
    - ``carry_luts``, ``gate_adder_bits``, ``gated_bits``: each PE's dot product is
      shift-and-add over the weight bits, every adder kept apart
      (``hw.qmlp.accelerator.pe_terms``): the LUTs of the adders Yosys maps to carry
      chains (more than 4 bits, traced bit by bit: :func:`_kept_adders`), the bits of the
      smaller adders it leaves to gates, and the bits of the terms gated
      by a ROM bit (a weight bit that is 0 in every ROM word gives no term, one that is 1
      in every word an ungated one). Computed from the network's weights (a fully
      unrolled layer has constant weights);
    - ``unrolled_adder_bits``: ``gate_adder_bits`` of the fully unrolled layers (one ROM
      word: constant weights), whose small adders have no ROM bits or gates for ABC to
      fold into them (added in session 28 with 40 probes of such networks, which the model
      had put 5% low on average and up to 19%: leave-one-out over the fitted designs and
      the probes 4.08% -> 3.89% mean on ``ecp5-85k-nowidelut``, 3.64% -> 3.52% on
      ``ecp5-85k-area``, 6.75% -> 6.62% on ``ecp5-85k``);
    - ``chained_adder_bits``: the bits of those smaller adders that take the output of
      another one (a tree of gate-mapped adders, whose deeper levels ABC maps from wider
      functions; added in session 33: leave-one-out over the fitted designs 3.95% -> 3.77%
      mean on ``ecp5-85k-area``, 4.07% -> 3.93% on ``ecp5-85k-nowidelut``, 7.37% ->
      7.19% on ``ecp5-85k``);
    - ``aligned_adder_bits``: the bits of those smaller adders whose operands may set the
      same bits (``x + y`` of two lanes' terms of one weight bit; not ``x + (x << 1)`` of
      one lane's, whose sum bits depend on fewer signals): each sum bit takes both
      operands' bits and the carry, which ABC maps to more LUTs than a shifted pair (added
      in session 35: leave-one-out over the fitted designs 3.48% -> 3.33% mean on
      ``ecp5-85k-area``, 3.60% -> 3.47% on ``ecp5-85k-nowidelut``, 6.92% -> 6.78% on
      ``ecp5-85k``; splitting by lanes, by the overlap of the operands or by the signals
      the sum depends on gained no more). Fitted with it, ``chained_adder_bits`` takes a
      coefficient of 0 on every ECP5 target: these bits are mostly the aligned ones;
      ``multibit_aligned_adder_bits`` the same in layers whose inputs have more than one
      bit: with 1-bit inputs each operand of the first such adders is one gated bit, and
      the sum and carry are functions of few signals, which ABC merges into the LUTs that
      read them (added in session 36: leave-one-out over the fitted designs 3.32% ->
      3.21% mean on ``ecp5-85k-area``, 3.46% -> 3.39% on ``ecp5-85k-nowidelut``, 6.69% ->
      6.64% on ``ecp5-85k``; the aligned bits of 1-bit layers are fitted at a third to a
      half of the others' LUTs; a further split of the wider layers at 3 bits, and the
      gate-mapped or gated bits split the same way, gained at most 0.03 point more);
    - ``acc_bits = P * A``: the accumulate adders (and the accumulator registers), where
      ``SF > 1`` (with ``SF = 1`` each sum is the step's dot product: no accumulator, and
      the comparisons and the last layer's output register take only the dot product's
      own bits, not its sign extension to ``A``);
    - a PE whose outputs nothing reads (:func:`_dead_pes`: the next layer weighs its
      neurons 0 everywhere, or only table PEs read them and none depends on them) takes no
      accumulator, comparison, threshold or output-register features; its dot product
      stays where it has a kept adder, as Yosys keeps it (since session 37);
    - ``collapsed_luts``: the LUTs of the table PEs (a layer of one step whose PE depends
      on at most 4 input bits, ``hw.qmlp.accelerator.table_pe``; since session 34 the RTL
      builds them as truth tables): one per distinct table (:func:`_collapsed_pes`); these
      PEs take none of the adder and comparison features;
    - ``rom_luts``: the weight ROM in logic, one LUT per distinct 16-word slice of its
      output bits that are not constant, and per such bit one per further 64 words; none
      up to 8 words (:func:`_rom_luts`); ``rom_column_luts`` the same without sharing a
      slice between columns and without constant slices (:func:`_rom_column_luts`);
    - ``threshold_rom_luts``, ``compare_bits = P * (2**a - 1) * A``, ``count_bits``: the
      threshold ROM, the comparators, and the count of thresholds passed (with ``SF = NF
      = 1``, PEs of equal weights and thresholds are one PE: :func:`_pe_neuron`);
      ``constant_compare_bits`` the comparisons with constant thresholds that stay carry
      chains (:func:`_constant_compare_bits`), and ``count_compares`` in a one-step layer
      the comparisons each distinct PE counts, which PEs of equal weights share
      (:func:`_count_compares`);
    - ``slice_mux_luts``: the ``SF``:1 multiplexer that picks each step's input slice;
      ``slice_mux_shared_luts`` the same where the layer has more than one PE, so that each
      picked bit feeds the terms of every PE (ABC9's delay-driven mapping copies the
      multiplexer's last LUTs into its readers: leave-one-out over the 208 designs and the
      36 slice-multiplexer probes of ``bench/results/area_slice_mux.md``, 7.3% -> 7.1%);
      ``slice_mux_join_luts = S x i x (SF - 1)`` its 2:1 joins, and ``rom_join_luts``
      those of the logic ROM's 16-word slices (:func:`_rom_join_luts`), priced on the
      targets whose LUTs these joins take (``ecp5-85k-nowidelut``, ``ecp5-85k-area``);
    - ``block_rom_bits``, ``block_rom_mux_bits``, ``block_rom_select_bits``: with
      ``weight_memory = "block"``, a folded layer's weight ROM is in block RAM
      (:func:`weight_rom_brams`, exact): no ``rom_luts``, its kept word bits
      (:func:`block_rom_width`), the 2:1 multiplexer bits that join its depth slices and
      the registered slice select (flip-flops); the gated terms and carry chains are those
      of weights ABC cannot see (any word may set any bit);
    - ``counter_bits``: the beat, step and address counters;
    - ``vector_bits = MW * i`` (capture and compute registers), ``out_bits``: flip-flops
      (with ``SF = 1`` the last layer registers each distinct driver of its sums' bits
      once, :func:`_dot_product_adders`: constant bits have none, an input wire's bit is
      one in all PEs; since session 31, FF leave-one-out 0.41% -> 0.27% mean on
      ``ecp5-85k``, the largest 17.1% -> 11.6%; table PEs register each distinct table,
      wire and constant 1 once, PEs of a one-step layer with equal weights and thresholds
      one output, and so does the next layer's capture and vector register,
      ``vector_ff_bits``: :func:`_vector_flip_flops`).

    How much the LUT count of one structure still moves with the weight values is measured
    in ``bench/results/area_qmlp.md``.
    """
    total: dict[str, float] = {"one": 1.0}
    for index in range(len(params.folds())):
        for name, value in qmlp_layer_features(params, index).items():
            total[name] = total.get(name, 0.0) + value
    return total


def _dot_product_depth(params: QmlpParams, index: int) -> int:
    """The deepest of layer ``index``'s PE dot products (:func:`_dot_product_bits`): the
    adders from an input to the accumulator (the kept trees of the added and the subtracted
    terms, the subtraction, the accumulate where ``SF > 1``), where two operands whose
    bits do not overlap are joined without one (since session 19; leave-one-out over the
    208 designs of ``bench/results/clock_qmlp.md``, 7.7% -> 7.1% mean)."""
    network = params.quant_network()
    fold = params.folds()[index]
    in_bits = network.input_bits_of(index)
    kinds = weight_bit_kinds(network, index, fold)

    def join(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
        low, high = min(a[0], b[0]), max(a[1], b[1])
        if _joined_without_adder(a[:2], b[:2]):
            return low, high, max(a[2], b[2])
        return low, high + 1, max(a[2], b[2]) + 1

    deepest = 0
    for p in range(fold.pe):
        terms = pe_terms(kinds[p], network.layers[index].weight_bits)
        levels = 0
        for negative in (False, True):
            root = pairwise_tree([(t.shift, t.shift + in_bits, 0) for t in terms
                                  if t.negative == negative], join)[0]
            levels = max(levels, root[2] if root else 0)
        subtracted = any(t.negative for t in terms)
        deepest = max(deepest, levels + subtracted + (fold.synapse_fold > 1))
    return deepest


#: Delay weights (ns per unit) that pick a design's slowest layer for the clock features:
#: accumulator bits, adder levels, log2 steps, log2 threshold levels (from fitting the
#: largest per-layer delay to the 30 fitted designs of ``bench/results/clock_qmlp.md``,
#: alternating the choice of layer and the fit, rounded)
_CLOCK_LAYER_WEIGHTS = {"clock_acc_bits": 0.5, "clock_adder_levels": 1.4,
                        "clock_log2_steps": 0.15, "clock_log2_levels": 1.9}


def qmlp_clock_features(params: QmlpParams, target: str) -> dict[str, float]:
    """Features of the critical path of ``qmlp-v1`` (the clock model's, besides the generic
    ones). The layers run side by side on one clock, and the path lies in one of them: the
    features are those of the layer with the largest delay under
    :data:`_CLOCK_LAYER_WEIGHTS` (chosen over the largest of each feature over the layers
    by leave-one-out, 7.5% against 10.3%; held-out errors in
    ``bench/results/clock_qmlp.md``):

    - ``clock_acc_bits``: the accumulator's width ``A`` (its carry chain, and each
      threshold comparison's);
    - ``clock_adder_levels``: the adders from an input to the accumulator in a PE's dot
      product (the kept shift-and-add trees, the subtraction and the accumulate);
    - ``clock_log2_steps``: ``log2`` of the steps per vector (``SF * NF``): the weight ROM's
      read multiplexer; for a ROM in block RAM, ``log2`` of its depth slices (the
      multiplexer after the blocks);
    - ``clock_block_rom``: 1 where any layer reads its weights from block RAM (the
      block's clock-to-output delay ahead of the gates and adders; added by leave-one-out
      over the 292 designs fitted, 8 of them block, 7.7% -> 7.1% mean, on block designs
      31.6% -> 6.9%);
    - ``clock_log2_levels``: ``log2`` of the threshold levels ``2**a - 1`` plus one (the
      count of thresholds passed);
    - ``clock_log2_inputs``: ``log2`` of the layer's inputs (the vector register's fan-out
      into the slice multiplexer and the lanes; added by leave-one-out over the 94 designs
      of ``bench/results/clock_qmlp.md`` of 2026-12-03, 10.6% -> 9.1%, and not used to
      pick the layer);
    - ``clock_sqrt_luts``: the square root of the whole design's LUTs (the area model's
      estimate for ``target``, in tens: ``sqrt(LUTs) / 10``): a placed design's extent grows
      with it, and so do its longest routes. Designs over the whole sampled space (up to
      4 hidden layers of up to 128) placed larger ones slower than their slowest layer
      says (up to 41% over); added by leave-one-out over the 174 designs placed, 9.3% ->
      7.4%.

    Raises:
        AreaModelError: where ``target`` has no ``qmlp-v1`` area model.
    """
    network = params.quant_network()
    layers = []
    for index, fold in enumerate(params.folds()):
        layer = network.layers[index]
        levels = 0 if layer.thresholds is None else (1 << layer.act_bits) - 1
        width, block = _block_rom(network, index, fold, params.weight_memory)
        # a block RAM's output goes through the multiplexer of its depth slices only
        read = math.log2(_block_rom_slices(block, width) if block
                         else max(1, fold.cycles_per_vector))
        layers.append({"clock_acc_bits": float(network.accumulator_width(index)),
                       "clock_adder_levels": float(_dot_product_depth(params, index)),
                       "clock_log2_steps": read,
                       "clock_log2_levels": math.log2(levels + 1),
                       "clock_log2_inputs": math.log2(fold.inputs),
                       "clock_block_rom": float(width > 0)})
    slowest = max(layers, key=lambda values: sum(weight * values[name] for name, weight
                                                 in _CLOCK_LAYER_WEIGHTS.items()))
    luts = load_area_model(params.generator, target, qmlp_features).estimate(params)
    return {**slowest, "clock_block_rom": max(values["clock_block_rom"] for values in layers),
            "clock_sqrt_luts": math.sqrt(max(luts.resources()["lut"], 0.0)) / 10}


MODELS = FamilyModels("qmlp-v1", cycles=cycles, energy=energy,
                      energy_from_counters=energy_from_counters, area_features=qmlp_features,
                      clock_features=qmlp_clock_features, exact_resources=exact_resources,
                      fold_network=optimize_folding)
