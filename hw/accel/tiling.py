"""The accelerator's job contract, shared by the hardware, its testbench and its models:
the mapping (tile sizes and loop order), the DRAM layout, the legality rules the hardware
checks, and the sequence of tiles a job runs.

DRAM layout (bytes, little-endian elements; the host zero-pads every row to its stride):

- ``A``: for the output-stationary core (``os``) transposed, K rows of M elements (it
  takes a column of A and a row of B per beat, so both are contiguous); for the
  weight-stationary core (``ws``) as it is, M rows of K elements (it takes a row of A per
  activation beat); row stride ``lda``;
- ``B``: K rows of N elements, row stride ``ldb``;
- ``C``: M rows of N results of ``acc_width`` bits, row stride ``ldc``.

For the bit-serial core (``lanes`` = L elements of K per beat) A and B are blocked by
chunks of L along K, so that one scratchpad word holds one core beat: ``A``
ceil(K / L) rows, row ``c`` holding for each m the L elements ``A[m, cL .. cL + L - 1]``
(M x L elements); ``B`` ceil(K / L) rows, row ``c`` holding for each n the L elements
``B[cL .. cL + L - 1, n]`` (N x L elements); K is padded with zeros to a multiple of L.
Both operands are stored as ``input_width``-bit elements; the core takes the serial one's
low ``bits`` bits (the job's precision), one plane per beat.

A tile reads (and writes) whole bus beats: its extent along A's and B's rows is padded up
to a multiple of the granule (``os``: M to the core's rows and whole beats; ``ws``: K to
the core's rows, a weight tile's height, and whole beats; N to the core's columns and
whole beats); for ``ws`` B has K padded rows of zeros; the padding lies inside
the zero-padded stride, so it reads zeros, and C's padding columns are written with the
zeros they compute. Rows of C beyond M are never written.

Loop orders: ``mnk`` (M tiles outermost, K innermost) and ``nmk``. K is always innermost,
so a C tile accumulates in the accumulator buffer over its K tiles and is written once.
A tile whose A (or B) tile is the one loaded for the tile before it is not loaded again:
with one K tile, ``mnk`` keeps A on chip across the N tiles and ``nmk`` keeps B across
the M tiles.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from hw.accel.params import AccelParams
from hw.params import ParamError

ORDERS = ("mnk", "nmk")
#: Largest M, K, N and tile size a job takes (16-bit command fields).
MAX_DIM = (1 << 16) - 1
#: DRAM matrices start on this boundary in the canonical layout.
BASE_ALIGN = 4096


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def align(value: int, granule: int) -> int:
    return _ceil_div(value, granule) * granule


@dataclasses.dataclass(frozen=True)
class Mapping:
    """Tile sizes and loop order of one job (a run-time input of the hardware)."""

    tm: int
    tk: int
    tn: int
    order: str = "mnk"

    def __post_init__(self) -> None:
        for name in ("tm", "tk", "tn"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DIM:
                raise ParamError(f"`{name}` must be an integer in 1..{MAX_DIM}, not {value!r}")
        if self.order not in ORDERS:
            raise ParamError(f"`order` must be one of {', '.join(ORDERS)}, not {self.order!r}")

    @classmethod
    def parse(cls, tiles: str, order: str = "mnk") -> Mapping:
        """``"TMxTKxTN"`` and an order.

        Raises:
            ParamError: for a malformed text or a bad value.
        """
        match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*x\s*(\d+)\s*", tiles)
        if match is None:
            raise ParamError(f"`tiles` must look like TMxTKxTN (e.g. 32x64x32), not {tiles!r}")
        tm, tk, tn = (int(g) for g in match.groups())
        return cls(tm, tk, tn, order)

    @property
    def tiles_text(self) -> str:
        return f"{self.tm}x{self.tk}x{self.tn}"

    def to_json(self) -> dict[str, str]:
        return {"tiles": self.tiles_text, "order": self.order}


@dataclasses.dataclass(frozen=True)
class DramLayout:
    """Where a job's matrices live in DRAM (byte addresses and row strides)."""

    a_addr: int
    b_addr: int
    c_addr: int
    lda: int
    ldb: int
    ldc: int
    size: int   # bytes up to the end of C


def padded_m(params: AccelParams, m: int) -> int:
    return align(m, params.m_granule)


def padded_n(params: AccelParams, n: int) -> int:
    return align(n, params.n_granule)


def padded_k(params: AccelParams, k: int) -> int:
    return align(k, params.k_granule)


def dram_layout(params: AccelParams, m: int, k: int, n: int) -> DramLayout:
    """The canonical layout of an M x K x N job: A, B, C one after another on 4 KiB
    boundaries, every row stride padded to a multiple of the burst boundary (so every row
    of a tile splits into bursts alike, and the models need no addresses)."""
    boundary = params.burst_bytes
    lanes = params.k_lanes
    if params.core == "bitserial":
        a_rows, a_row = padded_k(params, k) // lanes, padded_m(params, m) * lanes
    else:
        a_rows, a_row = (k, padded_m(params, m)) if params.dataflow == "os" else (
            m, padded_k(params, k))
    lda = align(a_row * params.element_bytes, boundary)
    ldb = align(padded_n(params, n) * lanes * params.element_bytes, boundary)
    ldc = align(padded_n(params, n) * params.acc_bytes, boundary)
    a_addr = 0
    b_addr = align(a_addr + a_rows * lda, BASE_ALIGN)
    c_addr = align(b_addr + padded_k(params, k) // lanes * ldb, BASE_ALIGN)
    return DramLayout(a_addr, b_addr, c_addr, lda, ldb, ldc, c_addr + m * ldc)


#: Width of the command's ``bits`` field (the bit-serial core's precision, 0..31).
BITS_WIDTH = 5


def refusal(params: AccelParams, m: int, k: int, n: int, mapping: Mapping,
            bits: int | None = None) -> str | None:
    """Why the hardware refuses the job (the rule it checks), or None if it runs it.
    ``bits`` is the bit-serial core's precision (default ``max_bits``; ignored by the
    systolic core)."""
    if not all(1 <= d <= MAX_DIM for d in (m, k, n)):
        return f"M, K and N must be in 1..{MAX_DIM}"
    if params.core == "bitserial" and bits is not None and not 1 <= bits <= (
            params.max_bits or 0):
        return f"bits = {bits} is not a precision of the core (1..{params.max_bits})"
    if mapping.tm % params.m_granule:
        return f"TM = {mapping.tm} is not a multiple of {params.m_granule} (the M granule)"
    if mapping.tk % params.k_granule:
        return f"TK = {mapping.tk} is not a multiple of {params.k_granule} (the K granule)"
    if mapping.tn % params.n_granule:
        return f"TN = {mapping.tn} is not a multiple of {params.n_granule} (the N granule)"
    e = params.element_bytes
    if mapping.tm * mapping.tk * e > params.spad_slot_bytes:
        return (f"an A tile of TM x TK = {mapping.tm} x {mapping.tk} elements "
                f"({mapping.tm * mapping.tk * e} bytes) does not fit a scratchpad slot of "
                f"{params.spad_slot_bytes} bytes")
    if mapping.tk * mapping.tn * e > params.spad_slot_bytes:
        return (f"a B tile of TK x TN = {mapping.tk} x {mapping.tn} elements "
                f"({mapping.tk * mapping.tn * e} bytes) does not fit a scratchpad slot of "
                f"{params.spad_slot_bytes} bytes")
    if mapping.tm * mapping.tn * params.acc_bytes > params.acc_slot_bytes:
        return (f"a C tile of TM x TN = {mapping.tm} x {mapping.tn} results "
                f"({mapping.tm * mapping.tn * params.acc_bytes} bytes) does not fit an "
                f"accumulator slot of {params.acc_slot_bytes} bytes")
    return None


def check_mapping(params: AccelParams, m: int, k: int, n: int, mapping: Mapping,
                  bits: int | None = None) -> Mapping:
    """``mapping`` if the hardware runs it (at ``bits``, for the bit-serial core).

    Raises:
        ParamError: saying which rule it breaks.
    """
    reason = refusal(params, m, k, n, mapping, bits)
    if reason is not None:
        raise ParamError(f"`tiles` {mapping.tiles_text} is refused by {params.generator}: "
                         f"{reason}")
    return mapping


def default_mapping(params: AccelParams, m: int, k: int, n: int,
                    order: str | None = None) -> Mapping:
    """A legal mapping chosen by a simple rule (the mapper of a later issue searches):
    among tiles of power-of-two granule multiples (or the whole padded extent) that fit,
    the least DRAM traffic, then the largest tiles, then ``mnk`` (or only ``order``)."""
    gm, gn, gk = params.m_granule, params.n_granule, params.k_granule
    m_pad, n_pad, k_pad = padded_m(params, m), padded_n(params, n), padded_k(params, k)

    def sizes(limit: int, granule: int) -> list[int]:
        values, size = {limit}, granule
        while size < limit:
            values.add(size)
            size *= 2
        return sorted(values)

    best: tuple[tuple[int, int], Mapping] | None = None
    for tm in sizes(m_pad, gm):
        for tn in sizes(n_pad, gn):
            for tk in sizes(k_pad, gk):
                for choice in ORDERS if order is None else (order,):
                    mapping = Mapping(tm, tk, tn, choice)
                    if refusal(params, m, k, n, mapping) is not None:
                        continue
                    read, written = dram_bytes(params, m, k, n, mapping)
                    key = (read + written, -(tm * tk * tn))
                    if best is None or key < best[0]:
                        best = (key, mapping)
    assert best is not None, "the smallest tile always fits (checked by AccelParams)"
    return best[1]


def resolve_mapping(params: AccelParams, m: int, k: int, n: int,
                    mapping: Mapping | str | None = None, order: str | None = None) -> Mapping:
    """The mapping of a job: ``mapping`` itself, parsed from ``"TMxTKxTN"`` (with
    ``order``, default ``mnk``), or the default mapping (of ``order``, if given).

    Raises:
        ParamError: for malformed tiles, an unknown order, or an order that contradicts
            a given mapping.
    """
    if order is not None and order not in ORDERS:
        raise ParamError(f"`order` must be one of {', '.join(ORDERS)}, not {order!r}")
    if isinstance(mapping, Mapping):
        if order is not None and order != mapping.order:
            raise ParamError(f"`order` {order!r} contradicts the mapping's {mapping.order!r}")
        return mapping
    if mapping is None:
        return default_mapping(params, m, k, n, order)
    return Mapping.parse(mapping, order or "mnk")


@dataclasses.dataclass(frozen=True)
class Tile:
    """One tile of a job, as the hardware runs it."""

    m0: int
    k0: int
    n0: int
    tm_pad: int   # M extent read and computed (granule multiple)
    tm_eff: int   # rows of C written back (<= M)
    tk: int       # K extent of the GEMM in the tile
    tk_pad: int   # K extent read and computed (granule multiple; == tk for os)
    tn_pad: int   # N extent read, computed and written back
    first_k: bool
    last_k: bool
    load_a: bool
    load_b: bool


def tiles(params: AccelParams, m: int, k: int, n: int, mapping: Mapping) -> Iterator[Tile]:
    """The tiles of a job in the order the hardware runs them (``mapping`` must be legal)."""
    m_pad, n_pad, k_pad = padded_m(params, m), padded_n(params, n), padded_k(params, k)
    tm, tk, tn = mapping.tm, mapping.tk, mapping.tn
    outer, middle = ((range(0, m, tm), range(0, n, tn)) if mapping.order == "mnk"
                     else (range(0, n, tn), range(0, m, tm)))
    previous: tuple[int, int, int] | None = None
    for first in outer:
        for second in middle:
            m0, n0 = (first, second) if mapping.order == "mnk" else (second, first)
            for k0 in range(0, k, tk):
                yield Tile(m0, k0, n0, min(tm, m_pad - m0), min(tm, m - m0), min(tk, k - k0),
                           min(tk, k_pad - k0), min(tn, n_pad - n0), k0 == 0, k0 + tk >= k,
                           previous is None or previous[:2] != (m0, k0),
                           previous is None or previous[1:] != (k0, n0))
                previous = (m0, k0, n0)


def dram_bytes(params: AccelParams, m: int, k: int, n: int, mapping: Mapping
               ) -> tuple[int, int]:
    """Exact DRAM bytes (read, written) of a job, in closed form: each A (B) tile is read
    whenever it differs from the previous tile's (see the module docstring), C written
    once per C tile at the padded N extent for its real rows."""
    e, acc = params.element_bytes, params.acc_bytes
    m_pad, n_pad = padded_m(params, m), padded_n(params, n)
    m_tiles, n_tiles, k_tiles = (_ceil_div(m, mapping.tm), _ceil_div(n, mapping.tn),
                                 _ceil_div(k, mapping.tk))
    one_k = k_tiles == 1
    if mapping.order == "mnk":
        a_times = 1 if one_k else n_tiles          # A tile (mi, ki) loads
        b_times = 1 if one_k and n_tiles == 1 else m_tiles
    else:
        b_times = 1 if one_k else m_tiles
        a_times = 1 if one_k and m_tiles == 1 else n_tiles
    k_pad = padded_k(params, k)
    read = (a_times * m_pad * k_pad + b_times * n_pad * k_pad) * e
    written = m * n_pad * acc
    return read, written


#: The DRAM a job runs against when none is given: the bus's full width per cycle and
#: this latency.
DEFAULT_LATENCY = 40
MAX_LATENCY = 1 << 16


def beat_interval(params: AccelParams, bandwidth: int) -> int:
    """Cycles per bus beat at ``bandwidth`` bytes per cycle: 1 at or above the bus width,
    else ``bus_bytes / bandwidth``.

    Raises:
        ParamError: unless ``bandwidth`` is a positive divisor or multiple of ``bus_bytes``.
    """
    bus = params.bus_bytes
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, int) or bandwidth < 1 or (
            bus % bandwidth and bandwidth % bus):
        divisors = ", ".join(str(d) for d in range(1, bus + 1) if bus % d == 0)
        raise ParamError(f"`bandwidth` must be a divisor of bus_bytes = {bus} ({divisors}) "
                         f"or a multiple of it (bytes per cycle), not {bandwidth!r}")
    return max(1, bus // bandwidth)


def check_latency(latency: int) -> int:
    """``latency`` if it is a DRAM latency the model and the testbench take (cycles).

    Raises:
        ParamError: otherwise.
    """
    if isinstance(latency, bool) or not isinstance(latency, int) or not (
            1 <= latency <= MAX_LATENCY):
        raise ParamError(f"`latency` must be an integer in 1..{MAX_LATENCY} (cycles), "
                         f"not {latency!r}")
    return latency
