"""From a dataset to a measured accelerator: train, export, fold, generate, simulate every
test input in Verilator, synthesize, and report (``hwdse qmlp``).

Trained networks are cached under ``$HWDSE_CACHE/qnn`` by dataset, dataset options and
training config (seeded, so the cache only saves time).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from dse.qnn.datasets import Dataset, load_dataset
from dse.qnn.train import TrainConfig, train
from hw.qmlp.network import QuantNetwork, load_network

#: The CAN paper's reported figures (Khandelwal and Shreejith, "Exploring Highly Quantised
#: Neural Networks for Intrusion Detection in Automotive CAN", FPL 2023; XCZU7EV, FINN).
PAPER_CAN = {"accuracy": 0.999, "latency_ms": 0.11, "energy_mj": 0.23,
             "device": "Xilinx XCZU7EV (FINN dataflow)", "bits": "2-bit weights and "
             "activations", "latency_note": "from CAN message reception"}


@dataclasses.dataclass(frozen=True, eq=False)
class TrainedNetwork:
    network: QuantNetwork
    path: Path
    cached: bool
    summary: dict[str, Any]


def _cache_dir() -> Path:
    from flows.tools import cache_root

    return cache_root() / "qnn"


def trained_network(data: Dataset, config: TrainConfig, dataset_key: dict[str, Any]
                    ) -> TrainedNetwork:
    """Train ``config`` on ``data`` unless the cache holds that exact training."""
    key = hashlib.sha256(json.dumps({"dataset": dataset_key, "config": config.to_json(),
                                     "schema": 1}, sort_keys=True).encode()).hexdigest()[:24]
    path = _cache_dir() / f"{key}.qnet.json"
    summary_path = path.with_suffix(".summary.json")
    if path.exists() and summary_path.exists():
        return TrainedNetwork(load_network(path), path, True,
                              json.loads(summary_path.read_text()))
    result = train(data, config)
    summary = {"epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
               "train_seconds": round(result.seconds, 2), "val_accuracy": result.val_accuracy,
               "test_accuracy": result.test_accuracy,
               "integer_test_accuracy": result.integer_test_accuracy,
               "agreement": result.agreement, "disagreements": result.disagreements,
               "tied_disagreements": result.tied_disagreements}
    path.parent.mkdir(parents=True, exist_ok=True)
    # workers of one study may train the same network at once: unique temporary names,
    # atomic renames, the summary last (its presence marks the entry complete)
    staging = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    result.network.save(staging)
    staging.replace(path)
    staging.write_text(json.dumps(summary))
    staging.replace(summary_path)
    return TrainedNetwork(result.network, path, False, summary)


def per_class_accuracy(classes: tuple[str, ...], y: np.ndarray, predicted: np.ndarray
                       ) -> dict[str, dict[str, float]]:
    out = {}
    for index, name in enumerate(classes):
        members = y == index
        out[name] = {"frames": int(members.sum()),
                     "accuracy": float((predicted[members] == index).mean())
                     if members.any() else float("nan")}
    return out


#: The initiation interval ``hwdse qmlp`` folds for when neither it nor a folding is given.
DEFAULT_TARGET_II = 64


def run_command(dataset: str, *, hidden: tuple[int, ...], weight_bits: int, act_bits: int,
                epochs: int, seed: int, out: Path, target: str, target_ii: int | None,
                folding: str | None, clock_mhz: float | None, can_files: list[Path],
                synthesize: bool, weight_memory: str = "logic",
                max_bram: int | None = None) -> dict[str, Any]:
    """``hwdse qmlp``: train the network the options describe and run :func:`run_case`
    (the folding given, or the cheapest meeting ``target_ii``, by default
    :data:`DEFAULT_TARGET_II`, within ``max_bram`` block RAMs).

    Raises:
        ParamError: for bad options (training settings, files for a dataset without files).
    """
    from hw.params import ParamError, check_choice
    from hw.qmlp.params import WEIGHT_MEMORIES

    if folding is not None and target_ii is not None:
        raise ParamError("give `folding` or `target_ii`, not both")
    if can_files and dataset != "can":
        raise ParamError(f"`can_files` are traffic of the `can` dataset, not {dataset!r}")
    check_choice("weight_memory", weight_memory, WEIGHT_MEMORIES)   # before any training
    _check_max_bram(max_bram, folding)
    config = TrainConfig(hidden=hidden, weight_bits=weight_bits, act_bits=act_bits,
                         epochs=epochs, seed=seed)
    options: dict[str, Any] = {"files": [str(p) for p in can_files]} if can_files else {}
    return run_case(dataset, config, out=out, target=target,
                    target_ii=None if folding else (target_ii or DEFAULT_TARGET_II),
                    folding=folding, clock_mhz=clock_mhz, dataset_options=options,
                    synthesize=synthesize, weight_memory=weight_memory, max_bram=max_bram)


def _check_max_bram(max_bram: int | None, folding: str | None) -> None:
    """Before any training. Raises:
        ParamError: for a bad budget (:func:`dse.models.qmlp.check_max_bram`), or one given
            with a folding."""
    from dse.models.qmlp import check_max_bram
    from hw.params import ParamError

    check_max_bram(max_bram)
    if max_bram is not None and folding is not None:
        raise ParamError("`max_bram` bounds the optimizer's folding: give it with "
                         "`target_ii`, not `folding`")


def run_case(dataset: str, config: TrainConfig, *, out: Path, target: str = "ecp5-85k",
             target_ii: int | None = None, folding: str | None = None,
             clock_mhz: float | None = None, dataset_options: dict[str, Any] | None = None,
             simulate_all: bool = True, synthesize: bool = True,
             weight_memory: str = "logic", max_bram: int | None = None) -> dict[str, Any]:
    """The whole path for one dataset; returns the report (also written to ``out``).
    ``weight_memory``: where the weight ROMs are (``QmlpParams.weight_memory``);
    ``max_bram``: the most block RAMs the optimizer's folding may give them.

    The folding is ``folding`` if given, else the cheapest (area model LUTs) meeting
    ``target_ii`` (:func:`dse.models.qmlp.optimize_folding`).

    Raises:
        ParamError: for bad options; ToolError / SimulationError from the tools.
    """
    from dse.models import qmlp as model
    from flows.verilog import emit
    from hw.params import ParamError
    from hw.qmlp.params import QmlpParams
    from sim.activity import emit_instrumented
    from sim.qmlp.jobs import inference_job
    from sim.runner import simulate

    options = dict(dataset_options or {})
    data = load_dataset(dataset, config.seed, options)
    trained = trained_network(data, config, {"name": dataset, "seed": config.seed,
                                             **{k: str(v) for k, v in options.items()}})
    out.mkdir(parents=True, exist_ok=True)
    network_path = trained.network.save(out / "network.qnet.json")
    base = dataclasses.replace(QmlpParams.for_network(network_path),
                               weight_memory=weight_memory)
    if folding is not None:
        params = base.with_folding(folding)
        choice = None
    else:
        if target_ii is None:
            raise ParamError("give `folding` or `target_ii`")
        choice = model.optimize_folding(base, target_ii, cost="lut", target=target,
                                        max_bram=max_bram)
        params = choice.params
    timing = model.cycles_of(params, 1)

    report: dict[str, Any] = {
        "schema": "hwdse.qmlp-case/1", "dataset": data.summary(), "train": config.to_json(),
        "training": {**trained.summary, "cached": trained.cached},
        "network": {"sizes": list(trained.network.sizes), "path": str(network_path),
                    "sha256": trained.network.sha256()},
        "design": {"params": params.to_dict(), "folding": params.folding,
                   "content_hash": params.content_hash(),
                   "optimizer": choice.to_json() if choice else None,
                   "initiation_interval": timing.initiation_interval,
                   "latency_cycles": timing.latency,
                   "layers": [dataclasses.asdict(t) for t in timing.layers]},
    }
    emit(params).write(out / "verilog")

    x_test, y_test = data.x_test, data.y_test
    integer_pred = trained.network.predict(x_test)
    report["accuracy"] = {"integer_model": float((integer_pred == y_test).mean()),
                          "per_class": per_class_accuracy(data.classes, y_test, integer_pred)}
    if simulate_all:
        start = time.monotonic()
        job = inference_job(params, x_test, meta={"inputs": "test split"})
        run = simulate(emit_instrumented(params), "sim.stream_testbench", [job],
                       timeout=3600.0)
        result = run.results[0]
        expected = model.cycles_of(params, len(x_test))
        energy = model.energy_from_counters(params, result.counters,
                                            len(x_test) * sum(f.inputs * f.outputs
                                                              for f in params.folds()))
        predicted_activity = model.activity_of(params, len(x_test))
        report["simulation"] = {
            "inputs": len(x_test), "passed": result.passed, "mismatches": result.mismatches,
            "cycles": result.cycles, "model_cycles": expected.cycles,
            "model_matches": result.cycles == expected.cycles,
            "activity_matches": energy.activity == predicted_activity,
            "seconds": round(time.monotonic() - start, 1),
            "energy_per_inference_pj": energy.total_pj / len(x_test),
            "energy_components_pj": {k: v / len(x_test) for k, v in
                                     energy.components().items()},
            "energy_table": energy.table}
        # the RTL computed every test score bit-exact, so its predictions are the model's
        report["accuracy"]["rtl"] = report["accuracy"]["integer_model"] if result.passed \
            else None
    if synthesize:
        from flows.synth import synthesize as run_synthesis

        synth = run_synthesis(params, target, clock_mhz=clock_mhz, timeout=3600.0)
        fmax = synth.fmax_mhz
        report["synthesis"] = synth.to_json()
        if fmax:
            report["latency_us"] = timing.latency / fmax
            report["throughput_inferences_per_s"] = fmax * 1e6 / timing.initiation_interval
    (out / "report.json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    return report
