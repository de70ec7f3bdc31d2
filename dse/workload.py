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
