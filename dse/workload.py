"""Workloads as data."""

from __future__ import annotations

import dataclasses
import re

from hw.bitserial.params import group_precisions, k_groups
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
        """The precision of each group of K (``default`` where ``bits`` is unset)."""
        return group_precisions(self.bits, len(self.groups()), default)

    def groups(self) -> list[tuple[int, int]]:
        """``(k0, k1)`` bounds of each group of K."""
        return k_groups(self.k, self.group_size)

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


@dataclasses.dataclass(frozen=True)
class Layer:
    """One workload entry: a GEMM (given directly or lowered from a layer), run
    ``repeat`` times."""

    name: str
    gemm: Gemm
    repeat: int = 1

    @property
    def macs(self) -> int:
        return self.gemm.macs * self.repeat
