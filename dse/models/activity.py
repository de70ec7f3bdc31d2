"""What every family's activity counts share: built from an instrumented simulation's
counters, and a plain dict for JSON."""

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
