"""CAN-bus intrusion-detection data: an HCRL loader, a synthetic traffic generator and a
frame-to-feature encoding.

This supports reproducing "Exploring Highly Quantised Neural Networks for Intrusion Detection
in Automotive CAN" (a 2-bit MLP that tells normal traffic from DoS, fuzzing and spoofing on the
HCRL car-hacking dataset). The real captures cannot be downloaded everywhere, so besides
:func:`load_hcrl` (their CSV / TXT formats) this module offers :func:`synthesize`, a seeded
generator built from published properties of the HCRL car-hacking dataset (Song, Woo, Kim,
Vehicular Communications 2020):

- a frame is a timestamp, an 11-bit CAN ID, a DLC, up to 8 data bytes and a flag
  (``R`` normal, ``T`` injected);
- DoS injects ID 0x000 with an all-zero 8-byte payload every 0.3 ms;
- fuzzing injects random IDs (0x000..0x7FF) with random payloads every 0.5 ms;
- spoofing injects the RPM (ID 0x316) or gear (ID 0x43F) message with a fixed fake payload
  every 1 ms;
- each capture of 30-40 minutes holds 300 intrusions of 3-5 s each;
- the vehicle (Hyundai YF Sonata) has about 26-27 periodic ECU IDs.

The bus model: 500 kbit/s; a frame occupies the bus for ``47 + 8 * DLC`` bits (bit stuffing
ignored); when several frames are pending, the lowest ID wins arbitration and the others wait.
Each periodic ECU message has a single transmit mailbox: a frame still waiting when the next
one of its ID becomes ready is superseded by it, as ECUs do with periodic signals; the attacker
queues its frames and sends them in order. Timestamps are taken at the end of each frame (when a
logger receives it), so they are serialized and a DoS flood visibly delays normal traffic.

:func:`encode` turns each frame into 84 binary features (see its docstring), :func:`dataset`
samples a class-balanced set from a synthetic trace and :func:`split` splits it, stratified.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import numbers
import re
import typing
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hw.params import ParamError, check_int

#: Class names; a label is the index of its name here.
CLASSES: tuple[str, ...] = ("normal", "dos", "fuzzy", "gear", "rpm")
#: The attacks of the HCRL car-hacking dataset (class names).
ATTACKS: tuple[str, ...] = ("dos", "fuzzy", "gear", "rpm")
#: Features per frame: 11 ID bits + 4 DLC bits + 64 data bits + 5 inter-arrival bits.
FEATURES: int = 84

#: Bus bit rate (bit/s) of the vehicle's high-speed CAN.
BITRATE = 500_000
#: Bits a standard data frame without stuffing occupies besides its data (including the
#: 3-bit intermission before the next frame may start).
FRAME_OVERHEAD_BITS = 47

DOS_ID = 0x000
RPM_ID = 0x316
GEAR_ID = 0x43F
#: Seconds between injected frames while an attack is active.
INJECTION_PERIOD: dict[str, float] = {"dos": 0.3e-3, "fuzzy": 0.5e-3, "gear": 1e-3, "rpm": 1e-3}
#: Fixed fake payloads of the spoofing attacks (representative values: an RPM of ~8000 /min
#: and a gear byte the ECU never sends).
SPOOF_PAYLOAD: dict[str, bytes] = {
    "gear": bytes.fromhex("014560ff6b000000"),
    "rpm": bytes.fromhex("0521e87d2121006f"),
}
#: Share of capture time under attack in HCRL: 300 intrusions of 4 s on average in a capture
#: of 35 minutes on average, about 0.57.
HCRL_ATTACK_SHARE = 300 * 4.0 / (35 * 60)

#: Inter-arrival code: microseconds per step and the largest code (5 bits).
INTERARRIVAL_STEP_US = 16
INTERARRIVAL_MAX_CODE = 31

_LAYOUT_ROLES = frozenset("kcnsLHx")
_SIGNAL_SPREAD = 16  # a slowly varying byte stays within its constant value +- this


@dataclasses.dataclass(frozen=True)
class EcuMessage:
    """One periodic ECU message: its ID, period and what each data byte does.

    ``layout`` has one character per data byte (its length is the DLC):

    - ``k`` constant (the byte of ``constant``);
    - ``c`` 8-bit rolling counter;
    - ``n`` 4-bit rolling counter in the low nibble, high nibble from ``constant``;
    - ``s`` slowly varying signal within ``constant`` +- 16;
    - ``L`` / ``H`` low / high byte of the message's slowly varying 16-bit signal, which
      stays in ``signal_range``;
    - ``x`` checksum: XOR of the other bytes.

    Raises:
        ParamError: if the ID, period, layout, constant bytes or signal range are invalid.
    """

    can_id: int
    period_ms: int
    layout: str
    constant: bytes
    signal_range: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        check_int("can_id", self.can_id, 0, 0x7FF)
        check_int("period_ms", self.period_ms, 1)
        if not 1 <= len(self.layout) <= 8 or not set(self.layout) <= _LAYOUT_ROLES:
            raise ParamError(f"`layout` must be 1..8 of the characters "
                             f"{''.join(sorted(_LAYOUT_ROLES))}, not {self.layout!r}")
        if len(self.constant) != len(self.layout):
            raise ParamError(f"`constant` must have {len(self.layout)} bytes (one per layout "
                             f"character), not {len(self.constant)}")
        low, high = self.signal_range
        if not 0 <= low <= high <= 0xFFFF:
            raise ParamError(f"`signal_range` must be (low, high) with 0 <= low <= high <= "
                             f"0xFFFF, not {self.signal_range!r}")

    @property
    def dlc(self) -> int:
        return len(self.layout)


def _message(can_id: int, period_ms: int, layout: str, constant: str,
             signal_range: tuple[int, int] = (0, 0)) -> EcuMessage:
    return EcuMessage(can_id, period_ms, layout, bytes.fromhex(constant), signal_range)


# A representative table, not the vehicle's real one: 26 IDs (including RPM 0x316 and gear
# 0x43F) with invented periods, DLCs and byte layouts; about 1,930 frames/s, 43 % bus load.
ECU_MESSAGES: tuple[EcuMessage, ...] = (
    _message(0x002, 10, "LHkkkknx", "0000000700001000", (0x0000, 0x1200)),
    _message(0x0A0, 10, "kssskkkk", "26f809d500000000"),
    _message(0x0A1, 10, "kkkkssnk", "8000000020400000"),
    _message(0x130, 10, "LHssknkk", "0080407f0e100000", (0x7F00, 0x8100)),
    _message(0x131, 10, "LHssknkk", "0080407f0e100000", (0x7F00, 0x8100)),
    _message(0x140, 10, "kkkksskn", "000000003a2b0020"),
    _message(0x153, 10, "kcskkkkx", "200010ff00ff0000"),
    _message(0x18F, 10, "kLHkkkkk", "fe0000003c000000", (0x0000, 0x0400)),
    _message(0x260, 10, "ssLHkkcx", "1821000030000000", (0x0200, 0x0900)),
    _message(0x2A0, 10, "kkLHkkkn", "00000000b2330050", (0x1000, 0x2400)),
    _message(0x2B0, 10, "LHkkn", "0000000700", (0x0000, 0x0600)),
    _message(0x316, 10, "kkLHskkk", "052100002121006f", (2800, 14000)),  # RPM * 4
    _message(0x329, 10, "kssskkkk", "0fc07e1211000000"),
    _message(0x370, 10, "kkksssnk", "0020000000000000"),
    _message(0x440, 10, "kksskkkk", "ff000000ff000000"),
    _message(0x545, 10, "kskkkkcx", "d800008a00000000"),
    _message(0x1F1, 20, "kkks", "00000000"),
    _message(0x2C0, 20, "skkkkkkk", "1400000000000000"),
    _message(0x350, 20, "ksskkkkn", "052884666d0000a0"),
    _message(0x43F, 20, "kkskkkkk", "014560ff65000000"),  # gear: byte 4 is the lever
    _message(0x4F0, 20, "kkkkkksn", "0000000000000a00"),
    _message(0x4B1, 50, "kkkkkkkk", "0000000000000000"),
    _message(0x5A0, 50, "kkkkkksn", "0000c35000003e00"),
    _message(0x5F0, 50, "skkkkkkk", "5a00000000000000"),
    _message(0x5A2, 100, "kn", "0100"),
    _message(0x690, 100, "kkkkkkkn", "0000000000000000"),
)


@dataclasses.dataclass(frozen=True, eq=False)
class CanTrace:
    """A sequence of CAN frames in bus order, with one class label per frame.

    Integer arrays of another integer dtype are converted (values are checked first).
    Two traces are equal when all their arrays are.

    Raises:
        ValueError: if the arrays differ in length, have the wrong shape or dtype kind,
            hold values out of range, bytes beyond the DLC are not 0 or timestamps decrease.
    """

    timestamp: np.ndarray  # float64 seconds, non-decreasing
    can_id: np.ndarray  # int64 0..0x7FF
    dlc: np.ndarray  # int64 0..8
    data: np.ndarray  # uint8 [n, 8], bytes beyond dlc are 0
    label: np.ndarray  # int64 class index into CLASSES

    def __post_init__(self) -> None:
        timestamp = np.asarray(self.timestamp)
        if timestamp.ndim != 1 or not np.issubdtype(timestamp.dtype, np.floating):
            raise ValueError(f"`timestamp` must be a 1-D float array, not {timestamp.dtype} "
                             f"with shape {timestamp.shape}")
        n = len(timestamp)
        object.__setattr__(self, "timestamp", timestamp.astype(np.float64, copy=False))
        for name, high in (("can_id", 0x7FF), ("dlc", 8), ("label", len(CLASSES) - 1)):
            values = _integer_array(name, getattr(self, name), (n,), high)
            object.__setattr__(self, name, values.astype(np.int64, copy=False))
        data = _integer_array("data", self.data, (n, 8), 0xFF)
        object.__setattr__(self, "data", data.astype(np.uint8, copy=False))
        if not np.all(np.isfinite(self.timestamp)):
            raise ValueError("`timestamp` must be finite")
        if n > 1 and np.any(np.diff(self.timestamp) < 0):
            raise ValueError("`timestamp` must be non-decreasing")
        if np.any(self.data[np.arange(8)[None, :] >= self.dlc[:, None]]):
            raise ValueError("`data` bytes beyond the DLC must be 0")

    def __len__(self) -> int:
        return len(self.timestamp)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CanTrace):
            return NotImplemented
        return all(np.array_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    __hash__ = None  # type: ignore[assignment]

    def counts(self) -> dict[str, int]:
        """Frames per class name (every class, zero included)."""
        per_label = np.bincount(self.label, minlength=len(CLASSES))
        return {name: int(count) for name, count in zip(CLASSES, per_label, strict=True)}


def _integer_array(name: str, value: object, shape: tuple[int, ...], high: int) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != shape or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(f"`{name}` must be an integer array of shape {shape}, not "
                         f"{array.dtype} with shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() > high):
        raise ValueError(f"`{name}` values must be in 0..{high}, not "
                         f"{array.min()}..{array.max()}")
    return array


def frame_seconds(dlc: np.ndarray | int) -> np.ndarray:
    """Seconds a frame with ``dlc`` data bytes occupies the bus (no bit stuffing)."""
    return np.asarray((FRAME_OVERHEAD_BITS + 8 * np.asarray(dlc)) / BITRATE)


# --------------------------------------------------------------------------- HCRL loader

_HEX_ID = re.compile(r"[0-9a-fA-F]{1,8}")
_HEX_BYTE = re.compile(r"[0-9a-fA-F]{1,2}")
_DLC = re.compile(r"[0-9]{1,2}")
_TXT_LINE = re.compile(
    r"Timestamp:\s*(?P<timestamp>\S+)\s+ID:\s*(?P<id>\S+)\s+\S+\s+DLC:\s*(?P<dlc>\S+)"
    r"(?P<data>.*)")


def _check_attack(attack: object) -> str | None:
    if attack is not None and attack not in ATTACKS:
        listed = ", ".join(repr(a) for a in ATTACKS)
        raise ValueError(f"`attack` must be one of {listed} or None, not {attack!r}")
    return typing.cast(str | None, attack)


class _BadLine(Exception):
    """What is wrong with one line of a capture (the loader adds the file and line number)."""


def _parse_line(line: str) -> tuple[float, int, bytes, str]:
    """``(timestamp, can_id, data, flag)`` of one non-blank line in either HCRL format.

    Raises:
        _BadLine: naming the problem.
    """
    if line.startswith("Timestamp:"):
        match = _TXT_LINE.fullmatch(line)
        if match is None:
            raise _BadLine("not a 'Timestamp: ... ID: ... DLC: ...' line")
        fields = [match["timestamp"], match["id"], match["dlc"], *match["data"].split()]
        flag = "R"
    else:
        fields = [field.strip() for field in line.split(",")]
        if len(fields) < 4:
            raise _BadLine(f"expected timestamp, ID, DLC, data bytes and flag separated by "
                           f"commas, got {len(fields)} field(s)")
        flag = fields.pop()
    try:
        timestamp = float(fields[0])
    except ValueError:
        timestamp = math.nan
    if not math.isfinite(timestamp):
        raise _BadLine(f"bad timestamp {fields[0]!r}")
    if not _HEX_ID.fullmatch(fields[1]):
        raise _BadLine(f"bad hex {fields[1]!r} in the CAN ID")
    can_id = int(fields[1], 16)
    if can_id > 0x7FF:
        raise _BadLine(f"CAN ID 0x{can_id:X} is beyond 0x7FF (11 bits)")
    if not _DLC.fullmatch(fields[2]) or int(fields[2]) > 8:
        raise _BadLine(f"DLC must be an integer in 0..8, not {fields[2]!r}")
    data = fields[3:]
    if len(data) != int(fields[2]):
        raise _BadLine(f"DLC {int(fields[2])} but {len(data)} data byte(s)")
    for index, text in enumerate(data):
        if not _HEX_BYTE.fullmatch(text):
            raise _BadLine(f"bad hex {text!r} in data byte {index}")
    if flag not in ("R", "T"):
        raise _BadLine(f"unknown flag {flag!r} (expected R or T)")
    return timestamp, can_id, bytes(int(text, 16) for text in data), flag


def load_hcrl(path: str | Path, attack: str | None = None) -> CanTrace:
    """Read a capture of the HCRL car-hacking dataset.

    Both formats are accepted (line by line; blank lines are skipped):

    - the attack CSVs (``DoS_dataset.csv``, ``Fuzzy_dataset.csv``, ``gear_dataset.csv``,
      ``RPM_dataset.csv``), no header:
      ``1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R`` (timestamp, ID in hex, DLC,
      DLC data bytes in hex, flag ``R`` normal / ``T`` injected);
    - the normal capture ``normal_run_data.txt``:
      ``Timestamp: 1479121434.850202        ID: 0350    000    DLC: 8    05 28 84 ...``
      (every frame normal).

    Injected frames get the class ``attack``; when ``attack`` is None it is inferred from the
    file name (the one of ``dos``, ``fuzzy``, ``gear``, ``rpm`` it contains, ignoring case).

    Raises:
        ValueError: if ``attack`` is not an attack name (the message lists them), or a line is
            malformed: the message names the file, the line number and the problem (bad
            timestamp or hex, ID beyond 0x7FF, DLC out of 0..8, wrong number of data bytes,
            unknown flag, injected frame of an unknown attack, timestamp going backwards).
        OSError: if the file cannot be read.
    """
    path = Path(path)
    attack = _check_attack(attack)
    if attack is None:
        named = [a for a in ATTACKS if a in path.name.lower()]
        attack = named[0] if len(named) == 1 else None
    injected_label = CLASSES.index(attack) if attack is not None else None

    timestamps: list[float] = []
    ids: list[int] = []
    dlcs: list[int] = []
    labels: list[int] = []
    payload = bytearray()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                timestamp, can_id, data, flag = _parse_line(line)
                if timestamps and timestamp < timestamps[-1]:
                    raise _BadLine(f"timestamp {timestamp!r} is earlier than the previous "
                                   f"frame's")
                if flag == "T" and injected_label is None:
                    raise _BadLine("injected frame (flag T) but the attack is unknown: pass "
                                   "`attack` or name the file after it (dos, fuzzy, gear, rpm)")
            except _BadLine as problem:
                raise ValueError(f"{path}, line {number}: {problem}") from None
            timestamps.append(timestamp)
            ids.append(can_id)
            dlcs.append(len(data))
            labels.append(0 if flag == "R" else typing.cast(int, injected_label))
            payload += data.ljust(8, b"\0")
    return CanTrace(
        timestamp=np.array(timestamps, dtype=np.float64),
        can_id=np.array(ids, dtype=np.int64),
        dlc=np.array(dlcs, dtype=np.int64),
        data=np.frombuffer(bytes(payload), dtype=np.uint8).reshape(-1, 8).copy(),
        label=np.array(labels, dtype=np.int64),
    )


# --------------------------------------------------------------------------- synthesis


def _check_positive(name: str, value: object) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        raise ParamError(f"`{name}` must be a positive number, not {value!r}")
    return float(value)


def _smooth_signal(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A slowly varying signal in 0..1 at times ``t``: two sines of random period and phase
    (tens of seconds and a few seconds) plus a little sensor noise."""
    slow, fast = rng.uniform(20.0, 120.0), rng.uniform(3.0, 15.0)
    phase = rng.uniform(0.0, 2 * np.pi, size=2)
    signal = (0.5 + 0.3 * np.sin(2 * np.pi * t / slow + phase[0])
              + 0.15 * np.sin(2 * np.pi * t / fast + phase[1])
              + rng.uniform(-0.03, 0.03, size=len(t)))
    return np.clip(signal, 0.0, 1.0)


def _ecu_frames(rng: np.random.Generator, message: EcuMessage,
                seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Ready times and payloads ([n, 8]) of one periodic message over ``seconds``.

    The ECU clock drifts by up to 200 ppm and each frame is queued with up to +-50 us of
    jitter.
    """
    period = message.period_ms * 1e-3 * (1 + rng.uniform(-2e-4, 2e-4))
    offset = rng.uniform(0.0, period)
    count = max(0, math.ceil((seconds - offset) / period))
    ready = offset + period * np.arange(count) + rng.uniform(-50e-6, 50e-6, size=count)
    ready = np.clip(ready, 0.0, None)
    keep = ready < seconds
    ready = ready[keep]
    count = len(ready)
    data = np.zeros((count, 8), dtype=np.uint8)
    wide = np.zeros(count, dtype=np.int64)
    if "L" in message.layout or "H" in message.layout:
        low, high = message.signal_range
        wide = np.rint(low + (high - low) * _smooth_signal(rng, ready)).astype(np.int64)
    step = np.arange(count, dtype=np.int64) + rng.integers(0, 256)
    for index, role in enumerate(message.layout):
        constant = message.constant[index]
        if role == "k":
            column = np.full(count, constant)
        elif role == "c":
            column = step & 0xFF
        elif role == "n":
            column = (constant & 0xF0) | (step & 0x0F)
        elif role == "s":
            deviation = (2 * _smooth_signal(rng, ready) - 1) * _SIGNAL_SPREAD
            column = np.clip(np.rint(constant + deviation), 0, 0xFF)
        elif role == "L":
            column = wide & 0xFF
        elif role == "H":
            column = wide >> 8
        else:  # "x", filled below
            continue
        data[:, index] = column
    for index, role in enumerate(message.layout):
        if role == "x":
            data[:, index] = np.bitwise_xor.reduce(np.delete(data, index, axis=1), axis=1)
    return ready, data


def _attack_frames(rng: np.random.Generator, attack: str, start: float,
                   duration: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ready times, IDs and payloads ([n, 8]) of one intrusion episode."""
    ready = start + INJECTION_PERIOD[attack] * np.arange(
        math.ceil(duration / INJECTION_PERIOD[attack]))
    ready = ready[ready < start + duration]
    count = len(ready)
    if attack == "dos":
        ids = np.full(count, DOS_ID)
        data = np.zeros((count, 8), dtype=np.uint8)
    elif attack == "fuzzy":
        ids = rng.integers(0, 0x800, size=count)
        data = rng.integers(0, 256, size=(count, 8), dtype=np.uint8)
    else:
        ids = np.full(count, GEAR_ID if attack == "gear" else RPM_ID)
        data = np.tile(np.frombuffer(SPOOF_PAYLOAD[attack], dtype=np.uint8), (count, 1))
    return ready, ids, data


def _arbitrate(ready: np.ndarray, can_id: np.ndarray, source: np.ndarray,
               duration: np.ndarray, queueing_source: int) -> tuple[np.ndarray, np.ndarray]:
    """Serialize frames on the bus: whenever the bus is idle, the pending frame with the
    lowest ID (then the earliest ready) is sent.

    Each source has one frame pending at a time. A periodic source's pending frame is
    superseded when its next frame becomes ready; ``queueing_source`` (the attacker) instead
    queues its frames and sends them in order.

    Returns the indices of the frames sent, in bus order, and the times their transmission
    ends.
    """
    order = np.lexsort((can_id, ready))
    ready_list = ready[order].tolist()
    id_list = can_id[order].tolist()
    source_list = source[order].tolist()
    duration_list = duration[order].tolist()
    total = len(ready_list)
    pending: dict[int, int] = {}  # source -> position of its frame in arbitration
    queue: deque[int] = deque()  # the queueing source's frames behind its pending one
    heap: list[tuple[int, int]] = []
    sent: list[int] = []
    ends: list[float] = []
    now = 0.0
    position = 0
    while position < total or heap:
        if not heap and now < ready_list[position]:
            now = ready_list[position]
        while position < total and ready_list[position] <= now:
            origin = source_list[position]
            if origin == queueing_source and origin in pending:
                queue.append(position)
            else:
                pending[origin] = position
                heapq.heappush(heap, (id_list[position], position))
            position += 1
        _, chosen = heapq.heappop(heap)
        origin = source_list[chosen]
        if pending.get(origin) != chosen:
            continue  # superseded
        del pending[origin]
        now += duration_list[chosen]
        sent.append(chosen)
        ends.append(now)
        if origin == queueing_source and queue:
            following = queue.popleft()
            pending[origin] = following
            heapq.heappush(heap, (id_list[following], following))
    return order[np.array(sent, dtype=np.int64)], np.array(ends, dtype=np.float64)


def synthesize(seed: int, seconds: float = 60.0, attacks: Sequence[str] = ATTACKS,
               intrusions_per_attack: int | None = None,
               intrusion_seconds: tuple[float, float] = (3.0, 5.0)) -> CanTrace:
    """Synthetic CAN traffic: ``seconds`` of the periodic messages of :data:`ECU_MESSAGES`
    plus intrusion episodes of each of ``attacks``, serialized by bus arbitration.

    Episodes do not overlap, last a uniform random time in ``intrusion_seconds`` and are placed
    at random in ``0..seconds``. By default each attack gets
    ``max(1, round(0.57 * seconds / (len(attacks) * mean episode length)))`` episodes, so that
    attacks cover about the share of time they cover in HCRL (:data:`HCRL_ATTACK_SHARE`: 300
    intrusions of ~4 s in ~35 minutes), split evenly between the attacks. Injected frames are
    labelled with their attack, all others ``normal``. The trace is a function of the
    arguments only (all randomness comes from ``numpy.random.default_rng(seed)``).

    Raises:
        ParamError: (a ValueError) if ``seed`` is not a non-negative integer, ``seconds`` not
            positive, ``attacks`` not distinct names from :data:`ATTACKS`,
            ``intrusions_per_attack`` not None or a non-negative integer,
            ``intrusion_seconds`` not ``(low, high)`` with ``0 < low <= high``, or the
            episodes may not fit in ``seconds``.
    """
    check_int("seed", seed, 0)
    seconds = _check_positive("seconds", seconds)
    listed = ", ".join(repr(a) for a in ATTACKS)
    if (isinstance(attacks, str) or not isinstance(attacks, Sequence)
            or any(a not in ATTACKS for a in attacks) or len(set(attacks)) != len(attacks)):
        raise ParamError(f"`attacks` must be a sequence of distinct names from {listed}, "
                         f"not {attacks!r}")
    if not (isinstance(intrusion_seconds, tuple) and len(intrusion_seconds) == 2):
        raise ParamError(f"`intrusion_seconds` must be a tuple (low, high) with "
                         f"0 < low <= high, not {intrusion_seconds!r}")
    low = _check_positive("intrusion_seconds[0]", intrusion_seconds[0])
    high = _check_positive("intrusion_seconds[1]", intrusion_seconds[1])
    if low > high:
        raise ParamError(f"`intrusion_seconds` must be a tuple (low, high) with "
                         f"0 < low <= high, not {intrusion_seconds!r}")
    if intrusions_per_attack is None:
        share = HCRL_ATTACK_SHARE * seconds / (len(attacks) * (low + high) / 2) if attacks else 0
        intrusions_per_attack = max(1, round(share)) if attacks else 0
    else:
        check_int("intrusions_per_attack", intrusions_per_attack, 0)
    episodes = intrusions_per_attack * len(attacks)
    if episodes * high > seconds:
        raise ParamError(f"{episodes} intrusion(s) of up to {high:g} s may not fit in "
                         f"`seconds` = {seconds:g}: lower `intrusions_per_attack` or "
                         f"`intrusion_seconds`, or raise `seconds`")

    rng = np.random.default_rng(seed)
    ready_parts, id_parts, dlc_parts, data_parts, label_parts, source_parts = (
        [], [], [], [], [], [])
    for source, message in enumerate(ECU_MESSAGES):
        ready, data = _ecu_frames(rng, message, seconds)
        ready_parts.append(ready)
        id_parts.append(np.full(len(ready), message.can_id))
        dlc_parts.append(np.full(len(ready), message.dlc))
        data_parts.append(data)
        label_parts.append(np.zeros(len(ready), dtype=np.int64))
        source_parts.append(np.full(len(ready), source))

    kinds = rng.permutation(np.repeat(np.array(list(attacks), dtype=object),
                                      intrusions_per_attack))
    durations = rng.uniform(low, high, size=episodes)
    gaps = (seconds - durations.sum()) * rng.dirichlet(np.ones(episodes + 1))
    starts = np.cumsum(gaps[:-1]) + np.concatenate(([0.0], np.cumsum(durations)[:-1]))
    attacker = len(ECU_MESSAGES)
    for kind, start, duration in zip(kinds, starts, durations, strict=True):
        ready, ids, data = _attack_frames(rng, kind, float(start), float(duration))
        ready_parts.append(ready)
        id_parts.append(ids)
        dlc_parts.append(np.full(len(ready), 8))
        data_parts.append(data)
        label_parts.append(np.full(len(ready), CLASSES.index(kind)))
        source_parts.append(np.full(len(ready), attacker))

    ready = np.concatenate(ready_parts)
    can_id = np.concatenate(id_parts).astype(np.int64)
    data = np.concatenate(data_parts)
    dlc = np.concatenate(dlc_parts).astype(np.int64)
    sent, ends = _arbitrate(ready, can_id, np.concatenate(source_parts).astype(np.int64),
                            frame_seconds(dlc), queueing_source=attacker)
    return CanTrace(timestamp=ends, can_id=can_id[sent], dlc=dlc[sent],
                    data=data[sent], label=np.concatenate(label_parts)[sent].astype(np.int64))


# --------------------------------------------------------------------------- features


def encode(trace: CanTrace) -> np.ndarray:
    """Binary features of each frame, uint8 ``[n, 84]`` of 0 / 1.

    ======== ================================ =========================================
    columns  field                            bit order
    ======== ================================ =========================================
    0-10     CAN ID (11 bits)                 bit 10 first
    11-14    DLC (4 bits)                     bit 3 first
    15-78    data bytes 0..7 (64 bits)        byte 0 first, bit 7 of each byte first
    79-83    inter-arrival code (5 bits)      bit 4 first
    ======== ================================ =========================================

    The inter-arrival code is ``min(31, dt_us // 16)`` where ``dt_us`` is the time since the
    previous frame on the bus (any ID) rounded to whole microseconds (the resolution of the
    HCRL logs); the first frame gets 31. Each row depends only on its frame and its
    predecessor's timestamp, as an in-vehicle detector would see them.
    """
    return _features(trace, np.arange(len(trace)))


def _interarrival_codes(timestamp: np.ndarray) -> np.ndarray:
    dt_us = np.rint(np.diff(timestamp) * 1e6).astype(np.int64)
    codes = np.minimum(INTERARRIVAL_MAX_CODE, dt_us // INTERARRIVAL_STEP_US)
    return np.concatenate(([INTERARRIVAL_MAX_CODE], codes))[:len(timestamp)]


def _features(trace: CanTrace, rows: np.ndarray) -> np.ndarray:
    """:func:`encode` of the frames at ``rows`` only (their predecessors are ``rows - 1``)."""
    codes = _interarrival_codes(trace.timestamp)[rows].astype(np.uint16)
    ids = trace.can_id[rows].astype(np.uint16)
    dlcs = trace.dlc[rows].astype(np.uint16)
    return np.concatenate([
        ((ids[:, None] >> np.arange(10, -1, -1, dtype=np.uint16)) & 1).astype(np.uint8),
        ((dlcs[:, None] >> np.arange(3, -1, -1, dtype=np.uint16)) & 1).astype(np.uint8),
        np.unpackbits(trace.data[rows], axis=1),
        ((codes[:, None] >> np.arange(4, -1, -1, dtype=np.uint16)) & 1).astype(np.uint8),
    ], axis=1)


def dataset(seed: int, frames_per_class: int = 4000,
            seconds: float = 120.0) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced, shuffled set of encoded frames from ``synthesize(seed, seconds)``.

    Up to ``frames_per_class`` frames of each class are drawn without replacement (a class with
    fewer frames contributes all of them). Returns ``(x, y)``: uint8 ``[m, 84]`` features
    (:func:`encode`) and int64 labels.

    Raises:
        ParamError: (a ValueError) if ``seed`` is not a non-negative integer,
            ``frames_per_class`` not a positive integer or ``seconds`` not positive.
        ValueError: if a class has no frames in the trace.
    """
    check_int("seed", seed, 0)
    check_int("frames_per_class", frames_per_class, 1)
    trace = synthesize(seed, seconds)
    rng = np.random.default_rng(seed).spawn(1)[0]
    chosen = []
    for label, name in enumerate(CLASSES):
        members = np.flatnonzero(trace.label == label)
        if not len(members):
            raise ValueError(f"class {name!r} has no frames in synthesize({seed}, {seconds:g})")
        chosen.append(rng.choice(members, size=min(frames_per_class, len(members)),
                                 replace=False))
    rows = rng.permutation(np.concatenate(chosen))
    return _features(trace, rows), trace.label[rows]


def split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified, seeded split into ``(x_train, y_train, x_test, y_test)``.

    Each class puts ``round(test_fraction * its count)`` rows into the test set; both sets
    are shuffled.

    Raises:
        ValueError: if ``x`` and ``y`` differ in length or ``y`` is not 1-D.
        ParamError: (a ValueError) if ``test_fraction`` is not in (0, 1) or ``seed`` is not a
            non-negative integer.
    """
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"`x` and `y` must have the same number of rows and `y` must be 1-D, "
                         f"not shapes {x.shape} and {y.shape}")
    if (isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real)
            or not 0 < test_fraction < 1):
        raise ParamError(f"`test_fraction` must be a number in (0, 1), not {test_fraction!r}")
    check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for value in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == value))
        cut = round(test_fraction * len(members))
        test.append(members[:cut])
        train.append(members[cut:])
    train_rows = rng.permutation(np.concatenate(train)) if train else np.zeros(0, np.int64)
    test_rows = rng.permutation(np.concatenate(test)) if test else np.zeros(0, np.int64)
    return x[train_rows], y[train_rows], x[test_rows], y[test_rows]
