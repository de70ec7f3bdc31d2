"""Parameters of the DRAM processing-in-memory controller ``pim-v1``, its timing presets and
the mapping of a GEMV's matrix onto channels and banks."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from hw.params import ParamError, Params, check_choice, check_int


@dataclasses.dataclass(frozen=True)
class Timing:
    """DRAM timing in controller clock cycles (one cycle = one DRAM command clock ``tCK``).

    ``rcd`` ACT to column command, ``rp`` PRE to ACT, ``ras`` ACT to PRE, ``ccd`` column
    command to column command (the same-bank-group value, ``tCCD_L``), ``rrd`` ACT to ACT
    (``tRRD_L``), ``faw`` window holding at most four ACTs, ``rtp`` column read to PRE,
    ``cl`` column read to data, ``refi`` average refresh interval, ``rfc`` refresh to ACT.
    """

    name: str
    tck_ns: float
    rcd: int
    rp: int
    ras: int
    ccd: int
    rrd: int
    faw: int
    rtp: int
    cl: int
    refi: int
    rfc: int
    source: str

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in TIMING_FIELDS}


TIMING_FIELDS = ("rcd", "rp", "ras", "ccd", "rrd", "faw", "rtp", "cl", "refi", "rfc")

#: Named timing presets. Bank-group timings are folded to their same-group (long) values.
TIMING_PRESETS: dict[str, Timing] = {
    "hbm2": Timing(
        "hbm2", tck_ns=1.0, rcd=14, rp=14, ras=34, ccd=2, rrd=6, faw=30, rtp=6, cl=14,
        refi=3900, rfc=260,
        source="DRAMsim3 configs/HBM2_8Gb_x128.ini (JEDEC HBM2, 1 GHz command clock): "
               "tRCD 14, tRP 14, tRAS 34, tCCD_L 2, tRRD_L 6, tFAW 30, tRTP_L 6, CL 14, "
               "tREFI 3900, tRFC 260"),
    "ddr4": Timing(
        "ddr4", tck_ns=0.833, rcd=16, rp=16, ras=39, ccd=6, rrd=6, faw=26, rtp=9, cl=16,
        refi=9364, rfc=420,
        source="DRAMsim3 configs/DDR4_8Gb_x8_2400.ini (Micron MT40A1G8PM-083E, "
               "DDR4-2400): tRCD 16, tRP 16, tRAS 39, tCCD_L 6, tRRD_L 6, tFAW 26, CL 16, "
               "tREFI 9364, tRFC 420; tRTP = max(4 nCK, 7.5 ns) = 9 (JESD79-4)"),
}

PAGE_POLICIES = ("open", "closed")
SCHEDULERS = ("fcfs", "frfcfs")
PIM_MODES = ("all-bank", "per-bank", "none")
REFRESH_POLICIES = ("all-bank", "postponed")
INTERLEAVES = ("row", "block")

#: Refreshes a controller may owe at most (JEDEC allows postponing eight).
MAX_POSTPONED = 8


def check_power_of_two(name: str, value: object, high: int) -> int:
    """``value`` if it is a power of two in ``1..high`` (DRAM geometry is binary).

    Raises:
        ParamError: listing the allowed values.
    """
    allowed = [1 << i for i in range(high.bit_length())]
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        listed = ", ".join(map(str, allowed))
        raise ParamError(f"`{name}` must be a power of two in {listed}, not {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class PimParams(Params):
    """A PIM controller for ``channels`` x ``banks`` DRAM banks, each with a MAC unit of
    ``lanes`` lanes beside it (HBM-PIM / AiM style).

    A GEMV ``y = W x`` (W: R x C, ``element_width``-bit integers) is mapped by rows: matrix
    row r goes to one (channel, bank) (``interleave``: ``row`` deals rows out in turn,
    ``block`` gives each bank a contiguous block), and a bank stores its rows one after the
    other, ``ceil(C / lanes)`` column accesses each, ``columns`` accesses per DRAM row,
    ``rows`` DRAM rows per bank. A column access in PIM mode is a MAC of ``lanes`` weights
    with ``lanes`` elements of x (preloaded beside the banks); the last one of a matrix row
    latches the bank's ``acc_width``-bit sum, which a result read (RDRES) brings back.

    Controller knobs: ``pim_mode`` (``all-bank``: one command drives every bank of a
    channel in lockstep; ``per-bank``: commands address one bank; ``none``: no PIM, the
    host reads every weight over the channel, the baseline), ``page_policy`` (``closed``
    precharges as soon as a bank's last access to a row is issued; ``open`` when another
    row is needed), ``scheduler`` (``fcfs``: in order; ``frfcfs``: ready row hits first,
    then the oldest ready request), ``queue_depth`` (requests the scheduler sees),
    ``refresh`` (``all-bank``: refresh as soon as one is due; ``postponed``: postpone up to
    eight while work remains) and ``timing`` (a name in :data:`TIMING_PRESETS`).

    Raises:
        ParamError: for any value out of range, naming the field.
    """

    generator: ClassVar[str] = "pim-v1"

    channels: int = 2
    banks: int = 4
    rows: int = 1024
    columns: int = 32
    lanes: int = 16
    element_width: int = 8
    acc_width: int = 32
    timing: str = "hbm2"
    pim_mode: str = "all-bank"
    page_policy: str = "closed"
    scheduler: str = "frfcfs"
    queue_depth: int = 8
    refresh: str = "all-bank"
    interleave: str = "row"

    def __post_init__(self) -> None:
        check_power_of_two("channels", self.channels, 16)
        check_power_of_two("banks", self.banks, 32)
        check_power_of_two("rows", self.rows, 1 << 17)
        check_power_of_two("columns", self.columns, 1024)
        check_power_of_two("lanes", self.lanes, 128)
        check_int("element_width", self.element_width, 2, 16)
        check_int("acc_width", self.acc_width, 2 * self.element_width, 64)
        check_choice("timing", self.timing, TIMING_PRESETS)
        check_choice("pim_mode", self.pim_mode, PIM_MODES)
        check_choice("page_policy", self.page_policy, PAGE_POLICIES)
        check_choice("scheduler", self.scheduler, SCHEDULERS)
        check_int("queue_depth", self.queue_depth, 1, 32)
        check_choice("refresh", self.refresh, REFRESH_POLICIES)
        check_choice("interleave", self.interleave, INTERLEAVES)
        t = self.timing_values
        if t.ras + t.rp >= t.refi:
            raise ParamError(f"`timing` {t.name!r} is impossible: tRAS + tRP ({t.ras + t.rp}) "
                             f"must be below tREFI ({t.refi})")

    @property
    def timing_values(self) -> Timing:
        return TIMING_PRESETS[self.timing]

    @property
    def bank_count(self) -> int:
        """Banks in all channels."""
        return self.channels * self.banks

    def chunks(self, cols: int) -> int:
        """Column accesses per matrix row of ``cols`` elements."""
        return -(-cols // self.lanes)

    def rows_per_bank(self, rows: int) -> int:
        """Matrix rows the fullest bank holds (every bank in ``all-bank`` mode)."""
        return -(-rows // self.bank_count)

    def check_gemv(self, rows: int, cols: int) -> None:
        """Check that an R x C GEMV fits the banks.

        Raises:
            ParamError: naming ``gemv`` and the capacity.
        """
        check_int("gemv rows", rows, 1, 1 << 24)
        check_int("gemv cols", cols, 1, 1 << 20)
        accesses = self.rows_per_bank(rows) * self.chunks(cols)
        capacity = self.rows * self.columns
        if accesses > capacity:
            raise ParamError(
                f"`gemv` {rows}x{cols} does not fit: a bank needs {accesses} column accesses "
                f"but holds {capacity} ({self.rows} rows x {self.columns} columns); use more "
                f"channels or banks, or a smaller matrix")

    def place(self, row: int, rows: int) -> tuple[int, int, int]:
        """(channel, bank, index within the bank) of matrix row ``row`` of ``rows``."""
        if self.interleave == "row":
            flat = row % self.bank_count
            return flat % self.channels, flat // self.channels, row // self.bank_count
        per_bank = self.rows_per_bank(rows)
        flat = row // per_bank
        return flat % self.channels, flat // self.channels, row % per_bank

    def address(self, index: int, chunk: int, cols: int) -> tuple[int, int]:
        """(DRAM row, column) of chunk ``chunk`` of a bank's ``index``-th matrix row."""
        linear = index * self.chunks(cols) + chunk
        return linear // self.columns, linear % self.columns
