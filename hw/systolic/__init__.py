"""Systolic-array generator ``systolic-v1`` (output- and weight-stationary)."""

from hw.systolic.params import DATAFLOWS, SystolicParams

__all__ = ["DATAFLOWS", "SystolicParams"]
