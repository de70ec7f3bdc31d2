"""Workload sources by name: the one entry point of the command line and of specs.

- ``hf:NAME``: a named image model built from a transformers configuration, with no
  weights and no download (:data:`HF_PRESETS`);
- ``transformer:NAME``: a decoder-only language model by phase (:data:`TRANSFORMERS`):
  ``prefill`` of N tokens, or ``decode`` of one token over a KV cache of N tokens;
- ``path/to/model.onnx``: an ONNX file (:func:`dse.workload.onnx_import.from_onnx`);
- ``module.path:factory``: a Python callable returning an ``nn.Module``, which needs an
  input shape.

Models are built on PyTorch's ``meta`` device and traced for shapes only, so even
GPT-2-large imports in seconds and without its 3 GB of weights.

Transformer workloads put the weights (or the KV cache) first: each GEMM is
``Cᵀ = Bᵀ Aᵀ``, M = output features, K = reduction, N = tokens, so a decode step is GEMVs
with N = 1, the form the PIM family runs. Every other source keeps PyTorch's orientation
(M = rows of the activation: tokens or output pixels, N = output features), as a
``conv2d`` layer typed in a spec does.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dse.workload import Layer, Workload, WorkloadError

PHASES = ("prefill", "decode")
#: Input shape of the named image models when none is given.
IMAGE_SHAPE = (1, 3, 224, 224)


def _resnet(depths: list[int], hidden: list[int], layer_type: str) -> Any:
    from transformers import ResNetConfig, ResNetForImageClassification

    config = ResNetConfig(depths=depths, hidden_sizes=hidden, layer_type=layer_type)
    config.num_labels = 1000
    return ResNetForImageClassification(config)


def _mobilenet_v2() -> Any:
    from transformers import MobileNetV2Config, MobileNetV2ForImageClassification

    config = MobileNetV2Config()
    config.num_labels = 1000
    return MobileNetV2ForImageClassification(config)


def _vit_b_16() -> Any:
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig()
    config.num_labels = 1000
    config._attn_implementation = "eager"
    return ViTForImageClassification(config)


#: Named image models: name -> builder (an ``nn.Module`` with ImageNet's 1000 classes).
HF_PRESETS: dict[str, Callable[[], Any]] = {
    "resnet-18": lambda: _resnet([2, 2, 2, 2], [64, 128, 256, 512], "basic"),
    "resnet-34": lambda: _resnet([3, 4, 6, 3], [64, 128, 256, 512], "basic"),
    "resnet-50": lambda: _resnet([3, 4, 6, 3], [256, 512, 1024, 2048], "bottleneck"),
    "resnet-101": lambda: _resnet([3, 4, 23, 3], [256, 512, 1024, 2048], "bottleneck"),
    "mobilenet-v2": _mobilenet_v2,
    "vit-b-16": _vit_b_16,
}


@dataclasses.dataclass(frozen=True)
class TransformerPreset:
    """A decoder-only model: the transformers config class, its keyword arguments, the
    most tokens it takes (its position limit), and its attention (key/value) heads."""

    config_class: str
    model_class: str
    options: tuple[tuple[str, Any], ...]
    max_tokens: int

    def config(self) -> Any:
        import transformers

        config = getattr(transformers, self.config_class)(**dict(self.options))
        config._attn_implementation = "eager"
        return config

    def model(self) -> Any:
        import transformers

        return getattr(transformers, self.model_class)(self.config())


def _gpt2(n_embd: int, n_layer: int, n_head: int) -> TransformerPreset:
    return TransformerPreset("GPT2Config", "GPT2LMHeadModel", (
        ("n_embd", n_embd), ("n_layer", n_layer), ("n_head", n_head)), 1024)


#: Decoder-only models by name. ``llama-3.2-1b`` has grouped-query attention (32 query
#: heads, 8 key/value heads) and a SwiGLU MLP.
TRANSFORMERS: dict[str, TransformerPreset] = {
    "gpt2": _gpt2(768, 12, 12),
    "gpt2-medium": _gpt2(1024, 24, 16),
    "gpt2-large": _gpt2(1280, 36, 20),
    "llama-3.2-1b": TransformerPreset("LlamaConfig", "LlamaForCausalLM", (
        ("hidden_size", 2048), ("intermediate_size", 8192), ("num_hidden_layers", 16),
        ("num_attention_heads", 32), ("num_key_value_heads", 8), ("head_dim", 64),
        ("vocab_size", 128256), ("max_position_embeddings", 131072),
        ("tie_word_embeddings", True), ("hidden_act", "silu")), 131072),
}


def _unknown(kind: str, name: str, known: Sequence[str]) -> WorkloadError:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return WorkloadError(f"unknown {kind} {name!r}; {hint}known: {', '.join(known)}")


def _build_on_meta(build: Callable[[], Any], source: str) -> Any:
    import torch

    try:
        with torch.device("meta"):
            return build().eval()
    except WorkloadError:
        raise
    except Exception as error:  # noqa: BLE001 - a model's constructor may raise anything
        first = (str(error).strip().splitlines() or [""])[0]
        raise WorkloadError(f"{source}: cannot build the model: {type(error).__name__}: "
                            f"{first}") from None


def hf_model(name: str, input_shape: Sequence[int] | None = None) -> Workload:
    """A named image model (``hf:NAME``) on ``input_shape`` (default 1 x 3 x 224 x 224).

    Raises:
        WorkloadError: for an unknown name (with the close ones) or a model that fails to
            trace on the shape.
    """
    import torch

    from dse.workload.torch_import import check_shape, from_module

    source = f"hf:{name}"
    if name not in HF_PRESETS:
        raise _unknown("model", source, [f"hf:{n}" for n in HF_PRESETS])
    shape = check_shape(list(input_shape or IMAGE_SHAPE), source)
    model = _build_on_meta(HF_PRESETS[name], source)
    return from_module(model, (torch.zeros(shape, device="meta"),), source=source)


class _Decode:
    """Builds the wrapper module lazily (torch is imported only when a model is traced)."""

    @staticmethod
    def make(model: Any, layers: int) -> Any:
        from torch import nn
        from transformers import DynamicCache

        class Decode(nn.Module):
            """One decode step over a KV cache given as stacked key and value tensors."""

            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, keys: Any, values: Any) -> Any:
                cache = DynamicCache()
                for index in range(layers):
                    cache.update(keys[index], values[index], index)
                return self.model(input_ids=input_ids, past_key_values=cache,
                                  use_cache=True).logits

        return Decode()


def transformer(name: str, phase: str, tokens: int) -> Workload:
    """A decoder-only model (``transformer:NAME``): ``prefill`` of ``tokens`` tokens, or
    ``decode`` of one token over a KV cache of ``tokens`` tokens (attention over
    ``tokens + 1`` keys). GEMMs put the weights first (see the module docstring).

    Raises:
        WorkloadError: for an unknown name or phase, or a token count out of range.
    """
    import torch

    from dse.workload.torch_import import from_module

    source = f"transformer:{name}"
    if name not in TRANSFORMERS:
        raise _unknown("transformer", source, [f"transformer:{n}" for n in TRANSFORMERS])
    if phase not in PHASES:
        raise WorkloadError(f"`phase` must be one of {', '.join(PHASES)}, not {phase!r}")
    preset = TRANSFORMERS[name]
    limit = preset.max_tokens - (1 if phase == "decode" else 0)
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= limit:
        raise WorkloadError(f"`tokens` for {source} {phase} must be an integer in 1..{limit}, "
                            f"not {tokens!r}")
    model = _build_on_meta(preset.model, source)
    config = model.config
    if phase == "prefill":
        ids = torch.zeros((1, tokens), dtype=torch.long, device="meta")
        workload = from_module(model, (), {"input_ids": ids, "use_cache": False},
                               source=f"{source} prefill {tokens}")
    else:
        layers = config.num_hidden_layers
        kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        head_dim = (getattr(config, "head_dim", None)
                    or config.hidden_size // config.num_attention_heads)
        cache = torch.zeros((layers, 1, kv_heads, tokens, head_dim), device="meta")
        ids = torch.zeros((1, 1), dtype=torch.long, device="meta")
        workload = from_module(_Decode.make(model, layers), (ids, cache, cache.clone()),
                               source=f"{source} decode {tokens}", prefix="model")
    return workload.transposed()


def from_factory(reference: str, input_shape: Sequence[int] | None) -> Workload:
    """``module.path:factory``: a callable returning an ``nn.Module``, traced on
    ``input_shape``.

    Raises:
        WorkloadError: for a missing input shape, a module or callable that does not
            exist, a factory that fails or returns no ``nn.Module``, or a failed trace.
    """
    from torch import nn

    from dse.workload.torch_import import from_shape

    module_path, _, attribute = reference.partition(":")
    if not module_path or not attribute:
        raise WorkloadError(f"a Python source must look like module.path:factory, "
                            f"not {reference!r}")
    if input_shape is None:
        raise WorkloadError(f"{reference} needs an input shape (--input-shape 1,3,224,224; "
                            "input_shape in a spec)")
    try:
        factory = getattr(importlib.import_module(module_path), attribute)
    except ImportError as error:
        raise WorkloadError(f"{reference}: cannot import {module_path}: {error}") from None
    except AttributeError:
        raise WorkloadError(f"{reference}: module {module_path} has no {attribute!r}") from None
    try:
        module = factory()
    except Exception as error:  # noqa: BLE001 - user code
        raise WorkloadError(f"{reference}: the factory failed: {type(error).__name__}: "
                            f"{error}") from None
    if not isinstance(module, nn.Module):
        raise WorkloadError(f"{reference} returned {type(module).__name__}, not an "
                            "nn.Module")
    return from_shape(module, input_shape, source=reference)


def load_source(source: str, *, input_shape: Sequence[int] | None = None,
                phase: str | None = None, tokens: int | None = None) -> Workload:
    """The workload of a SOURCE string (see the module docstring), unmerged.

    Raises:
        WorkloadError: one line naming the source and what is wrong.
    """
    if source.startswith("transformer:"):
        if input_shape is not None:
            raise WorkloadError(f"{source} takes --phase and --tokens, not an input shape")
        if tokens is None:
            raise WorkloadError(f"{source} needs --tokens (tokens in a spec)")
        return transformer(source.split(":", 1)[1], phase or "prefill", tokens)
    if phase is not None or tokens is not None:
        raise WorkloadError(f"--phase and --tokens are for transformer: sources, not "
                            f"{source!r}")
    if source.startswith("hf:"):
        return hf_model(source.split(":", 1)[1], input_shape)
    if source.endswith(".onnx") or Path(source).is_file():
        from dse.workload.onnx_import import from_onnx

        if not Path(source).is_file():
            raise WorkloadError(f"{source}: no such file")
        return from_onnx(Path(source), input_shape)
    if ":" in source:
        return from_factory(source, input_shape)
    raise _unknown("source", source, [f"hf:{n}" for n in HF_PRESETS]
                   + [f"transformer:{n}" for n in TRANSFORMERS])


def _source_digest(source: str) -> str | None:
    """A digest of what a source's workload depends on besides its options: the file, the
    factory's module source, or nothing for a preset (its config is code, hashed with the
    importers). None when it cannot be told without importing (no caching then)."""
    import hashlib
    import importlib.util

    if source.startswith(("hf:", "transformer:")):
        return ""
    path: Path | None = Path(source) if Path(source).is_file() else None
    if path is None and ":" in source:
        module = source.split(":", 1)[0]
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
        if found is None or not found.origin or not Path(found.origin).is_file():
            return None
        path = Path(found.origin)
    if path is None:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_source(source: str, *, input_shape: Sequence[int] | None = None,
                  phase: str | None = None, tokens: int | None = None) -> Workload:
    """:func:`load_source`, remembered on disk (``$HWDSE_CACHE/workloads``) by the source,
    its options, the digest of its file or module, the importers' own code and the torch,
    transformers and onnx versions, so that a spec naming a model loads without tracing it
    (or importing torch) again.

    Raises:
        WorkloadError: as :func:`load_source`.
    """
    import hashlib
    import json
    import os
    import tempfile
    from importlib import metadata

    from flows.tools import cache_root

    digest = _source_digest(source)
    if digest is None:
        return load_source(source, input_shape=input_shape, phase=phase, tokens=tokens)
    versions = {}
    for name in ("torch", "transformers", "onnx"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    importers = hashlib.sha256(b"".join(
        p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))).hexdigest()
    key = hashlib.sha256(json.dumps({
        "source": source, "input_shape": list(input_shape) if input_shape else None,
        "phase": phase, "tokens": tokens, "digest": digest, "importers": importers,
        "versions": versions}, sort_keys=True).encode()).hexdigest()[:32]
    folder = cache_root() / "workloads"
    entry = folder / f"{key}.json"
    try:
        return Workload.from_json(json.loads(entry.read_text()))
    except (OSError, ValueError):
        pass  # not cached yet, or unreadable: import again
    workload = load_source(source, input_shape=input_shape, phase=phase, tokens=tokens)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(workload.to_json(), out)
        os.replace(staging, entry)
    except OSError:
        pass  # a read-only cache only costs the next load its time
    return workload


def spec_layers(entry: Mapping[str, Any], base: Path) -> list[Layer]:
    """The layers of a spec's ``[[workload]]`` entry with ``model``, ``onnx`` or
    ``transformer``: the network selected by ``layers`` (a name regex) and ``max_layers``,
    identical shapes merged into one layer with their count, times ``repeat``, with the
    entry's ``bits`` / ``group_size``, names prefixed by the entry's ``name``. An ``onnx``
    file is named relative to ``base`` (the spec's folder) and must lie inside it.

    Raises:
        WorkloadError: naming the key at fault, or as :func:`load_source`.
    """
    kind = next(key for key in ("model", "onnx", "transformer") if key in entry)
    allowed = {"transformer": {"phase", "tokens"}}.get(kind, {"input_shape"})
    bad = sorted(set(entry) & ({"input_shape", "phase", "tokens"} - allowed))
    if bad:
        raise WorkloadError(f"`{bad[0]}` does not apply to a `{kind}` entry")
    source = entry[kind]
    if not isinstance(source, str) or not source:
        raise WorkloadError(f"`{kind}` must be a non-empty string, not {source!r}")
    if kind == "transformer":
        source = f"transformer:{source}"
    elif kind == "onnx":
        from dse.spec.common import file_in_folder

        source = str(file_in_folder("onnx", source, base, WorkloadError))
    elif source.endswith(".onnx"):
        raise WorkloadError(f"`model` names an ONNX file; use `onnx = {source!r}`")
    shape = entry.get("input_shape")
    if shape is not None and not isinstance(shape, list):
        raise WorkloadError(f"`input_shape` must be a list of integers, not {shape!r}")
    workload = cached_source(
        source, input_shape=shape,
        phase=entry.get("phase", "prefill") if kind == "transformer" else None,
        tokens=entry.get("tokens") if kind == "transformer" else None)
    workload = workload.select(entry.get("layers"), entry.get("max_layers")).merged()
    bits = entry.get("bits")
    bits = tuple(bits) if isinstance(bits, list) else bits
    prefix = f"{entry['name']}/" if "name" in entry else ""
    repeat = entry.get("repeat", 1)
    return [dataclasses.replace(layer, name=prefix + layer.name, count=layer.count * repeat,
                                gemm=dataclasses.replace(layer.gemm, bits=bits,
                                                         group_size=entry.get("group_size")))
            for layer in workload.layers]
