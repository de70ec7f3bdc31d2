"""The GEMM shapes of convolutions and matrix products, shared by the PyTorch and the ONNX
front ends (pure functions of tensor shapes)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hw.params import ParamError


def _prod(values: Sequence[int]) -> int:
    return math.prod(values) if values else 1


def conv_gemm(weight: Sequence[int], output: Sequence[int], groups: int
              ) -> tuple[str, int, int, int, int]:
    """``(kind, M, K, N, batch)`` of a convolution with ``weight`` (out-channels,
    in-channels per group, kernel...) and ``output`` (batch..., out-channels, positions...):
    one GEMM per group, M = batch x output positions, K = in-channels per group x kernel
    size, N = out-channels per group. A depthwise convolution (one in-channel per group) is
    ``groups`` GEMMs with N = out-channels per group, never one dense GEMM.

    Raises:
        ParamError: if the out-channels are not a multiple of ``groups``.
    """
    spatial = len(weight) - 2
    if groups < 1 or weight[0] % groups:
        raise ParamError(f"{weight[0]} out-channels do not split into {groups} groups")
    positions = _prod(output[len(output) - spatial:])
    rows = _prod(output[:len(output) - spatial - 1])
    kind = f"conv{spatial}d"
    if groups > 1:
        kind += "-depthwise" if weight[1] == 1 else "-grouped"
    return kind, rows * positions, weight[1] * _prod(weight[2:]), weight[0] // groups, groups


def broadcast(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...]:
    """NumPy broadcasting of two batch shapes.

    Raises:
        ParamError: if they do not broadcast.
    """
    out = []
    for x, y in zip(reversed((1,) * (len(b) - len(a)) + tuple(a)),
                    reversed((1,) * (len(a) - len(b)) + tuple(b)), strict=True):
        if x != y and 1 not in (x, y):
            raise ParamError(f"batch shapes {tuple(a)} and {tuple(b)} do not broadcast")
        out.append(max(x, y) if 0 not in (x, y) else 0)
    return tuple(reversed(out))


def matmul_gemm(a: Sequence[int], b: Sequence[int]) -> tuple[int, int, int, int]:
    """``(M, K, N, batch)`` of ``a @ b`` with NumPy / ``torch.matmul`` semantics. A 1-D or
    2-D right operand (a weight, typically) folds the left operand's leading dimensions
    into M, as torch computes it (one ``mm``).

    Raises:
        ParamError: if the batch dimensions do not broadcast.
    """
    if len(a) == 1 and len(b) == 1:
        return 1, a[0], 1, 1
    if len(b) == 1:
        return _prod(a[:-1]), a[-1], 1, 1
    if len(a) == 1:
        return 1, a[0], b[-1], _prod(b[:-2])
    if len(b) == 2:
        return _prod(a[:-1]), a[-1], b[-1], 1
    return a[-2], a[-1], b[-1], _prod(broadcast(a[:-2], b[:-2]))
