"""Parameters of the quantized-MLP streaming dataflow generator ``qmlp-v1``."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, ClassVar

from hw.params import ParamError, Params, check_choice, check_int
from hw.qmlp.network import MAX_BITS, QuantNetwork, load_network, random_network

#: Largest layer side and folding factor the generator accepts.
MAX_SIZE = 4096
#: Where the weight ROMs are: ``logic`` (LUTs, read in the step's own cycle) or ``block``
#: (block RAM, read a cycle ahead: FINN's ``ram_style``)
WEIGHT_MEMORIES = ("logic", "block")


def divisors(n: int) -> tuple[int, ...]:
    return tuple(d for d in range(1, n + 1) if n % d == 0)


@dataclasses.dataclass(frozen=True)
class LayerFold:
    """How one layer is folded: ``pe`` output neurons and ``simd`` inputs per cycle, so a
    vector takes ``neuron_fold`` x ``synapse_fold`` cycles (FINN's MVAU)."""

    inputs: int    # MW
    outputs: int   # MH
    pe: int
    simd: int

    @property
    def neuron_fold(self) -> int:
        return self.outputs // self.pe

    @property
    def synapse_fold(self) -> int:
        return self.inputs // self.simd

    @property
    def cycles_per_vector(self) -> int:
        return self.neuron_fold * self.synapse_fold


def parse_folding(text: str, sizes: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """``"4x2,2x4,1x1"`` (PE x SIMD per layer) for a network of ``sizes``; ``""`` folds every
    layer fully (1 x 1).

    Raises:
        ParamError: for a malformed entry, the wrong number of layers, or a PE that does not
            divide the layer's outputs / a SIMD that does not divide its inputs (listing the
            allowed values).
    """
    layers = len(sizes) - 1
    if not text.strip():
        return tuple((1, 1) for _ in range(layers))
    entries = [item.strip() for item in text.split(",")]
    if len(entries) != layers:
        raise ParamError(f"`folding` needs one PExSIMD entry per layer ({layers}), not "
                         f"{len(entries)}: {text!r}")
    folding = []
    for index, entry in enumerate(entries):
        pe_text, sep, simd_text = entry.lower().partition("x")
        try:
            pe, simd = int(pe_text), int(simd_text)
        except ValueError:
            raise ParamError(f"`folding` entry {index} must look like PExSIMD (e.g. 4x2), "
                             f"not {entry!r}") from None
        if not sep:
            raise ParamError(f"`folding` entry {index} must look like PExSIMD, not {entry!r}")
        inputs, outputs = sizes[index], sizes[index + 1]
        if pe < 1 or outputs % pe:
            raise ParamError(f"`folding` layer {index}: PE must divide the layer's {outputs} "
                             f"outputs ({', '.join(map(str, divisors(outputs)))}), not {pe}")
        if simd < 1 or inputs % simd:
            raise ParamError(f"`folding` layer {index}: SIMD must divide the layer's {inputs} "
                             f"inputs ({', '.join(map(str, divisors(inputs)))}), not {simd}")
        folding.append((pe, simd))
    return tuple(folding)


def format_folding(folding: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{pe}x{simd}" for pe, simd in folding)


@dataclasses.dataclass(frozen=True)
class QmlpParams(Params):
    """A streaming dataflow accelerator for an integer MLP (``hw.qmlp.network``): one
    matrix-vector-threshold unit per layer (FINN's MVAU), folded by ``folding``, with the
    weights and thresholds in on-chip ROM, layers chained by streams.

    The network is an exported file (``network``: a ``hwdse.qnet/1`` JSON path; build
    these parameters with :meth:`for_network`, which copies its shape into the other fields
    so they hold the effective values), or, with ``network`` empty, a seeded random network
    of ``layers`` sizes (for testing the generator without training).

    ``folding`` is ``PExSIMD`` per layer (``"8x4,4x8,5x4"``); PE must divide the layer's
    outputs and SIMD its inputs. ``""`` folds every layer to 1 x 1.

    ``weight_memory`` places the weight ROM of every folded layer (more than one ROM word):
    ``logic`` in LUTs, ``block`` in block RAM (the synthesis attribute ``rom_style``;
    the word is read a cycle ahead, so the cycles are the same).

    Raises:
        ParamError: for any value out of range, naming the field; for a network file whose
            shape differs from the fields.
    """

    generator: ClassVar[str] = "qmlp-v1"
    network_mapping: ClassVar[str | None] = "network"
    path_fields: ClassVar[tuple[str, ...]] = ("network",)

    network: str = ""
    layers: str = "16,8,4"
    weight_bits: int = 2
    act_bits: int = 2
    input_bits: int = 1
    seed: int = 0
    folding: str = ""
    weight_memory: str = "logic"

    def __post_init__(self) -> None:
        check_choice("weight_memory", self.weight_memory, WEIGHT_MEMORIES)
        check_int("weight_bits", self.weight_bits, 1, MAX_BITS)
        check_int("act_bits", self.act_bits, 1, MAX_BITS)
        check_int("input_bits", self.input_bits, 1, MAX_BITS)
        check_int("seed", self.seed, 0)
        sizes = self.sizes
        for size in sizes:
            check_int("layers", size, 1, MAX_SIZE)
        if self.network:
            net = load_network(self.network)
            shape = {"layers": ",".join(map(str, net.sizes)), "input_bits": net.input_bits,
                     "weight_bits": net.layers[0].weight_bits,
                     "act_bits": net.layers[0].act_bits if len(net.layers) > 1
                     else self.act_bits}
            for name, value in shape.items():
                if getattr(self, name) != value:
                    raise ParamError(f"`{name}` must be {value!r} for network "
                                     f"{self.network!r} (use QmlpParams.for_network), not "
                                     f"{getattr(self, name)!r}")
            for index, layer in enumerate(net.layers):
                if layer.weight_bits != self.weight_bits or (
                        layer.thresholds is not None and layer.act_bits != self.act_bits):
                    raise ParamError(f"`network` layer {index} has other bits than layer 0; "
                                     "qmlp-v1 needs one weight and one activation precision")
        parse_folding(self.folding, sizes)

    @classmethod
    def for_network(cls, path: str | Path, folding: str = "") -> QmlpParams:
        """Parameters for the exported network at ``path``.

        Raises:
            ParamError: if the file is not a valid network or the folding does not fit.
        """
        net = load_network(path)
        return cls(network=str(path), layers=",".join(map(str, net.sizes)),
                   weight_bits=net.layers[0].weight_bits,
                   act_bits=net.layers[0].act_bits if len(net.layers) > 1 else 2,
                   input_bits=net.input_bits, folding=folding)

    @property
    def sizes(self) -> tuple[int, ...]:
        try:
            sizes = tuple(int(item) for item in self.layers.split(","))
        except ValueError:
            raise ParamError(f"`layers` must be comma-separated sizes like '16,8,4', not "
                             f"{self.layers!r}") from None
        if len(sizes) < 2:
            raise ParamError(f"`layers` needs at least two sizes (inputs, outputs), not "
                             f"{self.layers!r}")
        return sizes

    def check_inferences(self, m: int, k: int, n: int) -> int:
        """The number of inferences in an M x K x N workload: M vectors through a network
        with K inputs and N outputs.

        Raises:
            ParamError: if K or N differ from the network's inputs and outputs, or M < 1.
        """
        sizes = self.sizes
        if (k, n) != (sizes[0], sizes[-1]):
            raise ParamError(f"qmlp-v1 runs inferences: the GEMM's K must be the network's "
                             f"{sizes[0]} inputs and N its {sizes[-1]} outputs, not K={k}, "
                             f"N={n}")
        if m < 1:
            raise ParamError(f"the number of inferences M must be >= 1, not {m}")
        return m

    def quant_network(self) -> QuantNetwork:
        """The network this design computes."""
        if self.network:
            return load_network(self.network)
        return _random(self.sizes, self.weight_bits, self.act_bits, self.input_bits, self.seed)

    def folds(self) -> tuple[LayerFold, ...]:
        sizes = self.sizes
        return tuple(LayerFold(sizes[i], sizes[i + 1], pe, simd)
                     for i, (pe, simd) in enumerate(parse_folding(self.folding, sizes)))

    def coordinates(self) -> dict[str, Any]:
        """``layers`` and ``folding`` as numbers (a network no sample had is then inside
        the samples' coverage where its sizes and folding are): the inputs, outputs and
        hidden layers, the smallest and largest hidden layer (None without one), and the
        largest PE, SIMD and PE x SIMD of any layer; ``network`` as whether the network is
        a trained one from a file (the samples are seeded random networks)."""
        sizes, folds = self.sizes, self.folds()
        hidden = sizes[1:-1]
        return {"trained_network": bool(self.network), "inputs": sizes[0],
                "outputs": sizes[-1], "hidden_layers": len(hidden),
                "smallest_hidden": min(hidden, default=None),
                "largest_hidden": max(hidden, default=None),
                "weight_bits": self.weight_bits, "act_bits": self.act_bits,
                "input_bits": self.input_bits, "seed": self.seed,
                "largest_pe": max(f.pe for f in folds),
                "largest_simd": max(f.simd for f in folds),
                "most_lanes": max(f.pe * f.simd for f in folds),
                "weight_memory": self.weight_memory}

    def with_folding(self, folding: tuple[tuple[int, int], ...] | str) -> QmlpParams:
        text = folding if isinstance(folding, str) else format_folding(folding)
        return dataclasses.replace(self, folding=text)

    def content_hash(self) -> str:
        """Includes the network's model hash, so a retrained file is a new design."""
        blob = json.dumps({"generator": self.generator, "params": self.to_dict(),
                           "network": self.quant_network().sha256() if self.network else None},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


_RANDOM: dict[tuple[object, ...], QuantNetwork] = {}


def _random(sizes: tuple[int, ...], weight_bits: int, act_bits: int, input_bits: int,
            seed: int) -> QuantNetwork:
    key = (sizes, weight_bits, act_bits, input_bits, seed)
    if key not in _RANDOM:
        _RANDOM[key] = random_network(sizes, weight_bits, act_bits, input_bits, seed)
    return _RANDOM[key]
