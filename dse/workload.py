"""Workloads as data."""

from __future__ import annotations

import dataclasses
import re

from hw.params import ParamError, check_int

#: Largest GEMM dimension accepted from a user (keeps Python-int golden models tractable).
MAX_DIM = 1 << 20


@dataclasses.dataclass(frozen=True)
class Gemm:
    """C (M x N) = A (M x K) @ B (K x N).

    Raises:
        ParamError: if a dimension is not a positive integer.
    """

    m: int
    k: int
    n: int

    def __post_init__(self) -> None:
        for name in ("m", "k", "n"):
            check_int(name, getattr(self, name), 1, MAX_DIM)

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n

    def __str__(self) -> str:
        return f"{self.m}x{self.k}x{self.n}"

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
