"""Parameters of the accelerator generator ``accel-v1``: a compute core (an existing array
family) with an operand scratchpad, an accumulator buffer and a DMA engine on AXI4."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from hw.bitserial.params import SERIAL_OPERANDS, BitSerialParams
from hw.params import ParamError, Params, check_bool, check_choice, check_int
from hw.systolic.params import SystolicParams

#: Compute cores the accelerator is built with.
CORES = ("systolic", "bitserial")
#: Dataflows of the systolic core.
CORE_DATAFLOWS = ("os", "ws")
#: The bit-serial core's fields (unset for the systolic core) and their defaults.
BITSERIAL_DEFAULTS = {"lanes": 8, "max_bits": 8, "serial": "weights"}
#: Element widths (bits) the DMA moves as whole bytes.
INPUT_WIDTHS = (8, 16)
ACC_WIDTHS = (16, 32, 64)
BUS_BYTES = (4, 8, 16, 32, 64)
#: AXI4 allows bursts of up to 256 beats; a burst never crosses 4 KiB.
AXI_MAX_BURST = 256
AXI_BOUNDARY = 4096


def _power_of_two(name: str, value: object, low: int, high: int) -> int:
    check_int(name, value, low, high)
    assert isinstance(value, int)
    if value & (value - 1):
        raise ParamError(f"`{name}` must be a power of two in {low}..{high}, not {value!r}")
    return value


def _one_of(name: str, value: object, choices: tuple[int, ...]) -> int:
    if isinstance(value, bool) or value not in choices:
        listed = ", ".join(str(c) for c in choices)
        raise ParamError(f"`{name}` must be one of {listed}, not {value!r}")
    assert isinstance(value, int)
    return value


@dataclasses.dataclass(frozen=True)
class AccelParams(Params):
    """An accelerator: a ``rows`` x ``cols`` compute core, either systolic (``core``
    ``systolic``: ``dataflow`` ``os`` or ``ws``, ``acc_depth`` rows of the ``ws`` core's own
    accumulator) or bit-serial (``core`` ``bitserial``, ``hw.bitserial``: ``lanes``
    elements of K per PE and beat, the ``serial`` operand (``weights`` = B, or
    ``activations`` = A) taken one bit plane per beat at a precision chosen per job up to
    ``max_bits``, output-stationary, no scales), an operand
    scratchpad of ``spad_kib`` KiB (half for A, half for B, each half two slots: the next
    tile loads while the current one computes), an accumulator buffer of ``acc_kib`` KiB
    (two slots: one tile accumulates while the previous one is written back), and a DMA
    engine with an AXI4 master of ``bus_bytes`` data bytes, bursts of up to ``max_burst``
    beats and up to ``outstanding`` transactions in flight per direction.

    Elements are ``input_width``-bit (whole bytes; the bit-serial core's parallel width,
    and the width its serial operand is stored at in DRAM), results ``acc_width``-bit,
    written back to DRAM at that width. ``rows``, ``cols``, ``lanes``, the buffer sizes and
    the burst length are powers of two, so every buffer word and bus beat divides the
    others. The bit-serial fields stay unset (None) for the systolic core and default to
    ``lanes`` 8, ``max_bits`` 8, ``serial`` weights for the bit-serial one.

    Raises:
        ParamError: for any value out of range, naming the field.
    """

    generator: ClassVar[str] = "accel-v1"

    core: str = "systolic"
    rows: int = 8
    cols: int = 8
    input_width: int = 8
    acc_width: int = 32
    signed: bool = True
    dataflow: str = "os"
    acc_depth: int | None = None
    spad_kib: int = 32
    acc_kib: int = 16
    bus_bytes: int = 8
    max_burst: int = 16
    outstanding: int = 4
    lanes: int | None = None
    max_bits: int | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        check_choice("core", self.core, CORES)
        bitserial = self.core == "bitserial"
        for name, default in BITSERIAL_DEFAULTS.items():
            if not bitserial and getattr(self, name) is not None:
                raise ParamError(f"`{name}` applies only to core 'bitserial'; leave it unset "
                                 f"for {self.core!r}, not {getattr(self, name)!r}")
            if bitserial and getattr(self, name) is None:
                object.__setattr__(self, name, default)
        _power_of_two("rows", self.rows, 1, 64)
        _power_of_two("cols", self.cols, 1, 64)
        _one_of("input_width", self.input_width, INPUT_WIDTHS)
        _one_of("acc_width", self.acc_width, ACC_WIDTHS)
        if self.acc_width < 2 * self.input_width:
            allowed = ", ".join(str(w) for w in ACC_WIDTHS if w >= 2 * self.input_width)
            raise ParamError(f"`acc_width` must be one of {allowed} (at least 2 * input_width "
                             f"= {2 * self.input_width}), not {self.acc_width!r}")
        check_bool("signed", self.signed)
        check_choice("dataflow", self.dataflow, CORE_DATAFLOWS)
        if bitserial:
            if self.dataflow != "os":
                raise ParamError(f"`dataflow` must be 'os' for core 'bitserial' (each PE "
                                 f"holds one output), not {self.dataflow!r}")
            if self.acc_depth is not None:
                raise ParamError(f"`acc_depth` applies only to core 'systolic' with dataflow "
                                 f"'ws'; leave it unset for 'bitserial', not "
                                 f"{self.acc_depth!r}")
            _power_of_two("lanes", self.lanes, 1, 64)
            check_int("max_bits", self.max_bits, 1, self.input_width)
            check_choice("serial", self.serial, SERIAL_OPERANDS)
            self.bitserial_core  # noqa: B018 (the core checks the rest of its fields)
        else:
            # the core checks its own fields (acc_depth: only for ws) and fills acc_depth in
            object.__setattr__(self, "acc_depth", self.systolic_core.acc_depth)
        _power_of_two("spad_kib", self.spad_kib, 1, 4096)
        _power_of_two("acc_kib", self.acc_kib, 1, 4096)
        _one_of("bus_bytes", self.bus_bytes, BUS_BYTES)
        _power_of_two("max_burst", self.max_burst, 1, AXI_MAX_BURST)
        if self.max_burst * self.bus_bytes > AXI_BOUNDARY:
            raise ParamError(
                f"`max_burst` must be a power of two in 1..{AXI_BOUNDARY // self.bus_bytes} "
                f"(a burst of bus_bytes = {self.bus_bytes} beats stays inside 4 KiB), not "
                f"{self.max_burst!r}")
        check_int("outstanding", self.outstanding, 1, 16)
        # The smallest tile (one granule of M and N, one K row) must fit every slot.
        for name, need, have in (
                ("spad_kib", self.m_granule * self.k_granule * self.element_bytes,
                 self.spad_slot_bytes),
                ("spad_kib", self.k_granule * self.n_granule * self.element_bytes,
                 self.spad_slot_bytes),
                ("acc_kib", self.m_granule * self.n_granule * self.acc_bytes,
                 self.acc_slot_bytes)):
            if need > have:
                raise ParamError(f"`{name}` is too small: the smallest tile needs a slot of "
                                 f"{need} bytes, a {getattr(self, name)} KiB buffer has "
                                 f"{have}")

    def to_dict(self) -> dict[str, Any]:
        """The field values; the bit-serial core's fields only for core ``bitserial``, so
        a systolic design's dict (and content hash) is what it was before they existed."""
        values = super().to_dict()
        if self.core != "bitserial":
            for name in BITSERIAL_DEFAULTS:
                del values[name]
        return values

    # --- derived sizes (bytes) -----------------------------------------------------

    @property
    def core_params(self) -> SystolicParams | BitSerialParams:
        """The compute core's own parameters."""
        return self.bitserial_core if self.core == "bitserial" else self.systolic_core

    @property
    def systolic_core(self) -> SystolicParams:
        """The systolic core's parameters.

        Raises:
            ParamError: for a design of another core.
        """
        if self.core != "systolic":
            raise ParamError(f"`core` is {self.core!r}, not 'systolic'")
        return SystolicParams(rows=self.rows, cols=self.cols, input_width=self.input_width,
                              acc_width=self.acc_width, signed=self.signed,
                              dataflow=self.dataflow, acc_depth=self.acc_depth)

    @property
    def bitserial_core(self) -> BitSerialParams:
        """The bit-serial core's parameters: its parallel width is ``input_width``, it has
        no scales.

        Raises:
            ParamError: for a design of another core.
        """
        if self.core != "bitserial" or self.lanes is None or self.max_bits is None \
                or self.serial is None:
            raise ParamError(f"`core` is {self.core!r}, not 'bitserial'")
        return BitSerialParams(rows=self.rows, cols=self.cols, lanes=self.lanes,
                               max_bits=self.max_bits, parallel_width=self.input_width,
                               serial=self.serial, signed=self.signed,
                               acc_width=self.acc_width, scale_width=0)

    @property
    def k_lanes(self) -> int:
        """Elements of K a core beat takes per row and column: ``lanes`` for the
        bit-serial core, 1 for the systolic one."""
        return self.lanes if self.core == "bitserial" and self.lanes else 1

    def check_bits(self, bits: int, name: str = "bits") -> int:
        """``bits`` if it is a precision this design runs (the bit-serial core: 1..
        ``max_bits``).

        Raises:
            ParamError: naming ``name`` and the allowed range, or saying that the
                systolic core takes no run-time precision.
        """
        if self.core != "bitserial":
            raise ParamError(f"`{name}` applies only to core 'bitserial' (run-time "
                             f"precision); core {self.core!r} is bit-parallel")
        assert self.max_bits is not None
        return check_int(name, bits, 1, self.max_bits)

    def job_bits(self, bits: int | None) -> int | None:
        """The serial precision a job runs at: ``bits`` (default ``max_bits``) for the
        bit-serial core, None for the systolic one.

        Raises:
            ParamError: for a precision out of range, or any ``bits`` on the systolic core.
        """
        if bits is None:
            return self.max_bits if self.core == "bitserial" else None
        return self.check_bits(bits)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    @property
    def element_bytes(self) -> int:
        return self.input_width // 8

    @property
    def acc_bytes(self) -> int:
        return self.acc_width // 8

    @property
    def beat_elements(self) -> int:
        return self.bus_bytes // self.element_bytes

    @property
    def m_granule(self) -> int:
        """TM is a multiple of this: ``os`` reads A transposed, a core row and whole bus
        beats of M at a time; ``ws`` reads rows of A (any M); the bit-serial core reads
        rows of ``lanes`` elements per M (``hw.accel.tiling``), a core row and whole beats."""
        if self.core == "bitserial":
            return max(self.rows, self.beat_elements // self.k_lanes)
        return max(self.rows, self.beat_elements) if self.dataflow == "os" else 1

    @property
    def k_granule(self) -> int:
        """TK is a multiple of this: ``ws`` reads rows of A, a core row (a weight tile's
        height) and whole bus beats of K at a time; ``os`` any K; the bit-serial core a
        chunk of ``lanes``."""
        if self.core == "bitserial":
            return self.k_lanes
        return 1 if self.dataflow == "os" else max(self.rows, self.beat_elements)

    @property
    def n_granule(self) -> int:
        """TN is a multiple of this (a column of the core and whole bus beats): for the
        bit-serial core whole beats of both a blocked B row (``lanes`` elements per N) and
        a C row (one result per N)."""
        if self.core == "bitserial":
            return max(self.cols, self.beat_elements // self.k_lanes,
                       self.bus_bytes // self.acc_bytes)
        return max(self.cols, self.beat_elements)

    @property
    def spad_slot_bytes(self) -> int:
        """One of the two slots of the A half (or the B half) of the scratchpad."""
        return self.spad_kib * 1024 // 4

    @property
    def acc_slot_bytes(self) -> int:
        """One of the two accumulator slots."""
        return self.acc_kib * 1024 // 2

    @property
    def a_lane_bytes(self) -> int:
        """Bytes of A in one beat of the core (``rows`` elements, times ``lanes``)."""
        return self.rows * self.k_lanes * self.element_bytes

    @property
    def b_lane_bytes(self) -> int:
        """Bytes of B in one beat of the core (``cols`` elements, times ``lanes``)."""
        return self.cols * self.k_lanes * self.element_bytes

    @property
    def a_word_bytes(self) -> int:
        return max(self.bus_bytes, self.a_lane_bytes)

    @property
    def b_word_bytes(self) -> int:
        return max(self.bus_bytes, self.b_lane_bytes)

    @property
    def c_word_bytes(self) -> int:
        return max(self.bus_bytes, self.cols * self.acc_bytes)

    @property
    def burst_bytes(self) -> int:
        """Bursts never cross a multiple of this (it divides 4 KiB)."""
        return self.max_burst * self.bus_bytes

    @classmethod
    def precision_fields(cls, weights: int, activations: int, accumulator: int,
                         values: Mapping[str, Any]) -> dict[str, int]:
        """Both operands share ``input_width`` (8 or 16); sums ``acc_width`` (16, 32, 64)."""
        width = 8 if max(weights, activations) <= 8 else 16
        acc = next(w for w in ACC_WIDTHS if w >= max(accumulator, 2 * width))
        return {"input_width": width, "acc_width": acc}
