"""The higher-fidelity check of a hardware spec's design: RTL simulation of every workload
layer (bit-exact against the golden model, cycles against the model) and, on request,
synthesis (area and Fmax against the area model)."""

from __future__ import annotations

import math
from typing import Any

from dse.records import DEFAULT_CHECK, CheckOptions, DesignCheck, LayerCheck


def check_design(spec: Any, trial: Any, options: CheckOptions = DEFAULT_CHECK
                 ) -> DesignCheck:
    """Simulate every layer of the hardware spec's workload on ``trial``'s design (and
    synthesize it).

    Tool failures are recorded in ``error`` (and count as a disagreement), not raised.
    """
    from dse.models.registry import cycle_model
    from dse.verify import verify_gemm
    from flows.tools import ToolError, ToolNotFoundError
    from sim.runner import SimulationError

    params = spec.space.params(trial.params)
    checks = []
    error = ""
    for layer, job in zip(spec.workload, spec.layer_options(params), strict=True):
        model = cycle_model(params.generator)(params, layer.gemm, **job).cycles
        mapping = " ".join(str(job[k]) for k in ("mapping", "order") if k in job)
        instances = layer.repeat if options.instances else 1
        for instance in range(instances):
            name = layer.name if instances == 1 else f"{layer.name}#{instance + 1}"
            if model > options.max_sim_cycles:
                checks.append(LayerCheck(name, str(layer.gemm), model, mapping=mapping,
                                         skipped=f"{model} model cycles > "
                                                 f"{options.max_sim_cycles}"))
                continue
            try:  # the layer's mapping is a run-time job input: one build runs every layer
                verification = verify_gemm(params, layer.gemm, seed=instance,
                                           timeout=options.timeout, options=job)
            except (SimulationError, ToolNotFoundError) as failure:
                error = f"{name}: {str(failure).splitlines()[0]}"
                checks.append(LayerCheck(name, str(layer.gemm), model, mapping=mapping,
                                         skipped="error"))
                continue
            result = verification.result
            checks.append(LayerCheck(name, str(layer.gemm), model, result.cycles,
                                     result.passed,
                                     activity_matches=verification.activity_matches,
                                     mapping=mapping))
    synth_json = None
    if options.synth:
        from flows.synth import bare_synthesis, synthesize

        try:
            result = synthesize(params, spec.target, clock_mhz=spec.clock_mhz,
                                timeout=options.timeout)
            metrics = spec.evaluate(params)
            # the area model is fitted to the bare design: on a place-and-route target the
            # placed design sits in the IO shim, whose flip-flops and logic it does not model
            bare = bare_synthesis(params, spec.target, clock_mhz=spec.clock_mhz,
                                  timeout=options.timeout, placed=result)
            measured = {r: bare.synthesized[r] for r in ("lut", "ff", "dsp", "bram")}
            synth_json = {
                "status": result.status, "fmax_mhz": result.fmax_mhz,
                "synthesized": measured, "placed": {n: r.to_json() for n, r in
                                                    result.resources.items()},
                # the resources the models predict (a family may lack a LUT/FF model)
                "area_error": {r: (metrics[r] - measured[r]) / max(measured[r], 1.0)
                               for r in measured if math.isfinite(metrics[r])},
                "latency_s_at_fmax": (None if not result.fmax_mhz else
                                      metrics["latency_cycles"] / (result.fmax_mhz * 1e6)),
                "fmax_model_mhz": metrics.get("fmax_mhz"),
                "out_of_range": out_of_range(params, spec.target, spec.clock_mhz),
            }
        except (ToolError, ToolNotFoundError) as failure:
            error = error or f"synthesis: {str(failure).splitlines()[0]}"
    return DesignCheck(trial.number, params.to_dict(), tuple(checks), synth_json, error,
                       options.instances)


#: The clocks (MHz) at which designs on a target that maps logic to the clock keep the LUTs
#: of their synthesis at the default clock, which the area samples are synthesized at:
#: ``bench/area_clock_mapping.py`` found 12 designs each of ``qmlp-v1`` and ``pim-v1`` on
#: ``ecp5-85k-area`` within -0.7% to +2.4% of them from 10 to 100 MHz, and up to 37% above
#: at 150 to 300 MHz (ABC no longer meets the period by mapping for area alone).
CLOCK_MAPPED_MHZ = (10.0, 100.0)


def out_of_range(params: Any, target: str, clock_mhz: float | None = None) -> list[str]:
    """Where ``params`` lie outside the samples of the area and clock models of ``target``
    (``area: rows = 16 (samples: 1..12)``; empty: inside, or no model). On a target that
    maps logic to the clock (:attr:`flows.targets.Target.clock_mapped`), a ``clock_mhz``
    outside :data:`CLOCK_MAPPED_MHZ` is outside them too."""
    from dse.models.area import AreaModelError
    from dse.models.clock import find_clock_model
    from dse.models.registry import area
    from flows.targets import get_target

    reasons = []
    try:
        estimate = area(params, target)
    except AreaModelError:
        estimate = None
    if estimate is not None:
        reasons += [f"area: {r}" for r in estimate.out_of_range]
        low, high = CLOCK_MAPPED_MHZ
        if (get_target(target).clock_mapped and clock_mhz is not None
                and not low <= float(clock_mhz) <= high):
            reasons.append(f"area: clock_mhz = {clock_mhz:g} ({target} maps LUTs to the "
                           f"clock; its samples hold at {low:g}..{high:g})")
    clock = find_clock_model(params.generator, target)
    if clock is not None:
        reasons += [f"clock: {r}" for r in clock.estimate(params).out_of_range]
    return reasons
