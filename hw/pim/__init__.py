"""DRAM processing-in-memory controller generator ``pim-v1``."""

from hw.family import GeneratorSpec
from hw.pim.params import TIMING_PRESETS, PimParams

__all__ = ["GENERATOR", "TIMING_PRESETS", "PimParams"]


GENERATOR = GeneratorSpec("pim-v1", "pim", PimParams, "hw.pim.controller:PimController",
                          "DRAM processing-in-memory controller for GEMV (HBM-PIM style)")
