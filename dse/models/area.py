"""Analytic FPGA area models: LUTs, FFs, DSPs and BRAMs as fitted linear functions of
features of a generator's parameters.

A model is data: per (generator, target) one JSON file in ``dse/models/data`` named
``area_<generator>_<target>.json`` (schema ``hwdse.area-model/1``) holding, per resource,
the feature names and coefficients, the relative errors on the training and the held-out
samples, and every sample it was fitted to (parameters, synthesized counts, split), so the
fit can be repeated without the tools. ``bench/area_<family>.py`` synthesizes the samples
(``flows.synth.synthesize(..., place=False)``) and writes the file.

A generator family takes part with one feature function in :data:`FEATURES` (params and
target -> named, physically motivated quantities such as PEs, register bits, memory cells)
and one data file. The fit (:func:`fit`) is nonnegative least squares on relative error:
it minimizes ``sum(((x . c - y) / max(y, 1)) ** 2)`` over coefficients ``c >= 0``, so small
designs count as much as large ones, and every coefficient adds area (with features that
grow with a parameter, the estimate does too).

``systolic-v1`` features (:func:`systolic_features`), per dataflow (``os.*`` or ``ws.*``, zero
for the other dataflow) from the structure in ``hw.systolic.array``; ``R`` rows, ``C``
columns, ``P = R * C`` PEs, ``B`` input width, ``A`` accumulator width:

- ``one``, ``pes``: fixed control, and per-PE control;
- ``pe_input_bits = P * B``: forwarded operands (``ws``: also weight and shadow registers
  and the weight select);
- ``skew_bits = (R (R + 1) / 2 + C (C + 1) / 2) * B``: input skew registers;
- ``column_acc_bits = C * A``: per-column result registers (``ws``: the accumulator adders,
  the memory's read register and the result registers);
- ``os`` only: ``pe_acc_bits = P * A`` (accumulator and result registers, adders),
  ``deskew_acc_bits = C (C - 1) / 2 * A`` (result deskew) and ``pick_bits`` (LUT4s of the
  per-column OR of done-gated results over the rows);
- ``ws`` only: ``psum_bits`` and ``psum_adder_bits`` (partial-sum registers, and the
  adders of rows 1.., narrowed as Yosys does: :func:`psum_widths`), ``deskew_psum_bits``
  (deskew and staging registers of the bottom row's width), and the accumulator memory of
  ``acc_depth`` words of ``C * A`` bits mapped as Yosys ``memory_libmap`` does for the
  target (:func:`map_memory`): ``lutram_cells`` (distributed RAM primitives),
  ``lutram_mux_bits`` (read multiplexing across them), ``bram_blocks`` and
  ``address_bits``;
- ``multipliers = P``: one multiplier per PE (``input_width <= 16`` fits one 18x18 DSP;
  Yosys maps even 2-bit products to MULT18X18D).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np

from hw.bitserial.params import BitSerialParams
from hw.params import Params
from hw.qmlp.params import QmlpParams
from hw.registry import get as get_generator
from hw.registry import lookup
from hw.systolic.params import SystolicParams

SCHEMA = "hwdse.area-model/1"
#: The resources every model estimates, in this order (as ``flows.targets.RESOURCES``).
RESOURCES = ("lut", "ff", "dsp", "bram")
SPLITS = ("train", "held_out")
DEFAULT_TARGET = "ecp5-85k"

#: A family's features: (params, target name) -> feature name -> value.
FeatureFunction = Callable[[Any, str], Mapping[str, float]]


class AreaModelError(ValueError):
    """No area model for a (generator, target), or its data file is malformed; the message
    names the file and the key."""


# --- memory mapping -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MemoryPrimitive:
    """A RAM primitive as Yosys ``memory_libmap`` sees it (the target's ``.txt`` library):
    ``geometries`` are (data width, depth) configurations, ``cost`` is per instance."""

    name: str
    kind: str                              # "lutram" or "bram"
    geometries: tuple[tuple[int, int], ...]
    byte: int                              # write-enable granularity (0: whole word)
    cost: float
    emulation_score: int                   # soft logic the port needs, memory_libmap points


@dataclasses.dataclass(frozen=True)
class MemoryMapping:
    """How a one-read, one-write memory maps: primitive kind, instances, read mux bits."""

    kind: str        # "lutram", "bram" or "logic" (flip-flops)
    cells: int
    mux_bits: int    # 2:1 multiplexer bits on the read path: (address blocks - 1) * width
    cost: float


# Yosys share/lattice/lutrams_trellis.txt and brams_16kd.txt (PDPW16KD: the cheaper block
# configuration for one read and one write port). The emulation scores are those of a
# synchronous, read-enabled read port transparent to the write port: distributed RAM reads
# asynchronously and registers the address (1 point, a read port of its own); a block RAM
# emulates transparency (3 points) beside that.
MEMORY_PRIMITIVES: dict[str, tuple[MemoryPrimitive, ...]] = {
    "ecp5-85k": (
        MemoryPrimitive("TRELLIS_DPR16X4", "lutram", ((4, 16),), byte=0, cost=4.0,
                        emulation_score=1),
        MemoryPrimitive("DP16KD", "bram",
                        ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024),
                         (36, 512)), byte=9, cost=128.0, emulation_score=4),
    ),
}
_FACTOR_MUX = 0.5
_FACTOR_DEMUX = 0.5
_FACTOR_EMULATION = 2.0
_LOGIC_COST_PER_BIT = 1.0


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def map_memory(width: int, depth: int, target: str) -> MemoryMapping:
    """The cheapest mapping of a ``depth`` x ``width`` memory by Yosys ``memory_libmap``'s
    cost rule (instances x cost + read mux, write demux and emulation scores; flip-flops
    cost one per bit) over the target's primitives.

    Raises:
        AreaModelError: if the target has no memory primitives listed.
        ValueError: if ``width`` or ``depth`` is not positive.
    """
    if width < 1 or depth < 1:
        raise ValueError(f"memory width and depth must be positive, not {width} x {depth}")
    try:
        primitives = MEMORY_PRIMITIVES[target]
    except KeyError:
        known = ", ".join(sorted(MEMORY_PRIMITIVES))
        raise AreaModelError(f"no memory primitives for target {target!r}; known: {known}") \
            from None
    best = MemoryMapping("logic", 0, 0, float(int(width * depth * _LOGIC_COST_PER_BIT)))
    for primitive in primitives:
        for unit_width, unit_depth in primitive.geometries:
            byte = min(primitive.byte or unit_width, unit_width)
            blocks = _ceil_div(depth, unit_depth)
            cells = _ceil_div(blocks * _ceil_div(width, byte) * byte, unit_width)
            mux_bits = (blocks - 1) * width
            cost = (primitive.cost * cells + _FACTOR_MUX * mux_bits
                    + _FACTOR_DEMUX * (blocks if blocks > 1 else 0)
                    + _FACTOR_EMULATION * primitive.emulation_score)
            if cost < best.cost:
                best = MemoryMapping(primitive.kind, cells, mux_bits, cost)
    return best


# --- features -------------------------------------------------------------------------

#: Rows whose signed partial sums Yosys narrows (``synth_ecp5`` merges the sign-extension
#: flip-flops of the first three rows only; unsigned zero extension is dropped in every row).
SIGNED_NARROWED_ROWS = 3

_SYSTOLIC_OS = ("one", "pes", "pe_acc_bits", "pe_input_bits", "skew_bits", "column_acc_bits",
                "deskew_acc_bits", "pick_bits")
_SYSTOLIC_WS = ("one", "pes", "psum_bits", "psum_adder_bits", "pe_input_bits", "skew_bits",
                "column_acc_bits", "deskew_psum_bits", "lutram_cells", "lutram_mux_bits",
                "bram_blocks", "address_bits")


def psum_widths(params: SystolicParams) -> list[int]:
    """Bits Yosys keeps of each row's partial sums (``ws``): row ``i`` adds ``i + 1``
    products of ``2 * input_width`` bits, so ``min(acc_width, 2 * input_width + i)``; signed
    sums only in the first :data:`SIGNED_NARROWED_ROWS` rows, the others keep
    ``acc_width`` (read from Yosys' netlists)."""
    acc, product = params.acc_width, 2 * params.input_width
    return [min(acc, product + i) if not params.signed or i < SIGNED_NARROWED_ROWS else acc
            for i in range(params.rows)]


def systolic_features(params: SystolicParams, target: str) -> dict[str, float]:
    """Features of ``systolic-v1`` (see the module docstring); every name is present, zero
    where it does not apply.

    Raises:
        AreaModelError: for a ``ws`` design on a target without memory primitives.
    """
    rows, cols, width, acc = params.rows, params.cols, params.input_width, params.acc_width
    pes = rows * cols
    common = {"one": 1.0, "pes": float(pes), "pe_input_bits": float(pes * width),
              "skew_bits": (rows * (rows + 1) + cols * (cols + 1)) / 2 * width,
              "column_acc_bits": float(cols * acc)}
    output_stationary = dict.fromkeys(_SYSTOLIC_OS, 0.0)
    weight_stationary = dict.fromkeys(_SYSTOLIC_WS, 0.0)
    if params.dataflow == "os":
        # per column and bit, an OR over rows of (done pulse AND result): LUT4s taking two
        # pairs, then a tree of LUT4s taking three
        pairs = _ceil_div(rows, 2)
        output_stationary.update(common, pe_acc_bits=float(pes * acc),
                                 deskew_acc_bits=cols * (cols - 1) / 2 * acc,
                                 pick_bits=float(cols * acc * (pairs + _ceil_div(pairs - 1, 3))))
    else:
        assert params.acc_depth is not None
        widths = psum_widths(params)
        mapping = map_memory(cols * acc, params.acc_depth, target)
        weight_stationary.update(
            common, psum_bits=float(cols * sum(widths)),
            # row i > 0 adds a product to row i - 1's sum: one bit wider than the wider
            # of the two (the adder is narrowed even where the register is not)
            psum_adder_bits=float(cols * sum(min(acc, max(below, 2 * width) + 1)
                                             for below in widths[:-1])),
            # deskew registers and the staging register, of the bottom row's width
            deskew_psum_bits=cols * (cols + 1) / 2 * widths[-1],
            address_bits=float(max(1, math.ceil(math.log2(params.acc_depth)))))
        if mapping.kind == "lutram":
            weight_stationary.update(lutram_cells=float(mapping.cells),
                                     lutram_mux_bits=float(mapping.mux_bits))
        elif mapping.kind == "bram":
            weight_stationary["bram_blocks"] = float(mapping.cells)
    return {"multipliers": float(pes),
            **{f"os.{name}": value for name, value in output_stationary.items()},
            **{f"ws.{name}": value for name, value in weight_stationary.items()}}


def lane_tree_bits(lanes: int, width: int) -> int:
    """Output bits of all adders of a balanced tree summing ``lanes`` words of ``width`` bits
    (each level one bit wider, as ``hw.logic.tree_sum`` builds it)."""
    widths = [width] * lanes
    bits = 0
    while len(widths) > 1:
        paired = [max(widths[i], widths[i + 1]) + 1 for i in range(0, len(widths) - 1, 2)]
        bits += sum(paired)
        widths = paired + ([widths[-1]] if len(widths) % 2 else [])
    return bits


def bitserial_features(params: BitSerialParams, target: str) -> dict[str, float]:
    """Features of ``bitserial-v1`` from the structure in ``hw.bitserial.array`` (``P`` PEs,
    ``A`` accumulator width, ``W`` parallel width, ``L`` lanes, ``S`` scale width):

    - ``one``, ``pes``: fixed and per-PE control;
    - ``select_bits = P * L * W``: the bit-select of each lane's word;
    - ``tree_bits``: output bits of every PE's lane adder tree (:func:`lane_tree_bits`);
    - ``negate_bits = P * (W + ceil(log2 L))``: the negation of each PE's lane sum;
    - ``acc_bits = P * A``: per PE the group accumulator (start / shift / negate and add),
      the total and the result register with its capture multiplexer;
    - ``drain_bits = (rows - 1) * cols * A``: the result rows shifting towards the port;
    - ``dequant_bits = P * A`` when ``S`` > 0, else 0: the shifted sum and its scale-bit
      select;
    - ``beat_bits``: the registered operand beat (operands, scales, flags);
    - ``scale_bits = cols * S``: the per-column scale shift registers.

    No multiplier: DSPs stay zero.
    """
    pes, lanes = params.pes, params.lanes
    a_width, b_width = params.serial_widths
    scaled = params.scale_width > 0
    return {
        "one": 1.0, "pes": float(pes),
        "select_bits": float(pes * lanes * params.parallel_width),
        "tree_bits": float(pes * lane_tree_bits(lanes, params.parallel_width)),
        "negate_bits": float(pes * (params.parallel_width + (lanes - 1).bit_length())),
        "acc_bits": float(pes * params.acc_width),
        "drain_bits": float((params.rows - 1) * params.cols * params.acc_width),
        "dequant_bits": float(pes * params.acc_width) if scaled else 0.0,
        "beat_bits": float((params.rows * a_width + params.cols * b_width) * lanes
                           + params.cols * params.scale_width + 5),
        "scale_bits": float(params.cols * params.scale_width),
    }


def qmlp_layer_features(params: QmlpParams, index: int) -> dict[str, float]:
    """Features of layer ``index`` of a ``qmlp-v1`` design (summed over layers by
    :func:`qmlp_features`, so a per-layer cost is the fitted coefficients times these)."""
    network = params.quant_network()
    fold = params.folds()[index]
    layer = network.layers[index]
    in_bits = network.input_bits_of(index)
    acc = network.accumulator_width(index)
    lanes = fold.pe * fold.simd
    levels = 0 if layer.thresholds is None else (1 << layer.act_bits) - 1
    out_bits = acc if layer.thresholds is None else layer.act_bits
    product_bits = in_bits * layer.weight_bits if layer.weight_bits > 1 else in_bits + 1
    return {
        "layers": 1.0,
        "product_bits": float(lanes * product_bits),
        "tree_bits": float(fold.pe * lane_tree_bits(fold.simd, in_bits + layer.weight_bits)),
        "acc_bits": float(fold.pe * acc),
        "rom_bits": float(fold.inputs * fold.outputs * layer.weight_bits),
        "rom_word_bits": float(lanes * layer.weight_bits
                               * max(1, (fold.cycles_per_vector - 1).bit_length())),
        "compare_bits": float(fold.pe * levels * acc),
        "threshold_rom_bits": float(fold.outputs * levels * acc),
        "vector_bits": float(fold.inputs * in_bits),
        "slice_mux_bits": float(fold.inputs * in_bits if fold.synapse_fold > 1 else 0),
        "out_bits": float(fold.pe * out_bits),
    }


def qmlp_features(params: QmlpParams, target: str) -> dict[str, float]:
    """Features of ``qmlp-v1`` (``hw.qmlp.accelerator``), summed over layers; per layer
    with ``P`` PE, ``S`` SIMD, ``MW`` x ``MH`` weights of ``w`` bits, ``i``-bit inputs and an
    ``A``-bit accumulator:

    - ``one``, ``layers``: fixed control, and per-layer control (counters, hand-shakes);
    - ``product_bits = P * S * i * w``: the shift-and-add products (LUT logic, no DSP);
    - ``tree_bits``: output bits of each PE's adder tree over ``S`` products;
    - ``acc_bits = P * A``: accumulators and their adders;
    - ``rom_bits = MW * MH * w``: the weight ROM in LUTs; ``rom_word_bits``: its read
      word times its address bits (the read multiplexing);
    - ``compare_bits = P * (2**a - 1) * A``: threshold comparators;
      ``threshold_rom_bits``: the threshold ROM;
    - ``vector_bits = MW * i``: capture and compute registers; ``slice_mux_bits``: the
      SIMD-slice multiplexer over them (when folded);
    - ``out_bits``: the output register.
    """
    total: dict[str, float] = {"one": 1.0}
    for index in range(len(params.folds())):
        for name, value in qmlp_layer_features(params, index).items():
            total[name] = total.get(name, 0.0) + value
    return total


#: Feature function per versioned generator name; a new family is one function here and
#: one data file.
FEATURES: dict[str, FeatureFunction] = {
    "systolic-v1": systolic_features,
    "bitserial-v1": bitserial_features,
    "qmlp-v1": qmlp_features,
}


def feature_function(generator: str) -> FeatureFunction:
    """The feature function of a versioned generator name.

    Raises:
        AreaModelError: if none is registered, listing the known names.
    """
    return lookup(FEATURES, generator, "area features", AreaModelError)


# --- samples, fit and errors ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AreaSample:
    """One synthesized configuration: its params, measured resources and split."""

    params: Params
    measured: Mapping[str, float]   # resource -> synthesized count
    split: str                      # "train" or "held_out"
    cells: Mapping[str, int] = dataclasses.field(default_factory=dict)  # Yosys cell counts
    synth_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"params": self.params.to_dict(), "split": self.split,
                "measured": dict(self.measured), "cells": dict(self.cells),
                "synth_seconds": self.synth_seconds}


@dataclasses.dataclass(frozen=True)
class ErrorStats:
    """Relative errors ``|predicted - measured| / max(measured, 1)`` over some samples."""

    mean: float
    max: float
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "max": self.max, "count": self.count}


@dataclasses.dataclass(frozen=True)
class LinearFit:
    """``sum(coefficient * feature)`` over the named features."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]

    def predict(self, values: Mapping[str, float]) -> float:
        """The estimate for feature ``values``.

        Raises:
            KeyError: naming a feature missing from ``values``.
        """
        return float(sum(c * values[name]
                         for name, c in zip(self.features, self.coefficients, strict=True)))


def _nnls(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Lawson-Hanson nonnegative least squares: argmin ||matrix x - target|| for x >= 0."""
    rows, columns = matrix.shape
    scale = np.linalg.norm(matrix, axis=0)
    scale[scale == 0] = 1.0
    a = matrix / scale
    x = np.zeros(columns)
    passive = np.zeros(columns, dtype=bool)
    tolerance = 10 * np.finfo(float).eps * max(rows, columns) * max(1.0, np.abs(a).sum(0).max())
    gradient = a.T @ (target - a @ x)
    for _ in range(3 * columns + 10):
        if passive.all() or gradient[~passive].max() <= tolerance:
            break
        passive[np.argmax(np.where(passive, -np.inf, gradient))] = True
        while True:
            trial = np.zeros(columns)
            trial[passive] = np.linalg.lstsq(a[:, passive], target, rcond=None)[0]
            if trial[passive].min() > tolerance:
                break
            blocking = passive & (trial <= tolerance)
            step = np.min(x[blocking] / (x[blocking] - trial[blocking]))
            x = x + step * (trial - x)
            passive &= x > tolerance
            x[~passive] = 0.0
        x = trial
        gradient = a.T @ (target - a @ x)
    return x / scale


def fit(samples: Sequence[AreaSample], feature_fn: FeatureFunction,
        resources: Mapping[str, Sequence[str]], target: str) -> dict[str, LinearFit]:
    """Fit each resource to its features over ``samples`` (all of them, whatever their
    split): nonnegative least squares on relative error (see the module docstring).

    Raises:
        ValueError: if there are no samples, or a resource has no features.
        KeyError: naming a feature the feature function does not give, or a resource a
            sample did not measure.
    """
    if not samples:
        raise ValueError("cannot fit an area model to no samples")
    values = [feature_fn(sample.params, target) for sample in samples]
    fits = {}
    for resource, names in resources.items():
        if not names:
            raise ValueError(f"resource {resource!r} needs at least one feature")
        measured = np.array([sample.measured[resource] for sample in samples], dtype=float)
        weight = 1.0 / np.maximum(measured, 1.0)
        matrix = np.array([[v[name] for name in names] for v in values], dtype=float)
        coefficients = _nnls(matrix * weight[:, None], measured * weight)
        fits[resource] = LinearFit(tuple(names), tuple(float(c) for c in coefficients))
    return fits


def relative_errors(linear: LinearFit, feature_fn: FeatureFunction, resource: str,
                    samples: Sequence[AreaSample], target: str) -> ErrorStats:
    """Relative errors of ``linear`` on ``samples`` (zeros when there are none)."""
    errors = [abs(linear.predict(feature_fn(s.params, target)) - s.measured[resource])
              / max(s.measured[resource], 1.0) for s in samples]
    if not errors:
        return ErrorStats(0.0, 0.0, 0)
    return ErrorStats(float(np.mean(errors)), float(max(errors)), len(errors))


# --- models ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ResourceModel:
    """One resource's fit and its recorded errors."""

    fit: LinearFit
    train_error: ErrorStats
    held_out_error: ErrorStats


@dataclasses.dataclass(frozen=True)
class AreaReport:
    """Estimated resources of one design on one target, and the model's recorded error on
    held-out samples per resource."""

    generator: str
    target: str
    lut: float
    ff: float
    dsp: float
    bram: float
    held_out_error: Mapping[str, ErrorStats]

    def resources(self) -> dict[str, float]:
        """Estimate per resource, in :data:`RESOURCES` order."""
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram": self.bram}

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "target": self.target,
                "resources": self.resources(),
                "held_out_error": {r: e.to_json() for r, e in self.held_out_error.items()}}


@dataclasses.dataclass(frozen=True)
class AreaModel:
    """A fitted area model of one generator on one target."""

    generator: str
    target: str
    resources: Mapping[str, ResourceModel]
    provenance: Mapping[str, Any]   # how it was fitted: tools, seeds, command

    def estimate(self, params: Params) -> AreaReport:
        """Estimated resources of ``params``.

        Raises:
            TypeError: if ``params`` belong to another generator.
        """
        if params.generator != self.generator:
            raise TypeError(f"the {self.generator} area model cannot estimate "
                            f"{params.generator} params")
        values = feature_function(self.generator)(params, self.target)
        estimates = {r: m.fit.predict(values) for r, m in self.resources.items()}
        return AreaReport(
            generator=self.generator, target=self.target, **estimates,
            held_out_error={r: m.held_out_error for r, m in self.resources.items()})

    def to_json(self, samples: Sequence[AreaSample]) -> dict[str, Any]:
        """The data file's content (schema ``hwdse.area-model/1``) with ``samples``."""
        return {
            "schema": SCHEMA, "generator": self.generator, "target": self.target,
            "provenance": dict(self.provenance),
            "resources": {
                name: {"coefficients": dict(zip(m.fit.features, m.fit.coefficients,
                                                strict=True)),
                       "train_error": m.train_error.to_json(),
                       "held_out_error": m.held_out_error.to_json()}
                for name, m in self.resources.items()},
            "samples": [sample.to_json() for sample in samples],
        }


def build_model(generator: str, target: str, samples: Sequence[AreaSample],
                resources: Mapping[str, Sequence[str]],
                provenance: Mapping[str, Any]) -> AreaModel:
    """Fit ``generator``'s model on the ``train`` samples and measure its errors on the
    ``train`` and ``held_out`` ones.

    Raises:
        AreaModelError: for a generator without features or a sample with an unknown split.
        ValueError, KeyError: as :func:`fit`.
    """
    feature_fn = feature_function(generator)
    for sample in samples:
        if sample.split not in SPLITS:
            raise AreaModelError(f"sample split must be one of {SPLITS}, not {sample.split!r}")
    train = [s for s in samples if s.split == "train"]
    held_out = [s for s in samples if s.split == "held_out"]
    fits = fit(train, feature_fn, resources, target)
    return AreaModel(generator, target, {
        name: ResourceModel(linear,
                            relative_errors(linear, feature_fn, name, train, target),
                            relative_errors(linear, feature_fn, name, held_out, target))
        for name, linear in fits.items()}, dict(provenance))


# --- data files -----------------------------------------------------------------------


def data_file_name(generator: str, target: str) -> str:
    """``area_<generator>_<target>.json``, in ``dse/models/data``."""
    return f"area_{generator}_{target}.json"


def _stats(payload: Any, where: str) -> ErrorStats:
    try:
        return ErrorStats(float(payload["mean"]), float(payload["max"]), int(payload["count"]))
    except (KeyError, TypeError, ValueError):
        raise AreaModelError(f"{where} must hold mean, max and count, not {payload!r}") \
            from None


def parse_area_data(data: Mapping[str, Any], origin: str = "<data>"
                    ) -> tuple[AreaModel, tuple[AreaSample, ...]]:
    """The model and samples of a parsed data file (``origin`` names it in errors).

    Raises:
        AreaModelError: for a wrong schema, an unknown generator, resource, feature or
            split, or a missing key, naming it.
    """
    def fail(message: str) -> AreaModelError:
        return AreaModelError(f"area model {origin}: {message}")

    if data.get("schema") != SCHEMA:
        raise fail(f"`schema` must be {SCHEMA!r}, not {data.get('schema')!r}")
    try:
        generator, target = str(data["generator"]), str(data["target"])
        raw_resources, raw_samples = data["resources"], data["samples"]
    except KeyError as missing:
        raise fail(f"missing key `{missing.args[0]}`") from None
    feature_fn = feature_function(generator)
    params_class = get_generator(generator).params_class
    samples = []
    for index, raw in enumerate(raw_samples):
        try:
            sample = AreaSample(
                params=params_class.from_mapping(raw["params"]),
                measured={r: float(v) for r, v in raw["measured"].items()},
                split=raw["split"], cells=dict(raw.get("cells", {})),
                synth_seconds=raw.get("synth_seconds"))
        except (KeyError, TypeError, ValueError) as error:
            raise fail(f"`samples[{index}]` is malformed: {error}") from None
        if sample.split not in SPLITS:
            raise fail(f"`samples[{index}].split` must be one of {SPLITS}, "
                       f"not {sample.split!r}")
        samples.append(sample)
    if not samples:
        raise fail("`samples` is empty")
    known = feature_fn(samples[0].params, target)
    models = {}
    for resource in RESOURCES:
        if resource not in raw_resources:
            raise fail(f"missing resource `resources.{resource}`")
    for resource, entry in raw_resources.items():
        where = f"resources.{resource}"
        if resource not in RESOURCES:
            raise fail(f"unknown resource `{resource}`; known: {', '.join(RESOURCES)}")
        try:
            coefficients = {str(k): float(v) for k, v in entry["coefficients"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise fail(f"`{where}.coefficients` must map feature names to numbers") from None
        for name in coefficients:
            if name not in known:
                raise fail(f"unknown feature `{where}.coefficients.{name}` for {generator}")
        linear = LinearFit(tuple(coefficients), tuple(coefficients.values()))
        models[resource] = ResourceModel(
            linear, _stats(entry.get("train_error"), f"{origin}: `{where}.train_error`"),
            _stats(entry.get("held_out_error"), f"{origin}: `{where}.held_out_error`"))
    model = AreaModel(generator, target, {r: models[r] for r in RESOURCES},
                      dict(data.get("provenance", {})))
    return model, tuple(samples)


@functools.cache
def load_area_data(generator: str, target: str = DEFAULT_TARGET
                   ) -> tuple[AreaModel, tuple[AreaSample, ...]]:
    """The model of ``generator`` on ``target`` shipped with the package, and its samples.

    Raises:
        AreaModelError: if there is no data file for them (listing the ones there are) or
            it is malformed.
    """
    data_dir = resources.files("dse.models").joinpath("data")
    name = data_file_name(generator, target)
    entry = data_dir.joinpath(name)
    if not entry.is_file():
        shipped = sorted(p.name for p in data_dir.iterdir()
                         if p.name.startswith("area_") and p.name.endswith(".json"))
        raise AreaModelError(f"no area model for {generator!r} on {target!r} ({name}); "
                             f"shipped: {', '.join(shipped) or 'none'}")
    try:
        payload = json.loads(entry.read_text())
    except json.JSONDecodeError as error:
        raise AreaModelError(f"area model dse.models/data/{name}: not valid JSON: {error}") \
            from None
    return parse_area_data(payload, f"dse.models/data/{name}")


def load_area_model(generator: str, target: str = DEFAULT_TARGET) -> AreaModel:
    """The model of ``generator`` on ``target`` shipped with the package.

    Raises:
        AreaModelError: as :func:`load_area_data`.
    """
    return load_area_data(generator, target)[0]


def area(params: Params, target: str = DEFAULT_TARGET) -> AreaReport:
    """Estimated LUTs, FFs, DSPs and BRAMs of ``params`` on ``target``, with the model's
    recorded held-out error.

    Raises:
        AreaModelError: if there is no model for the generator on ``target``.
    """
    return load_area_model(params.generator, target).estimate(params)
