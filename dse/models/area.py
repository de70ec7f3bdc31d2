"""Analytic FPGA area models: LUTs, FFs, DSPs and BRAMs as fitted linear functions of
features of a generator's parameters.

A model is data: per (generator, target) one JSON file in ``dse/models/data`` named
``area_<generator>_<target>.json`` (schema ``hwdse.area-model/1``) holding, per resource,
the feature names and coefficients, the relative errors on the training and the held-out
samples, and every sample it was fitted to (parameters, synthesized counts, split), so the
fit can be repeated without the tools. ``bench/area_<family>.py`` synthesizes the samples
(``flows.synth.synthesize(..., place=False)``) and writes the file.

A generator family takes part with one feature function (params and target -> named,
physically motivated quantities such as PEs, register bits, memory cells), in its
``dse/models/<family>.py`` and named by its :class:`dse.models.family.FamilyModels` record,
and one data file. This module is generic: it knows no family, and the functions that
take a generator's name get its feature function from the caller
(:mod:`dse.models.registry` looks it up).

The fit (:func:`fit`) is nonnegative least squares on relative error: it minimizes
``sum(((x . c - y) / max(y, 1)) ** 2)`` over coefficients ``c >= 0``, so small designs
count as much as large ones, and every coefficient adds area (with features that grow with
a parameter, the estimate does too).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dse.models.family import FeatureFunction
from hw.params import Params
from hw.registry import get as get_generator

SCHEMA = "hwdse.area-model/1"
#: The resources every model estimates, in this order (as ``flows.targets.RESOURCES``).
RESOURCES = ("lut", "ff", "dsp", "bram")
SPLITS = ("train", "held_out")
DEFAULT_TARGET = "ecp5-85k"


class AreaModelError(ValueError):
    """No area model for a (generator, target), or its data file is malformed; the message
    names the file and the key."""


# --- memory mapping -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MemoryPrimitive:
    """A RAM primitive as Yosys ``memory_libmap`` sees it (the target's ``.txt`` library):
    ``geometries`` are (data width, depth) configurations, ``cost`` is per instance;
    ``async_read``: its read port is asynchronous (``ar``: a synchronous read gets a soft
    data register), else synchronous (``sr``) with no write-transparency capability
    (``wrtrans``), as none of the listed libraries has one."""

    name: str
    kind: str                              # "lutram" or "bram"
    geometries: tuple[tuple[int, int], ...]
    byte: int                              # write-enable granularity (0: whole word)
    cost: float
    async_read: bool

    def emulation_score(self, transparent: bool) -> int:
        """``memory_libmap``'s emulation score (``score_emu_ports``) of a memory with one
        write port and one synchronous read port on its own port of the primitive
        (1 point); ``transparent``: the read port sees the word written in the same cycle.
        A transparent read needs soft transparency logic on either kind of port (3); a
        read of the old word is free on an asynchronous port behind its soft register,
        but a synchronous port without ``wrtrans`` takes it only by read-first emulation
        (3 per write port), which makes the port transparent (3 more)."""
        if transparent:
            return 1 + 3
        return 1 if self.async_read else 1 + 3 + 3


@dataclasses.dataclass(frozen=True)
class MemoryMapping:
    """How a one-read, one-write memory maps: primitive kind, instances, read mux bits."""

    kind: str        # "lutram", "bram" or "logic" (flip-flops)
    cells: int
    mux_bits: int    # 2:1 multiplexer bits on the read path: (address blocks - 1) * width
    cost: float


# Yosys share/lattice/lutrams_trellis.txt and brams_16kd.txt (PDPW16KD: the cheaper block
# configuration for one read and one write port; DP16KD's, the same but 18 bits wide).
MEMORY_PRIMITIVES: dict[str, tuple[MemoryPrimitive, ...]] = {
    "ecp5-85k": (
        MemoryPrimitive("TRELLIS_DPR16X4", "lutram", ((4, 16),), byte=0, cost=4.0,
                        async_read=True),
        MemoryPrimitive("DP16KD", "bram",
                        ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024),
                         (36, 512)), byte=9, cost=128.0, async_read=False),
    ),
    # Yosys share/ice40/brams.txt: SB_RAM40_4K (11 address bits at 2 bits wide), no
    # distributed RAM. Its option HAS_BE (byte 1) gives bit-granular write enables, so
    # memory_libmap packs the bits of all depth slices densely (blocks * width / unit width,
    # rounded up once), as the training netlists' block counts show. The SPRAM library is
    # used only with ``synth_ice40 -spram``, which the target's script does not pass.
    "ice40-up5k": (
        MemoryPrimitive("SB_RAM40_4K", "bram", ((2, 2048), (4, 1024), (8, 512), (16, 256)),
                        byte=1, cost=64.0, async_read=False),
    ),
}
#: The variants of ecp5-85k are the same device (only ABC's LUT mapping differs)
ECP5_VARIANTS = ("ecp5-85k-nowidelut", "ecp5-85k-area")
for _variant in ECP5_VARIANTS:
    MEMORY_PRIMITIVES[_variant] = MEMORY_PRIMITIVES["ecp5-85k"]
_FACTOR_MUX = 0.5
_FACTOR_DEMUX = 0.5
_FACTOR_EMULATION = 2.0
_LOGIC_COST_PER_BIT = 1.0


@dataclasses.dataclass(frozen=True)
class DspPrimitive:
    """A target's multiplier block as the Yosys ``mul2dsp`` step of its synthesis script
    maps products: operands up to ``max_width`` bits, and only products of at least
    ``min_product_width`` bits (narrower ones stay in logic); ``adder_width``: the widest
    adder after the product that the block takes in whole (``ice40_dsp`` packs an
    accumulator or a post-adder of up to 33 bits, SB_MAC16's 32-bit output and its carry,
    into the block; a wider adder stays in logic whole; 0: none)."""

    name: str
    max_width: int
    min_product_width: int
    adder_width: int = 0


# synth_ecp5: -D DSP_A_MAXWIDTH=18 -D DSP_B_MAXWIDTH=18, no product minimum;
# synth_ice40 -dsp: -D DSP_A_MAXWIDTH=16 -D DSP_B_MAXWIDTH=16 -D DSP_Y_MINWIDTH=11.
DSP_PRIMITIVES: dict[str, DspPrimitive] = {
    "ecp5-85k": DspPrimitive("MULT18X18D", max_width=18, min_product_width=0),
    "ice40-up5k": DspPrimitive("SB_MAC16", max_width=16, min_product_width=11,
                               adder_width=33),
}
for _variant in ECP5_VARIANTS:
    DSP_PRIMITIVES[_variant] = DSP_PRIMITIVES["ecp5-85k"]


def on_dsp(a_width: int, b_width: int, target: str) -> bool:
    """Whether an ``a_width`` x ``b_width`` product maps to one DSP block of ``target``
    (targets without a listed block: one block per product, as on ECP5)."""
    primitive = DSP_PRIMITIVES.get(target)
    if primitive is None:
        return True
    return (a_width + b_width >= primitive.min_product_width
            and max(a_width, b_width) <= primitive.max_width)


def dsp_adder_width(a_width: int, b_width: int, target: str) -> int:
    """The widest adder after an ``a_width`` x ``b_width`` product that ``target``'s DSP
    block takes in whole (0 where the product is not on a DSP, or the block takes none)."""
    primitive = DSP_PRIMITIVES.get(target)
    if primitive is None or not on_dsp(a_width, b_width, target):
        return 0
    return primitive.adder_width


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def memory_mappings(width: int, depth: int, target: str, *, transparent: bool
                    ) -> list[MemoryMapping]:
    """Every mapping of a ``depth`` x ``width`` memory with one write port and one
    synchronous read port that Yosys ``memory_libmap``'s cost rule weighs (instances x
    cost + read mux, write demux and emulation scores, :meth:`MemoryPrimitive.
    emulation_score`; flip-flops cost one per bit): flip-flops first, then each of the
    target's primitives and geometries in order. ``transparent``: the read port is
    transparent to the write port (Amaranth's ``read_port(transparent_for=...)``).

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
    mappings = [MemoryMapping("logic", 0, 0, float(int(width * depth * _LOGIC_COST_PER_BIT)))]
    for primitive in primitives:
        emulation = _FACTOR_EMULATION * primitive.emulation_score(transparent)
        for unit_width, unit_depth in primitive.geometries:
            byte = min(primitive.byte or unit_width, unit_width)
            blocks = _ceil_div(depth, unit_depth)
            cells = _ceil_div(blocks * _ceil_div(width, byte) * byte, unit_width)
            mux_bits = (blocks - 1) * width
            cost = (primitive.cost * cells + _FACTOR_MUX * mux_bits
                    + _FACTOR_DEMUX * (blocks if blocks > 1 else 0) + emulation)
            mappings.append(MemoryMapping(primitive.kind, cells, mux_bits, cost))
    return mappings


def map_memory(width: int, depth: int, target: str, *, transparent: bool) -> MemoryMapping:
    """The mapping of :func:`memory_mappings` that ``memory_libmap`` picks: in order, a
    mapping replaces the best so far where its cost is below that best's cost truncated to
    an integer (Yosys keeps the best cost in an ``int``), so a later mapping must be
    cheaper by the fraction too.

    Raises:
        AreaModelError: if the target has no memory primitives listed.
        ValueError: if ``width`` or ``depth`` is not positive.
    """
    mappings = memory_mappings(width, depth, target, transparent=transparent)
    chosen = mappings[0]
    best = int(chosen.cost)
    for mapping in mappings[1:]:
        if mapping.cost < best:
            chosen, best = mapping, int(mapping.cost)
    return chosen


def map_block_rom(width: int, depth: int, target: str) -> MemoryMapping:
    """How ``memory_libmap`` maps a ``depth`` x ``width`` ROM (no write port, one
    synchronous read port) that the attribute ``rom_style = "block"`` keeps in the
    target's block RAM: of the block-RAM geometries, the one of least cost (instances x
    cost + read mux, as :func:`map_memory` picks; a ROM has no write demultiplexer and
    needs no emulation). With no write enables to keep apart, the depth slices' bits pack
    side by side: ``ceil(slices x width / unit width)`` blocks (a 4608 x 6 ROM takes two
    2K x 9 blocks, not three; ``bench/results/bram_qmlp.md``).

    Raises:
        AreaModelError: if the target has no block RAM listed.
        ValueError: if ``width`` or ``depth`` is not positive.
    """
    if width < 1 or depth < 1:
        raise ValueError(f"ROM width and depth must be positive, not {width} x {depth}")
    blocks_ram = [p for p in MEMORY_PRIMITIVES.get(target, ()) if p.kind == "bram"]
    if not blocks_ram:
        known = ", ".join(t for t, ps in MEMORY_PRIMITIVES.items()
                          if any(p.kind == "bram" for p in ps))
        raise AreaModelError(f"no block RAM listed for target {target!r}; known: {known}")
    chosen: MemoryMapping | None = None
    best = 0
    for primitive in blocks_ram:
        for unit_width, unit_depth in primitive.geometries:
            slices = _ceil_div(depth, unit_depth)
            cells = _ceil_div(slices * width, unit_width)
            mux_bits = (slices - 1) * width
            cost = primitive.cost * cells + _FACTOR_MUX * mux_bits
            if chosen is None or cost < best:
                chosen, best = MemoryMapping("bram", cells, mux_bits, cost), int(cost)
    assert chosen is not None
    return chosen


# --- features -------------------------------------------------------------------------

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


# --- samples, fit and errors ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AreaSample:
    """One synthesized configuration: its params, measured resources and split."""

    params: Params
    measured: Mapping[str, float]   # resource -> synthesized count
    split: str                      # "train" or "held_out"
    cells: Mapping[str, int] = dataclasses.field(default_factory=dict)  # Yosys cell counts
    synth_seconds: float | None = None

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """The sample as stored; with ``base``, its file parameters (a network) relative to
        that folder (``Params.path_fields``)."""
        params = self.params.to_dict()
        if base is not None:
            params = type(self.params).paths_relative_to(params, base)
        return {"params": params, "split": self.split,
                "measured": dict(self.measured), "cells": dict(self.cells),
                "synth_seconds": self.synth_seconds}


@dataclasses.dataclass(frozen=True)
class ErrorStats:
    """Relative errors ``|predicted - measured| / max(measured, 1)`` over some samples:
    mean, maximum, count and 95th percentile (linear interpolation, numpy's default)."""

    mean: float
    max: float
    count: int
    p95: float | None = None   # None in data files written before it was recorded

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "p95": self.p95, "max": self.max, "count": self.count}


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
        return ErrorStats(0.0, 0.0, 0, 0.0)
    return ErrorStats(float(np.mean(errors)), float(max(errors)), len(errors),
                      float(np.percentile(errors, 95)))


# --- coverage -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Coverage:
    """What a model's training samples cover: per parameter (as
    :meth:`hw.params.Params.coordinates` gives it), the range of its numbers or the set of
    its other values; per feature the model uses, its range. A design outside
    any of them is extrapolated: :meth:`outside` says where."""

    params: Mapping[str, tuple[float, float] | tuple[Any, ...]]   # (low, high) or values
    features: Mapping[str, tuple[float, float]]

    @classmethod
    def of(cls, samples: Sequence[AreaSample], feature_fn: FeatureFunction, target: str,
           features: Sequence[str]) -> Coverage:
        """The coverage of ``samples`` (``features``: the names the model uses)."""
        values: dict[str, list[Any]] = {}
        for sample in samples:
            for name, value in sample.params.coordinates().items():
                values.setdefault(name, []).append(value)
        params: dict[str, tuple[Any, ...]] = {}
        for name, seen in values.items():
            numbers = [v for v in seen if _is_number(v)]
            numeric = numbers and all(_is_number(v) or v is None for v in seen)
            params[name] = ((min(numbers), max(numbers)) if numeric
                            else tuple(sorted(set(seen), key=repr)))
        rows = [feature_fn(sample.params, target) for sample in samples]
        return cls(params, {name: (min(r[name] for r in rows), max(r[name] for r in rows))
                            for name in features})

    def outside(self, params: Params, feature_values: Mapping[str, float]) -> tuple[str, ...]:
        """Where ``params`` lie outside the samples, e.g. ``rows = 16 (samples: 1..12)``
        (empty: inside every range)."""
        reasons = []
        for name, value in params.coordinates().items():
            covered = self.params.get(name)
            if covered is None or value is None:
                continue
            if _is_number(value) and len(covered) == 2 and all(map(_is_number, covered)):
                low, high = covered
                if not low <= value <= high:
                    reasons.append(f"{name} = {value} (samples: {low}..{high})")
            elif value not in covered and not _is_number(value):
                reasons.append(f"{name} = {value!r} (samples: "
                               f"{', '.join(map(repr, covered))})")
        for name, (low, high) in self.features.items():
            value = feature_values.get(name, 0.0)
            if not low - 1e-9 <= value <= high + 1e-9:
                reasons.append(f"feature {name} = {value:g} (samples: {low:g}..{high:g})")
        return tuple(reasons)

    def to_json(self) -> dict[str, Any]:
        return {"params": {n: list(v) for n, v in self.params.items()},
                "features": {n: list(v) for n, v in self.features.items()}}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Coverage:
        return cls({n: tuple(v) for n, v in payload.get("params", {}).items()},
                   {n: (float(v[0]), float(v[1]))
                    for n, v in payload.get("features", {}).items()})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    #: where the design lies outside the model's training samples (empty: inside)
    out_of_range: tuple[str, ...] = ()

    def resources(self) -> dict[str, float]:
        """Estimate per resource, in :data:`RESOURCES` order."""
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram": self.bram}

    def to_json(self) -> dict[str, Any]:
        return {"generator": self.generator, "target": self.target,
                "resources": self.resources(),
                "held_out_error": {r: e.to_json() for r, e in self.held_out_error.items()},
                "out_of_range": list(self.out_of_range)}


@dataclasses.dataclass(frozen=True)
class AreaModel:
    """A fitted area model of one generator on one target."""

    generator: str
    target: str
    resources: Mapping[str, ResourceModel]
    provenance: Mapping[str, Any]   # how it was fitted: tools, seeds, command
    features: FeatureFunction       # the family's feature function
    coverage: Coverage | None = None  # None: data written before coverage was recorded

    def estimate(self, params: Params) -> AreaReport:
        """Estimated resources of ``params``.

        Raises:
            TypeError: if ``params`` belong to another generator.
        """
        if params.generator != self.generator:
            raise TypeError(f"the {self.generator} area model cannot estimate "
                            f"{params.generator} params")
        values = self.features(params, self.target)
        estimates = {r: m.fit.predict(values) for r, m in self.resources.items()}
        outside = () if self.coverage is None else self.coverage.outside(params, values)
        return AreaReport(
            generator=self.generator, target=self.target, **estimates,
            held_out_error={r: m.held_out_error for r, m in self.resources.items()},
            out_of_range=outside)

    def to_json(self, samples: Sequence[AreaSample], base: Path | None = None
                ) -> dict[str, Any]:
        """The data file's content (schema ``hwdse.area-model/1``) with ``samples``; with
        ``base`` (the data file's folder), their network files relative to it."""
        return {
            "schema": SCHEMA, "generator": self.generator, "target": self.target,
            "provenance": dict(self.provenance),
            **({} if self.coverage is None else {"coverage": self.coverage.to_json()}),
            "resources": {
                name: {"coefficients": dict(zip(m.fit.features, m.fit.coefficients,
                                                strict=True)),
                       "train_error": m.train_error.to_json(),
                       "held_out_error": m.held_out_error.to_json()}
                for name, m in self.resources.items()},
            "samples": [sample.to_json(base) for sample in samples],
        }


def build_model(generator: str, target: str, samples: Sequence[AreaSample],
                resources: Mapping[str, Sequence[str]],
                provenance: Mapping[str, Any], feature_fn: FeatureFunction) -> AreaModel:
    """Fit ``generator``'s model (features ``feature_fn``) on the ``train`` samples and
    measure its errors on the ``train`` and ``held_out`` ones.

    Raises:
        AreaModelError: for a sample with an unknown split.
        ValueError, KeyError: as :func:`fit`.
    """
    for sample in samples:
        if sample.split not in SPLITS:
            raise AreaModelError(f"sample split must be one of {SPLITS}, not {sample.split!r}")
    train = [s for s in samples if s.split == "train"]
    held_out = [s for s in samples if s.split == "held_out"]
    fits = fit(train, feature_fn, resources, target)
    used = sorted({name for names in resources.values() for name in names})
    return AreaModel(generator, target, {
        name: ResourceModel(linear,
                            relative_errors(linear, feature_fn, name, train, target),
                            relative_errors(linear, feature_fn, name, held_out, target))
        for name, linear in fits.items()}, dict(provenance), feature_fn,
        Coverage.of(train, feature_fn, target, used))


# --- data files -----------------------------------------------------------------------


def data_file_name(generator: str, target: str) -> str:
    """``area_<generator>_<target>.json``, in ``dse/models/data``."""
    return f"area_{generator}_{target}.json"


def stats_from_json(payload: Any, where: str) -> ErrorStats:
    try:
        p95 = payload.get("p95")
        return ErrorStats(float(payload["mean"]), float(payload["max"]), int(payload["count"]),
                          None if p95 is None else float(p95))
    except (KeyError, TypeError, ValueError):
        raise AreaModelError(f"{where} must hold mean, max and count, not {payload!r}") \
            from None


def parse_area_data(data: Mapping[str, Any], feature_fn: FeatureFunction,
                    origin: str = "<data>", base: Path | None = None
                    ) -> tuple[AreaModel, tuple[AreaSample, ...]]:
    """The model and samples of a parsed data file of a family with features
    ``feature_fn`` (``origin`` names the file in errors; ``base`` is its folder, under
    which the samples' relative network files are: ``Params.path_fields``).

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
    params_class = get_generator(generator).params_class
    samples = []
    for index, raw in enumerate(raw_samples):
        try:
            values = raw["params"]
            if base is not None:
                values = params_class.paths_under(values, base)
            sample = AreaSample(
                params=params_class.from_mapping(values),
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
            linear, stats_from_json(entry.get("train_error"), f"{origin}: `{where}.train_error`"),
            stats_from_json(entry.get("held_out_error"), f"{origin}: `{where}.held_out_error`"))
    coverage = data.get("coverage")
    try:
        parsed_coverage = None if coverage is None else Coverage.from_json(coverage)
    except (TypeError, ValueError, IndexError, AttributeError):
        raise fail("`coverage` must map params and features to their ranges") from None
    model = AreaModel(generator, target, {r: models[r] for r in RESOURCES},
                      dict(data.get("provenance", {})), feature_fn, parsed_coverage)
    return model, tuple(samples)


@functools.cache
def load_area_data(generator: str, target: str, feature_fn: FeatureFunction
                   ) -> tuple[AreaModel, tuple[AreaSample, ...]]:
    """The model of ``generator`` (features ``feature_fn``) on ``target`` shipped with the
    package, and its samples.

    Raises:
        AreaModelError: if there is no data file for them (listing the ones there are) or
            it is malformed.
    """
    payload, origin = shipped_json("area", generator, target)
    return parse_area_data(payload, feature_fn, origin, shipped_data_dir())


def shipped_data_dir() -> Path:
    """The folder of the shipped model data (``dse/models/data``)."""
    return Path(str(resources.files("dse.models").joinpath("data")))


def shipped_targets(kind: str, generator: str) -> list[str]:
    """The targets ``generator`` has a shipped ``kind`` model (``area``, ``clock``) for: the
    files ``<kind>_<generator>_<target>.json`` in ``dse/models/data``."""
    prefix = f"{kind}_{generator}_"
    return sorted(p.name[len(prefix):-len(".json")]
                  for p in resources.files("dse.models").joinpath("data").iterdir()
                  if p.name.startswith(prefix) and p.name.endswith(".json"))


def shipped_json(kind: str, generator: str, target: str) -> tuple[Any, str]:
    """The ``kind`` model data (``area``, ``clock``) of ``generator`` on ``target`` shipped
    in ``dse/models/data`` as ``<kind>_<generator>_<target>.json``, and where it is.

    Raises:
        AreaModelError: if there is none (listing the ones there are) or it is not JSON.
    """
    data_dir = resources.files("dse.models").joinpath("data")
    name = f"{kind}_{generator}_{target}.json"
    entry = data_dir.joinpath(name)
    if not entry.is_file():
        shipped = sorted(p.name for p in data_dir.iterdir()
                         if p.name.startswith(f"{kind}_") and p.name.endswith(".json"))
        targets = shipped_targets(kind, generator)
        raise AreaModelError(f"no {kind} model for {generator!r} on {target!r} ({name}); "
                             f"targets with one: {', '.join(targets) or 'none'}; "
                             f"shipped: {', '.join(shipped) or 'none'}")
    try:
        payload = json.loads(entry.read_text())
    except json.JSONDecodeError as error:
        raise AreaModelError(f"{kind} model dse.models/data/{name}: not valid JSON: "
                             f"{error}") from None
    return payload, f"dse.models/data/{name}"


def load_area_model(generator: str, target: str, feature_fn: FeatureFunction) -> AreaModel:
    """The model of ``generator`` (features ``feature_fn``) on ``target`` shipped with the
    package.

    Raises:
        AreaModelError: as :func:`load_area_data`.
    """
    return load_area_data(generator, target, feature_fn)[0]
