"""Parameters of the bit-serial array generator ``bitserial-v1``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from hw.params import ParamError, Params, check_bool, check_choice, check_int

#: Which GEMM operand streams one bit per cycle: B (``weights``) or A (``activations``).
SERIAL_OPERANDS = ("weights", "activations")

#: Largest array side and lane count the generator accepts.
MAX_SIDE = 64
MAX_LANES = 64


@dataclasses.dataclass(frozen=True)
class BitSerialParams(Params):
    """A ``rows`` x ``cols`` array of bit-serial dot-product PEs.

    PE (i, j) computes output C[i, j] of a ``rows`` x ``cols`` output tile. Every cycle it
    takes ``lanes`` elements of the reduction dimension: ``lanes`` parallel words of one
    operand and one bit plane of ``lanes`` elements of the other (the ``serial`` operand),
    selects and adds the words whose bit is set, and folds the sum into its group
    accumulator by shift-and-add, most significant plane first; the sign plane of a signed
    serial operand is subtracted (its weight is ``-2**(b-1)``). A ``b``-bit serial operand
    takes ``b`` planes: precision is chosen per run, and per group of weights, by how many
    planes the host sends; ``max_bits`` only bounds it.

    A group (a run of the reduction dimension chosen at run time) ends with a dequantization
    step: with ``scale_width`` > 0 the group's partial sum is multiplied by the group's
    ``scale_width``-bit unsigned scale factor (one per output column) bit-serially, one
    scale bit per cycle, while the next group computes (BitMoD's per-group scaling);
    ``scale_width`` 0 adds the partial sum unscaled.

    ``parallel_width`` is the width of the parallel operand; ``signed`` selects two's
    complement for both operands and the results; ``acc_width`` is the width of every
    accumulator and result (arithmetic wraps modulo ``2**acc_width``).

    Raises:
        ParamError: for any value out of range, naming the field.
    """

    generator: ClassVar[str] = "bitserial-v1"
    network_mapping: ClassVar[str | None] = "layers"

    rows: int = 4
    cols: int = 4
    lanes: int = 8
    max_bits: int = 8
    parallel_width: int = 8
    serial: str = "weights"
    signed: bool = True
    acc_width: int = 32
    scale_width: int = 0

    def __post_init__(self) -> None:
        check_int("rows", self.rows, 1, MAX_SIDE)
        check_int("cols", self.cols, 1, MAX_SIDE)
        check_int("lanes", self.lanes, 1, MAX_LANES)
        check_int("max_bits", self.max_bits, 1, 16)
        check_int("parallel_width", self.parallel_width, 2, 16)
        check_choice("serial", self.serial, SERIAL_OPERANDS)
        check_bool("signed", self.signed)
        check_int("scale_width", self.scale_width, 0, 16)
        smallest = self.parallel_width + self.max_bits
        if isinstance(self.acc_width, int) and not isinstance(self.acc_width, bool) \
                and self.acc_width < smallest:
            raise ParamError(
                f"`acc_width` must be an integer in {smallest}..64 (at least parallel_width + "
                f"max_bits = {self.parallel_width} + {self.max_bits}), not {self.acc_width!r}")
        check_int("acc_width", self.acc_width, smallest, 64)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @classmethod
    def precision_fields(cls, weights: int, activations: int, accumulator: int,
                         values: Mapping[str, Any]) -> dict[str, int]:
        """The serial operand (``values["serial"]``, default weights) needs ``max_bits``,
        the other ``parallel_width``; sums need ``acc_width``."""
        serial = values.get("serial", "weights")
        serial_width, parallel = ((weights, activations) if serial == "weights"
                                  else (activations, weights))
        return {"max_bits": serial_width, "parallel_width": parallel, "acc_width": accumulator}

    def serial_bits(self, weights: int, activations: int) -> int | None:
        """The serial operand's width: a GEMM runs at that precision."""
        return weights if self.serial == "weights" else activations

    @property
    def serial_widths(self) -> tuple[int, int]:
        """Element widths of (A, B) in the operand stream: 1 for the serial operand."""
        if self.serial == "weights":
            return self.parallel_width, 1
        return 1, self.parallel_width

    def peak_macs_per_cycle(self, bits: int) -> float:
        """MACs per cycle at ``bits`` of serial precision, every lane busy."""
        return self.rows * self.cols * self.lanes / bits

    def operand_range(self, bits: int | None = None) -> tuple[int, int]:
        """Smallest and largest value of a ``bits``-bit serial operand (default
        ``max_bits``); ``bits`` = ``parallel_width`` gives the parallel operand's range."""
        width = self.max_bits if bits is None else bits
        if self.signed:
            return -(1 << (width - 1)), (1 << (width - 1)) - 1
        return 0, (1 << width) - 1

    def check_bits(self, bits: int, name: str = "bits") -> int:
        """``bits`` if it is a precision this design runs (1..``max_bits``).

        Raises:
            ParamError: naming ``name`` and the allowed range.
        """
        return check_int(name, bits, 1, self.max_bits)


def k_groups(k: int, group_size: int | None) -> list[tuple[int, int]]:
    """``(k0, k1)`` bounds of each group of ``group_size`` elements of K (``None``: one
    group, all of K)."""
    size = group_size or k
    return [(k0, min(k0 + size, k)) for k0 in range(0, k, size)]


def group_precisions(bits: int | tuple[int, ...] | None, groups: int, default: int
                     ) -> list[int]:
    """The precision of each of ``groups`` groups: ``bits`` if an int, one per group
    repeated cyclically if a tuple, ``default`` if ``None``."""
    if bits is None:
        return [default] * groups
    if isinstance(bits, int):
        return [bits] * groups
    return [bits[g % len(bits)] for g in range(groups)]
