"""Evaluating a joint design: train each task's network (cached), map it onto its
sub-accelerator, and measure it with the hardware models; check it in RTL simulation.

Accuracy is that of the exported integer network (what the hardware computes) on the
validation split (``accuracy``, what the search optimizes) and on the test split
(``test_accuracy``, reported). Training goes through :func:`dse.qnn.flow.trained_network`:
seeded, early-stopped, cached on disk by dataset, architecture, precisions and seed, so a
network proposed again (by any searcher or run) is trained once.

Mapping onto a sub-accelerator:

- ``qmlp``: the network itself in hardware (weights in ROM), folded by the cheapest
  folding meeting the task's ``target_ii``; the workload is one inference;
- ``systolic`` / ``bitserial``: the network's layers run one after the other as GEMMs
  ``1 x inputs x outputs`` (one inference), weights signed, activations unsigned; a
  ``bitserial`` array serializes the weights at the network's weight precision. These
  arrays compute the matrix products; the threshold activations between layers are
  applied by the host and are not in their area or cycle counts. They do not pipeline
  inferences, so their initiation interval is their latency.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

import numpy as np

from dse.codesign.design import JointDesign, TaskDesign, TaskSpec, network_mapping, operand_widths
from dse.records import DEFAULT_CHECK, CheckOptions, DesignCheck, LayerCheck
from dse.workload import Gemm, Layer
from hw.params import Params
from hw.registry import get


@functools.cache
def _dataset(name: str, seed: int, options: str) -> Any:
    from dse.qnn.datasets import load_dataset

    return load_dataset(name, seed, json.loads(options))


def task_dataset(task: TaskDesign) -> Any:
    """The task's dataset (split with the training seed), loaded once per process."""
    return _dataset(task.dataset, task.train.seed,
                    json.dumps(dict(task.dataset_options), sort_keys=True))


def task_network(task: TaskDesign) -> Any:
    """The trained network of ``task`` (:class:`dse.qnn.flow.TrainedNetwork`); trains it
    unless the cache holds it (the key is that of ``hwdse qmlp``)."""
    from dse.qnn.flow import trained_network

    options = {k: str(v) for k, v in task.dataset_options.items()}
    return trained_network(task_dataset(task), task.train,
                           {"name": task.dataset, "seed": task.train.seed, **options})


@functools.lru_cache(maxsize=4096)
def _accuracy(path: str, dataset: str, seed: int, options: str) -> tuple[float, float]:
    from hw.qmlp.network import load_network

    network = load_network(path)
    data = _dataset(dataset, seed, options)
    return (float((network.predict(data.x_val) == data.y_val).mean()),
            float((network.predict(data.x_test) == data.y_test).mean()))


@dataclasses.dataclass(frozen=True, eq=False)
class TaskHardware:
    """A task's network on its sub-accelerator: params and the workload of one
    inference."""

    design: TaskDesign
    trained: Any  # dse.qnn.flow.TrainedNetwork
    params: Params
    workload: tuple[Layer, ...]
    folding: Any = None  # the family's fold_network choice (network in hardware)

    @property
    def initiation_interval(self) -> int | None:
        """Cycles between inferences where the hardware pipelines them (None: it does
        not, an inference's latency)."""
        return None if self.folding is None else int(self.folding.initiation_interval)


def task_hardware(task: TaskDesign, target: str) -> TaskHardware:
    """Train (or load) the task's network and build its sub-accelerator's params."""
    from dse.models.registry import family_models

    if task.family is None or task.hardware is None:
        raise ValueError(f"task {task.task!r} has no hardware")
    trained = task_network(task)
    network = trained.network
    if network_mapping(task.family) == "network":  # the network built into the hardware
        assert isinstance(task.hardware, int)
        generator = get(task.family)
        fold = family_models(generator.name).fold_network
        assert fold is not None, generator.name
        choice = fold(generator.params_class.for_network(trained.path), task.hardware,
                      target=target)
        workload = (Layer("inference", Gemm(1, network.sizes[0], network.sizes[-1])),)
        return TaskHardware(task, trained, choice.params, workload, choice)
    assert isinstance(task.hardware, Params)
    return TaskHardware(task, trained, task.hardware,
                        layer_workload(task, task.hardware, network))


def layer_workload(task: TaskDesign, params: Params, network: Any) -> tuple[Layer, ...]:
    """One inference as GEMMs, one per layer (serial precision set for ``bitserial``)."""
    weights, _ = operand_widths(_task_spec(task), task.train)
    layers = []
    for index, layer in enumerate(network.layers):
        bits = params.serial_bits(weights, network.input_bits_of(index) + 1)
        layers.append(Layer(f"fc{index}", Gemm(1, layer.inputs, layer.outputs, bits=bits)))
    return tuple(layers)


def _task_spec(task: TaskDesign) -> TaskSpec:
    return TaskSpec(task.task, task.dataset, task.dataset_options, ())


def evaluate(design: JointDesign, *, target: str, clock_mhz: float) -> dict[str, float]:
    """Every metric of ``design`` (see :mod:`dse.codesign.spec`): per task
    ``<task>.<metric>``, and the totals.

    Raises:
        ParamError: if a network cannot be folded or run (an invalid design).
    """
    from dse.metrics import model_metrics

    metrics: dict[str, float] = {}
    for task in design.tasks:
        prefix = f"{task.task}."
        if task.family is None:
            trained = task_network(task)
        else:
            hardware = task_hardware(task, target)
            trained = hardware.trained
            measured = model_metrics(hardware.params, hardware.workload, target=target,
                                     clock_mhz=clock_mhz)
            for name in ("latency_cycles", "latency_s", "energy_pj", "lut", "ff", "dsp",
                         "bram", "pes"):
                metrics[prefix + name] = float(measured[name])
            interval = hardware.initiation_interval
            metrics[prefix + "initiation_interval"] = float(
                measured["latency_cycles"] if interval is None else interval)
        val, test = _accuracy(str(trained.path), task.dataset, task.train.seed,
                              json.dumps(dict(task.dataset_options), sort_keys=True))
        metrics[prefix + "accuracy"] = val
        metrics[prefix + "test_accuracy"] = test
        metrics[prefix + "weights"] = float(sum(layer.weights.size
                                                for layer in trained.network.layers))
    names = [task.task for task in design.tasks]
    accuracies = [metrics[f"{name}.accuracy"] for name in names]
    metrics["accuracy"] = float(np.mean(accuracies))
    metrics["min_accuracy"] = float(min(accuracies))
    if all(task.family is not None for task in design.tasks):
        for name in ("energy_pj", "lut", "ff", "dsp", "bram"):
            metrics[name] = sum(metrics[f"{task}.{name}"] for task in names)
        for name in ("latency_cycles", "latency_s"):
            metrics[name] = max(metrics[f"{task}.{name}"] for task in names)
    return metrics


def check_design(spec: Any, trial: Any, options: CheckOptions = DEFAULT_CHECK
                 ) -> DesignCheck:
    """RTL simulation of every sub-accelerator of ``trial``'s design on the task's first
    ``options.inputs`` test inputs, bit-exact against the integer network:

    - ``qmlp``: the inputs through the accelerator; scores against the integer model,
      cycles against :func:`dse.models.qmlp.cycles`;
    - ``systolic`` / ``bitserial``: each layer as one GEMM of the batch's real activations
      and the layer's weights; results against the family's golden model, which is checked
      against the network's own accumulators first; cycles against the family model.

    With ``options.synth``, every sub-accelerator is synthesized and the summed resources are
    compared with the area model's. Tool failures are recorded, not raised.
    """
    from flows.tools import ToolError, ToolNotFoundError
    from sim.runner import SimulationError

    design = spec.space.params(trial.params)
    checks: list[LayerCheck] = []
    error = ""
    built = []
    for task in design.tasks:
        if task.family is None:
            continue
        hardware = task_hardware(task, spec.target)
        built.append(hardware)
        x = task_dataset(task).x_test[:options.inputs]
        for name, gemm, model, job in _jobs(hardware, x):
            label = f"{task.task}.{name}"
            if model > options.max_sim_cycles:
                skipped = f"{model} model cycles > {options.max_sim_cycles}"
                checks.append(LayerCheck(label, gemm, model, skipped=skipped))
                continue
            try:
                result = _simulate(hardware.params, job, options.timeout)
            except (SimulationError, ToolNotFoundError) as failure:
                error = error or f"{label}: {str(failure).splitlines()[0]}"
                checks.append(LayerCheck(label, gemm, model, skipped="error"))
                continue
            checks.append(LayerCheck(label, gemm, model, result.cycles, result.passed))
    synth_json = None
    if options.synth:
        try:
            synth_json = _synthesize(built, spec)
        except (ToolError, ToolNotFoundError) as failure:
            error = error or f"synthesis: {str(failure).splitlines()[0]}"
    return DesignCheck(trial.number, design.to_dict(), tuple(checks), synth_json, error)


def _jobs(hardware: TaskHardware, x: np.ndarray) -> list[tuple[str, str, int, dict[str, Any]]]:
    """(check name, workload text, model cycles, simulation job) per check."""
    from dse.models.registry import cycle_model
    from sim.families import sim_family

    params = hardware.params
    network = hardware.trained.network
    if hardware.folding is not None:  # the network built into the hardware: its inputs
        gemm = dataclasses.replace(hardware.workload[0].gemm, m=len(x))
        job = sim_family(params.generator).network_job_builder()(
            params, x, meta={"inputs": "test split"})
        return [("inference", f"{len(x)} test inputs",
                 cycle_model(params.generator)(params, gemm).cycles, job)]
    activations = [np.asarray(x, dtype=np.int64),
                   *network.forward(x, all_layers=True)[:-1]]
    out = []
    for index, (layer, a) in enumerate(zip(network.layers, activations, strict=True)):
        b = layer.weights.T.astype(np.int64)
        gemm = dataclasses.replace(hardware.workload[index].gemm, m=len(x))
        job = _gemm_job(params, a, b, gemm.bits)
        out.append((f"fc{index}", str(gemm), cycle_model(params.generator)(params, gemm).cycles,
                    job))
    return out


def _gemm_job(params: Params, a: np.ndarray, b: np.ndarray, bits: Any) -> dict[str, Any]:
    """A GEMM job of the layer's real operands. The operands must fit the family's
    operand ranges and its golden model must equal the network's accumulators (no
    wrap-around), or the mapping is wrong.

    Raises:
        ValueError: if either does not hold, or the family cannot run given operands.
    """
    from sim.families import sim_family

    run = sim_family(params.generator).operands_job_builder()(params, a, b, bits)
    for name, matrix, (low, high) in zip(("activations", "weights"), (a, b), run.ranges,
                                          strict=True):
        if matrix.min() < low or matrix.max() > high:
            raise ValueError(f"the layer's {name} ({matrix.min()}..{matrix.max()}) do not fit "
                             f"the {params.generator} operands ({low}..{high})")
    if not np.array_equal(np.asarray(run.computed, dtype=np.int64), a @ b):
        raise ValueError("the family's golden model differs from the network's accumulators")
    return run.job


def _simulate(params: Params, job: dict[str, Any], timeout: float) -> Any:
    from flows.verilog import emit
    from sim.families import sim_family
    from sim.runner import run_jobs

    family = sim_family(params.generator)
    return run_jobs(family, emit(params), [job], timeout=timeout).results[0]


def _synthesize(built: list[TaskHardware], spec: Any) -> dict[str, Any]:
    """Each sub-accelerator placed (its Fmax) and synthesized bare (the resources its area
    model is fitted to), summed, with the area model's error and where each sub-accelerator
    lies outside its models' samples (``out_of_range``, named by task)."""
    from dse.check import out_of_range
    from dse.models.registry import area
    from flows.synth import bare_synthesis, synthesize

    resources = ("lut", "ff", "dsp", "bram")
    measured = dict.fromkeys(resources, 0.0)
    predicted = dict.fromkeys(resources, 0.0)
    tasks = {}
    fmax: list[float] = []
    outside: list[str] = []
    for hardware in built:
        result = synthesize(hardware.params, spec.target, clock_mhz=spec.clock_mhz)
        # the area model is fitted to the bare design, without the placed one's IO shim
        bare = bare_synthesis(hardware.params, spec.target, clock_mhz=spec.clock_mhz,
                              placed=result).synthesized
        model = area(hardware.params, spec.target).resources()
        for r in resources:
            measured[r] += bare[r]
            predicted[r] += model[r]
        if result.fmax_mhz:
            fmax.append(result.fmax_mhz)
        reasons = out_of_range(hardware.params, spec.target, spec.clock_mhz)
        outside += [f"{hardware.design.task}: {reason}" for reason in reasons]
        tasks[hardware.design.task] = {"status": result.status, "fmax_mhz": result.fmax_mhz,
                                       "synthesized": {r: bare[r] for r in resources},
                                       "model": {r: model[r] for r in resources},
                                       "out_of_range": reasons}
    return {"status": "ok" if all(t["status"] == "ok" for t in tasks.values()) else "mixed",
            "fmax_mhz": min(fmax) if fmax else None, "synthesized": measured,
            "area_error": {r: (predicted[r] - measured[r]) / max(measured[r], 1.0)
                           for r in resources}, "tasks": tasks, "out_of_range": outside}
