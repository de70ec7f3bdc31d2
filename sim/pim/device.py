"""Behavioural model of a DRAM channel with a MAC unit beside each bank, for the PIM
controller's testbench. Plain Python (no cocotb, no numpy), one call per cycle.

The device executes the commands of ``hw.pim.controller`` and raises
:class:`TimingViolation` on any command issued too early for its bank or channel, on a
command to a bank in the wrong state, or on a refresh interval over ``9 x tREFI`` (JEDEC
allows eight postponed refreshes). Rules, with ``T`` the cycle of the command:

- ACT: bank closed; ``T - PRE >= tRP``; ``T - REF >= tRFC``; ``T - ACT(any bank) >= tRRD``;
  at most four ACTs in any ``tFAW`` window. An all-bank ACT counts as one ACT.
- MAC / RD: bank open; ``T - ACT >= tRCD``; ``T - column command(any bank) >= tCCD``.
- RDRES: ``T - column command >= tCCD``; the bank holds a latched sum not yet read.
- PRE: bank open; ``T - ACT >= tRAS``; ``T - MAC/RD to the bank >= tRTP``.
- REF: every bank closed with ``T - PRE >= tRP``; ``T - REF >= tRFC``.

A MAC multiplies the ``lanes`` stored elements of (row, col) with chunk
``(row * columns + col) mod chunks`` of x and adds to the bank's sum; with ``last`` the sum
is latched for RDRES and cleared (a latched sum overwritten before it was read is an
error). RD and RDRES return their data ``CL`` cycles later.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping, Sequence

KINDS = {0: "NOP", 1: "ACT", 2: "PRE", 3: "MAC", 4: "RD", 5: "RDRES", 6: "REF"}
MAX_REFRESH_GAP = 9  # x tREFI
NEVER = -(10 ** 9)


class TimingViolation(AssertionError):
    """A command broke a DRAM timing or state rule; the message names both."""


@dataclasses.dataclass
class Bank:
    open_row: int | None = None
    act: int = NEVER
    pre: int = NEVER
    col: int = NEVER
    acc: int = 0
    latched: int | None = None


@dataclasses.dataclass(frozen=True)
class Command:
    kind: str
    all: bool
    bank: int
    row: int
    col: int
    last: bool


class Channel:
    """One channel: ``banks`` banks, their memory, timing state and command counts."""

    def __init__(self, index: int, banks: int, timing: Mapping[str, int], geometry:
                 Mapping[str, int], memory: Mapping[tuple[int, int, int], Sequence[int]],
                 x: Sequence[int], element_width: int, acc_width: int) -> None:
        self.index = index
        self.t = dict(timing)
        self.rows, self.columns = geometry["rows"], geometry["columns"]
        self.lanes, self.chunks = geometry["lanes"], geometry["chunks"]
        self.banks = [Bank() for _ in range(banks)]
        self.memory = memory  # (bank, row, col) -> lane values
        self.x = list(x)
        self.width, self.acc_width = element_width, acc_width
        self.last_act = NEVER
        self.acts: collections.deque[int] = collections.deque(maxlen=4)
        self.last_col = NEVER
        self.last_ref = NEVER
        self.refreshed = 0  # the refresh interval is counted from reset
        self.returns: dict[int, int] = {}  # cycle -> data
        self.counts: collections.Counter[str] = collections.Counter()
        self.bank_ops: collections.Counter[str] = collections.Counter()

    def _fail(self, now: int, command: Command, rule: str) -> TimingViolation:
        where = "all banks" if command.all else f"bank {command.bank}"
        return TimingViolation(f"cycle {now}, channel {self.index}, {command.kind} to {where}: "
                               f"{rule}")

    def _targets(self, command: Command) -> list[int]:
        if command.all:
            return list(range(len(self.banks)))
        if not 0 <= command.bank < len(self.banks):
            raise TimingViolation(f"channel {self.index}: bank {command.bank} does not exist")
        return [command.bank]

    def _need(self, ok: bool, now: int, command: Command, rule: str) -> None:
        if not ok:
            raise self._fail(now, command, rule)

    def data_due(self, now: int) -> int | None:
        """The word the channel drives on its data bus at cycle ``now``, if any."""
        return self.returns.pop(now, None)

    def step(self, now: int, command: Command) -> None:
        """Execute ``command`` (NOP included) at cycle ``now``.

        Raises:
            TimingViolation: naming the rule, the cycle, the channel and the bank.
        """
        self._need(now - self.refreshed <= MAX_REFRESH_GAP * self.t["refi"], now, command,
                   f"no REF for {now - self.refreshed} cycles (over {MAX_REFRESH_GAP} x "
                   f"tREFI = {MAX_REFRESH_GAP * self.t['refi']})")
        if command.kind != "NOP":
            self._execute(now, command)

    def _execute(self, now: int, c: Command) -> None:  # noqa: C901 - one rule per kind
        t = self.t
        self.counts[c.kind] += 1
        targets = self._targets(c) if c.kind != "REF" else list(range(len(self.banks)))
        self.bank_ops[c.kind] += len(targets)
        if c.kind == "ACT":
            self._need(0 <= c.row < self.rows, now, c, f"row {c.row} out of range")
            self._need(now - self.last_act >= t["rrd"], now, c,
                       f"tRRD: {now - self.last_act} < {t['rrd']} cycles since the last ACT")
            window = [a for a in self.acts if now - a < t["faw"]]
            self._need(len(window) < 4, now, c, f"tFAW: a fifth ACT within {t['faw']} cycles")
            for b in targets:
                bank = self.banks[b]
                self._need(bank.open_row is None, now, c, f"bank {b} is open")
                self._need(now - bank.pre >= t["rp"], now, c,
                           f"tRP: {now - bank.pre} < {t['rp']} cycles since PRE of bank {b}")
                self._need(now - self.last_ref >= t["rfc"], now, c,
                           f"tRFC: {now - self.last_ref} < {t['rfc']} cycles since REF")
                bank.open_row, bank.act = c.row, now
            self.last_act = now
            self.acts.append(now)
        elif c.kind in ("MAC", "RD"):
            self._need(now - self.last_col >= t["ccd"], now, c,
                       f"tCCD: {now - self.last_col} < {t['ccd']} cycles since the last "
                       "column command")
            self._need(0 <= c.col < self.columns, now, c, f"column {c.col} out of range")
            for b in targets:
                bank = self.banks[b]
                self._need(bank.open_row is not None, now, c, f"bank {b} is closed")
                self._need(now - bank.act >= t["rcd"], now, c,
                           f"tRCD: {now - bank.act} < {t['rcd']} cycles since ACT of bank {b}")
                assert bank.open_row is not None
                words = self.memory.get((b, bank.open_row, c.col), [0] * self.lanes)
                bank.col = now
                if c.kind == "RD":
                    self.returns[now + t["cl"]] = self._pack(words, self.width)
                    continue
                chunk = (bank.open_row * self.columns + c.col) % self.chunks
                vector = self.x[chunk * self.lanes:(chunk + 1) * self.lanes]
                bank.acc += sum(w * v for w, v in zip(words, vector, strict=False))
                if c.last:
                    self._need(bank.latched is None, now, c,
                               f"bank {b}'s previous sum was never read (RDRES)")
                    bank.latched, bank.acc = bank.acc, 0
            self.last_col = now
        elif c.kind == "RDRES":
            self._need(now - self.last_col >= t["ccd"], now, c,
                       f"tCCD: {now - self.last_col} < {t['ccd']} cycles since the last "
                       "column command")
            (b,) = targets
            bank = self.banks[b]
            self._need(bank.latched is not None, now, c, f"bank {b} holds no sum to read")
            assert bank.latched is not None
            self.returns[now + t["cl"]] = bank.latched & ((1 << self.acc_width) - 1)
            bank.latched = None
            self.last_col = now
        elif c.kind == "PRE":
            for b in targets:
                bank = self.banks[b]
                self._need(bank.open_row is not None, now, c, f"bank {b} is already closed")
                self._need(now - bank.act >= t["ras"], now, c,
                           f"tRAS: {now - bank.act} < {t['ras']} cycles since ACT of bank {b}")
                self._need(now - bank.col >= t["rtp"], now, c,
                           f"tRTP: {now - bank.col} < {t['rtp']} cycles since the last read "
                           f"of bank {b}")
                bank.open_row, bank.pre = None, now
        elif c.kind == "REF":
            self._need(now - self.last_ref >= t["rfc"], now, c,
                       f"tRFC: {now - self.last_ref} < {t['rfc']} cycles since REF")
            for b, bank in enumerate(self.banks):
                self._need(bank.open_row is None, now, c, f"bank {b} is open")
                self._need(now - bank.pre >= t["rp"], now, c,
                           f"tRP: {now - bank.pre} < {t['rp']} cycles since PRE of bank {b}")
            self.last_ref = self.refreshed = now
        else:
            raise TimingViolation(f"cycle {now}, channel {self.index}: unknown command "
                                  f"{c.kind!r}")

    @staticmethod
    def _pack(values: Sequence[int], width: int) -> int:
        word = 0
        for index, value in enumerate(values):
            word |= (int(value) & ((1 << width) - 1)) << (index * width)
        return word
