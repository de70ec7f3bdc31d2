"""Hardware exploration specs (``kind = "hardware"``, the default): a TOML file names the
generator, the space, the workload, the objectives and the constraints. Validation names
the offending key; unknown keys are rejected.

Example (``examples/systolic_dnn.toml``)::

    name = "systolic-dnn"
    generator = "systolic"
    target = "ecp5-85k"        # FPGA target of the area model and of synthesis
    clock_mhz = 100            # clock for latency in seconds at the analytic fidelity

    [space]
    rows = [2, 4, 8, 16]
    dataflow = ["os", "ws"]
    input_width = 8

    [[workload]]
    name = "fc1"
    gemm = "64x256x128"

    [[workload]]
    name = "conv2"
    conv2d = { in_channels = 16, out_channels = 32, height = 16, width = 16, padding = 1 }
    repeat = 2

    [objectives]
    latency_cycles = "minimize"
    lut = "minimize"

    [constraints]
    lut = { max = 5000 }

A family whose jobs take a run-time mapping (``accel-v1``: tile sizes and loop order, see
:mod:`dse.mapping`) runs against a DRAM the spec fixes, top level: ``bandwidth`` (bytes per
cycle) and ``latency`` (cycles), defaults those of the family; ``map_objective`` (cycles,
dram, energy or edp; default cycles) is what the mapper minimizes for each layer of each
design. Every trial maps every layer (repeated shapes once) and sums them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dse.metrics import METRICS, unavailable_metrics
from dse.records import DEFAULT_CHECK, CheckOptions, DesignCheck
from dse.space import Space, parse_space
from dse.spec.common import (
    Constraint,
    ObjectivesMixin,
    SpecError,
    constraints_of,
    file_in_folder,
    objectives_of,
    string_value,
    target_and_clock,
)
from dse.workload import Conv2d, Gemm, Layer
from hw.params import ParamError
from hw.registry import UnknownGeneratorError, get

_TOP_KEYS = {"name", "generator", "target", "clock_mhz", "space", "workload", "objectives",
             "constraints", "energy_table", "bandwidth", "latency", "map_objective"}
#: Keys of the DRAM a mapped family runs against (see the module docstring).
_DRAM_KEYS = ("bandwidth", "latency", "map_objective")


@dataclasses.dataclass(frozen=True)
class Dram:
    """The DRAM of a spec whose family maps each layer at run time (None: the family's
    default), and the metric its mapper minimizes."""

    bandwidth: int | None = None
    latency: int | None = None
    map_objective: str = "cycles"
#: Keys of a ``[[workload]]`` entry; ``bits`` (an int or one per group) and ``group_size``
#: set the serial precision of families with run-time precision (``dse.workload.Gemm``).
#: ``model`` (``hf:NAME`` or ``module.path:factory``, with ``input_shape``), ``onnx`` (a file
#: inside the spec's folder) and ``transformer`` (with ``phase`` and ``tokens``) import a
#: network (``dse.workload.sources``); ``layers`` (a name regex) and ``max_layers`` select
#: part of it.
_LAYER_KEYS = ("name", "gemm", "conv2d", "repeat", "bits", "group_size", "model", "onnx",
               "transformer", "input_shape", "phase", "tokens", "layers", "max_layers")


@dataclasses.dataclass(frozen=True)
class Spec(ObjectivesMixin):
    """A validated exploration spec."""

    name: str
    generator: str
    target: str
    clock_mhz: float
    space: Space
    workload: tuple[Layer, ...]
    objectives: tuple[tuple[str, str], ...]  # (metric, "minimize" | "maximize")
    constraints: tuple[Constraint, ...]
    energy_table: Path | None = None
    source: str = ""  # the TOML text, stored with the study
    dram: Dram | None = None  # for a family with run-time mappings (dse.mapping)

    def evaluate(self, params: Any) -> dict[str, float]:
        """The model-fidelity metrics of ``params`` on the workload (each layer with its
        mapping, for a family with run-time mappings)."""
        from dse.metrics import model_metrics

        return model_metrics(params, self.workload, target=self.target,
                             clock_mhz=self.clock_mhz, energy_table=self.energy_table,
                             layer_options=self.layer_options(params))

    def mapped(self, params: Any) -> Any:
        """Every layer's mapping on ``params`` (:class:`dse.mapping.NetworkMapping`: the
        mapper's choice against the spec's DRAM), or None for a family without run-time
        mappings.

        Raises:
            ParamError: for a DRAM the design cannot run against.
        """
        if self.dram is None:
            return None
        from dse.mapping import map_layers
        from dse.metrics import read_energy_table

        return map_layers(params, self.workload, self.dram.bandwidth, self.dram.latency,
                          self.dram.map_objective, read_energy_table(self.energy_table))

    def layer_options(self, params: Any) -> tuple[dict[str, Any], ...]:
        """Each layer's job options: the mapping :meth:`mapped` chooses and the spec's
        DRAM, or none (a family without run-time mappings)."""
        mapped = self.mapped(params)
        if mapped is None:
            return tuple({} for _ in self.workload)
        return tuple({"mapping": m.tiles, "order": m.order, "bandwidth": mapped.bandwidth,
                      "latency": mapped.latency} for _, m in mapped.layers)

    def check_design(self, trial: Any, options: CheckOptions = DEFAULT_CHECK) -> DesignCheck:
        """RTL simulation (and synthesis) of ``trial``'s design
        (:func:`dse.check.check_design`)."""
        from dse.check import check_design

        return check_design(self, trial, options)

    def designs(self, params: Any) -> dict[str, Any]:
        """The RTL designs of a point, by name ('' for the one design)."""
        return {"": params}

    def describe(self) -> str:
        return (f"Generator `{self.generator}`, target `{self.target}`, "
                f"{len(self.workload)} workload layers")


def _energy_table(value: Any, base: Path) -> Path | None:
    """The spec's ``energy_table``: a TOML file inside the spec's folder (or below it),
    named relative to that folder. A spec is stored with its study and read by every
    worker, so it may not reach files elsewhere on the machine.

    Raises:
        SpecError: for a path that is absolute, leaves the spec's folder, does not exist,
            is not a file, or holds no valid energy table.
    """
    if value is None:
        return None
    from dse.models.energy import EnergyTableError, load_energy_table

    path = file_in_folder("energy_table", value, base)
    try:
        load_energy_table(path)
    except EnergyTableError as error:
        raise SpecError(f"`energy_table`: {error}") from None
    except OSError as error:
        raise SpecError(f"`energy_table` {value!r}: {error.strerror}") from None
    return path


def _workload(entries: Any, base: Path = Path(".")) -> tuple[Layer, ...]:
    if not isinstance(entries, list) or not entries:
        raise SpecError("`workload` must be a non-empty array of tables ([[workload]])")
    layers = []
    for index, entry in enumerate(entries):
        where = f"workload[{index}]"
        if not isinstance(entry, dict):
            raise SpecError(f"`{where}` must be a table")
        unknown = sorted(set(entry) - set(_LAYER_KEYS))
        if unknown:
            raise SpecError(f"unknown key `{where}.{unknown[0]}`; allowed: "
                            f"{', '.join(_LAYER_KEYS)}")
        kinds = [k for k in ("gemm", "conv2d", "model", "onnx", "transformer") if k in entry]
        if len(kinds) != 1:
            raise SpecError(f"`{where}` needs exactly one of `gemm`, `conv2d`, `model`, "
                            "`onnx` or `transformer`")
        repeat = entry.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
            raise SpecError(f"`{where}.repeat` must be a positive integer, not {repeat!r}")
        if kinds[0] not in ("gemm", "conv2d"):
            from dse.workload.sources import spec_layers

            try:
                layers.extend(spec_layers(entry, base))
            except (ParamError, TypeError) as error:
                raise SpecError(f"`{where}`: {error}") from None
            continue
        extra = sorted(set(entry) & {"input_shape", "phase", "tokens", "layers", "max_layers"})
        if extra:
            raise SpecError(f"`{where}.{extra[0]}` is for `model`, `onnx` or `transformer` "
                            "entries")
        try:
            if kinds[0] == "gemm":
                if not isinstance(entry["gemm"], str):
                    raise SpecError(f"`{where}.gemm` must be a string MxKxN")
                gemm = Gemm.parse(entry["gemm"])
            else:
                conv = entry["conv2d"]
                if not isinstance(conv, dict):
                    raise SpecError(f"`{where}.conv2d` must be a table")
                allowed = {f.name for f in dataclasses.fields(Conv2d)}
                bad = sorted(set(conv) - allowed)
                if bad:
                    raise SpecError(f"unknown key `{where}.conv2d.{bad[0]}`; allowed: "
                                    f"{', '.join(sorted(allowed))}")
                gemm = Conv2d(**conv).gemm()
            bits = entry.get("bits")
            if isinstance(bits, list):
                bits = tuple(bits)
            gemm = dataclasses.replace(gemm, bits=bits, group_size=entry.get("group_size"))
        except SpecError:
            raise
        except (ParamError, TypeError) as error:
            raise SpecError(f"`{where}`: {error}") from None
        layers.append(Layer(str(entry.get("name", f"layer{index}")), gemm, repeat))
    return tuple(layers)


def _objectives(table: Any) -> tuple[tuple[str, str], ...]:
    return objectives_of(table, list(METRICS))


def _constraints(table: Any) -> tuple[Constraint, ...]:
    return constraints_of(table, list(METRICS))


def parse_hardware(data: Mapping[str, Any], text: str, base: Path) -> Spec:
    """A hardware spec from its parsed TOML ``data`` (``text`` is stored with the study;
    files are named relative to ``base``).

    Raises:
        SpecError: naming the key that is wrong.
    """
    unknown = sorted(set(data) - _TOP_KEYS - {"kind"})
    if unknown:
        raise SpecError(f"unknown key `{unknown[0]}` in spec; allowed: "
                        f"{', '.join(sorted(_TOP_KEYS))}")
    for key in ("generator", "space", "workload", "objectives"):
        if key not in data:
            raise SpecError(f"spec needs `{key}`")
    try:
        generator = get(string_value(data, "generator")).name
    except UnknownGeneratorError as error:
        raise SpecError(f"`generator`: {error}") from None
    target, clock = target_and_clock(data)
    if not isinstance(data["space"], dict):
        raise SpecError("`space` must be a table")
    try:
        space = parse_space(generator, data["space"])
        space.check_values()
    except ParamError as error:
        raise SpecError(str(error)) from None
    objectives = _objectives(data["objectives"])
    constraints = _constraints(data.get("constraints", {}))
    missing = unavailable_metrics(generator, target)
    for key, metric in ([("objectives", m) for m, _ in objectives]
                        + [("constraints", c.metric) for c in constraints]):
        if metric in missing:
            raise SpecError(f"`{key}.{metric}` cannot be computed: {missing[metric]}")
    energy_table = _energy_table(data.get("energy_table"), base)
    dram = _dram(generator, data)
    return Spec(
        name=string_value(data, "name") if "name" in data else generator,
        generator=generator, target=target, clock_mhz=float(clock), space=space,
        workload=_workload(data["workload"], base), objectives=objectives,
        constraints=constraints,
        energy_table=energy_table, source=text, dram=dram)


def _dram(generator: str, data: Mapping[str, Any]) -> Dram | None:
    """The spec's DRAM for a family with run-time mappings (None for the others, which
    refuse the keys).

    Raises:
        SpecError: naming the key.
    """
    from dse.mapping import OBJECTIVES, mapper

    given = [key for key in _DRAM_KEYS if key in data]
    try:
        mapper(generator)
    except UnknownGeneratorError as error:
        if given:
            raise SpecError(f"`{given[0]}` is for families with run-time mappings: "
                            f"{error}") from None
        return None
    values: dict[str, Any] = {}
    for key in ("bandwidth", "latency"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"`{key}` must be a positive integer "
                                f"({'bytes per cycle' if key == 'bandwidth' else 'cycles'}), "
                                f"not {value!r}")
            values[key] = value
    if "map_objective" in data:
        objective = data["map_objective"]
        if objective not in OBJECTIVES:
            raise SpecError(f"`map_objective` must be one of {', '.join(OBJECTIVES)}, "
                            f"not {objective!r}")
        values["map_objective"] = objective
    return Dram(**values)
