"""Integer quantized MLPs: the exported form of a trained network and its integer model.

A :class:`QuantNetwork` is what the ``qmlp-v1`` generator builds hardware from and what the
golden model runs: unsigned ``input_bits``-bit inputs, then per layer an integer matrix
(``weights[out, in]``, signed ``weight_bits``-bit two's complement, or bipolar {-1, +1} at
1 bit), an exact integer accumulation, and for every layer but the last a threshold
activation (FINN's MultiThreshold): output ``q = #{k : acc >= thresholds[out, k]}``, an
unsigned ``act_bits``-bit value, with ``2**act_bits - 1`` ascending thresholds per output.
The last layer outputs its raw accumulators (class scores); the prediction is the first
index of the largest score.

Stored as JSON (schema ``hwdse.qnet/1``); the training path (``dse.qnn.train``) writes it
from a Brevitas network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hw.params import ParamError, check_int

SCHEMA = "hwdse.qnet/1"
MAX_BITS = 8


def weight_range(bits: int) -> tuple[int, int]:
    """Smallest and largest weight of ``bits`` bits (1 bit is bipolar: -1 and +1)."""
    return (-1, 1) if bits == 1 else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


@dataclasses.dataclass(frozen=True, eq=False)
class QuantLayer:
    """One fully connected layer: ``weights`` (out x in integers) and, except for the last
    layer, ``thresholds`` (out x 2**act_bits - 1, ascending per row).

    Raises:
        ParamError: if a weight is outside the ``weight_bits`` range (or 0 at 1 bit), or the
            thresholds have the wrong shape or are not ascending.
    """

    weights: np.ndarray
    weight_bits: int
    thresholds: np.ndarray | None = None
    act_bits: int = 0

    def __post_init__(self) -> None:
        check_int("weight_bits", self.weight_bits, 1, MAX_BITS)
        w = np.asarray(self.weights, dtype=np.int64)
        object.__setattr__(self, "weights", w)
        if w.ndim != 2 or w.size == 0:
            raise ParamError(f"`weights` must be a non-empty 2-D integer matrix, not shape "
                             f"{w.shape}")
        low, high = weight_range(self.weight_bits)
        if w.min() < low or w.max() > high or (self.weight_bits == 1 and (w == 0).any()):
            allowed = "-1 or +1" if self.weight_bits == 1 else f"{low}..{high}"
            raise ParamError(f"`weights` of a {self.weight_bits}-bit layer must be {allowed}")
        if self.thresholds is None:
            if self.act_bits:
                raise ParamError("`act_bits` needs `thresholds`")
            return
        check_int("act_bits", self.act_bits, 1, MAX_BITS)
        t = np.asarray(self.thresholds, dtype=np.int64)
        object.__setattr__(self, "thresholds", t)
        want = (w.shape[0], (1 << self.act_bits) - 1)
        if t.shape != want:
            raise ParamError(f"`thresholds` must have shape {want} (outputs x 2**act_bits - 1), "
                             f"not {t.shape}")
        if (np.diff(t, axis=1) < 0).any():
            raise ParamError("`thresholds` must be ascending along each output")

    @property
    def outputs(self) -> int:
        return int(self.weights.shape[0])

    @property
    def inputs(self) -> int:
        return int(self.weights.shape[1])


def signed_width(low: int, high: int) -> int:
    """Bits of a two's-complement number that holds every value in ``low..high``."""
    width = 1
    while not (-(1 << (width - 1)) <= low and high <= (1 << (width - 1)) - 1):
        width += 1
    return width


@dataclasses.dataclass(frozen=True, eq=False)
class QuantNetwork:
    """An integer MLP: ``input_bits``-bit unsigned inputs and its ``layers``.

    Raises:
        ParamError: if the layers do not chain (a layer's inputs must equal the previous
            layer's outputs), the last layer has thresholds or another one has none, or
            ``classes`` does not name every output.
    """

    input_bits: int
    layers: tuple[QuantLayer, ...]
    classes: tuple[str, ...] = ()
    #: Free-form provenance (dataset, accuracy, training settings); not part of the model.
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        check_int("input_bits", self.input_bits, 1, MAX_BITS)
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "classes", tuple(self.classes))
        if not self.layers:
            raise ParamError("a network needs at least one layer")
        pairs = zip(self.layers, self.layers[1:], strict=False)
        for index, (before, layer) in enumerate(pairs, start=1):
            if layer.inputs != before.outputs:
                raise ParamError(f"layer {index} takes {layer.inputs} inputs but layer "
                                 f"{index - 1} has {before.outputs} outputs")
        for index, layer in enumerate(self.layers):
            last = index == len(self.layers) - 1
            if last and layer.thresholds is not None:
                raise ParamError("the last layer outputs raw scores: it takes no thresholds")
            if not last and layer.thresholds is None:
                raise ParamError(f"layer {index} needs thresholds (only the last has none)")
        for index, layer in enumerate(self.layers):
            if layer.thresholds is None:
                continue
            low, high = self.accumulator_range(index)
            if layer.thresholds.min() < low or layer.thresholds.max() > high + 1:
                raise ParamError(f"layer {index}: thresholds must lie in {low}..{high + 1} "
                                 "(the accumulator's range and one past it; clip them)")
        if self.classes and len(self.classes) != self.layers[-1].outputs:
            raise ParamError(f"`classes` names {len(self.classes)} classes but the network "
                             f"has {self.layers[-1].outputs} outputs")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Inputs, then every layer's outputs: (84, 64, 32, 5)."""
        return (self.layers[0].inputs, *(layer.outputs for layer in self.layers))

    def input_bits_of(self, index: int) -> int:
        """Bits of layer ``index``'s (unsigned) inputs."""
        return self.input_bits if index == 0 else self.layers[index - 1].act_bits

    def accumulator_range(self, index: int) -> tuple[int, int]:
        """Smallest and largest accumulator value layer ``index`` can reach on any input."""
        layer = self.layers[index]
        x_max = (1 << self.input_bits_of(index)) - 1
        w = layer.weights
        high = int(np.clip(w, 0, None).sum(axis=1).max()) * x_max
        low = int(np.clip(w, None, 0).sum(axis=1).min()) * x_max
        return low, high

    def accumulator_width(self, index: int) -> int:
        """Two's-complement width of layer ``index``'s accumulator (and its thresholds,
        which export clips to one past the accumulator's range)."""
        low, high = self.accumulator_range(index)
        return signed_width(low, high + 1)

    def forward(self, x: np.ndarray, *, all_layers: bool = False) -> Any:
        """Integer model: the scores (``n x classes``, int64) of inputs ``x`` (``n x
        inputs`` unsigned integers); with ``all_layers`` the list of every layer's output.

        Raises:
            ParamError: if ``x`` has the wrong width or values out of ``input_bits``.
        """
        a = np.asarray(x, dtype=np.int64)
        if a.ndim == 1:
            a = a[None, :]
        if a.shape[1] != self.sizes[0]:
            raise ParamError(f"inputs must have {self.sizes[0]} features, not {a.shape[1]}")
        if a.min(initial=0) < 0 or a.max(initial=0) >= (1 << self.input_bits):
            raise ParamError(f"inputs must be unsigned {self.input_bits}-bit integers")
        outputs = []
        for layer in self.layers:
            acc = a @ layer.weights.T
            if layer.thresholds is not None:
                acc = (acc[:, :, None] >= layer.thresholds[None, :, :]).sum(axis=2)
            a = acc.astype(np.int64)
            outputs.append(a)
        return outputs if all_layers else a

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class index per input: the first largest score."""
        return np.asarray(np.argmax(self.forward(x), axis=1))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "input_bits": self.input_bits, "classes": list(self.classes),
                "info": self.info,
                "layers": [{"weight_bits": layer.weight_bits, "act_bits": layer.act_bits,
                            "weights": layer.weights.tolist(),
                            "thresholds": None if layer.thresholds is None
                            else layer.thresholds.tolist()} for layer in self.layers]}

    @classmethod
    def from_json(cls, data: dict[str, Any], origin: str = "<data>") -> QuantNetwork:
        """Raises:
            ParamError: naming ``origin`` if the schema is not ``hwdse.qnet/1`` or a field is
                missing or invalid."""
        if data.get("schema") != SCHEMA:
            raise ParamError(f"{origin}: not an exported network (schema must be {SCHEMA!r}, "
                             f"not {data.get('schema')!r})")
        try:
            layers = tuple(QuantLayer(np.asarray(item["weights"]), item["weight_bits"],
                                      None if item["thresholds"] is None
                                      else np.asarray(item["thresholds"]), item["act_bits"])
                           for item in data["layers"])
            return cls(data["input_bits"], layers, tuple(data.get("classes", ())),
                       dict(data.get("info", {})))
        except KeyError as missing:
            raise ParamError(f"{origin}: missing field {missing}") from None
        except ParamError as error:
            raise ParamError(f"{origin}: {error}") from None

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")))
        return path

    def sha256(self) -> str:
        """Hash of the model (weights, thresholds, bits, classes), not of ``info``."""
        blob = self.to_json()
        blob.pop("info")
        return hashlib.sha256(json.dumps(blob, sort_keys=True,
                                         separators=(",", ":")).encode()).hexdigest()


_LOADED: dict[tuple[str, int, int], QuantNetwork] = {}


def load_network(path: str | Path) -> QuantNetwork:
    """Read an exported network (cached per file path, size and modification time).

    Raises:
        ParamError: if the file is missing, not JSON or not a valid network.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise ParamError(f"`network`: no exported network at {str(path)!r}") from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _LOADED:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ParamError(f"`network`: cannot read {str(path)!r}: {error}") from None
        _LOADED[key] = QuantNetwork.from_json(data, str(path))
    return _LOADED[key]


def random_network(sizes: Sequence[int], weight_bits: int, act_bits: int, input_bits: int,
                   seed: int) -> QuantNetwork:
    """A seeded random network with thresholds spread over each layer's reachable range
    (so every activation level occurs): for testing generators without training.

    Raises:
        ParamError: for fewer than two sizes or bits out of range.
    """
    if len(sizes) < 2:
        raise ParamError(f"`layers` needs at least two sizes (inputs, outputs), not {sizes}")
    rng = np.random.default_rng(seed)
    low, high = weight_range(weight_bits)
    layers: list[QuantLayer] = []
    bits_in = input_bits
    for index, (inputs, outputs) in enumerate(zip(sizes, sizes[1:], strict=False)):
        if weight_bits == 1:
            w = rng.choice(np.array([-1, 1]), size=(outputs, inputs))
        else:
            w = rng.integers(low, high + 1, size=(outputs, inputs))
        last = index == len(sizes) - 2
        if last:
            layers.append(QuantLayer(w, weight_bits))
            break
        levels = (1 << act_bits) - 1
        # Thresholds around the typical accumulator: mean +- 2 standard deviations.
        x_mean = ((1 << bits_in) - 1) / 2
        spread = np.sqrt(inputs) * max(1.0, float(np.abs(w).mean())) * max(1.0, x_mean)
        centre = w.sum(axis=1, keepdims=True) * x_mean
        offsets = np.linspace(-1.5, 1.5, levels)[None, :] * spread
        t = np.sort(np.round(centre + offsets + rng.normal(0, 0.3, (outputs, levels))
                             * spread / levels).astype(np.int64), axis=1)
        x_max = (1 << bits_in) - 1
        t = np.clip(t, int(np.clip(w, None, 0).sum(axis=1).min()) * x_max,
                    int(np.clip(w, 0, None).sum(axis=1).max()) * x_max + 1)
        layers.append(QuantLayer(w, weight_bits, t, act_bits))
        bits_in = act_bits
    return QuantNetwork(input_bits, tuple(layers))
