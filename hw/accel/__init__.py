"""Accelerator generator ``accel-v1``: a compute core with an operand scratchpad, an
accumulator buffer and a DMA engine on AXI4; the mapping (tiles, loop order) is a run-time
job input (``hw.accel.tiling``)."""

from hw.accel.params import AccelParams
from hw.family import GeneratorSpec

__all__ = ["GENERATOR", "AccelParams"]


GENERATOR = GeneratorSpec("accel-v1", "accel", AccelParams,
                          "hw.accel.accelerator:Accelerator",
                          "systolic or bit-serial core + scratchpad, accumulator buffer, "
                          "DMA over AXI4")
