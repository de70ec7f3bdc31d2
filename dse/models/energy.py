"""Analytic energy model: activity counts times energy per event from a cited table.

Energy per event comes from an :class:`EnergyTable`: node-labelled data in a TOML file, by
default ``data/energy_45nm_horowitz.toml`` (Horowitz, ISSCC 2014, 45 nm, 0.9 V); a user
passes their own with :func:`load_energy_table`. Sizes between the cited ones follow one
rule (:meth:`ScaledEnergy.at`): linear interpolation in log(size)-log(energy) between the
two nearest cited sizes, and beyond the cited range ``E(s) = E(s0) * (s / s0) ** exponent``
from the nearest cited size ``s0``, with the entry's exponent (1 for adds, 2 for multiplies,
0.5 for SRAM capacity in the default table).

Energy of ``systolic-v1`` (:func:`energy`), from the activity counts of
:func:`dse.models.systolic.activity` or the RTL's counters (:func:`energy_from_counters`).
Only events cost energy (a clock-gated design; no leakage, no clock tree, no idle cycles):

- ``mac``: each PE multiply-accumulate, an ``input_width`` multiply and an ``acc_width`` add.
- ``pe_registers``: per MAC, the PE's pipeline registers written: ``os`` the forwarded
  A and B elements and the accumulator (``2 * input_width + acc_width`` bits), ``ws`` the
  forwarded activation and the partial sum (``input_width + acc_width`` bits).
- ``weight_registers`` (``ws``): shadow writes and swaps, ``input_width`` bits each.
- ``accumulator`` (``ws``): accumulator-memory row reads and writes, ``cols * acc_width``
  bits each, at the 64-bit access energy of an SRAM of ``acc_depth * cols * acc_width`` bits
  scaled by bits / 64.
- ``offchip``: every streamed element from or to DRAM (operands ``input_width`` bits,
  results ``acc_width`` bits), at the 64-bit DRAM access energy scaled by bits / 64; the
  report also gives the total at the table's low and high DRAM bounds.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

#: The table used when none is given (package data of ``dse.models``).
DEFAULT_TABLE = "data/energy_45nm_horowitz.toml"


class EnergyTableError(ValueError):
    """An energy table is malformed; the message names the file and the key."""


@dataclasses.dataclass(frozen=True)
class ScaledEnergy:
    """Energy per event at cited sizes (bits, KiB, ...) and the rule between them."""

    points: tuple[tuple[float, float], ...]  # (size, pJ), sizes ascending
    exponent: float
    node: str
    source: str

    def at(self, size: float) -> float:
        """Energy (pJ) at ``size``: log-log interpolation between cited sizes, the power
        law ``exponent`` beyond them.

        Raises:
            ValueError: if ``size`` is not positive.
        """
        if size <= 0:
            raise ValueError(f"size must be positive, not {size}")
        sizes = [s for s, _ in self.points]
        if size <= sizes[0] or size >= sizes[-1]:
            s0, e0 = self.points[0] if size <= sizes[0] else self.points[-1]
            return e0 * (size / s0) ** self.exponent
        for (s0, e0), (s1, e1) in zip(self.points, self.points[1:], strict=False):
            if s0 <= size <= s1:
                slope = math.log(e1 / e0) / math.log(s1 / s0)
                return e0 * (size / s0) ** slope
        raise AssertionError("unreachable: size inside the cited range")


@dataclasses.dataclass(frozen=True)
class FixedEnergy:
    """Energy per event (pJ), with the cited bounds when the source gives a range."""

    energy_pj: float
    low_pj: float
    high_pj: float
    node: str
    source: str


@dataclasses.dataclass(frozen=True)
class EnergyTable:
    """Energies per event of one technology (see the default file for the units)."""

    name: str
    node: str
    voltage: str
    source: str
    int_add: ScaledEnergy            # by operand width, bits
    int_multiply: ScaledEnergy       # by operand width, bits
    sram_access_64b: ScaledEnergy    # by capacity, KiB
    dram_access_64b: FixedEnergy
    register_write_bit: FixedEnergy
    float_add: ScaledEnergy | None = None
    float_multiply: ScaledEnergy | None = None


_SCALED_KEYS = {"points": True, "exponent": True, "node": False, "source": False}
_FIXED_KEYS = {"energy_pj": True, "low_pj": False, "high_pj": False, "node": False,
               "source": False}
_HEADER_KEYS = {"name": True, "node": True, "voltage": False, "source": True}
# entry -> (its keys: required?, whether the entry is required)
_ENTRIES: dict[str, tuple[dict[str, bool], bool]] = {
    "table": (_HEADER_KEYS, True),
    "int_add": (_SCALED_KEYS, True),
    "int_multiply": (_SCALED_KEYS, True),
    "float_add": (_SCALED_KEYS, False),
    "float_multiply": (_SCALED_KEYS, False),
    "sram_access_64b": (_SCALED_KEYS, True),
    "dram_access_64b": (_FIXED_KEYS, True),
    "register_write_bit": (_FIXED_KEYS, True),
}


def parse_energy_table(data: Mapping[str, Any], origin: str = "<data>") -> EnergyTable:
    """An :class:`EnergyTable` from parsed TOML ``data`` (``origin`` names it in errors).

    Raises:
        EnergyTableError: for an unknown or missing entry or key, or a bad value, naming it.
    """
    def fail(message: str) -> EnergyTableError:
        return EnergyTableError(f"energy table {origin}: {message}")

    for entry in data:
        if entry not in _ENTRIES:
            raise fail(f"unknown entry `{entry}`; known: {', '.join(_ENTRIES)}")
    for entry, (keys, required) in _ENTRIES.items():
        if entry not in data:
            if required:
                raise fail(f"missing entry `{entry}`")
            continue
        section = data[entry]
        if not isinstance(section, Mapping):
            raise fail(f"`{entry}` must be a table of keys, not {section!r}")
        for key in section:
            if key not in keys:
                raise fail(f"unknown key `{entry}.{key}`; known: {', '.join(keys)}")
        for key, needed in keys.items():
            if needed and key not in section:
                raise fail(f"missing key `{entry}.{key}`")

    def text(entry: str, key: str, default: str = "") -> str:
        value = data[entry].get(key, default)
        if not isinstance(value, str):
            raise fail(f"`{entry}.{key}` must be a string, not {value!r}")
        return value

    def number(entry: str, key: str, value: object, positive: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and (value > 0 or not positive and value >= 0)):
            kind = "a positive number" if positive else "a non-negative number"
            raise fail(f"`{entry}.{key}` must be {kind}, not {value!r}")
        return float(value)

    node, source = text("table", "node"), text("table", "source")

    def scaled(entry: str) -> ScaledEnergy | None:
        if entry not in data:
            return None
        section = data[entry]
        raw = section["points"]
        if not isinstance(raw, Mapping) or not raw:
            raise fail(f"`{entry}.points` must map sizes to energies in pJ, not {raw!r}")
        points = []
        for size_text, value in raw.items():
            try:
                size = float(size_text)
            except ValueError:
                size = -1.0
            if not (math.isfinite(size) and size > 0):
                raise fail(f"`{entry}.points` sizes must be positive numbers, not {size_text!r}")
            points.append((size, number(entry, f"points.{size_text}", value)))
        return ScaledEnergy(
            points=tuple(sorted(points)),
            exponent=number(entry, "exponent", section["exponent"], positive=False),
            node=text(entry, "node", node), source=text(entry, "source", source))

    def fixed(entry: str) -> FixedEnergy:
        section = data[entry]
        energy_pj = number(entry, "energy_pj", section["energy_pj"])
        low = number(entry, "low_pj", section.get("low_pj", energy_pj))
        high = number(entry, "high_pj", section.get("high_pj", energy_pj))
        if not low <= energy_pj <= high:
            raise fail(f"`{entry}` must have low_pj <= energy_pj <= high_pj, "
                       f"not {low} / {energy_pj} / {high}")
        return FixedEnergy(energy_pj, low, high, node=text(entry, "node", node),
                           source=text(entry, "source", source))

    int_add, int_multiply = scaled("int_add"), scaled("int_multiply")
    sram = scaled("sram_access_64b")
    assert int_add is not None and int_multiply is not None and sram is not None
    return EnergyTable(
        name=text("table", "name"), node=node, voltage=text("table", "voltage"),
        source=source, int_add=int_add, int_multiply=int_multiply, sram_access_64b=sram,
        dram_access_64b=fixed("dram_access_64b"),
        register_write_bit=fixed("register_write_bit"),
        float_add=scaled("float_add"), float_multiply=scaled("float_multiply"))


def load_energy_table(path: str | Path) -> EnergyTable:
    """Read a complete energy table from a TOML file (the default file shows the format).

    Raises:
        EnergyTableError: if the file is not TOML or the table is malformed, naming the key.
        OSError: if the file cannot be read.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise EnergyTableError(f"energy table {path}: not valid TOML: {error}") from None
    return parse_energy_table(data, str(path))


@functools.cache
def default_energy_table() -> EnergyTable:
    """The table shipped with the package (Horowitz, ISSCC 2014, 45 nm)."""
    text = resources.files("dse.models").joinpath(DEFAULT_TABLE).read_text()
    return parse_energy_table(tomllib.loads(text), f"dse.models/{DEFAULT_TABLE}")


@dataclasses.dataclass(frozen=True)
class EnergyReport:
    """Energy (pJ) of one workload by component (each family's model documents its
    components), with the activity counts it was computed from."""

    table: str
    node: str
    activity: Any             # the family's activity counts (a dataclass with to_dict())
    useful_macs: int
    on_chip: Mapping[str, float]   # component -> pJ, in a fixed order
    offchip_pj: float
    offchip_low_pj: float   # offchip at the table's lowest DRAM energy
    offchip_high_pj: float  # ... and at its highest

    def components(self) -> dict[str, float]:
        """pJ per component, on-chip ones first, then ``offchip``."""
        return {**self.on_chip, "offchip": self.offchip_pj}

    @property
    def on_chip_pj(self) -> float:
        return float(sum(self.on_chip.values()))

    @property
    def total_pj(self) -> float:
        return self.on_chip_pj + self.offchip_pj

    @property
    def total_range_pj(self) -> tuple[float, float]:
        """Total at the low and high DRAM bounds."""
        return (self.on_chip_pj + self.offchip_low_pj, self.on_chip_pj + self.offchip_high_pj)

    @property
    def pj_per_mac(self) -> float:
        """Total energy per useful MAC (the workload's M * K * N)."""
        return self.total_pj / self.useful_macs

    def to_json(self) -> dict[str, Any]:
        low, high = self.total_range_pj
        return {"table": self.table, "node": self.node, "components_pj": self.components(),
                "total_pj": self.total_pj, "total_range_pj": [low, high],
                "on_chip_pj": self.on_chip_pj, "pj_per_mac": self.pj_per_mac,
                "activity": self.activity.to_dict(), "useful_macs": self.useful_macs}


def make_report(table: EnergyTable, counts: Any, useful_macs: int,
                on_chip: Mapping[str, float], offchip_bits: float) -> EnergyReport:
    """An :class:`EnergyReport` of ``on_chip`` components and ``offchip_bits`` moved to or
    from DRAM (at the 64-bit access energy scaled by bits / 64, and at its bounds).

    Raises:
        ValueError: if ``useful_macs`` is not positive.
    """
    if useful_macs < 1:
        raise ValueError(f"`useful_macs` must be a positive integer, not {useful_macs}")
    accesses = offchip_bits / 64
    dram = table.dram_access_64b
    return EnergyReport(
        table=table.name, node=table.node, activity=counts, useful_macs=useful_macs,
        on_chip=dict(on_chip), offchip_pj=accesses * dram.energy_pj,
        offchip_low_pj=accesses * dram.low_pj, offchip_high_pj=accesses * dram.high_pj)
