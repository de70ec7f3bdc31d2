"""Shared parts of the area-model benchmarks (``bench/area_<family>.py``): synthesize
sampled configurations one after the other, and tabulate predictions against them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from dse.models.area import RESOURCES, AreaModel, AreaSample
from flows.synth import synthesize
from flows.tools import ToolError
from hw.params import Params

Describe = Callable[[Params], str]


def point_rows(model: AreaModel, samples: Sequence[AreaSample], describe: Describe
               ) -> list[dict[str, Any]]:
    """Measured, predicted and relative error of each sample, with its split."""
    rows = []
    for sample in samples:
        report = model.estimate(sample.params)
        predicted = report.resources()
        rows.append({
            "config": describe(sample.params), "params": sample.params.to_dict(),
            "split": sample.split, "measured": dict(sample.measured),
            "predicted": {r: round(v, 1) for r, v in predicted.items()},
            "relative_error": {r: round(abs(predicted[r] - sample.measured[r])
                                        / max(sample.measured[r], 1.0), 4)
                               for r in RESOURCES}})
    return rows


def synthesize_all(configs: Sequence[Params], splits: dict[Any, str], target: str,
                   describe: Describe
                   ) -> tuple[list[AreaSample], list[dict[str, Any]], dict[str, str]]:
    """Synthesize ``configs`` one after the other: samples, failures, tool versions."""
    samples: list[AreaSample] = []
    failed: list[dict[str, Any]] = []
    tools: dict[str, str] = {}
    for index, params in enumerate(configs):
        start = time.monotonic()
        try:
            result = synthesize(params, target, place=False)
        except ToolError as error:  # a tool crash is a failed sample, never a number
            tail = [line for line in error.log_tail.splitlines() if line.strip()]
            failed.append({"config": describe(params), "params": params.to_dict(),
                           "split": splits[params], "error": str(error).splitlines()[0],
                           "log_tail": tail[-3:]})
            print(f"[{index + 1}/{len(configs)}] {describe(params)}: FAILED {error}",
                  flush=True)
            continue
        tools = result.tools
        samples.append(AreaSample(params, result.synthesized, splits[params],
                                  cells=result.cells, synth_seconds=result.seconds["synth"]))
        print(f"[{index + 1}/{len(configs)}] {describe(params)}: {result.synthesized} "
              f"({result.seconds['synth']:.1f} s{', cached' if result.cached else ''}, "
              f"{time.monotonic() - start:.1f} s wall)", flush=True)
    return samples, failed, tools
