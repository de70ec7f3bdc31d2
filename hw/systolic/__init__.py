"""Systolic-array generator ``systolic-v1`` (output- and weight-stationary)."""

from hw.family import GeneratorSpec
from hw.systolic.params import DATAFLOWS, SystolicParams

__all__ = ["GENERATOR", "DATAFLOWS", "SystolicParams"]


GENERATOR = GeneratorSpec("systolic-v1", "systolic", SystolicParams,
                          "hw.systolic.array:SystolicArray",
                          "output- or weight-stationary systolic array for GEMM")
