"""Parameters of the systolic-array generator ``systolic-v1``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from hw.params import ParamError, Params, check_bool, check_choice, check_int

DATAFLOWS = ("os", "ws")

#: Largest array side the generator accepts; larger arrays elaborate but are impractical
#: to simulate on one machine.
MAX_SIDE = 128

#: Accumulator depth used for the weight-stationary dataflow when none is given.
DEFAULT_ACC_DEPTH = 64


@dataclasses.dataclass(frozen=True)
class SystolicParams(Params):
    """A ``rows`` x ``cols`` grid of multiply-accumulate PEs.

    - ``os`` (output-stationary): PE (i, j) accumulates one output C[i, j] of a
      ``rows`` x ``cols`` output tile while the reduction dimension streams through.
    - ``ws`` (weight-stationary): PE (i, j) holds weight B[k=i, n=j] of a ``rows`` x ``cols``
      weight tile (double-buffered), activations stream through, partial sums flow down and
      are summed over weight tiles in an accumulator memory of ``acc_depth`` rows at the
      bottom of the array.

    ``input_width`` is the width of A and B elements, ``acc_width`` that of accumulators and
    results (arithmetic wraps modulo ``2**acc_width``); ``signed`` selects two's complement
    for both operands and results.

    Raises:
        ParamError: for any value out of range, naming the field.
    """

    generator: ClassVar[str] = "systolic-v1"
    network_mapping: ClassVar[str | None] = "layers"

    rows: int = 8
    cols: int = 8
    input_width: int = 8
    acc_width: int = 32
    signed: bool = True
    dataflow: str = "os"
    acc_depth: int | None = None

    def __post_init__(self) -> None:
        check_int("rows", self.rows, 1, MAX_SIDE)
        check_int("cols", self.cols, 1, MAX_SIDE)
        check_int("input_width", self.input_width, 2, 16)
        check_int("acc_width", self.acc_width, 2 * self.input_width, 64)
        check_bool("signed", self.signed)
        check_choice("dataflow", self.dataflow, DATAFLOWS)
        if self.dataflow == "os":
            if self.acc_depth is not None:
                raise ParamError(
                    f"`acc_depth` applies only to dataflow 'ws'; leave it unset for 'os', "
                    f"not {self.acc_depth!r}")
        else:
            if self.acc_depth is None:
                # Store the effective value so equal designs hash equal.
                object.__setattr__(self, "acc_depth", DEFAULT_ACC_DEPTH)
            check_int("acc_depth", self.acc_depth, 1, 65536)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @classmethod
    def precision_fields(cls, weights: int, activations: int, accumulator: int,
                         values: Mapping[str, Any]) -> dict[str, int]:
        """Both operands share ``input_width`` (signed); sums need ``acc_width``."""
        return {"input_width": max(weights, activations), "acc_width": accumulator}
