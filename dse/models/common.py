"""What the array families' models share: the cycle report, and activity counts built
from an instrumented simulation's counters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Self


@dataclasses.dataclass(frozen=True)
class ActivityCounts:
    """Base of a family's frozen dataclass of event counts (one int field per RTL tap)."""

    @classmethod
    def events(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_counters(cls, counters: Mapping[str, int]) -> Self:
        """The activity an instrumented simulation measured (``SimResult.counters``).

        Raises:
            KeyError: naming the first missing count.
        """
        events = cls.events()
        missing = [name for name in events if name not in counters]
        if missing:
            raise KeyError(f"counters lack activity count {missing[0]!r} (an instrumented "
                           f"simulation reports {', '.join(events)})")
        return cls(**{name: int(counters[name]) for name in events})

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class ArrayCycleReport:
    """Predicted cycles of one GEMM on an array and what follows from them."""

    cycles: int
    compute_bound: int  # cycles with no stall of any kind (each family says how it counts)
    tiles: int
    operand_beats: int
    result_beats: int
    macs: int
    pes: int

    @property
    def utilization(self) -> float:
        """Useful MACs per PE-cycle (above 1 for a bit-serial PE of several lanes at low
        precision)."""
        return self.macs / (self.cycles * self.pes)
