"""Quantization-aware training of MLPs with Brevitas, and export to integer networks.

The network (:func:`build_model`): per hidden layer a Brevitas ``QuantLinear`` with
``weight_bits``-bit weights (per-tensor scale, narrow range: ``2**(b-1) - 1`` levels each
side; 1 bit: binary +-scale), ``BatchNorm1d`` and a ``QuantReLU`` of ``act_bits`` bits;
the output layer is a ``QuantLinear`` without bias (so its integer sums rank the classes
exactly as its float logits do). Inputs are the datasets' unsigned integers, fed as they
are (input scale 1).

Export (:func:`export`) gives the :class:`hw.qmlp.network.QuantNetwork` the hardware
computes: integer weights from Brevitas, and per hidden neuron the thresholds of FINN's
streamlining: with ``z = A * acc + B`` the BatchNorm output (``A``, ``B`` folded from the
weight and input scales, the bias and the BatchNorm statistics), the quantized activation
``q = clamp(round(relu(z) / s), 0, 2**act_bits - 1)`` is ``#{k : acc >= T_k}``; ``T_k``
is found by inverting ``z`` and checking the neighbouring integers with the same float64
formula (so ties round as ``torch.round`` does). A neuron with ``A < 0`` has its weights
negated (``q`` falls with ``acc``); ``A = 0`` gives constant thresholds. Thresholds are
clipped to the accumulator's reachable range (and one past it).

:func:`train` is seeded (``torch.manual_seed`` and a seeded data order, one thread), uses
Adam and cross-entropy, and stops early when validation accuracy has not improved for
``patience`` epochs, keeping the best epoch's weights.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from dse.qnn.datasets import Dataset
from hw.params import ParamError, check_int
from hw.qmlp.network import QuantLayer, QuantNetwork


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What to train: hidden layer widths, precisions and the optimizer's settings.

    Raises:
        ParamError: for a value out of range, naming the field.
    """

    hidden: tuple[int, ...] = (64, 32)
    weight_bits: int = 2
    act_bits: int = 2
    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 0.01
    patience: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for width in self.hidden:
            check_int("hidden", width, 1, 4096)
        check_int("weight_bits", self.weight_bits, 1, 8)
        check_int("act_bits", self.act_bits, 1, 8)
        check_int("epochs", self.epochs, 1, 10_000)
        check_int("batch_size", self.batch_size, 1, 1 << 20)
        check_int("patience", self.patience, 1, 10_000)
        check_int("seed", self.seed, 0)
        if not self.learning_rate > 0:
            raise ParamError(f"`learning_rate` must be positive, not {self.learning_rate!r}")

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "hidden": list(self.hidden)}


@dataclasses.dataclass(frozen=True, eq=False)
class TrainResult:
    """The trained float (Brevitas) model, its export and how they score."""

    model: Any
    network: QuantNetwork
    config: TrainConfig
    epochs_run: int
    best_epoch: int
    seconds: float
    val_accuracy: float
    test_accuracy: float          # Brevitas model
    integer_test_accuracy: float  # exported integer model
    agreement: float              # share of test inputs where both predict the same class
    #: Test inputs where they differ although the float model's class has the largest
    #: integer score too (an exact tie, which float rounding breaks either way).
    tied_disagreements: int
    disagreements: int


def build_model(inputs: int, classes: int, config: TrainConfig) -> Any:
    """The Brevitas MLP for ``config`` (see the module docstring)."""
    import brevitas.nn as qnn
    import torch
    from brevitas.quant import Int8WeightPerTensorFloat
    from brevitas.quant.binary import SignedBinaryWeightPerTensorConst

    def linear(n_in: int, n_out: int, bias: bool) -> Any:
        if config.weight_bits == 1:
            return qnn.QuantLinear(n_in, n_out, bias=bias,
                                   weight_quant=SignedBinaryWeightPerTensorConst)
        return qnn.QuantLinear(n_in, n_out, bias=bias, weight_quant=Int8WeightPerTensorFloat,
                               weight_bit_width=config.weight_bits)

    layers: list[Any] = []
    width = inputs
    for hidden in config.hidden:
        layers += [linear(width, hidden, True), torch.nn.BatchNorm1d(hidden),
                   qnn.QuantReLU(bit_width=config.act_bits)]
        width = hidden
    layers.append(linear(width, classes, False))
    return torch.nn.Sequential(*layers)


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x) == y).mean())


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    """Class predictions of the Brevitas model (eval mode) on integer inputs ``x``."""
    import torch

    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(np.asarray(x), dtype=torch.float32))
    return np.asarray(torch.argmax(logits, dim=1).numpy())


def train(data: Dataset, config: TrainConfig) -> TrainResult:
    """Train ``config`` on ``data`` (seeded, CPU) and export it.

    Raises:
        ParamError: for a bad config.
    """
    import torch

    start = time.monotonic()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(config.seed)
        model = build_model(data.features, len(data.classes), config)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.epochs)
        loss_fn = torch.nn.CrossEntropyLoss()
        x = torch.as_tensor(data.x_train, dtype=torch.float32)
        y = torch.as_tensor(data.y_train, dtype=torch.long)
        order = torch.Generator().manual_seed(config.seed)
        best = (-1.0, 0, {k: v.clone() for k, v in model.state_dict().items()})
        epoch = 0
        for epoch in range(1, config.epochs + 1):
            model.train()
            permutation = torch.randperm(len(y), generator=order)
            for first in range(0, len(y), config.batch_size):
                batch = permutation[first:first + config.batch_size]
                if len(batch) < 2:  # BatchNorm needs two samples
                    continue
                optimizer.zero_grad()
                loss_fn(model(x[batch]), y[batch]).backward()
                optimizer.step()
            schedule.step()
            val = _accuracy(model, data.x_val, data.y_val)
            if val > best[0]:
                best = (val, epoch, {k: v.clone() for k, v in model.state_dict().items()})
            elif epoch - best[1] >= config.patience:
                break
        model.load_state_dict(best[2])
        model.eval()
        network = export(model, data.input_bits, data.classes, info={
            "dataset": data.summary(), "train": config.to_json(), "best_epoch": best[1]})
        float_pred = predict(model, data.x_test)
        scores = network.forward(data.x_test)
        int_pred = np.argmax(scores, axis=1)
        differ = np.flatnonzero(float_pred != int_pred)
        tied = int(sum(scores[i, float_pred[i]] == scores[i].max() for i in differ))
        return TrainResult(
            model=model, network=network, config=config, epochs_run=epoch, best_epoch=best[1],
            seconds=time.monotonic() - start, val_accuracy=best[0],
            test_accuracy=float((float_pred == data.y_test).mean()),
            integer_test_accuracy=float((int_pred == data.y_test).mean()),
            agreement=float((float_pred == int_pred).mean()), tied_disagreements=tied,
            disagreements=len(differ))
    finally:
        torch.set_num_threads(threads)


def _activation_scale(act: Any) -> float:
    return float(act.act_quant.scale().detach())


def _thresholds(a: np.ndarray, b: np.ndarray, scale: float, levels: int) -> np.ndarray:
    """Per neuron (``a > 0``) the smallest integer ``acc`` with ``q(acc) >= k``, k = 1..levels,
    where ``q = clamp(round(relu(a * acc + b) / scale), 0, levels)``."""

    def q(acc: np.ndarray, n: int) -> np.ndarray:
        z = np.maximum(a[n] * acc + b[n], 0.0) / scale
        return np.clip(np.round(z), 0, levels)

    out = np.zeros((len(a), levels), dtype=np.int64)
    for n in range(len(a)):
        for k in range(1, levels + 1):
            guess = math.ceil(((k - 0.5) * scale - b[n]) / a[n])
            candidates = np.arange(guess - 3, guess + 4, dtype=np.float64)
            hits = candidates[q(candidates, n) >= k]
            out[n, k - 1] = int(hits[0]) if len(hits) else guess + 4
    return out


def export(model: Any, input_bits: int, classes: tuple[str, ...],
           info: dict[str, Any] | None = None) -> QuantNetwork:
    """The integer network of a trained Brevitas model from :func:`build_model`.

    Raises:
        ParamError: if the model does not have the expected structure.
    """
    import brevitas.nn as qnn
    import torch

    modules = list(model)
    layers: list[QuantLayer] = []
    in_scale = 1.0
    index = 0
    with torch.no_grad():
        while index < len(modules):
            linear = modules[index]
            if not isinstance(linear, qnn.QuantLinear):
                raise ParamError(f"module {index} must be a QuantLinear, not "
                                 f"{type(linear).__name__}")
            quant = linear.quant_weight()
            w = quant.int().to(torch.int64).numpy().copy()
            w_scale = float(quant.scale.detach().reshape(-1)[0])
            bits = int(quant.bit_width)
            if index + 1 == len(modules):
                layers.append(QuantLayer(w, bits))
                break
            bn, act = modules[index + 1], modules[index + 2]
            bias = linear.bias.detach().numpy().astype(np.float64)
            std = np.sqrt(bn.running_var.numpy().astype(np.float64) + bn.eps)
            gamma = bn.weight.detach().numpy().astype(np.float64)
            beta = bn.bias.detach().numpy().astype(np.float64)
            mean = bn.running_mean.numpy().astype(np.float64)
            a = gamma * in_scale * w_scale / std
            b = gamma * (bias - mean) / std + beta
            act_scale = _activation_scale(act)
            act_bits = int(act.act_quant.bit_width())
            levels = (1 << act_bits) - 1
            flip = a < 0
            w[flip] = -w[flip]
            a = np.where(flip, -a, a)
            thresholds = np.zeros((len(a), levels), dtype=np.int64)
            x_max = (1 << (input_bits if not layers else layers[-1].act_bits)) - 1
            low = int(np.clip(w, None, 0).sum(axis=1).min()) * x_max
            high = int(np.clip(w, 0, None).sum(axis=1).max()) * x_max
            live = a > 0
            if live.any():
                thresholds[live] = _thresholds(a[live], b[live], act_scale, levels)
            for n in np.flatnonzero(~live):  # constant output
                constant = int(np.clip(np.round(max(b[n], 0.0) / act_scale), 0, levels))
                thresholds[n] = [low if k <= constant else high + 1
                                 for k in range(1, levels + 1)]
            layers.append(QuantLayer(w, bits, np.clip(thresholds, low, high + 1), act_bits))
            in_scale = act_scale
            index += 3
    return QuantNetwork(input_bits, tuple(layers), tuple(classes), dict(info or {}))
