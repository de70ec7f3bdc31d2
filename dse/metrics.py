"""The metrics a search can optimize or constrain, computed from the analytic models at the
``model`` fidelity (pure functions of params and workload).

- ``latency_cycles``: cycles of the whole workload (each layer's exact model, times its
  ``repeat``; layers run one after the other);
- ``latency_s``: ``latency_cycles`` at the spec's ``clock_mhz`` (the clock a user fixes);
- ``fmax_mhz``: the Fmax the clock model (:mod:`dse.models.clock`, fitted to nextpnr) gives
  the design on the spec's ``target``; ``latency_s_at_fmax``: ``latency_cycles`` at that
  Fmax;
- ``energy_pj``: the energy model over the workload (per-event energies of the spec's
  ``energy_table`` or the default table);
- ``lut``, ``ff``, ``dsp``, ``bram``: the fitted area model for the spec's ``target``;
- ``pes``, ``utilization`` (the family's: useful MACs per PE-cycle for arrays, column-bus
  occupancy for ``pim``), ``macs_per_cycle``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dse.workload import Layer
from hw.params import Params

#: Metric name -> unit.
METRICS: dict[str, str] = {
    "latency_cycles": "cycles", "latency_s": "s", "energy_pj": "pJ",
    "lut": "LUTs", "ff": "FFs", "dsp": "DSPs", "bram": "BRAMs",
    "fmax_mhz": "MHz", "latency_s_at_fmax": "s",
    "pes": "PEs", "utilization": "MACs per PE-cycle", "macs_per_cycle": "MACs/cycle",
}


_CYCLE_METRICS = ("latency_cycles", "latency_s", "pes", "utilization", "macs_per_cycle")
_AREA_METRICS = ("lut", "ff", "dsp", "bram")
_CLOCK_METRICS = ("fmax_mhz", "latency_s_at_fmax")


def unavailable_metrics(generator: str, target: str) -> dict[str, str]:
    """Metrics that cannot be computed for ``generator`` on ``target``, with the reason."""
    from dse.models.area import AreaModelError
    from dse.models.clock import find_clock_model
    from dse.models.registry import area_model, family_models, names

    missing: dict[str, str] = {}
    if find_clock_model(generator, target) is None:
        missing.update(dict.fromkeys(
            _CLOCK_METRICS, f"no clock model for {generator} on {target} (fit one with "
                            "bench/clock_model.py)"))
    if generator not in names():
        missing.update(dict.fromkeys((*_CYCLE_METRICS, "energy_pj"),
                                     f"no analytic models for {generator}"))
    try:
        area_model(generator, target)
    except AreaModelError:
        exact = (_exact_resource_names(family_models(generator), target)
                 if generator in names() else set())
        missing.update(dict.fromkeys(
            (m for m in _AREA_METRICS if m not in exact),
            f"no area model for {generator} on {target} (fit one with "
            "bench/area_<family>.py)"))
    return missing


def _exact_resource_names(models: Any, target: str) -> set[str]:
    """The area metrics a family knows exactly on ``target`` without a fit (its
    ``exact_resources``, asked of its default design)."""
    from dse.models.area import AreaModelError
    from hw.registry import get

    if models.exact_resources is None:
        return set()
    try:
        return set(models.exact_resources(get(models.generator).params_class(), target))
    except AreaModelError:  # e.g. a target without memory primitives listed
        return set()


@functools.cache
def read_energy_table(path: Path | None) -> object:
    """The energy table in ``path`` (None: the default), read once per process."""
    from dse.models.energy import load_energy_table

    return None if path is None else load_energy_table(path)


def model_metrics(params: Params, workload: Sequence[Layer], *, target: str,
                  clock_mhz: float, energy_table: Path | None = None,
                  layer_options: Sequence[Mapping[str, Any]] | None = None
                  ) -> dict[str, float]:
    """Every metric of ``params`` on ``workload`` from the analytic models; ``layer_options``
    (one per layer) are the family's job options of each layer (e.g. the mapping and DRAM
    of ``accel-v1``), given to its cycle and energy models.

    Raises:
        UnknownGeneratorError: if the generator lacks a model.
        AreaModelError, EnergyTableError: for missing model data or a bad table.
    """
    from dse.models.area import AreaModelError
    from dse.models.clock import find_clock_model
    from dse.models.registry import area, family_models

    models = family_models(params.generator)
    cycles_of, predict_energy = models.cycles, models.energy
    table = read_energy_table(energy_table)
    cycles = 0
    energy = 0.0
    macs = 0
    pes = 0
    busy = 0.0  # utilization x cycles, summed
    options = layer_options if layer_options is not None else [{}] * len(workload)
    for layer, job in zip(workload, options, strict=True):
        report = cycles_of(params, layer.gemm, **job)
        cycles += layer.repeat * report.cycles
        energy += layer.repeat * predict_energy(params, layer.gemm, table, **job).total_pj
        macs += layer.macs
        pes = report.pes
        busy += layer.repeat * report.utilization * report.cycles
    try:
        resources = area(params, target).resources()
    except AreaModelError:  # the spec check refuses area metrics without a model
        resources = dict.fromkeys(_AREA_METRICS, float("nan"))
    if models.exact_resources is not None:  # what is known exactly replaces any fit
        try:
            resources.update(models.exact_resources(params, target))
        except AreaModelError:  # none on this target either (the spec check refuses)
            pass
    clock = find_clock_model(params.generator, target)
    fmax = float("nan") if clock is None else clock.estimate(params).fmax_mhz
    return {
        "latency_cycles": float(cycles), "latency_s": cycles / (clock_mhz * 1e6),
        "energy_pj": energy, **resources, "pes": float(pes), "utilization": busy / cycles,
        "macs_per_cycle": macs / cycles, "fmax_mhz": fmax,
        "latency_s_at_fmax": cycles / (fmax * 1e6),
    }
