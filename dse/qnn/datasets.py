"""Datasets for quantized MLPs, as unsigned integer features ready for the integer model.

- ``can``: CAN-bus intrusion detection (``dse.qnn.can``): 84 binary features per frame,
  five classes (normal, DoS, fuzzing, gear spoofing, RPM spoofing), from the seeded
  synthetic traffic generator, or from HCRL car-hacking files (:func:`can_from_files`).
- ``digits``: scikit-learn's 8 x 8 handwritten digits (1,797 images shipped inside the
  package, ten classes); pixels 0..16 are requantized to ``input_bits`` bits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hw.params import ParamError, check_choice, check_int


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Train / validation / test splits of unsigned ``input_bits``-bit features."""

    name: str
    classes: tuple[str, ...]
    input_bits: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str

    @property
    def features(self) -> int:
        return int(self.x_train.shape[1])

    def summary(self) -> dict[str, object]:
        return {"name": self.name, "classes": list(self.classes), "features": self.features,
                "input_bits": self.input_bits, "train": len(self.y_train),
                "val": len(self.y_val), "test": len(self.y_test),
                "description": self.description}


def _stratified(y: np.ndarray, fraction: float, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (rest, taken) with ``fraction`` of every class taken."""
    taken = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        taken.extend(members[:max(1, round(fraction * len(members)))].tolist())
    mask = np.zeros(len(y), dtype=bool)
    mask[taken] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _splits(name: str, classes: Sequence[str], input_bits: int, x: np.ndarray,
            y: np.ndarray, seed: int, description: str) -> Dataset:
    """60 / 20 / 20 train / validation / test, stratified and seeded."""
    rng = np.random.default_rng(seed)
    rest, test = _stratified(y, 0.2, rng)
    train_rel, val_rel = _stratified(y[rest], 0.25, rng)
    train, val = rest[train_rel], rest[val_rel]
    return Dataset(name, tuple(classes), input_bits, x[train], y[train], x[val], y[val],
                   x[test], y[test], description)


def digits(seed: int = 0, input_bits: int = 4) -> Dataset:
    """scikit-learn's digits, pixels requantized from 0..16 to ``input_bits`` bits.

    Raises:
        ParamError: if ``input_bits`` is not in 1..8.
    """
    from sklearn.datasets import load_digits

    check_int("input_bits", input_bits, 1, 8)
    data = load_digits()
    top = (1 << input_bits) - 1
    x = np.floor(data.data * top / 16 + 0.5).astype(np.int64)
    return _splits("digits", [str(c) for c in range(10)], input_bits, x,
                   data.target.astype(np.int64), seed,
                   f"scikit-learn digits (8x8, 1,797 images), pixels at {input_bits} bits")


def can(seed: int = 0, frames_per_class: int = 4000, seconds: float = 120.0) -> Dataset:
    """Synthetic CAN traffic (``dse.qnn.can.dataset``): 84 binary features per frame."""
    from dse.qnn import can as can_data

    x, y = can_data.dataset(seed, frames_per_class=frames_per_class, seconds=seconds)
    return _splits("can", can_data.CLASSES, 1, x.astype(np.int64), y.astype(np.int64), seed,
                   f"synthetic CAN traffic (seed {seed}, {seconds:g} s, at most "
                   f"{frames_per_class} frames per class), HCRL-like; 84 binary features")


def can_from_files(paths: Sequence[str | Path], seed: int = 0,
                   frames_per_class: int = 4000) -> Dataset:
    """HCRL car-hacking files (their CSV / TXT formats, ``dse.qnn.can.load_hcrl``), each
    encoded on its own, sampled to at most ``frames_per_class`` frames of each class.

    Raises:
        ValueError: from the loader, naming the file and line.
    """
    from dse.qnn import can as can_data

    xs, ys = [], []
    for path in paths:
        trace = can_data.load_hcrl(path)
        xs.append(can_data.encode(trace))
        ys.append(trace.label)
    x, y = np.concatenate(xs).astype(np.int64), np.concatenate(ys).astype(np.int64)
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:frames_per_class]
                           for c in np.unique(y)])
    return _splits("can", can_data.CLASSES, 1, x[keep], y[keep], seed,
                   f"HCRL car-hacking files {', '.join(Path(p).name for p in paths)}")


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    """How to load one named dataset: ``load(seed, options)``, the option names it takes,
    its features per example, and the feature width its options give."""

    load: Callable[[int, Mapping[str, Any]], Dataset]
    options: tuple[str, ...]
    features: int
    input_bits: Callable[[Mapping[str, Any]], int]


def _load_can(seed: int, options: Mapping[str, Any]) -> Dataset:
    rest = {k: v for k, v in options.items() if k != "files"}
    if options.get("files"):
        return can_from_files(options["files"], seed, **rest)
    return can(seed, **rest)


#: The datasets, by name.
SOURCES: dict[str, DatasetSource] = {
    "can": DatasetSource(_load_can, ("frames_per_class", "seconds", "files"), 84,
                         lambda options: 1),
    "digits": DatasetSource(lambda seed, options: digits(seed, **options), ("input_bits",),
                            64, lambda options: int(options.get("input_bits", 4))),
}


DATASETS = tuple(SOURCES)
#: Options each dataset takes (``options`` of :func:`load_dataset`).
DATASET_OPTIONS = {name: source.options for name, source in SOURCES.items()}
#: Features per example of each dataset.
DATASET_FEATURES = {name: source.features for name, source in SOURCES.items()}


def input_bits_of(name: str, options: Mapping[str, object] | None = None) -> int:
    """Feature width of dataset ``name`` with ``options``, without loading it."""
    check_choice("dataset", name, DATASETS)
    return SOURCES[name].input_bits(options or {})


def load_dataset(name: str, seed: int = 0, options: Mapping[str, Any] | None = None
                 ) -> Dataset:
    """A dataset by name (one of :data:`DATASETS`) with its ``options``
    (:data:`DATASET_OPTIONS`).

    Raises:
        ParamError: for an unknown name (listing the known ones) or option.
    """
    check_choice("dataset", name, DATASETS)
    source = SOURCES[name]
    for key in options or {}:
        check_choice(f"dataset_options.{key}", key, source.options)
    return source.load(seed, dict(options or {}))


__all__ = ["DATASETS", "Dataset", "ParamError", "can", "can_from_files", "digits",
           "input_bits_of", "load_dataset"]
