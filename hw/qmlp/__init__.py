"""Quantized-MLP streaming dataflow accelerators (FINN-style MVAUs with PE / SIMD folding)."""

from hw.family import GeneratorSpec
from hw.qmlp.params import QmlpParams

GENERATOR = GeneratorSpec("qmlp-v1", "qmlp", QmlpParams, "hw.qmlp.accelerator:QmlpAccelerator",
                          "streaming dataflow accelerator for a quantized MLP (FINN-style "
                          "MVAUs, PE/SIMD folding)")
