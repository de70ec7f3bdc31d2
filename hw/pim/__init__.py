"""DRAM processing-in-memory controller generator ``pim-v1``."""

from hw.pim.params import TIMING_PRESETS, PimParams

__all__ = ["TIMING_PRESETS", "PimParams"]
