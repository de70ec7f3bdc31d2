"""Workloads as data: an ordered list of named layers, each a GEMM with its op kind, batch
and count, typed by hand in a spec or imported from a model (:mod:`dse.workload.sources`).

The generic workload knows no hardware family: a family checks what it can run (for
example ``BitSerialParams.check_bits`` checks the precisions).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hw.params import ParamError, check_int

#: Largest GEMM dimension accepted from a user (keeps Python-int golden models tractable).
MAX_DIM = 1 << 20


#: Largest serial precision a workload may ask for (families check their own maximum).
MAX_BITS = 16


@dataclasses.dataclass(frozen=True)
class Gemm:
    """C (M x N) = A (M x K) @ B (K x N).

    For families with run-time precision (``bitserial``), ``bits`` is the precision of the
    serial operand (an int, or one int per group of ``group_size`` elements of K, repeated
    cyclically; ``None``: the design's maximum), and ``group_size`` the K elements that
    share a scale factor (``None``: all of K is one group). Bit-parallel families ignore
    both.

    Raises:
        ParamError: if a dimension is not a positive integer, or ``bits`` / ``group_size``
            is out of range.
    """

    m: int
    k: int
    n: int
    bits: int | tuple[int, ...] | None = None
    group_size: int | None = None

    def __post_init__(self) -> None:
        for name in ("m", "k", "n"):
            check_int(name, getattr(self, name), 1, MAX_DIM)
        if isinstance(self.bits, list):
            object.__setattr__(self, "bits", tuple(self.bits))
        if isinstance(self.bits, tuple):
            if not self.bits:
                raise ParamError("`bits` must be an integer or a non-empty list of integers "
                                 "in 1..16, not an empty list")
            for value in self.bits:
                check_int("bits", value, 1, MAX_BITS)
        elif self.bits is not None:
            check_int("bits", self.bits, 1, MAX_BITS)
        if self.group_size is not None:
            check_int("group_size", self.group_size, 1, MAX_DIM)

    def group_bits(self, default: int) -> list[int]:
        """The precision of each group of K: ``bits`` if an int, one per group repeated
        cyclically if a tuple, ``default`` where ``bits`` is unset."""
        groups = len(self.groups())
        if self.bits is None:
            return [default] * groups
        if isinstance(self.bits, int):
            return [self.bits] * groups
        return [self.bits[g % len(self.bits)] for g in range(groups)]

    def groups(self) -> list[tuple[int, int]]:
        """``(k0, k1)`` bounds of each group of ``group_size`` elements of K (all of K when
        ``group_size`` is unset)."""
        size = self.group_size or self.k
        return [(k0, min(k0 + size, self.k)) for k0 in range(0, self.k, size)]

    def precision_options(self) -> dict[str, object]:
        """``bits`` and ``group_size`` where set (the keyword arguments of a job builder)."""
        return {name: getattr(self, name) for name in ("bits", "group_size")
                if getattr(self, name) is not None}

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n

    def __str__(self) -> str:
        text = f"{self.m}x{self.k}x{self.n}"
        if self.bits is not None:
            bits = self.bits if isinstance(self.bits, tuple) else (self.bits,)
            text += f" @{'/'.join(map(str, bits))}b"
        if self.group_size is not None:
            text += f" g{self.group_size}"
        return text

    @classmethod
    def parse(cls, text: str) -> Gemm:
        """Parse ``MxKxN`` (e.g. ``64x64x64``).

        Raises:
            ParamError: naming the expected form.
        """
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
        if not match:
            raise ParamError(f"`gemm` must look like MxKxN with positive integers "
                             f"(e.g. 64x64x64), not {text!r}")
        m, k, n = (int(g) for g in match.groups())
        for name, value in (("M", m), ("K", k), ("N", n)):
            if not 1 <= value <= MAX_DIM:
                raise ParamError(f"`gemm` dimension {name} must be in 1..{MAX_DIM}, not {value}")
        return cls(m, k, n)


@dataclasses.dataclass(frozen=True)
class Conv2d:
    """A 2-D convolution layer, run as the GEMM of its im2col lowering:
    M = batch * out_height * out_width, K = in_channels * kernel^2, N = out_channels.

    Raises:
        ParamError: for a non-positive size or a kernel larger than the padded input.
    """

    in_channels: int
    out_channels: int
    height: int
    width: int
    kernel: int = 3
    stride: int = 1
    padding: int = 0
    batch: int = 1

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            low = 0 if field.name == "padding" else 1
            check_int(field.name, getattr(self, field.name), low, MAX_DIM)
        for side in ("height", "width"):
            if getattr(self, side) + 2 * self.padding < self.kernel:
                raise ParamError(f"`kernel` {self.kernel} is larger than the padded {side} "
                                 f"{getattr(self, side) + 2 * self.padding}")

    def out_size(self, side: int) -> int:
        return (side + 2 * self.padding - self.kernel) // self.stride + 1

    def gemm(self) -> Gemm:
        return Gemm(self.batch * self.out_size(self.height) * self.out_size(self.width),
                    self.in_channels * self.kernel * self.kernel, self.out_channels)


#: Op kinds of layers: ``gemm`` (typed by hand), ``linear`` (one operand is a weight),
#: ``matmul`` (both operands are activations: attention QKᵀ and AV), ``conv1d`` /
#: ``conv2d`` / ``conv3d`` (dense), ``conv2d-grouped`` and ``conv2d-depthwise`` (``batch``
#: GEMMs, one per group; likewise for 1-D and 3-D).
OP_KINDS = ("gemm", "linear", "matmul", "conv1d", "conv2d", "conv3d", "conv1d-grouped",
            "conv2d-grouped", "conv3d-grouped", "conv1d-depthwise", "conv2d-depthwise",
            "conv3d-depthwise")


@dataclasses.dataclass(frozen=True)
class Layer:
    """One workload entry: ``batch`` independent GEMMs of one shape (the groups of a
    grouped convolution, the heads of attention), in ``count`` identical layers.

    ``repeat`` (``batch * count``) is how many times the GEMM runs; the analytic models
    multiply a GEMM's cost by it.

    Raises:
        ParamError: for an unknown op kind or a non-positive ``count`` / ``batch``.
    """

    name: str
    gemm: Gemm
    count: int = 1
    op: str = "gemm"
    batch: int = 1

    def __post_init__(self) -> None:
        check_int("count", self.count, 1, None)
        check_int("batch", self.batch, 1, None)
        if self.op not in OP_KINDS:
            raise ParamError(f"`op` must be one of {', '.join(OP_KINDS)}, not {self.op!r}")

    @property
    def repeat(self) -> int:
        return self.batch * self.count

    @property
    def macs(self) -> int:
        return self.gemm.macs * self.repeat

    def shape_key(self) -> tuple[str, Gemm, int]:
        """What makes two layers cost the same: op kind, GEMM and batch."""
        return (self.op, self.gemm, self.batch)


class WorkloadError(ParamError):
    """A model cannot be turned into a workload; the message is one line naming the source,
    the node or the option at fault."""


@dataclasses.dataclass(frozen=True)
class Workload:
    """A network as layers, in execution order, with what was not lowered.

    ``skipped_ops`` counts the operators without MACs (activations, pooling, normalization,
    elementwise ops, reshapes) by kind; an operator with MACs is either a layer or refused,
    never skipped.
    """

    source: str
    layers: tuple[Layer, ...]
    skipped_ops: tuple[tuple[str, int], ...] = ()

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def merged(self) -> Workload:
        """Identical layer shapes (op, GEMM, batch) as one layer with their summed ``count``,
        at the place and under the name of the first."""
        first: dict[tuple[str, Gemm, int], int] = {}
        layers: list[Layer] = []
        for layer in self.layers:
            index = first.get(layer.shape_key())
            if index is None:
                first[layer.shape_key()] = len(layers)
                layers.append(layer)
            else:
                layers[index] = dataclasses.replace(
                    layers[index], count=layers[index].count + layer.count)
        return dataclasses.replace(self, layers=tuple(layers))

    def select(self, pattern: str | None = None, max_layers: int | None = None) -> Workload:
        """The layers whose name matches ``pattern`` (``re.search``), the first
        ``max_layers`` of them.

        Raises:
            WorkloadError: for a bad regular expression, a ``max_layers`` below 1, or a
                selection with no layer.
        """
        layers = list(self.layers)
        if pattern is not None:
            try:
                regex = re.compile(pattern)
            except re.error as error:
                raise WorkloadError(f"`layers` {pattern!r} is not a regular expression: "
                                    f"{error}") from None
            layers = [layer for layer in layers if regex.search(layer.name)]
        if max_layers is not None:
            check_int("max_layers", max_layers, 1, None)
            layers = layers[:max_layers]
        if not layers:
            raise WorkloadError(f"no layer of {self.source} matches `layers` = {pattern!r} "
                                f"(names look like {self.layers[0].name!r})"
                                if self.layers else f"{self.source} has no layer with MACs")
        return dataclasses.replace(self, layers=tuple(layers))

    def transposed(self) -> Workload:
        """Every GEMM as its transpose (M x K x N -> N x K x M, the same MACs): ``Cᵀ = Bᵀ Aᵀ``
        puts the weights (or the KV cache) first, so a one-token decode step is GEMVs
        with N = 1."""
        return dataclasses.replace(self, layers=tuple(
            dataclasses.replace(layer, gemm=dataclasses.replace(
                layer.gemm, m=layer.gemm.n, n=layer.gemm.m)) for layer in self.layers))

    def to_json(self) -> dict[str, Any]:
        """The ``hwdse.workload/1`` record."""
        return {
            "schema": "hwdse.workload/1",
            "source": self.source,
            "layers": [{"name": layer.name, "op": layer.op, "gemm": str(layer.gemm),
                        "m": layer.gemm.m, "k": layer.gemm.k, "n": layer.gemm.n,
                        "batch": layer.batch, "count": layer.count, "macs": layer.macs}
                       for layer in self.layers],
            "total_macs": self.total_macs,
            "skipped_ops": dict(self.skipped_ops),
        }

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Workload:
        """The workload of a ``hwdse.workload/1`` record (:meth:`to_json`).

        Raises:
            WorkloadError: for another schema or a malformed record.
        """
        if payload.get("schema") != "hwdse.workload/1":
            raise WorkloadError(f"not a hwdse.workload/1 record: {payload.get('schema')!r}")
        try:
            layers = tuple(Layer(str(x["name"]), Gemm(int(x["m"]), int(x["k"]), int(x["n"])),
                                 int(x["count"]), str(x["op"]), int(x["batch"]))
                           for x in payload["layers"])
            skipped = tuple((str(k), int(v)) for k, v in payload["skipped_ops"].items())
            return cls(str(payload["source"]), layers, skipped)
        except (KeyError, TypeError, ValueError) as error:
            raise WorkloadError(f"malformed hwdse.workload/1 record: {error}") from None


def count_kinds(kinds: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """``(kind, count)`` pairs, most frequent first, then by name."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with later repeats suffixed ``#2``, ``#3``, ... (several MAC operators in
    one module, such as the two matmuls of attention)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
